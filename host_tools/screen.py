"""The terminal's 128x64 display as the control interface gives it (a bitmap, MONO_VLSB,
and its text lines), and drawn as text in a console: Unicode half blocks, quadrants or
braille dots (`make run`'s view, the run script's screen dumps)."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from typing import Any

WIDTH, HEIGHT = 128, 64


@dataclass(frozen=True)
class Screen:
    seq: int
    lines: list[str]
    bitmap: bytes  # 1024 bytes, MONO_VLSB: byte (y // 8) * 128 + x, bit y % 8

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    def pixel(self, x: int, y: int) -> bool:
        return bool(self.bitmap[(y >> 3) * WIDTH + x] >> (y & 7) & 1)

    def render(self, mode: str = "auto") -> str:
        return render_blocks(self.bitmap, mode)

    @classmethod
    def from_answer(cls, ans: dict[str, Any]) -> Screen:
        return cls(int(ans["seq"]), list(ans["lines"]), bytes.fromhex(ans["bitmap"]))


def _px(bitmap: bytes, x: int, y: int) -> int:
    return bitmap[(y >> 3) * WIDTH + x] >> (y & 7) & 1


_QUAD = " ▘▝▀▖▌▞▛▗▚▐▜▄▙▟█"  # index = TL | TR<<1 | BL<<2 | BR<<3
_HALF = " ▀▄█"  # index = top | bottom<<1
# Braille dot bits for (dx, dy) in a 2x4 cell.
_BRAILLE = ((0x01, 0x08), (0x02, 0x10), (0x04, 0x20), (0x40, 0x80))


def render_blocks(bitmap: bytes, mode: str = "auto") -> str:
    """The 128x64 display as text.

    - "half": ▀▄█, one column per pixel, two pixel rows per line: 128x32, square pixels.
    - "quad": quadrant blocks, 2x2 pixels per cell: 64x32 (pixels look twice as tall).
    - "braille": 2x4 pixels per cell: 64x16, square pixels, dotted look.
    - "auto": "half" when the terminal has 128+ columns, else "braille".
    """
    if mode == "auto":
        mode = "half" if shutil.get_terminal_size((80, 24)).columns >= 130 else "braille"
    rows: list[str] = []
    if mode == "half":
        for y in range(0, HEIGHT, 2):
            rows.append("".join(
                _HALF[_px(bitmap, x, y) | _px(bitmap, x, y + 1) << 1] for x in range(WIDTH)))
    elif mode == "quad":
        for y in range(0, HEIGHT, 2):
            rows.append("".join(
                _QUAD[_px(bitmap, x, y) | _px(bitmap, x + 1, y) << 1
                      | _px(bitmap, x, y + 1) << 2 | _px(bitmap, x + 1, y + 1) << 3]
                for x in range(0, WIDTH, 2)))
    elif mode == "braille":
        for y in range(0, HEIGHT, 4):
            row = []
            for x in range(0, WIDTH, 2):
                bits = 0
                for dy in range(4):
                    for dx in range(2):
                        if _px(bitmap, x + dx, y + dy):
                            bits |= _BRAILLE[dy][dx]
                row.append(chr(0x2800 + bits))
            rows.append("".join(row))
    else:
        raise ValueError(f"unknown render mode {mode!r} (half, quad, braille, auto)")
    return "\n".join(rows)
