"""Power-cut campaign: pull the plug on the terminal after every flash write of a flow,
or at every TLS record of its exchanges with the host.

The simulator board's block device (board/unix/blockdev.py) counts programs and erases
when POS_FLASH_COUNT is set, and with POS_FLASH_CUT_AFTER=N lets N through, tears the
next one (a random prefix of it reaches the image) and SIGKILLs the terminal process.
The flows that cut on the wire (``cut_on="wire"``) run behind a relay
(host_tools/hostsim/relay.py) that counts the TLS records each way and at record N stops
the wire and SIGKILLs the terminal: a cut in the middle of the TLS exchange (the
handshake the request's first write drives, once its reversal is stored; the request;
the answer). Every flow talks TLS to the host, as the terminal does by default; the
count run checks that the wire carried TLS and no request in clear.
For each scripted flow (pre-auth, void, the reversals of both, batch full, batch
rollover, littlefs metadata compaction, the TLS exchanges) this module

1. builds the flow's starting point once (a fresh host and terminal, the flow's set-up)
   and snapshots the host database and the terminal's folder (flash image, config);
2. runs the flow uncut with POS_FLASH_COUNT=1 behind a recording relay to learn its
   number of flash operations (or, cutting on the wire, of TLS records) M;
3. for each cut point N (all of 0..M-1 with ``exhaustive``, else a deterministic sample)
   restores the snapshots, runs the flow with the cut at N, inspects the dead terminal's
   image, boots it again without the cut, reads the host's ledger, drives one more
   transaction (which sends any pending reversal first), and checks the invariants
   (``check_after_cut``, ``check_after_recovery``; docs/reliability-powercut.md).

    python -m host_tools.campaign.powercut [--exhaustive] [--flows preauth,void]
                                           [--json out.json] [--workers 2] [--keep DIR]

``main(exhaustive)`` returns the results dict (flows, cuts tried, survived, violations).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import sys
import tempfile
import threading
import time
import zlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from host_tools import keypad
from host_tools.campaign import agree, atrest
from host_tools.hostsim.ledger import DEFAULT_TID, DEFAULT_TMK, Ledger
from host_tools.hostsim.process import running_hostsim
from host_tools.hostsim.relay import TO_HOST, Relay
from host_tools.runtime import MP_DIR, Runtime, inspect_image, run_json
from host_tools.simctl import ControlError, SimTerminal, TerminalDied

ROOT = Path(__file__).resolve().parents[2]
FILL = MP_DIR / "fill_journal.py"
# Short timeouts: a "no answer" costs one second, not sixty.
CONFIG = {"response_timeout_s": 1, "connect_timeout_s": 2}
CAPACITY = 1500  # Journal.capacity
SYNTHETIC_PAN6 = "999999"  # fill_journal.py's fake cards: never on the host
CUT_RE = re.compile(r"POWER CUT after (\d+) flash operations: (.*)")
OP_RE = re.compile(r"^FLASHOP (\d+) ([PE]) (\d+) (\d+) (\d+)$", re.M)
DONE = keypad.DONE
EXHAUSTIVE_TEARS = 2  # the exhaustive sweep tears each operation twice (two seeded lengths)


# ------------------------------------------------------------------------ the flows


@dataclass
class Ctx:
    """What a flow's set-up and run see: the host database and the terminal. A flow cut at
    a screen (``cut_on="screen"``) calls ``point(what)`` at each of its cut points: the
    count run lists them, a cut run pulls the plug at the Nth (``ScreenCut``)."""

    db: Path
    term: SimTerminal
    point: Callable[[str], None] = lambda _what: None


@dataclass(frozen=True)
class Flow:
    name: str
    what: str
    setup: Callable[[Ctx], None]  # fresh host + terminal (running); the terminal is
    run: Callable[[Ctx], None]  # stopped afterwards; run drives the flow under the cut
    recover: str = "preauth"  # how the next transaction after the cut is made
    cut_on: str = "flash"  # "wire": at each TLS record of the run, not each flash write;
    # "screen": at each Ctx.point of the run (a screen the flow has reached)
    typed: Callable[[int], str] | None = None  # a screen cut: the PIN digits typed at cut n


def _ledger(db: Path, fn: Callable[[Ledger], Any]) -> Any:
    led = Ledger(db)
    try:
        return fn(led)
    finally:
        led.close()


def _no_answer_once(db: Path) -> None:
    _ledger(db, lambda led: led.add_fault("no_answer", mti="0100", count=1))


def _setup_signed_in(c: Ctx) -> None:
    keypad.at_menu(c.term)  # the first boot signs in (voucher 000001)


def _setup_one_preauth(c: Ctx) -> None:
    keypad.approved_preauth(c.term, 12345)  # voucher 000002, batch 000001


def _void(c: Ctx, voucher: str) -> str:
    text = keypad.void_by_voucher(c.term, voucher)
    c.term.press("ENTER")
    if "交易成功" in text:
        keypad.finish_receipts(c.term)
    else:
        keypad.at_menu(c.term)
    return text


def _run_preauth(c: Ctx) -> None:
    keypad.approved_preauth(c.term, 12345)


def _run_void(c: Ctx) -> None:
    text = _void(c, "000002")
    assert "交易成功" in text, text


def _setup_reversal_preauth(c: Ctx) -> None:
    _setup_signed_in(c)
    _no_answer_once(c.db)


def _run_reversal_preauth(c: Ctx) -> None:
    text = keypad.preauth(c.term, 4242)  # approved by the host, never answered: reversal
    assert "交易超时" in text, text
    c.term.press("ENTER")
    keypad.approved_preauth(c.term, 100)  # the reversal goes out first


def _setup_reversal_void(c: Ctx) -> None:
    _setup_one_preauth(c)
    _no_answer_once(c.db)


def _run_reversal_void(c: Ctx) -> None:
    text = keypad.void_by_voucher(c.term, "000002")  # voided by the host, never answered
    assert "交易超时" in text, text
    c.term.press("ENTER")
    keypad.approved_preauth(c.term, 100)  # the void's reversal goes out first


def _setup_batch_full(c: Ctx) -> None:
    _setup_signed_in(c)
    c.term.stop()
    out = run_json(FILL, CAPACITY - 1, runtime=Runtime.sources(), sim_dir=c.term.dir,
                   timeout=300)
    assert out["count"] == CAPACITY - 1, out
    c.term.start()


def _setup_seal(c: Ctx) -> None:
    _setup_signed_in(c)
    c.term.stop()
    out = run_json(FILL, 31, runtime=Runtime.sources(), sim_dir=c.term.dir, timeout=120)
    assert out["count"] == 31, out
    c.term.start()


def _run_seal(c: Ctx) -> None:
    keypad.approved_preauth(c.term, 3100)  # slot 31: its tail file, then chunk 0 is sealed
    keypad.approved_preauth(c.term, 3200)  # slot 32: the first tail file of chunk 1


def _run_batch_full(c: Ctx) -> None:
    t = c.term
    keypad.preauth(t, 12345)  # the 1,500th: approved, recorded, the batch is full
    t.press("ENTER")
    t.wait_for("打印持卡人存根", 15)
    t.press("CANCEL")
    t.wait_for("批次将满")
    t.press("ENTER")
    keypad.at_menu(t)
    t.press("1")  # the next one is refused before anything is sent
    t.wait_for("批次已满")
    t.press("ENTER")
    _settle(c)  # the full batch closes
    keypad.approved_preauth(t, 100)  # and the next batch takes pre-auths


def _setup_pending_reversal(c: Ctx) -> None:
    _setup_reversal_preauth(c)
    text = keypad.preauth(c.term, 4242)  # approved by the host, never answered
    assert "交易超时" in text, text
    c.term.press("ENTER")  # the snapshot: reversal 98 pending on flash


def _run_reversal_first(c: Ctx) -> None:
    keypad.approved_preauth(c.term, 100)  # the reversal's exchange, then the pre-auth's


def _settle(c: Ctx) -> None:
    text = keypad.settle(c.term)
    assert "结算完成" in text, text
    c.term.wait_for(keypad.MENU, 20)  # after the report


def _run_completion(c: Ctx) -> None:
    keypad.approved(c.term, keypad.completion(c.term, "voucher", "000002", 12000))


def _setup_completed(c: Ctx) -> None:
    _setup_one_preauth(c)
    _run_completion(c)  # voucher 000003


def _run_completion_void(c: Ctx) -> None:
    keypad.approved(c.term, keypad.cvoid(c.term, "000003"))


def _setup_reversal_completion(c: Ctx) -> None:
    _setup_one_preauth(c)
    _ledger(c.db, lambda led: led.add_fault("no_answer", mti="0200", count=1))


def _run_reversal_completion(c: Ctx) -> None:
    text = keypad.completion(c.term, "voucher", "000002", 12000)
    assert "交易超时" in text, text  # completed by the host, never answered: reversal
    c.term.press("ENTER")
    keypad.approved_preauth(c.term, 100)  # the reversal goes out first


def _setup_settlement(c: Ctx) -> None:
    _setup_completed(c)  # pre-auth 000002, its completion 000003: one debit
    keypad.approved_preauth(c.term, 20000)  # 000004: stays open into the next batch


def _setup_retention(c: Ctx) -> None:
    _setup_one_preauth(c)  # batch 000001
    _settle(c)
    c.term.set_clock_offset(31 * 86400)  # a month later: batch 1's holds have expired
    keypad.approved_preauth(c.term, 20000)  # batch 000002


def _run_retention(c: Ctx) -> None:
    t = c.term
    text = keypad.settle(t)  # batch 2 closes; batch 1 is dropped from flash
    assert "结算完成" in text, text
    t.press("ENTER")
    s = t.wait_for("已删除旧批次", 15)
    assert "000001" in s.text, s.text
    t.press("ENTER")
    t.wait_for(keypad.MENU, 20)
    keypad.approved_preauth(t, 100)  # batch 000003


def _run_settlement(c: Ctx) -> None:
    _settle(c)  # batch 000001 closes, 000002 opens
    # the open pre-auth of the settled batch, completed from the new one
    keypad.approved(c.term, keypad.completion(c.term, "voucher", "000004", 20000))


def _setup_rollover(c: Ctx) -> None:
    _setup_one_preauth(c)
    _ledger(c.db, lambda led: led.advance_batch(DEFAULT_TID))  # settled elsewhere: batch 2


def _run_rollover(c: Ctx) -> None:
    t = c.term
    keypad.at_menu(t)
    t.press(keypad.KEYS["signin"])  # sign in: the host answers batch 000002, the journal opens it
    t.wait_for("签到成功", 15)
    t.press("ENTER")
    text = _void(c, "000002")  # the pre-auth of the old batch, voided from the new one
    assert "交易成功" in text, text
    keypad.approved_preauth(t, 100)  # the first record of the new batch


def _setup_compaction(c: Ctx) -> None:
    _setup_one_preauth(c)
    # the root directory's metadata log fills up (each transaction commits its small
    # records there: voucher counter, pending reversal, last receipt), so that the run
    # below crosses a compaction of the root pair; tests/reliability checks that it does.
    # How many depends on every small write of a transaction: when the check fails after
    # a change to what a transaction writes, find the count again (0-15 pre-auths here:
    # 3 and 12 cross one, 0, 6 and 9 do not, as measured at readsize 64)
    for amount in (201, 202, 203):
        keypad.approved_preauth(c.term, amount)


def _run_compaction(c: Ctx) -> None:
    for amount in (301, 302):
        keypad.approved_preauth(c.term, amount)
    text = _void(c, "000003")
    assert "交易成功" in text, text


PIN_PAN, PIN = keypad.APPROVE_PAN, keypad.PIN
PIN_AMOUNT = 7700  # fen: no digit run of it looks like the PIN's


def _run_pin_entry(c: Ctx) -> None:
    """A pre-auth with the cardholder's PIN, a cut point at the PIN screen before each
    digit and after the last (each digit's star seen first: the terminal has it), and one
    at the summary after it (the PIN block made, in RAM, nothing sent yet)."""
    t = c.term
    text = keypad.preauth(t, PIN_AMOUNT, PIN_PAN, pin=PIN, point=c.point)
    assert "交易成功" in text, text
    t.press("ENTER")
    keypad.finish_receipts(t)


FLOWS: dict[str, Flow] = {f.name: f for f in (
    Flow("preauth", "approved pre-auth: journal add, reversal cleared, receipt",
         _setup_signed_in, _run_preauth),
    Flow("void", "approved void of a journalled pre-auth: mark_voided, reversal cleared",
         _setup_one_preauth, _run_void),
    Flow("preauth_reversal", "pre-auth unanswered (reversal kept), next pre-auth sends it",
         _setup_reversal_preauth, _run_reversal_preauth),
    Flow("void_reversal", "void unanswered (reversal kept), next pre-auth sends it",
         _setup_reversal_void, _run_reversal_void),
    Flow("completion", "approved completion of a journalled pre-auth: its record, the "
         "pre-auth's state", _setup_one_preauth, _run_completion),
    Flow("completion_void", "approved completion void: its record, the completion's and "
         "the pre-auth's states", _setup_completed, _run_completion_void),
    Flow("completion_reversal", "completion unanswered (reversal kept), next pre-auth "
         "sends it", _setup_reversal_completion, _run_reversal_completion),
    Flow("settlement", "settlement of a batch with a debit and an open pre-auth: "
         "pending, report, batch rollover; that pre-auth completed in the new batch",
         _setup_settlement, _run_settlement),
    Flow("retention", "settlement with a batch past the validity window on flash: the "
         "batch closes, then the old one is dropped (rename, removal); a pre-auth in the "
         "next batch", _setup_retention, _run_retention),
    Flow("batch_full", "the 1,500th pre-auth fills the batch, the next is refused; "
         "settlement closes it and the next batch takes a pre-auth",
         _setup_batch_full, _run_batch_full, recover="settle"),
    Flow("seal", "the 32nd pre-auth of a chunk: its record, then the 4 KB chunk, the "
         "index entries, the tail files removed; then the next chunk's first record",
         _setup_seal, _run_seal),
    Flow("rollover", "sign-in moves to a new batch (open_batch), void across batches",
         _setup_rollover, _run_rollover),
    Flow("compaction", "two pre-auths and a void on a busy root directory: littlefs "
         "compacts its metadata pair (erases of blocks 0/1)", _setup_compaction,
         _run_compaction),
    Flow("tls_preauth", "an approved pre-auth, cut at each TLS record of its exchange: "
         "the handshake its first write drives (the reversal stored), the request, the "
         "answer", _setup_signed_in, _run_preauth, cut_on="wire"),
    Flow("tls_reversal", "a pending reversal sent before a pre-auth, cut at each TLS "
         "record of both exchanges", _setup_pending_reversal, _run_reversal_first,
         cut_on="wire"),
    Flow("pin_entry", "a pre-auth cut at the PIN screen, before each digit of the PIN and "
         "after the last, and at the summary after it: nothing sent, nothing written",
         _setup_signed_in, _run_pin_entry, cut_on="screen",
         typed=lambda n: PIN[:n]),
)}


# ------------------------------------------------------------------ cuts on the wire

CONTENT = {20: "ChangeCipherSpec", 21: "alert", 22: "handshake", 23: "application data"}
HANDSHAKE = {1: "ClientHello", 2: "ServerHello", 4: "NewSessionTicket", 11: "Certificate",
             12: "ServerKeyExchange", 13: "CertificateRequest", 14: "ServerHelloDone",
             16: "ClientKeyExchange", 20: "Finished"}


class WireCut:
    """The relay's record hook (Relay(on_record=...)): counts the TLS records that cross
    the wire, each way, in order, and at record `at` (None: never) stops the wire there
    (that record and all after it are lost) and SIGKILLs the terminal: the power fails
    while it waits for the network. Alerts are relayed and not counted (the order of two
    close_notify, one each way, is not fixed). `records` describes the records let
    through; `plain` lists anything that was no TLS record; `cut` describes the cut."""

    def __init__(self, at: int | None = None) -> None:
        self.at = at
        self.records: list[str] = []
        self.plain: list[str] = []
        self.cut = ""
        self.term: SimTerminal | None = None
        self.dead = threading.Event()
        self._encrypted: set[tuple[int, str]] = set()  # ChangeCipherSpec seen

    def describe(self, direction: str, conn: int, rec: bytes) -> str:
        way = "terminal->host" if direction == TO_HOST else "host->terminal"
        kind = CONTENT.get(rec[0], f"type {rec[0]}")
        if rec[0] == 22:
            if (conn, direction) in self._encrypted:
                kind = "handshake Finished (encrypted)"
            else:
                kind = "handshake " + HANDSHAKE.get(rec[5] if len(rec) > 5 else -1, "?")
        elif rec[0] == 23:
            kind += f" ({len(rec) - 5} bytes)"
        return f"connection {conn} {way}: {kind}"

    def __call__(self, direction: str, conn: int, rec: bytes) -> bool:
        if rec[0] not in CONTENT or rec[1] != 3:
            self.plain.append(f"connection {conn} {direction}: {rec[:8].hex()}")
        if rec[0] == 21:
            return True
        what = self.describe(direction, conn, rec)
        if rec[0] == 20:
            self._encrypted.add((conn, direction))
        if len(self.records) == self.at:
            self.cut = f"TLS record {self.at}, {what}"
            # Said before the kill: the flow's thread sees the terminal die at once and
            # asks whether the cut did it (set after the kill, a loaded machine let it
            # ask first and report a flow that "failed without a cut").
            self.dead.set()
            if self.term is not None and self.term.proc is not None:
                os.kill(self.term.proc.pid, signal.SIGKILL)
            return False
        self.records.append(what)
        return True


# ---------------------------------------------------------------- cuts at a screen


class ScreenCut:
    """A flow's Ctx.point for a cut at a screen: lists the points the flow passes
    (``points``) and at point `at` (None: never) SIGKILLs the terminal, the power cut,
    and stops the flow (TerminalDied). The flow has seen the screen of the point (and its
    last key's effect) before it calls: no timing decides where the cut falls."""

    def __init__(self, at: int | None = None) -> None:
        self.at = at
        self.points: list[str] = []
        self.cut = ""
        self.term: SimTerminal | None = None
        self.dead = threading.Event()

    def __call__(self, what: str) -> None:
        if len(self.points) == self.at:
            self.cut = f"screen point {self.at}: {what}"
            self.dead.set()
            if self.term is not None:
                self.term.kill()
            raise TerminalDied(f"power cut at {what}")
        self.points.append(what)


# ------------------------------------------------------------------- snapshots, runs


def _copy_host_db(src: Path, dst: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        s = Path(str(src) + suffix)
        d = Path(str(dst) + suffix)
        if s.exists():
            shutil.copyfile(s, d)
        elif d.exists():
            d.unlink()


def restore(snap: Path, work: Path) -> None:
    if work.exists():
        shutil.rmtree(work)
    (work / "term").mkdir(parents=True)
    _copy_host_db(snap / "host.db", work / "host.db")
    for f in (snap / "term").iterdir():
        if f.name in ("flash.img", "config.json", "clock_offset"):
            shutil.copyfile(f, work / "term" / f.name)


def _terminal(work: Path, port: int, extra_env: dict[str, str] | None = None) -> SimTerminal:
    """The flow's terminal; extra_env: the board's flash op count or its power cut."""
    return SimTerminal(work / "term", env=extra_env, config={**CONFIG, "port": port})


def prepare(flow: Flow, base: Path) -> Path:
    """Build the flow's starting point; returns the snapshot folder."""
    snap = base / flow.name / "snapshot"
    if snap.exists():
        shutil.rmtree(snap)
    (snap / "term").mkdir(parents=True)
    db = snap / "host.db"
    with running_hostsim(db) as (_, port):
        term = _terminal(snap, port)
        term.start()
        try:
            flow.setup(Ctx(db, term))
            keypad.at_menu(term)
        finally:
            term.stop()
    for junk in ("printer.bin", "terminal.log"):
        (snap / "term" / junk).unlink(missing_ok=True)
    if flow.cut_on == "screen":  # what a cut at a screen must leave as it was
        base_img = inspect_image(snap / "term" / "flash.img", DEFAULT_TMK)
        (snap / "baseline.json").write_text(json.dumps(
            {"image": base_img, "messages": host_view(db)["messages"]}))
    return snap


def host_view(db: Path) -> dict[str, Any]:
    return _ledger(db, lambda led: {
        "holds": led.holds(), "completions": led.completions(), "txns": led.txns(),
        "reversals": led.reversals(), "terminals": led.terminals(),
        "settlements": led.settlements(),
        "messages": led.messages(10**9)})


def settled_host_view(db: Path) -> dict[str, Any]:
    """The host's ledger once it has finished with whatever the dead terminal sent (a
    request that arrived just before the cut is still being answered)."""
    view = host_view(db)
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        time.sleep(0.1)
        again = host_view(db)
        if again == view:
            break
        view = again
    return view


def _log_since_start(term: SimTerminal) -> str:
    text = term.log_text()
    return text[text.rfind("---- start"):]


def count_ops(flow: Flow, snap: Path, work: Path) -> dict[str, Any]:
    """The uncut run with POS_FLASH_COUNT=1 behind a recording relay: its flash
    operations, the TLS records on the wire (checked: TLS only, nothing in clear), and the
    invariants checked on the completed flow (a cut after the last operation). "ops" is
    the number of cut points: flash operations, or TLS records for a flow cut on the
    wire."""
    restore(snap, work)
    wire, points = WireCut(), ScreenCut()
    with running_hostsim(work / "host.db") as (_, port), Relay(port, on_record=wire) as relay:
        term = _terminal(work, relay.port, {"POS_FLASH_COUNT": "1"})
        term.start()
        try:
            flow.run(Ctx(work / "host.db", term, points))
        finally:
            term.stop()
        ops = [(int(i), k, int(b), int(o), int(n))
               for i, k, b, o, n in OP_RE.findall(_log_since_start(term))]
        after = inspect_image(term.dir / "flash.img", DEFAULT_TMK)
        violations = check_after_recovery(after, host_view(work / "host.db"))
        not_tls = wire_problems(wire, relay)
    erased = [b for _, k, b, _, _ in ops if k == "E"]
    on_wire = flow.cut_on == "wire"
    at_screen = flow.cut_on == "screen"
    return {
        "cut_on": flow.cut_on,
        "ops": len(wire.records) if on_wire else len(points.points) if at_screen else len(ops),
        "flash_ops": len(ops), "programs": len(ops) - len(erased), "erases": len(erased),
        "erase_ops": [i for i, k, _, _, _ in ops if k == "E"],
        # the cut points a sample keeps: the erases, or on the wire each exchange's first
        # write (its ClientHello), its request and its answer (the terminal writes no
        # flash in an exchange: the records between differ only on the host's side)
        "focus": ([i for i, r in enumerate(wire.records)
                   if r.endswith("ClientHello") or "application data" in r] if on_wire
                  else [i for i, k, _, _, _ in ops if k == "E"]),
        "root_compactions": sum(1 for b in erased if b in (0, 1)),
        "erased_blocks": erased, "tls_records": len(wire.records), "tls": not not_tls,
        "records": wire.records if on_wire else [],
        "points": points.points,
        "uncut_violations": violations + not_tls,
    }


def wire_problems(wire: WireCut, relay: Relay) -> list[str]:
    """What says the flow did not talk TLS to the host: no TLS record at all, anything
    else on the wire, a connection that did not start with a ClientHello, the terminal's
    ID (F41, in every request) in clear."""
    bad = []
    if not wire.records:
        bad.append("no TLS record crossed the wire")
    if wire.plain:
        bad.append(f"not TLS on the wire: {wire.plain[:3]}")
    firsts: dict[str, str] = {}
    for r in wire.records:
        firsts.setdefault(" ".join(r.split(" ", 2)[:2]), r)  # "connection N"
    for conn, r in firsts.items():
        if not r.endswith("ClientHello"):
            bad.append(f"{conn} does not start with a ClientHello: {r}")
    if DEFAULT_TID.encode() in relay.to_host:
        bad.append("the terminal's ID crossed the wire in clear")
    return bad


def _recover(flow: Flow, term: SimTerminal) -> str:
    """The next transaction after the cut: a settlement first when one is pending (or
    the flow's batch may be full), then a pre-auth (it sends a pending reversal first)."""
    menu = keypad.at_menu(term).text
    if flow.recover == "settle" or "结算未完成" in menu:
        text = keypad.settle(term)
        if "结算完成" not in text:
            return f"settlement after the cut did not complete: {text!r}"
        term.wait_for(keypad.MENU, 20)
    text = keypad.preauth(term, 1)
    if "交易成功" not in text:
        return f"pre-auth after the cut not approved: {text!r}"
    term.press("ENTER")
    keypad.finish_receipts(term, cardholder=False)
    return ""


def cut_run(flow: Flow, snap: Path, work: Path, n: int, tear: int = 0) -> dict[str, Any]:
    """One cut at operation n (tear: which seeded tear length), or at TLS record n for a
    flow cut on the wire; returns {"n", "tear", "torn", "violations", "note"}."""
    restore(snap, work)
    res: dict[str, Any] = {"n": n, "tear": tear, "torn": "", "violations": [], "note": ""}
    db = work / "host.db"
    with running_hostsim(db) as (_, port):
        if flow.cut_on == "wire":
            term = _wire_cut(flow, work, db, port, n, res)
        elif flow.cut_on == "screen":
            term = _screen_cut(flow, work, db, port, n, res)
        else:
            term = _flash_cut(flow, work, db, port, n, tear, res)
        if term is None:
            return res
        _after_cut(flow, work, db, port, term, res)
    return res


def _run_until_cut(flow: Flow, db: Path, term: SimTerminal,
                   point: Callable[[str], None] | None = None) -> Exception | None:
    try:
        term.start()
        flow.run(Ctx(db, term) if point is None else Ctx(db, term, point))
    except (TerminalDied, TimeoutError, AssertionError, ControlError) as e:
        return e
    return None


def _not_cut(term: SimTerminal, n: int, error: Exception | None, res: dict[str, Any]) -> None:
    term.stop()
    res["note"] = (f"flow failed without a cut: {error}" if error else
                   f"the flow ended before operation {n} (fewer operations than counted)")
    if error:
        res["violations"].append(res["note"])


def _flash_cut(flow: Flow, work: Path, db: Path, port: int, n: int, tear: int,
               res: dict[str, Any]) -> SimTerminal | None:
    """The flow with the power cut at flash operation n: the dead terminal, or None when
    the flow did not get there (res says why)."""
    seed = zlib.crc32(f"{flow.name}:{n}:{tear}".encode())
    term = _terminal(work, port, {"POS_FLASH_CUT_AFTER": str(n),
                                  "POS_FLASH_CUT_SEED": str(seed)})
    error = _run_until_cut(flow, db, term)
    m = CUT_RE.search(_log_since_start(term))
    if m is None:
        _not_cut(term, n, error, res)
        return None
    term.kill()  # already dead: reap it
    res["torn"] = m.group(2)
    return term


def _wire_cut(flow: Flow, work: Path, db: Path, port: int, n: int,
              res: dict[str, Any]) -> SimTerminal | None:
    """The flow behind a relay that stops the wire at TLS record n and cuts the power
    there: the dead terminal, or None when the flow did not get there."""
    cut = WireCut(at=n)
    with Relay(port, on_record=cut) as relay:
        term = _terminal(work, relay.port)
        cut.term = term
        error = _run_until_cut(flow, db, term)
        if not cut.dead.is_set():
            _not_cut(term, n, error, res)
            return None
        term.kill()  # killed by the hook: reap it
        res["torn"] = cut.cut
    return term


def _screen_cut(flow: Flow, work: Path, db: Path, port: int, n: int,
                res: dict[str, Any]) -> SimTerminal | None:
    """The flow with the power cut at its nth screen point: the dead terminal, or None
    when the flow did not get there."""
    cut = ScreenCut(at=n)
    term = _terminal(work, port)
    cut.term = term
    error = _run_until_cut(flow, db, term, cut)
    if not cut.dead.is_set():
        _not_cut(term, n, error, res)
        return None
    term.kill()  # killed at the point: reaped already
    res["torn"] = cut.cut
    return term


def _after_cut(flow: Flow, work: Path, db: Path, port: int, term: SimTerminal,
               res: dict[str, Any]) -> None:
    """The dead terminal's image and the host's ledger checked, power back, the next
    transaction, everything checked again."""
    # The flow's host faults were for the flow: the next transaction gets answers.
    _ledger(db, lambda led: led.clear_faults())
    after_cut = inspect_image(term.dir / "flash.img", DEFAULT_TMK)
    image_at_cut = (term.dir / "flash.img").read_bytes()
    host_at_cut = settled_host_view(db)
    # Power back: boot without the cut.
    term = _terminal(work, port)
    try:
        term.start()
        keypad.at_menu(term)
    except (TerminalDied, TimeoutError, AssertionError) as e:
        res["violations"].append(f"no boot after the cut: {str(e)[:300]}")
        term.kill()
        res["violations"] += check_after_cut(after_cut, host_at_cut)
        return
    res["violations"] += check_after_cut(after_cut, host_at_cut)
    baseline = None
    if flow.cut_on == "screen":
        baseline = json.loads((work.parent / "snapshot" / "baseline.json").read_text())
        res["violations"] += check_screen_cut(baseline, after_cut, host_at_cut)
    try:
        why = _recover(flow, term)
        if why:
            res["violations"].append(why)
    except (TerminalDied, TimeoutError, AssertionError, ControlError) as e:
        res["violations"].append(f"next transaction failed: {str(e)[:300]}")
    term.stop()
    after = inspect_image(term.dir / "flash.img", DEFAULT_TMK)
    host_after = host_view(db)
    res["violations"] += check_after_recovery(after, host_after)
    if baseline is not None:
        res["violations"] += check_screen_recovery(baseline, host_after)
    # Data at rest: neither the torn nor the recovered image holds a PAN or a clear key,
    # nor (a cut at the PIN screen) any form of the digits typed before the cut.
    pans, secrets = atrest.ledger_pans(db), atrest.flash_secrets(db)
    typed = flow.typed(res["n"]) if flow.typed is not None else ""
    pins = pin_secrets(typed, secrets)
    res["violations"] += ["at rest: " + f for f in
                          atrest.check_image(image_at_cut, pans, secrets + pins)
                          + atrest.check_image((term.dir / "flash.img").read_bytes(),
                                               pans, secrets + pins)]
    if len(typed) >= 4:  # shorter digit runs are in any log (lengths, times, counts)
        res["violations"] += ["log: " + f for f in
                              atrest.check_texts([term.log_text()], [], pins=[typed])]


def pin_secrets(typed: str, keys: list[bytes]) -> list[str | bytes]:
    """The forms of the PIN digits typed before a cut (atrest.pin_forms: the ASCII digits,
    the PIN field, the clear block, field 52 under the PIK the host issued), none when
    none was typed."""
    if not typed:
        return []
    pik = keys[1] if len(keys) > 1 else None  # flash_secrets: TMK, PIK, MAK
    return atrest.pin_forms(typed, PIN_PAN, pik)


# ------------------------------------------------------------------- the invariants


def _records(img: dict[str, Any]) -> tuple[list[dict], list[str]]:
    """Journal records, synthetic fill records left out; and damaged ones as violations."""
    bad: list[str] = [f"damaged journal record: {e}" for e in img.get("errors", [])]
    recs = [r for batch in img.get("batches", {}).values() for r in batch["records"]
            if r["pan6"] != SYNTHETIC_PAN6]
    return recs, bad


def _structure(img: dict[str, Any]) -> tuple[list[str], list, dict | None, int]:
    if not img.get("mounted"):
        return [f"flash does not mount: {img.get('error')}"], [], None, 0
    recs, bad = _records(img)
    st = img.get("state") or {}
    if "damaged" in st:
        bad.append(f"state record damaged: {st['damaged']}")
    rev = img.get("reversal")
    if rev is not None and "damaged" in rev:
        bad.append(f"pending reversal damaged: {rev['damaged']}")
        rev = None
    for f in img.get("failed_reversals", []):
        bad.append(f"a reversal failed for good: {f}")
    for k, v in (img.get("settlement") or {}).items():
        if isinstance(v, dict) and "damaged" in v:
            bad.append(f"settlement record ({k}) damaged: {v['damaged']}")
    return bad, recs, rev, int(st.get("next_voucher", 1))


def _host_rows(host: dict[str, Any]) -> tuple[list, dict, dict]:
    return (_ours(host["txns"]), {h["id"]: h for h in _ours(host["holds"])},
            {c["id"]: c for c in _ours(host["completions"])})


def _dropped(img: dict[str, Any], host: dict[str, Any]) -> frozenset[int]:
    """Batches the host settled that are not on the terminal's flash at all, and not its
    current one: dropped by the retention rule at a settlement (tests/device/
    test_settle.py checks which batches that rule drops; here they may be gone)."""
    present = {int(b) for b in img.get("batches", {})}
    current = int((img.get("state") or {}).get("batch_no", 0))
    return frozenset(s["batch"] for s in _ours(host.get("settlements", []))
                     if s["batch"] not in present and s["batch"] != current)


def _ours(rows: list[dict]) -> list[dict]:
    return [r for r in rows if r.get("tid") in (None, DEFAULT_TID)]


def _voucher_checks(host: dict[str, Any], next_voucher: int) -> list[str]:
    bad = []
    sent = [m for m in _ours(host["messages"]) if m["direction"] == "in" and m["stan"]]
    if sent:
        top = max(int(m["stan"]) for m in sent)
        if next_voucher <= top:
            bad.append(f"next voucher {next_voucher:06d} on flash, but the host has seen "
                       f"F11 {top:06d}: a number would be used twice")
    uses: dict[str, list[str]] = {}
    for m in sent:
        if m["mti"] != "0400":  # a reversal carries its original's F11
            uses.setdefault(m["stan"], []).append(f"{m['mti']}/{m['proc']}")
    for stan, who in uses.items():
        if len(who) > 1:
            bad.append(f"F11 {stan} used by {len(who)} requests: {', '.join(who)}")
    for m in _ours(host["messages"]):
        if m["direction"] == "out" and m["rc"] == "94":
            bad.append(f"host answered 94 (duplicate F11 {m['stan']})")
    return bad


def check_after_cut(img: dict[str, Any], host: dict[str, Any]) -> list[str]:
    """The image as the cut left it, against the host as the cut left it."""
    bad, recs, rev, next_voucher = _structure(img)
    if not img.get("mounted"):
        return bad

    def pending(voucher: str, batch: int, kind: str) -> bool:
        return bool(rev and not rev.get("flagged") and rev.get("f11") == voucher
                    and rev.get("kind") == kind and (rev.get("f60") or "")[2:8] == f"{batch:06d}")

    bad += agree.check(recs, *_host_rows(host), lag_ok=True, pending=pending,
                       dropped=_dropped(img, host))
    sent = [m for m in _ours(host["messages"]) if m["direction"] == "in" and m["stan"]]
    if sent and next_voucher <= max(int(m["stan"]) for m in sent):
        bad.append(f"next voucher {next_voucher:06d} on flash is not past every F11 sent")
    return bad + _settlement_checks(img, host, after_cut=True)


def check_after_recovery(img: dict[str, Any], host: dict[str, Any]) -> list[str]:
    """After the next transaction (pending reversals sent, a pending settlement settled
    again): the two sides agree."""
    bad, recs, rev, next_voucher = _structure(img)
    if not img.get("mounted"):
        return bad
    if rev is not None:
        bad.append(f"a reversal is still pending after the next transaction: F11 "
                   f"{rev.get('f11')} ({rev.get('kind')})")
    bad += agree.check(recs, *_host_rows(host), dropped=_dropped(img, host))
    return bad + _voucher_checks(host, next_voucher) + _settlement_checks(img, host)


def check_screen_cut(base: dict[str, Any], img: dict[str, Any],
                     host: dict[str, Any]) -> list[str]:
    """A cut at a screen before anything was sent (the PIN screen, the summary): the host
    saw nothing more, the journal is the snapshot's, record for record, no reversal is
    pending, and the voucher counter has not gone back."""
    bad = []
    before = base["messages"]
    if host["messages"] != before:
        new = [f"{m['direction']} {m['mti']} F11 {m['stan']}"
               for m in host["messages"][len(before):]]
        bad.append(f"the host saw something of the cut transaction: {new or host['messages']}")
    was, _ = _records(base["image"])
    now, _ = _records(img)
    if now != was:
        bad.append(f"the journal changed: {len(was)} records before, {len(now)} after the cut")
    if img.get("reversal") is not None:
        bad.append(f"a reversal is pending after a cut before any request: {img['reversal']}")
    v0 = int((base["image"].get("state") or {}).get("next_voucher", 1))
    v1 = int((img.get("state") or {}).get("next_voucher", 1))
    if v1 < v0:
        bad.append(f"the voucher counter went back: {v0:06d} before, {v1:06d} after the cut")
    return bad


def check_screen_recovery(base: dict[str, Any], host: dict[str, Any]) -> list[str]:
    """After a cut at a screen and the next transaction: the host saw that one pre-auth
    (its 0100 and answer) and nothing else, no reversal above all."""
    new = [m for m in _ours(host["messages"])[len(_ours(base["messages"])):]
           if m["direction"] == "in"]
    kinds = [f"{m['mti']}/{m['proc']}" for m in new]
    if kinds != ["0100/030000"]:
        return [f"after a cut at a screen, the host saw {kinds}, not the next pre-auth alone"]
    return []


def _settlement_checks(img: dict[str, Any], host: dict[str, Any],
                       after_cut: bool = False) -> list[str]:
    """A batch closes once: the terminal's batch number is never ahead of the host's (a
    batch closed twice would put it there); after recovery no settlement is pending and
    the terminal is past every batch the host settled (it knows the batch closed)."""
    bad = []
    st = img.get("state") or {}
    ours = [t for t in host.get("terminals", []) if t["tid"] == DEFAULT_TID]
    if not ours or "batch_no" not in st:
        return bad
    term_batch, host_batch = int(st["batch_no"]), int(ours[0]["batch"])
    if term_batch > host_batch:
        bad.append(f"terminal batch {term_batch:06d} is ahead of the host's {host_batch:06d}")
    if after_cut:
        return bad
    pend = (img.get("settlement") or {}).get("pending")
    if pend:
        bad.append(f"a settlement is still pending after recovery: batch {pend['batch']}")
    settled = [s["batch"] for s in _ours(host.get("settlements", []))]
    if settled and term_batch <= max(settled):
        bad.append(f"the host settled batch {max(settled):06d}, the terminal is still on "
                   f"{term_batch:06d}")
    return bad


# ------------------------------------------------------------------------ campaign


def sample(m: int, k: int = 12, focus: tuple[int, ...] = ()) -> list[int]:
    """A deterministic sample of 0..m-1: the first and last three, about k spread evenly
    between, and the `focus` points (the campaign passes the erases: each starts a block
    rewrite, a copy-on-write chunk or a metadata compaction)."""
    if m <= k + 6:
        return list(range(m))
    pick = set(range(3)) | set(range(m - 3, m)) | set(focus)
    step = (m - 6) / k
    pick |= {3 + int(i * step + step / 2) for i in range(k)}
    return sorted(p for p in pick if 0 <= p < m)


def run_flow(flow: Flow, base: Path, exhaustive: bool = False,
             cuts: list[int] | Callable[[int, tuple[int, ...]], list[int]] | None = None,
             workers: int = 2, per_flow_sample: int = 12, keep: bool = False,
             tears: int = 1) -> dict[str, Any]:
    """Set up, count, then cut: at every operation (exhaustive), at `cuts` (a list, or a
    function of the operation count M and the focus points: the erase operations, or a
    wire flow's key records), or at sample(M)."""
    t0 = time.monotonic()
    if flow.cut_on == "wire":
        tears = 1  # nothing is torn: the power fails while the terminal waits on the wire
    snap = prepare(flow, base)
    count = count_ops(flow, snap, base / flow.name / "count")
    m = count["ops"]
    if callable(cuts):
        todo = cuts(m, tuple(count["focus"]))
    elif cuts is not None:
        todo = cuts
    else:
        todo = (list(range(m)) if exhaustive
                else sample(m, per_flow_sample, tuple(count["focus"])))

    def one(job: tuple[int, int]) -> dict[str, Any]:
        n, tear = job
        work = base / flow.name / f"cut{n:05d}-{tear}"
        try:
            r = cut_run(flow, snap, work, n, tear)
        except Exception as e:  # the harness itself: report, never hide
            r = {"n": n, "tear": tear, "torn": "", "note": "",
                 "violations": [f"campaign error: {e!r}"]}
        if r["violations"] and keep:
            r["kept"] = str(work)
        elif work.exists():
            shutil.rmtree(work, ignore_errors=True)
        return r

    with ThreadPoolExecutor(max(1, workers)) as pool:
        results = list(pool.map(one, [(n, t) for n in todo for t in range(tears)]))
    violations = [r for r in results if r["violations"]]
    not_cut = [r["n"] for r in results if r["note"] and not r["violations"]]
    return {
        "what": flow.what, **count, "cuts": todo, "tears": tears, "tried": len(results),
        "survived": len(results) - len(violations), "not_cut": not_cut,
        "violations": violations, "seconds": round(time.monotonic() - t0, 1),
    }


def campaign(names: list[str] | None = None, exhaustive: bool = False, workers: int = 2,
             work: Path | None = None, keep: bool = False,
             per_flow_sample: int = 12, tears: int | None = None) -> dict[str, Any]:
    t0 = time.monotonic()
    base = Path(work) if work else Path(tempfile.mkdtemp(prefix="powercut-"))
    base.mkdir(parents=True, exist_ok=True)
    out: dict[str, Any] = {"campaign": "powercut", "exhaustive": exhaustive, "flows": {}}
    try:
        for name in names or list(FLOWS):
            out["flows"][name] = run_flow(FLOWS[name], base, exhaustive, workers=workers,
                                          per_flow_sample=per_flow_sample, keep=keep,
                                          tears=tears or (EXHAUSTIVE_TEARS if exhaustive else 1))
    finally:
        if not keep:
            shutil.rmtree(base, ignore_errors=True)
    fl = out["flows"].values()
    out["tried"] = sum(f["tried"] for f in fl)
    out["survived"] = sum(f["survived"] for f in fl)
    out["violations"] = sum(len(f["violations"]) for f in fl) + sum(
        1 for f in fl if f["uncut_violations"])
    out["seconds"] = round(time.monotonic() - t0, 1)
    if keep:
        out["work"] = str(base)
    return out


def table(res: dict[str, Any]) -> str:
    rows = [("flow", "cut on", "M", "prog", "erase", "root cmp", "TLS rec", "tried",
             "survived", "viol.", "not cut", "s")]
    for name, f in res["flows"].items():
        rows.append((name, f["cut_on"], f["ops"], f["programs"], f["erases"],
                     f["root_compactions"], f["tls_records"], f["tried"], f["survived"],
                     len(f["violations"]) + bool(f["uncut_violations"]), len(f["not_cut"]),
                     f["seconds"]))
    rows.append(("total", "", "", "", "", "", "", res["tried"], res["survived"],
                 res["violations"], "", res["seconds"]))
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(str(c).rjust(w) if i else str(c).ljust(w)
                       for i, (c, w) in enumerate(zip(r, widths, strict=True)))
             for r in rows]
    for name, f in res["flows"].items():
        for v in f["uncut_violations"]:
            lines.append(f"  {name} uncut: {v}")
        for r in f["violations"]:
            lines.append(f"  {name} cut at {r['n']}/{r['tear']} ({r['torn']}):")
            lines += [f"    - {v}" for v in r["violations"]]
            if r.get("kept"):
                lines.append(f"    kept in {r['kept']}")
    return "\n".join(lines)


def main(exhaustive: bool = False, argv: list[str] | None = None) -> dict[str, Any]:
    """Run the campaign (every flow; a sample of cut points unless exhaustive), print the
    table and return the results."""
    p = argparse.ArgumentParser(prog="python -m host_tools.campaign.powercut",
                                description=__doc__.split("\n\n")[0])
    p.add_argument("--exhaustive", action="store_true", default=exhaustive,
                   help="every cut point of every flow (default: a sample)")
    p.add_argument("--flows", help="comma-separated: " + ", ".join(FLOWS))
    p.add_argument("--cuts", help="comma-separated cut points (with one flow)")
    p.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    p.add_argument("--sample", type=int, default=12, help="sampled cuts per flow")
    p.add_argument("--tears", type=int, help="seeded tear lengths per cut point "
                   f"(default: {EXHAUSTIVE_TEARS} exhaustive, 1 sampled)")
    p.add_argument("--json", help="write the results here")
    p.add_argument("--keep", help="work folder to keep (runs with violations stay there)")
    a = p.parse_args([] if argv is None else argv)
    names = a.flows.split(",") if a.flows else None
    for n in names or ():
        if n not in FLOWS:
            p.error(f"unknown flow {n!r}; one of {', '.join(FLOWS)}")
    if a.cuts:
        if not names or len(names) != 1:
            p.error("--cuts needs exactly one --flows")
        base = Path(a.keep) if a.keep else Path(tempfile.mkdtemp(prefix="powercut-"))
        f = run_flow(FLOWS[names[0]], base, cuts=[int(x) for x in a.cuts.split(",")],
                     workers=a.workers, keep=bool(a.keep), tears=a.tears or 1)
        res = {"campaign": "powercut", "exhaustive": False, "flows": {names[0]: f},
               "tried": f["tried"], "survived": f["survived"],
               "violations": len(f["violations"]) + bool(f["uncut_violations"]),
               "seconds": f["seconds"]}
        if not a.keep:
            shutil.rmtree(base, ignore_errors=True)
    else:
        res = campaign(names, a.exhaustive, a.workers, Path(a.keep) if a.keep else None,
                       bool(a.keep), a.sample, a.tears)
    print(table(res))
    if a.json:
        Path(a.json).write_text(json.dumps(res, indent=1, ensure_ascii=False))
    return res


if __name__ == "__main__":
    sys.exit(1 if main(argv=sys.argv[1:])["violations"] else 0)
