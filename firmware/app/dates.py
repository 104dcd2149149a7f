# Calendar arithmetic on the clock's (year, month, day, ...) tuples and YYYYMMDD dates:
# how old a pre-auth is, the date an MMDD typed by hand means, the start of the validity
# window. Shared by the transaction skeleton (txn.py) and settlement (settle.py).
import time

DAY_S = 86400


def _days(y, mo, d):
    return time.mktime((y, mo, d, 0, 0, 0, 0, 0)) // DAY_S


def age_days(now, yyyymmdd):
    """Whole days from a YYYYMMDD date to now (a clock tuple)."""
    then = _days(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:8]))
    return _days(now[0], now[1], now[2]) - then


def keyed_date(now, mmdd):
    """The most recent date on or before today with this MMDD, as YYYYMMDD; None if MMDD
    is not a date."""
    mo, d = int(mmdd[:2]), int(mmdd[2:])
    if not (1 <= mo <= 12 and 1 <= d <= 31):
        return None
    y = now[0] if (mo, d) <= (now[1], now[2]) else now[0] - 1
    if time.localtime(time.mktime((y, mo, d, 12, 0, 0, 0, 0)))[1] != mo:
        return None  # e.g. 0231
    return "%04d%02d%02d" % (y, mo, d)


def days_ago(now, n):
    """The date n days before now (a clock tuple), YYYYMMDD (the oldest a pre-auth may be
    to be used)."""
    y, mo, d = now[:3]
    then = time.localtime(time.mktime((y, mo, d, 12, 0, 0, 0, 0)) - n * DAY_S)
    return "%04d%02d%02d" % then[:3]
