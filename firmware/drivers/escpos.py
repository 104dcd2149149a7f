# ESC/POS for a 58 mm thermal printer (384 dots: 32 columns of 12-dot ASCII, 16 of 24-dot
# Chinese): the command bytes and the meaning of its status answers, nothing else. Text
# is laid out into these commands by ui/paper.py; the bytes reach the printer through
# printer.py.
from micropython import const

COLUMNS = const(32)  # 12-dot ASCII characters on a line (a Chinese character takes 2)

INIT = b"\x1b@"  # ESC @: reset modes (not the Chinese-mode setting on most printers)
# FS &: Chinese (double-byte) mode on. Chinese 58 mm printers usually start in it, but
# some ship set to a single-byte code page and ESC @ does not change that; sent after
# every INIT so GB18030 bytes always print as Chinese. Ignored by printers without it.
CHINESE_ON = b"\x1c&"
CHINESE_OFF = b"\x1c."  # FS .
LF = b"\n"

ALIGN = b"\x1ba"  # ESC a n: n is LEFT, CENTER or RIGHT
LEFT = const(0)
CENTER = const(1)
RIGHT = const(2)
BOLD = b"\x1bE"  # ESC E n: 1 on, 0 off
SIZE = b"\x1d!"  # GS ! n: n is DOUBLE_WIDTH | DOUBLE_HEIGHT, or 0
DOUBLE_WIDTH = const(0x10)
DOUBLE_HEIGHT = const(0x01)
FEED = b"\x1bd"  # ESC d n: print and feed n lines

# GS V 66 0: feed to the cutter, then (partial) cut. GS V 1 would cut at once, with the
# last lines still between the print head and the blade. Tear-bar printers ignore it.
CUT = b"\x1dVB\x00"

# Paper sensor status, for the driver. DLE EOT 4 answers at once even when the printer
# is busy or offline; ESC v is what many Chinese printers implement instead.
STATUS_PAPER_RT = b"\x10\x04\x04"  # DLE EOT 4: one byte back
STATUS_PAPER = b"\x1bv"  # ESC v: one byte back
RT_PAPER_NEAR_END = const(0x0C)  # bits 2-3 of the DLE EOT 4 answer
RT_PAPER_OUT = const(0x60)  # bits 5-6 of the DLE EOT 4 answer
V_PAPER_NEAR_END = const(0x03)  # bits 0-1 of the ESC v answer
V_PAPER_OUT = const(0x0C)  # bits 2-3 of the ESC v answer


def paper_out(answer, realtime=True):
    """True if a paper-status answer byte (DLE EOT 4 when realtime, else ESC v) says the
    roll is out."""
    return bool(answer & (RT_PAPER_OUT if realtime else V_PAPER_OUT))


def paper_near_end(answer, realtime=True):
    return bool(answer & (RT_PAPER_NEAR_END if realtime else V_PAPER_NEAR_END))
