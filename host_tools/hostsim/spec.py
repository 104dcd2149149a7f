"""wire-format.md §1–§2 for CPython: a pyiso8583 spec plus LEN + TPDU + header framing.

The field table is data (``FIELDS``); ``SPEC`` is the pyiso8583 spec built from it.
``pack``/``unpack`` wrap pyiso8583 with the value conventions the firmware codec uses
(docs/architecture.md): ``n``/``z``/``an``/``ans`` values are ``str`` (``z`` may hold ``D``),
``b`` values (52, 62, 64) are ``bytes``; F64 is the 8 ASCII hex characters of the MAC.

Encoding rules (§2): packed BCD, odd digit counts padded with a ``0`` nibble on the
right; LLVAR = 1 BCD byte, LLLVAR = 2 BCD bytes; the length counts digits for ``n``/``z``
and bytes for ``an``/``ans``/``b``; MTI = 2 BCD bytes; primary bitmap only (bit 1 never
set). Anything outside the table is a ``SpecError``.
"""

from __future__ import annotations

import binascii
import struct
from dataclasses import dataclass
from typing import Any, Literal

import iso8583

Fmt = Literal["n", "z", "an", "ans", "b"]

MAX_FRAME = 2048  # largest LEN accepted (§1); 0 is invalid too
TPDU_ID = 0x60
HEADER_APP = 0x60
HEADER_VERSION = 0x31


@dataclass(frozen=True)
class FieldDef:
    fmt: Fmt
    max_len: int  # digits for n/z, bytes for an/ans/b
    var: int  # 0 fixed, 1 LLVAR (1 BCD byte), 2 LLLVAR (2 BCD bytes)
    desc: str


# wire-format.md §2, as data.
FIELDS: dict[int, FieldDef] = {
    2: FieldDef("n", 19, 1, "primary account number"),
    3: FieldDef("n", 6, 0, "processing code"),
    4: FieldDef("n", 12, 0, "amount (fen)"),
    11: FieldDef("n", 6, 0, "STAN / voucher no."),
    12: FieldDef("n", 6, 0, "local time hhmmss"),
    13: FieldDef("n", 4, 0, "local date MMDD"),
    14: FieldDef("n", 4, 0, "card expiry YYMM"),
    15: FieldDef("n", 4, 0, "settlement date MMDD"),
    22: FieldDef("n", 3, 0, "POS entry mode"),
    25: FieldDef("n", 2, 0, "POS condition code"),
    26: FieldDef("n", 2, 0, "PIN capture code"),
    32: FieldDef("n", 11, 1, "acquiring institution id"),
    35: FieldDef("z", 37, 1, "track 2"),
    37: FieldDef("an", 12, 0, "retrieval reference number"),
    38: FieldDef("an", 6, 0, "authorization code"),
    39: FieldDef("an", 2, 0, "response code"),
    41: FieldDef("ans", 8, 0, "terminal id"),
    42: FieldDef("ans", 15, 0, "merchant id"),
    44: FieldDef("an", 25, 1, "additional response data"),
    48: FieldDef("n", 322, 2, "additional data (settlement totals)"),
    49: FieldDef("an", 3, 0, "currency code"),
    52: FieldDef("b", 8, 0, "PIN block"),
    53: FieldDef("n", 16, 0, "security control"),
    60: FieldDef("n", 17, 2, "reserved private: type, batch, network code, ..."),
    61: FieldDef("n", 29, 2, "original transaction: batch, voucher, date"),
    62: FieldDef("b", 512, 2, "working keys"),
    63: FieldDef("ans", 163, 2, "operator no. / card organisation"),
    64: FieldDef("b", 8, 0, "MAC"),
}


def _pyiso_field(fd: FieldDef) -> dict[str, Any]:
    numeric = fd.fmt in ("n", "z")
    spec: dict[str, Any] = {
        "data_enc": "b" if numeric or fd.fmt == "b" else "ascii",
        "len_enc": "bcd",
        "len_type": fd.var,
        "max_len": fd.max_len,
        "desc": fd.desc,
    }
    if numeric:
        spec["len_count"] = "nibbles"
        spec["right_pad"] = "0"
    return spec


SPEC: dict[str, dict[str, Any]] = {
    "h": {"data_enc": "b", "len_enc": "b", "len_type": 0, "max_len": 0, "desc": "none"},
    "t": {"data_enc": "b", "len_enc": "b", "len_type": 0, "max_len": 2, "desc": "MTI"},
    "p": {"data_enc": "b", "len_enc": "b", "len_type": 0, "max_len": 8, "desc": "bitmap"},
    # Present only so pyiso8583 never looks up a missing key; unpack() rejects bit 1.
    "1": {"data_enc": "b", "len_enc": "b", "len_type": 0, "max_len": 8, "desc": "unused"},
}
SPEC.update({str(no): _pyiso_field(fd) for no, fd in FIELDS.items()})

_DIGITS = frozenset("0123456789")
_TRACK2 = _DIGITS | {"D"}

Value = str | bytes


class SpecError(ValueError):
    """Any message or frame that does not follow wire-format.md."""

    def __init__(
        self,
        msg: str,
        field: int | str | None = None,
        offset: int | None = None,
        partial: dict[int, Value] | None = None,
    ):
        super().__init__(msg if field is None else f"{msg} (field {field})")
        self.field = field
        self.offset = offset
        self.partial: dict[int, Value] = partial or {}  # fields decoded before the error


def _check_value(no: int, fd: FieldDef, value: str) -> None:
    allowed = _TRACK2 if fd.fmt == "z" else _DIGITS
    if fd.fmt in ("n", "z") and not set(value) <= allowed:
        raise SpecError(f"non-{fd.fmt} data {value!r}", no)


def pack(mti: str, fields: dict[int, Value]) -> bytes:
    """MTI + bitmap + fields (no LEN/TPDU/header)."""
    if len(mti) != 4 or not set(mti) <= _DIGITS:
        raise SpecError(f"bad MTI {mti!r}", "MTI")
    doc: dict[str, str] = {"t": mti}
    for no, value in fields.items():
        fd = FIELDS.get(no)
        if fd is None:
            raise SpecError("field not in wire-format.md", no)
        if fd.fmt == "b":
            if not isinstance(value, bytes | bytearray):
                raise SpecError("binary field needs bytes", no)
            doc[str(no)] = bytes(value).hex().upper()
        else:
            if not isinstance(value, str):
                raise SpecError("field needs str", no)
            _check_value(no, fd, value)
            doc[str(no)] = value
    try:
        raw, _ = iso8583.encode(doc, SPEC)
    except iso8583.EncodeError as e:
        raise SpecError(e.msg, e.field) from None
    return bytes(raw)


def unpack(body: bytes) -> tuple[str, dict[int, Value]]:
    """Inverse of ``pack``; raises ``SpecError`` on anything outside the contract."""
    if len(body) < 10:
        raise SpecError("message shorter than MTI + bitmap", "MTI", 0)
    mti = body[:2].hex()
    if not set(mti) <= _DIGITS:
        raise SpecError(f"MTI not BCD: {mti}", "MTI", 0)
    bitmap = int.from_bytes(body[2:10], "big")
    if bitmap & (1 << 63):
        raise SpecError("secondary bitmap not allowed", "bitmap", 2)
    for no in range(2, 65):
        if bitmap & (1 << (64 - no)) and no not in FIELDS:
            raise SpecError("field not in wire-format.md", no, 2)
    try:
        doc, enc = iso8583.decode(bytes(body), SPEC)
    except iso8583.DecodeError as e:
        good = {k: v for k, v in e.doc_dec.items() if k != e.field}
        raise SpecError(e.msg, _field_no(e.field), e.pos, _convert(good)[0]) from None
    except (ValueError, UnicodeDecodeError) as e:  # pragma: no cover - defensive
        raise SpecError(str(e)) from None
    out, bad = _convert(doc)
    if bad is not None:
        raise SpecError(f"non-{FIELDS[bad].fmt} data", bad, None, out)
    used = sum(len(v["len"]) + len(v["data"]) for v in enc.values())
    if used != len(body):
        raise SpecError(f"{len(body) - used} extra bytes after the last field", None, used, out)
    return mti, out


def _field_no(key: str) -> int | str:
    return int(key) if key.isdigit() else key


def _convert(doc: dict[str, str]) -> tuple[dict[int, Value], int | None]:
    """pyiso8583's strings to our values; also the first field whose digits are invalid."""
    out: dict[int, Value] = {}
    bad: int | None = None
    for key, value in doc.items():
        if not key.isdigit():
            continue
        no = int(key)
        fd = FIELDS[no]
        if fd.fmt == "b":
            out[no] = binascii.unhexlify(value)
        elif fd.fmt in ("n", "z") and not set(value) <= (_TRACK2 if fd.fmt == "z" else _DIGITS):
            bad = no if bad is None else bad
        else:
            out[no] = value
    return dict(sorted(out.items())), bad


def mac_block(body: bytes) -> bytes:
    """The MAB (§4): every byte from the MTI up to, not including, field 64."""
    bitmap = int.from_bytes(body[2:10], "big")
    return body[:-8] if bitmap & 1 else body


# ---------------------------------------------------------------- framing (§1)


@dataclass(frozen=True)
class Tpdu:
    dest: bytes = b"\x00\x03"
    src: bytes = b"\x00\x00"
    ident: int = TPDU_ID

    def to_bytes(self) -> bytes:
        return bytes([self.ident]) + self.dest + self.src

    def swapped(self) -> Tpdu:
        return Tpdu(dest=self.src, src=self.dest, ident=self.ident)

    @classmethod
    def from_bytes(cls, raw: bytes) -> Tpdu:
        return cls(dest=bytes(raw[1:3]), src=bytes(raw[3:5]), ident=raw[0])


@dataclass(frozen=True)
class Header:
    status: int = 0  # high nibble: 0 normal, 1 test
    processing: int = 0  # low nibble: 3 = sign in again
    software: str = "000000"  # 6 BCD digits
    app: int = HEADER_APP
    version: int = HEADER_VERSION

    def to_bytes(self) -> bytes:
        flags = ((self.status & 0xF) << 4) | (self.processing & 0xF)
        return bytes([self.app, self.version, flags]) + bytes.fromhex(self.software)

    @classmethod
    def from_bytes(cls, raw: bytes) -> Header:
        return cls(
            status=raw[2] >> 4,
            processing=raw[2] & 0xF,
            software=bytes(raw[3:6]).hex().upper(),
            app=raw[0],
            version=raw[1],
        )


PREFIX_LEN = 5 + 6  # TPDU + header


def frame(body: bytes, tpdu: Tpdu | None = None, header: Header | None = None) -> bytes:
    """LEN + TPDU + header + body, ready for the socket."""
    payload = (tpdu or Tpdu()).to_bytes() + (header or Header()).to_bytes() + body
    if len(payload) > MAX_FRAME:
        raise SpecError(f"frame of {len(payload)} bytes exceeds {MAX_FRAME}", "LEN")
    return struct.pack(">H", len(payload)) + payload


def split_frame(payload: bytes) -> tuple[Tpdu, Header, bytes]:
    """Split a LEN-less frame into TPDU, header and body (MTI onwards)."""
    if len(payload) < PREFIX_LEN + 2:
        raise SpecError("frame shorter than TPDU + header + MTI", "LEN", 0)
    if payload[0] != TPDU_ID:
        raise SpecError(f"TPDU id {payload[0]:02X}, expected 60", "TPDU", 0)
    if payload[5] != HEADER_APP or payload[6] != HEADER_VERSION:
        raise SpecError("header is not 60 31", "header", 5)
    software = bytes(payload[8:11]).hex()
    if not set(software) <= _DIGITS:
        raise SpecError("software version not BCD", "header", 8)
    return Tpdu.from_bytes(payload[:5]), Header.from_bytes(payload[5:11]), bytes(payload[11:])


def mti_of(payload: bytes) -> str | None:
    """The MTI of a LEN-less frame if its first bytes can be read as one, else None."""
    if len(payload) < PREFIX_LEN + 2:
        return None
    mti = payload[PREFIX_LEN : PREFIX_LEN + 2].hex()
    return mti if set(mti) <= _DIGITS else None
