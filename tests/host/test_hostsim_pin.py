"""The host simulator verifies cardholder PINs (wire-format.md §8; docs/host-simulator.md,
"PIN verification"): the §8 vector, right and wrong PINs, the per-card count that locks at
the third wrong PIN (across terminals and restarts), PIN required, and the order of checks."""

import itertools
from pathlib import Path

import pytest

from host_tools.hostsim import crypto
from host_tools.hostsim.cards import CARD_PINS, MAX_PIN_TRIES, TEST_CARDS, luhn_ok
from host_tools.hostsim.client import PosClient
from host_tools.hostsim.ledger import Ledger
from host_tools.hostsim.process import HostProcess, admin, running_hostsim
from host_tools.hostsim.server import masked

APPROVE = "6222021234567890128"  # PIN 123456
VECTOR_PAN = "6222021234567890123"  # PIN 123456, the §8 vector card
NO_PIN = "6222020000000000000"  # second approval card: no PIN
SHORT_PIN = "6222020000000008888"  # PIN 8888
DECLINE_51 = "6222020000000000513"
VECTOR_PIK = bytes.fromhex("A1B2C3D4E5F60718293A4B5C6D7E8F90")
VECTOR_MAK = bytes.fromhex("1C2D3E4F5A6B7C8D")
OTHER_TID, OTHER_MID, OTHER_TMK = "TERM0002", "898310048990001", "00112233445566778899AABBCCDDEEFF"
_blocks = itertools.count(1)


# ------------------------------------------------------------ the PIN block

def test_the_wire_format_vector_encodes_and_decodes():
    assert crypto.pan_field(VECTOR_PAN).hex().upper() == "0000123456789012"
    f52 = crypto.pin_block(VECTOR_PIK, "123456", VECTOR_PAN)
    assert f52.hex().upper() == "2E31BB08A843460C"
    assert crypto.tdes_ecb_decrypt(VECTOR_PIK, f52).hex().upper() == "06122662A9876FED"
    assert crypto.pin_from_block(VECTOR_PIK, f52, VECTOR_PAN) == "123456"
    f52 = bytes.fromhex("75C2E1F5B0FD8BCC")
    assert crypto.tdes_ecb_decrypt(VECTOR_PIK, f52).hex().upper() == "04889ACBA9876FED"
    assert crypto.pin_from_block(VECTOR_PIK, f52, VECTOR_PAN) == "8888"
    assert crypto.pin_block(VECTOR_PIK, "8888", VECTOR_PAN) == f52


@pytest.mark.parametrize("pin_field", [
    "16123456FFFFFFFF",  # first nibble not 0 (format 1)
    "03123FFFFFFFFFFF",  # length 3
    "0D1234567890123F",  # length 13
    "06123456FFFFFFFE",  # fill not F
    "0612345AFFFFFFFF",  # a PIN digit that is not decimal
    "0412345FFFFFFFFF",  # a digit where the fill should be
])
def test_a_pin_field_not_in_format_0_decodes_to_none(pin_field):
    clear = bytes(a ^ b for a, b in zip(bytes.fromhex(pin_field),
                                        crypto.pan_field(VECTOR_PAN), strict=True))
    f52 = crypto.tdes_ecb_encrypt(VECTOR_PIK, clear)
    assert crypto.pin_from_block(VECTOR_PIK, f52, VECTOR_PAN) is None


def test_the_test_cards_pins():
    assert CARD_PINS == {APPROVE: "123456", VECTOR_PAN: "123456", SHORT_PIN: "8888"}
    assert NO_PIN in TEST_CARDS and NO_PIN not in CARD_PINS
    assert all(pan in TEST_CARDS and TEST_CARDS[pan][0] == "00" for pan in CARD_PINS)
    assert luhn_ok(SHORT_PIN) and MAX_PIN_TRIES == 3


def test_the_documented_card_table_is_the_code_s():
    doc = (Path(__file__).resolve().parents[2] / "docs" / "host-simulator.md").read_text()
    lines = doc.splitlines()
    start = lines.index("| PAN | answer | PIN | |") + 2
    rows = [line.split("|")[1:4] for line in lines[start : lines.index("", start)]]
    table = {pan.strip(" `"): (rc.strip(" `"), pin.strip(" `")) for pan, rc, pin in rows}
    assert table == {pan: (rc, CARD_PINS.get(pan, "none")) for pan, (rc, _) in
                     TEST_CARDS.items()}


def test_the_log_shows_the_pin_block_by_length_only():
    assert masked({52: bytes.fromhex("2E31BB08A843460C")}) == {52: "<8 bytes>"}


# ------------------------------------------------------- against the server

@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    db = tmp_path_factory.mktemp("hostsim") / "host.db"
    with running_hostsim(db, "--terminal", f"{OTHER_TID}:{OTHER_MID}:{OTHER_TMK}") as (_, port):
        yield port, db


@pytest.fixture
def ledger(sim):
    led = Ledger(sim[1])
    led.reset_pin_tries()  # every test starts with no card counted
    yield led
    led.close()


def _client(port, **kw):
    t = PosClient("127.0.0.1", port, timeout=3, **kw)
    t.voucher = next(_blocks) * 1000  # vouchers unique across the module's tests
    return t


@pytest.fixture
def term(sim, ledger):
    with _client(sim[0]) as t:
        assert t.sign_in().rc == "00"
        yield t


def _holds(ledger, req):
    return [h for h in ledger.holds() if h["voucher"] == req[11] and h["tid"] == req[41]]


def _txn_rc(ledger, req):
    return [t["rc"] for t in ledger.txns() if t["voucher"] == req[11] and t["tid"] == req[41]]


def test_right_pin_is_approved_and_no_pin_field_is_echoed(term, ledger):
    req, resp = term.preauth(APPROVE, 12345, pin="123456")
    assert req[22] == "011" and {26, 52, 53} <= req.keys()  # keyed, PIN entered
    assert resp.rc == "00" and resp.mac_ok(term.mak) and 38 in resp.fields
    assert not {22, 26, 52, 53} & resp.fields.keys()
    assert [h["state"] for h in _holds(ledger, req)] == ["open"]
    rev = term.reversal(req)
    assert rev.rc == "00" and not {26, 52, 53} & rev.fields.keys()
    assert ledger.pin_state(APPROVE) == (0, False)


def test_swiped_with_pin_and_the_four_digit_pin_card(term):
    req, resp = term.preauth(APPROVE, 100, track2=True)  # the card's PIN, 123456
    assert req[22] == "021" and resp.rc == "00"
    _, resp = term.preauth(SHORT_PIN, 100, pin="8888")
    assert resp.rc == "00"
    _, resp = term.preauth(SHORT_PIN, 100, pin="888800")
    assert resp.rc == "55"


def test_wrong_pin_is_55_and_no_authorization(term, ledger):
    req, resp = term.preauth(APPROVE, 12345, pin="654321")
    assert resp.rc == "55" and 38 not in resp.fields and resp.mac_ok(term.mak)
    assert not {26, 52, 53} & resp.fields.keys()
    assert _holds(ledger, req) == [] and _txn_rc(ledger, req) == ["55"]
    assert ledger.pin_state(APPROVE) == (1, False)
    assert term.reversal(req).rc == "00"  # a declined request: nothing to undo


def test_third_wrong_pin_locks_the_card_until_reset(term, ledger, sim):
    rcs = [term.preauth(APPROVE, 100, pin="111111")[1].rc for _ in range(3)]
    assert rcs == ["55", "55", "75"]
    assert ledger.pin_state(APPROVE) == (3, True)
    req, resp = term.preauth(APPROVE, 100, pin="123456")  # the right PIN: still locked
    assert resp.rc == "75" and _holds(ledger, req) == [] and _txn_rc(ledger, req) == ["75"]
    assert term.preauth(APPROVE, 100, pin="999999")[1].rc == "75"
    assert ledger.pin_state(APPROVE) == (3, True)
    # the same PIN on another card of the same PIN is not locked
    assert term.preauth(VECTOR_PAN, 100, pin="123456")[1].rc == "00"
    assert "locked" in admin(sim[1], "pin", "list")
    assert "reset for 622202****0128 (1 card had some)" in admin(
        sim[1], "pin", "reset", "--pan", APPROVE)
    assert ledger.pin_state(APPROVE) == (0, False)
    assert term.preauth(APPROVE, 100, pin="123456")[1].rc == "00"


def test_right_pin_after_two_wrong_starts_the_count_again(term, ledger):
    rcs = [term.preauth(APPROVE, 100, pin=p)[1].rc
           for p in ("000000", "000000", "123456", "000000", "000000")]
    assert rcs == ["55", "55", "00", "55", "55"]
    assert ledger.pin_state(APPROVE) == (2, False)
    assert term.preauth(APPROVE, 100, pin="000000")[1].rc == "75"


def test_the_count_is_per_card_across_terminals_and_transactions(sim, term, ledger):
    with _client(sim[0], tid=OTHER_TID, tmk=bytes.fromhex(OTHER_TMK)) as other:
        assert other.sign_in().rc == "00"
        req, resp = term.preauth(APPROVE, 20000)
        assert resp.rc == "00"
        code, date = resp.fields[38], resp.fields[13]
        assert term.preauth(APPROVE, 100, pin="222222")[1].rc == "55"
        assert other.preauth(APPROVE, 100, pin="222222")[1].rc == "55"
        # a completion on the first terminal is the third wrong PIN in a row
        creq = term.financial_fields("20", "000000", APPROVE, 20000, pin="222222")
        creq[38], creq[61] = code, f"{term.batch:06d}{req[11]}{date}"
        assert term.request("0200", dict(sorted(creq.items()))).rc == "75"
        assert [h["state"] for h in _holds(ledger, req)] == ["open"]  # not completed
        assert other.preauth(APPROVE, 100, pin="123456")[1].rc == "75"


def test_the_count_survives_a_restart(tmp_path):
    db = tmp_path / "host.db"
    host = HostProcess(db)
    port = host.start()
    try:
        with _client(port) as t:
            assert t.sign_in().rc == "00"
            assert [t.preauth(APPROVE, 100, pin="4444")[1].rc for _ in range(2)] == ["55", "55"]
        host.stop()
        host.start()
        with _client(port) as t:
            assert t.sign_in().rc == "00"
            assert t.preauth(APPROVE, 100, pin="4444")[1].rc == "75"
        host.stop()
        host.start()
        with _client(port) as t:
            assert t.sign_in().rc == "00"
            assert t.preauth(APPROVE, 100, pin="123456")[1].rc == "75"
            listed = admin(db, "pin", "list")
            assert "622202****0128" in listed and "3/3" in listed and APPROVE not in listed
            assert "every card (1 card had some)" in admin(db, "pin", "reset")  # while it runs
            assert t.preauth(APPROVE, 100, pin="123456")[1].rc == "00"
    finally:
        host.stop()


def test_a_pin_card_without_a_pin_is_55(term, ledger):
    req, resp = term.preauth(APPROVE, 100, pin=None)
    assert req[22] == "012" and not {26, 52, 53} & req.keys()
    assert resp.rc == "55" and _holds(ledger, req) == []
    req, resp = term.preauth(APPROVE, 100, pin=None, track2=True)
    assert req[22] == "022" and resp.rc == "55"
    # a completion without a PIN too
    preq, presp = term.preauth(APPROVE, 5000)
    creq = term.financial_fields("20", "000000", APPROVE, 5000, pin=None)
    creq[38], creq[61] = presp.fields[38], f"{term.batch:06d}{preq[11]}{presp.fields[13]}"
    assert term.request("0200", dict(sorted(creq.items()))).rc == "55"
    assert [h["state"] for h in _holds(ledger, preq)] == ["open"]
    assert ledger.pin_state(APPROVE) == (0, False)  # asking for a PIN is not a wrong PIN


def test_a_card_without_a_pin(term, ledger):
    req, resp = term.preauth(NO_PIN, 100)
    assert req[22] == "012" and resp.rc == "00"
    # a PIN block for it is ignored: approved whatever was typed, and nothing counted
    _, resp = term.preauth(NO_PIN, 100, pin="0000")
    assert resp.rc == "00"
    assert ledger.pin_tries() == []
    # the declining cards have no PIN: they decline with or without one
    assert term.preauth(DECLINE_51, 100, pin=None)[1].rc == "51"
    assert term.preauth(DECLINE_51, 100, pin="123456")[1].rc == "51"


def test_voids_need_no_pin_but_a_pin_in_one_is_checked(term, ledger):
    req, resp = term.preauth(APPROVE, 30000)
    code, date = resp.fields[38], resp.fields[13]
    vreq, vresp = term.void(APPROVE, 30000, code, term.batch, req[11], date)
    assert vreq[22] == "012" and 52 not in vreq and vresp.rc == "00"
    req, resp = term.preauth(APPROVE, 31000)
    code, date = resp.fields[38], resp.fields[13]
    _, vresp = term.void(APPROVE, 31000, code, term.batch, req[11], date, pin="000000")
    assert vresp.rc == "55" and [h["state"] for h in _holds(ledger, req)] == ["open"]
    _, vresp = term.void(APPROVE, 31000, code, term.batch, req[11], date, pin="123456")
    assert vresp.rc == "00" and [h["state"] for h in _holds(ledger, req)] == ["voided"]


def test_a_locked_card_can_still_be_voided_and_reversed(term, ledger):
    req, resp = term.preauth(APPROVE, 32000)
    code, date = resp.fields[38], resp.fields[13]
    rcs = [term.preauth(APPROVE, 100, pin="121212")[1].rc for _ in range(3)]
    assert rcs[-1] == "75"
    vreq, vresp = term.void(APPROVE, 32000, code, term.batch, req[11], date)
    assert vresp.rc == "00"
    assert term.reversal(vreq, "98", auth_code=code).rc == "00"  # 22 = 012, no 26/52/53
    assert [h["state"] for h in _holds(ledger, req)] == ["open"]


def test_the_wire_format_vector_block_over_the_wire(sim, ledger):
    """F52 of §8, byte for byte: the terminal's PIK set to the vector's."""
    with _client(sim[0], tid=OTHER_TID, tmk=bytes.fromhex(OTHER_TMK)) as t:
        assert t.sign_in().rc == "00"
        ledger.set_keys(OTHER_TID, VECTOR_PIK, VECTOR_MAK)
        t.pik, t.mak = VECTOR_PIK, VECTOR_MAK
        req = t.financial_fields("10", "030000", VECTOR_PAN, 100)
        assert req[52] == bytes.fromhex("2E31BB08A843460C")  # the card's PIN, 123456
        assert t.request("0100", req).rc == "00"
        req = t.financial_fields("10", "030000", VECTOR_PAN, 100, pin=None)
        req.update({22: "011", 26: "12", 52: bytes.fromhex("75C2E1F5B0FD8BCC"),
                    53: "2600000000000000"})  # PIN 8888
        assert t.request("0100", dict(sorted(req.items()))).rc == "55"
        assert ledger.pin_state(VECTOR_PAN) == (1, False)


def test_a_malformed_pin_block_is_a_wrong_pin(term, ledger):
    clear = bytes(a ^ b for a, b in zip(bytes.fromhex("16123456FFFFFFFF"),
                                        crypto.pan_field(APPROVE), strict=True))
    req = term.financial_fields("10", "030000", APPROVE, 100)
    req[52] = crypto.tdes_ecb_encrypt(term.pik, clear)
    assert term.request("0100", req).rc == "55"
    req = term.financial_fields("10", "030000", APPROVE, 100)
    req[52] = bytes(8)
    assert term.request("0100", req).rc == "55"
    assert ledger.pin_state(APPROVE) == (2, False)


@pytest.mark.parametrize(("change", "drop"), [
    ({}, 52),  # 22.2 = 1 without 52
    ({}, 26),
    ({}, 53),
    ({53: "1600000000000000"}, None),  # another security control
    ({22: "012"}, 52),  # 22.2 = 2 with 26 and 53
    ({22: "013"}, None),  # 22.2 neither 1 nor 2
])
def test_pin_fields_that_break_section_3_are_30(term, ledger, change, drop):
    req = term.financial_fields("10", "030000", APPROVE, 100)
    assert req[22] == "011"
    req.update(change)
    req.pop(drop, None)
    resp = term.request("0100", req)
    assert resp.rc == "30" and resp.mac_ok(term.mak)
    assert _txn_rc(ledger, req) == [] and ledger.pin_state(APPROVE) == (0, False)


def test_mac_and_duplicate_checks_come_before_the_pin(term, ledger):
    req = term.financial_fields("10", "030000", APPROVE, 100, pin="000000")
    good, term.mak = term.mak, bytes(8)
    resp = term.request("0100", req)
    term.mak = good
    assert resp.rc == "A0" and ledger.pin_state(APPROVE) == (0, False)
    req, resp = term.preauth(APPROVE, 100)
    assert resp.rc == "00"
    again = term.financial_fields("10", "030000", APPROVE, 100, voucher=req[11], pin="000000")
    assert term.request("0100", again).rc == "94"
    assert ledger.pin_state(APPROVE) == (0, False)
