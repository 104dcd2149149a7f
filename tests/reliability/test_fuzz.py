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


def test_full_campaign_is_large_enough():
    assert sum(fuzz.FULL.values()) >= 100_000
