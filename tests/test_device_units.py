"""Runs every MicroPython unit-test module in tests/device/ on the unix port."""

import pytest

from tests.mp import DEVICE_TESTS, run_mp

MODULES = sorted(p for p in DEVICE_TESTS.glob("test_*.py"))


@pytest.mark.parametrize("module", MODULES, ids=[m.stem for m in MODULES])
def test_device_module(module):
    proc = run_mp(module, timeout=300)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert " passed, 0 failed" in out, out
    assert "PASS" in out, out
