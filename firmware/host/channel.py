# The host channel: one TCP connection to the acquirer, frames delimited by a 2-byte
# big-endian length (wire-format.md §1). Connect with a timeout, send a frame, read exactly
# one frame by a deadline, close. It knows nothing of ISO 8583 fields.
#
# With TLS (host/tls.py) the connection is wrapped after the TCP connect and the handshake
# runs in send(), driven by the first write: mbedTLS writes no application data before its
# handshake is over, so a failure there (UNTRUSTED) means nothing of the frame has left.
import asyncio
import time
from asyncio import core

from codec import frame
from codec.iso8583 import CodecError
from host.tls import TlsError

EAGAIN = 11

# ChannelError kinds. CONNECT means nothing was sent; the others may follow a send.
CONNECT = "connect"
TIMEOUT = "timeout"
CLOSED = "closed"
BAD_LEN = "bad_len"
UNTRUSTED = "untrusted"  # TLS: no trusted connection; nothing was sent


class ChannelError(Exception):
    def __init__(self, kind, msg):
        super().__init__(msg)
        self.kind = kind


class Channel:
    def __init__(self, host, port, connect_timeout_s, buf=None, trust=None):
        self.host = host
        self.trust = trust  # host.tls.Trust, or None for plain TCP
        self.port = port
        self.connect_timeout_ms = connect_timeout_s * 1000
        # One receive buffer (MAX_FRAME bytes), no per-frame allocation. The app hands in
        # one it allocated at boot, so that a channel made per flow does not need 2 KB in
        # one piece of a heap the flows have fragmented.
        self._buf = buf if buf is not None else bytearray(frame.MAX_FRAME)
        self._mv = memoryview(self._buf)
        self._len = bytearray(2)
        self._lenmv = memoryview(self._len)
        self._r = self._w = None
        self._early = None

    async def open(self):
        try:
            self._r, self._w = await asyncio.wait_for_ms(
                asyncio.open_connection(self.host, self.port), self.connect_timeout_ms
            )
        except asyncio.TimeoutError:
            raise ChannelError(CONNECT, "connect timeout")
        except OSError as e:
            raise ChannelError(CONNECT, "connect failed (%s)" % e)
        # open_connection returns once the socket is writable, which a refused connect is
        # too: probe it so that a host that is down counts as "nothing sent".
        self._early = None
        try:
            b = self._w.s.recv(1)
        except OSError as e:
            if e.args[0] == EAGAIN:
                if self.trust is not None:
                    self._wrap()
                return
            self.close()
            raise ChannelError(CONNECT, "connect failed (errno %d)" % e.args[0])
        if not b:
            self.close()
            raise ChannelError(CONNECT, "host closed the connection")
        if self.trust is not None:
            self.close()  # a TLS server waits for the client's hello: this is no TLS host
            raise ChannelError(UNTRUSTED, "host spoke before the TLS handshake")
        self._early = b  # bytes the host sent unasked: they belong to the first frame read

    def _wrap(self):
        try:
            self._w.s = self.trust.wrap(self._w.s)  # the stream reads and writes through it
        except TlsError as e:
            self.close()
            raise ChannelError(UNTRUSTED, str(e))

    async def send(self, data):
        if self.trust is not None:
            return await self._send_tls(data)
        try:
            self._w.write(data)
            await asyncio.wait_for_ms(self._w.drain(), self.connect_timeout_ms)
        except asyncio.TimeoutError:
            raise ChannelError(TIMEOUT, "send timeout")
        except OSError as e:
            raise ChannelError(CLOSED, "send failed (%s)" % e)

    async def _send_tls(self, data):
        # The first write drives the handshake: until it returns a count, nothing of data
        # has been sent, and any error is the handshake's (UNTRUSTED). The handshake and
        # the send share the connect timeout.
        s = self._w.s
        mv = memoryview(data)
        off = 0
        deadline = time.ticks_add(time.ticks_ms(), self.connect_timeout_ms)
        while off < len(mv):
            try:
                n = s.write(mv[off:])
            except (OSError, ValueError) as e:
                self.close()
                if off:
                    raise ChannelError(CLOSED, "send failed (%s)" % e)
                raise ChannelError(UNTRUSTED, self.trust.failure(e))
            if n:
                off += n
                continue
            left = time.ticks_diff(deadline, time.ticks_ms())
            if left <= 0:
                self.close()
                if off:
                    raise ChannelError(TIMEOUT, "send timeout")
                raise ChannelError(UNTRUSTED, "TLS handshake: no answer in time")
            try:
                await asyncio.wait_for_ms(_writable(s), left)
            except asyncio.TimeoutError:
                pass  # the deadline is checked above

    async def _fill(self, mv, deadline):
        n = 0
        if self._early:
            mv[0] = self._early[0]
            self._early = None
            n = 1
        while n < len(mv):
            left = time.ticks_diff(deadline, time.ticks_ms())
            if left <= 0:
                raise ChannelError(TIMEOUT, "no answer in time")
            try:
                k = await asyncio.wait_for_ms(self._r.readinto(mv[n:]), left)
            except asyncio.TimeoutError:
                raise ChannelError(TIMEOUT, "no answer in time")
            except OSError as e:
                raise ChannelError(CLOSED, "connection broken (%s)" % e)
            if k is None:
                continue  # TLS: readable, but not yet a whole record
            if not k:
                raise ChannelError(CLOSED, "host closed the connection")
            n += k

    async def recv_frame(self, deadline):
        """The next frame, LEN removed, as a memoryview valid until the next call.

        deadline is a time.ticks_ms() value. A LEN of 0 or above 2048 is a protocol
        error: the connection is closed (wire-format.md §1)."""
        await self._fill(self._lenmv, deadline)
        try:
            n = frame.length(self._len)
        except CodecError as e:
            self.close()
            raise ChannelError(BAD_LEN, str(e))
        await self._fill(self._mv[:n], deadline)
        return self._mv[:n]

    def close(self):
        w = self._w
        self._r = self._w = None
        if w is not None:
            try:
                w.s.close()  # asyncio's Stream.close() leaves the socket open
            except OSError:
                pass


def _writable(s):
    # awaitable: until s (a TLS socket: it maps to what its handshake waits for) is ready
    yield core._io_queue.queue_write(s)
