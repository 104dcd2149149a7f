# The runner of the on-device self-tests (tests/board/device/test_*.py), after
# tests/device/mptest.py: a module defines test_* functions and ends with
# boardtest.run(globals()), which prints PASS/FAIL/SKIP lines and
# "N passed, N failed, N skipped". The host copies this file to /lib on the board, sets
# PARAMS through an exec, then `mpremote run`s the module (tests/board/conftest.py).
# Never sys.exit(): on the virtual board that would end the process (a reset).
import sys

PARAMS = {}  # set by the host before each run


class Skip(Exception):
    pass


def on_hardware():
    """True on the ESP32; the virtual board (the unix port) has no pins, buses or radio."""
    return sys.platform == "esp32"


def need_hardware(what):
    if not on_hardware():
        raise Skip("needs real hardware (%s); this is %s" % (what, sys.platform))


def raises(exc, fn, *args, **kw):
    try:
        fn(*args, **kw)
    except exc as e:
        return e
    raise AssertionError("%s did not raise %s" % (getattr(fn, "__name__", fn), exc.__name__))


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
    names = sorted(n for n in namespace if n.startswith("test_"))
    passed = failed = skipped = 0
    for name in names:
        try:
            namespace[name]()
            passed += 1
            print("PASS", name)
        except Skip as e:
            skipped += 1
            print("SKIP", name, e)
        except Exception as e:  # report and go on
            failed += 1
            print("FAIL", name)
            sys.print_exception(e)
    print("%d passed, %d failed, %d skipped" % (passed, failed, skipped))
