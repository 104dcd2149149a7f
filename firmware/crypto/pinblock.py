"""The cardholder's PIN block, field 52 (wire-format.md §8): ISO 9564-1 format 0, the PIN
field XOR the PAN field, 3DES-ECB under the PIK of the last sign-in.

The PIN is a secret from the first key on: its digits go into a buffer allocated once
(their ASCII codes, never a str), and the digits and the clear block are zeroed as soon
as the block is made, or making it failed. wipe() zeroes the block too, once it is sent.
"""

from micropython import const

from crypto.des import TDES

MIN_DIGITS = const(4)
MAX_DIGITS = const(12)


def _zero(buf):
    for i in range(len(buf)):
        buf[i] = 0


def pin_field(digits, n, out):
    """out (8 bytes) = 0, n, the n digits of digits (ASCII codes), F to fill."""
    if not MIN_DIGITS <= n <= MAX_DIGITS:
        raise ValueError("PIN: want 4 to 12 digits")
    out[0] = n
    for i in range(1, 8):
        out[i] = 0xFF
    for i in range(n):
        d = digits[i] - 48
        if not 0 <= d <= 9:
            raise ValueError("PIN: not a digit")
        j = (i + 2) >> 1  # the digit is nibble i + 2 of the field
        out[j] = (out[j] & 0xF0) | d if i & 1 else (d << 4) | (out[j] & 0x0F)


def xor_pan(pan, out):
    """XOR the PAN field into out (8 bytes): 0000, then the 12 rightmost digits of pan
    (a str) without its check digit, zeros in front of a shorter one."""
    last = len(pan) - 1  # the check digit's place
    for k in range(6):
        hi = last - 12 + 2 * k
        lo = hi + 1
        b = (ord(pan[hi]) - 48) << 4 if hi >= 0 else 0
        if lo >= 0:
            b |= ord(pan[lo]) - 48
        out[2 + k] ^= b


class PinBlock:
    """The PIN on its way to field 52, in three buffers allocated once (App, at boot):
    digits (the keypad writes the digits' codes there), clear (the clear block), block
    (field 52)."""

    def __init__(self):
        self.digits = bytearray(MAX_DIGITS)
        self.clear = bytearray(8)
        self.block = bytearray(8)

    def make(self, pik, pan, n):
        """Field 52 for the first n digits and pan under pik (16 bytes), in self.block,
        which it returns. The digits and the clear block are zero when it returns or
        raises (ValueError: not 4 to 12 digits)."""
        c = None
        try:
            pin_field(self.digits, n, self.clear)
            xor_pan(pan, self.clear)
            # a key schedule for this block only (~800 bytes): kept, it was a long-lived
            # allocation made mid-run, and it split the heap (tests/perf); it is the PIK's
            # key material, so zeroed before it goes to the collector
            c = TDES(pik)
            c.encrypt_block(self.clear, self.block)
        finally:
            _zero(self.digits)
            _zero(self.clear)
            if c is not None:
                c.wipe()
        return self.block

    def wipe(self):
        """Zero all three buffers: after the request is sent, and on every way out."""
        _zero(self.digits)
        _zero(self.clear)
        _zero(self.block)
