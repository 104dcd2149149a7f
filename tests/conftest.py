"""tests/device/ holds MicroPython modules: they run inside `micropython` (through
test_device_units.py), never as CPython test modules.

The device-like interpreter (`make frozen`, build/frozen/micropython): tests that need it
take the frozen_runtime fixture, and skip, saying why, when it is missing or older than
the firmware; with POS_REQUIRE_FROZEN=1 (CI) they fail instead. `pytest --frozen` runs
every terminal a test starts on it (SimTerminal, tests.mp), at its 64 KB heap."""

import os

import pytest

collect_ignore = ["device"]


def _frozen_problem() -> str:
    from host_tools import frozen_unix

    why = frozen_unix.stale()
    if why:
        why += ("; `make frozen MICROPY_DIR=<a MicroPython v1.28.0 tree>` builds it "
                "(README, 'The device-like interpreter')")
    return why


@pytest.fixture(scope="session")
def frozen_runtime():
    """host_tools.runtime.Runtime of the device-like interpreter."""
    from host_tools.runtime import Runtime

    why = _frozen_problem()
    if why:
        if os.environ.get("POS_REQUIRE_FROZEN"):
            pytest.fail(why)
        pytest.skip(why)
    return Runtime.frozen()


def pytest_configure(config):
    if config.getoption("frozen", False):
        why = _frozen_problem()
        if why:
            raise pytest.UsageError("--frozen: " + why)
        from host_tools import frozen_unix

        os.environ["POS_FROZEN"] = str(frozen_unix.MICROPYTHON)


# Options of the board tests (tests/board/) live here, so that `pytest tests --port ...`
# works as well as `pytest tests/board --port ...`.
def pytest_addoption(parser):
    parser.addoption("--frozen", action="store_true",
                     help="run the terminals on the device-like interpreter (make frozen), "
                          "64 KB heap")
    g = parser.getgroup("board", "board tests (tests/board)")
    g.addoption("--port", default=None,
                help="serial port of a real board (default: start a virtual board)")
    g.addoption("--host-ip", default=None,
                help="address the board reaches the host simulator at (default: "
                     "127.0.0.1 for the virtual board, this PC's LAN address otherwise)")
    g.addoption("--loopback", action="store_true",
                help="the printer UART has a TX-RX loopback jumper (real board)")
    g.addoption("--boot-wait", type=float, default=15.0,
                help="seconds a real board gets to reach the main menu after a reset")
