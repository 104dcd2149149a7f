"""Bounded fuzz campaign (host_tools/campaign/fuzz.py): random and mutated frames into the
firmware's codec and response handling and into the host simulator's parser; damaged
config.json and journal files into the firmware's readers. No crash, no hang, no forged
approval accepted. `python -m host_tools.campaign.fuzz --full` runs >= 100,000 cases."""

from host_tools.campaign import fuzz


def test_bounded_fuzz_campaign():
    res = fuzz.main(full=False)
    assert not res["findings"], "\n".join(res["findings"])
    assert res["crashes"] == 0
    assert res["cases"] >= sum(fuzz.BOUNDED.values())
    resp = res["response"]
    # the untouched answers were accepted, and mutated ones were exercised on every path
    assert resp["accepted_intact"] > 0 and resp["signin_accepted"] > 0
    for outcome in ("ok", "mac_fail", "no_answer"):
        assert resp["outcomes"].get(outcome, 0) > 0, resp["outcomes"]
    assert res["hostsim"]["answered"] > 0 and res["hostsim_tcp"]["answered"] > 0
    assert res["config"]["ok"] > 0 and res["config"]["config_error"] > 0
    assert res["journal"].get("slot_E", 0) > 0  # damage was met and reported by slot
    # PINs (wire-format §8): right and wrong PINs in the pool, up to a lock (75)
    pins = res["pins"]
    assert pins["right"] > 0 and pins["wrong"] > 0 and pins["rc_55"] > 0, pins
    assert pins["rc_75"] > 0 and pins["rc_00"] > 0 and pins["completion"] > 0, pins
    assert res["codec"]["pin_frames_mutated"] > 0  # 26/52/53 went through the mutations
    # answers with 26/52/53 added: the host's (re-MAC'd) accepted, the others refused
    assert resp["pin_extra_accepted"] > 0 and resp["pin_extra_refused"] > 0, resp
    # mutated PIN requests reached the host's PIN check, none counted unless well-formed
    assert res["hostsim"]["pin_requests"] > 0 and res["hostsim"]["pin_counted"] > 0


def test_a_pin_count_changed_by_a_bad_request_is_a_finding():
    """The hostsim target's PIN oracle is not vacuous: a count that moved for a request
    whose MAC fails, that is not a PIN request, or whose answer is not 55/75 is reported;
    a well-formed wrong PIN answered 55 is not."""
    import random
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        pool = fuzz.Pool(Path(tmp), random.Random(1)).build(n_financial=4)
        wrong = next(s for s in pool.seeds if s.rfields.get(39) == "55" and 52 in s.fields)
        mak = pool.cl.mak
        payload = wrong.request[2:]
        assert fuzz.pin_count_problem(payload, mak, "55", +1) is None
        assert fuzz.pin_count_problem(payload, mak, "00", +1)  # counted, not refused
        bad = bytearray(payload)
        bad[-1] ^= 1  # the MAC fails
        assert fuzz.pin_count_problem(bytes(bad), mak, "55", +1)
        assert fuzz.pin_count_problem(payload[:40], mak, "55", +1)  # malformed
        nopin = next(s for s in pool.seeds if s.mti == "0100" and 52 not in s.fields)
        assert fuzz.pin_count_problem(nopin.request[2:], mak, "55", +1)
        pool.ledger.close()


def test_full_campaign_is_large_enough():
    assert sum(fuzz.FULL.values()) >= 100_000
