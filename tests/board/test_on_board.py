"""Self-tests on the board (tests/board/device/): crypto and codec, the journal on the
board's filesystem across a reset, the drivers on real parts, sign-in to the host
simulator on this PC, and main.py booting to the main menu."""

import ast
import re
import time

import pytest

MENU = re.compile(r"DISPLAY: [^|\n]+ \| 1\.[^|\n]+ \| 2\.[^|\n]+ \| 3\.")


def ok(run, skipped_ok=False):
    assert run.failed == 0, run.out
    if not skipped_ok:
        assert run.passed > 0 and run.skipped == 0, run.out


def test_crypto_and_codec(board, deployed):
    run = board.run_module("test_crypto_codec")
    ok(run)
    assert run.passed == 5, run.out


def test_journal_survives_a_reset(board, deployed):
    run = board.run_module("test_journal_persist", phase="write")
    ok(run)
    assert "JOURNAL WRITTEN" in run.out
    boots = board.vboard.boots if board.virtual else 0
    board.mpremote("soft-reset")
    if board.virtual:
        assert board.vboard.wait_boot(boots), "the virtual board did not restart"
    run = board.run_module("test_journal_persist", phase="check")
    ok(run)
    assert "JOURNAL PERSISTED" in run.out


def test_drivers(board, deployed):
    run = board.run_module("test_drivers", loopback=board.opts["loopback"])
    assert run.failed == 0, run.out
    if board.virtual:  # no pins, buses or UART: every hardware test is a SKIP
        assert run.skipped == 4 and run.passed == 1, run.out
        assert "SKIP test_printer_uart_loopback needs real hardware" in run.out


def test_sign_in_to_host_on_pc(board, board_host, deployed):
    run = board.run_module("test_signin", host=board_host["ip"], port=board_host["port"])
    if not board.virtual and run.skipped:
        pytest.skip("board has no WiFi configuration: " + run.out.strip().splitlines()[-2])
    ok(run)
    batch = re.search(r"BATCH (\d{6})", run.out).group(1)
    terminals = board_host["admin"]("terminals")
    assert re.search(rf"TERM0001\s+\S+\s+{batch}", terminals), (batch, terminals)


def test_main_boots_to_the_main_menu(board, deployed):
    if board.virtual:
        vb = board.vboard
        seen = len(board.console())
        boots = vb.boots
        board.mpremote("reset")
        assert vb.wait_boot(boots), "no reboot"
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            since = board.console()[seen:]
            if MENU.search(since):
                break
            time.sleep(0.1)
        assert MENU.search(since), since[-2000:]
        assert "Traceback" not in since and "ERROR" not in since, since[-2000:]
    else:
        board.mpremote("reset")
        time.sleep(board.opts["boot_wait"])
    # Interrupt the application (as any mpremote command does) and read its screen.
    out = board.exec("import board\nprint('LINES', getattr(board._hw.display, 'lines', None))")
    lines = ast.literal_eval(out.split("LINES", 1)[1].strip())
    if lines is None:
        pytest.skip("this board's display keeps no text lines")
    assert len(lines) == 4 and lines[1].startswith("1.") and lines[3].startswith("3."), out
