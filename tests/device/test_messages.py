# The message layer: requests of wire-format.md §3 built from business values, the MAC
# (F64), reversal derivation and response matching.
import mptest
from codec import frame
from codec.iso8583 import unpack
from host import messages

CFG = {"tid": "TERM0001", "mid": "898310048990001", "operator": "001"}
MAK = bytes.fromhex("1C2D3E4F5A6B7C8D")
VECTOR = bytes.fromhex(
    "6000030000" "603100000100" "0100" "7024048004c08019"
    "19" "62220212345678901230" "200000" "000000012345" "000042" "2812" "0120" "06"
    "413142324333" "5445524d30303031" "383938333130303438393930303031" "313536"
    "0013" "11000001000000" "0016" "0000010000171125" "3335383831304635"
)
CARD = {"pan": "6222021234567890123", "expiry": "2812"}


def _void():
    return messages.financial(
        messages.PREAUTH_VOID, CFG, "000001", "000042", CARD, 12345, "0",
        {38: "A1B2C3", 61: "0000010000171125"},
    )


def test_void_request_is_the_section7_vector():
    mti, fields = _void()
    body = messages.pack(mti, fields, MAK)
    data = frame.encode(body, nii="0003", sw_version="000100")
    assert data[2:] == VECTOR, bytes(data[2:]).hex()
    assert fields[64] == b"358810F5"


F52 = bytes.fromhex("2E31BB08A843460C")  # wire-format.md §8: PIN 123456 of the §7 card
SWIPED = {"pan": "6222021234567890128", "expiry": "2812",
          "track2": "6222021234567890128=2812101"}


def test_swiped_card_sends_track2_and_entry_mode_022():
    mti, fields = messages.financial(messages.PREAUTH, CFG, "000001", "000007", SWIPED, 100,
                                     "2")
    assert fields[22] == "022" and fields[35] == "6222021234567890128D2812101"
    assert fields[60] == "1000000100020"
    for k in (26, 52, 53):  # no PIN: none of its fields (§8)
        assert k not in fields, k
    mti2, back = unpack(messages.pack(mti, fields, MAK))
    assert back[35] == fields[35] and back[3] == "030000"


def test_a_pin_sends_22_2_1_and_26_52_53():
    block = bytearray(F52)  # the PinBlock's buffer, as the flow hands it in
    for card, f22 in ((SWIPED, "021"), (CARD, "011")):
        mti, fields = messages.financial(messages.PREAUTH, CFG, "000001", "000007", card, 100,
                                         "2", None, block)
        assert fields[22] == f22 and fields[26] == "12", fields
        assert fields[52] == F52 and fields[53] == "2600000000000000", fields
        body = messages.pack(mti, fields, MAK)
        assert F52 in body
        _, back = unpack(body)
        assert back[52] == F52 and back[26] == "12" and back[53] == "2600000000000000"
        rmti, rev = messages.reversal(fields, "98")  # §3: a reversal leaves them out
        for k in (26, 35, 52, 53, 64):
            assert k not in rev, k
        assert rev[22] == f22
    # a completion with its original's fields and a PIN: the fields in number order
    mti, fields = messages.financial(messages.COMPLETION, CFG, "000001", "000008", CARD, 100,
                                     "0", {38: "A1B2C3", 61: "0000010000171125"}, block)
    assert sorted(fields) == [2, 3, 4, 11, 14, 22, 25, 26, 38, 41, 42, 49, 52, 53, 60, 61]


def test_reversal_drops_track2_adds_reason_and_auth_code():
    card = dict(CARD, track2="6222021234567890123=2812101")
    mti, req = messages.financial(messages.PREAUTH, CFG, "000001", "000043", card, 500, "2",
                                  None, F52)
    messages.pack(mti, req, MAK)
    rmti, rev = messages.reversal(req, "98", auth_code="XYZ789")
    assert rmti == "0400"
    assert 35 not in rev and 64 not in rev and 52 not in rev and 26 not in rev
    assert rev[39] == "98" and rev[38] == "XYZ789" and rev[11] == "000043"
    assert rev[2] == CARD["pan"] and rev[3] == "030000" and rev[60] == req[60]


def test_matching_rules():
    mti, req = _void()
    resp = {3: "200000", 11: "000042", 41: "TERM0001", 42: "898310048990001", 39: "00"}
    assert messages.matches(mti, req, "0110", resp)
    assert not messages.matches(mti, req, "0100", resp)  # MTI + 10 only
    for k, bad in ((3, "030000"), (11, "000041"), (41, "TERM0002"), (42, "898310048990002")):
        r = dict(resp)
        r[k] = bad
        assert not messages.matches(mti, req, "0110", r), k
    sign_mti, sign = messages.signin(CFG, "000000", "000001")
    assert messages.matches(sign_mti, sign, "0810", {11: "000001", 41: "TERM0001",
                                                     42: "898310048990001"})


def test_response_mac_verification():
    mti, fields = _void()
    fields[39] = "00"
    body = messages.pack("0110", fields, MAK)
    _, resp = unpack(body)
    assert messages.mac_ok(MAK, "0110", resp, body)
    spoiled = bytearray(body)
    spoiled[12] ^= 1  # one bit of the PAN
    assert not messages.mac_ok(MAK, "0110", resp, spoiled)
    no_mac = dict(resp)
    del no_mac[64]
    assert not messages.mac_ok(MAK, "0110", no_mac, body)  # an A0 answer has no F64
    assert not messages.mac_ok(None, "0110", resp, body)
    assert messages.mac_ok(None, "0810", {}, b"")  # sign-in answers carry no MAC


mptest.run(globals())
