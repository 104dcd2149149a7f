"""Runs every MicroPython unit-test module in tests/device/ on the unix port."""

import pytest

from tests.mp import DEVICE_TESTS, run_mp

MODULES = sorted(p for p in DEVICE_TESTS.glob("test_*.py"))


# A hang guard, not a time limit: the slowest module (test_journal) takes about 30 s on
# an idle 2-core machine and went past pytest-timeout's default 120 s on a loaded one (a CI
# run with the machine 6x oversubscribed). The module's own process limit is the guard,
# and pytest's sits just above it.
HANG_GUARD_S = 600


@pytest.mark.timeout(HANG_GUARD_S + 60)
@pytest.mark.parametrize("module", MODULES, ids=[m.stem for m in MODULES])
def test_device_module(module):
    proc = run_mp(module, timeout=HANG_GUARD_S)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert " passed, 0 failed" in out, out
    assert "PASS" in out, out
