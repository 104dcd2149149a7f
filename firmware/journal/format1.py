# Format 1 (magic J1), the previous firmware's record: a pre-auth with its void inside it
# (the void's voucher, date, time, RRN and auth code). Read, never written: older flash may
# hold such records, beside format 2 in the same batch. Everything that knows them is
# here: reading one (journal/layout.py calls read()), and what the app makes of the void
# inside (query, reprint, a reversal found done), as a VOID record like any other.
# Nothing of the journal is imported: the Record class comes from the caller.
import struct

import kinds

MAGIC = b"J1"
# magic, state, pan_len, amount, voucher, batch, date, time, auth, rrn, host_date, pan
# first6+last4, pan_hash, expiry, entry_mode, card_org, void voucher/date/time/rrn/auth,
# spare; then CRC-32 of the 124 bytes before it (as format 2).
FMT = "<2sBBI6s6s8s6s6s12s4s10s8s4s3s3s6s8s6s12s6s2s"
F_AUTH = 8  # the auth code's place in FMT's fields (the auth-code hash reads it)


def _s(b):
    return b.decode().rstrip()


def read(buf, Record):
    """The format-1 record in buf (its CRC checked) as a Record (the class to make it
    of): a PREAUTH whose void_* name the void it carries, if it was voided."""
    t = struct.unpack_from(FMT, buf, 0)
    r = Record(state=t[1], amount=t[3], voucher=_s(t[4]), batch=_s(t[5]), date=_s(t[6]),
               time=_s(t[7]), auth_code=t[F_AUTH].decode(), rrn=_s(t[9]),
               host_date=_s(t[10]), expiry=_s(t[13]), entry_mode=_s(t[14]),
               card_org=_s(t[15]))
    r.stored_card(t[2], t[11], t[12])
    r.void_voucher, r.void_date, r.void_time = _s(t[16]), _s(t[17]), _s(t[18])
    r.void_rrn, r.void_auth = _s(t[19]), _s(t[20])
    return r


def voided(rec, voucher=None):
    """Does rec (a format-1 pre-auth) carry a void inside it (the one numbered voucher,
    if given)? False for every format-2 record."""
    return rec.void_voucher == voucher if voucher else bool(rec.void_voucher)


def void_record(rec):
    """The void a format-1 record carries, as the VOID record format 2 keeps of a void
    (its original: rec), so that its slip and name are any void's; None if it has none."""
    if not rec.void_voucher:
        return None
    v = type(rec)(kind=kinds.VOID, voucher=rec.void_voucher, batch=rec.batch,
                  date=rec.void_date, time=rec.void_time, amount=rec.amount,
                  auth_code=rec.void_auth or rec.auth_code, rrn=rec.void_rrn,
                  card_org=rec.card_org, orig_batch=rec.batch, orig_voucher=rec.voucher)
    v.copy_card(rec)
    return v


def find_void(journal, voucher):
    """The void numbered voucher inside a format-1 record (void_record()), newest first,
    the current batch then older ones; None. A bounded scan (at most a batch's capacity of
    records), for a voucher find_voucher() did not find."""
    for rec in journal.newest(journal.capacity):
        if rec.void_voucher == voucher:
            return void_record(rec)
    return None
