# The control interface of the simulator board: JSON lines on stdin, exactly one JSON
# line answering each on stdout (docs/control-interface.md). It is how tests and
# `make run` press keys, swipe cards, read the screen and take the paper out.
# Every answer is written with one write() of a whole line between awaits, so answers
# never interleave even though wait_screen is served in its own task.
import asyncio
import binascii
import gc
import json
import sys

from sim_msr import RAW_MAX, module_bytes

KEY_NAMES = ("ENTER", "CANCEL", "CLEAR", "UP", "DOWN", "FUNC")
TRACK2_MAX = 200  # characters of a swipe op's track2 (a card holds 37; longer is refused)


def valid_key(k):
    if not isinstance(k, str):
        return False
    if len(k) == 1:
        return "0" <= k <= "9" or "A" <= k <= "Z"
    return k in KEY_NAMES


class ControlServer:
    def __init__(self, hw, name, inp=None, out=None):
        self.hw = hw
        self.name = name
        # Bytes, not text: a line of invalid UTF-8 must become an error answer, not a
        # UnicodeError inside the stream reader.
        self.inp = inp or getattr(sys.stdin, "buffer", sys.stdin)
        self.out = out or sys.stdout

    async def serve(self):
        reader = asyncio.StreamReader(self.inp)
        while True:
            try:
                line = await reader.readline()
            except Exception as e:  # keep serving whatever one bad read did
                self.hw.log("control: read failed:", repr(e))
                await asyncio.sleep_ms(10)
                continue
            if not line:
                # The controller is gone (its end of the pipe closed): a terminal nobody
                # can reach would only linger as an orphan process.
                self.hw.log("control: stdin closed; exiting")
                raise SystemExit(0)
            self.handle(line)

    def answer(self, req, obj, bitmap=None):
        """One answer line. bitmap (bytes-like) goes in as "bitmap": hex, written 64 bytes
        at a time: the 2 KB hex string of a screen, and a line of it, were the largest
        allocations the board made, and on a small heap the first to fail for want of
        2 KB in one piece. Several writes, but still one line between awaits: writes are
        synchronous, no other task runs in between."""
        if isinstance(req, dict) and "id" in req:
            obj["id"] = req["id"]
        out = self.out
        if bitmap is None:
            json.dump(obj, out)
        else:
            head = json.dumps(obj)
            out.write(head[:-1])  # without its closing brace
            out.write(', "bitmap": "' if len(head) > 2 else '"bitmap": "')
            mv = memoryview(bitmap)
            for i in range(0, len(mv), 64):
                out.write(binascii.hexlify(mv[i : i + 64]).decode())
            out.write('"}')
        out.write("\n")
        try:
            self.out.flush()
        except AttributeError:
            pass

    def handle(self, line):
        req = None
        try:
            if isinstance(line, bytes):
                line = line.decode()
            line = line.strip()
            if not line:
                return
            try:
                req = json.loads(line)
            except ValueError:
                self.answer(None, {"error": "bad json"})
                return
            if not isinstance(req, dict):
                self.answer(None, {"error": "request must be a JSON object"})
                return
            op = req.get("op")
            fn = getattr(self, "op_" + op, None) if isinstance(op, str) else None
            if fn is None:
                self.answer(req, {"error": "unknown op: %r" % (op,)})
                return
            res = fn(req)
            if res is not None:
                self.answer(req, res)
        except SystemExit:
            raise
        except Exception as e:  # a bad request must never stop the terminal
            self.answer(req, {"error": "%s: %s" % (type(e).__name__, e)})

    # ---- ops: each returns the answer, or None when a task answers later

    def op_ping(self, req):
        return {"pong": True, "board": self.name, "seq": self.hw.display.seq}

    def op_keys(self, req):
        keys = req.get("keys")
        if not isinstance(keys, list):
            return {"error": "keys: a list of key names expected"}
        bad = [k for k in keys if not valid_key(k)]
        if bad:
            return {"error": "unknown keys: %r" % (bad,)}
        dropped = 0
        for k in keys:
            if not self.hw.keys.put(k):
                dropped += 1
        return {"ok": True, "queued": len(self.hw.keys), "dropped": dropped}

    def op_swipe(self, req):
        """A card through the reader: track2 (sent as the module sends it) or raw, the
        module's bytes in hex (bad reads). Both go to the firmware's driver."""
        t2 = req.get("track2")
        raw = req.get("raw")
        if raw is not None:
            if t2 is not None:
                return {"error": "swipe: track2 or raw, not both"}
            try:
                data = binascii.unhexlify(raw) if isinstance(raw, str) and raw else None
            except ValueError:
                data = None
            if data is None:
                return {"error": "swipe: raw: an even number of hex digits expected"}
            if len(data) > RAW_MAX:
                return {"error": "swipe: raw: at most %d bytes" % RAW_MAX}
        elif not isinstance(t2, str) or not t2:
            return {"error": "swipe: track2 string expected"}
        elif len(t2) > TRACK2_MAX:
            return {"error": "swipe: track2: at most %d characters" % TRACK2_MAX}
        if not self.hw.card_reader:
            return {"error": "swipe: this board has no card reader"}
        reader = self.hw.reader
        if raw is None:
            data = module_bytes(t2, reader.lrc)
        return reader.swipe(data)

    def screen(self, req):
        """Answer req with the screen (see answer() for the bitmap)."""
        d = self.hw.display
        self.answer(req, {"seq": d.seq, "lines": d.shown_lines}, d.shown)

    def op_screen(self, req):
        self.screen(req)

    def op_wait_screen(self, req):
        after = req.get("after", -1)
        timeout = req.get("timeout_ms", 5000)
        if not isinstance(after, int) or not isinstance(timeout, int):
            return {"error": "wait_screen: after and timeout_ms must be integers"}
        asyncio.create_task(self._wait_screen(req, after, timeout))
        return None

    async def _wait_screen(self, req, after, timeout):
        await self.hw.display.wait_after(after, timeout)
        self.screen(req)

    def op_paper(self, req):
        if "ok" in req:
            self.hw.printer.paper = bool(req["ok"])
        return {"ok": self.hw.printer.paper}

    def op_clock(self, req):
        if "offset_s" in req:
            off = req["offset_s"]
            if not isinstance(off, int):
                return {"error": "clock: offset_s must be an integer"}
            self.hw.clock.set_offset(off)
        return {"now": list(self.hw.clock.now()), "offset_s": self.hw.clock.offset}

    def op_beeps(self, req):
        """How many times the buzzer sounded since boot (tests see the error beeps)."""
        return {"beeps": self.hw.beeps}

    def op_printed(self, req):
        return {"bytes": self.hw.printer.printed()}

    def op_mem(self, req):
        """The heap after a collection: bytes in use and free (host_tools/bench/heap.py)."""
        gc.collect()
        return {"alloc": gc.mem_alloc(), "free": gc.mem_free()}

    def op_quit(self, req):
        self.answer(req, {"ok": True})
        raise SystemExit(0)
