# PAN protection: masking, HMAC-SHA256 (RFC 4231 vectors, crypto/mac.py), keyed hash,
# the PAN encrypted for the pending reversal.
import hashlib

import mptest
from crypto.mac import hmac_sha256
from journal import pan
from journal.pan import Keys

TMK = bytes(range(16))
PAN = "6225880123456789"


def test_mask():
    assert pan.mask(PAN) == "622588******6789"
    assert pan.mask("6225880123456789012") == "622588*********9012"
    assert pan.mask("622588123456") == "622588**3456"
    assert pan.mask("1234567890") == "******7890"  # too short to show both ends
    assert pan.mask_receipt(PAN) == "622588****6789"
    assert pan.mask_receipt(pan.mask(PAN)) == "622588****6789"  # from a masked PAN too


def test_hmac_rfc4231():
    h = hmac_sha256(b"\x0b" * 20, b"Hi There")
    assert h.hex() == "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
    h = hmac_sha256(b"Jefe", b"what do ya want for nothing?")
    assert h.hex() == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    # key longer than the block: hashed first (RFC 4231 test case 6)
    h = hmac_sha256(b"\xaa" * 131, b"Test Using Larger Than Block-Size Key - Hash Key First")
    assert h.hex() == "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"


def test_pan_hash_keyed():
    k = Keys(TMK)
    h = k.pan_hash(PAN)
    assert len(h) == 8 and h == Keys(TMK).pan_hash(PAN)
    assert h != k.pan_hash("6225880123456788")
    assert h != Keys(bytes(16)).pan_hash(PAN)  # another terminal: another hash
    assert h == hmac_sha256(hashlib.sha256(b"pan-hash" + TMK).digest(), PAN.encode())[:8]


def test_encrypt_round_trip_randomised():
    k = Keys(TMK)
    for p in (PAN, "6225880123456789012", "4" * 12, "1"):
        a, b = k.encrypt(p), k.encrypt(p)
        assert len(a) == pan.ENCRYPTED_LEN
        assert a != b  # random IV and fill: equal PANs do not encrypt alike
        assert k.decrypt(a) == p and k.decrypt(b) == p
        assert len(p) < 12 or p.encode() not in a


def test_decrypt_rejects_garbage():
    k = Keys(TMK)
    blob = bytearray(k.encrypt(PAN))
    for i in (0, 9, 16, 23):
        bad = bytearray(blob)
        bad[i] ^= 0x01
        mptest.raises(ValueError, k.decrypt, bytes(bad))
    mptest.raises(ValueError, k.decrypt, bytes(blob[:-1]))
    mptest.raises(ValueError, k.decrypt, bytes(blob) + bytes(8))  # the old size, not one
    mptest.raises(ValueError, k.decrypt, bytes(pan.ENCRYPTED_LEN))
    mptest.raises(ValueError, Keys(bytes(16)).decrypt, bytes(blob))  # another TMK
    mptest.raises(ValueError, k.encrypt, "62258801234x")
    mptest.raises(ValueError, k.encrypt, "1" * 20)
    mptest.raises(ValueError, Keys, bytes(8))


def test_pan_key_halves_differ():
    for tmk in (TMK, bytes(16), b"\xff" * 16):
        d = hashlib.sha256(b"pan-seal" + tmk).digest()
        assert bytes(x & 0xFE for x in d[:8]) != bytes(x & 0xFE for x in d[8:16])


mptest.run(globals())
