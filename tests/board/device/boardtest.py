# The on-device self-tests' helpers (tests/board/device/test_*.py): tests/device/mptest.py's
# runner, plus what a board needs. A module defines test_* functions and ends with
# boardtest.run(globals()). The host copies this file and mptest.py to /lib on the board,
# sets PARAMS through an exec, then `mpremote run`s the module (tests/board/conftest.py).
import sys

import mptest
from mptest import Skip, raises  # noqa: F401  (re-exported for the test modules)

PARAMS = {}  # set by the host before each run


def on_hardware():
    """True on the ESP32; the virtual board (the unix port) has no pins, buses or radio."""
    return sys.platform == "esp32"


def need_hardware(what):
    if not on_hardware():
        raise Skip("needs real hardware (%s); this is %s" % (what, sys.platform))


def rmtree(path):
    import os

    try:
        names = os.listdir(path)
    except OSError:
        return
    for name in names:
        p = path + "/" + name
        if os.stat(p)[0] & 0x4000:
            rmtree(p)
        else:
            os.remove(p)
    os.rmdir(path)


def run(namespace):
    # Never sys.exit(): on the virtual board that would end the process (a reset).
    mptest.run(namespace, exit_on_failure=False)
