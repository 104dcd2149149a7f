# The host channel: one TCP connection to the acquirer, frames delimited by a 2-byte
# big-endian length (wire-format.md §1). Connect with a timeout, send a frame, read exactly
# one frame by a deadline, close. It knows nothing of ISO 8583 fields.
import asyncio
import time

from codec import frame
from codec.iso8583 import CodecError

EAGAIN = 11

# ChannelError kinds. CONNECT means nothing was sent; the others may follow a send.
CONNECT = "connect"
TIMEOUT = "timeout"
CLOSED = "closed"
BAD_LEN = "bad_len"


class ChannelError(Exception):
    def __init__(self, kind, msg):
        super().__init__(msg)
        self.kind = kind


class Channel:
    def __init__(self, host, port, connect_timeout_s, buf=None):
        self.host = host
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
                return
            self.close()
            raise ChannelError(CONNECT, "connect failed (errno %d)" % e.args[0])
        if not b:
            self.close()
            raise ChannelError(CONNECT, "host closed the connection")
        self._early = b  # bytes the host sent unasked: they belong to the first frame read

    async def send(self, data):
        try:
            self._w.write(data)
            await asyncio.wait_for_ms(self._w.drain(), self.connect_timeout_ms)
        except asyncio.TimeoutError:
            raise ChannelError(TIMEOUT, "send timeout")
        except OSError as e:
            raise ChannelError(CLOSED, "send failed (%s)" % e)

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
                w.close()
            except OSError:
                pass
