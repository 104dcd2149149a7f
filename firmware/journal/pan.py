# Card number protection. The clear PAN lives only in RAM for the length of a transaction:
# flash gets the masked form (first 6 + last 4), a keyed hash to recognise the card again,
# and, for the one pending reversal that must resend F2, the PAN encrypted under 3DES.
# The primitives are crypto/'s (HMAC-SHA256 in crypto/mac.py, 3DES-CBC in crypto/des.py);
# here: which keys, and the bytes kept on flash.
#
# Both keys derive from the TMK (16 bytes, provisioned per terminal), each under its own
# label so that one key says nothing about the other (the labels are on no wire, but
# the keys, and so the bytes on flash, depend on them: never renamed):
#   hash key = SHA-256(b"pan-hash" || TMK)                        (32 bytes, HMAC key)
#   d        = SHA-256(b"pan-seal" || TMK)
#   PAN key  = d[0:8] || the first of d[8:16], d[16:24], d[24:32] that differs from d[0:8]
#              once DES parity bits are ignored (equal halves would make 3DES single DES)
import os
from binascii import crc32, hexlify, unhexlify

from crypto.des import TDES
from crypto.mac import hmac_sha256, sha256


def mask(pan):
    """For the screen: first 6, a star for each hidden digit, last 4 (PCI DSS 3.3)."""
    n = len(pan)
    if n < 11:  # too short to show 10 digits and still hide any: show the last 4 only
        return "*" * (n - 4) + pan[-4:] if n > 4 else "*" * n
    return pan[:6] + "*" * (n - 10) + pan[-4:]


def mask_receipt(pan):
    """For receipts: BIN + '****' + last 4. Works on a masked PAN too (only the ends count)."""
    if len(pan) < 11:
        return "****" + pan[-4:]
    return pan[:6] + "****" + pan[-4:]


def _strip_parity(b):
    return bytes(x & 0xFE for x in b)


# Encrypted PAN: IV(8) || 3DES-CBC(len(1) || PAN in packed BCD, F-padded to 10 bytes ||
# random(1) || CRC-32 of the 12 bytes before(4)): 24 bytes. CBC under a random IV so the
# same PAN never encrypts to the same bytes; the length byte and CRC let decrypt() reject
# garbage and wrong keys. The previous firmware's form, 32 bytes (the PAN in ASCII,
# random fill to 20 bytes, then the CRC), still opens: a reversal it left pending
# survives the upgrade. BCD saves the 8 bytes that keep a completion void's pending
# reversal inline in littlefs's metadata (docs/journal.md).
_PLAIN = 16
ENCRYPTED_LEN = 8 + _PLAIN
_PLAIN1 = 24  # the previous firmware's
_F = "FFFFFFFFFFFFFFFFFFFF"


class Keys:
    def __init__(self, tmk16):
        if len(tmk16) != 16:
            raise ValueError("TMK must be 16 bytes")
        self._hkey = sha256(b"pan-hash", tmk16)
        d = sha256(b"pan-seal", tmk16)
        k1 = d[0:8]
        k2 = None
        for i in (8, 16, 24):
            if _strip_parity(d[i : i + 8]) != _strip_parity(k1):
                k2 = d[i : i + 8]
                break
        if k2 is None:  # all four equal: astronomically unlikely, but stay 3DES
            k2 = bytes(x ^ 0x02 for x in k1)
        # Made once, at boot (~800 bytes of key schedule): making it per encryption left
        # 1.5 KB of garbage in the middle of every transaction.
        self._tdes = TDES(k1 + k2)

    def pan_hash(self, pan):
        """8 bytes identifying the card under this terminal's TMK (HMAC-SHA256, truncated)."""
        return hmac_sha256(self._hkey, pan.encode())[:8]

    def encrypt(self, pan):
        """The PAN encrypted (ENCRYPTED_LEN bytes, a fresh random IV each time)."""
        n = len(pan)
        if not 1 <= n <= 19 or not pan.isdigit():
            raise ValueError("PAN must be 1-19 digits")
        p = bytearray(_PLAIN)
        p[0] = n
        p[1:11] = unhexlify((pan + _F)[:20])
        p[11] = os.urandom(1)[0]
        c = crc32(memoryview(p)[:12])
        for i in range(4):
            p[12 + i] = (c >> (24 - 8 * i)) & 0xFF
        out = bytearray(os.urandom(8)) + bytearray(_PLAIN)
        self._tdes.encrypt_cbc(p, out)
        return bytes(out)

    def decrypt(self, blob):
        """The PAN encrypt() (or the previous firmware) made blob of; ValueError if blob
        is not one (damaged, another key)."""
        if not isinstance(blob, (bytes, bytearray)) or len(blob) not in (ENCRYPTED_LEN,
                                                                         8 + _PLAIN1):
            raise ValueError("encrypted PAN: wrong length")
        k = len(blob) - 8
        p = bytearray(k)
        self._tdes.decrypt_cbc(blob, p)
        body = k - 4
        c = crc32(memoryview(p)[:body])
        n = p[0]
        ok = c == (p[body] << 24 | p[body + 1] << 16 | p[body + 2] << 8 | p[body + 3]) and (
            1 <= n <= 19)
        pan = ""
        if ok and k == _PLAIN:
            pan = hexlify(p[1:11]).decode()[:n]
        elif ok:
            pan = bytes(p[1 : 1 + n]).decode()
        if not ok or not pan.isdigit():
            raise ValueError("encrypted PAN: does not verify (damaged or another TMK)")
        return pan
