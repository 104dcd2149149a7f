"""A virtual board: the MicroPython unix port on a pseudo-terminal, with a littlefs image as
its whole filesystem, that mpremote drives like a serial board (docs/virtual-board.md).

    python -m host_tools.virtual_board --image build/vboard/flash.img --link build/vboard/tty

prints the port (a /dev/pts/N path) and runs until killed. `mpremote connect PORT resume
...` then works as with an ESP32: fs ls/cp/mkdir/cat, exec, run, repl, soft-reset, reset.

How: `micropython -i <boot script> IMAGE MODE` runs with its stdin/stdout/stderr on the
slave of pty A (so the port sees a TTY and its REPL, raw REPL and raw-paste work, and
Ctrl-C becomes SIGINT); the boot script mounts the image's littlefs at / in place of the
host filesystem, sets sys.path as on the ESP32, runs /boot.py and /main.py, and leaves the
REPL to `-i`. A relay thread copies bytes between pty A's master and pty B's master;
mpremote opens pty B's slave, which stays the same across restarts. When the process
ends (Ctrl-D at the REPL, soft or hard reset) the relay prints "MPY: soft reboot" and
starts it again on the same image, in raw REPL mode when the reset came from there.
"""

from __future__ import annotations

import argparse
import errno
import fcntl
import os
import select
import signal
import subprocess
import sys
import termios
import threading
import time
import tty
from pathlib import Path

from .runtime import BOARD_UNIX, MP_DIR, ROOT, plain_interpreter

EXIT_BAD_IMAGE = 86  # the boot script could not mount the image: do not restart
RAW_BANNER = b"raw REPL; CTRL-B to exit"
READY = b"\x1b_vboard-ready\x1b\\"  # printed by the boot script once Ctrl-C is safe
RESETTING = b"\x1b_vboard-reset\x1b\\"  # printed by machine.reset() just before the end

# MicroPython, run by `micropython -i` before its REPL. argv: image, mode ("main" runs
# /boot.py and /main.py; "raw" only /boot.py, after a soft reset from the raw REPL), the
# folders holding blockdev.py and flashimg.py (host_tools/mp/: how host tools mount an
# image). Everything it leaves in the REPL's globals is deleted.
BOOT_SCRIPT = r"""
import sys, os, vfs
sys.path[:0] = [sys.argv[4], sys.argv[3]]
from flashimg import filesystem
del sys.modules["flashimg"], sys.modules["blockdev"]
try:
    # readsize: journal/record.py LFS_READSIZE, as the boards mount it (the firmware is
    # on the image here, not on the module path)
    _fs = filesystem(sys.argv[1], 64)[0]
except OSError as _e:
    print("virtual board: %s does not mount: %s" % (sys.argv[1], _e))
    sys.exit(86)
vfs.umount("/")
vfs.mount(_fs, "/")
os.chdir("/")
sys.path[:] = ["", ".frozen", "/lib"]


class _Machine:
    # machine as on a board, plus reset()/soft_reset() that end the process: the
    # virtual board starts it again (exit code 3: hard reset, 0: soft reset).
    def __init__(self, m):
        self._m = m

    def __getattr__(self, name):
        return getattr(self._m, name)

    def reset(self):
        _sys.stdout.write("\x1b_vboard-reset\x1b\\")  # the relay holds input from here
        raise SystemExit(3)

    def soft_reset(self):
        _sys.stdout.write("\x1b_vboard-reset\x1b\\")
        raise SystemExit(0)


import machine as _m
_sys = sys
sys.modules["machine"] = _Machine(_m)
del _m, _Machine, _fs, filesystem


def _run(_name):
    try:
        os.stat(_name)
    except OSError:
        return
    try:
        exec(open(_name).read(), {"__name__": "__main__", "__file__": _name})
    except KeyboardInterrupt:
        pass
    except SystemExit:
        raise
    except BaseException as _e:
        sys.print_exception(_e)


try:
    # Ready: from here on Ctrl-C is a KeyboardInterrupt (the relay holds the port's
    # input until it sees this marker, which it removes from the output).
    sys.stdout.write("\x1b_vboard-ready\x1b\\")
    _run("boot.py")
    if sys.argv[2] == "main":
        _run("main.py")
    del _run
    import gc
    gc.collect()
    del gc, sys, os, vfs
except KeyboardInterrupt:
    pass
"""

# Creates a blank image and formats it, or checks that an existing one mounts. argv:
# image, the folders holding blockdev.py and flashimg.py.
FORMAT_SCRIPT = r"""
import sys
sys.path[:0] = [sys.argv[3], sys.argv[2]]
from flashimg import filesystem
try:
    fs, bdev = filesystem(sys.argv[1], 64, format_new=True)
except OSError as e:
    print("does not mount:", e)
    sys.exit(1)
if bdev.created:
    print("formatted")
"""


class VirtualBoardError(Exception):
    pass


def _child_env() -> dict:
    env = dict(os.environ)
    env.pop("MICROPYPATH", None)
    return env


def prepare_image(image: Path, mp: str | None = None) -> bool:
    """Create and format the image if it does not exist; check that it mounts.
    Returns True when it was created."""
    image = Path(image)
    image.parent.mkdir(parents=True, exist_ok=True)
    script = image.parent / ".vboard_format.py"
    script.write_text(FORMAT_SCRIPT)
    try:
        proc = subprocess.run(
            [mp or plain_interpreter(), str(script), str(image), str(BOARD_UNIX), str(MP_DIR)],
            capture_output=True, text=True, timeout=60, env=_child_env(),
        )
    finally:
        script.unlink(missing_ok=True)
    if proc.returncode:
        raise VirtualBoardError(f"{image}: {proc.stdout.strip()} {proc.stderr.strip()}")
    return "formatted" in proc.stdout


def _set_device_termios(fd: int) -> None:
    # What a UART console gives the port: bytes as they are, except that Ctrl-C while a
    # program runs raises KeyboardInterrupt (ISIG). No output processing: the relay turns
    # a lone "\n" into "\r\n" as a board's cooked stdout does (ONLCR would double the
    # "\r\n" the REPL writes itself). The port switches to raw mode while it reads a line.
    attrs = termios.tcgetattr(fd)
    attrs[0] = 0  # iflag: no CR/NL translation, no XON/XOFF
    attrs[1] = 0  # oflag
    attrs[3] = termios.ISIG  # lflag: not canonical, no echo, signals on
    attrs[6][termios.VMIN] = 1
    attrs[6][termios.VTIME] = 0
    termios.tcsetattr(fd, termios.TCSANOW, attrs)


def _set_nonblocking(fd: int) -> None:
    fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) | os.O_NONBLOCK)


def _catches_sigint(pid: int) -> bool:
    """True when the process has a SIGINT handler: the unix port installs one only while it
    executes code (at its REPL prompt a SIGINT would end it)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("SigCgt:"):
                    return bool(int(line.split()[1], 16) & (1 << (signal.SIGINT - 1)))
    except (OSError, ValueError):
        pass
    return False


def _controlling_tty() -> None:  # in the child, before exec
    os.setsid()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


class VirtualBoard:
    """VirtualBoard(image).start() -> port path; .stop(). Also a context manager."""

    def __init__(self, image, link=None, heapsize: str | None = None, console=None,
                 mp: str | None = None):
        self.image = Path(image).resolve()
        self.link = Path(link) if link else None
        self.heapsize = heapsize
        self.console = Path(console) if console else None  # everything the board printed
        self.mp = mp or plain_interpreter()
        self.port: str | None = None
        self.boots = 0  # processes started so far (1 + restarts)
        self.error: str | None = None
        self._proc: subprocess.Popen | None = None
        self._ma: int | None = None  # master of pty A (the process's terminal)
        self._mb: int | None = None  # master of pty B (the port)
        self._sb: int | None = None  # slave of pty B, held open so the port stays set up
        self._boot_script: Path | None = None
        self._console_f = None
        self._to_device = b""
        self._ready = False  # the process printed READY: input may be passed on
        self._held = b""  # output before READY
        self._partial = b""  # the start of what may be a marker, cut off by a read
        self._last_cr = False  # the last byte from the device was "\r"
        self._tail = b""  # the last output bytes, to spot the raw REPL banner
        self._raw = False  # the REPL is in raw mode (raw REPL banner seen, no Ctrl-B since)
        self._want_raw = False  # restarting into the raw REPL: send Ctrl-A at the prompt
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ public

    def start(self) -> str:
        prepare_image(self.image, self.mp)
        self._boot_script = self.image.parent / ".vboard_boot.py"
        self._boot_script.write_text(BOOT_SCRIPT)
        if self.console:
            self.console.parent.mkdir(parents=True, exist_ok=True)
            self._console_f = open(self.console, "ab", buffering=0)
        self._mb, self._sb = os.openpty()
        tty.setraw(self._sb)
        _set_nonblocking(self._mb)
        self.port = os.ttyname(self._sb)
        if self.link:
            self.link.parent.mkdir(parents=True, exist_ok=True)
            if self.link.is_symlink() or self.link.exists():
                self.link.unlink()
            self.link.symlink_to(self.port)
        self._spawn("main")
        self._thread = threading.Thread(target=self._relay, name="vboard-relay", daemon=True)
        self._thread.start()
        return self.port

    def stop(self) -> None:
        self._stopping.set()
        if self._thread:
            self._thread.join(5)
        self._kill()
        for fd in (self._mb, self._sb):
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self._mb = self._sb = None
        if self.link and self.link.is_symlink():
            self.link.unlink()
        if self._boot_script:
            self._boot_script.unlink(missing_ok=True)
        if self._console_f:
            self._console_f.close()
            self._console_f = None

    def wait_boot(self, after: int, timeout: float = 10) -> bool:
        """Wait until boot number `after` + 1 (or a later one) is up and takes input."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.boots > after and self._ready:
                return True
            time.sleep(0.02)
        return False

    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive() and self.error is None

    def __enter__(self) -> VirtualBoard:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    # ----------------------------------------------------------------- process

    def _spawn(self, mode: str) -> None:
        ma, sa = os.openpty()
        _set_device_termios(sa)
        cmd = [self.mp]
        if self.heapsize:
            cmd += ["-X", f"heapsize={self.heapsize}"]
        cmd += ["-i", str(self._boot_script), str(self.image), mode, str(BOARD_UNIX),
                str(MP_DIR)]
        try:
            self._proc = subprocess.Popen(
                cmd, stdin=sa, stdout=sa, stderr=sa, close_fds=True,
                preexec_fn=_controlling_tty, env=_child_env(), cwd=self.image.parent,
            )
        finally:
            os.close(sa)
        _set_nonblocking(ma)
        self._ma = ma
        self._ready = False
        self._held = b""
        self._raw = False
        self._want_raw = mode == "raw"
        self.boots += 1

    def _kill(self) -> None:
        proc = self._proc
        if proc and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(3)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if self._ma is not None:
            os.close(self._ma)
            self._ma = None

    # ------------------------------------------------------------------- relay

    def _to_port(self, data: bytes) -> None:
        if self._console_f:
            self._console_f.write(data)
        view = memoryview(data)
        while view:
            try:
                n = os.write(self._mb, view)
            except BlockingIOError:
                return  # nobody reads the port and its buffer is full: drop, as a UART would
            except OSError:
                return
            view = view[n:]

    def _from_device(self, data: bytes) -> None:
        if not self._ready:
            # Until the boot script runs, a Ctrl-C would kill the process (no handler
            # yet): input waits, and the marker saying it may come is cut out.
            self._held += data
            i = self._held.find(READY)
            if i < 0:
                return
            data = self._held[:i] + self._held[i + len(READY):]
            self._held = b""
            self._ready = True
            if not data:
                return
        data = self._partial + data
        self._partial = b""
        i = data.find(RESETTING)
        if i >= 0:
            # machine.reset(): the process ends now; input from here on is for the next
            # boot, not lost on this one (a Ctrl-C sent to a dying process would be).
            data = data[:i] + data[i + len(RESETTING):]
            self._ready = False
        else:
            for k in range(min(len(data), len(RESETTING) - 1), 0, -1):
                if RESETTING.startswith(data[-k:]):  # the marker may be cut in two
                    self._partial, data = data[-k:], data[:-k]
                    break
        if not data:
            return
        # "\n" -> "\r\n" unless the "\r" is there already, as a board's cooked stdout.
        cooked = data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        if data.startswith(b"\n") and self._last_cr:
            cooked = cooked[1:]
        self._last_cr = data.endswith(b"\r")
        data = cooked
        self._tail = (self._tail + data)[-64:]
        if RAW_BANNER in self._tail:
            self._raw = True
            self._tail = b""
        self._to_port(data)
        if self._want_raw and self._tail.endswith(b">>> "):
            self._want_raw = False
            self._to_device += b"\x01"

    def _from_port(self, data: bytes) -> None:
        if b"\x02" in data:
            self._raw = False
        if b"\x03" in data and self._ready and self._proc and _catches_sigint(self._proc.pid):
            # Code is running (the port catches SIGINT only then). A board's UART sees
            # Ctrl-C as it arrives; the unix port only by SIGINT, which the terminal
            # sends only when ISIG is on, and it is off while raw-paste code runs (as
            # mpremote's exec and run do). So: the signal, and not the byte.
            data = data.replace(b"\x03", b"")
            try:
                os.kill(self._proc.pid, signal.SIGINT)
            except ProcessLookupError:
                pass
        self._to_device += data

    def _restart(self) -> None:
        code = self._proc.wait() if self._proc else 0
        # Whatever the process wrote last.
        while self._ma is not None:
            try:
                data = os.read(self._ma, 4096)
            except OSError:
                break
            if not data:
                break
            self._from_device(data)
        os.close(self._ma)
        self._ma = None
        if self._held or self._partial:  # it ended before it was ready: show why
            self._ready = True
            held, self._held = self._held, b""
            self._from_device(held)
            if self._partial:
                self._to_port(self._partial)
                self._partial = b""
        if code == EXIT_BAD_IMAGE:
            self.error = f"{self.image} does not mount"
            self._to_port(b"\r\nvirtual board stopped: " + self.error.encode() + b"\r\n")
            return
        # A soft reset from the raw REPL comes back in the raw REPL (as on a board, which
        # then skips main.py); anything else (Ctrl-D at the friendly REPL, machine.reset(),
        # sys.exit()) boots normally.
        mode = "raw" if (code == 0 and self._raw) else "main"
        self._to_port(b"MPY: soft reboot\r\n")
        self._spawn(mode)

    def _relay(self) -> None:
        while not self._stopping.is_set() and self.error is None:
            rd = [self._mb]
            wr = []
            if self._ma is not None:
                rd.append(self._ma)
                if self._to_device and self._ready:
                    wr.append(self._ma)
            try:
                r, w, _ = select.select(rd, wr, [], 0.05)
            except (OSError, ValueError):
                break
            if self._ma is not None and self._ma in r:
                try:
                    data = os.read(self._ma, 4096)
                except BlockingIOError:
                    data = None
                except OSError:  # EIO: the process closed its terminal (it is ending)
                    data = b""
                if data:
                    self._from_device(data)
            if self._mb in r:
                try:
                    data = os.read(self._mb, 4096)
                except (BlockingIOError, OSError):
                    data = None
                if data:
                    self._from_port(data)
            if self._proc is not None and self._proc.poll() is not None:
                self._restart()  # input not yet written waits for the next boot
            if self._ma is not None and self._to_device and self._ready:
                try:
                    n = os.write(self._ma, self._to_device)
                    self._to_device = self._to_device[n:]
                except BlockingIOError:
                    pass
                except OSError as e:
                    if e.errno != errno.EIO:
                        raise


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--image", default=str(ROOT / "build" / "vboard" / "flash.img"),
                    help="littlefs image (created and formatted when missing: 2 MiB, "
                         "4096-byte blocks)")
    ap.add_argument("--link", help="keep a symlink to the port here (e.g. build/vboard/tty)")
    ap.add_argument("--heapsize", help="MicroPython heap, e.g. 2M or 160K (unix default 2M)")
    ap.add_argument("--console", help="also append everything the board prints to this file")
    args = ap.parse_args()
    vb = VirtualBoard(args.image, link=args.link, heapsize=args.heapsize, console=args.console)
    try:
        port = vb.start()
    except VirtualBoardError as e:
        print("virtual board:", e, file=sys.stderr)
        return 1
    print(f"virtual board on {port}" + (f" (link {args.link})" if args.link else ""),
          flush=True)
    print(f"  mpremote connect {args.link or port} resume repl", flush=True)

    def _term(*_):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _term)
    try:
        while vb.alive():
            time.sleep(0.2)
    except KeyboardInterrupt:
        pass
    finally:
        vb.stop()
    if vb.error:
        print("virtual board:", vb.error, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
