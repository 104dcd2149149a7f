"""A TCP relay on loopback between the terminal and a host, for tests and the reliability
campaigns: it records every byte each way (the wire, as an eavesdropper on the merchant's
network sees it), and can cut the host's answer after so many bytes (a handshake broken in
the middle), stand in for a host that accepts the connection and never says a word, or
hand each TLS record to a callback that lets it through or stops the wire there (the
power-cut campaign cuts the terminal's power at a record)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable

TO_HOST = "to_host"
TO_TERMINAL = "to_terminal"
TLS_HEADER = 5  # content type, version (2), length (2)

# on_record(direction, connection, record) -> True: relay it; False: the wire stops here
RecordHook = Callable[[str, int, bytes], bool]


class Relay:
    """Listens on 127.0.0.1:<port> (0: any free port); each connection goes on to
    127.0.0.1:target (None: a silent host that only accepts). cut_after: close both sides
    once the host has sent that many bytes on a connection. on_record: called (under the
    relay's lock, in wire order) with each whole TLS record before it is relayed; once it
    returns False nothing more is relayed on any connection, and no connection is closed
    (the terminal sees neither data nor an end until the relay is closed). to_host /
    to_terminal: every byte relayed."""

    def __init__(self, target: int | None, cut_after: int | None = None, *, port: int = 0,
                 on_record: RecordHook | None = None) -> None:
        self.target = target
        self.cut_after = cut_after
        self.on_record = on_record
        self.stopped = False  # on_record said stop
        self.to_host = bytearray()
        self.to_terminal = bytearray()
        self.connections = 0
        self._lock = threading.Lock()
        self._srv = socket.create_server(("127.0.0.1", port))
        self._srv.settimeout(0.2)
        self.port = self._srv.getsockname()[1]
        self._stop = threading.Event()
        self._socks: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def __enter__(self) -> Relay:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(5)
        with self._lock:
            for s in self._socks:
                s.close()
        self._srv.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                term, _ = self._srv.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                self.connections += 1
                conn = self.connections
                self._socks.append(term)
            if self.target is None:
                threading.Thread(target=self._pump,
                                 args=(term, None, TO_HOST, conn, None), daemon=True).start()
                continue
            try:
                host = socket.create_connection(("127.0.0.1", self.target), timeout=5)
            except OSError:  # the host is not there: the terminal's connection just ends
                term.close()
                continue
            host.settimeout(None)
            with self._lock:
                self._socks.append(host)
            threading.Thread(target=self._pump, args=(term, host, TO_HOST, conn, None),
                             daemon=True).start()
            threading.Thread(target=self._pump,
                             args=(host, term, TO_TERMINAL, conn, self.cut_after),
                             daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket | None, direction: str,
              conn: int, limit: int | None) -> None:
        record = self.to_host if direction == TO_HOST else self.to_terminal
        sent = 0
        pending = bytearray()  # with on_record: the start of a TLS record not yet whole
        try:
            while True:
                data = src.recv(4096)
                if not data:
                    break
                go = True
                if self.on_record is not None:
                    pending += data
                    data, go = self._records(pending, direction, conn)
                if limit is not None:
                    data = data[: limit - sent]
                with self._lock:
                    record += data
                if dst is not None and data:
                    dst.sendall(data)
                sent += len(data)
                if not go:
                    return  # stopped: both sockets stay as they are
                if limit is not None and sent >= limit:
                    break
        except OSError:
            pass
        if self.stopped:
            return
        for s in (src, dst):
            if s is not None:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def _records(self, pending: bytearray, direction: str, conn: int) -> tuple[bytes, bool]:
        """The whole records at the start of pending that on_record lets through (taken
        out of pending), and False once it has stopped the wire."""
        out = bytearray()
        while len(pending) >= TLS_HEADER:
            n = TLS_HEADER + int.from_bytes(pending[3:5], "big")
            if len(pending) < n:
                break
            rec = bytes(pending[:n])
            with self._lock:
                go = not self.stopped and self.on_record is not None and self.on_record(
                    direction, conn, rec)
                if not go:
                    self.stopped = True
            if not go:
                return bytes(out), False  # what came before it still goes
            del pending[:n]
            out += rec
        return bytes(out), True
