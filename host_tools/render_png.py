"""Render what the terminal printed or showed as PNG images, for people and for docs.

- `render_receipts(escpos_bytes)`: one image per receipt (split at each paper cut),
  384 dots wide like the 58 mm printer, from the ESC/POS subset the firmware emits (init,
  FS &, align, bold, ESC ! / GS ! sizes, LF, ESC d feed, GS V cut); `render_receipt`
  stacks them into one image with a tear mark between receipts.
- `render_screen(bitmap)`: the 128x64 SSD1306 frame (1024 bytes, MONO_VLSB) scaled x4.

Text is GB18030 drawn with the glyphs of the firmware's FONT16 table (firmware/ui/assets.py,
read here, so no system font is needed), scaled x1.5 as a 58 mm printer draws it: ASCII
8x16 -> 12x24 (32 to a line), Chinese 16x16 -> 24x24 (16 to a line).

    python -m host_tools.render_png receipt .sim/terminal/printer.bin [--split] [-o OUT.png]
    python -m host_tools.render_png screen --hex <2048 hex digits> -o screen.png
    python -m host_tools.render_png screen frame.bin -o screen.png   # raw, hex or JSON
"""

from __future__ import annotations

import argparse
import json
import struct
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw

from host_tools.escpos import command_len
from host_tools.gen_text_assets import read_assets

ROOT = Path(__file__).resolve().parent.parent

PAPER_DOTS = 384  # printable width of a 58 mm head at 8 dots/mm
SCALE_NUM, SCALE_DEN = 3, 2  # FONT16 glyphs x1.5: 12x24 ASCII, 24x24 CJK
CHAR_H = 16 * SCALE_NUM // SCALE_DEN  # 24
LINE_GAP = 6  # dots between lines: 30-dot pitch, close to ESC 2's default
MARGIN = 12  # white paper above and below a receipt's print
TEAR_H = 28  # the gap drawn between receipts in render_receipt()
INK, PAPER = 0, 255

SCREEN_W, SCREEN_H = 128, 64
SCREEN_SCALE = 4
SCREEN_ON = (225, 240, 255)
SCREEN_OFF = (12, 14, 22)
SCREEN_BORDER = (110, 110, 110)

ESC, GS, FS, DLE, LF, CR = 0x1B, 0x1D, 0x1C, 0x10, 0x0A, 0x0D


# --------------------------------------------------------------------------- the font


class Font16:
    """Glyphs of the firmware's FONT16 table (firmware/ui/assets.py, format in
    docs/text-assets.md): code point -> (width, bitmap stored as MONO_VLSB w x 16: bytes
    [0:w] rows 0-7, [w:2w] rows 8-15, bit k = row k)."""

    def __init__(self, data: bytes | None = None) -> None:
        if data is None:
            data = read_assets()["font"]
        magic, n, height, _ = struct.unpack_from("<4sHBB", data, 0)
        if magic != b"F16\x01" or height != 16:
            raise ValueError("not a FONT16 table")
        cps = struct.unpack_from(f"<{n}H", data, 8)
        offs = struct.unpack_from(f"<{n + 1}H", data, 8 + 2 * n)
        base = 8 + 4 * n + 2
        self.glyphs: dict[int, tuple[int, bytes]] = {
            cp: (8 * (offs[i + 1] - offs[i]), data[base + 16 * offs[i] : base + 16 * offs[i + 1]])
            for i, cp in enumerate(cps)
        }

    def image(self, cp: int) -> Image.Image:
        """The glyph at 16 px, ink 0 on paper 255; a box for a character the font lacks
        (full width from U+1100, as the firmware draws it)."""
        if cp not in self.glyphs:
            w = 16 if cp >= 0x1100 else 8
            img = Image.new("L", (w, 16), PAPER)
            ImageDraw.Draw(img).rectangle((1, 2, w - 2, 13), outline=INK)
            return img
        w, bits = self.glyphs[cp]
        img = Image.new("L", (w, 16), PAPER)
        px = img.load()
        assert px is not None
        for page in range(2):
            for x in range(w):
                b = bits[page * w + x]
                for k in range(8):
                    if b >> k & 1:
                        px[x, page * 8 + k] = INK
        return img


# --------------------------------------------------------------------------- receipts


@dataclass
class _Style:
    align: int = 0  # 0 left, 1 centre, 2 right
    bold: bool = False
    wide: int = 1  # GS ! width multiplier
    tall: int = 1  # GS ! height multiplier


@dataclass
class _Printer:
    """Interprets the stream; each finished receipt is a list of rows (line images)."""

    font: Font16
    style: _Style = field(default_factory=_Style)
    receipts: list[list[Image.Image]] = field(default_factory=list)
    rows: list[Image.Image] = field(default_factory=list)
    line: list[Image.Image] = field(default_factory=list)  # glyphs of the line being built
    line_align: int = 0
    x: int = 0
    _cache: dict[tuple[int, bool, int, int], Image.Image] = field(default_factory=dict)

    def glyph(self, cp: int) -> Image.Image:
        s = self.style
        key = (cp, s.bold, s.wide, s.tall)
        img = self._cache.get(key)
        if img is None:
            g = self.font.image(cp)
            w = g.width * SCALE_NUM // SCALE_DEN * s.wide
            img = g.resize((w, CHAR_H * s.tall), Image.Resampling.NEAREST)
            if s.bold:  # smear one dot to the right, as the head does for emphasis
                shifted = Image.new("L", img.size, PAPER)
                shifted.paste(img.crop((0, 0, img.width - 1, img.height)), (1, 0))
                img = ImageChops.darker(img, shifted)
            self._cache[key] = img
        return img

    def text(self, s: str) -> None:
        for ch in s:
            if ch == "\t":
                ch = " "
            g = self.glyph(ord(ch))
            if self.x + g.width > PAPER_DOTS:  # the printer wraps at the right edge
                self.newline()
            if not self.line:
                self.line_align = self.style.align
            self.line.append(g)
            self.x += g.width

    def newline(self) -> None:
        h = max([g.height for g in self.line] + [CHAR_H * self.style.tall])
        row = Image.new("L", (PAPER_DOTS, h + LINE_GAP), PAPER)
        x = {0: 0, 1: (PAPER_DOTS - self.x) // 2, 2: PAPER_DOTS - self.x}.get(self.line_align, 0)
        for g in self.line:
            row.paste(g, (x, h - g.height))  # characters stand on one baseline
            x += g.width
        self.rows.append(row)
        self.line = []
        self.x = 0

    def feed_dots(self, n: int) -> None:
        if n > 0:
            self.rows.append(Image.new("L", (PAPER_DOTS, n), PAPER))

    def cut(self) -> None:
        if self.line:
            self.newline()
        self.receipts.append(self.rows)
        self.rows = []

    def finish(self) -> list[list[Image.Image]]:
        if self.line:
            self.newline()
        if self.rows:  # printed after the last cut (or no cut at all)
            self.receipts.append(self.rows)
            self.rows = []
        return self.receipts

    def command(self, cmd: bytes) -> None:
        c = cmd[1] if len(cmd) > 1 else -1
        n = cmd[2] if len(cmd) > 2 else 0
        s = self.style
        if cmd[0] == ESC:
            if c == ord("@"):
                self.style = _Style()
            elif c == ord("a"):
                s.align = n - 48 if n >= 48 else n
            elif c == ord("E"):
                s.bold = bool(n & 1)
            elif c == ord("!"):  # ESC ! n: bit 3 bold, bit 4 double height, bit 5 double width
                s.bold = bool(n & 0x08)
                s.tall = 2 if n & 0x10 else 1
                s.wide = 2 if n & 0x20 else 1
            elif c == ord("d"):  # print the line (if any), then feed n lines
                if self.line:
                    self.newline()
                self.feed_dots(n * (CHAR_H + LINE_GAP))
            elif c == ord("J"):  # print and feed n dots
                if self.line:
                    self.newline()
                self.feed_dots(n)
        elif cmd[0] == GS:
            if c == ord("!"):
                s.wide = (n >> 4 & 7) + 1
                s.tall = (n & 7) + 1
            elif c == ord("V"):
                self.cut()
        # FS & / FS . (Chinese mode on/off), DLE EOT and the rest change nothing drawn:
        # the text is always decoded as GB18030, as the firmware sends it.


def _tokens(data: bytes) -> Iterator[tuple[str, bytes]]:
    """("cmd", bytes) for a command, ("text", bytes) for a run of printable bytes,
    ("lf", b"\\n") for a line feed. GB18030 bytes are never below 0x30 after the first,
    so a run of bytes >= 0x20 never splits a character."""
    i, n = 0, len(data)
    while i < n:
        b = data[i]
        if b in (ESC, GS, FS, DLE):
            k = max(2, command_len(data, i))
            yield "cmd", data[i : i + k]
            i += k
        elif b == LF:
            yield "lf", data[i : i + 1]
            i += 1
        elif b >= 0x20 or b == 0x09:
            j = i
            while j < n and (data[j] >= 0x20 or data[j] == 0x09):
                j += 1
            yield "text", data[i:j]
            i = j
        else:
            i += 1  # CR and other control bytes print nothing


def render_receipts(data: bytes, font: Font16 | None = None) -> list[Image.Image]:
    """One image per receipt (a receipt ends at a cut; a tail after the last cut with
    anything printed is one more), 384 dots wide, black on white."""
    p = _Printer(font or Font16())
    for kind, chunk in _tokens(data):
        if kind == "cmd":
            p.command(chunk)
        elif kind == "lf":
            p.newline()
        else:
            p.text(chunk.decode("gb18030", errors="replace"))
    images = []
    for rows in p.finish():
        h = sum(r.height for r in rows)
        img = Image.new("L", (PAPER_DOTS, h + 2 * MARGIN), PAPER)
        y = MARGIN
        for r in rows:
            img.paste(r, (0, y))
            y += r.height
        images.append(img)
    return images


def render_receipt(data: bytes, font: Font16 | None = None) -> Image.Image:
    """Every receipt in data, stacked top to bottom with a grey tear mark between them."""
    parts = render_receipts(data, font)
    if not parts:
        return Image.new("L", (PAPER_DOTS, 2 * MARGIN), PAPER)
    h = sum(p.height for p in parts) + TEAR_H * (len(parts) - 1)
    out = Image.new("L", (PAPER_DOTS, h), 200)
    y = 0
    for i, p in enumerate(parts):
        if i:
            d = ImageDraw.Draw(out)
            mid = y - TEAR_H // 2
            for x in range(0, PAPER_DOTS, 12):  # dashed cut line
                d.line((x, mid, x + 6, mid), fill=120)
        out.paste(p, (0, y))
        y += p.height + TEAR_H
    return out


# --------------------------------------------------------------------------- the screen


def render_screen(bitmap: bytes, scale: int = SCREEN_SCALE) -> Image.Image:
    """The 128x64 display (MONO_VLSB: byte (y // 8) * 128 + x, bit y % 8), each pixel a
    scale x scale square, light on dark as an OLED, inside a thin grey border."""
    if len(bitmap) != SCREEN_W * SCREEN_H // 8:
        raise ValueError(f"a 128x64 frame is 1024 bytes, not {len(bitmap)}")
    panel = Image.new("1", (SCREEN_W, SCREEN_H), 0)
    px = panel.load()
    assert px is not None
    for y in range(SCREEN_H):
        for x in range(SCREEN_W):
            if bitmap[(y >> 3) * SCREEN_W + x] >> (y & 7) & 1:
                px[x, y] = 1
    big = panel.resize((SCREEN_W * scale, SCREEN_H * scale), Image.Resampling.NEAREST)
    pad = 2 * scale  # dark glass around the active area, as on the module
    out = Image.new("RGB", (big.width + 2 * pad + 2, big.height + 2 * pad + 2), SCREEN_BORDER)
    glass = Image.new("RGB", (big.width + 2 * pad, big.height + 2 * pad), SCREEN_OFF)
    glass.paste(Image.new("RGB", big.size, SCREEN_ON), (pad, pad), big.convert("L"))
    out.paste(glass, (1, 1))
    return out


def read_frame(path: Path) -> bytes:
    """A 1024-byte frame from a file: raw bytes, hex text, or a control-interface
    `screen` answer (JSON with "bitmap")."""
    raw = path.read_bytes()
    if len(raw) == SCREEN_W * SCREEN_H // 8:
        return raw
    text = raw.decode("ascii", errors="strict").strip()
    if text.startswith("{"):
        text = json.loads(text)["bitmap"]
    return bytes.fromhex(text)


# --------------------------------------------------------------------------- CLI


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m host_tools.render_png", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="what", required=True)
    r = sub.add_parser("receipt", help="ESC/POS bytes (e.g. .sim/terminal/printer.bin)")
    r.add_argument("file", type=Path)
    r.add_argument("-o", "--out", type=Path,
                   help="the PNG to write (its folder is made); default: beside FILE, "
                        "e.g. .sim/terminal/printer.png")
    r.add_argument("--split", action="store_true",
                   help="one PNG per receipt, in printer order: OUT-1.png, OUT-2.png, ...")
    r.add_argument("--last", action="store_true", help="only the last receipt")
    s = sub.add_parser("screen", help="a 1024-byte 128x64 frame")
    s.add_argument("file", type=Path, nargs="?", help="raw, hex or JSON `screen` answer")
    s.add_argument("--hex", help="the frame as 2048 hex digits")
    s.add_argument("-o", "--out", type=Path, default=Path("screen.png"))
    args = ap.parse_args(argv)

    if args.what == "receipt":
        data = args.file.read_bytes()
        if args.out is None:
            args.out = args.file.with_suffix(".png")
        args.out.parent.mkdir(parents=True, exist_ok=True)
        if args.split or args.last:
            parts = render_receipts(data)
            if args.last:
                if not parts:
                    print("no receipt", file=sys.stderr)
                    return 1
                parts[-1].save(args.out)
                print(args.out)
                return 0
            for i, img in enumerate(parts, 1):
                out = args.out.with_name(f"{args.out.stem}-{i}{args.out.suffix}")
                img.save(out)
                print(out)
            return 0
        render_receipt(data).save(args.out)
        print(args.out)
        return 0
    if args.hex:
        frame = bytes.fromhex(args.hex)
    elif args.file:
        frame = read_frame(args.file)
    else:
        ap.error("screen: give a file or --hex")
    render_screen(frame).save(args.out)
    print(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
