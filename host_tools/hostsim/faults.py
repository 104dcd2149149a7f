"""Fault kinds: how an answer is spoiled on its way back to the terminal.

The ledger is always applied first (the issuer did the work); a fault changes only what
the terminal receives. Two stages:

- ``mutate_reply`` changes the message before it is encoded and MAC'd (wrong STAN/TID/MTI,
  processing requirement 3), so the MAC of such a reply is still good;
- ``plan`` turns the encoded frame into what is written to the socket (bad MAC, delay, no
  answer, close, close mid-frame, close after the frame, garbage, oversize LEN, duplicate).
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass

from .acquirer import Reply

KINDS: dict[str, str] = {
    "delay": "answer after --delay / the fault's delay seconds (default 65: past the timeout)",
    "no_answer": "never answer; keep the connection open",
    "close": "close the connection instead of answering",
    "close_mid": "send the LEN and half of the frame, then close",
    "close_after": "send the whole answer, then close the connection at once",
    "bad_mac": "F64 wrong (0810: F62 check values wrong; no effect where there is no MAC)",
    "wrong_stan": "F11 of the answer is the request's + 1 (MAC still good)",
    "wrong_tid": "F41 of the answer is another terminal's (MAC still good)",
    "wrong_mti": "the answer carries the request's MTI instead of MTI + 10",
    "garbage": "instead of the answer, a frame of 40 random bytes (LEN correct, no TPDU)",
    "oversize_len": "the answer with LEN = 4096 (> 2048) in front",
    "duplicate": "send the answer twice",
    "proc3": "answer with header processing requirement 3 (sign in again)",
}

DEFAULT_DELAY = 65.0


def normalise(kind: str) -> str:
    k = kind.strip().lower().replace("-", "_")
    if k not in KINDS:
        raise ValueError(f"unknown fault {kind!r}; one of: {', '.join(KINDS)}")
    return k


def mutate_reply(kind: str, request_mti: str, reply: Reply) -> None:
    f = reply.fields
    if kind == "wrong_stan" and isinstance(f.get(11), str):
        f[11] = f"{(int(str(f[11])) + 1) % 1_000_000:06d}"
    elif kind == "wrong_tid":
        f[41] = "TERM9999" if f.get(41) != "TERM9999" else "TERM9998"
    elif kind == "wrong_mti":
        reply.mti = request_mti
    elif kind == "proc3":
        reply.processing = 3
    elif kind == "bad_mac" and reply.mac_key is None and isinstance(f.get(62), bytes):
        f62 = bytearray(f[62])  # type: ignore[arg-type]
        f62[16] ^= 0xFF  # PIK check value
        f62[36] ^= 0xFF  # MAK check value
        f[62] = bytes(f62)


def spoil_mac(body: bytes) -> bytes:
    """Replace the 8 MAC characters at the end of a MAC'd body by other hex characters."""
    bad = b"00000000" if body[-8:] != b"00000000" else b"FFFFFFFF"
    return body[:-8] + bad


@dataclass(frozen=True)
class Step:
    """One thing to do on the socket: sleep, write bytes, hang (stop answering), close."""

    op: str  # "sleep" | "send" | "close" | "hang"
    data: bytes = b""
    seconds: float = 0.0


def plan(kind: str | None, frame: bytes, delay: float) -> list[Step]:
    """What to write for an encoded frame (with its LEN) under fault ``kind``."""
    if kind == "delay":
        return [Step("sleep", seconds=delay), Step("send", frame)]
    if kind == "no_answer":
        return [Step("hang")]
    if kind == "close":
        return [Step("close")]
    if kind == "close_mid":
        return [Step("send", frame[: 2 + (len(frame) - 2) // 2]), Step("close")]
    if kind == "close_after":
        return [Step("send", frame), Step("close")]
    if kind == "garbage":
        junk = bytearray(os.urandom(40))
        junk[0] = 0xEE  # never a TPDU id
        return [Step("send", struct.pack(">H", len(junk)) + bytes(junk))]
    if kind == "oversize_len":
        return [Step("send", struct.pack(">H", 4096) + frame[2:])]
    if kind == "duplicate":
        return [Step("send", frame), Step("send", frame)]
    return [Step("send", frame)]
