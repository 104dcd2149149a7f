"""The asyncio TCP front of the host simulator: TLS, framing, decoding, faults, logging."""

from __future__ import annotations

import asyncio
import logging
import ssl
import struct

from . import crypto, faults
from .acquirer import Acquirer, Reply
from .ledger import Ledger
from .spec import (
    MAX_FRAME,
    Header,
    SpecError,
    Tpdu,
    Value,
    frame,
    mac_block,
    mti_of,
    pack,
    split_frame,
    unpack,
)

log = logging.getLogger("hostsim")

SUMMARY_FIELDS = (3, 11, 4, 39)
HANDSHAKE_TIMEOUT = 10.0  # seconds a client has to finish the TLS handshake


def mask_pan(pan: str) -> str:
    return pan[:6] + "****" + pan[-4:] if len(pan) > 10 else "****"


def masked(fields: dict[int, Value]) -> dict[int, str]:
    """Fields for a log line: PAN and track 2 masked, keys and the PIN block (52) shown
    by length only."""
    out: dict[int, str] = {}
    for no, v in fields.items():
        if no == 2 and isinstance(v, str):
            out[no] = mask_pan(v)
        elif no == 35 and isinstance(v, str):
            out[no] = mask_pan(v.split("D")[0]) + "D****"
        elif no in (52, 62) and isinstance(v, bytes):
            out[no] = f"<{len(v)} bytes>"
        elif isinstance(v, bytes):
            out[no] = v.decode("latin-1") if no == 64 else v.hex().upper()
        else:
            out[no] = v
    return out


def summary(direction: str, mti: str, fields: dict[int, Value], extra: str = "") -> str:
    parts = [f"{direction} {mti}"]
    for no in SUMMARY_FIELDS:
        if no in fields:
            parts.append(f"{no}={fields[no]!s}")
    if 41 in fields:
        parts.append(f"41={fields[41]!s}")
    if 2 in fields:
        parts.append(f"2={mask_pan(str(fields[2]))}")
    if extra:
        parts.append(f"({extra})")
    return " ".join(parts)


class HostSim:
    def __init__(
        self,
        ledger: Ledger,
        acquirer: Acquirer | None = None,
        run_fault: str | None = None,
        run_delay: float = faults.DEFAULT_DELAY,
        ssl_context: ssl.SSLContext | None = None,
        handshake_timeout: float = HANDSHAKE_TIMEOUT,
    ) -> None:
        """ssl_context: serve TLS with it (tls.server_context); None: plain TCP."""
        self.ledger = ledger
        self.acquirer = acquirer or Acquirer(ledger)
        self.run_fault = faults.normalise(run_fault) if run_fault else None
        self.run_delay = run_delay
        self.ssl_context = ssl_context
        self.handshake_timeout = handshake_timeout
        self.server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self, host: str, port: int) -> tuple[str, int]:
        self.server = await asyncio.start_server(self._serve, host, port)
        sock = self.server.sockets[0].getsockname()
        return sock[0], sock[1]

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()
            for task in list(self._tasks):
                task.cancel()
            await self.server.wait_closed()

    # ----------------------------------------------------------- connection

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        host, port = writer.get_extra_info("peername")[:2]
        peer = f"{host}:{port}"
        log.info("connection from %s", peer)
        try:
            if self.ssl_context is not None and not await self._handshake(peer, writer):
                return
            while True:
                try:
                    head = await reader.readexactly(2)
                except asyncio.IncompleteReadError:
                    break
                (length,) = struct.unpack(">H", head)
                if length == 0 or length > MAX_FRAME:
                    log.warning("%s: LEN %d out of range; closing", peer, length)
                    self.ledger.log_message("in", peer, note=f"bad LEN {length}")
                    break
                try:
                    payload = await reader.readexactly(length)
                except asyncio.IncompleteReadError:
                    log.warning("%s: connection closed mid-frame", peer)
                    break
                if not await self._frame(peer, payload, writer):
                    break
        except (ConnectionError, asyncio.CancelledError):
            pass
        except ssl.SSLError as e:  # a bad record, an alert from the client
            log.warning("%s: TLS error (%s); closing", peer, e)
        except Exception:  # never let one terminal take the server down
            log.exception("%s: unexpected error; closing", peer)
        finally:
            log.info("connection from %s closed", peer)
            writer.close()
            if writer.get_extra_info("ssl_object") is not None:
                # close() has handed the close_notify to TCP; asyncio would then wait up
                # to 30 s for the client's before closing TCP. A host closes at once, and
                # the terminal's mbedTLS reads the end only at the TCP FIN.
                writer.transport.abort()
            if task is not None:
                self._tasks.discard(task)

    async def _handshake(self, peer: str, writer: asyncio.StreamWriter) -> bool:
        """The TLS handshake on a new connection (its first bytes: nothing has been
        read yet); False when it failed or took too long, which is logged and closes
        this connection only."""
        assert self.ssl_context is not None
        try:
            await writer.start_tls(self.ssl_context,
                                   ssl_handshake_timeout=self.handshake_timeout)
        except (OSError, TimeoutError, EOFError) as e:
            log.warning("%s: TLS handshake failed (%s); closing", peer,
                        str(e).strip() or type(e).__name__)
            return False
        log.info("%s: %s %s", peer, writer.get_extra_info("ssl_object").version(),
                 writer.get_extra_info("cipher")[0])
        return True

    async def _frame(self, peer: str, payload: bytes, writer: asyncio.StreamWriter) -> bool:
        """Handle one LEN-less frame; False closes the connection."""
        try:
            tpdu, header, body = split_frame(payload)
        except SpecError as e:
            # Only the first bytes: a raw dump could show a PAN in BCD.
            log.warning("%s: undecodable frame of %d bytes (%s), starts %s; closing",
                        peer, len(payload), e, payload[:11].hex())
            self.ledger.log_message("in", peer, note=f"undecodable: {e}")
            return False
        try:
            mti, fields = unpack(body)
            note = ""
        except SpecError as e:
            mti_read = mti_of(payload)
            log.warning("%s: bad body (%s), MTI %s, bitmap %s", peer, e, mti_read,
                        body[2:10].hex().upper())
            self._record("in", peer, mti_read or "????", e.partial, f"format error: {e}")
            reply = self.acquirer.format_error(mti_read, e.partial) if mti_read else None
            if reply is None:
                return False
            return await self._answer(peer, mti_read, e.partial, tpdu, header, reply, writer)
        self._record("in", peer, mti, fields, note)
        log.debug("%s: %s fields %s", peer, mti, masked(fields))
        try:
            reply = self.acquirer.handle(mti, fields, body)
        except Exception:
            log.exception("%s: error handling %s", peer, mti)
            reply = self.acquirer.format_error(mti, fields)
            if reply is not None:
                reply.fields[39] = "96"
        if reply is None:
            return False
        return await self._answer(peer, mti, fields, tpdu, header, reply, writer)

    async def _answer(
        self, peer: str, mti: str, req: dict[int, Value], tpdu: Tpdu, header: Header,
        reply: Reply, writer: asyncio.StreamWriter,
    ) -> bool:
        pan = req.get(2)
        amount = req.get(4)
        fault = self.ledger.take_fault(
            mti, pan if isinstance(pan, str) else None,
            int(amount) if isinstance(amount, str) else None,
        )
        kind = fault.kind if fault else self.run_fault
        delay = fault.delay if fault and fault.delay is not None else self.run_delay
        if kind:
            kind = faults.normalise(kind)
            faults.mutate_reply(kind, mti, reply)
        body = self._encode(reply)
        if kind == "bad_mac" and reply.mac_key is not None:
            body = faults.spoil_mac(body)
        out = frame(body, tpdu.swapped(), Header(header.status, reply.processing, header.software))
        extra = reply.note + (f" fault={kind}" if kind else "")
        self._record("out", peer, reply.mti, reply.fields, extra.strip())
        for step in faults.plan(kind, out, delay):
            if step.op == "sleep":
                await asyncio.sleep(step.seconds)
            elif step.op == "send":
                writer.write(step.data)
                await writer.drain()
            elif step.op == "close":
                return False
        return True

    @staticmethod
    def _encode(reply: Reply) -> bytes:
        fields = dict(reply.fields)
        if reply.mac_key is None:
            fields.pop(64, None)
            return pack(reply.mti, dict(sorted(fields.items())))
        fields[64] = b"\0" * 8
        body = pack(reply.mti, dict(sorted(fields.items())))
        mac = crypto.unionpay_mac(reply.mac_key, mac_block(body))
        reply.fields[64] = mac
        return body[:-8] + mac

    def _record(
        self, direction: str, peer: str, mti: str, fields: dict[int, Value], note: str
    ) -> None:
        arrow = "<-" if direction == "in" else "->"
        log.info("%s %s", peer, summary(arrow, mti, fields, note))
        if direction == "out":
            log.debug("%s: %s fields %s", peer, mti, masked(fields))

        def s(no: int) -> str | None:
            v = fields.get(no)
            return v if isinstance(v, str) else None

        self.ledger.log_message(
            direction, peer, tid=s(41), mti=mti, proc=s(3), stan=s(11), amount=s(4), rc=s(39),
            note=note or None,
        )
