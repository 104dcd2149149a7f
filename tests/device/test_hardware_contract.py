# The hardware contract (firmware/hardware.py) on the simulator board (board/unix) and
# the virtual board (board/virtual): every member there, and the members a board without
# the part provides anyway (the clock that follows the PC, the buzzer, the network).
# The ESP32 board's turn is in test_esp32_board.py, with its fake machine module.
import asyncio
import sys

import hardware
import mptest

_HERE = __file__[: __file__.rfind("/")] if "/" in __file__ else "."
TMP = mptest.TMP + "/pos_hw_contract"


def _mkdir(path):
    try:
        import os

        os.mkdir(path)
    except OSError:
        pass


def _common(hw):
    # what the firmware calls without asking
    offset = hw.clock.offset
    assert hw.clock.sync_from_host("0101", "000000") is False  # the PC's time is kept
    assert hw.clock.offset == offset
    asyncio.run(hw.beep())
    assert hw.beeps == 1
    assert asyncio.run(hw.connect({})) is True  # the PC's network
    assert isinstance(hw.tasks(), list)


def test_the_simulator_board():
    import board
    from sim_hw import Hardware

    assert board.NAME == "unix-sim"
    _mkdir(TMP)
    hw = Hardware(TMP, board.NAME, board.CARD_READER)  # board.init(), in a scratch folder
    assert hardware.missing(board, hw) == []
    _common(hw)
    assert hw.card_reader is True


def test_the_virtual_board():
    sys.modules.pop("board", None)
    sys.path.insert(0, _HERE + "/../../board/virtual")
    try:
        import board
    finally:
        sys.path.pop(0)
    assert board.NAME == "virtual"
    hw = board.init()
    assert hardware.missing(board, hw) == []
    _common(hw)
    assert hw.card_reader is False


def test_missing_names_what_a_board_lacks():
    class Clock:
        def now(self):
            return (2025, 1, 1, 0, 0, 0)

    class Hw:
        clock = Clock()

    class Board:
        NAME = "half"

    got = hardware.missing(Board, Hw())
    for name in ("init", "mount_flash", "display", "beep", "connect", "clock.sync_from_host",
                 "display.show", "printer.paper_ok"):
        assert name in got, (name, got)
    assert "clock.now" not in got and "NAME" not in got


mptest.run(globals())
