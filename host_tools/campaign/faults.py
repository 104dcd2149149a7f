"""The host fault matrix (docs/reliability-faults.md): every flow of the terminal against
every way the acquirer host can fail it, on the real firmware (unix port, simulator board)
against the host simulator.

Rows (flows): ``preauth``, ``void`` (by voucher), ``completion`` (by voucher),
``completion_void``, ``settlement`` (0500), ``reversal`` (the 0400 itself faulted),
``signin`` (0800), ``wrong_pin`` (a pre-auth where the cardholder types a wrong PIN: the
host answers 55, or 75 for the third in a row). Columns (faults): the hostsim fault
kinds, each decline code that the flow can meet, the host down at connect, the host
restarted between request and reversal, and every host the terminal must not trust over
TLS (host_tools/hostsim/tlsfaults.py: no TLS, another CA, expired, not yet valid, wrong
name, pin mismatch, handshake cut, silent).

For each cell: set the fault, run the flow at the keypad, check the operator's message,
the journal and the pending reversal (read from a copy of the flash image) and the host's
ledger; then recover (faults cleared, host up, one more pre-auth: pending reversals go
out first, after a sign-in where one is needed) and check that the ledger and the terminal
agree (``consistency``).

    python -m host_tools.campaign.faults          # the bounded set (what `make test` runs)
    python -m host_tools.campaign.faults --full   # every cell
"""

from __future__ import annotations

import argparse
import re
import shutil
import socket
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from host_tools import keypad
from host_tools.campaign import agree, atrest
from host_tools.hostsim.ledger import DEFAULT_MID, DEFAULT_TID, DEFAULT_TMK, Ledger
from host_tools.hostsim.process import HostProcess
from host_tools.hostsim.tlsfaults import (
    CHECK_CLOCK,
    LOG_LINE,
    TLS_FAULTS,
    UNTRUSTED,
    BadHost,
)
from host_tools.runtime import inspect_image
from host_tools.simctl import SimTerminal

ROOT = Path(__file__).resolve().parents[2]

APPROVE_PAN = keypad.APPROVE_PAN
OTHER_TID = "TERM0002"  # another terminal of the same merchant (voids an original: 12)
RESPONSE_TIMEOUT_S = 2
CONNECT_TIMEOUT_S = 2
DELAY_S = 3  # the `delay` fault: past the response timeout

# docs/host-simulator.md, test-card table: the declining cards.
DECLINE_PANS = {
    "01": "6222020000000000018", "05": "6222020000000000059", "14": "6222020000000000141",
    "51": "6222020000000000513", "54": "6222020000000000547", "61": "6222020000000000612",
    "96": "6222020000000000968",
}
# host_tools/strings_table.py RC (wire-format.md §6)
RC_TEXT = {
    "01": "请持卡人与发卡银行联系", "05": "持卡人认证失败", "12": "无效交易", "14": "无效卡号",
    "25": "找不到原始交易", "51": "余额不足", "54": "过期卡", "61": "超出金额限制",
    "64": "原始金额错误", "94": "重复交易", "96": "系统故障，请稍后重试",
    "55": "密码错误", "75": "密码错误次数超限",
}
WRONG_PIN = "654321"  # the approving card's PIN is keypad.PIN (123456)

FLOWS = ("preauth", "void", "completion", "completion_void", "settlement", "reversal",
         "signin", "wrong_pin")
WIRE = ("no_answer", "delay", "close", "close_mid", "close_after", "bad_mac", "wrong_stan",
        "wrong_tid", "wrong_mti", "duplicate", "garbage", "oversize_len", "proc3")
SPECIAL = ("host_down", "host_restart", "host_A0")
PREAUTH_DECLINES = tuple("d" + c for c in DECLINE_PANS)
VOID_DECLINES = ("d12", "d25", "d64", "d94")
FOLLOW_DECLINES = ("d94",)  # a completion or completion void: F11 seen before in the batch
# The wrong_pin row's own columns: no fault, the host answers 55 (a wrong PIN); the card
# had two wrong PINs in a row already, so this third one answers 75 and locks it.
PIN_DECLINES = ("d55", "d75")
# Hosts the terminal must not trust (TLS): each applies to every flow; nothing may reach
# the host, a request that never left leaves no reversal, a pending one stays pending.
TLS = tuple(TLS_FAULTS)
FAULTS = WIRE + PREAUTH_DECLINES + VOID_DECLINES + PIN_DECLINES + SPECIAL + TLS

# Wire faults after which no valid answer reached the terminal: reversal reason 98.
UNANSWERED = ("no_answer", "delay", "close", "close_mid", "wrong_stan", "wrong_tid",
              "wrong_mti", "garbage", "oversize_len")
ANSWERED = ("close_after", "duplicate", "proc3")  # a valid answer got through

MENU = re.compile(r"1\.预授权")
RESULT = re.compile(r"交易成功|交易失败|交易超时|连接主机失败|MAC校验错|保存交易失败|冲正不成功"
                    r"|签到成功|签到失败|结算完成|主机连接不可信")

# The cells `make test` runs (tests/reliability/test_host_faults.py): every wire fault
# class once per flow where it matters, every special cell, one decline per route, every
# TLS fault once (spread over the flows; the reversal row twice: it stays pending).
QUICK = {
    "preauth": ("no_answer", "delay", "close_mid", "close_after", "bad_mac", "wrong_stan",
                "duplicate", "garbage", "oversize_len", "proc3", "d51", "host_down",
                "host_restart", "host_A0", "plain_host", "expired"),
    "void": ("no_answer", "bad_mac", "wrong_tid", "duplicate", "d12", "d64", "d94",
             "other_ca"),
    "completion": ("no_answer", "bad_mac", "close_after", "host_down", "host_A0", "d94",
                   "not_yet_valid"),
    "completion_void": ("delay", "bad_mac", "duplicate", "host_down", "host_A0", "d94",
                        "wrong_name"),
    "settlement": ("no_answer", "close_mid", "close_after", "proc3", "host_down",
                   "host_restart", "handshake_cut"),
    "reversal": ("close", "bad_mac", "wrong_mti", "close_after", "host_down", "host_restart",
                 "pin_mismatch", "silent_host"),
    "signin": ("no_answer", "bad_mac", "wrong_stan", "proc3", "host_down", "wrong_name"),
    "wrong_pin": ("d55", "d75", "no_answer", "bad_mac", "host_A0"),
}


# ----------------------------------------------------------------------------- cells


@dataclass(frozen=True)
class Expect:
    """What a cell must end in. screen: regexes the result screen must show (searched
    with line breaks removed). journal: the state of the cell's journal record ("none",
    "OPEN", "VOIDED"). reversal: the pending reversal's reason (None: no reversal).
    attempts: for the reversal row, the failed attempts counted. host: the state of the
    cell's hold right after the fault (None: no hold). recovery: the MTIs the recovery
    pre-auth sends. final: the cell's hold state after recovery. absent: texts the result
    screen must not show."""

    screen: tuple[str, ...]
    journal: str
    reversal: str | None
    host: str | None
    recovery: tuple[str, ...]
    final: str | None
    attempts: int = 0
    need_signin: bool = False
    absent: tuple[str, ...] = ()  # what the result screen must not show


@dataclass(frozen=True)
class Cell:
    flow: str
    fault: str

    @property
    def id(self) -> str:
        return f"{self.flow}-{self.fault}"


def applicable(flow: str, fault: str) -> bool:
    if flow == "wrong_pin":  # the card is the approving one: its answer is 55 or 75
        return fault not in PREAUTH_DECLINES + VOID_DECLINES
    if fault in PIN_DECLINES:
        return False
    if fault in PREAUTH_DECLINES:
        return flow == "preauth"
    if fault in VOID_DECLINES:
        return flow == "void" or (flow in ("completion", "completion_void")
                                  and fault in FOLLOW_DECLINES)
    if fault == "host_A0":
        return flow in ("preauth", "void", "completion", "completion_void")
    return True


def matrix(full: bool = True) -> list[Cell]:
    cells = []
    for flow in FLOWS:
        for fault in FAULTS:
            if applicable(flow, fault) and (full or fault in QUICK[flow]):
                cells.append(Cell(flow, fault))
    return cells


NO_ANSWER_MSG = ("交易超时", "已记录冲正")
MAC_MSG = ("MAC校验错", "请重新签到", "已记录冲正")
NOT_SENT_MSG = ("连接主机失败", "交易未发送")
APPROVED_MSG = ("交易成功",)


def expect_tls(cell: Cell) -> Expect:
    """A host the terminal cannot trust: as the host down (nothing sent, so no reversal
    from the request, a pending one stays pending and its attempt counts), but the screen
    says 主机连接不可信 (never 连接主机失败), with 请核对终端时间 exactly when the
    certificate's dates were the cause."""
    fault = TLS_FAULTS[cell.fault]
    clock = (CHECK_CLOCK,) if fault.clock else ()
    absent = ("连接主机失败",) + (() if fault.clock else (CHECK_CLOCK,))
    msg = (UNTRUSTED, "交易未发送") + clock
    if cell.flow in ("preauth", "wrong_pin"):
        return Expect(msg, "none", None, None, ("0100",), None, absent=absent)
    if cell.flow == "void":
        return Expect(msg, "OPEN", None, "open", ("0100",), "open", absent=absent)
    if cell.flow in ("completion", "completion_void"):
        journal, host = ("OPEN", "open") if cell.flow == "completion" else ("OPEN",
                                                                             "completed")
        return Expect(msg, journal, None, host, ("0100",), host, absent=absent)
    if cell.flow == "settlement":
        return Expect(msg, "none", None, 0, ("0100",), 0, absent=absent)
    if cell.flow == "reversal":
        return Expect(("冲正不成功", UNTRUSTED, "稍后重试") + clock, "none", "98", "open",
                      ("0400", "0100"), "reversed", attempts=1, absent=absent)
    return Expect(("签到失败", UNTRUSTED) + clock, "none", None, None, ("0800", "0100"), None,
                  need_signin=True, absent=absent)


def expect(cell: Cell) -> Expect:
    """The expected outcome of a cell (wire-format.md §3 "Matching", §5)."""
    f = cell.fault
    if f in TLS:
        return expect_tls(cell)
    rev_mtis = ("0400", "0100")
    if cell.flow == "wrong_pin":
        # a 55/75 is an answer (a decline: no reversal, no hold); the request unanswered
        # or its answer's MAC bad: reversed as any pre-auth (the host's 55 undoes nothing)
        if f in UNANSWERED or f == "host_restart":
            return Expect(NO_ANSWER_MSG, "none", "98", None, rev_mtis, None)
        if f in ("bad_mac", "host_A0"):
            return Expect(MAC_MSG, "none", "A0", None, ("0800",) + rev_mtis, None,
                          need_signin=True)
        if f == "host_down":
            return Expect(NOT_SENT_MSG, "none", None, None, ("0100",), None)
        code = "75" if f == "d75" else "55"
        return Expect(("交易失败", code + RC_TEXT[code]), "none", None, None,
                      ("0800", "0100") if f == "proc3" else ("0100",), None,
                      need_signin=f == "proc3", absent=("交易成功",))
    if cell.flow == "preauth":
        if f in UNANSWERED or f == "host_restart":
            return Expect(NO_ANSWER_MSG, "none", "98", "open", rev_mtis, "reversed")
        if f in ANSWERED:
            return Expect(APPROVED_MSG, "OPEN", None, "open",
                          ("0800", "0100") if f == "proc3" else ("0100",), "open",
                          need_signin=f == "proc3")
        if f == "bad_mac":
            return Expect(MAC_MSG, "none", "A0", "open", ("0800",) + rev_mtis, "reversed",
                          need_signin=True)
        if f == "host_A0":  # the host cannot verify our MAC: applied nothing, answers A0
            return Expect(MAC_MSG, "none", "A0", None, ("0800",) + rev_mtis, None,
                          need_signin=True)
        if f == "host_down":
            return Expect(NOT_SENT_MSG, "none", None, None, ("0100",), None)
        code = f[1:]
        return Expect(("交易失败", code + RC_TEXT[code]), "none", None, None, ("0100",), None)
    if cell.flow == "void":
        if f in UNANSWERED or f == "host_restart":
            return Expect(NO_ANSWER_MSG, "OPEN", "98", "voided", rev_mtis, "open")
        if f in ANSWERED:
            return Expect(APPROVED_MSG, "VOIDED", None, "voided",
                          ("0800", "0100") if f == "proc3" else ("0100",), "voided",
                          need_signin=f == "proc3")
        if f == "bad_mac":
            return Expect(MAC_MSG, "OPEN", "A0", "voided", ("0800",) + rev_mtis, "open",
                          need_signin=True)
        if f == "host_A0":
            return Expect(MAC_MSG, "OPEN", "A0", "open", ("0800",) + rev_mtis, "open",
                          need_signin=True)
        if f == "host_down":
            return Expect(NOT_SENT_MSG, "OPEN", None, "open", ("0100",), "open")
        code = f[1:]
        # 12: voided meanwhile by another terminal of the merchant (keyed route).
        host = "voided" if code == "12" else "open"
        return Expect(("交易失败", code + RC_TEXT[code]), "OPEN", None, host, ("0100",), host)
    if cell.flow in ("completion", "completion_void"):
        # journal: the state of the cell's original (the pre-auth, or the completion) on
        # the terminal; host: the hold's state (the pre-auth's)
        done, before = (("COMPLETED", "completed"), ("OPEN", "open")) if \
            cell.flow == "completion" else (("VOIDED", "completion_voided"),
                                            ("OPEN", "completed"))
        if f in UNANSWERED or f == "host_restart":
            return Expect(NO_ANSWER_MSG, before[0], "98", done[1], rev_mtis, before[1])
        if f in ANSWERED:
            return Expect(APPROVED_MSG, done[0], None, done[1],
                          ("0800", "0100") if f == "proc3" else ("0100",), done[1],
                          need_signin=f == "proc3")
        if f == "bad_mac":
            return Expect(MAC_MSG, before[0], "A0", done[1], ("0800",) + rev_mtis,
                          before[1], need_signin=True)
        if f == "host_A0":
            return Expect(MAC_MSG, before[0], "A0", before[1], ("0800",) + rev_mtis,
                          before[1], need_signin=True)
        if f == "host_down":
            return Expect(NOT_SENT_MSG, before[0], None, before[1], ("0100",), before[1])
        code = f[1:]
        return Expect(("交易失败", code + RC_TEXT[code]), before[0], None, before[1],
                      ("0100",), before[1])
    if cell.flow == "settlement":
        # journal: the settlement on the terminal ("pending" or "none"); host: how many
        # batches the host moved on after the fault; final: after recovery (which
        # settles again first when the settlement is pending). Nothing is reversed.
        if f in ANSWERED or f == "bad_mac":  # a 0510 has no MAC: bad_mac changes nothing
            return Expect(("结算完成",), "none", None, 1,
                          ("0800", "0100") if f == "proc3" else ("0100",), 1,
                          need_signin=f == "proc3")
        if f == "host_down":  # nothing reached the host: nothing pending, nothing closed
            return Expect(NOT_SENT_MSG, "none", None, 0, ("0100",), 0)
        return Expect(("交易超时", "请重新结算"), "pending", None, 1, ("0500", "0100"), 1)
    if cell.flow == "reversal":
        # The cell's hold is the pre-auth left unanswered (pending 98) by the set-up.
        failed = ("冲正不成功", "稍后重试")
        if f in UNANSWERED or f == "host_restart":
            return Expect(failed + ("交易超时",), "none", "98", "reversed", rev_mtis,
                          "reversed", attempts=1)
        if f == "bad_mac":
            return Expect(failed + ("MAC校验错",), "none", "98", "reversed",
                          ("0800",) + rev_mtis, "reversed", attempts=1, need_signin=True)
        if f == "host_down":
            return Expect(failed + ("连接主机失败",), "none", "98", "open", rev_mtis,
                          "reversed", attempts=1)
        # answered: the reversal is done and the pre-auth at hand goes out and is approved
        return Expect(APPROVED_MSG, "none", None, "reversed",
                      ("0800", "0100") if f == "proc3" else ("0100",), "reversed",
                      need_signin=f == "proc3")
    # signin: nothing reversible; a sign-in that did not install keys (the host may have
    # changed them) is repeated before the next financial transaction.
    if f in ANSWERED:
        return Expect(("签到成功",), "none", None, None, ("0100",), None)
    if f == "host_down":
        why = "连接主机失败"
    elif f == "bad_mac":  # on an 0810: both check values wrong, the keys are rejected
        why = "签到校验错"
    else:
        why = "交易超时"
    return Expect(("签到失败", why), "none", None, None, ("0800", "0100"), None,
                  need_signin=True)


# ------------------------------------------------------------------------- the rig


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Rig:
    """One host simulator and one terminal, reused by the cells of a flow."""

    def __init__(self, workdir: Path) -> None:
        self.dir = Path(workdir)
        self.dir.mkdir(parents=True, exist_ok=True)
        # on a fixed port, so that it can be stopped and started again (same ledger) while
        # the terminal keeps its configuration; TERM0002, the merchant's other terminal
        self.host = HostProcess(self.dir / "host.db", "--terminal",
                                f"{OTHER_TID}:{DEFAULT_MID}:{DEFAULT_TMK}", port=free_port())
        self.host.start()
        self.ledger = Ledger(self.host.db)
        self.bad: BadHost | None = None  # a TLS fault's host, on the host's port
        self.tls_before = (0, 0)  # requests the host had, untrusted log lines, at its arming
        self.config = {"port": self.host.port, "response_timeout_s": RESPONSE_TIMEOUT_S,
                       "connect_timeout_s": CONNECT_TIMEOUT_S}  # TLS, as by default
        self.term = SimTerminal(self.dir / "term", config=self.config)
        self.term.start()
        self.op = keypad.Operator(self.term, done=RESULT)
        self.amount = 1000
        self.to_menu()

    def close(self) -> None:
        self.term.stop()
        if self.bad is not None:
            self.bad.close()
        self.host.stop()
        self.ledger.close()

    def reconfigure(self, extra: dict[str, Any]) -> None:
        """The terminal restarted with its configuration plus extra (a boot: it signs in
        only when one is due, a pending reversal stays pending)."""
        self.term.stop()
        self.term.write_config({**self.config, **extra})
        self.term.start()
        self.to_menu()

    def untrusted_host(self, fault: str) -> None:
        """The host goes, and in its place (same port, same ledger) one the terminal
        must not trust, behind a relay that records what crossed the wire."""
        self.tls_before = (len(self.requests()), len(self.untrusted_lines()))
        self.host.stop()
        self.bad = BadHost(fault, self.dir / "tls", db=self.host.db, port=self.host.port)
        if self.bad.config:  # pin_mismatch: the real host, and a pin it does not match
            self.reconfigure(self.bad.config)

    def good_host(self) -> None:
        """The untrusted host, if any, makes room for the real one (started by whoever
        needs it up, or here when the terminal's configuration is put back first)."""
        bad, self.bad = self.bad, None
        if bad is None:
            return
        bad.close()
        if bad.config:
            if not self.host.up:
                self.host.start()
            self.reconfigure({})

    def untrusted_lines(self) -> list[str]:
        return [x for x in self.term.log_text().splitlines() if LOG_LINE in x]

    def next_amount(self) -> int:
        self.amount += 10
        return self.amount

    # -- terminal

    def to_menu(self, timeout: float = 40.0) -> None:
        """Back to the main menu: acknowledge messages, skip the cardholder copy."""
        deadline = time.monotonic() + timeout
        while True:
            s = self.term.screen()
            if MENU.search(s.text):
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"not back at the menu; screen:\n{s.text}")
            if re.search(r"处理中|冲正中|签到中|打印中|剩余", s.text):
                self.term.wait_screen(s.seq, 1.0)
                continue
            self.term.press("CANCEL" if "持卡人存根" in s.text else "ENTER")
            self.term.wait_screen(s.seq, 1.0)

    def dump(self) -> dict[str, Any]:
        """The terminal's flash (state, journal, reversals), read from a copy of the image
        while the terminal idles at the menu (runtime.inspect_image: read-only)."""
        return terminal_view(inspect_image(self.term.dir / "flash.img", DEFAULT_TMK))

    def result(self, timeout: float = 30.0) -> str:
        return self.term.wait_for(RESULT, timeout).text

    # the keypad's scripts; a pre-auth, a void and a sign-in end on any RESULT screen (a
    # failed reversal's, a sign-in's), a completion, a completion void and a settlement
    # on their own
    def preauth(self, fen: int, pan: str = APPROVE_PAN, pin: str = keypad.PIN) -> str:
        return keypad.preauth(self.op, fen, pan, pin=pin)

    def void_by_voucher(self, voucher: str) -> str:
        return keypad.void_by_voucher(self.op, voucher.lstrip("0"))

    def void_keyed(self, auth: str, mmdd: str, fen: int) -> str:
        return keypad.void_keyed(self.op, auth, mmdd, fen)

    def completion(self, voucher: str, fen: int) -> str:
        return keypad.completion(self.term, "voucher", voucher, fen)

    def cvoid(self, voucher: str) -> str:
        return keypad.cvoid(self.term, voucher)

    def settle(self) -> str:
        return keypad.settle(self.term)

    def sign_in(self) -> str:
        return keypad.sign_in(self.op)

    def batch(self) -> int:
        """The host's current batch for this terminal."""
        t = self.ledger.terminal(DEFAULT_TID)
        assert t is not None
        return t.batch

    # -- host

    def hold(self, fen: int) -> dict[str, Any] | None:
        hs = [h for h in self.ledger.holds() if h["tid"] == DEFAULT_TID and h["amount"] == fen]
        assert len(hs) <= 1, hs
        return hs[0] if hs else None

    def requests(self) -> list[str]:
        return [m["mti"] for m in self.ledger.messages(1_000_000)
                if m["direction"] == "in" and m["tid"] == DEFAULT_TID]

    def recover(self) -> tuple[list[str], str]:
        """Faults cleared, host up, one more pre-auth (approved). Returns the MTIs it sent
        and its result screen (a sign-in at the boot that puts the configuration back
        included)."""
        before = len(self.requests())
        self.ledger.clear_faults()
        self.good_host()
        if not self.host.up:
            self.host.start()
        self.to_menu()
        if "结算未完成" in self.term.screen().text:  # nothing goes out before it is done
            self.settle()
            self.to_menu()
        fen = self.next_amount()
        text = self.preauth(fen)
        self.to_menu()
        return self.requests()[before:], text


# ------------------------------------------------------------------- consistency


def _damaged(what: Any) -> bool:
    return isinstance(what, dict) and "damaged" in what


def terminal_view(img: dict[str, Any]) -> dict[str, Any]:
    """The inspector's findings as this campaign reads them, as the terminal would see its
    flash at its next step: batch, next voucher, need_signin, the journal (every batch,
    oldest first), the pending reversal (None, a dict, or "damaged: ..."), the failed
    reversals (a flagged pending one among them: load() moves it there) and the pending
    settlement. RuntimeError when the image does not mount or its state is damaged."""
    if not img.get("mounted"):
        raise RuntimeError(f"flash dump failed: {img.get('error')}")
    st = img["terminal"]
    if _damaged(st):
        raise RuntimeError(f"flash dump failed: state damaged: {st['damaged']}")
    out: dict[str, Any] = {**st, "journal": [
        r for b in sorted(img["batches"]) for r in img["batches"][b]["records"]],
        "journal_errors": len(img["errors"])}
    rev, failed = img["reversal"], list(img["failed_reversals"])
    if _damaged(rev):
        rev = "damaged: " + rev["damaged"]
    elif rev is not None and rev["flagged"]:  # a move to the failed list cut short
        rev, failed = None, [rev, *failed]
    out["reversal"] = rev
    bad = [f for f in failed if _damaged(f)]
    out["failed"] = "damaged: " + bad[0]["damaged"] if bad else failed
    pend = img["settlement"]["pending"]
    out["settle_pending"] = "damaged: " + pend["damaged"] if _damaged(pend) else pend
    return out


def consistency(ledger: Ledger, dump: dict[str, Any]) -> list[str]:
    """Differences between the host's ledger and the terminal's flash after recovery
    (docs/reliability-faults.md "Consistent"; the rules are host_tools/campaign/agree.py).
    Empty when they agree."""
    problems: list[str] = []
    if dump.get("reversal"):
        problems.append(f"a reversal is still pending: {dump['reversal']}")
    if dump.get("failed"):
        problems.append(f"failed reversals: {dump['failed']}")
    txns = [t for t in ledger.txns() if t["tid"] == DEFAULT_TID]
    holds = {h["id"]: h for h in ledger.holds() if h["tid"] == DEFAULT_TID}
    # a hold voided by another terminal: this one cannot know, its journal says OPEN
    for t in ledger.txns():
        if (t["tid"] != DEFAULT_TID and t["kind"] == "void" and t["rc"] == "00"
                and not t["reversed"] and t["hold_id"] in holds):
            holds[t["hold_id"]] = {**holds[t["hold_id"]], "state": "open"}
    completions = {c["id"]: c for c in ledger.completions() if c["tid"] == DEFAULT_TID}
    return problems + agree.check(dump["journal"], txns, holds, completions)


# ---------------------------------------------------------------------- run a cell


@dataclass
class CellResult:
    cell: Cell
    ok: bool = True
    problems: list[str] = field(default_factory=list)
    screen: str = ""
    seconds: float = 0.0

    def check(self, cond: bool, what: str) -> None:
        if not cond:
            self.ok = False
            self.problems.append(what)


def flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def arm(rig: Rig, fault: str, mti: str) -> None:
    """Set a wire fault for the next message of this MTI (one shot)."""
    if fault in WIRE:
        rig.ledger.add_fault(fault, mti=mti, count=1, delay=DELAY_S if fault == "delay" else None)
    elif fault in ("host_restart",):
        rig.ledger.add_fault("no_answer", mti=mti, count=1)
    elif fault == "host_down":
        rig.host.stop()
    elif fault == "host_A0":  # the host's keys are not the terminal's (as after a lost 0810)
        rig.ledger.set_keys(DEFAULT_TID, bytes(range(16)), bytes(range(8, 16)))
    elif fault in TLS:
        rig.untrusted_host(fault)


def after_result(rig: Rig, fault: str) -> None:
    if fault == "host_restart":  # the request is out and unanswered: restart the host
        rig.host.stop()
        rig.host.start()


def other_terminal_voids(rig: Rig, fen: int, hold: dict[str, Any]) -> None:
    """TERM0002 of the same merchant voids the hold by keyed route (61.1/61.2 zeros)."""
    from host_tools.hostsim.client import PosClient

    with PosClient("127.0.0.1", rig.host.port, tid=OTHER_TID, timeout=10) as c:
        assert c.sign_in().rc == "00"
        _, resp = c.void(APPROVE_PAN, fen, hold["auth_code"], 0, "000000", hold["host_date"])
        assert resp.rc == "00", resp.rc


def untrusted_checks(rig: Rig, fault: str, res: CellResult) -> None:
    """A TLS fault: the terminal did reach the untrusted host, nothing of a request got
    to it (no frame in the ledger, not the terminal's ID in clear on the wire), and the
    log has one "not trusted" line with mbedTLS's reason for this fault."""
    bad = rig.bad
    assert bad is not None
    sent0, lines0 = rig.tls_before
    # the terminal's connect completes in the kernel; the relay's accept (it polls every
    # 0.2 s) may come a moment later: waited for, not raced
    deadline = time.monotonic() + 10
    while bad.relay.connections < 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    res.check(bad.relay.connections >= 1, "the terminal never connected to the host")
    got = rig.requests()[sent0:]
    res.check(not got, f"requests reached the untrusted host: {got}")
    res.check(DEFAULT_TID.encode() not in bad.relay.to_host,
              "the terminal's ID crossed the wire in clear")
    lines = rig.untrusted_lines()[lines0:]
    reason = TLS_FAULTS[fault].reason
    res.check(len(lines) == 1 and re.search(reason, lines[0]) is not None,
              f"log: want one 'not trusted' line matching {reason!r}, got {lines}")


def run_cell(rig: Rig, cell: Cell) -> CellResult:
    res = CellResult(cell)
    t0 = time.monotonic()
    try:
        _run(rig, cell, res)
    except Exception as e:  # a cell that cannot finish is a failed cell, with why
        res.ok = False
        res.problems.append(f"{type(e).__name__}: {e}")
        try:
            rig.ledger.clear_faults()
            rig.good_host()
            if not rig.host.up:
                rig.host.start()
            rig.to_menu()
        except Exception as e2:
            res.problems.append(f"rig not recovered: {e2}")
    if not res.ok:
        cleanup(rig, res)
    res.seconds = time.monotonic() - t0
    return res


def cleanup(rig: Rig, res: CellResult) -> None:
    """After a failed cell: leave no pending reversal behind for the next cell."""
    for _ in range(3):
        try:
            if not rig.dump()["reversal"]:
                return
            rig.recover()
        except Exception as e:
            res.problems.append(f"clean-up: {type(e).__name__}: {e}")
            return


def _approved_hold(rig: Rig, res: CellResult, fen: int) -> dict[str, Any]:
    """The set-up of the flows that need an original: an approved pre-auth of fen, back
    at the menu; its hold in the host's ledger."""
    text = rig.preauth(fen)
    res.check("交易成功" in text, f"set-up pre-auth not approved: {text}")
    rig.to_menu()
    hold = rig.hold(fen)
    assert hold is not None
    return hold


def _run(rig: Rig, cell: Cell, res: CellResult) -> None:
    exp = expect(cell)
    f = cell.fault
    rig.ledger.clear_faults()
    rig.to_menu()
    before = rig.dump()
    res.check(not before["reversal"], f"a reversal is pending before the cell: {before}")
    fen = rig.next_amount()
    voucher = None
    batch0 = rig.batch()

    # -- set-up and the faulted exchange
    pin_tries0 = rig.ledger.pin_state(APPROVE_PAN)
    res.check(pin_tries0 == (0, False), f"the card's PIN count before the cell: {pin_tries0}")
    if cell.flow == "preauth":
        pan = DECLINE_PANS[f[1:]] if f in PREAUTH_DECLINES else APPROVE_PAN
        arm(rig, f, "0100")
        text = rig.preauth(fen, pan)
    elif cell.flow == "wrong_pin":
        if f == "d75":  # two wrong PINs in a row already (another terminal, say)
            for _ in range(2):
                rig.ledger.pin_wrong(APPROVE_PAN, 3)
        arm(rig, f, "0100")
        text = rig.preauth(fen, pin=WRONG_PIN)
    elif cell.flow == "void":
        hold = _approved_hold(rig, res, fen)
        voucher = hold["voucher"]
        if f == "d12":
            other_terminal_voids(rig, fen, hold)
        if f == "d94":  # the host already has this F11 in this batch (e.g. restored flash)
            st = rig.dump()
            rig.ledger.add_txn(DEFAULT_TID, int(st["batch"]), f"{st['next_voucher']:06d}",
                               "0100", "200000", "void", fen, "05")
        arm(rig, f, "0100")
        if f == "d25":  # keyed in with an auth code the host never gave
            text = rig.void_keyed("ZZ9999", hold["host_date"], fen)
        elif f == "d64":  # keyed in with the wrong original amount
            text = rig.void_keyed(hold["auth_code"].strip(), hold["host_date"], fen + 1)
        else:
            text = rig.void_by_voucher(voucher)
    elif cell.flow in ("completion", "completion_void", "settlement"):
        hold = _approved_hold(rig, res, fen)
        voucher = hold["voucher"]
        if cell.flow != "completion":
            text = rig.completion(voucher, fen)
            res.check("交易成功" in text, f"set-up completion not approved: {text}")
            rig.to_menu()
            voucher = [c for c in rig.ledger.completions() if c["hold_id"] == hold["id"]][
                0]["voucher"]
        if f == "d94":
            st = rig.dump()
            rig.ledger.add_txn(DEFAULT_TID, int(st["batch"]), f"{st['next_voucher']:06d}",
                               "0200", "000000", "completion", fen, "05")
        if cell.flow == "settlement":
            arm(rig, f, "0500")
            text = rig.settle()
        else:
            arm(rig, f, "0200")
            text = rig.completion(voucher, fen) if cell.flow == "completion" else rig.cvoid(
                voucher)
    elif cell.flow == "reversal":
        rig.ledger.add_fault("no_answer", mti="0100", count=1)
        text = rig.preauth(fen)
        res.check("交易超时" in text, f"set-up pre-auth not left unanswered: {text}")
        rig.to_menu()
        arm(rig, f, "0400")
        text = rig.preauth(rig.next_amount())
    else:
        arm(rig, f, "0800")
        text = rig.sign_in()
    res.screen = text
    after_result(rig, f)

    # -- what the operator saw
    for want in exp.screen:
        res.check(flat(want) in flat(text), f"screen lacks {want!r}: {text!r}")
    for unwanted in exp.absent:
        res.check(flat(unwanted) not in flat(text), f"screen shows {unwanted!r}: {text!r}")
    rig.to_menu()
    if f in TLS:
        untrusted_checks(rig, f, res)
    title = re.sub(r" \d+/\d+$", "", rig.term.screen().lines[0])  # less its page (1/3)
    want_title = "有未完成冲正" if exp.reversal else "结算未完成" if exp.journal == "pending" \
        else "预授权终端"
    res.check(title == want_title, f"menu title {title!r}, want {want_title!r}")

    # -- journal, reversal, ledger right after the fault
    d = rig.dump()
    new = [r for r in d["journal"] if r["amount"] == fen]
    if cell.flow in ("completion", "completion_void"):
        kind = "PREAUTH" if cell.flow == "completion" else "COMPLETION"
        rec = next((r for r in new if r["kind"] == kind), None)
        res.check(rec is not None and rec["state"] == exp.journal,
                  f"journal {kind} of {fen} fen: {rec}, want {exp.journal}")
    elif cell.flow == "settlement":
        got = "pending" if d.get("settle_pending") else "none"
        res.check(got == exp.journal, f"settlement {got}, want {exp.journal}")
    elif cell.flow == "void" and f not in ("d25", "d64"):
        rec = new[0] if new else None
        res.check(rec is not None and rec["state"] == exp.journal,
                  f"journal record of voucher {voucher}: {rec}, want {exp.journal}")
    elif cell.flow == "void":
        res.check(bool(new) and new[0]["state"] == "OPEN", f"journal: {new}")
    else:
        got = new[0]["state"] if new else "none"
        res.check(got == exp.journal, f"journal: {got}, want {exp.journal}")
    rev = d["reversal"]
    got_reason = rev["reason"] if isinstance(rev, dict) else rev
    res.check(got_reason == exp.reversal, f"pending reversal: {rev}, want {exp.reversal}")
    if isinstance(rev, dict) and exp.reversal:
        res.check(rev["attempts"] == exp.attempts,
                  f"reversal attempts {rev['attempts']}, want {exp.attempts}")
        want_kind = cell.flow if cell.flow in ("void", "completion", "completion_void") \
            else "preauth"
        res.check(rev["kind"] == want_kind, f"reversal kind {rev['kind']}, want {want_kind}")
    res.check(d["need_signin"] == exp.need_signin,
              f"need_signin {d['need_signin']}, want {exp.need_signin}")
    if cell.flow == "settlement":
        res.check(rig.batch() - batch0 == exp.host,
                  f"host batch {rig.batch()}, want {batch0 + exp.host}")
    elif cell.flow != "signin":
        h = rig.hold(fen)
        got_h = h["state"] if h else None
        res.check(got_h == exp.host, f"host hold: {got_h}, want {exp.host}")

    if cell.flow == "wrong_pin":
        # the host counted the wrong PIN exactly when the request reached its PIN check:
        # not when nothing reached it, nor when its MAC failed there (host_A0, A0 first)
        reached = f not in ("host_down", "host_A0") + TLS
        want_tries = (3, True) if f == "d75" else (int(reached), False)
        got_tries = rig.ledger.pin_state(APPROVE_PAN)
        res.check(got_tries == want_tries, f"the card's PIN count {got_tries}, want "
                  f"{want_tries}")
        if f == "d75":
            rig.ledger.reset_pin_tries(APPROVE_PAN)  # admin pin reset, for the recovery

    # -- recovery, then the ledger against the terminal
    sent, text2 = rig.recover()
    res.check(tuple(sent) == exp.recovery, f"recovery sent {sent}, want {list(exp.recovery)}")
    res.check("交易成功" in text2, f"recovery pre-auth: {text2!r}")
    if cell.flow == "settlement":
        res.check(rig.batch() - batch0 == exp.final, f"host batch after recovery "
                  f"{rig.batch()}, want {batch0 + exp.final}")
        res.check(int(rig.dump()["batch"]) == rig.batch(), "terminal and host batches differ")
    elif cell.flow != "signin":
        h = rig.hold(fen)
        got_h = h["state"] if h else None
        res.check(got_h == exp.final, f"host hold after recovery: {got_h}, want {exp.final}")
    d = rig.dump()
    for p in consistency(rig.ledger, d):
        res.check(False, "inconsistent: " + p)
    got_tries = rig.ledger.pin_state(APPROVE_PAN)  # the right PIN of the recovery cleared it
    res.check(got_tries == (0, False), f"the card's PIN count after recovery: {got_tries}")


# ------------------------------------------------------------------------- campaign


def run_matrix(full: bool = True, workdir: Path | None = None,
               cells: list[Cell] | None = None, verbose: bool = True) -> dict[str, Any]:
    """Run the matrix (one rig per flow). Returns {"cells", "passed", "failures",
    "results", "seconds"}."""
    cells = cells if cells is not None else matrix(full)
    t0 = time.monotonic()
    results: list[CellResult] = []
    own = workdir is None
    base = Path(tempfile.mkdtemp(prefix="faults-")) if own else Path(workdir)  # type: ignore[arg-type]
    try:
        for flow in FLOWS:
            todo = [c for c in cells if c.flow == flow]
            if not todo:
                continue
            rig = Rig(base / flow)
            try:
                for c in todo:
                    r = run_cell(rig, c)
                    results.append(r)
                    if verbose:
                        mark = "ok  " if r.ok else "FAIL"
                        print(f"{mark} {c.id:24s} {r.seconds:5.1f}s "
                              + ("; ".join(r.problems)), flush=True)
            finally:
                rig.close()
            if results:  # data at rest and on paper after the whole flow
                found = at_rest_findings(rig)
                if found:
                    results[-1].problems.extend(found)
                    results[-1].ok = False
    finally:
        if own:
            shutil.rmtree(base, ignore_errors=True)
    failures = [{"cell": r.cell.id, "problems": r.problems, "screen": r.screen}
                for r in results if not r.ok]
    return {"cells": len(results), "passed": sum(r.ok for r in results),
            "failures": failures, "results": results, "seconds": time.monotonic() - t0}


def at_rest_findings(rig: Rig) -> list[str]:
    """No PAN, password or clear key in the terminal's flash; receipts masked."""
    db = rig.host.db
    pans = atrest.ledger_pans(db)
    image = (rig.term.dir / "flash.img").read_bytes()
    found = atrest.check_image(image, pans, atrest.flash_secrets(db))
    found += atrest.check_texts([r.text for r in rig.term.receipts()], pans,
                                allow=("898310048990001",))
    return ["at rest: " + f for f in found]


def table(results: list[CellResult]) -> str:
    """Flows as rows, faults as columns: ok / FAIL / - (not applicable or not run)."""
    got = {(r.cell.flow, r.cell.fault): r for r in results}
    faults = [f for f in FAULTS if any(k[1] == f for k in got)]
    lines = ["flow            " + " ".join(f"{f[:13]:>13s}" for f in faults)]
    for flow in FLOWS:
        row = []
        for f in faults:
            r = got.get((flow, f))
            row.append("-" if r is None else ("ok" if r.ok else "FAIL"))
        lines.append(f"{flow:15s} " + " ".join(f"{x:>13s}" for x in row))
    return "\n".join(lines)


def main(full: bool = False) -> dict[str, Any]:
    out = run_matrix(full)
    print()
    print(table(out["results"]))
    print(f"\n{out['passed']}/{out['cells']} cells passed in {out['seconds']:.0f} s")
    for fl in out["failures"]:
        print(f"FAIL {fl['cell']}: " + "; ".join(fl["problems"]))
    return out


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--full", action="store_true", help="every cell (default: the bounded set)")
    ap.add_argument("--only", help="comma-separated cell ids (flow-fault) to run")
    a = ap.parse_args()
    if a.only:
        want = set(a.only.split(","))
        res = run_matrix(cells=[c for c in matrix(True) if c.id in want])
        print(table(res["results"]))
    else:
        res = main(a.full)
    sys.exit(0 if not res["failures"] else 1)
