"""CPU per void, network excluded, on the unix port: the firmware's own work from Enter on
the void summary to the request bytes on the wire, and from the response bytes to the
result on the screen (host_tools/bench/cpu_mp.py, medians of N voids), next to a loopback
TCP round trip of the same byte sizes to an echo server on this machine, measured by the
same MicroPython process in the same run.

The flash steps run against the file-backed block device (a write is a host file write,
far faster than NOR flash), so on a device the flash share would be larger.
Run: `python -m host_tools.bench.cpu` (part of `make bench`).
"""

from __future__ import annotations

import shutil
import socket
import threading

from host_tools.bench.flash import WORK, run_bench_mp

N = 50


def _recv(conn: socket.socket, n: int) -> bytes | None:
    buf = bytearray()
    while len(buf) < n:
        chunk = conn.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return bytes(buf)


def _serve(conn: socket.socket) -> None:
    """4 bytes: request length, reply length; then the request; answer reply-length bytes.
    A 0 -> 0 request (or EOF) ends the connection."""
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    with conn:
        while True:
            hdr = _recv(conn, 4)
            if hdr is None:
                return
            n_req, n_resp = int.from_bytes(hdr[:2], "big"), int.from_bytes(hdr[2:], "big")
            if not n_req and not n_resp:
                return
            if _recv(conn, n_req) is None:
                return
            conn.sendall(bytes(n_resp))


def echo_server() -> tuple[socket.socket, int]:
    srv = socket.create_server(("127.0.0.1", 0))

    def loop() -> None:
        while True:
            try:
                conn, _ = srv.accept()
            except OSError:
                return
            threading.Thread(target=_serve, args=(conn,), daemon=True).start()

    threading.Thread(target=loop, daemon=True).start()
    return srv, srv.getsockname()[1]


def main() -> dict:
    d = WORK / "cpu"
    shutil.rmtree(d, ignore_errors=True)
    srv, port = echo_server()
    try:
        got = run_bench_mp("cpu_mp.py", d / "flash.img", port, N, sim_dir=d)
    finally:
        srv.close()
    cpu = got["request_us"] + got["response_us"]
    got["cpu_us"] = cpu
    got["fraction_open"] = cpu / got["rtt_open_us"]
    got["fraction_connect"] = cpu / got["rtt_connect_us"]
    print(f"one approved void, firmware work on the unix port (median of {got['n']}):")
    print(f"  Enter -> request on the wire   {got['request_us']:>8,} us "
          f"({got['request_bytes']} bytes)")
    print(f"  response -> result on screen   {got['response_us']:>8,} us "
          f"({got['response_bytes']} bytes)")
    print(f"  total                          {cpu:>8,} us")
    print("  steps: " + ", ".join(f"{k} {got['steps'][k]:,}" for k in got["order"]))
    print(f"loopback TCP round trip, same sizes, same run: {got['rtt_open_us']:,} us on an open "
          f"connection, {got['rtt_connect_us']:,} us with connect + close (as each exchange)")
    print(f"CPU per void / round trip: x{got['fraction_open']:.1f} (open connection), "
          f"x{got['fraction_connect']:.1f} (with connect)")
    return got


if __name__ == "__main__":
    main()
