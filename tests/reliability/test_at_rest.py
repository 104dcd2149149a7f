"""Data at rest and on paper (host_tools/campaign/atrest.py, docs/security-at-rest.md).

The checks themselves first (they must find what they are meant to find), then a full
scenario on the real terminal: a swiped pre-auth, its void, a keyed-card pre-auth, a
pre-auth and its completion with the cardholder's PIN, a pre-auth of the card whose PIN is
8888, a password change in 管理 and a pre-auth left with its reversal pending (the host's
answer lost); every pre-auth and the completion take a PIN. Then the raw flash image holds
no PAN (ASCII or BCD at either nibble offset), no supervisor password, no clear TMK / PIK
/ MAK, no form of either PIN (atrest.pin_forms: digits, PIN field, clear block, field 52),
receipts and screens show card numbers masked (first 6 + last 4) and no PIN, and the
terminal's log has no PIN either. (8888 is also that card's last 4 digits, which the
masked card number keeps: its digits are not searched, its other forms are.)"""

import re

import pytest

from host_tools import keypad
from host_tools.campaign import atrest
from host_tools.campaign.monkey import change_password
from host_tools.hostsim.process import running_hostsim
from host_tools.simctl import SimTerminal
from tests.integration import flows

PAN = "6222021234567890128"
PIN8_PAN, PIN8 = "6222020000000008888", "8888"  # the host's card with a 4-digit PIN


def test_check_image_finds_pans_in_every_form():
    base = bytes(range(256)) * 8
    assert atrest.check_image(base, [PAN], [b"\x01\x23\x45\x67\x89\xab\xcd\xef"]) == []
    ascii_ = base + PAN.encode() + base
    bcd_even = base + bytes.fromhex(PAN + "F") + base
    bcd_odd = base + bytes.fromhex("0" + PAN) + base
    for image in (ascii_, bcd_even, bcd_odd):
        assert atrest.check_image(image, [PAN], []), image[2048:2060].hex()


def test_check_image_finds_secrets():
    key = bytes.fromhex("0123456789ABCDEFFEDCBA9876543210")
    for image in (b"\xff" * 100 + key, b"x" * 9 + key.hex().encode(),
                  b"y" * 5 + key.hex().upper().encode()):
        assert atrest.check_image(image, [], [key])
    assert atrest.check_image(b"pw=739104882615;", [], ["739104882615"])
    assert atrest.check_image(b"\x00" + bytes.fromhex("739104882615") + b"\x00", [],
                              ["739104882615"])
    assert atrest.check_image(b"\xff" * 64, [PAN], [key, "739104882615"]) == []


def test_pin_forms_are_the_wire_formats_vector():
    """wire-format.md §8: PIN 123456 with PAN 6222021234567890123 under the §7 PIK."""
    pik = bytes.fromhex("A1B2C3D4E5F60718293A4B5C6D7E8F90")
    forms = atrest.pin_forms("123456", "6222021234567890123", pik)
    assert forms == ["123456", bytes.fromhex("06123456FFFFFFFF"),
                     bytes.fromhex("06122662A9876FED"), bytes.fromhex("2E31BB08A843460C")]
    assert atrest.pin_forms("8888", "6222021234567890123", pik)[2:] == [
        bytes.fromhex("04889ACBA9876FED"), bytes.fromhex("75C2E1F5B0FD8BCC")]


def test_check_image_finds_a_pin_in_every_form():
    pik = bytes.fromhex("A1B2C3D4E5F60718293A4B5C6D7E8F90")
    base = bytes(range(256)) * 8
    forms = atrest.pin_forms("870415", PAN, pik)
    assert atrest.check_image(base, [], forms) == []
    for data in (b"870415", bytes.fromhex("00870415"), *forms[1:],
                 *(f.hex().encode() for f in forms[1:])):
        assert atrest.check_image(base + data + base, [], forms), data


def test_check_texts_finds_a_pin():
    assert atrest.check_texts(["请持卡人输入密码\n******"], [], pins=["870415"]) == []
    assert atrest.check_texts(["RMB 8704.15", "ref 18704150"], [], pins=["870415"]) == []
    for text in ("PIN 870415", "请输入卡号:\n870415", "pin=870415;"):
        assert atrest.check_texts([text], [], pins=["870415"]), text


def test_check_texts():
    ok = ["卡号(CARD NO.):   622202****0128", "卡号:622202*********0128", "金额:123.45"]
    assert atrest.check_texts(ok, [PAN]) == []
    bad = ["卡号: " + PAN, "622202 1234 5678 90128", "6222021*****0128", "622202****90128",
           "card 6222020000000000000"]
    for text in bad:
        assert atrest.check_texts([text], [PAN]), text
    # the keyed card-number entry echoes what is typed: exempt
    assert atrest.check_texts(["预授权\n请输入卡号:\n" + PAN], [PAN]) == []


@pytest.fixture
def scenario(tmp_path):
    with running_hostsim(tmp_path / "host.db") as (_proc, port):
        yield tmp_path / "host.db", port


def test_full_scenario_leaves_nothing_readable(tmp_path, scenario):
    db, port = scenario
    lost = "6222020000000000000"  # second approval card: its answer will be lost
    password = "739104882615"
    term = SimTerminal(tmp_path / "terminal", config={
        "port": port, "response_timeout_s": 2, "connect_timeout_s": 2})
    screens: list[str] = []

    def seen():
        screens.append(term.screen().text)

    with term:
        flows.at_menu(term, 30)
        auth = flows.approved_preauth(term, 12345)  # swiped
        assert auth
        text = flows.void_by_voucher(term, "2")
        screens.append(text)
        assert "交易成功" in text, text
        term.press("ENTER")
        flows.finish_receipts(term)
        # keyed card
        flows.at_menu(term)
        term.press("1")
        term.wait_for("请输入金额")
        term.type("2500")
        term.press("ENTER")
        flows.enter_card(term, flows.OTHER_PAN, swipe=False)
        screens.append(term.wait_for("确认键继续").text)
        term.press("ENTER")
        text = term.wait_for(flows.DONE, 30).text
        screens.append(text)
        assert "交易成功" in text, text
        term.press("ENTER")
        flows.finish_receipts(term)
        # a pre-auth and its completion, each with the cardholder's PIN
        auth = flows.approved_preauth(term, 5000)
        (hold,) = [h for h in flows.holds(db) if h["auth_code"] == auth]
        flows.approved(term, flows.completion(term, "voucher", hold["voucher"], 4500))
        # the card whose PIN is 8888, the PIN screen as the cardholder sees it
        flows.at_menu(term)
        term.press("1")
        term.wait_for("请输入金额")
        term.type("3300")
        term.press("ENTER")
        term.wait_for("请刷卡或输卡号")
        term.swipe(PIN8_PAN, flows.EXPIRY)
        term.wait_for(keypad.PIN_PROMPT)
        term.type(PIN8)
        s = term.wait_for("****")
        screens.append(s.text)
        assert PIN8 not in s.text.replace("RMB 33.00", ""), s.text
        term.press("ENTER")
        term.wait_for("确认键继续")
        term.press("ENTER")
        flows.approved(term, term.wait_for(flows.DONE, 30).text)
        # 管理: a new supervisor password
        flows.at_menu(term)
        change_password(term, password)
        seen()
        # a pre-auth whose answer never comes: its reversal stays pending on flash
        flows.admin(db, "fault", "add", "no_answer", "--pan", lost, "--count", "1")
        text = flows.preauth(term, 777, pan=lost)
        screens.append(text)
        assert "交易超时" in text, text
        term.press("ENTER")
        s = term.wait_for(re.compile(r"有未完成冲正|1\.预授权"), 20)
        screens.append(s.text)
        assert "有未完成冲正" in s.text, s.text  # the reversal is pending
    image = (tmp_path / "terminal" / "flash.img").read_bytes()
    pans = {flows.APPROVE_PAN, flows.OTHER_PAN, lost, PIN8_PAN} | atrest.ledger_pans(db)
    secrets = [password, *atrest.flash_secrets(db)]
    assert len(secrets) == 4  # password, TMK, PIK, MAK
    pik = secrets[2]
    # The PINs typed, with the cards they were typed for (the keypad scripts type PIN,
    # 123456, for every card but the 8888 one). 8888 in ASCII is on flash legitimately:
    # it is the card's last 4, kept with its first 6 as the masked card number; so is it
    # on the slips: its digits are left out, its PIN field, clear block and field 52 not.
    pins = [*(f for pan in (flows.APPROVE_PAN, flows.OTHER_PAN, lost)
              for f in atrest.pin_forms(flows.PIN, pan, pik)),
            *atrest.pin_forms(PIN8, PIN8_PAN, pik)[1:]]
    assert b"6222028888" in image  # the masked card number: why 8888 is not searched
    findings = atrest.check_image(image, pans, secrets + pins)
    receipts = [r.text for r in term.receipts()]
    assert len(receipts) >= 4
    findings += atrest.check_texts(receipts + screens, pans, allow=("898310048990001",),
                                   pins=[flows.PIN])
    findings += ["log: " + f for f in atrest.check_texts([term.log_text()], [],
                                                        pins=[flows.PIN])]
    assert not findings, "\n".join(findings)
    # the masked form is there (so the search is looking at the right bytes)
    assert b"6222020128" in image or b"6222027890" in image or b"622202" in image
    assert any("622202****0128" in r for r in receipts)
