"""The TLS handshake's cost beside a transaction's (part of `make bench`).

Sign-ins (0800/0810), N of them, each through the firmware's own HostSession.exchange
(host/session.py: a TCP connection per exchange, TLS through host/tls.py when configured),
against the host simulator over TLS 1.2 (its test PKI: ECDHE-ECDSA, P-256) and against a
plain one (`--plain`), on the unix port (host_tools/bench/tls_mp.py), measuring:

- **CPU**: the MicroPython process's own CPU time (user + system, from the kernel, as the
  parent reaps it), N exchanges minus a run with none, per exchange, TLS vs plain. The
  difference is the handshake (and the record layer, a few microseconds here).
- **bytes** on the wire per exchange, each way, counted by a TCP relay between the
  terminal and the host (host_tools/hostsim/relay.py); with TLS, split by record type:
  handshake, application data, alerts (the close_notify of each side).
- **GC heap** (32-bit device-like interpreter when built, and 64-bit): what the session
  keeps once made (with TLS, host/tls.py's SSLContext and the CA: mbedTLS's own state is
  in the C heap, as in the IDF heap on the ESP32), what an exchange allocates in all, the
  most it holds live (sampled at every turn of the scheduler) and what it leaves; the
  sizes of the tls module's two objects (SSLContext, SSLSocket); and the smallest heap
  (`-X heapsize`, bisected to MIN_STEP bytes) in which the session and two exchanges
  complete, TLS vs plain.

Then what it means for an ESP32, from published figures (ESP32_FIGURES, with their
sources), and whether a transaction behind a pending reversal should send both on one
connection (DECISION). Run: `python -m host_tools.bench.tls` (part of `make bench`).
"""

from __future__ import annotations

import resource
import statistics
import subprocess
from pathlib import Path

from host_tools import frozen_unix
from host_tools.bench.flash import WORK
from host_tools.hostsim.process import running_hostsim
from host_tools.hostsim.relay import TO_HOST, Relay
from host_tools.hostsim.tls import test_pki
from host_tools.runtime import ROOT, Runtime

HERE = Path(__file__).parent
N_CPU = 40  # exchanges per CPU run
REPEATS = 3  # CPU runs of each kind (the per-exchange figure is their median)
N_HEAP = 5  # exchanges of the heap run (the first one's figures are the largest)
MIN_STEP = 128  # bytes: the resolution of the smallest-heap bisection
RECORD_TYPES = {20: "change_cipher_spec", 21: "alert", 22: "handshake", 23: "application_data"}

# What the bench measures on a PC, an ESP32 does with a slower core and software ECC. These
# are the published figures the report converts with; each names its source.
ESP32_FIGURES = {
    "handshake_s": 1.2,
    "handshake_src": "micropython/micropython-esp32 issue #131, \"ssl handshake takes too "
                     "much time\": `ssl.wrap_socket` on an ESP32, timed in a loop, 1.18 to "
                     "1.28 s per handshake (the clock and the server key's type are not "
                     "stated)",
    "ecdsa_verify_ms": 267,
    "ecdsa_verify_src": "espressif/esp-idf pull request #19027, \"don't use the MPI hardware "
                        "below its crossover size\": `ecdsa_verify` P-256 on an ESP32-S3 at "
                        "240 MHz, 267 ms in software (302 ms through the MPI accelerator, "
                        "which for 256-bit operands is slower than software on the ESP32 "
                        "too: 19.5 against 9.8 us per multiply, pull request #19026)",
    "heap_default_b": 42196,
    "heap_dynamic_b": 22013,
    "heap_src": "ESP-IDF Programming Guide, \"Mbed TLS\", \"Performance and Memory Tweaks: "
                "Reducing Heap Usage\" (the https_request example with server validation): "
                "42,196 B by default, 22,013 B with CONFIG_MBEDTLS_DYNAMIC_BUFFER, "
                "CONFIG_MBEDTLS_DYNAMIC_FREE_CONFIG_DATA and CONFIG_MBEDTLS_DYNAMIC_FREE_CA_CERT",
}


def interpreters() -> dict[str, Runtime]:
    """frozen32 (the device-like interpreter, when `make frozen` built it) and unix64."""
    out: dict[str, Runtime] = {}
    if frozen_unix.MICROPYTHON.exists():
        out["frozen32"] = Runtime.frozen(frozen_unix.MICROPYTHON)
    out["unix64"] = Runtime.sources()
    return out


def _run(rt: Runtime, port: int, mode: str, n: int, what: str,
         heapsize: int | None = None) -> tuple[dict | None, float]:
    """tls_mp.py once: (its JSON, the process's CPU seconds). With heapsize, a run that
    fails (out of memory) gives None; without, it raises."""
    import json

    env = rt.env()
    cmd = rt.command(HERE / "tls_mp.py", port, mode, n, what, test_pki().ca_der,
                     heapsize=heapsize)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT, timeout=600)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode:
        if heapsize:
            return None, 0.0
        raise RuntimeError(f"tls_mp.py {mode} {what} failed:\n{proc.stdout}{proc.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return json.loads(proc.stdout.strip().splitlines()[-1]), cpu


def min_heap(rt: Runtime, port: int, mode: str, lo: int = 4096, hi: int = 256 * 1024) -> int:
    """The smallest -X heapsize (MIN_STEP resolution) in which the session and two
    exchanges complete."""
    if _run(rt, port, mode, 2, "cpu", hi)[0] is None:
        raise RuntimeError(f"{mode}: two exchanges fail even in a {hi}-byte heap")
    while hi - lo > MIN_STEP:
        mid = (lo + hi) // 2 // MIN_STEP * MIN_STEP
        if _run(rt, port, mode, 2, "cpu", mid)[0] is None:
            lo = mid
        else:
            hi = mid
    return hi


class _Wire:
    """A relay in front of a host, counting bytes each way and, for TLS, by record type."""

    def __init__(self, target: int, tls: bool) -> None:
        self.by_type: dict[tuple[str, str], int] = {}
        self.relay = Relay(target, on_record=self._record if tls else None)

    def _record(self, direction: str, _conn: int, rec: bytes) -> bool:
        key = (direction, RECORD_TYPES.get(rec[0], str(rec[0])))
        self.by_type[key] = self.by_type.get(key, 0) + len(rec)
        return True

    def per_exchange(self) -> dict:
        r = self.relay
        n = max(r.connections, 1)
        out = {"connections": r.connections, "to_host": len(r.to_host) / n,
               "to_terminal": len(r.to_terminal) / n}
        out["records"] = {f"{'to_host' if d == TO_HOST else 'to_terminal'} {t}": b / n
                          for (d, t), b in sorted(self.by_type.items())}
        return out


def measure(name: str, rt: Runtime, ports: dict[str, int]) -> dict:
    out: dict = {}
    for mode in ("plain", "tls"):
        per: list[float] = []
        walls: list[int] = []
        wire = _Wire(ports[mode], mode == "tls")
        with wire.relay:
            for _ in range(REPEATS):
                _, cpu0 = _run(rt, wire.relay.port, mode, 0, "cpu")
                got, cpun = _run(rt, wire.relay.port, mode, N_CPU, "cpu")
                per.append((cpun - cpu0) / N_CPU)
                walls += got["wall_us"]
            heap, _ = _run(rt, wire.relay.port, mode, N_HEAP, "heap")
            assert heap is not None
            bytes_ = wire.per_exchange()  # before the bisection's runs cut short
            smallest = min_heap(rt, wire.relay.port, mode)
        out[mode] = {"cpu_ms": statistics.median(per) * 1000,
                     "cpu_ms_runs": [round(x * 1000, 2) for x in per],
                     "wall_ms": statistics.median(walls) / 1000, "bytes": bytes_,
                     "setup_bytes": heap["setup_bytes"], "gross": max(heap["gross"]),
                     "peak": max(heap["peak"]), "left": max(heap["left"]),
                     "min_heap": smallest}
        for k in ("sslcontext", "sslsocket"):
            if k in heap:
                out[k] = heap[k]
    p, t = out["plain"], out["tls"]
    out["handshake_cpu_ms"] = t["cpu_ms"] - p["cpu_ms"]
    out["tls_bytes_extra"] = (t["bytes"]["to_host"] + t["bytes"]["to_terminal"]
                              - p["bytes"]["to_host"] - p["bytes"]["to_terminal"])
    kb = 1024
    print(f"{name} ({rt.exe}):")
    for mode in ("plain", "tls"):
        m = out[mode]
        b = m["bytes"]
        print(f"  {mode:5} exchange: CPU {m['cpu_ms']:7.2f} ms (runs "
              f"{', '.join(f'{x:.2f}' for x in m['cpu_ms_runs'])}), wall {m['wall_ms']:6.1f} ms; "
              f"bytes {b['to_host']:,.0f} out / {b['to_terminal']:,.0f} in; GC heap kept by "
              f"the session {m['setup_bytes'] / kb:.2f} KB, per exchange allocated "
              f"{m['gross'] / kb:.2f} KB, live peak {m['peak'] / kb:.2f} KB, left "
              f"{m['left']} B; smallest heap for the session and 2 exchanges "
              f"{m['min_heap'] / kb:.2f} KB")
    for k, v in t["bytes"]["records"].items():
        print(f"    tls {k}: {v:,.0f} B")
    print(f"  TLS handshake: {out['handshake_cpu_ms']:.2f} ms CPU, "
          f"{out['tls_bytes_extra']:,.0f} bytes more per exchange, "
          f"{(t['setup_bytes'] - p['setup_bytes']) / kb:.2f} KB more GC heap kept "
          f"(an SSLContext is {out['sslcontext']:,} B, an SSLSocket {out['sslsocket']:,} B), "
          f"{(t['min_heap'] - p['min_heap']) / kb:.2f} KB more heap needed")
    return out


def decision(res: dict) -> str:
    """Whether a transaction behind a pending reversal should send both on one connection,
    from the figures (the report's paragraph; printed by main)."""
    e = ESP32_FIGURES
    name = "frozen32" if "frozen32" in res else "unix64"
    r = res[name]
    hs = r["tls"]["bytes"]["records"]
    hs_bytes = sum(v for k, v in hs.items() if "handshake" in k or "change_cipher" in k)
    return (
        f"**Decision: keep one connection per exchange; do not send the pending reversal "
        f"and the request on one connection.** What one connection would save is one "
        f"handshake: about {e['handshake_s']} s of an ESP32's CPU (published, above; "
        f"{r['handshake_cpu_ms']:.0f} ms here on the {name} unix port, "
        f"{r['tls']['cpu_ms'] / r['plain']['cpu_ms']:.0f} times a plain exchange's), "
        f"{hs_bytes:,.0f} bytes of handshake records and three round trips (TCP's, and "
        "TLS 1.2's two), once, for a transaction that finds a reversal pending. A reversal "
        "is pending only after an exchange went unanswered, which first waited out "
        "`response_timeout_s` (60 s by default), or after a power cut in the middle of "
        "one: rare, and already slow; a second more then does not change what the "
        "merchant sees. Against it: the acquirer's contract does not say that a host keeps "
        "a connection open after its answer (docs/protocol.md, \"Connections\": one "
        "exchange per connection is the terminal's choice where the contract is silent); "
        "the flash work between the two (clear the reversal, store the new one) would run "
        "with the connection open; and \"nothing sent\" is today the state of a connection "
        "whose handshake failed, which a second request on a live connection would no "
        "longer be. The same second is better won for every transaction, not only this "
        "case: TLS session resumption (an abbreviated handshake, no certificate check and "
        "no ECDHE; RFC 5077 tickets, on by default in ESP-IDF's mbedTLS, "
        "CONFIG_MBEDTLS_CLIENT_SSL_SESSION_TICKETS) once MicroPython's `tls` exposes a "
        "session to keep, which v1.28 does not. Revisit if a field trial shows reversals "
        "on more than a few percent of transactions, or a handshake on the prototype "
        "well above the published second (a terminal with a reversal pending and a "
        "sign-in due makes three handshakes before its request: sign-in, reversal, "
        "request).")


def main(cpu_per_void_us: int | None = None) -> dict:
    """cpu_per_void_us: the firmware's own CPU per void (host_tools/bench/cpu.py, unix
    port), to set the handshake beside."""
    work = WORK / "tls"
    work.mkdir(parents=True, exist_ok=True)
    results: dict = {"n_cpu": N_CPU, "repeats": REPEATS, "n_heap": N_HEAP,
                     "esp32": ESP32_FIGURES}
    with running_hostsim(work / "tls.db") as (_p, tls_port), \
            running_hostsim(work / "plain.db", "--plain") as (_q, plain_port):
        ports = {"tls": tls_port, "plain": plain_port}
        for name, rt in interpreters().items():
            results[name] = measure(name, rt, ports)
    u = results["unix64"]
    if cpu_per_void_us:
        results["cpu_per_void_us"] = cpu_per_void_us
        print(f"handshake CPU (unix64) / the firmware's CPU per void (cpu bench): "
              f"{u['handshake_cpu_ms'] * 1000 / cpu_per_void_us:.1f}x")
    e = ESP32_FIGURES
    print(f"ESP32 (published): about {e['handshake_s']} s per ECDHE-ECDSA handshake "
          f"({e['handshake_src']}); P-256 ECDSA verify {e['ecdsa_verify_ms']} ms "
          f"({e['ecdsa_verify_src']})")
    print(decision(results))
    return results


if __name__ == "__main__":
    main()
