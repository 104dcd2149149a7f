"""Key check values and the sign-in working keys (F62) decrypted under the TMK."""

from crypto.des import DES, TDES


class KeyCheckError(Exception):
    pass


def kcv(key):
    """Check value: the first 4 bytes of 8 zero bytes encrypted with key (DES or 3DES)."""
    c = DES(key) if len(key) == 8 else TDES(key)
    out = bytearray(8)
    c.encrypt_block(bytes(8), out)
    return bytes(out[:4])


def unwrap_working_keys(tmk16, f62):
    """F62 = PIK/TMK(16) + KCV(4) + (MAK|00*8)/TMK(16) + KCV(4) -> (pik16, mak8).

    Raises KeyCheckError unless both check values match and the MAK block ends in zeros.
    """
    if len(tmk16) != 16:
        raise KeyCheckError("TMK must be 16 bytes, got %d" % len(tmk16))
    if len(f62) != 40:
        raise KeyCheckError("field 62 must be 40 bytes, got %d" % len(f62))
    tmk = TDES(tmk16)
    pik = tmk.decrypt(f62[0:16])
    if kcv(pik) != f62[16:20]:
        raise KeyCheckError("PIK check value mismatch (wrong TMK or corrupt field 62)")
    mak = tmk.decrypt(f62[20:36])
    if mak[8:16] != bytes(8):
        raise KeyCheckError("MAK block does not end in 8 zero bytes (wrong TMK?)")
    mak = mak[:8]
    if kcv(mak) != f62[36:40]:
        raise KeyCheckError("MAK check value mismatch (wrong TMK or corrupt field 62)")
    return pik, mak
