"""Drive a simulator terminal (firmware on the MicroPython unix port) from CPython.

`SimTerminal` starts `micropython firmware/main.py` with the simulator board and speaks
its control interface (docs/control-interface.md): JSON lines on the process's stdin and
stdout. Used by `make run` (host_tools/run.py, host_tools/tui.py) and by the tests.

    t = SimTerminal(tmp_path / "terminal", config={"port": port})
    t.start()
    t.wait_for("请刷卡")
    t.type("100"); t.press("ENTER")
    t.swipe("6222021234567890128", "2812")
    assert "预授权" in t.receipts()[-1].text
    t.stop()
"""

from __future__ import annotations

import itertools
import json
import os
import queue
import re
import signal
import ssl
import subprocess
import threading
import time
from pathlib import Path
from typing import IO, Any

from .escpos import Receipt, split_receipts
from .runtime import ROOT, Runtime
from .screen import Screen
from .strings_table import S as STRINGS

KEY_NAMES = ("ENTER", "CANCEL", "CLEAR", "UP", "DOWN", "FUNC")
DEFAULT_CARD = ("6222021234567890128", "2812")  # the host simulator's approving test card

# The main menu's entries (firmware/app/terminal.py MENU), in Chinese and in English
# (host_tools/strings_table.py), and the boot's announcement of a slip that never printed
# (docs/operating.md): the screens on which a booted terminal first takes keys. Until one
# shows, the boot's sign-in is under way and keys pressed are discarded.
MAIN_MENU_KEYS = ("m_preauth", "m_void", "m_completion", "m_cvoid", "m_settle", "m_query",
                  "m_reprint", "m_signin", "m_admin")
READY = re.compile("|".join(
    [r"^[1-9]\.(?:{})$".format("|".join(
        re.escape(text) for k in MAIN_MENU_KEYS for text in STRINGS[k]))]
    + [re.escape(text) for text in STRINGS["unprinted_title"]]), re.M)


class TerminalDied(RuntimeError):
    """The terminal process exited (or closed stdout) while an answer was awaited."""


class ControlError(RuntimeError):
    """The control interface answered {"error": ...}."""


# ------------------------------------------------------------------------ the channel


class _Channel:
    """Request/answer over the process's pipes. A reader thread routes each answer to
    its request by the "id" the server echoes, so a long-poll (wait_screen) in one
    thread does not hold up key presses from another."""

    def __init__(self, proc: subprocess.Popen[bytes], log: IO[bytes]) -> None:
        self.proc = proc
        self.log = log
        self.ids = itertools.count(1)
        self.lock = threading.Lock()
        self.pending: dict[int, queue.Queue[dict[str, Any] | None]] = {}
        self.anonymous: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self.closed = False
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            try:
                msg = json.loads(line)
                if not isinstance(msg, dict):
                    raise ValueError
            except ValueError:
                # Something printed to stdout: keep it in the log, it is not an answer.
                self.log.write(b"[stdout, not a control answer] " + line)
                self.log.flush()
                continue
            rid = msg.get("id")
            with self.lock:
                q = self.pending.get(rid) if isinstance(rid, int) else None
            (q or self.anonymous).put(msg)
        with self.lock:
            self.closed = True
            for q in self.pending.values():
                q.put(None)
        self.anonymous.put(None)

    def send_line(self, line: bytes) -> None:
        assert self.proc.stdin is not None
        try:
            with self.lock:
                if self.closed:
                    raise TerminalDied("the terminal process has exited")
                self.proc.stdin.write(line.rstrip(b"\n") + b"\n")
                self.proc.stdin.flush()
        except (BrokenPipeError, ValueError) as e:
            raise TerminalDied("the terminal process has exited") from e

    def request(self, req: dict[str, Any], timeout: float) -> dict[str, Any]:
        rid = next(self.ids)
        q: queue.Queue[dict[str, Any] | None] = queue.Queue()
        with self.lock:
            self.pending[rid] = q
        try:
            self.send_line(json.dumps({**req, "id": rid}, ensure_ascii=False).encode())
            try:
                ans = q.get(timeout=timeout)
            except queue.Empty:
                raise TimeoutError(f"no answer to {req} within {timeout} s") from None
        finally:
            with self.lock:
                self.pending.pop(rid, None)
        if ans is None:
            raise TerminalDied(f"the terminal exited while answering {req}")
        ans.pop("id", None)
        return ans

    def raw(self, line: bytes, timeout: float) -> dict[str, Any]:
        """Send any line (it may be invalid JSON); return the answer that carries no id."""
        self.send_line(line)
        try:
            ans = self.anonymous.get(timeout=timeout)
        except queue.Empty:
            raise TimeoutError(f"no answer to {line!r} within {timeout} s") from None
        if ans is None:
            raise TerminalDied(f"the terminal exited while answering {line!r}")
        return ans


# ----------------------------------------------------------------------- the terminal


_TYPE_KEYS = {"\n": "ENTER", "\b": "CLEAR"}


def text_keys(text: str) -> list[str]:
    """Key names for typing `text`: digits and letters (case-insensitive), \\n = ENTER."""
    keys = []
    for ch in text:
        if ch.isascii() and ch.isalnum():
            keys.append(ch.upper())
        elif ch in _TYPE_KEYS:
            keys.append(_TYPE_KEYS[ch])
        else:
            raise ValueError(f"no key types {ch!r}")
    return keys


class SimTerminal:
    """One simulated terminal: a `micropython` process on the simulator board, whose
    flash, config, printer output, clock offset and log live in `sim_dir`."""

    def __init__(
        self, sim_dir: str | Path, *, config: dict[str, Any] | None = None,
        heapsize: str | int | None = None, main: str | Path | None = None,
        runtime: Runtime | None = None, ca: Path | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        """runtime: the interpreter and where the firmware comes from (default
        Runtime.from_env(): the sources, or the frozen build POS_FROZEN names); heapsize
        defaults to the runtime's. main: a script to run instead of the firmware's main.
        ca: the CA certificate the terminal trusts for TLS to the host, installed with
        every config written whose "tls" is not false (default: the test PKI's, which the
        host simulator serves; hostsim/tls.py). env: variables for the process besides
        the runtime's (e.g. the board's flash counting, POS_FLASH_COUNT=1)."""
        self.ca = ca
        self.extra_env = dict(env or {})
        self.dir = Path(sim_dir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.runtime = runtime or Runtime.from_env()
        self.heapsize = heapsize or self.runtime.heapsize
        # A main script given from elsewhere imports its neighbours (tests/device/).
        self.path_extra: tuple[Path, ...] = (Path(main).parent,) if main else ()
        if main:
            self.main: Path | None = Path(main)
        elif self.runtime.code_dir is not None:
            self.main = self.runtime.code_dir / "main.py"
        elif self.runtime.firmware_frozen:
            self.main = None  # `micropython -m main`: the frozen main.py
        else:
            self.main = ROOT / "firmware" / "main.py"
        self.proc: subprocess.Popen[bytes] | None = None
        self.chan: _Channel | None = None
        self._log: IO[bytes] | None = None
        if config is not None:
            self.write_config(config)

    # -- files in sim_dir

    @property
    def config_path(self) -> Path:
        return self.dir / "config.json"

    @property
    def printer_path(self) -> Path:
        return self.dir / "printer.bin"

    @property
    def log_path(self) -> Path:
        return self.dir / "terminal.log"

    def write_config(self, config: dict[str, Any]) -> None:
        self.config_path.write_text(json.dumps(config, ensure_ascii=False, indent=1))
        if config.get("tls", True) is not False:
            self.install_ca(config.get("tls_ca", "ca.der"))

    def install_ca(self, name: str = "ca.der") -> None:
        """Put the CA (`ca`, or the test PKI's) as DER at sim_dir/name, which the
        terminal reads for TLS (a name that is an absolute path is left alone)."""
        if os.path.isabs(name):
            return
        from .hostsim.tls import test_pki

        data = Path(self.ca if self.ca is not None else test_pki().ca_der).read_bytes()
        if data.lstrip().startswith(b"-----BEGIN"):
            data = ssl.PEM_cert_to_DER_cert(data.decode("ascii"))
        tmp = self.dir / (name + ".tmp")
        tmp.write_bytes(data)
        os.replace(tmp, self.dir / name)

    def _ensure_ca(self) -> None:
        """A config.json written by others (make run's provision) gets its CA at start
        when it has none yet and its "tls" is not false."""
        try:
            config = json.loads(self.config_path.read_text())
        except (OSError, ValueError):
            return
        name = config.get("tls_ca", "ca.der") if isinstance(config, dict) else None
        if (isinstance(name, str) and name and config.get("tls", True) is not False
                and not (self.dir / name).exists()):
            self.install_ca(name)

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    # -- process lifecycle

    def env(self) -> dict[str, str]:
        return self.runtime.env(self.path_extra, sim_dir=self.dir, extra=self.extra_env)

    @property
    def cwd(self) -> Path:
        """The process's folder: the repository, except for the frozen firmware, whose
        sys.path starts with the current folder (`-m`), where the repository's board/
        would shadow the frozen `board` module. The sim dir holds no modules."""
        return self.dir.resolve() if self.main is None else ROOT

    def command(self) -> list[str]:
        # main None: `-m main`, the firmware frozen into the interpreter
        return self.runtime.command(self.main, heapsize=self.heapsize)

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def start(self, timeout: float = 15.0) -> SimTerminal:
        """Spawn the terminal and wait until its control interface answers a ping."""
        if self.running:
            raise RuntimeError("the terminal is already running")
        self._ensure_ca()
        self._log = open(self.log_path, "ab")  # stays open as long as the process runs
        self._log.write(f"---- start {time.strftime('%Y-%m-%d %H:%M:%S')}\n".encode())
        self._log.flush()
        self.proc = subprocess.Popen(
            self.command(), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._log,
            env=self.env(), cwd=self.cwd, start_new_session=True,  # Ctrl-C goes to the TUI only
        )
        self.chan = _Channel(self.proc, self._log)
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.request({"op": "ping"}, timeout=0.5)
                return self
            except TimeoutError:
                if time.monotonic() > deadline:
                    self.kill()
                    raise TimeoutError(
                        f"the terminal did not answer a ping within {timeout} s; log:\n"
                        + self._log_tail()) from None
            except TerminalDied:
                code = self.proc.wait()
                self._close()
                raise TerminalDied(
                    f"the terminal exited with code {code} during boot; log:\n"
                    + self._log_tail()) from None

    def _log_tail(self, n: int = 30) -> str:
        return "\n".join(self.log_text().splitlines()[-n:])

    def _close(self) -> None:
        if self.proc is not None:
            for pipe in (self.proc.stdin, self.proc.stdout):
                try:
                    if pipe is not None:
                        pipe.close()
                except OSError:
                    pass
        if self.chan is not None:
            self.chan.thread.join(timeout=2)
        if self._log is not None:
            self._log.close()
        self.proc = self.chan = self._log = None

    def stop(self, timeout: float = 5.0) -> int | None:
        """Quit cleanly (the quit op), else terminate, else kill. Returns the exit code."""
        if self.proc is None:
            return None
        if self.running:
            try:
                self.request({"op": "quit"}, timeout=2.0)
            except (TimeoutError, TerminalDied):
                pass
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.terminate()
                try:
                    self.proc.wait(timeout)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
        code = self.proc.wait()
        self._close()
        return code

    def kill(self) -> None:
        """SIGKILL: a power cut. Whatever reached flash (and printer.bin) stays."""
        if self.proc is None:
            return
        if self.running:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self._close()

    def restart(self, hard: bool = False, timeout: float = 15.0) -> SimTerminal:
        """Power-cycle: a clean quit, or (hard) a power cut; then boot again."""
        self.kill() if hard else self.stop()
        return self.start(timeout)

    def __enter__(self) -> SimTerminal:
        return self if self.running else self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- control interface

    def request(self, req: dict[str, Any], timeout: float = 5.0) -> dict[str, Any]:
        """One control request; raises ControlError when the terminal answers an error."""
        chan = self.chan  # read once: another thread may restart the terminal
        if chan is None:
            raise TerminalDied("the terminal is not running")
        ans = chan.request(req, timeout)
        if "error" in ans:
            raise ControlError(ans["error"])
        return ans

    def send_raw(self, line: str | bytes, timeout: float = 5.0) -> dict[str, Any]:
        """Send a raw control line (for testing the interface itself); returns the answer."""
        chan = self.chan
        if chan is None:
            raise TerminalDied("the terminal is not running")
        return chan.raw(line.encode() if isinstance(line, str) else line, timeout)

    def ping(self) -> dict[str, Any]:
        return self.request({"op": "ping"})

    def press(self, *keys: str, timeout: float = 10.0) -> None:
        """Press keys by name: "0".."9", "A".."Z", ENTER, CANCEL, CLEAR, UP, DOWN, FUNC.

        The terminal's key queue holds 32 events and drops the rest: the keys dropped are
        always the tail of a request, so they are sent again once the app has caught up."""
        todo = list(keys)
        deadline = time.monotonic() + timeout
        while todo:
            dropped = self.request({"op": "keys", "keys": todo}).get("dropped", 0)
            if not dropped:
                return
            todo = todo[-dropped:]
            if time.monotonic() > deadline:
                raise TimeoutError(f"the app took no keys for {timeout} s; {todo} not pressed")
            time.sleep(0.05)

    def type(self, text: str) -> None:
        """Type digits and letters (one key each); "\\n" presses ENTER."""
        self.press(*text_keys(text))

    def swipe(
        self, pan: str, expiry_yymm: str, service: str = "101", discretionary: str = ""
    ) -> None:
        """Swipe a magnetic-stripe card: track 2 is `PAN=YYMM<service><discretionary>`."""
        self.swipe_track2(f"{pan}={expiry_yymm}{service}{discretionary}")

    def swipe_track2(self, track2: str) -> None:
        self.request({"op": "swipe", "track2": track2})

    def screen(self) -> Screen:
        return Screen.from_answer(self.request({"op": "screen"}))

    def wait_screen(self, after: int, timeout: float = 5.0) -> Screen:
        """The screen once it has changed past `after` (or as it is when timeout passes)."""
        ms = max(0, int(timeout * 1000))
        return Screen.from_answer(self.request(
            {"op": "wait_screen", "after": after, "timeout_ms": ms}, timeout=timeout + 5.0))

    def wait_for(self, pattern: str | re.Pattern[str], timeout: float = 10.0) -> Screen:
        """Wait until the screen's text (lines joined by \\n) contains `pattern` (a
        substring, or a compiled regex searched for). Raises AssertionError showing the
        screen when it does not appear in time."""

        def matches(s: Screen) -> bool:
            if isinstance(pattern, re.Pattern):
                return pattern.search(s.text) is not None
            return pattern in s.text

        deadline = time.monotonic() + timeout
        s = self.screen()
        while not matches(s):
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(
                    f"screen did not show {pattern!r} within {timeout} s; it shows "
                    f"(seq {s.seq}):\n{s.text}\n{s.render('half')}")
            s = self.wait_screen(s.seq, min(left, 2.0))
        return s

    def wait_ready(self, timeout: float = 60.0) -> Screen:
        """Wait until the terminal takes keys after its boot: the main menu (READY), or
        the announcement of a slip that never printed, which comes before it. Until then
        the boot's sign-in runs and keys pressed are discarded (docs/operating.md).
        Raises TimeoutError saying what the screen shows when neither comes in time."""
        try:
            return self.wait_for(READY, timeout)
        except AssertionError:
            s = self.screen()
            raise TimeoutError(
                f"the terminal was not ready for keys within {timeout:g} s: no main menu "
                f"after the boot (the sign-in takes up to the connect and response "
                f"timeouts, then shows why it failed); the screen shows:\n{s.text}"
            ) from None

    def set_paper(self, ok: bool) -> None:
        self.request({"op": "paper", "ok": ok})

    def paper_ok(self) -> bool:
        return bool(self.request({"op": "paper"})["ok"])

    def set_clock_offset(self, seconds: int) -> tuple[int, ...]:
        """Move the terminal's clock; kept in sim_dir/clock_offset across restarts."""
        return tuple(self.request({"op": "clock", "offset_s": int(seconds)})["now"])

    def clock(self) -> tuple[int, ...]:
        return tuple(self.request({"op": "clock"})["now"])

    def beeps(self) -> int:
        """How many times the buzzer sounded since the terminal booted."""
        return int(self.request({"op": "beeps"})["beeps"])

    def printed_bytes(self) -> int:
        """Bytes printed so far (works while the terminal is down, too)."""
        return self.printer_path.stat().st_size if self.printer_path.exists() else 0

    def printer_data(self) -> bytes:
        return self.printer_path.read_bytes() if self.printer_path.exists() else b""

    def receipts(self) -> list[Receipt]:
        """Everything printed, split at paper cuts; a last incomplete one has
        complete=False."""
        return split_receipts(self.printer_data())
