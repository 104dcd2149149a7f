# ruff: noqa: UP031  (MicroPython: %-formatting, as the firmware writes it)
# MicroPython side of the TLS bench (host_tools/bench/tls.py): sign-ins (0800/0810) sent
# through the firmware's own HostSession.exchange (host/session.py: a connection per
# exchange, TLS through host/tls.py's Trust when the configuration says so), N times, to
# the host simulator at 127.0.0.1:PORT. Nothing here is a stand-in for the firmware's
# network code: only the terminal state is (no flash: a sign-in's bookkeeping is not what
# is measured).
#
#   micropython tls_mp.py PORT tls|plain N cpu|heap CA
#
# cpu:  N exchanges, nothing else (the process's CPU time is taken from outside, by
#       tls.py, against a run with N = 0); prints the wall time of each exchange.
# heap: the GC heap (gc.mem_alloc()) of the session set-up and of each of N exchanges:
#       what the set-up keeps (Trust's SSLContext and CA with TLS), what an exchange
#       allocates in all (the collector off), the most it holds live at once (a task
#       collects and samples at every turn of the scheduler while the exchange runs) and
#       what it leaves behind; with TLS also the two objects the tls module makes in
#       the GC heap, an SSLContext and an SSLSocket (mbedTLS's own state is in the C heap).
#
# Prints one JSON line.
import gc
import json
import sys
import time

# sys.path[0] is host_tools/bench, which holds the CPython codec.py of `make bench`: to the
# end with it, so that `codec` is the firmware's package.
if sys.path and sys.path[0].endswith("bench"):
    sys.path.append(sys.path.pop(0))

import asyncio  # noqa: E402

import config  # noqa: E402
from host import messages  # noqa: E402
from host.session import OK, HostSession  # noqa: E402


class State:
    """The part of journal.state.TerminalState an exchange reads (no flash)."""

    wrapped_keys = None
    need_signin = False
    batch_no = "000001"

    def save(self):
        pass


def session(port, tls, ca):
    cfg = dict(config.DEFAULTS)
    cfg.update(port=port, tls=tls, tls_ca=ca, connect_timeout_s=10, response_timeout_s=10)
    return HostSession(cfg, State())


async def one(s, i):
    mti, fields = messages.signin(s.cfg, "000001", "%06d" % (i % 999999 + 1))
    res = await s.exchange(mti, fields, mac=False)
    if res.outcome != OK or res.rc != "00":
        raise RuntimeError("exchange %d: %r" % (i, res))


async def cpu(s, n):
    walls = []
    for i in range(n):
        t0 = time.ticks_us()
        await one(s, i)
        walls.append(time.ticks_diff(time.ticks_us(), t0))
    return {"wall_us": walls}


async def sample(probe):
    """Until probe[1]: collect and keep the most in use in probe[0], at every turn."""
    while not probe[1]:
        gc.collect()
        probe[0] = max(probe[0], gc.mem_alloc())
        await asyncio.sleep_ms(0)


async def heap(s, n):
    gross, peak, left = [], [], []
    for i in range(n):
        gc.collect()
        base = gc.mem_alloc()
        gc.disable()  # what the exchange allocates, garbage included
        try:
            await one(s, i)
        finally:
            gc.enable()
        gross.append(gc.mem_alloc() - base)

        gc.collect()
        base = gc.mem_alloc()
        probe = [base, False]  # the most in use, done
        task = asyncio.create_task(sample(probe))
        try:
            await one(s, i)
        finally:
            probe[1] = True
        await task
        peak.append(probe[0] - base)
        gc.collect()
        left.append(gc.mem_alloc() - base)
    return {"gross": gross, "peak": peak, "left": left}


def tls_objects(s):
    """GC bytes of a new SSLContext (with the CA loaded) and of an SSLSocket wrapped
    around a socket (no handshake), each after a collection."""
    import socket

    import tls

    ca = open(s.cfg["tls_ca"], "rb").read()
    gc.collect()
    base = gc.mem_alloc()
    ctx = tls.SSLContext(tls.PROTOCOL_TLS_CLIENT)
    ctx.verify_mode = tls.CERT_REQUIRED
    ctx.load_verify_locations(ca)
    gc.collect()
    context = gc.mem_alloc() - base
    sock = socket.socket()
    gc.collect()
    base = gc.mem_alloc()
    ss = ctx.wrap_socket(sock, server_hostname="127.0.0.1", do_handshake_on_connect=False)
    gc.collect()
    wrapped = gc.mem_alloc() - base
    ss.close()
    return {"sslcontext": context, "sslsocket": wrapped}


def main():
    port, mode, n, what, ca = (int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4],
                               sys.argv[5])
    gc.collect()
    base = gc.mem_alloc()
    s = session(port, mode == "tls", ca)
    gc.collect()
    out = {"mode": mode, "n": n, "setup_bytes": gc.mem_alloc() - base}
    out.update(asyncio.run((cpu if what == "cpu" else heap)(s, n)))
    if what == "heap" and mode == "tls":
        out.update(tls_objects(s))
    print(json.dumps(out))


main()
