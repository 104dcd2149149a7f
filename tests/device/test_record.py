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



def test_state_of_the_previous_firmware_keeps_its_voucher_counter():
    # before state.voucher existed, the counter was in the state record itself
    _clean()
    record.write(P, {"batch_no": "000003", "next_voucher": 42, "wrapped_keys": None,
                     "need_signin": False, "signed_in_at": None, "language": None})
    st = TerminalState(P)
    assert st.next_voucher == 42 and st.batch_no == "000003" and not st.need_signin
    assert st.take_voucher() == "000042"
    assert record.read(P + ".voucher") == {"next": 43}
    assert TerminalState(P).next_voucher == 43
    record.write(P + ".voucher", {"next": 0})  # out of range: damage, not a number to use
    mptest.raises(record.RecordError, TerminalState, P)


mptest.run(globals())
