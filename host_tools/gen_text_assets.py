"""Build the firmware's text assets from the characters its sources use.

Scans the string constants of firmware/**/*.py (not comments, not docstrings), adds
printable ASCII, and writes firmware/ui/font16.bin (GNU Unifont glyphs, 16 px high) and
firmware/ui/gb18030.bin (code point -> GB18030 bytes for the printer). The operator's words
live in host_tools/strings_table.py (scanned too) and become firmware/ui/strings.bin, which
the firmware reads one string at a time. The formats are in docs/text-assets.md. `--check`
compares the committed files with what the sources need and exits non-zero, naming the
characters, when they differ.

    python -m host_tools.gen_text_assets            # regenerate (needs `apt-get install unifont`)
    python -m host_tools.gen_text_assets --check    # committed assets up to date?
"""

import argparse
import ast
import struct
import sys
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIRMWARE = ROOT / "firmware"
FONT_PATH = FIRMWARE / "ui" / "font16.bin"
GB_PATH = FIRMWARE / "ui" / "gb18030.bin"
STRINGS_PATH = FIRMWARE / "ui" / "strings.bin"
STRINGS_TABLE = ROOT / "host_tools" / "strings_table.py"  # the source of strings.bin
UNIFONT = Path("/usr/share/unifont/unifont.hex")

ASCII = range(0x20, 0x7F)
HEIGHT = 16

# font16.bin: header, N code points (u16), N+1 glyph offsets (u16, 16-byte units), bitmaps.
FONT_MAGIC = b"F16\x01"
FONT_HEADER = struct.Struct("<4sHBB")  # magic, N, height, reserved (0)
# gb18030.bin: header, N code points (u16), N codes (4 bytes each, a 2-byte code 0-padded).
GB_MAGIC = b"GBT\x01"
GB_HEADER = struct.Struct("<4sHH")  # magic, N, reserved (0)
# strings.bin: header, N key hashes (u32, ascending), N entries of 3 x (u16 offset, u16
# length) for the key, the Chinese and the English text, then the UTF-8 data.
STR_MAGIC = b"STR\x01"
STR_HEADER = struct.Struct("<4sHH")  # magic, N, longest string in bytes
STR_ENTRY = struct.Struct("<HHHHHH")


class AssetError(Exception):
    pass


# --- what the firmware needs ------------------------------------------------------------


def _docstring_nodes(tree: ast.AST) -> set[int]:
    """ids of string constants that are bare expression statements (docstrings and the
    like): never displayed or printed, so they need no glyphs."""
    out = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Expr)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        ):
            out.add(id(node.value))
    return out


def scan_file(path: Path) -> dict[int, list[str]]:
    """Non-ASCII code points in the string constants of one source file -> where used."""
    src = path.read_text(encoding="utf-8")
    tree = ast.parse(src, str(path))
    skip = _docstring_nodes(tree)
    try:
        name = str(path.relative_to(ROOT))
    except ValueError:
        name = str(path)
    found: dict[int, list[str]] = {}
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
            continue
        if id(node) in skip:
            continue
        for ch in node.value:
            cp = ord(ch)
            if cp < 0x80 or unicodedata.category(ch) == "Cc":
                continue
            found.setdefault(cp, []).append(f"{name}:{node.lineno}")
    return found


def scan_sources(firmware: Path = FIRMWARE, table: Path | None = None) -> dict[int, list[str]]:
    """Every non-ASCII code point the firmware's string constants (and those of the
    strings table, what strings.bin holds, if given) use -> where used."""
    found: dict[int, list[str]] = {}
    for path in [*sorted(firmware.rglob("*.py")), *([table] if table else [])]:
        for cp, where in scan_file(path).items():
            found.setdefault(cp, []).extend(where)
    for cp, where in found.items():
        if cp > 0xFFFF:
            raise AssetError(
                f"U+{cp:04X} {chr(cp)!r} ({where[0]}) is outside the Basic Multilingual "
                "Plane; the assets hold 16-bit code points only"
            )
    return found


def required_codepoints(firmware: Path = FIRMWARE, table: Path | None = STRINGS_TABLE
                        ) -> list[int]:
    """Sorted code points the assets must hold: printable ASCII + what the sources and the
    strings table use."""
    return sorted(set(ASCII) | set(scan_sources(firmware, table)))


# --- strings.bin -------------------------------------------------------------------------


def key_hash(key: str) -> int:
    """The firmware's app.strings._hash: djb2 (xor) kept to 20 bits, so that on the ESP32
    (31-bit small ints) no step allocates."""
    h = 5381
    for ch in key:
        h = ((h * 33) ^ ord(ch)) & 0xFFFFF
    return h


def load_table(path: Path = STRINGS_TABLE) -> dict[str, tuple[str, str]]:
    """key -> (Chinese, English) for every string the firmware looks up with t()."""
    ns: dict = {}
    exec(compile(path.read_text(encoding="utf-8"), str(path), "exec"), ns)
    out = {k: tuple(v) for k, v in ns["S"].items()}
    out.update({"rc_" + k: tuple(v) for k, v in ns["RC"].items()})
    out.update({"r_" + k: (v, v) for k, v in ns["R"].items()})
    for k, v in out.items():
        if len(v) != 2 or not all(isinstance(x, str) for x in v):
            raise AssetError(f"strings table: {k!r} must be a (Chinese, English) pair")
    return out


def build_strings(table: dict[str, tuple[str, str]]) -> bytes:
    """strings.bin from key -> (zh, en); fails on a hash collision between two keys."""
    by_hash: dict[int, str] = {}
    for k in table:
        other = by_hash.setdefault(key_hash(k), k)
        if other != k:
            raise AssetError(f"strings: keys {other!r} and {k!r} have the same hash; rename one")
    data = bytearray()
    where: dict[bytes, tuple[int, int]] = {}  # identical texts are stored once

    def put(text: str) -> tuple[int, int]:
        b = text.encode("utf-8")
        if b not in where:
            where[b] = (len(data), len(b))
            data.extend(b)
        return where[b]

    hashes, entries, longest = bytearray(), bytearray(), 0
    for h in sorted(by_hash):
        k = by_hash[h]
        parts = [put(k), put(table[k][0]), put(table[k][1])]
        longest = max(longest, *(n for _, n in parts))
        hashes += struct.pack("<I", h)
        entries += STR_ENTRY.pack(*(x for p in parts for x in p))
    if len(data) > 0xFFFF:
        raise AssetError("strings.bin: over 64 KB of text")
    return STR_HEADER.pack(STR_MAGIC, len(by_hash), longest) + hashes + entries + data


def read_strings(data: bytes) -> dict[str, tuple[str, str]]:
    """strings.bin back to key -> (zh, en), checking its hashes and order."""
    magic, n, longest = STR_HEADER.unpack_from(data, 0)
    if magic != STR_MAGIC:
        raise AssetError(f"strings.bin: bad magic {magic!r}")
    pos = STR_HEADER.size
    hashes = struct.unpack_from(f"<{n}I", data, pos)
    pos += 4 * n
    base = pos + STR_ENTRY.size * n
    out = {}
    for i in range(n):
        e = STR_ENTRY.unpack_from(data, pos + STR_ENTRY.size * i)
        k, zh, en = (data[base + e[j] : base + e[j] + e[j + 1]].decode() for j in (0, 2, 4))
        if key_hash(k) != hashes[i] or max(e[1], e[3], e[5]) > longest:
            raise AssetError(f"strings.bin: entry {i} ({k!r}) inconsistent")
        out[k] = (zh, en)
    if list(hashes) != sorted(hashes):
        raise AssetError("strings.bin: hashes not in ascending order")
    return out


# --- glyphs ------------------------------------------------------------------------------


def load_unifont(path: Path = UNIFONT, wanted: set[int] | None = None) -> dict[int, str]:
    """code point -> hex bitmap string (32 hex digits: 8x16, 64: 16x16)."""
    glyphs = {}
    with open(path, encoding="ascii") as f:
        for line in f:
            cp_hex, _, bits = line.strip().partition(":")
            if not bits:
                continue
            cp = int(cp_hex, 16)
            if wanted is None or cp in wanted:
                glyphs[cp] = bits
    return glyphs


def hex_to_vlsb(bits: str) -> tuple[int, bytes]:
    """Unifont row-major hex -> (width, MONO_VLSB bitmap with stride = width).

    Bytes [0:w] hold rows 0-7 of columns 0..w-1 (bit k = row k), bytes [w:2w] rows 8-15:
    exactly framebuf.MONO_VLSB for a w x 16 FrameBuffer, so the firmware blits it as read.
    """
    if len(bits) == 32:
        width = 8
    elif len(bits) == 64:
        width = 16
    else:
        raise AssetError(f"unexpected unifont glyph length {len(bits)}")
    row_bytes = width // 8
    raw = bytes.fromhex(bits)
    rows = [int.from_bytes(raw[r * row_bytes : (r + 1) * row_bytes], "big") for r in range(16)]
    out = bytearray(2 * width)
    for band in range(2):
        for col in range(width):
            mask = 1 << (width - 1 - col)
            b = 0
            for k in range(8):
                if rows[band * 8 + k] & mask:
                    b |= 1 << k
            out[band * width + col] = b
    return width, bytes(out)


def build_font(cps: list[int], glyphs: dict[int, str]) -> bytes:
    missing = [cp for cp in cps if cp not in glyphs]
    if missing:
        raise AssetError(
            "no glyph in unifont for: "
            + ", ".join(f"U+{cp:04X} {chr(cp)!r}" for cp in missing)
        )
    table = bytearray()
    offsets = bytearray()
    bitmaps = bytearray()
    for cp in cps:
        _, bm = hex_to_vlsb(glyphs[cp])
        table += struct.pack("<H", cp)
        offsets += struct.pack("<H", len(bitmaps) // 16)
        bitmaps += bm
    if len(bitmaps) // 16 > 0xFFFF:
        raise AssetError("font too large for 16-bit offsets")
    offsets += struct.pack("<H", len(bitmaps) // 16)
    return FONT_HEADER.pack(FONT_MAGIC, len(cps), HEIGHT, 0) + table + offsets + bitmaps


# --- GB18030 -----------------------------------------------------------------------------


def build_gb(cps: list[int], warn=print) -> bytes:
    wide = [cp for cp in cps if cp >= 0x80]
    table = bytearray()
    codes = bytearray()
    for cp in wide:
        ch = chr(cp)
        code = ch.encode("gb18030")
        if len(code) == 4:
            warn(f"warning: U+{cp:04X} {ch!r} needs a 4-byte GB18030 code; most printers only know "
                 "the 2-byte set")
        else:
            try:
                ch.encode("gb2312")
            except UnicodeEncodeError:
                warn(f"warning: U+{cp:04X} {ch!r} is outside GB2312; a GB2312-only printer prints "
                     "something else")
        table += struct.pack("<H", cp)
        codes += code.ljust(4, b"\0")
    return GB_HEADER.pack(GB_MAGIC, len(wide), 0) + table + codes


# --- reading committed assets (no unifont needed) ----------------------------------------


def read_font(data: bytes) -> dict:
    magic, n, height, _ = FONT_HEADER.unpack_from(data, 0)
    if magic != FONT_MAGIC:
        raise AssetError(f"font16.bin: bad magic {magic!r}")
    pos = FONT_HEADER.size
    cps = list(struct.unpack_from(f"<{n}H", data, pos))
    pos += 2 * n
    offs = list(struct.unpack_from(f"<{n + 1}H", data, pos))
    base = pos + 2 * (n + 1)
    glyphs = {}
    for i, cp in enumerate(cps):
        start, end = base + 16 * offs[i], base + 16 * offs[i + 1]
        glyphs[cp] = (8 * (offs[i + 1] - offs[i]), data[start:end])
    if base + 16 * offs[n] != len(data):
        raise AssetError(f"font16.bin: length {len(data)}, expected {base + 16 * offs[n]}")
    return {"height": height, "cps": cps, "glyphs": glyphs}


def read_gb(data: bytes) -> dict[int, bytes]:
    magic, n, _ = GB_HEADER.unpack_from(data, 0)
    if magic != GB_MAGIC:
        raise AssetError(f"gb18030.bin: bad magic {magic!r}")
    pos = GB_HEADER.size
    cps = struct.unpack_from(f"<{n}H", data, pos)
    pos += 2 * n
    out = {}
    for i, cp in enumerate(cps):
        code = data[pos + 4 * i : pos + 4 * i + 4]
        out[cp] = code[:2] if code[2] == 0 else code
    if pos + 4 * n != len(data):
        raise AssetError(f"gb18030.bin: length {len(data)}, expected {pos + 4 * n}")
    return out


def _names(cps) -> str:
    return " ".join(chr(cp) if cp > 0x20 else f"U+{cp:04X}" for cp in sorted(cps))


def check_committed(
    firmware: Path = FIRMWARE, font_path: Path = FONT_PATH, gb_path: Path = GB_PATH,
    strings_path: Path = STRINGS_PATH, table: Path = STRINGS_TABLE,
) -> list[str]:
    """Problems with the committed assets against what the sources need (no unifont used).

    Empty list = the font holds exactly ASCII + the sources' characters, and the GB table
    exactly the non-ASCII ones, with codes Python's gb18030 codec agrees with.
    """
    need = set(required_codepoints(firmware, table))
    where = scan_sources(firmware, table)
    problems = []
    try:
        font = read_font(font_path.read_bytes())
        gb = read_gb(gb_path.read_bytes())
    except (OSError, AssetError, struct.error) as e:
        return [f"cannot read committed assets: {e}"]
    have = set(font["cps"])
    if font["cps"] != sorted(have):
        problems.append("font16.bin: code point table not sorted/unique")
    missing = need - have
    if missing:
        first = ", ".join(where.get(cp, ["ASCII"])[0] for cp in sorted(missing))
        problems.append(f"font16.bin lacks: {_names(missing)} (first use {first})")
    unused = have - need
    if unused:
        problems.append(f"font16.bin ships unused glyphs: {_names(unused)}")
    need_gb = {cp for cp in need if cp >= 0x80}
    if set(gb) != need_gb:
        if need_gb - set(gb):
            problems.append(f"gb18030.bin lacks: {_names(need_gb - set(gb))}")
        if set(gb) - need_gb:
            problems.append(f"gb18030.bin ships unused: {_names(set(gb) - need_gb)}")
    for cp, code in gb.items():
        if chr(cp).encode("gb18030") != code:
            want = chr(cp).encode("gb18030").hex()
            problems.append(f"gb18030.bin: U+{cp:04X} -> {code.hex()}, codec says {want}")
    try:  # strings.bin needs no unifont: compared byte for byte with a fresh build
        if strings_path.read_bytes() != build_strings(load_table(table)):
            problems.append(f"{strings_path.name} differs from {table.name}")
    except (OSError, AssetError) as e:
        problems.append(f"cannot check strings.bin: {e}")
    return problems


# --- main --------------------------------------------------------------------------------


def generate(firmware: Path = FIRMWARE, unifont: Path = UNIFONT, warn=print) -> dict:
    """Build both assets from the sources and unifont; returns {"font": bytes, "gb": bytes}."""
    cps = required_codepoints(firmware)
    if not unifont.exists():
        raise AssetError(f"{unifont} not found: apt-get install unifont")
    glyphs = load_unifont(unifont, set(cps))
    return {"font": build_font(cps, glyphs), "gb": build_gb(cps, warn=warn), "cps": cps,
            "strings": build_strings(load_table())}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true",
                    help="exit non-zero if the committed assets differ from what the sources need")
    ap.add_argument("--unifont", type=Path, default=UNIFONT)
    args = ap.parse_args(argv)
    try:
        if args.check:
            problems = check_committed()
            if UNIFONT.exists() or args.unifont != UNIFONT:
                # With unifont at hand, also compare byte for byte.
                out = generate(unifont=args.unifont, warn=lambda *_: None)
                for key, path in (("font", FONT_PATH), ("gb", GB_PATH),
                                  ("strings", STRINGS_PATH)):
                    old = path.read_bytes() if path.exists() else b""
                    if out[key] != old and not problems:
                        problems.append(f"{path.relative_to(ROOT)} differs from a fresh build")
            for p in problems:
                print(p)
            if problems:
                print("run `make assets` to regenerate")
                return 1
            print("text assets up to date")
            return 0
        out = generate(unifont=args.unifont)
    except AssetError as e:
        print("error:", e, file=sys.stderr)
        return 2
    FONT_PATH.write_bytes(out["font"])
    GB_PATH.write_bytes(out["gb"])
    STRINGS_PATH.write_bytes(out["strings"])
    wide = sum(1 for cp in out["cps"] if cp >= 0x80)
    print(f"font16.bin: {len(out['cps'])} glyphs ({wide} non-ASCII), {len(out['font'])} bytes; "
          f"gb18030.bin: {len(out['gb'])} bytes; strings.bin: {len(out['strings'])} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
