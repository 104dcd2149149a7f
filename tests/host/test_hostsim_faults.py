"""Fault injection, observed from the terminal's side of the socket."""

import itertools
import struct
import time

import pytest

from host_tools.hostsim.client import NoAnswer, PosClient
from host_tools.hostsim.ledger import Ledger
from host_tools.hostsim.process import running_hostsim
from host_tools.hostsim.spec import SpecError, split_frame

APPROVE = "6222021234567890128"
_blocks = itertools.count(1)
_amounts = itertools.count(70001)


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    db = tmp_path_factory.mktemp("hostsim") / "host.db"
    with running_hostsim(db) as (_, port):
        yield port, db


@pytest.fixture
def ledger(sim):
    led = Ledger(sim[1])
    yield led
    led.close()


@pytest.fixture
def term(sim):
    t = PosClient("127.0.0.1", sim[0], timeout=2)
    t.voucher = next(_blocks) * 1000
    with t:
        assert t.sign_in().rc == "00"
        yield t


def _fault(ledger, kind, **kw):
    amount = next(_amounts)
    ledger.add_fault(kind, amount=amount, count=1, **kw)
    return amount


def _hold_state(ledger, voucher):
    return [h["state"] for h in ledger.holds() if h["voucher"] == voucher]


def test_delay_answers_late_but_applies_at_once(term, ledger):
    amount = _fault(ledger, "delay", delay=0.3)
    t0 = time.monotonic()
    req, resp = term.preauth(APPROVE, amount)
    assert time.monotonic() - t0 >= 0.3 and resp.rc == "00"
    assert _hold_state(ledger, req[11]) == ["open"]


def test_no_answer_keeps_the_connection_and_applies(term, ledger):
    amount = _fault(ledger, "no_answer")
    term.sock.settimeout(0.4)
    req = term.financial_fields("10", "030000", APPROVE, amount)
    with pytest.raises(NoAnswer, match="timeout"):
        term.request("0100", req)
    assert _hold_state(ledger, req[11]) == ["open"]
    term.sock.settimeout(2)
    assert term.reversal(req).rc == "00"  # same connection still served
    assert _hold_state(ledger, req[11]) == ["reversed"]


@pytest.mark.parametrize("kind", ["close", "close_mid"])
def test_close_before_or_mid_frame(term, ledger, kind):
    amount = _fault(ledger, kind)
    req = term.financial_fields("10", "030000", APPROVE, amount)
    with pytest.raises(NoAnswer, match="closed") as exc:
        term.request("0100", req)
    if kind == "close_mid":
        assert "of" in str(exc.value) and not str(exc.value).startswith("closed after 0 of 2")
    assert _hold_state(ledger, req[11]) == ["open"]


def test_bad_mac(term, ledger):
    _, resp = term.preauth(APPROVE, _fault(ledger, "bad_mac"))
    assert resp.rc == "00" and 64 in resp.fields and not resp.mac_ok(term.mak)


def test_bad_mac_on_sign_in_spoils_the_check_values(term, ledger):
    ledger.add_fault("bad_mac", mti="0800", count=1)
    with pytest.raises(ValueError, match="check values"):
        term.sign_in()


@pytest.mark.parametrize(
    ("kind", "check"),
    [
        ("wrong_stan", lambda req, r: r.fields[11] != req[11] and r.mti == "0110"),
        ("wrong_tid", lambda req, r: r.fields[41] == "TERM9999"),
        ("wrong_mti", lambda req, r: r.mti == "0100"),
        ("proc3", lambda req, r: r.header.processing == 3 and r.rc == "00"),
    ],
)
def test_message_faults_keep_a_good_mac(term, ledger, kind, check):
    req, resp = term.preauth(APPROVE, _fault(ledger, kind))
    assert check(req, resp) and resp.mac_ok(term.mak)


def test_garbage(term, ledger):
    term.send_raw(term.encode("0100", term.financial_fields("10", "030000", APPROVE,
                                                              _fault(ledger, "garbage")), True))
    raw = term.recv_raw_frame()
    assert len(raw) == 40
    with pytest.raises(SpecError):
        split_frame(raw)


def test_oversize_len(term, ledger):
    req = term.financial_fields("10", "030000", APPROVE, _fault(ledger, "oversize_len"))
    term.send_raw(term.encode("0100", req, True))
    (length,) = struct.unpack(">H", term.sock.recv(2))
    assert length > 2048


def test_duplicate(term, ledger):
    req = term.financial_fields("10", "030000", APPROVE, _fault(ledger, "duplicate"))
    first = term.request("0100", req)
    second = term.recv()
    assert first.body == second.body and first.rc == "00"


def test_filters_and_one_shot(term, ledger):
    ledger.add_fault("proc3", pan="6222020000000000000", mti="0100", count=1)
    _, other_card = term.preauth(APPROVE, 100)
    assert other_card.header.processing == 0
    _, hit = term.preauth("6222020000000000000", 100)
    assert hit.header.processing == 3
    _, used_up = term.preauth("6222020000000000000", 100)
    assert used_up.header.processing == 0


def test_run_level_fault_from_the_cli(tmp_path):
    with running_hostsim(tmp_path / "h.db", "--fault", "delay", "--delay", "0.3") as (_, port):
        with PosClient("127.0.0.1", port) as t:
            t0 = time.monotonic()
            assert t.sign_in().rc == "00"
            assert time.monotonic() - t0 >= 0.3
