"""UnionPay POS "ECB" MAC (wire-format.md §4): XOR-fold, hex, DES, XOR, DES, hex. And
HMAC-SHA256 (RFC 2104), which MicroPython lacks: the keyed PAN hash (journal/pan.py).

The fold, hex and XOR steps are small viper loops over preallocated module buffers, so a
MAC allocates only its 8-byte result (and a key schedule when the MAK changes).
"""

import hashlib

import micropython

from crypto.des import DES

_acc = bytearray(8)
_hex16 = bytearray(16)
_out = bytearray(8)
_key = None
_des = None


@micropython.viper
def _fold(mab, acc):
    # XOR every 8-byte block of mab into acc; a short last block is implicitly 00-padded.
    a = ptr8(acc)
    m = ptr8(mab)
    n = int(len(mab))
    for i in range(8):
        a[i] = 0
    for i in range(n):
        a[i & 7] ^= m[i]


@micropython.viper
def _hexu(src, dst, n: int):
    # n bytes of src -> 2n upper-case ASCII hex characters in dst
    s = ptr8(src)
    d = ptr8(dst)
    for i in range(n):
        v = s[i]
        h = v >> 4
        d[2 * i] = h + (48 if h < 10 else 55)
        h = v & 15
        d[2 * i + 1] = h + (48 if h < 10 else 55)


@micropython.viper
def _xor8(dst, src, off: int):
    d = ptr8(dst)
    s = ptr8(src)
    for i in range(8):
        d[i] ^= s[off + i]


def _cipher(mak8):
    # one-entry cache: the MAK only changes at sign-in, the key schedule is not free
    global _key, _des
    if _key != mak8:
        if len(mak8) != 8:
            raise ValueError("MAK must be 8 bytes")
        _des = DES(mak8)
        _key = bytes(mak8)
    return _des


def _mac(mak8, mab):
    d = _cipher(mak8)
    acc = _acc
    _fold(mab, acc)
    _hexu(acc, _hex16, 8)
    d.encrypt_block(_hex16, acc)  # the first 8 hex characters
    _xor8(acc, _hex16, 8)  # XOR with the last 8
    d.encrypt_block(acc, acc)
    _hexu(acc, _out, 4)  # field 64: the first 8 hex characters


def unionpay_mac(mak8, mab):
    """The 8 ASCII hex characters of field 64 for the MAC block mab."""
    _mac(mak8, mab)
    return bytes(_out)


def verify_mac(mak8, mab, mac):
    """True when mac (8 bytes) is the MAC of mab; compares without an early exit."""
    if len(mac) != 8:
        return False
    _mac(mak8, mab)
    diff = 0
    for i in range(8):
        diff |= _out[i] ^ mac[i]
    return diff == 0


def sha256(*parts):
    """SHA-256 of the concatenation of parts."""
    h = hashlib.sha256()
    for p in parts:
        h.update(p)
    return h.digest()


def hmac_sha256(key, msg):
    """RFC 2104 HMAC over hashlib.sha256 (MicroPython has no hmac module)."""
    if len(key) > 64:
        key = sha256(key)
    k = bytearray(64)
    k[: len(key)] = key
    for i in range(64):
        k[i] ^= 0x36
    inner = sha256(k, msg)
    for i in range(64):
        k[i] ^= 0x36 ^ 0x5C
    return sha256(k, inner)
