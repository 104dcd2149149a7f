"""The host fault matrix (docs/reliability-faults.md) on the real firmware: each cell sets
one host fault for one flow (pre-auth, void, completion, completion void, settlement, the
reversal itself, sign-in), runs it at the keypad and checks the operator's message, the
journal, the pending reversal, the host's ledger, and after recovery that the ledger and
the terminal agree. The TLS columns put a host the terminal must not trust in the host's
place: nothing of the request may reach it.

`make test` runs the bounded set (faults.QUICK, about a minute and a half); FAULTS_FULL=1
runs every cell (about five minutes), as `python -m host_tools.campaign.faults --full`
does."""

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from host_tools.campaign import faults

FULL = os.environ.get("FAULTS_FULL") == "1"
CELLS = faults.matrix(full=FULL)


@pytest.fixture(scope="module")
def rigs():
    """One host simulator + terminal per flow, shared by that flow's cells (faults are
    one-shot and cleared between cells; each cell checks that it starts clean)."""
    base = Path(tempfile.mkdtemp(prefix="host-faults-"))
    made: dict[str, faults.Rig] = {}

    def get(flow: str) -> faults.Rig:
        if flow not in made:
            for other in list(made):  # one rig at a time
                made.pop(other).close()
            made[flow] = faults.Rig(base / flow)
        return made[flow]

    yield get
    for rig in made.values():
        rig.close()
    shutil.rmtree(base, ignore_errors=True)


@pytest.mark.parametrize("cell", CELLS, ids=[c.id for c in CELLS])
def test_host_fault(rigs, cell):
    rig = rigs(cell.flow)
    res = faults.run_cell(rig, cell)
    assert res.ok, f"{cell.id}: screen {res.screen!r}\n" + "\n".join(res.problems)


def test_matrix_covers_the_issue():
    """Every fault of the issue is a column, every flow a row, and the bounded set has
    every flow and every special fault."""
    full = faults.matrix(full=True)
    assert {c.flow for c in full} == set(faults.FLOWS)
    for f in faults.WIRE + faults.SPECIAL:
        assert any(c.fault == f for c in full), f
    assert {c.fault for c in full if c.flow == "preauth"} >= set(faults.PREAUTH_DECLINES)
    assert {c.fault for c in full if c.flow == "void"} >= set(faults.VOID_DECLINES)
    # a wrong PIN typed (55), and the third in a row (75), under every wire, special and
    # TLS fault; the bounded set has both declines, a lost answer and both MAC failures
    pin = {c.fault for c in full if c.flow == "wrong_pin"}
    assert pin == set(faults.PIN_DECLINES + faults.WIRE + faults.SPECIAL + faults.TLS), pin
    assert {"d55", "d75", "no_answer", "bad_mac", "host_A0"} <= {
        c.fault for c in quick_cells() if c.flow == "wrong_pin"}
    for f in faults.TLS:  # a host the terminal must not trust: every flow meets each
        assert {c.flow for c in full if c.fault == f} == set(faults.FLOWS), f
    quick = faults.matrix(full=False)
    assert {c.flow for c in quick} == set(faults.FLOWS)
    assert {"host_down", "host_restart"} <= {c.fault for c in quick}
    assert set(faults.TLS) <= {c.fault for c in quick}
    assert {c.fault for c in quick if c.flow == "reversal"} & set(faults.TLS)


def quick_cells():
    return faults.matrix(full=False)


def test_tls_cells_expect_nothing_sent():
    """Every TLS cell expects what the issue says: the untrusted screen (with the clock
    hint exactly for the certificate's dates, never 'host unreachable'), no reversal from
    the request, a pending reversal still pending (one more attempt counted), and the
    host's side as before the request."""
    from host_tools.hostsim.tlsfaults import CHECK_CLOCK, TLS_FAULTS, UNTRUSTED

    for c in faults.matrix(full=True):
        if c.fault not in faults.TLS:
            continue
        e = faults.expect(c)
        assert UNTRUSTED in e.screen and "连接主机失败" in e.absent, c.id
        assert (CHECK_CLOCK in e.screen) == TLS_FAULTS[c.fault].clock, c.id
        assert (CHECK_CLOCK in e.absent) != TLS_FAULTS[c.fault].clock, c.id
        if c.flow == "reversal":
            assert (e.reversal, e.attempts, e.host) == ("98", 1, "open"), c.id
            assert e.recovery == ("0400", "0100") and e.final == "reversed", c.id
        else:
            assert e.reversal is None and e.host == e.final, c.id


def test_consistency_detects_disagreement(tmp_path):
    """The consistency check is not vacuous: a journal record the host reversed, a hold
    the journal lacks, and a pending reversal are each reported."""
    from host_tools.hostsim.ledger import DEFAULT_MID, DEFAULT_TID, Ledger

    led = Ledger(tmp_path / "h.db")
    led.seed_default()
    a = led.add_hold(DEFAULT_TID, DEFAULT_MID, 1, "000002", "6222021234567890128", "2812",
                     100, "AAAAAA", "000000000001", "1126")
    ta = led.add_txn(DEFAULT_TID, 1, "000002", "0100", "030000", "preauth", 100, "00", a)
    b = led.add_hold(DEFAULT_TID, DEFAULT_MID, 1, "000003", "6222021234567890128", "2812",
                     200, "BBBBBB", "000000000002", "1126")
    led.add_txn(DEFAULT_TID, 1, "000003", "0100", "030000", "preauth", 200, "00", b)
    rec = {"batch": "000001", "voucher": "000002", "kind": "PREAUTH", "state": "OPEN",
           "amount": 100, "auth": "AAAAAA", "host_date": "1126", "orig": ["000000", "000000"],
           "next": ["000000", "000000"], "void_voucher": ""}
    dump = {"journal": [rec], "reversal": None, "failed": []}
    problems = faults.consistency(led, dump)
    assert any("000003" in p for p in problems), problems  # approved, not kept, not reversed
    assert not any("000002" in p for p in problems), problems
    led.mark_txn_reversed(ta)
    led.set_hold_state(a, "reversed")
    dump["reversal"] = {"f11": "000009"}
    problems = faults.consistency(led, dump)
    assert any("000002" in p for p in problems), problems  # journal open, host reversed
    assert any("pending" in p for p in problems), problems
    led.close()
