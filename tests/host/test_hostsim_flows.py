"""The host simulator over real TCP (CLI subprocess): sign-in, pre-auth, void, reversal."""

import itertools

import pytest

from host_tools.hostsim import crypto
from host_tools.hostsim.client import PosClient
from host_tools.hostsim.ledger import Ledger
from host_tools.hostsim.process import running_hostsim

APPROVE = "6222021234567890128"
VECTOR_PAN = "6222021234567890123"
OTHER_TID, OTHER_MID, OTHER_TMK = "TERM0002", "898310048990002", "00112233445566778899AABBCCDDEEFF"
_blocks = itertools.count(1)


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    db = tmp_path_factory.mktemp("hostsim") / "host.db"
    with running_hostsim(db, "--terminal", f"{OTHER_TID}:{OTHER_MID}:{OTHER_TMK}") as (_, port):
        yield port, db


@pytest.fixture
def term(sim):
    t = PosClient("127.0.0.1", sim[0], timeout=3)
    t.voucher = next(_blocks) * 1000  # vouchers unique across the module's tests
    with t:
        assert t.sign_in().rc == "00"
        yield t


@pytest.fixture
def ledger(sim):
    led = Ledger(sim[1])
    yield led
    led.close()


def test_sign_in_keys_unwrap_under_the_tmk(sim):
    with PosClient("127.0.0.1", sim[0]) as t:
        t.voucher = next(_blocks) * 1000
        resp = t.sign_in()
    assert resp.mti == "0810" and resp.rc == "00"
    f62 = resp.fields[62]
    assert len(f62) == 40
    tmk = t.tmk
    pik = crypto.tdes_ecb_decrypt(tmk, f62[:16])
    mak_block = crypto.tdes_ecb_decrypt(tmk, f62[20:36])
    assert mak_block[8:] == bytes(8)
    assert crypto.kcv(pik) == f62[16:20] and crypto.kcv(mak_block[:8]) == f62[36:40]
    assert resp.fields[60] == "00000001003"  # 60.2 = batch 000001
    assert resp.fields[11] == f"{t.voucher:06d}" and resp.fields[41] == "TERM0001"
    assert {12, 13, 37} <= resp.fields.keys() and 64 not in resp.fields
    assert resp.tpdu.to_bytes() == bytes.fromhex("6000000003")  # addresses swapped
    assert resp.header.processing == 0


def test_sign_in_with_another_terminal_and_unknown_tid(sim):
    with PosClient("127.0.0.1", sim[0], tid=OTHER_TID, mid=OTHER_MID,
                      tmk=bytes.fromhex(OTHER_TMK)) as t:
        assert t.sign_in().rc == "00"  # check values verified under TERM0002's TMK
    with PosClient("127.0.0.1", sim[0], tid="NOSUCH01") as t:
        resp = t.sign_in()
    assert resp.rc == "58" and 62 not in resp.fields


def test_echo(term):
    resp = term.request("0820", {11: term.next_voucher(), 41: term.tid, 42: term.mid,
                                 60: term.f60("00", "301", financial=False)})
    assert resp.mti == "0830" and resp.rc == "00"


def test_preauth_approved_has_the_listed_fields(term, ledger):
    req, resp = term.preauth(APPROVE, 12345)
    assert resp.mti == "0110" and resp.rc == "00" and resp.mac_ok(term.mak)
    for no in (2, 3, 4, 11, 14, 25, 41, 42, 49, 60):
        assert resp.fields[no] == req[no]
    code = resp.fields[38]
    assert len(code) == 6 and code.isalnum() and code == code.upper()
    assert len(resp.fields[37]) == 12 and resp.fields[63] == "CUP"
    assert list(resp.fields)[-1] == 64
    hold = [h for h in ledger.holds() if h["auth_code"] == code][0]
    assert (hold["pan"], hold["amount"], hold["state"]) == (APPROVE, 12345, "open")
    assert hold["host_date"] == resp.fields[13] and hold["rrn"] == resp.fields[37]


def test_swiped_preauth_and_vector_card(term):
    _, resp = term.preauth(APPROVE, 100, track2=True)
    assert resp.rc == "00"
    _, resp = term.preauth(VECTOR_PAN, 12345)
    assert resp.rc == "00"


@pytest.mark.parametrize(
    ("pan", "amount", "expiry", "rc"),
    [
        ("6222020000000000018", 100, "2812", "01"),
        ("6222020000000000059", 100, "2812", "05"),
        ("6222020000000000141", 100, "2812", "14"),
        ("6222020000000000001", 100, "2812", "14"),  # fails Luhn
        ("6222020000000000513", 100, "2812", "51"),
        ("6222020000000000547", 100, "2812", "54"),
        (APPROVE, 100, "1901", "54"),  # expiry in the past
        ("6222020000000000612", 100, "2812", "61"),
        (APPROVE, 5_000_001, "2812", "61"),  # above 50,000.00
        (APPROVE, 5_000_000, "2812", "00"),
        ("6222020000000000968", 100, "2812", "96"),
        (APPROVE, 0, "2812", "13"),
    ],
)
def test_preauth_test_card_table(term, pan, amount, expiry, rc):
    _, resp = term.preauth(pan, amount, expiry=expiry)
    assert resp.rc == rc and resp.mac_ok(term.mak)
    assert (38 in resp.fields) == (rc == "00")


def _approved(term, amount=20000, pan=APPROVE):
    req, resp = term.preauth(pan, amount)
    assert resp.rc == "00"
    return req, resp


def test_void_by_voucher_then_again(term, ledger):
    req, resp = _approved(term)
    code, date = resp.fields[38], resp.fields[13]
    vreq, vresp = term.void(APPROVE, 20000, code, term.batch, req[11], date)
    assert vresp.rc == "00" and vresp.fields[38] == code and vresp.mac_ok(term.mak)
    assert [h["state"] for h in ledger.holds() if h["auth_code"] == code] == ["voided"]
    _, again = term.void(APPROVE, 20000, code, term.batch, req[11], date)
    assert again.rc == "12"


def test_void_keyed_in_by_auth_code_pan_and_date(term):
    _, resp = _approved(term, 30000)
    code, date = resp.fields[38], resp.fields[13]
    _, vresp = term.void(APPROVE, 30000, code, 0, "000000", date)
    assert vresp.rc == "00"


def test_void_not_found_wrong_amount_duplicate(term):
    req, resp = _approved(term, 40000)
    code, date = resp.fields[38], resp.fields[13]
    _, r = term.void(APPROVE, 40000, "ZZZZZZ", 0, "000000", date)
    assert r.rc == "25"
    _, r = term.void(APPROVE, 40000, code, term.batch, "999999", date)
    assert r.rc == "25"
    _, r = term.void(APPROVE, 40001, code, term.batch, req[11], date)
    assert r.rc == "64"
    # the same F11 again in this batch (the 64 above used it): duplicate
    _, r = term.void(APPROVE, 40000, code, term.batch, req[11], date, voucher=f"{term.voucher:06d}")
    assert r.rc == "94"
    _, r = term.void(APPROVE, 40000, code, term.batch, req[11], date)
    assert r.rc == "00"


def test_reversal_of_preauth_releases_hold_and_is_idempotent(term, ledger):
    req, resp = _approved(term, 50000)
    code, date = resp.fields[38], resp.fields[13]
    r = term.reversal(req, "98")
    assert r.mti == "0410" and r.rc == "00" and r.mac_ok(term.mak)
    assert [h["state"] for h in ledger.holds() if h["auth_code"] == code] == ["reversed"]
    r = term.reversal(req, "98")
    assert r.rc == "00"
    outcomes = [x["outcome"] for x in ledger.reversals() if x["voucher"] == req[11]]
    assert outcomes == ["pre-auth reversed, hold released", "repeat"]
    _, v = term.void(APPROVE, 50000, code, term.batch, req[11], date)
    assert v.rc == "25"  # a reversed pre-auth is gone


def test_reversal_of_void_reopens_the_hold(term, ledger):
    req, resp = _approved(term, 60000)
    code, date = resp.fields[38], resp.fields[13]
    vreq, vresp = term.void(APPROVE, 60000, code, term.batch, req[11], date)
    assert vresp.rc == "00"
    r = term.reversal(vreq, "A0", auth_code=code)
    assert r.rc == "00" and r.fields[38] == code
    assert [h["state"] for h in ledger.holds() if h["auth_code"] == code] == ["open"]
    _, again = term.void(APPROVE, 60000, code, term.batch, req[11], date)
    assert again.rc == "00"


def test_reversal_without_original_is_25(term):
    req = term.financial_fields("10", "030000", APPROVE, 100)
    assert term.reversal(req).rc == "25"


def test_bad_mac_and_unsigned_terminal_get_a0_without_mac(term, sim):
    req = term.financial_fields("10", "030000", APPROVE, 100)
    good = term.mak
    term.mak = bytes(8)
    resp = term.request("0100", req)
    term.mak = good
    assert resp.rc == "A0" and 64 not in resp.fields and resp.fields[11] == req[11]
    # a request without field 64
    resp = term.request("0100", term.financial_fields("10", "030000", APPROVE, 100), mac=False)
    assert resp.rc == "A0" and 64 not in resp.fields
    # the F11 of an A0'd request was not applied: the terminal may reverse it (25)
    assert term.reversal(req).rc == "25"


def test_completion_and_completion_void(term, ledger):
    req, resp = _approved(term, 10000)
    code, date = resp.fields[38], resp.fields[13]
    creq = term.financial_fields("20", "000000", APPROVE, 11500)
    creq[38], creq[61] = code, f"{term.batch:06d}{req[11]}{date}"
    cresp = term.request("0200", dict(sorted(creq.items())))
    assert cresp.mti == "0210" and cresp.rc == "00" and cresp.fields[63] == "CUP"
    assert [h["state"] for h in ledger.holds() if h["auth_code"] == code] == ["completed"]
    _, v = term.void(APPROVE, 10000, code, term.batch, req[11], date)
    assert v.rc == "12"
    cv = term.financial_fields("21", "200000", APPROVE, 11500)
    cv[37], cv[38] = cresp.fields[37], code
    cv[61] = f"{term.batch:06d}{creq[11]}{cresp.fields[13]}"
    cvresp = term.request("0200", dict(sorted(cv.items())))
    assert cvresp.rc == "00"
    assert [c["state"] for c in ledger.completions() if c["auth_code"] == code] == ["voided"]
    assert term.reversal(cv).rc == "00"
    assert [c["state"] for c in ledger.completions() if c["auth_code"] == code] == ["standing"]


def test_completion_over_115_percent_is_13(term):
    req, resp = _approved(term, 10000)
    creq = term.financial_fields("20", "000000", APPROVE, 11501)
    creq[38], creq[61] = resp.fields[38], f"{term.batch:06d}{req[11]}{resp.fields[13]}"
    assert term.request("0200", dict(sorted(creq.items()))).rc == "13"


def test_settlement_advances_the_batch(sim):
    # a terminal of its own so the other tests' batch stays 000001
    with PosClient("127.0.0.1", sim[0], tid=OTHER_TID, mid=OTHER_MID,
                      tmk=bytes.fromhex(OTHER_TMK)) as t:
        assert t.sign_in().rc == "00" and t.batch == 1
        f48 = "0" * 15 + "0" * 15 + "0" + "0" * 31
        resp = t.request("0500", {11: t.next_voucher(), 41: t.tid, 42: t.mid, 48: f48,
                                  49: "156", 60: t.f60("00", "201", financial=False),
                                  63: "001"})
        assert resp.mti == "0510" and resp.rc == "00"
        assert resp.fields[48][30] == "1" and resp.fields[60] == "00000001201"
        assert t.sign_in().rc == "00" and t.batch == 2
