"""Reading what the terminal printed: the ESC/POS stream of a 58 mm printer split into
commands, its text (GB18030), and receipts at its paper cuts. The printer's bytes come from
the simulator board's printer.bin (SimTerminal.receipts) or a real printer's capture;
host_tools/render_png.py draws them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Receipt:
    raw: bytes  # the ESC/POS bytes, including the cut that ends it
    text: str  # printable text, commands stripped, decoded as GB18030
    complete: bool  # False for the tail after the last cut (still printing, or cut off)


ESC, GS, FS, DLE = 0x1B, 0x1D, 0x1C, 0x10
# Parameter byte counts of the fixed-length commands a 58 mm printer driver sends.
_ESC_ARGS = {ord("@"): 0, ord("2"): 0, ord("3"): 1, ord("a"): 1, ord("E"): 1, ord("d"): 1,
             ord("t"): 1, ord("!"): 1, ord("J"): 1, ord("-"): 1, ord("G"): 1, ord("M"): 1,
             ord("R"): 1, ord("V"): 1, ord("{"): 1, ord("p"): 3, ord("$"): 2, ord("\\"): 2,
             ord("c"): 2}
_GS_ARGS = {ord("!"): 1, ord("B"): 1, ord("h"): 1, ord("w"): 1, ord("H"): 1, ord("f"): 1,
            ord("L"): 2, ord("W"): 2, ord("a"): 1}
_FS_ARGS = {ord("&"): 0, ord("."): 0, ord("C"): 1, ord("!"): 1, ord("W"): 1, ord("-"): 1}


def _cut_len(data: bytes, i: int) -> int:
    """Length of the GS V cut at data[i] (GS V m, or GS V m n for m = 65, 66, 97..103)."""
    m = data[i + 2] if i + 2 < len(data) else 0
    return 4 if m in (65, 66) or 97 <= m <= 103 else 3


def command_len(data: bytes, i: int) -> int:
    """Length of the command starting at data[i] (an ESC, GS, FS or DLE byte)."""
    b = data[i]
    c = data[i + 1] if i + 1 < len(data) else -1
    if b == ESC:
        if c == ord("*") and i + 4 < len(data):  # bit image: ESC * m nL nH data
            m = data[i + 2]
            width = data[i + 3] | data[i + 4] << 8
            return 5 + width * (3 if m in (32, 33) else 1)
        return 2 + _ESC_ARGS.get(c, 0)
    if b == GS:
        if c == ord("V"):
            return _cut_len(data, i)
        if c == ord("v") and i + 7 < len(data):  # raster: GS v 0 m xL xH yL yH data
            xb = data[i + 4] | data[i + 5] << 8
            yd = data[i + 6] | data[i + 7] << 8
            return 8 + xb * yd
        if c == ord("(") and i + 4 < len(data):  # GS ( fn pL pH data (QR codes etc.)
            return 5 + (data[i + 3] | data[i + 4] << 8)
        if c == ord("k") and i + 2 < len(data):  # barcode
            m = data[i + 2]
            if m <= 6:
                end = data.find(b"\0", i + 3)
                return (end + 1 - i) if end >= 0 else len(data) - i
            return 4 + (data[i + 3] if i + 3 < len(data) else 0)
        return 2 + _GS_ARGS.get(c, 0)
    if b == FS:
        return 2 + _FS_ARGS.get(c, 0)
    return 3  # DLE EOT n / DLE ENQ n: status requests


def strip_escpos(data: bytes) -> str:
    """The printable text of an ESC/POS stream: commands removed, GB18030 decoded."""
    out = bytearray()
    i = 0
    while i < len(data):
        b = data[i]
        if b in (ESC, GS, FS, DLE):
            i += command_len(data, i)
            continue
        if b >= 0x20 or b in (0x0A, 0x09):
            out.append(b)
        i += 1
    return out.decode("gb18030", errors="replace")


def split_receipts(data: bytes) -> list[Receipt]:
    """Split a printer stream at its paper cuts (GS V ...) into receipts."""
    receipts: list[Receipt] = []
    start = i = 0
    while i < len(data):
        b = data[i]
        if b == GS and i + 1 < len(data) and data[i + 1] == ord("V"):
            end = i + _cut_len(data, i)
            raw = data[start:end]
            receipts.append(Receipt(raw, strip_escpos(raw), True))
            start = i = end
        elif b in (ESC, GS, FS, DLE):
            i += command_len(data, i)  # never mistake a parameter byte for a cut
        else:
            i += 1
    tail = data[start:]
    if strip_escpos(tail).strip():
        receipts.append(Receipt(tail, strip_escpos(tail), False))
    return receipts
