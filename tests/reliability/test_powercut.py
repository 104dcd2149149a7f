"""The power-cut campaign (host_tools/campaign/powercut.py), bounded: per flow, the
terminal loses power after the Nth flash program/erase (or, for the flows cut on the wire,
at the Nth TLS record of its exchanges with the host) for a sample of N (every N for the
short flows), boots again, makes one more transaction, and the invariants of
docs/reliability-powercut.md must hold. Every flow talks TLS to the host. The
`pin_entry` flow is cut at a screen instead: at the PIN screen with 0 to 6 of the PIN's
digits typed and at the summary after it, every one of them; nothing may reach the host,
the journal or the flash image, and the next pre-auth with PIN is approved. `make
campaign` sweeps every N of every flow."""

import os

import pytest

from host_tools.campaign import powercut

WORKERS = min(2, os.cpu_count() or 1)
EXHAUSTIVE_UP_TO = 30  # flows with at most this many flash operations: every cut point
SAMPLE = 8  # otherwise: first and last three, every erase, and this many spread between


def cut_points(m: int, erases: tuple[int, ...] = ()) -> list[int]:
    return list(range(m)) if m <= EXHAUSTIVE_UP_TO else powercut.sample(m, SAMPLE, erases)


def wire_points(m: int, key: tuple[int, ...] = ()) -> list[int]:
    """A flow cut on the wire: each exchange's ClientHello (its first write, the reversal
    stored), its request and its answer; `make campaign` cuts at every record."""
    return sorted(key)


# pytest-timeout's 120 s (pyproject.toml) is a hang guard, and each step of a cut run has
# its own (a screen waited for, a process); a flow is many runs: batch_full's ~17 each
# boot on a 1,500-record batch and settle it, ~2 minutes on an idle 2-core machine,
# more when it is busy. The flow's time is not what is tested.
@pytest.mark.timeout(900)
@pytest.mark.parametrize("name", list(powercut.FLOWS))
def test_power_cuts_keep_the_invariants(name, tmp_path):
    on_wire = powercut.FLOWS[name].cut_on == "wire"
    res = powercut.run_flow(powercut.FLOWS[name], tmp_path,
                            cuts=wire_points if on_wire else cut_points, workers=WORKERS)
    report = powercut.table({"flows": {name: res}, "tried": res["tried"],
                             "survived": res["survived"], "violations": len(res["violations"]),
                             "seconds": res["seconds"]})
    assert res["ops"] > 0, "the flow wrote nothing to flash: the op counter is not wired in"
    assert res["tls"] and res["tls_records"] > 0, report  # TLS to the host, nothing in clear
    assert not res["uncut_violations"], report
    assert not res["violations"], report
    assert not res["not_cut"], f"cut points past the flow's end (not deterministic?)\n{report}"
    assert res["tried"] == len(res["cuts"]) > 0
    if name == "compaction":  # the flow exists to cut inside a root metadata compaction
        assert res["root_compactions"] >= 1, report
    if powercut.FLOWS[name].cut_on == "screen":  # the PIN screen before each digit and
        # after the last, the summary after it: every one cut (a few seconds in all)
        assert res["ops"] == len(powercut.PIN) + 2, report
        assert res["cuts"] == list(range(res["ops"])), report
        assert res["points"][-1].startswith("summary"), report
    if on_wire:  # each exchange: its first write, the request, the answer
        recs = res["records"]
        hellos = [i for i, r in enumerate(recs) if r.endswith("terminal->host: handshake "
                                                                "ClientHello")]
        data = [i for i, r in enumerate(recs) if "application data" in r]
        assert hellos and hellos[0] == 0 and len(data) == 2 * len(hellos), report
        assert res["cuts"] == sorted(hellos + data), report
        assert res["cuts"][-1] == len(recs) - 1, report  # the last answer lost
