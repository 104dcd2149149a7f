"""tests/device/ holds MicroPython modules: they run inside `micropython` (through
test_device_units.py), never as CPython test modules."""

collect_ignore = ["device"]
