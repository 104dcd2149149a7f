# The ESC/POS printer driver on a fake UART (tests/device/fakebus.py): exact bytes, paced
# chunks, partial writes and a stalled line, and the paper check: DLE EOT 4, the ESC v
# fallback, timeouts, stale bytes, and what silence means. Timeouts are kept short
# (tens of ms) so the module runs in well under a second.
import asyncio
import time

import mptest
from fakebus import UART
from drivers import escpos
from drivers import printer as P

RT = escpos.STATUS_PAPER_RT  # DLE EOT 4
V = escpos.STATUS_PAPER + b"\x00"  # ESC v 0
TMO = 40


def eq(a, b):
    assert a == b, "%r != %r" % (a, b)


def run(coro):
    return asyncio.run(coro)


def _data(n):
    return bytes((i * 7 + 3) & 0xFF for i in range(n))


def test_write_exact_bytes_in_chunks():
    u = UART()
    p = P.Printer(u, pace_bytes_per_s=1000000)
    data = _data(300)
    run(p.write(data))
    eq(bytes(u.written), data)
    eq([len(b) for _, b in u.writes], [64, 64, 64, 64, 44])
    run(p.write(bytearray(b"\x1b@\x1c&AB\n")))  # bytearray and short data: one write
    eq(u.writes[-1][1], b"\x1b@\x1c&AB\n")
    run(p.write(b""))  # nothing to send: no write at all
    eq(len(u.writes), 6)


def test_write_is_paced():
    u = UART()
    pace = 3200  # 64 bytes every 20 ms
    p = P.Printer(u, pace_bytes_per_s=pace)
    data = _data(5 * 64)
    t0 = time.ticks_ms()
    run(p.write(data))
    elapsed = time.ticks_diff(time.ticks_ms(), t0)
    eq(bytes(u.written), data)
    first = u.writes[0][0]
    for i, (t, chunk) in enumerate(u.writes):
        eq(len(chunk), 64)
        due = i * 64 * 1000 // pace  # chunk i may go only after this much time
        assert time.ticks_diff(t, first) >= due - 1, (i, time.ticks_diff(t, first), due)
    # no sleep after the last chunk: 4 gaps of 20 ms
    assert 78 <= elapsed < 400, elapsed


def test_write_resumes_after_partial_writes():
    u = UART(accept=10)  # the UART takes 10 bytes a call
    p = P.Printer(u, pace_bytes_per_s=1000000)
    data = _data(100)
    run(p.write(data))
    eq(bytes(u.written), data)
    eq([len(b) for _, b in u.writes], [10] * 10)


def test_write_stalled_line_raises():
    u = UART(accept=0)
    p = P.Printer(u, pace_bytes_per_s=1000000)
    p.STALL_MS = 50
    t0 = time.ticks_ms()
    e = None
    try:
        run(p.write(b"x" * 10))
    except P.PrinterError as err:
        e = err
    assert isinstance(e, OSError), e
    assert 50 <= time.ticks_diff(time.ticks_ms(), t0) < 1000


def test_realtime_status_paper_present():
    u = UART({RT: b"\x12"})
    p = P.Printer(u, status_timeout_ms=TMO)
    assert run(p.paper_ok())
    eq(p.status, P.OK)
    eq(bytes(u.written), RT)  # exactly DLE EOT 4, nothing else


def test_realtime_status_paper_out():
    u = UART({RT: bytes((0x12 | 0x60,))})
    p = P.Printer(u, status_timeout_ms=TMO)
    assert not run(p.paper_ok())
    eq(p.status, P.PAPER_OUT)
    eq(bytes(u.written), RT)  # answered: no ESC v fallback


def test_realtime_status_near_end_still_prints():
    logged = []
    u = UART({RT: bytes((0x12 | 0x0C,))})
    p = P.Printer(u, status_timeout_ms=TMO, log=logged.append)
    assert run(p.paper_ok())
    eq(p.status, P.NEAR_END)
    assert run(p.paper_ok())
    eq(logged, ["printer: paper near end"])  # once, not per receipt


def test_no_realtime_answer_falls_back_to_esc_v():
    u = UART({V: b"\x00"})
    p = P.Printer(u, status_timeout_ms=TMO)
    t0 = time.ticks_ms()
    assert run(p.paper_ok())
    assert time.ticks_diff(time.ticks_ms(), t0) >= TMO  # waited for DLE EOT 4 first
    eq(bytes(u.written), RT + V)
    eq(p.status, P.OK)
    # ESC v answered: asked first from now on
    u.written = bytearray()
    u.answers[V] = b"\x0c"  # paper end bits of the ESC v answer
    assert not run(p.paper_ok())
    eq(bytes(u.written), V)
    eq(p.status, P.PAPER_OUT)
    u.answers[V] = b"\x03"  # near end only
    assert run(p.paper_ok())
    eq(p.status, P.NEAR_END)


def test_invalid_realtime_answer_is_not_a_status():
    u = UART({RT: b"\xff", V: b"\x00"})  # 0xff breaks the fixed bits of DLE EOT 4
    p = P.Printer(u, status_timeout_ms=TMO)
    assert run(p.paper_ok())
    eq(bytes(u.written), RT + V)


def test_answer_within_timeout_counts_late_one_does_not():
    u = UART({RT: b"\x72"}, delay_ms=TMO // 2)
    p = P.Printer(u, status_timeout_ms=TMO)
    assert not run(p.paper_ok())  # the paper-out answer arrived in time
    u = UART({RT: b"\x72"}, delay_ms=3 * TMO)
    p = P.Printer(u, status_timeout_ms=TMO)
    t0 = time.ticks_ms()
    ok = run(p.paper_ok())  # too late: counts as silence (and no answer ever: blind)
    elapsed = time.ticks_diff(time.ticks_ms(), t0)
    assert ok
    eq(p.status, P.UNKNOWN)
    assert 2 * TMO <= elapsed < 2 * TMO + 200, elapsed


def test_stale_bytes_are_dropped_before_asking():
    u = UART({RT: b"\x12"})
    u.feed(b"\x72")  # an old paper-out answer still in the receive buffer
    p = P.Printer(u, status_timeout_ms=TMO)
    assert run(p.paper_ok())
    eq(p.status, P.OK)


def test_silence_never_answered_prints_blind_answered_before_fails():
    logged = []
    u = UART()  # status line not wired
    p = P.Printer(u, status_timeout_ms=TMO, log=logged.append)
    assert run(p.paper_ok())
    eq(p.status, P.UNKNOWN)
    assert not p.answered
    eq(bytes(u.written), RT + V)
    assert run(p.paper_ok())
    eq(len(logged), 1)  # said once
    # a printer that has answered, then goes silent, is off or unplugged
    u = UART({RT: b"\x12"})
    p = P.Printer(u, status_timeout_ms=TMO, log=logged.append)
    assert run(p.paper_ok())
    del u.answers[RT]
    assert not run(p.paper_ok())
    eq(p.status, P.NO_ANSWER)
    u.answers[RT] = b"\x12"  # back on
    assert run(p.paper_ok())


if __name__ == "__main__":
    mptest.run(globals())
