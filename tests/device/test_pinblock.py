# The PIN block of wire-format.md §8 (ISO 9564-1 format 0 under the PIK), byte for byte
# against the §8 test vectors; its buffers are the caller's, allocated once, and zero
# once the block is made (or making it failed).
from binascii import hexlify, unhexlify

import mptest

from crypto import pinblock
from crypto.pinblock import PinBlock

PIK = unhexlify("A1B2C3D4E5F60718293A4B5C6D7E8F90")  # the clear PIK of §7
PAN = "6222021234567890123"


def h(b):
    return hexlify(b).decode().upper()


def _typed(pb, pin):
    # as the keypad types it: each digit's code straight into the buffer
    for i in range(len(pin)):
        pb.digits[i] = ord(pin[i])
    return len(pin)


def test_the_fields_and_the_clear_block_of_the_vector():
    out = bytearray(8)
    digits = bytearray(b"123456\x00\x00\x00\x00\x00\x00")
    pinblock.pin_field(digits, 6, out)
    assert h(out) == "06123456FFFFFFFF", h(out)
    pan = bytearray(8)
    pinblock.xor_pan(PAN, pan)  # into zeros: the PAN field itself
    assert h(pan) == "0000123456789012", h(pan)
    pinblock.xor_pan(PAN, out)
    assert h(out) == "06122662A9876FED", h(out)


def test_the_block_of_both_vectors_and_the_buffers_wiped():
    pb = PinBlock()
    for pin, clear, f52 in (("123456", "06122662A9876FED", "2E31BB08A843460C"),
                            ("8888", "04889ACBA9876FED", "75C2E1F5B0FD8BCC")):
        n = _typed(pb, pin)
        out = bytearray(8)
        pinblock.pin_field(pb.digits, n, out)
        pinblock.xor_pan(PAN, out)
        assert h(out) == clear, (pin, h(out))
        block = pb.make(PIK, PAN, n)
        assert block is pb.block and h(block) == f52, (pin, h(block))
        # the PIN and the clear block are gone as soon as the block is made
        assert pb.digits == bytearray(12) and pb.clear == bytearray(8)
    pb.wipe()
    assert pb.block == bytearray(8)


def test_digits_past_the_pin_do_not_count():
    pb = PinBlock()
    pb.digits[:] = b"888899999999"
    assert h(pb.make(PIK, PAN, 4)) == "75C2E1F5B0FD8BCC"


def test_a_short_pan_is_padded_with_zeros_and_twelve_digits_are_the_most():
    out = bytearray(8)
    pinblock.xor_pan("123456789012", out)  # 11 digits before the check digit
    assert h(out) == "0000012345678901", h(out)
    digits = bytearray(b"123456789012")
    pinblock.pin_field(digits, 12, out)
    assert h(out) == "0C123456789012FF", h(out)


def test_a_pin_it_cannot_take_is_refused_and_still_wiped():
    pb = PinBlock()
    for pin in ("123", "12a4"):
        n = _typed(pb, pin)
        e = mptest.raises(ValueError, pb.make, PIK, PAN, n)
        assert "PIN" in str(e) and pin not in str(e), e
        assert pb.digits == bytearray(12) and pb.clear == bytearray(8), pin
    for n in (0, 13):
        mptest.raises(ValueError, pb.make, PIK, PAN, n)


def test_no_key_schedule_is_kept_between_blocks():
    # the PIK's 3DES schedule (~800 bytes) is made for the block and dropped: nothing of
    # it stays on the heap between transactions, where it split the heap mid-run
    pb = PinBlock()
    assert sorted(k for k in dir(pb) if not k.startswith("__") and not callable(
        getattr(pb, k))) == ["block", "clear", "digits"]
    _typed(pb, "8888")
    pb.make(PIK, PAN, 4)
    assert sorted(k for k in dir(pb) if not k.startswith("__") and not callable(
        getattr(pb, k))) == ["block", "clear", "digits"]
    other = unhexlify("0123456789ABCDEFFEDCBA9876543210")
    _typed(pb, "8888")
    assert h(pb.make(other, PAN, 4)) != "75C2E1F5B0FD8BCC"




def test_the_piks_key_schedule_is_zero_once_the_block_is_made():
    # The 3DES key schedule made from the PIK for the block is key material: zeroed
    # before make() returns or raises, not left for the collector.
    made = []
    real = pinblock.TDES

    class Seen(real):
        def __init__(self, key):
            real.__init__(self, key)
            made.append(self)

    pinblock.TDES = Seen
    try:
        pb = PinBlock()
        n = _typed(pb, "123456")
        assert h(pb.make(PIK, PAN, n)) == "2E31BB08A843460C"
        n = _typed(pb, "12")
        mptest.raises(ValueError, pb.make, PIK, PAN, n)
    finally:
        pinblock.TDES = real
    assert len(made) == 1, len(made)  # a refused PIN makes no schedule
    for c in made:
        assert not any(c._ek) and not any(c._dk), "key schedule left"


mptest.run(globals())
