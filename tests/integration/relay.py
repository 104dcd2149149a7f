"""A TCP relay on loopback between the terminal and a host, for tests: it records every
byte each way (the wire, as an eavesdropper on the merchant's network sees it), and can
cut the host's answer after so many bytes (a handshake broken in the middle), or stand in
for a host that accepts the connection and never says a word."""

from __future__ import annotations

import socket
import threading


class Relay:
    """Listens on 127.0.0.1:<port>; each connection goes on to 127.0.0.1:target (None: a
    silent host that only accepts). cut_after: close both sides once the host has sent
    that many bytes on a connection. to_host / to_terminal: every byte relayed."""

    def __init__(self, target: int | None, cut_after: int | None = None) -> None:
        self.target = target
        self.cut_after = cut_after
        self.to_host = bytearray()
        self.to_terminal = bytearray()
        self.connections = 0
        self._lock = threading.Lock()
        self._srv = socket.create_server(("127.0.0.1", 0))
        self._srv.settimeout(0.2)
        self.port = self._srv.getsockname()[1]
        self._stop = threading.Event()
        self._socks: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def __enter__(self) -> Relay:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
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
                self._socks.append(term)
            if self.target is None:
                threading.Thread(target=self._pump, args=(term, None, self.to_host, None),
                                 daemon=True).start()
                continue
            host = socket.create_connection(("127.0.0.1", self.target), timeout=5)
            host.settimeout(None)
            with self._lock:
                self._socks.append(host)
            threading.Thread(target=self._pump, args=(term, host, self.to_host, None),
                             daemon=True).start()
            threading.Thread(target=self._pump,
                             args=(host, term, self.to_terminal, self.cut_after),
                             daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket | None, record: bytearray,
              limit: int | None) -> None:
        sent = 0
        try:
            while True:
                data = src.recv(4096)
                if not data:
                    break
                if limit is not None:
                    data = data[: limit - sent]
                with self._lock:
                    record += data
                if dst is not None:
                    dst.sendall(data)
                sent += len(data)
                if limit is not None and sent >= limit:
                    break
        except OSError:
            pass
        finally:
            for s in (src, dst):
                if s is not None:
                    try:
                        s.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
