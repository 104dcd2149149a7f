# Atomic records and terminal state: round trip, damage detection, voucher persistence.
import os

import mptest
from journal import record
from journal.state import TerminalState

P = mptest.TMP + "/pos_test_record"


def _clean():
    for p in (P, P + ".new", P + ".voucher"):
        try:
            os.remove(p)
        except OSError:
            pass


def test_round_trip_and_default():
    _clean()
    assert record.read(P, "none") == "none"
    record.write(P, {"a": 1, "b": "x"})
    assert record.read(P) == {"a": 1, "b": "x"}


def test_leftover_new_file_ignored():
    _clean()
    record.write(P, {"v": 1})
    with open(P + ".new", "w") as f:
        f.write('{"v": 2')  # a cut before the rename: the old record stands
    assert record.read(P) == {"v": 1}


def _damage(data):
    with open(P, "w") as f:
        f.write(data)
    return str(mptest.raises(record.RecordError, record.read, P))


def test_damage_detected():
    _clean()
    record.write(P, {"v": 123})
    with open(P) as f:
        good = f.read()
    assert "checksum" in _damage(good.replace("123", "124"))
    assert "truncated" in _damage(good[:5])
    assert "checksum" in _damage(good[:-3] + "\n")
    assert "large" in _damage("x" * 5000)
    with open(P, "wb") as f:
        f.write(b'{"v": "\xff\xfe"}\n12345678\n')  # not UTF-8
    assert "unreadable" in str(mptest.raises(record.RecordError, record.read, P))


def test_voucher_persisted_before_use_and_wraps():
    _clean()
    st = TerminalState(P)
    assert st.batch_no == "000000" and st.need_signin
    assert st.take_voucher() == "000001"
    assert TerminalState(P).next_voucher == 2  # already on flash
    st.next_voucher = 999999
    assert st.take_voucher() == "999999"
    assert st.take_voucher() == "000001"
    assert TerminalState(P).next_voucher == 2


mptest.run(globals())
