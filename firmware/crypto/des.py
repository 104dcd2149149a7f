"""DES and triple DES (EDE), ECB; encrypting or decrypting a block allocates nothing.

Why viper: it computes in machine words, so the 32-bit halves never become big ints (the
ESP32's small ints are 31-bit), and it runs ~400x pyDes. Layout after d3des: SP tables
(S-box + P, built at import), swap-move IP/FP, key schedule cooked once per key. On 64-bit
ports halves are masked to 32 bits wherever a right shift could pull stray high bits in.
"""

import micropython
from array import array

# Standard DES tables (FIPS 46-3), 1-based bit numbers, bit 1 = most significant.
_PC1 = bytes((57, 49, 41, 33, 25, 17, 9, 1, 58, 50, 42, 34, 26, 18, 10, 2, 59, 51, 43, 35,
              27, 19, 11, 3, 60, 52, 44, 36, 63, 55, 47, 39, 31, 23, 15, 7, 62, 54, 46, 38,
              30, 22, 14, 6, 61, 53, 45, 37, 29, 21, 13, 5, 28, 20, 12, 4))
_PC2 = bytes((14, 17, 11, 24, 1, 5, 3, 28, 15, 6, 21, 10, 23, 19, 12, 4, 26, 8, 16, 7, 27,
              20, 13, 2, 41, 52, 31, 37, 47, 55, 30, 40, 51, 45, 33, 48, 44, 49, 39, 56, 34,
              53, 46, 42, 50, 36, 29, 32))
_SHIFTS = b"\x01\x01\x02\x02\x02\x02\x02\x02\x01\x02\x02\x02\x02\x02\x02\x01"
_P = bytes((16, 7, 20, 21, 29, 12, 28, 17, 1, 15, 23, 26, 5, 18, 31, 10, 2, 8, 24, 14, 32,
            27, 3, 9, 19, 13, 30, 6, 22, 11, 4, 25))
# S1..S8, each 4 rows of 16 hex digits.
_S = (
    "E4D12FB83A6C5907" "0F74E2D1A6CB9538" "41E8D62BFC973A50" "FC8249175B3EA06D"
    "F18E6B34972DC05A" "3D47F28EC01A69B5" "0E7BA4D158C6932F" "D8A13F42B67C05E9"
    "A09E63F51DC7B428" "D709346A285ECBF1" "D6498F30B12C5AE7" "1AD069874FE3B52C"
    "7DE3069A1285BC4F" "D8B56F03472C1AE9" "A690CB7DF13E5284" "3F06A1D8945BC72E"
    "2C417AB6853FD0E9" "EB2C47D150FA3986" "421BAD78F9C5630E" "B8C71E2D6F09A453"
    "C1AF92680D34E75B" "AF427C9561DE0B38" "9EF528C3704A1DB6" "432C95FABE17608D"
    "4B2EF08D3C975A61" "D0B7491AE35C2F86" "14BDC37EAF680592" "6BD814A7950FE23C"
    "D2846FB1A93E50C7" "1FD8A374C56B0E92" "7B419CE206ADF358" "21E74A8DFC90356B"
)


def _make_sp():
    # SP[64*i + b]: the 6-bit input b to S-box i+1, through the S-box and P, rotated left
    # by one bit (the round keeps both halves rotated, see _ecb).
    pos = {}
    for j in range(32):
        pos[_P[j]] = (32 - j) % 32  # input bit P[j] goes to output bit 31 - j, then rotl 1
    sp = array("I", bytes(4 * 512))
    for i in range(8):
        for b in range(64):
            s = int(_S[i * 64 + ((b >> 4) & 2 | b & 1) * 16 + (b >> 1 & 15)], 16)
            v = 0
            for k in range(4):
                if s & (8 >> k):
                    v |= 1 << pos[4 * i + k + 1]
            sp[64 * i + b] = v
    return sp


_SP = _make_sp()


def _schedule(key8):
    """The 16 subkeys of one DES key as 32 cooked words: S-box inputs 1,3,5,7 | 2,4,6,8,
    six bits at bit 24, 16, 8, 0 (small ints throughout, no big ints on a 32-bit port)."""
    c = d = 0
    for i in range(56):
        p = _PC1[i] - 1
        bit = key8[p >> 3] >> (7 - (p & 7)) & 1
        if i < 28:
            c = c << 1 | bit
        else:
            d = d << 1 | bit
    ks = array("I", bytes(128))
    for r in range(16):
        s = _SHIFTS[r]
        c = (c << s | c >> (28 - s)) & 0xFFFFFFF
        d = (d << s | d >> (28 - s)) & 0xFFFFFFF
        o = 2 * r
        for j in range(48):
            p = _PC2[j] - 1
            if (c >> (27 - p) if p < 28 else d >> (55 - p)) & 1:
                k = j // 6
                ks[o + (k & 1)] |= 1 << (29 - 8 * (k >> 1) - j % 6)
    return ks


def _reverse(ks):
    # decryption uses the subkeys in reverse order
    out = array("I", bytes(128))
    for i in range(0, 32, 2):
        out[i] = ks[30 - i]
        out[i + 1] = ks[31 - i]
    return out


@micropython.viper
def _ecb(ks, src, dst, nbytes: int):
    # ks: array('I') of 32 words per DES pass (1 or 3 passes, EDE already folded in).
    if int(len(src)) < nbytes or int(len(dst)) < nbytes or nbytes & 7:
        raise ValueError("DES: data must be whole 8-byte blocks")
    k = ptr32(ks)
    sp = ptr32(_SP)
    s = ptr8(src)
    d = ptr8(dst)
    passes = int(len(ks)) >> 5
    m32 = uint(0x7FFF) << 17 | uint(0x1FFFF)        # 0xFFFFFFFF
    maa = (uint(0x2AAAAAAA) << 1 | uint(1)) << 1    # 0xAAAAAAAA
    o = 0
    while o < nbytes:
        l = uint(s[o]) << 24 | uint(s[o + 1]) << 16 | uint(s[o + 2]) << 8 | uint(s[o + 3])
        r = uint(s[o + 4]) << 24 | uint(s[o + 5]) << 16 | uint(s[o + 6]) << 8 | uint(s[o + 7])
        # initial permutation (swap-moves), then rotate both halves left by 1
        w = ((l >> 4) ^ r) & 0x0F0F0F0F
        r ^= w
        l ^= w << 4
        w = ((l >> 16) ^ r) & 0xFFFF
        r ^= w
        l ^= w << 16
        w = ((r >> 2) ^ l) & 0x33333333
        l ^= w
        r ^= w << 2
        w = ((r >> 8) ^ l) & 0x00FF00FF
        l ^= w
        r ^= w << 8
        r = (r << 1 | (r >> 31 & 1)) & m32
        w = (l ^ r) & maa
        l ^= w
        r ^= w
        l = (l << 1 | (l >> 31 & 1)) & m32
        ki = 0
        p = 0
        while True:
            for _ in range(8):
                w = (r << 28 | r >> 4) ^ uint(k[ki])
                f = uint(sp[384 + (w & 0x3F)]) | uint(sp[256 + (w >> 8 & 0x3F)])
                f |= uint(sp[128 + (w >> 16 & 0x3F)]) | uint(sp[w >> 24 & 0x3F])
                w = r ^ uint(k[ki + 1])
                f |= uint(sp[448 + (w & 0x3F)]) | uint(sp[320 + (w >> 8 & 0x3F)])
                f |= uint(sp[192 + (w >> 16 & 0x3F)]) | uint(sp[64 + (w >> 24 & 0x3F)])
                l ^= f
                w = (l << 28 | l >> 4) ^ uint(k[ki + 2])
                f = uint(sp[384 + (w & 0x3F)]) | uint(sp[256 + (w >> 8 & 0x3F)])
                f |= uint(sp[128 + (w >> 16 & 0x3F)]) | uint(sp[w >> 24 & 0x3F])
                w = l ^ uint(k[ki + 3])
                f |= uint(sp[448 + (w & 0x3F)]) | uint(sp[320 + (w >> 8 & 0x3F)])
                f |= uint(sp[192 + (w >> 16 & 0x3F)]) | uint(sp[64 + (w >> 24 & 0x3F)])
                r ^= f
                ki += 4
            p += 1
            if p >= passes:
                break
            w = l  # next pass: FP then IP cancel, only the halves swap
            l = r
            r = w
        # rotate back, final permutation (inverse swap-moves); output is r, l
        r = r << 31 | r >> 1
        w = (l ^ r) & maa
        l ^= w
        r ^= w
        l = l << 31 | l >> 1
        w = ((l >> 8) ^ r) & 0x00FF00FF
        r ^= w
        l ^= w << 8
        w = ((l >> 2) ^ r) & 0x33333333
        r ^= w
        l ^= w << 2
        w = ((r >> 16) ^ l) & 0xFFFF
        l ^= w
        r ^= w << 16
        w = ((r >> 4) ^ l) & 0x0F0F0F0F
        l ^= w
        r ^= w << 4
        d[o] = r >> 24
        d[o + 1] = r >> 16
        d[o + 2] = r >> 8
        d[o + 3] = r
        d[o + 4] = l >> 24
        d[o + 5] = l >> 16
        d[o + 6] = l >> 8
        d[o + 7] = l
        o += 8


class DES:
    """Single DES with an 8-byte key (parity bits ignored)."""

    def __init__(self, key):
        if len(key) != 8:
            raise ValueError("DES key must be 8 bytes")
        self._ek = _schedule(key)
        self._dk = _reverse(self._ek)

    def encrypt_block(self, src, dst):
        _ecb(self._ek, src, dst, 8)

    def decrypt_block(self, src, dst):
        _ecb(self._dk, src, dst, 8)

    def encrypt(self, data):
        out = bytearray(len(data))
        _ecb(self._ek, data, out, len(data))
        return bytes(out)

    def decrypt(self, data):
        out = bytearray(len(data))
        _ecb(self._dk, data, out, len(data))
        return bytes(out)


class TDES(DES):
    """Triple DES EDE: 16-byte key K1|K2 (K3 = K1) or 24-byte key K1|K2|K3."""

    def __init__(self, key):
        if len(key) not in (16, 24):
            raise ValueError("3DES key must be 16 or 24 bytes")
        k1, k2 = key[0:8], key[8:16]
        k3 = key[16:24] if len(key) == 24 else k1
        # EDE: E(K1) D(K2) E(K3) and back D(K3) E(K2) D(K1), 96 words each
        e1, e2 = _schedule(k1), _schedule(k2)
        e3 = _schedule(k3) if k3 is not k1 else e1
        d1, d2, d3 = _reverse(e1), _reverse(e2), _reverse(e3)
        self._ek = e1 + d2 + e3
        self._dk = d3 + e2 + d1
