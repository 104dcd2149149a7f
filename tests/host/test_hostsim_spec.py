"""host_tools.hostsim.spec against wire-format.md §1, §2 and the §7 test vector."""

import pytest

from host_tools.hostsim import crypto
from host_tools.hostsim.spec import (
    Header,
    SpecError,
    Tpdu,
    frame,
    mac_block,
    mti_of,
    pack,
    split_frame,
    unpack,
)

VECTOR = bytes.fromhex(
    "6000030000 603100000100 0100 7024048004c08019"
    "19 62220212345678901230 200000 000000012345 000042 2812 0120 06"
    "413142324333 5445524d30303031 383938333130303438393930303031 313536"
    "0013 11000001000000 0016 0000010000171125 3335383831304635".replace(" ", "")
)
VECTOR_FIELDS = {
    2: "6222021234567890123", 3: "200000", 4: "000000012345", 11: "000042", 14: "2812",
    22: "012", 25: "06", 38: "A1B2C3", 41: "TERM0001", 42: "898310048990001", 49: "156",
    60: "1100000100000", 61: "0000010000171125", 64: b"358810F5",
}
TMK = bytes.fromhex("0123456789ABCDEFFEDCBA9876543210")
MAK = bytes.fromhex("1C2D3E4F5A6B7C8D")
PIK = bytes.fromhex("A1B2C3D4E5F60718293A4B5C6D7E8F90")


def test_vector_decodes_to_the_listed_fields():
    tpdu, header, body = split_frame(VECTOR)
    assert tpdu == Tpdu(dest=b"\x00\x03", src=b"\x00\x00")
    assert header == Header(status=0, processing=0, software="000100")
    mti, fields = unpack(body)
    assert mti == "0100"
    assert fields == VECTOR_FIELDS


def test_vector_reencodes_byte_for_byte():
    body = pack("0100", VECTOR_FIELDS)
    assert frame(body, Tpdu(), Header(software="000100")) == len(VECTOR).to_bytes(2, "big") + VECTOR


def test_vector_mac_and_keys():
    _, _, body = split_frame(VECTOR)
    assert crypto.unionpay_mac(MAK, mac_block(body)) == b"358810F5"
    f62 = crypto.wrap_working_keys(TMK, PIK, MAK)
    assert f62.hex().upper() == (
        "FD7AF640961CDB8B5CCFBE13B358FE6E" "76CDB553" "CC6DADB23ECB1B6E08D7B4FB629D0885" "8D4885EA"
    )


def test_tpdu_swap_and_header_processing_nibble():
    assert Tpdu(b"\x00\x03", b"\x00\x00").swapped().to_bytes() == bytes.fromhex("6000000003")
    assert Header(processing=3, software="000100").to_bytes() == bytes.fromhex("603103000100")
    assert Header.from_bytes(bytes.fromhex("603113123456")) == Header(1, 3, "123456")


@pytest.mark.parametrize(
    ("no", "value", "encoded"),
    [
        (2, "6222021234567890123", "1962220212345678901230"),  # LLVAR counts digits, pad right
        (2, "62220212345678", "1462220212345678"),
        (22, "021", "0210"),
        (26, "12", "12"),  # n2, 1 BCD byte
        (52, bytes.fromhex("2E31BB08A843460C"), "2E31BB08A843460C"),  # b64, 8 bytes
        (53, "2600000000000000", "2600000000000000"),  # n16, 8 BCD bytes
        (35, "6222021234567890123D2812", "246222021234567890123D2812"),
        (35, "6222021234567890123D281", "236222021234567890123D2810"),
        (48, "1" * 62, "0062" + "1" * 62),
        (60, "00000001003", "0011000000010030"),
        (63, "CUP", "0003435550"),
        (62, b"\x01\x02", "00020102"),
        (44, "OK", "024F4B"),
    ],
)
def test_field_encodings(no, value, encoded):
    body = pack("0810", {no: value})
    assert body[10:].hex().upper() == encoded.upper()
    assert unpack(body) == ("0810", {no: value})


@pytest.mark.parametrize(
    "body_hex",
    [
        "0100",  # too short
        "0100" + "C000000000000000" + "00",  # secondary bitmap bit
        "0100" + "0800000000000000" + "01",  # field 5: not in wire-format.md
        "0100" + "4000000000000000" + "19" + "6222021234567890123F",  # pad nibble not 0
        "0100" + "2000000000000000" + "03000A",  # non-digit in n field
        "0100" + "2000000000000000" + "030000" + "FF",  # trailing bytes
        "0100" + "4000000000000000" + "2062220212345678901234",  # LLVAR over max 19
        "01A0" + "2000000000000000" + "030000",  # MTI not BCD
    ],
)
def test_malformed_bodies_raise_spec_error(body_hex):
    with pytest.raises(SpecError):
        unpack(bytes.fromhex(body_hex))


def test_partial_fields_survive_a_decode_error():
    body = pack("0100", {3: "030000", 11: "000042", 41: "TERM0001"}) + b"\x99"
    with pytest.raises(SpecError) as exc:
        unpack(body)
    assert exc.value.partial[11] == "000042"


def test_pack_rejects_values_outside_the_contract():
    with pytest.raises(SpecError):
        pack("0100", {3: "03000"})  # n6 fixed
    with pytest.raises(SpecError):
        pack("0100", {5: "1"})
    with pytest.raises(SpecError):
        pack("0100", {4: "00000000012A"})


def test_split_frame_errors_and_mti_of():
    assert mti_of(VECTOR) == "0100"
    with pytest.raises(SpecError):
        split_frame(b"\x61" + VECTOR[1:])
    with pytest.raises(SpecError):
        split_frame(VECTOR[:8])
    with pytest.raises(SpecError):
        frame(b"\0" * 2048)
