# The simulator board's key queue is the firmware's own (drivers/keyqueue.py), so both
# boards feed the UI through the same bounded queue; this name stays for the board's
# modules and tests that import it from here.
from drivers.keyqueue import MAX_EVENTS, KeyQueue  # noqa: F401
