"""Host-side key handling and MAC with pycryptodome (independent of the firmware's DES)."""

from Crypto.Cipher import DES, DES3


def des_ecb_encrypt(key8: bytes, data: bytes) -> bytes:
    return DES.new(key8, DES.MODE_ECB).encrypt(data)


def des_ecb_decrypt(key8: bytes, data: bytes) -> bytes:
    return DES.new(key8, DES.MODE_ECB).decrypt(data)


def _tdes(key16: bytes):
    # DES3 refuses keys whose halves are equal (it would degenerate to single DES);
    # the TMK is never such a key, but random test keys may be: fall back explicitly.
    k1, k2 = key16[:8], key16[8:16]
    if k1 == k2:
        return None
    return DES3.new(key16, DES3.MODE_ECB)


def tdes_ecb_encrypt(key16: bytes, data: bytes) -> bytes:
    c = _tdes(key16)
    return c.encrypt(data) if c else des_ecb_encrypt(key16[:8], data)


def tdes_ecb_decrypt(key16: bytes, data: bytes) -> bytes:
    c = _tdes(key16)
    return c.decrypt(data) if c else des_ecb_decrypt(key16[:8], data)


def kcv(key: bytes) -> bytes:
    """Check value: first 4 bytes of encrypting 8 zero bytes (DES for 8-byte keys, else 3DES)."""
    zero = bytes(8)
    if len(key) == 8:
        return des_ecb_encrypt(key, zero)[:4]
    return tdes_ecb_encrypt(key, zero)[:4]


def unionpay_mac(mak8: bytes, mab: bytes) -> bytes:
    """UnionPay POS ECB MAC (wire-format.md §4); returns the 8 ASCII hex characters of F64."""
    if len(mab) % 8:
        mab = mab + bytes(8 - len(mab) % 8)
    block = bytearray(8)
    for i in range(0, len(mab), 8):
        for j in range(8):
            block[j] ^= mab[i + j]
    hexed = block.hex().upper().encode()
    step = des_ecb_encrypt(mak8, hexed[:8])
    step = bytes(a ^ b for a, b in zip(step, hexed[8:], strict=True))
    return des_ecb_encrypt(mak8, step).hex().upper()[:8].encode()


def wrap_working_keys(tmk16: bytes, pik16: bytes, mak8: bytes) -> bytes:
    """Field 62 of a sign-in response: PIK/TMK + KCV + (MAK||00*8)/TMK + KCV, 40 bytes."""
    return (
        tdes_ecb_encrypt(tmk16, pik16)
        + kcv(pik16)
        + tdes_ecb_encrypt(tmk16, mak8 + bytes(8))
        + kcv(mak8)
    )


# ------------------------------------------------- PIN block (wire-format.md §8)

PIN_LEN_MIN, PIN_LEN_MAX = 4, 12


def pan_field(pan: str) -> bytes:
    """ISO 9564 format 0 PAN field: ``0000`` + the 12 rightmost PAN digits without the
    check digit (zeros on the left for a PAN shorter than 13 digits), as 8 bytes."""
    return bytes.fromhex("0000" + pan[:-1][-12:].rjust(12, "0"))


def pin_block(pik16: bytes, pin: str, pan: str) -> bytes:
    """Field 52: the format-0 PIN block of ``pin`` for ``pan``, 3DES-ECB under the PIK."""
    if not (PIN_LEN_MIN <= len(pin) <= PIN_LEN_MAX and pin.isdigit()):
        raise ValueError("a PIN is 4 to 12 digits")
    pin_field = bytes.fromhex(f"0{len(pin):X}{pin}".ljust(16, "F"))
    clear = bytes(a ^ b for a, b in zip(pin_field, pan_field(pan), strict=True))
    return tdes_ecb_encrypt(pik16, clear)


def pin_from_block(pik16: bytes, f52: bytes, pan: str) -> str | None:
    """The PIN in field 52 (decrypted under the PIK, the PAN field XORed out), or None when
    the PIN field is not format 0: first nibble 0, a length of 4 to 12, that many decimal
    digits, then ``F`` fill."""
    if len(f52) != 8:
        return None
    clear = tdes_ecb_decrypt(pik16, f52)
    nibbles = bytes(a ^ b for a, b in zip(clear, pan_field(pan), strict=True)).hex().upper()
    length = int(nibbles[1], 16)
    if nibbles[0] != "0" or not PIN_LEN_MIN <= length <= PIN_LEN_MAX:
        return None
    pin, fill = nibbles[2 : 2 + length], nibbles[2 + length :]
    if not pin.isdigit() or fill != "F" * len(fill):
        return None
    return pin
