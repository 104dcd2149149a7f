# The hardware contract: what every board (board/<name>/board.py) gives the firmware.
# Every board provides every member below; a board that lacks the part provides the
# member anyway, with the meaning written here, so the firmware calls it without asking
# first (no getattr or caught AttributeError in the firmware). docs/architecture.md
# ("Boards") says which board has which part. Not imported at run time: this module is
# the contract written down, and missing() is how the tests hold each board to it.
#
# The board module (main.py imports it as `board`):
#   NAME         the board's name, for logs
#   CONFIG_PATH  where `make provision` writes the configuration (config.load reads it)
#   DATA_DIR     the folder of the terminal's records, on littlefs (os.statvfs answers
#                for it: settlement's free-space check)
#   mount_flash()  make DATA_DIR usable; OSError when the flash cannot be used
#   init()       the Hardware below, once per boot
#
# The Hardware (hw = board.init()):
#   display      framebuf.FrameBuffer, 128x64 MONO_VLSB, with show(); and lines, the
#                text the UI drew (title first), which the UI sets before show() and the
#                boards that show a screen as text read (the SSD1306 ignores it)
#   keys         drivers.keyqueue.KeyQueue: await get(), put(event), clear(), len();
#                events "0".."9", "ENTER", "CANCEL", "CLEAR", "UP", "DOWN", "FUNC",
#                letters from a PC keyboard; from a card reader ("SWIPE", track2), or
#                ("SWIPE", None) for a read it refused (drivers/msr.py)
#   printer      await paper_ok() -> bool; await write(data): ESC/POS bytes, raising
#                OSError (the board's PrinterError) when it cannot print. No printer:
#                paper_ok() is False, so every slip waits for a reprint
#   clock        now() -> (year, month, day, hour, minute, second); set(y, mo, d, h, mi, s);
#                sync_from_host(mmdd, hhmmss) -> bool: the time a sign-in answer gives
#                (F13, F12); True when the clock took it; False when the fields are not
#                a date and time, or when the board's clock follows a better source (the
#                simulator's follows the PC) and leaves the host's time alone
#   card_reader  True when swipes can happen (field 60.4 = 2), False for keyed entry (no
#                reader, or one whose bus did not start)
#   await beep(ms=80)  the buzzer, on every error or refusal shown; no buzzer: counted
#                or nothing, and it returns at once
#   await connect(cfg) -> bool  the network, at boot, once the configuration is read:
#                True when the terminal can reach the host (a board on the PC's network:
#                at once); False: it starts offline and the board keeps trying. Where
#                the board sets its clock by NTP, it does so here, before the first TLS
#                handshake checks a certificate's dates
#   log(*args)   one line where the board keeps its log
#   tasks()      coroutines main.py starts before anything else (control interface,
#                keypad scan, card reader, WiFi monitor, watchdog); [] when none
#   reset()      restart the terminal

BOARD = ("NAME", "CONFIG_PATH", "DATA_DIR", "mount_flash", "init")
HARDWARE = ("display", "keys", "printer", "clock", "card_reader", "beep", "connect", "log",
            "tasks", "reset")
PARTS = (
    ("display", ("show", "fill", "lines")),
    ("keys", ("get", "put", "clear")),
    ("printer", ("paper_ok", "write")),
    ("clock", ("now", "set", "sync_from_host")),
)


def missing(board, hw):
    """The members of the contract that board (the module) or hw (its Hardware) lacks,
    as names such as "clock.sync_from_host"; [] when it keeps the contract."""
    out = [n for n in BOARD if not hasattr(board, n)]
    out += [n for n in HARDWARE if not hasattr(hw, n)]
    for part, names in PARTS:
        obj = getattr(hw, part, None)
        out += [part + "." + n for n in names if obj is None or not hasattr(obj, n)]
    return out
