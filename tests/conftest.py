"""tests/device/ holds MicroPython modules: they run inside `micropython` (through
test_device_units.py), never as CPython test modules."""

collect_ignore = ["device"]


# Options of the board tests (tests/board/) live here, so that `pytest tests --port ...`
# works as well as `pytest tests/board --port ...`.
def pytest_addoption(parser):
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
