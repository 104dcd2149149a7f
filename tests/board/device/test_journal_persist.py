# The transaction log on the board's own filesystem (/data on littlefs): add and find
# records, void one (a record of its own, its pre-auth's note); PARAMS["phase"] "write"
# leaves them there, the host soft-resets the
# board, "check" finds them again after the reset (a new interpreter, no remount by the
# test) and removes the scratch folder.
import sys

import board
import boardtest
from journal import txnlog
from journal.pan import Keys
from journal.txnlog import Journal, Record

DIR = board.DATA_DIR + "/selftest-journal"
KEYS = Keys(bytes(range(16)))
PAN = "6225880123456789"
N = 40  # more than one 32-record chunk
MARK = "boardtest_before_reset"  # a sys.modules entry: gone after a reset


def _rec(i):
    r = Record(voucher="%06d" % (i + 1), date="20250301", time="%06d" % (100000 + i),
               amount=10000 + i, auth_code="A%05d" % i, rrn="%012d" % (500000000000 + i),
               host_date="0301", expiry="2712", entry_mode="012", card_org="CUP")
    r.set_card(KEYS, PAN)
    return r


def _void(j):
    orig = j.get(3)
    v = Record(kind=txnlog.VOID, voucher="000100", date="20250302", time="130102",
               amount=orig.amount, auth_code=orig.auth_code, rrn="600000000001",
               host_date="0302", expiry="2712", entry_mode="012", card_org="CUP",
               orig_batch=orig.batch, orig_voucher=orig.voucher,
               orig_host_date=orig.host_date, orig_amount=orig.amount)
    v.copy_card(orig)
    j.follow(v, orig)


def _check(j):
    assert j.count() == N + 1, j.count()
    assert j.find_voucher("000033").slot == 32
    assert [r.slot for r in j.find_auth("A00007")] == [7]
    g = j.get(3)
    assert g.state == txnlog.VOIDED and g.next_voucher == "000100", g
    assert g.pan_masked == "622588******6789" and g.same_card(KEYS, PAN)
    v = j.find_voucher("000100")
    assert v.kind == txnlog.VOID and v.orig_voucher == "000004" and v.slot == N
    assert j.get(4).state == txnlog.OPEN and j.get(4).amount == 10004
    assert j.last().voucher == "000100"


def test_journal():
    phase = boardtest.PARAMS.get("phase", "write")
    board.mount_flash()
    if phase == "write":
        boardtest.rmtree(DIR)
        j = Journal(DIR, KEYS, batch="000042")
        for i in range(N):
            assert j.add(_rec(i)) == i
        _void(j)
        _check(j)
        sys.modules[MARK] = sys  # any module object
        print("JOURNAL WRITTEN")
    else:
        assert MARK not in sys.modules, "the board was not reset between the phases"
        j = Journal(DIR, KEYS, batch="000042")
        _check(j)
        boardtest.rmtree(DIR)
        print("JOURNAL PERSISTED")


boardtest.run(globals())
