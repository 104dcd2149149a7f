# ruff: noqa: UP031  (MicroPython: %-formatting, as the firmware writes it)
# MicroPython side of the CPU-per-void bench (host_tools/bench/cpu.py). The firmware's own
# work for one approved void, network excluded, timed step by step with time.ticks_us:
#
#   request:  Enter on the summary -> bytes on the wire: online.ready (pending reversal?),
#             take_voucher (state on flash), messages.financial, reversal.store (F2 sealed,
#             on flash), the countdown screen, messages.pack with the MAC + frame.encode;
#   response: bytes off the wire -> result on screen: frame.decode + unpack, match, MAC
#             check, the void kept (its record, its pre-auth's note: Txn.keep),
#             reversal.clear, the last-receipt record, and the approved screen (app/txn.py
#             order; the slips print after that).
#
# Then a loopback TCP round trip of the same byte sizes to host_tools/bench/cpu.py's echo
# server: connect + send + receive + close (one exchange of host/session.py), and send +
# receive on an open connection, in the same run.
#
#   micropython cpu_mp.py IMAGE PORT [N]      prints one JSON line
import json
import socket
import sys
import time

import txn_mp  # noqa: I001  (first: it puts the firmware ahead of host_tools/bench)
from app.strings import t as text  # noqa: E402
from codec import frame  # noqa: E402
from codec.iso8583 import unpack  # noqa: E402
from host import messages  # noqa: E402
from host.session import SW_VERSION  # noqa: E402
from sim_display import Display  # noqa: E402
from ui.font import Font  # noqa: E402
from ui.screen import RIGHT, Screen  # noqa: E402

MAK = bytes.fromhex("1C2A3B4D5E6F7081")
now = time.ticks_us
diff = time.ticks_diff


class Hw(txn_mp.Hw):
    display = Display()


def response(req_fields, stan_rrn):
    """The host's approval of a void request, as bytes on the wire (MAC under MAK)."""
    f = {}
    for k in (3, 4, 11, 25, 41, 42, 49, 60, 61):
        if k in req_fields:
            f[k] = req_fields[k]
    f[12], f[13] = "101500", "0301"
    f[37], f[38], f[39] = stan_rrn, "B7C8D9", "00"
    f[63] = "CUP"
    return frame.encode(messages.pack("0110", f, MAK), nii="0000", sw_version=SW_VERSION)


def one_void(term, scr, rec, steps):
    cfg, st = term.cfg, term.state
    x = txn_mp._txn(txn_mp.Void, term, rec)
    marks = []
    t0 = now()
    if term.reversal.load() is not None:  # online.ready -> flush_reversal
        raise RuntimeError("pending reversal")
    marks.append(("ready (pending reversal?)", now()))
    stan = st.take_voucher()
    marks.append(("take_voucher (flash)", now()))
    mti, fields = messages.financial(x.kind, cfg, st.batch_no, stan, x.card, x.amount,
                                     txn_mp.READ_CAP, x.extra())
    marks.append(("messages.financial", now()))
    term.reversal.store(mti, fields, "98", (rec.batch, rec.voucher), "void")
    marks.append(("reversal.store (seal, flash)", now()))
    scr.draw(text("m_void"), [text("processing"), text("seconds_left") % 70])
    marks.append(("countdown screen", now()))
    wire = frame.encode(messages.pack(mti, fields, MAK), nii=cfg["nii"], sw_version=SW_VERSION)
    marks.append(("pack + MAC + frame", now()))
    req_done = now()
    rx = response(fields, "%012d" % (300000000000 + int(stan)))  # not timed: the host's
    t1 = now()
    buf = memoryview(rx)[2:]
    hdr, off = frame.decode(buf)
    rmti, rfields = unpack(buf, off)
    marks.append(("frame.decode + unpack", now()))
    if not messages.matches(mti, fields, rmti, rfields):
        raise RuntimeError("response does not match")
    if not messages.mac_ok(MAK, rmti, rfields, buf[off:]):
        raise RuntimeError("MAC check failed")
    marks.append(("match + MAC check", now()))
    v = x.keep(fields, rfields)
    marks.append(("journal: the void, its pre-auth's note (flash)", now()))
    term.reversal.clear()
    marks.append(("reversal.clear (flash)", now()))
    term.remember_receipt(v)
    marks.append(("last receipt (flash)", now()))
    scr.draw(text("approved"), [text("m_void"), ("RMB 1.00", RIGHT)])
    marks.append(("approved screen", now()))
    last = t0
    for name, at in marks:
        if name == "frame.decode + unpack":
            last = t1
        steps.setdefault(name, []).append(diff(at, last))
        last = at
    return diff(req_done, t0), diff(marks[-1][1], t1), len(wire), len(rx), [m[0] for m in marks]


def loopback(port, n_req, n_resp, n):
    """Best and median microseconds of n round trips of n_req -> n_resp bytes."""
    addr = socket.getaddrinfo("127.0.0.1", port)[0][-1]
    hdr = bytes([n_req >> 8, n_req & 255, n_resp >> 8, n_resp & 255])
    payload = hdr + bytes(n_req)
    rbuf = bytearray(n_resp)

    def recv_all(s):
        got = 0
        mv = memoryview(rbuf)
        while got < n_resp:
            k = s.readinto(mv[got:])
            if not k:
                raise OSError("closed")
            got += k

    fresh, kept = [], []
    for _ in range(n):
        t0 = now()
        s = socket.socket()
        s.connect(addr)
        s.write(payload)
        recv_all(s)
        s.close()
        fresh.append(diff(now(), t0))
    s = socket.socket()
    s.connect(addr)
    for _ in range(n):
        t0 = now()
        s.write(payload)
        recv_all(s)
        kept.append(diff(now(), t0))
    s.write(bytes(4))  # 0 -> 0 bytes: the server closes
    s.close()
    return fresh, kept


def median(xs):
    xs = sorted(xs)
    return xs[len(xs) // 2]


def main():
    image, port = sys.argv[1], int(sys.argv[2])
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 50
    txn_mp.fresh_flash(image)
    term = txn_mp.signed_in()
    term.hw = Hw()
    scr = Screen(term.hw, Font())
    recs = [txn_mp.preauth(term, 100, "A%05d" % i) for i in range(n + 150)]
    steps, req, resp = {}, [], []
    for i in range(n + 5):  # the first 5 warm up (imports done, caches filled)
        a, b, n_req, n_resp, order = one_void(term, scr, recs[(i * 37) % len(recs)], steps)
        if i >= 5:
            req.append(a)
            resp.append(b)
    for k in steps:
        steps[k] = median(steps[k][5:])
    fresh, kept = loopback(port, n_req, n_resp, n)
    print(json.dumps({
        "n": n, "request_us": median(req), "response_us": median(resp), "steps": steps,
        "order": order, "request_bytes": n_req, "response_bytes": n_resp,
        "rtt_connect_us": median(fresh), "rtt_open_us": median(kept),
    }))


main()
