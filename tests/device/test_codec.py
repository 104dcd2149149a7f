# Codec unit tests (MicroPython): the wire-format §7 vector byte for byte, value rules
# for pack, and every class of malformed input unpack/decode must reject by field and offset.
from binascii import unhexlify

import mptest
import vector7
from codec import frame
from codec.fields import TABLE
from codec.iso8583 import CodecError, pack, unpack

VECTOR = unhexlify(vector7.FRAME_HEX)  # wire-format.md §7, without its LEN prefix
VOID = vector7.FIELDS
BODY = VECTOR[11:]
# Offsets of the fields in BODY (MTI at 0, bitmap at 2).
OFF = {2: 10, 3: 21, 4: 24, 11: 30, 14: 33, 22: 35, 25: 37, 38: 38, 41: 44, 42: 52,
       49: 67, 60: 70, 61: 79, 64: 89}


def eq(a, b):
    assert a == b, "%r != %r" % (a, b)


def err(fn, *args, **kw):
    return mptest.raises(CodecError, fn, *args, **kw)


def expect(e, field, offset=None):
    assert e.field == field, "field %r != %r (%s)" % (e.field, field, e)
    if offset is not None:
        assert e.offset == offset, "offset %r != %r (%s)" % (e.offset, offset, e)
    s = str(e)
    name = ("field %d" % field) if type(field) is int else field
    assert name in s, s
    if offset is not None:
        assert ("offset %d" % offset) in s, s


def mutate(buf, pos, value):
    b = bytearray(buf)
    b[pos] = value
    return bytes(b)


# ------------------------------------------------------------------ §7 vector


def test_vector_pack_and_frame():
    body = pack("0100", VOID)
    eq(body, BODY)
    wire = frame.encode(body)
    eq(wire[:2], b"\x00\x6c")  # LEN = 108 bytes follow
    eq(wire[2:], VECTOR)
    eq(frame.length(wire[:2]), len(VECTOR))


def test_vector_decode_and_unpack():
    header, off = frame.decode(VECTOR)
    eq(off, 11)
    eq(header.tpdu_dest, "0003")
    eq(header.tpdu_src, "0000")
    eq(header.app_type, 0x60)
    eq(header.version, 0x31)
    eq(header.status, 0)
    eq(header.proc_req, 0)
    eq(header.sw_version, "000100")
    mti, fields = unpack(VECTOR, off)
    eq(mti, "0100")
    eq(sorted(fields), sorted(VOID))
    for f in VOID:
        eq(fields[f], VOID[f])
    eq(unpack(BODY), (mti, fields))
    eq(unpack(bytearray(VECTOR), 11, len(VECTOR)), (mti, fields))
    eq(unpack(memoryview(VECTOR)[11:]), (mti, fields))
    # Without F64 only the bitmap's last bit and the MAC bytes differ (§4 MAB).
    no_mac = pack("0100", dict((f, v) for f, v in VOID.items() if f != 64))
    eq(no_mac[:9] + bytes((no_mac[9] | 1,)) + no_mac[10:], BODY[:-8])


def test_vector_offsets():
    # OFF above agrees with the vector: each fixed field's bytes sit where we say.
    eq(BODY[OFF[3] : OFF[3] + 3], b"\x20\x00\x00")
    eq(BODY[OFF[41] : OFF[41] + 8], b"TERM0001")
    eq(BODY[OFF[64] :], b"358810F5")


# ------------------------------------------------------------------ table


def test_table_shape():
    eq(len(TABLE), 65)
    used = [f for f in range(65) if TABLE[f] is not None]
    eq(used, [2, 3, 4, 11, 12, 13, 14, 15, 22, 25, 26, 32, 35, 37, 38, 39, 41, 42, 44, 48,
              49, 52, 53, 60, 61, 62, 63, 64])


def test_pin_fields():
    # wire-format.md §2: 26 n2 (1 BCD byte), 52 b 8 bytes, 53 n16 (8 BCD bytes), fixed
    f52 = unhexlify("2E31BB08A843460C")
    body = pack("0100", {22: "021", 26: "12", 52: f52, 53: "2600000000000000"})
    eq(body[2:10], unhexlify("0000044000001800"))
    eq(body[10:], b"\x02\x10\x12" + f52 + unhexlify("2600000000000000"))
    eq(unpack(body)[1], {22: "021", 26: "12", 52: f52, 53: "2600000000000000"})
    eq(pack("0100", {52: bytearray(f52)}), pack("0100", {52: f52}))
    expect(err(pack, "0100", {26: "6"}), 26)
    expect(err(pack, "0100", {52: f52[:7]}), 52)
    expect(err(pack, "0100", {53: "26"}), 53)


# ------------------------------------------------------------------ pack rules


def test_pack_bcd_right_pad():
    eq(pack("0800", {22: "021"})[10:], b"\x02\x10")
    eq(pack("0800", {2: "1234567890123"})[10:], b"\x13\x12\x34\x56\x78\x90\x12\x30")
    eq(pack("0800", {2: "12345678901234"})[10:], b"\x14\x12\x34\x56\x78\x90\x12\x34")
    eq(pack("0800", {60: "00000001003"})[10:], b"\x00\x11\x00\x00\x00\x01\x00\x30")
    eq(pack("0800", {48: "0" * 62})[10:12], b"\x00\x62")
    eq(pack("0800", {62: bytes(range(40))})[10:12], b"\x00\x40")
    eq(pack("0800", {63: "001"})[10:], b"\x00\x03001")
    eq(pack("0800", {44: "x" * 25})[10:11], b"\x25")
    eq(pack("0800", {2: ""})[10:], b"\x00")


def test_pack_track2():
    v = "6222021234567890123=28121011234"
    body = pack("0200", {35: v})
    eq(body[10], 0x31)  # 31 digits
    eq(body[11:], unhexlify("6222021234567890123D281210112340"))
    eq(unpack(body)[1][35], v.replace("=", "D"))
    eq(pack("0200", {35: v.replace("=", "D")}), body)


def test_pack_auth_code_pads():
    body = pack("0100", {38: "A1B2"})
    eq(body[10:], b"A1B2  ")
    eq(unpack(body)[1][38], "A1B2  ")
    eq(pack("0100", {38: ""})[10:], b"      ")
    expect(err(pack, "0100", {38: "A1B2C3D"}), 38)


def test_pack_bitmap_order():
    # dict order does not matter; fields go out in number order
    a = pack("0100", {64: b"12345678", 2: "4", 41: "TERM0001"})
    b = pack("0100", {41: "TERM0001", 2: "4", 64: b"12345678"})
    eq(a, b)
    eq(a[2:10], unhexlify("4000000000800001"))


def test_pack_errors():
    expect(err(pack, "100", {}), "MTI")
    expect(err(pack, "01a0", {}), "MTI")
    expect(err(pack, 100, {}), "MTI")
    expect(err(pack, "0100", [(2, "1")]), "bitmap")
    expect(err(pack, "0100", {4: "12345"}), 4)  # amounts are 12 digits
    expect(err(pack, "0100", {4: "0000000123456"}), 4)
    expect(err(pack, "0100", {4: 12345}), 4)
    expect(err(pack, "0100", {3: "20000a"}), 3)
    expect(err(pack, "0100", {3: "2000\u0663\u0660"}), 3)  # non-ASCII digits
    expect(err(pack, "0100", {2: "1" * 20}), 2)
    expect(err(pack, "0100", {2: "12=4"}), 2)  # '=' only in track 2
    expect(err(pack, "0100", {35: "12=4x"}), 35)
    expect(err(pack, "0100", {35: "12d4"}), 35)
    expect(err(pack, "0100", {35: "1" * 38}), 35)
    expect(err(pack, "0100", {41: "TERM001"}), 41)
    expect(err(pack, "0100", {41: "TERM000\u00e9"}), 41)
    expect(err(pack, "0100", {41: "TERM000\n"}), 41)
    expect(err(pack, "0100", {49: b"156"}), 49)
    expect(err(pack, "0100", {63: "x" * 164}), 63)
    expect(err(pack, "0100", {64: b"1234567"}), 64)
    expect(err(pack, "0100", {64: "12345678"}), 64)
    expect(err(pack, "0100", {62: bytes(513)}), 62)
    expect(err(pack, "0100", {5: "1"}), 5)
    expect(err(pack, "0100", {1: "1"}), 1)
    expect(err(pack, "0100", {65: "1"}), 65)
    expect(err(pack, "0100", {0: "1"}), 0)
    expect(err(pack, "0100", {"2": "1"}), "bitmap")
    expect(err(pack, "0100", {2: "1", "x": 1}), "bitmap")


# ------------------------------------------------------------------ unpack: malformed


def test_unpack_every_truncation():
    for n in range(len(BODY)):
        e = err(unpack, BODY[:n])
        assert e.offset is not None and e.offset <= n, (n, str(e))
    expect(err(unpack, BODY[:1]), "MTI", 0)
    expect(err(unpack, BODY[:9]), "bitmap", 2)
    expect(err(unpack, BODY[:10]), 2, 10)  # LLVAR prefix missing
    expect(err(unpack, BODY[:15]), 2, 11)  # PAN data cut short
    expect(err(unpack, BODY[:-1]), 64, 89)
    expect(err(unpack, BODY[: OFF[60] + 1]), 60, OFF[60])  # half an LLLVAR prefix


def test_unpack_length_over_max():
    e = err(unpack, mutate(BODY, OFF[2], 0x20))
    expect(e, 2, OFF[2])
    assert "over max 19" in str(e), str(e)
    expect(err(unpack, mutate(BODY, OFF[60] + 1, 0x18)), 60, OFF[60])
    expect(err(unpack, mutate(BODY, OFF[60], 0x10)), 60, OFF[60])  # 1013 digits


def test_unpack_length_past_end():
    body = pack("0110", {39: "00", 63: "CUP"})
    eq(body[12:14], b"\x00\x03")
    e = err(unpack, mutate(mutate(body, 12, 0x01), 13, 0x63))  # 163 claimed, 3 there
    expect(e, 63, 14)
    assert "needs 163 bytes, 3 left" in str(e), str(e)
    # F2 claims 19 digits, the frame ends 2 bytes into them
    expect(err(unpack, BODY, 0, OFF[2] + 3), 2, OFF[2] + 1)


def test_unpack_length_not_bcd():
    expect(err(unpack, mutate(BODY, OFF[2], 0x1A)), 2, OFF[2])
    expect(err(unpack, mutate(BODY, OFF[2], 0xA1)), 2, OFF[2])
    expect(err(unpack, mutate(BODY, OFF[61], 0x0F)), 61, OFF[61])
    expect(err(unpack, mutate(BODY, OFF[61] + 1, 0x1B)), 61, OFF[61])


def test_unpack_secondary_bitmap():
    expect(err(unpack, mutate(BODY, 2, BODY[2] | 0x80)), "bitmap", 2)


def test_unpack_field_not_in_table():
    expect(err(unpack, mutate(BODY, 2, BODY[2] | 0x08)), 5, 2)  # field 5
    expect(err(unpack, mutate(BODY, 9, BODY[9] | 0x40)), 58, 9)
    expect(err(unpack, mutate(BODY, 8, BODY[8] | 0x40)), 50, 8)


def test_unpack_trailing_garbage():
    expect(err(unpack, BODY + b"\x00"), "bitmap", len(BODY))
    expect(err(unpack, BODY + b"GARBAGE"), "bitmap", len(BODY))
    # end bounds the message; what lies past end is not the codec's business
    eq(unpack(BODY + b"junk", 0, len(BODY))[0], "0100")


def test_unpack_non_ascii():
    expect(err(unpack, mutate(BODY, OFF[41] + 3, 0xE9)), 41, OFF[41] + 3)
    expect(err(unpack, mutate(BODY, OFF[42], 0x00)), 42, OFF[42])
    expect(err(unpack, mutate(BODY, OFF[38] + 5, 0x7F)), 38, OFF[38] + 5)
    expect(err(unpack, mutate(BODY, OFF[49] + 2, 0x0A)), 49, OFF[49] + 2)


def test_unpack_non_bcd_digits():
    expect(err(unpack, mutate(BODY, OFF[3] + 1, 0x0A)), 3, OFF[3] + 1)
    expect(err(unpack, mutate(BODY, OFF[4] + 5, 0x4F)), 4, OFF[4] + 5)
    expect(err(unpack, mutate(BODY, OFF[2] + 1, 0xD2)), 2, OFF[2] + 1)  # D only in z
    expect(err(unpack, mutate(BODY, OFF[2] + 10, 0x35)), 2, OFF[2] + 10)  # pad nibble
    expect(err(unpack, mutate(BODY, OFF[22] + 1, 0x21)), 22, OFF[22] + 1)  # pad nibble
    expect(err(unpack, mutate(BODY, OFF[60] + 3, 0xC0)), 60, OFF[60] + 3)


def test_unpack_mti():
    expect(err(unpack, mutate(BODY, 1, 0x0A)), "MTI", 0)
    expect(err(unpack, b""), "MTI", 0)
    expect(err(unpack, "0100"), "MTI", None)
    expect(err(unpack, BODY, 5, 2), "MTI", None)
    expect(err(unpack, BODY, 0, len(BODY) + 1), "MTI", None)


def test_unpack_track2():
    body = pack("0200", {35: "4761739001010119D22122011758928"})
    eq(unpack(body)[1][35], "4761739001010119D22122011758928")
    bad = mutate(body, 12, 0xE1)  # E is not a track 2 nibble
    expect(err(unpack, bad), 35, 12)


def test_unpack_offsets_absolute():
    # Offsets count from the start of the buffer handed in, not from `start`.
    expect(err(unpack, mutate(VECTOR, 11 + OFF[41], 0x80), 11), 41, 11 + OFF[41])


def test_unpack_empty_message():
    eq(unpack(pack("0800", {})), ("0800", {}))


def test_unpack_returns_types():
    fields = unpack(BODY)[1]
    assert type(fields[64]) is bytes
    assert type(fields[2]) is str
    assert type(fields[41]) is str


# ------------------------------------------------------------------ framing


def test_frame_encode_options():
    w = frame.encode(b"\x08\x00" + bytes(8), nii="0012", src="0034", status=1, proc_req=3,
                     sw_version="123456")
    eq(w, unhexlify("0015" "6000120034" "603113123456" "0800") + bytes(8))
    h, off = frame.decode(w[2:])
    eq((h.tpdu_dest, h.tpdu_src, h.status, h.proc_req, h.sw_version),
       ("0012", "0034", 1, 3, "123456"))
    expect(err(frame.encode, b"", nii="3"), "TPDU")
    expect(err(frame.encode, b"", src="00a0"), "TPDU")
    expect(err(frame.encode, b"", sw_version="1.0.0"), "header")
    expect(err(frame.encode, b"", status=16), "header")
    expect(err(frame.encode, b"", proc_req=-1), "header")
    expect(err(frame.encode, bytes(2048 - 11 + 1)), "LEN")
    eq(len(frame.encode(bytes(2048 - 11))), 2050)
    expect(err(frame.encode, "0800"), "MTI")


def test_frame_length():
    eq(frame.length(b"\x00\x01"), 1)
    eq(frame.length(bytearray(b"\x08\x00")), 2048)
    expect(err(frame.length, b"\x00\x00"), "LEN", 0)
    expect(err(frame.length, b"\x08\x01"), "LEN", 0)
    expect(err(frame.length, b"\xff\xff"), "LEN", 0)
    expect(err(frame.length, b"\x00"), "LEN", 0)
    expect(err(frame.length, b"\x00\x01\x02"), "LEN", 0)
    eq(frame.MAX_FRAME, 2048)


def test_frame_decode_errors():
    expect(err(frame.decode, b""), "TPDU", 0)
    expect(err(frame.decode, VECTOR[:4]), "TPDU", 0)
    expect(err(frame.decode, VECTOR[:5]), "header", 5)
    expect(err(frame.decode, VECTOR[:10]), "header", 5)
    expect(err(frame.decode, mutate(VECTOR, 0, 0x61)), "TPDU", 0)
    expect(err(frame.decode, mutate(VECTOR, 2, 0x0A)), "TPDU", 1)
    expect(err(frame.decode, mutate(VECTOR, 4, 0xF0)), "TPDU", 3)
    expect(err(frame.decode, mutate(VECTOR, 5, 0x61)), "header", 5)
    expect(err(frame.decode, mutate(VECTOR, 10, 0x0A)), "header", 8)
    expect(err(frame.decode, VECTOR + bytes(2048)), "LEN", 0)
    expect(err(frame.decode, 12), "TPDU", 0)
    # header only: decodes, and the body (empty) is unpack's business
    h, off = frame.decode(VECTOR[:11])
    eq(off, 11)
    expect(err(unpack, VECTOR[:11], off), "MTI", 11)


def test_frame_host_answer():
    # A host answers with the TPDU addresses swapped and may ask for a sign-in (3).
    body = pack("0110", {11: "000042", 39: "00", 41: "TERM0001", 42: "898310048990001"})
    w = frame.encode(body, nii="0000", src="0003", proc_req=3)
    h, off = frame.decode(w[2:])
    eq((h.tpdu_dest, h.tpdu_src, h.proc_req), ("0000", "0003", 3))
    eq(unpack(w, 2 + off)[1][39], "00")


mptest.run(globals())
