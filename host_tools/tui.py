"""The interactive view of `make run`: the terminal's display drawn with Unicode blocks,
the PC keyboard as its keypad, and the receipts as they print.

Plain termios + select + ANSI escapes (no curses): the keyboard is read raw, the display
is long-polled (wait_screen) in a thread, and the terminal settings are restored on any
exit. Receipts are saved to a folder as they print (NNNN.txt, numbered in printer order).
"""

from __future__ import annotations

import os
import select
import shutil
import signal
import sys
import termios
import threading
import time
import tty
import unicodedata
from pathlib import Path

from .escpos import Receipt
from .hostsim.cards import TEST_CARDS, card_pin
from .hostsim.process import HostProcess
from .screen import Screen, render_blocks
from .simctl import DEFAULT_CARD, ControlError, SimTerminal, TerminalDied

LEGEND = [
    "0-9 A-Z keys  Enter 确认  Backspace 清除 CLEAR  Esc/* 取消 CANCEL  ↑/↓ UP/DOWN",
    "Tab/F1/# FUNC  F2 swipe test card  F4 choose a test card  F3 paper out/in",
    "F5 power cut+reboot  F6 host down/up  Ctrl-C/F10 quit",
]
LEGEND_SHORT = "⏎确认 ⌫清除 Esc取消 ↑↓ Tab功能 F2刷卡 F4选卡 F3纸 F5断电 F6主机 F10退出"

# The cards F4 offers (and the script's card:RC): the approving card, then one card for
# each decline of the host simulator's test-card table (docs/host-simulator.md); the
# approving card has a PIN (123456), the declining ones none.
CARD_EXPIRY = DEFAULT_CARD[1]
CARDS: list[tuple[str, str, str]] = [(DEFAULT_CARD[0], "00", "approve")] + [
    (pan, rc, what) for pan, (rc, what) in TEST_CARDS.items() if rc != "00"]


def card_for(rc: str) -> tuple[str, str]:
    """(PAN, expiry) of the test card the simulator answers rc; KeyError if none."""
    for pan, code, _ in CARDS:
        if code == rc:
            return pan, CARD_EXPIRY
    raise KeyError(f"no test card answers {rc!r}; there are "
                   + " ".join(code for _, code, _ in CARDS))


def pin_note(pan: str) -> str:
    """What to type when the terminal asks for the card's PIN, in words."""
    pin = card_pin(pan)
    return f"PIN {pin}" if pin else "no PIN"


def host_switch(host: HostProcess | None, up: bool) -> str:
    """Start or stop the host simulator; what happened, in words."""
    if host is None:
        return "the host is external (--host): it cannot be taken down from here"
    if up == host.up:
        return f"the host is already {'up' if up else 'down'}"
    if up:
        host.start()
        return f"host up again on port {host.port}"
    host.stop()
    return "host down: connections are refused until it is up again"


def card_menu() -> str:
    """The prompt F4 shows: a digit picks a card (the view wraps it at its double
    spaces to the width it has)."""
    return f"F4: which test card? (1-{len(CARDS)}, Esc none)  " + "  ".join(
        f"{i} {rc} {what.split(' (')[0]}" + (f" PIN {card_pin(pan)}" if card_pin(pan) else "")
        for i, (pan, rc, what) in enumerate(CARDS, 1))

# Escape sequences (xterm, tmux/screen, the Linux console) → action names.
ESCAPES = {
    b"[A": "UP", b"OA": "UP", b"[B": "DOWN", b"OB": "DOWN",
    b"[3~": "CLEAR",  # Delete
    b"OP": "F1", b"[11~": "F1", b"[[A": "F1",
    b"OQ": "F2", b"[12~": "F2", b"[[B": "F2",
    b"OR": "F3", b"[13~": "F3", b"[[C": "F3",
    b"OS": "F4", b"[14~": "F4", b"[[D": "F4",
    b"[15~": "F5", b"[[E": "F5",
    b"[17~": "F6",
    b"[21~": "F10",
}
ACTIONS = {"F1": "FUNC", "F10": "QUIT"}  # function keys that are plain key presses
PLAIN = {
    b"\r": "ENTER", b"\n": "ENTER", b"\x7f": "CLEAR", b"\x08": "CLEAR", b"\t": "FUNC",
    b"#": "FUNC", b"*": "CANCEL", b"\x03": "QUIT", b"\x0c": "REDRAW",
}


def parse_keys(data: bytes, more: bool = False) -> tuple[list[str], bytes]:
    """Split raw keyboard bytes into key names / actions. Returns (keys, rest): `rest`
    is an unfinished escape sequence to be completed by the next read (unless `more` is
    False, when a lone ESC is the Esc key)."""
    out: list[str] = []
    i = 0
    while i < len(data):
        b = data[i : i + 1]
        if b == b"\x1b":
            j = i + 1
            if j >= len(data):
                if more:
                    return out, data[i:]
                out.append("CANCEL")  # a lone Esc
                i = j
                continue
            intro = data[j : j + 1]
            if intro not in (b"[", b"O"):
                out.append("CANCEL")  # Esc followed by another key
                i = j
                continue
            k = j + 1
            if intro == b"[" and data[k : k + 1] == b"[":
                k += 1  # the Linux console's ESC [ [ A for F1
            while k < len(data) and not 0x40 <= data[k] <= 0x7E:
                k += 1
            if k >= len(data):
                if more:
                    return out, data[i:]
                i = len(data)
                break
            seq = data[j : k + 1]
            name = ESCAPES.get(seq)
            if name:
                out.append(ACTIONS.get(name, name))
            i = k + 1
            continue
        if b in PLAIN:
            out.append(PLAIN[b])
        elif b.isdigit():
            out.append(b.decode())
        elif b.isalpha():
            out.append(b.decode().upper())
        i += 1
    return out, b""


def dwidth(s: str) -> int:
    """Columns `s` takes on a terminal (CJK full-width characters take two)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)


def fit(s: str, width: int) -> str:
    """`s` cut and padded to exactly `width` columns."""
    out, w = [], 0
    for c in s:
        cw = 2 if unicodedata.east_asian_width(c) in "WF" else 1
        if w + cw > width:
            break
        out.append(c)
        w += cw
    return "".join(out) + " " * (width - w)


def wrap(s: str, width: int) -> list[str]:
    """`s` on lines at most `width` columns wide, broken at its double spaces (between
    the items of a list, e.g. F4's cards), else at a space; a word too long is cut."""
    lines: list[str] = []
    for part in s.split("  "):
        words = part.split(" ") if dwidth(part) > width else [part]
        for j, word in enumerate(words):
            sep = " " if j else "  "
            if lines and dwidth(lines[-1] + sep + word) <= width:
                lines[-1] += sep + word
            else:
                lines.append(word)
    return lines or [""]


def save_receipts(receipts: list[Receipt], out_dir: Path) -> list[Path]:
    """Save each complete receipt as NNNN.txt (its place in printer.bin); returns the
    files that are new."""
    out_dir.mkdir(parents=True, exist_ok=True)
    new = []
    for n, r in enumerate(receipts, 1):
        path = out_dir / f"{n:04d}.txt"
        if r.complete and not path.exists():
            path.write_text(r.text)
            new.append(path)
    return new


def box(title: str, lines: list[str], width: int) -> list[str]:
    """Lines framed in a box `width` columns wide inside."""
    top = "┌─" + fit(title, width - 1).replace(" ", "─") + "┐" if title else "┌" + "─" * width + "┐"
    return [top] + ["│" + fit(s, width) + "│" for s in lines] + ["└" + "─" * width + "┘"]


class Tui:
    def __init__(self, term: SimTerminal, receipts_dir: Path, mode: str = "auto",
                 info: str = "", host: HostProcess | None = None) -> None:
        self.term = term
        self.host = host  # None: an external host, which F6 cannot take down
        self.choosing = False  # F4 was pressed: the next digit picks a test card
        self.receipts_dir = receipts_dir
        self.mode = mode
        self.info = info
        self.screen: Screen | None = None
        self.receipts: list[Receipt] = []
        self.printed = -1
        self.paper = True
        self.clock = ""
        self.message = "ready"
        self.quit = False
        self.changed = threading.Event()
        self.wake_r, self.wake_w = os.pipe()  # lets the watcher thread wake select()
        self.size = (0, 0)

    # -- the display watcher (a thread: a long-poll must not hold up the keyboard)

    def watch(self) -> None:
        seq = -1
        while not self.quit:
            try:
                s = self.term.wait_screen(seq, timeout=0.5)
            except (TerminalDied, TimeoutError, ControlError):
                time.sleep(0.2)
                continue
            if self.screen is None or s.seq != self.screen.seq or s.bitmap != self.screen.bitmap:
                self.screen = s
                try:
                    os.write(self.wake_w, b"x")
                except OSError:  # the view is closing
                    return
            seq = s.seq

    # -- actions

    def act(self, key: str) -> None:
        t = self.term
        try:
            if self.choosing:
                self.choosing = False
                if key.isdigit() and 1 <= int(key) <= len(CARDS):
                    pan, rc, what = CARDS[int(key) - 1]
                    t.swipe(pan, CARD_EXPIRY)
                    self.message = (f"swiped {pan} exp {CARD_EXPIRY}, {pin_note(pan)}: the host"
                                    f" answers {rc} ({what})")
                elif key.isdigit():
                    self.message = f"no card swiped: {key} is not one of 1-{len(CARDS)}"
                else:
                    self.message = "no card swiped"
            elif key == "QUIT":
                self.quit = True
            elif key == "REDRAW":
                self.size = (0, 0)
            elif key == "F2":
                t.swipe(*DEFAULT_CARD)
                self.message = (f"swiped {DEFAULT_CARD[0]} exp {DEFAULT_CARD[1]},"
                                f" {pin_note(DEFAULT_CARD[0])}")
            elif key == "F3":
                self.paper = not self.paper
                t.set_paper(self.paper)
                self.message = "paper loaded" if self.paper else "paper taken out"
            elif key == "F5":
                self.message = "power cut... "
                self.draw()
                t.kill()
                t.start()
                self.paper = t.paper_ok()
                self.screen = None
                self.message = "power cut; terminal rebooted"
            elif key == "F4":
                self.choosing = True
                self.message = card_menu()
            elif key == "F6":
                self.message = "host: ..."
                self.draw()
                self.message = host_switch(self.host, not (self.host and self.host.up))
                self.info = self.info.split(" · host down")[0] + (
                    "" if self.host is None or self.host.up else " · host down")
            else:
                t.press(key)
                self.message = f"key {key}"
        except (TerminalDied, TimeoutError, ControlError, RuntimeError) as e:
            self.message = f"{key}: {e}"

    def poll(self) -> None:
        """Once in a while: new receipts, the terminal's clock, whether it still runs."""
        size = self.term.printed_bytes()
        if size != self.printed:
            self.printed = size
            self.receipts = self.term.receipts()
            for p in save_receipts(self.receipts, self.receipts_dir):
                self.message = f"receipt saved: {p.relative_to(p.parents[2])}"
        if self.term.running:
            try:
                y, mo, d, h, mi, sec = self.term.clock()
                self.clock = f"{y:04d}-{mo:02d}-{d:02d} {h:02d}:{mi:02d}:{sec:02d}"
            except (TerminalDied, TimeoutError, ControlError):
                pass
        elif self.term.proc is not None:
            code = self.term.proc.poll()
            self.message = f"the terminal exited (code {code}); see terminal.log; F5 boots it"

    # -- drawing

    def frame(self, cols: int, rows: int) -> list[str]:
        mode = self.mode
        if mode == "auto":
            mode = "half" if cols >= 132 else "braille"
        s = self.screen
        disp = render_blocks(s.bitmap, mode).splitlines() if s else ["(booting...)"]
        inner = max(len(disp[0]), 64)
        left = box(f" display seq {s.seq if s else '-'} ", disp, inner)
        text = s.lines if s else []
        left += [" " + fit(x, inner) for x in text]
        status = f" paper {'OK' if self.paper else 'OUT'}   clock {self.clock}   {self.info}"
        tail = ["", status] + [" " + y for x in LEGEND for y in wrap(x, inner + 1)] + [""] + [
            " " + x for x in wrap(self.message, inner + 1)]
        if len(left) + len(tail) > rows:  # a small window (80x24): the short form
            tail = [f" paper {'OK' if self.paper else 'OUT'} {self.clock[5:]} | {self.message}",
                    " " + LEGEND_SHORT]
        left += tail
        rec_w = 32
        r = self.receipts[-1] if self.receipts else None
        title = f" receipt {len(self.receipts)}{'' if not r or r.complete else ' (printing)'} "
        rtext = r.text.rstrip("\n").split("\n") if r else ["(nothing printed yet)"]
        right = box(title, rtext, rec_w)
        left_w = inner + 2
        if cols >= left_w + 2 + rec_w + 2:
            out = []
            for i in range(max(len(left), len(right))):
                a = left[i] if i < len(left) else ""
                b = right[i] if i < len(right) else ""
                out.append(fit(a, left_w + 2) + b)
        else:
            out = left + right
        return [fit(x, cols) if dwidth(x) > cols else x for x in out[:rows]]

    def draw(self) -> None:
        cols, rows = shutil.get_terminal_size((80, 24))
        lines = self.frame(cols, rows)
        # Home, each line cleared to its end, then clear below: no flicker, no scroll.
        sys.stdout.write("\x1b[H" + "\r\n".join(x + "\x1b[K" for x in lines) + "\x1b[J")
        sys.stdout.flush()

    # -- the loop

    def run(self) -> None:
        fd = sys.stdin.fileno()
        saved = termios.tcgetattr(fd)
        old_term = signal.signal(signal.SIGTERM, lambda *a: sys.exit(143))
        watcher = threading.Thread(target=self.watch, daemon=True)
        try:
            tty.setraw(fd)
            sys.stdout.write("\x1b[?1049h\x1b[?25l\x1b[2J")  # alternate screen, no cursor
            self.paper = self.term.paper_ok()
            watcher.start()
            pending = b""
            next_poll = 0.0
            while not self.quit:
                now = time.monotonic()
                if now >= next_poll:
                    self.poll()
                    next_poll = now + 0.5
                ready, _, _ = select.select([fd, self.wake_r], [], [], 0.05 if pending else 0.5)
                if self.wake_r in ready:
                    os.read(self.wake_r, 1024)
                if fd in ready:
                    keys, pending = parse_keys(pending + os.read(fd, 1024), more=True)
                elif pending:  # nothing followed the Esc: it was the Esc key
                    keys, pending = parse_keys(pending, more=False)
                else:
                    keys = []
                for k in keys:
                    self.act(k)
                    if self.quit:
                        break
                self.draw()
        finally:
            self.quit = True
            termios.tcsetattr(fd, termios.TCSADRAIN, saved)
            signal.signal(signal.SIGTERM, old_term)
            sys.stdout.write("\x1b[?25h\x1b[?1049l")
            sys.stdout.flush()
            if watcher.is_alive():
                watcher.join(2.0)
            os.close(self.wake_r)
            os.close(self.wake_w)
