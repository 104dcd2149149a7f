# Tiny test runner for MicroPython: the same test modules run on the unix port and on a
# board. A test module defines functions named test_*; run(globals()) calls them in order.
import sys


# Scratch directory for files a test writes: /tmp on the unix port, the flash root on a board.
TMP = "/tmp" if sys.platform == "linux" else ""


class Skip(Exception):
    pass


def raises(exc, fn, *args, **kw):
    """Call fn and return the exception of type exc it raised; fail if it did not."""
    try:
        fn(*args, **kw)
    except exc as e:
        return e
    raise AssertionError("%s did not raise %s" % (getattr(fn, "__name__", fn), exc.__name__))


def run(namespace, exit_on_failure=True):
    """Run the test_* functions of namespace. exit_on_failure=False for a board, where
    sys.exit() would end the interpreter (tests/board/device/boardtest.py)."""
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
        except Exception as e:  # noqa: report and go on
            failed += 1
            print("FAIL", name)
            sys.print_exception(e)
    print("%d passed, %d failed, %d skipped" % (passed, failed, skipped))
    if failed and exit_on_failure:
        sys.exit(1)
