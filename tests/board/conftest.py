"""Board tests: deploy the firmware to a board, then run self-tests on it over mpremote.

`pytest tests/board --port /dev/ttyUSB0` runs them on a real ESP32; without --port they
start a virtual board (host_tools/virtual_board.py) on a fresh image in a tmp folder.
docs/virtual-board.md has the details.
"""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from host_tools import deploy as deploy_mod
from host_tools.hostsim.process import running_hostsim
from host_tools.hostsim.tls import test_pki
from host_tools.virtual_board import VirtualBoard
from tests.mp import DEVICE_TESTS

DEVICE = Path(__file__).resolve().parent / "device"
RUNNER = "/lib/boardtest.py"  # the on-device runner, copied for the session
SUMMARY = re.compile(r"(\d+) passed, (\d+) failed, (\d+) skipped")

collect_ignore = ["device"]  # MicroPython modules, run on the board


def _opt(config, name, default=None):
    try:
        return config.getoption(name)
    except ValueError:  # the option was not registered (conftest loaded late)
        return default


def lan_ip() -> str:
    """This PC's address on the network its default route leaves by (no packet is sent)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.1", 9))
            return s.getsockname()[0]
        except OSError:
            return "127.0.0.1"


class DeviceRun:
    def __init__(self, out: str):
        self.out = out
        m = SUMMARY.search(out)
        self.passed, self.failed, self.skipped = map(int, m.groups()) if m else (0, -1, 0)

    def __repr__(self):
        return f"<{self.passed} passed, {self.failed} failed, {self.skipped} skipped>"


class Board:
    """A board under test: its port, and the virtual board when there is one."""

    def __init__(self, port: str, vboard: VirtualBoard | None, host_ip: str, opts: dict):
        self.port = port
        self.vboard = vboard
        self.virtual = vboard is not None
        self.host_ip = host_ip
        self.opts = opts
        self.build_dir: Path | None = None  # where deploy compiles (a tmp folder)

    def deploy(self, **kw) -> dict:
        return deploy_mod.deploy(self.port, check_esp32=False, log=None,
                                 build_dir=self.build_dir, **kw)

    def mpremote(self, *args: str, timeout: float = 60, check: bool = True) -> str:
        cmd = [*deploy_mod.mpremote_cmd(), "connect", self.port, "resume", *args]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        out = proc.stdout + proc.stderr
        if check and proc.returncode:
            raise AssertionError(f"mpremote {' '.join(args)[:80]} failed:\n{out}")
        return out

    def exec(self, code: str, timeout: float = 60) -> str:
        return self.mpremote("exec", code, timeout=timeout)

    def run_module(self, name: str, timeout: float = 120, **params) -> DeviceRun:
        """Run tests/board/device/<name>.py on the board with boardtest.PARAMS = params."""
        # `run` executes in the REPL's globals, which outlive a run: forget the test
        # functions of the module run before.
        setup = (f"import boardtest; boardtest.PARAMS = {params!r}\n"
                 "for _k in [k for k in globals() if k.startswith('test_')]:\n"
                 "    del globals()[_k]\n")
        out = self.mpremote("exec", setup, "+", "run", str(DEVICE / f"{name}.py"),
                            timeout=timeout)
        return DeviceRun(out)

    def console(self) -> str:
        """Everything the virtual board printed so far (its console log)."""
        assert self.vboard and self.vboard.console
        return self.vboard.console.read_bytes().decode(errors="replace")


@pytest.fixture(scope="session")
def board(request, tmp_path_factory):
    port = _opt(request.config, "--port")
    opts = {
        "loopback": bool(_opt(request.config, "--loopback", False)),
        "boot_wait": float(_opt(request.config, "--boot-wait", 15.0)),
    }
    host_ip = _opt(request.config, "--host-ip")
    if port:
        yield Board(port, None, host_ip or lan_ip(), opts)
        return
    tmp = tmp_path_factory.mktemp("vboard")
    vb = VirtualBoard(tmp / "flash.img", console=tmp / "console.log")
    vb.start()
    try:
        yield Board(vb.port, vb, host_ip or "127.0.0.1", opts)
    finally:
        vb.stop()


@pytest.fixture(scope="session")
def board_host(board, tmp_path_factory):
    """The host simulator, listening where the board can reach it."""
    bind = "127.0.0.1" if board.virtual else "0.0.0.0"
    db = tmp_path_factory.mktemp("boardhost") / "host.db"
    def admin(*args: str) -> str:
        out = subprocess.run(
            [sys.executable, "-m", "host_tools.hostsim.admin", "--db", str(db), *args],
            capture_output=True, text=True, timeout=30, cwd=deploy_mod.ROOT,
        )
        assert out.returncode == 0, out.stderr
        return out.stdout

    with running_hostsim(db, "--host", bind) as (proc, port):
        yield {"db": db, "port": port, "ip": board.host_ip, "admin": admin}


@pytest.fixture(scope="session")
def deployed(board, board_host, tmp_path_factory):
    """The firmware deployed (the first deploy's summary), and the self-test runner on the
    board. On the virtual board (a fresh image) /config.json is written first, pointing at
    the host simulator, so the boot after the deploy signs in there; a real board keeps
    its provisioned configuration."""
    if board.virtual:
        cfg = {"host": board_host["ip"], "port": board_host["port"],
               "connect_timeout_s": 3, "response_timeout_s": 5}
        board.exec(f"f = open('/config.json', 'w'); f.write({json.dumps(cfg)!r}); f.close()")
        # TLS to the simulator: its test CA beside /config.json, as make provision puts it
        board.mpremote("fs", "cp", "-f", str(test_pki().ca_der), ":/ca.der")
    board.build_dir = tmp_path_factory.mktemp("deploy-build")
    boots = board.vboard.boots if board.virtual else 0
    summary = board.deploy()
    if board.virtual:
        assert board.vboard.wait_boot(boots), "the virtual board did not restart"
    board.mpremote("fs", "cp", "-f", str(DEVICE / "boardtest.py"), ":" + RUNNER)
    board.mpremote("fs", "cp", "-f", str(DEVICE_TESTS / "mptest.py"), ":/lib/mptest.py")
    yield summary
    if not board.virtual:
        board.mpremote("fs", "rm", ":" + RUNNER, check=False)
