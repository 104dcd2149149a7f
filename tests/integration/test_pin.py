"""The cardholder's PIN end to end (issue 17, wire-format.md §8): the real firmware on the
simulator board against the host simulator, every byte between them through a relay on
plain TCP so the test reads the requests as they left the terminal.

A right PIN is approved and its field 52 decrypts, under the PIK the host issued, to the
§8 clear block; a wrong one is declined 55, and the third wrong one in a row 75; a card
without a PIN goes with ENTER alone (22 = 022, no 26/52/53); CANCEL at the PIN screen
sends nothing; a completion asks for the PIN, a void does not; a reversal leaves 26, 52
and 53 out; the PIN screen shows one star a digit and the amount; and no form of the PIN
is on flash afterwards."""

import re

import pytest
from Crypto.Cipher import DES3

from host_tools import keypad
from host_tools.campaign import atrest
from host_tools.hostsim.process import running_hostsim
from host_tools.hostsim.relay import Relay
from host_tools.hostsim.spec import split_frame, unpack
from host_tools.simctl import SimTerminal
from tests.integration import flows

PAN, PIN = flows.APPROVE_PAN, flows.PIN
LOCK_PAN, LOCK_PIN = "6222020000000008888", "8888"  # the host's card with a 4-digit PIN
TIMEOUTS = {"response_timeout_s": 2, "connect_timeout_s": 2}
SECURITY = "2600000000000000"


class Counter:
    def __init__(self, tmp_path, relay, db):
        self.dir = tmp_path / "term"
        self.relay, self.db = relay, db
        self.term = SimTerminal(self.dir, config={"port": relay.port, "tls": False,
                                                  **TIMEOUTS})

    def requests(self):
        """Every request the terminal sent so far, (MTI, fields), in order."""
        wire, out = bytes(self.relay.to_host), []
        while len(wire) >= 2:
            n = int.from_bytes(wire[:2], "big")
            _tpdu, _hdr, body = split_frame(wire[2:2 + n])
            out.append(unpack(body))
            wire = wire[2 + n:]
        return out

    def financial(self, mti, proc):
        return [f for m, f in self.requests() if m == mti and f.get(3) == proc]

    def pik(self):
        """The clear PIK the host issued at the terminal's last sign-in."""
        _tmk, pik, _mak = atrest.flash_secrets(self.db)
        return pik


@pytest.fixture
def counter(tmp_path):
    db = tmp_path / "host.db"
    with running_hostsim(db, "--plain") as (_p, port), Relay(port) as relay:
        c = Counter(tmp_path, relay, db)
        c.term.start()
        try:
            flows.at_menu(c.term, 30)
            yield c
        finally:
            c.term.stop()


def _clear_block(f52: bytes, pik: bytes) -> bytes:
    return DES3.new(pik, DES3.MODE_ECB).decrypt(f52)


def _back(term, text):
    term.press("ENTER")
    flows.at_menu(term, 20)
    return text


def test_right_pin_approved_and_field_52_is_the_s8_block(counter):
    term = counter.term
    flows.approved_preauth(term, 12345)
    (req,) = counter.financial("0100", "030000")
    assert req[22] == "021" and req[26] == "12" and req[53] == SECURITY
    assert len(req[52]) == 8
    want = atrest.pin_forms(PIN, PAN)[2]  # the §8 clear block of this PIN and PAN
    assert _clear_block(req[52], counter.pik()) == want
    # nothing of the PIN on flash: the PIN field, the clear block, field 52
    image = (counter.dir / "flash.img").read_bytes()
    forms = atrest.pin_forms(PIN, PAN, counter.pik())[1:]
    assert atrest.check_image(image, [], forms) == []
    slips = [r.text for r in term.receipts()]
    assert slips and atrest.check_texts(slips, [PAN], pins=[PIN]) == []


def test_wrong_pin_is_55_then_the_right_one_approves(counter):
    term = counter.term
    text = flows.preauth(term, 5000, pin="654321")
    assert "密码错误" in text and "55" in text and "超限" not in text, text
    _back(term, text)
    flows.approved_preauth(term, 5000)
    first, second = counter.financial("0100", "030000")
    assert _clear_block(first[52], counter.pik()) == atrest.pin_forms("654321", PAN)[2]
    assert first[11] != second[11]
    assert [h["state"] for h in flows.holds(counter.db)] == ["open"]  # only the approval


def test_three_wrong_pins_are_75_and_lock_the_card(counter):
    term = counter.term
    for i, want in enumerate(("55", "55", "75")):
        text = flows.preauth(term, 100 + i, pan=LOCK_PAN, pin="1111")
        assert want in text, (i, text)
        _back(term, text)
    assert "密码错误次数超限" in text
    text = flows.preauth(term, 104, pan=LOCK_PAN, pin=LOCK_PIN)  # right, but locked
    assert "75" in text, text
    _back(term, text)
    assert flows.holds(counter.db) == []


def test_a_card_without_pin_goes_with_enter_alone(counter):
    term = counter.term
    flows.approved_preauth(term, 3000, pan=flows.NO_PIN_PAN, pin="")
    (req,) = counter.financial("0100", "030000")
    assert req[22] == "022" and not {26, 52, 53} & set(req), req


def test_cancel_at_the_pin_screen_sends_nothing(counter):
    term = counter.term
    term.press("1")
    term.wait_for("请输入金额")
    term.type("2000")
    term.press("ENTER")
    term.wait_for("请刷卡或输卡号")
    term.swipe(PAN, flows.EXPIRY)
    s = term.wait_for(keypad.PIN_PROMPT)
    assert "RMB 20.00" in s.text, s.text  # the cardholder sees what the PIN authorizes
    term.type("1234")
    s = term.wait_for("****")
    assert "1234" not in s.text and "****" in s.text, s.text
    sent = len(counter.requests())
    term.press("CANCEL")
    flows.at_menu(term, 20)
    assert len(counter.requests()) == sent
    assert counter.financial("0100", "030000") == []


def test_completion_asks_for_the_pin_and_the_void_does_not(counter):
    term = counter.term
    auth = flows.approved_preauth(term, 10000)
    (h,) = flows.holds(counter.db)
    text = flows.completion(term, "voucher", h["voucher"], 8000)
    flows.approved(term, text)
    (comp,) = counter.financial("0200", "000000")
    assert comp[22] == "021" and comp[26] == "12" and comp[53] == SECURITY
    assert _clear_block(comp[52], counter.pik()) == atrest.pin_forms(PIN, PAN)[2]
    auth2 = flows.approved_preauth(term, 500)
    h2 = [h for h in flows.holds(counter.db) if h["auth_code"] == auth2][0]
    text = flows.void_by_voucher(term, h2["voucher"])  # no PIN screen on the way
    flows.approved(term, text)
    (void,) = counter.financial("0100", "200000")
    assert void[22] == "022" and not {26, 52, 53} & set(void), void
    assert auth != auth2


def test_a_reversal_leaves_the_pin_fields_out(counter):
    term = counter.term
    flows.admin(counter.db, "fault", "add", "no_answer", "--mti", "0100", "--count", "1")
    text = flows.preauth(term, 777)
    assert "交易超时" in text, text
    _back(term, text)
    flows.approved_preauth(term, 888)  # the pending reversal goes first
    reqs = counter.requests()
    (rev,) = [f for m, f in reqs if m == "0400"]
    orig = counter.financial("0100", "030000")[0]
    assert 52 in orig and orig[11] == rev[11]
    assert rev[22] == "021" and not {26, 35, 52, 53} & set(rev), rev
    assert re.fullmatch(r"98", rev[39])
