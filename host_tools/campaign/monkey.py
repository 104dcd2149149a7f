"""Keypad monkey: thousands of random key events and card swipes into the real terminal
(firmware/main.py on the simulator board, SimTerminal) against the host simulator.

Before the monkey starts, the supervisor password is changed (管理 → 修改主管密码, with the
default 123456) to a random 12-digit one the monkey never types, and a failed reversal is
planted on flash (only a supervisor can clear it). Then, in batches of random events
(digits, ENTER, CANCEL, CLEAR, UP, DOWN, FUNC, letters, swipes of valid and invalid
track 2), the terminal must after every batch answer a ping and get back to the main menu
with a few CANCELs. At the end:

- no supervisor's action happened without the password: the host saw no void (0100 with
  F3 200000), no completion void (0200 with F3 200000) and no settlement (0500), and holds
  no voided hold; on flash the password record (salt + hash), the language and the failed
  reversal are what they were; no screen the monkey saw was past a supervisor check (the
  管理 menu, anything of a void, a completion void or a settlement after the password);
- the screens seen and every receipt printed show card numbers masked (atrest.check_texts),
  and the flash image holds no PAN, password or clear key (atrest.check_image);
- every PIN screen seen (its prompt, or the refusal of a short PIN, under the title) shows
  stars only on its PIN line, never a digit;
- no PIN typed at a PIN screen (the tour's, the phrases', each with the card it was typed
  for) and neither test card PIN (123456, 8888) is on flash in any of its forms
  (atrest.pin_forms: ASCII digits, PIN field, clear block, field 52 under the last PIK),
  on a slip, a screen or in the terminal's log. A PIN that is also digits a masked card
  number shows (8888 is its card's last 4) is searched without its digits. Digits the
  random keys happen to type at a PIN screen are not tracked (keys typed while the
  terminal is busy are dropped, so which reached the screen is not known): their screens
  are checked for stars, and the forms of runs no one recorded are not searched.

Pre-auths and completions by the monkey are allowed (any operator may take them). The
pre-auth phrase swipes a card; for a valid one it waits up to 5 s for the PIN screen and
types the card's PIN (60 %), a wrong 8-12-digit one (the host answers 55, or 75 after
three), or none (ENTER alone), and records it.

Coverage. Where random keys get to depends on timing: the terminal discards keys typed
while it is busy (a host exchange's countdown), so the same seed reaches different screens
from run to run. What the monkey saw (``titles``, ``screen_kinds``, ``kinds``) is a figure,
not a claim. The claims are the tour's (``tour()``): before the password change, the
terminal is walked, one key at a time with a wait for each screen, through the menu's
entries: the pre-auth to its amount, to 请刷卡或输卡号 and, with the test card swiped, to
the PIN screen, where it types TOUR_PIN a digit at a time (a star each) and CANCELs
(nothing is sent before the summary), the completion (预授权完成) to
its voucher prompt, the query, the reprint, and each supervisor entry (预授权撤销,
完成撤销, 结算, 管理) to 请输入主管密码, the first two with a wrong guess and its refusal;
CANCEL back to the menu after each. It waits on no host exchange, so it sees the same
screens every run (``tour_titles``, ``tour_kinds``). Its screens go through the same checks
as the monkey's (supervisor screens, masked card numbers). Three wrong guesses would lock
the supervisor for five minutes (app/supervisor.py), so the tour stops guessing with one
try left, and the set-up's correct password (管理 → 修改主管密码) then clears the count: the
random part starts as it did without the tour. Timing-free claims besides the tour's: the
findings, the events sent, every batch back to the menu, no restart. How many PIN screens
the random part reached and how many PINs it typed (``pin_screens``, ``pins_typed``,
``pin_screen_not_reached``) are figures.

``main(full=False)`` ~800 events (make test), ``main(full=True)`` 10,000; returns a dict of
figures, ``findings`` empty when clean.
"""

from __future__ import annotations

import json
import random
import re
import shutil
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from host_tools import keypad, runtime
from host_tools.campaign import atrest
from host_tools.hostsim.cards import TEST_CARDS, card_pin
from host_tools.hostsim.process import running_hostsim
from host_tools.runtime import ROOT
from host_tools.screen import Screen
from host_tools.simctl import ControlError, SimTerminal, TerminalDied

MENU = re.compile(r"1\.预授权|1\.Pre-auth")
# The supervisor's entries (their screen titles), and what may show under them before
# the password is accepted: its prompt, the refusal, the lock.
SUPERVISOR_TITLES = ("预授权撤销", "完成撤销", "结算", "管理", "Pre-auth void", "Compl. void",
                     "Settlement", "Admin")
BEFORE_PASSWORD = re.compile(r"请输入主管密码|密码错误|主管功能已锁定|分钟后再试|Supervisor pwd|"
                             r"Wrong password|locked|Retry in")
# The screens of 管理's own entries (app/admin.py): only ever past the password. (In
# English, 修改主管密码's title is "Supervisor pwd", the same words as the prompt.)
BEHIND_ADMIN = ("修改主管密码", "终端信息", "冲正记录", "Supervisor pwd", "Terminal info",
                "Reversal")
PAGE = re.compile(r" \d+/\d+$")  # a menu title's page (管理 1/2)
DEFAULT_PASSWORD = "123456"
KEYS = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "ENTER", "CANCEL", "CLEAR", "UP",
        "DOWN", "FUNC"]
WEIGHTS = [5, 6, 5, 5, 4, 4, 4, 4, 4, 4, 12, 3, 4, 3, 3, 2]
LETTERS = [chr(c) for c in range(ord("A"), ord("Z") + 1)]

# Plants a failed reversal on the terminal's flash (POS_SIM_DIR), then prints what the
# monkey must not change: password record, language, failed reversals.
SNAPSHOT = r"""
import json, os, sys
import board, config, flashimg
from journal import record
flashimg.mount(board.FLASH_IMAGE, board.DATA_DIR)
cfg = config.load(board.CONFIG_PATH)
if sys.argv[-1] == "plant":
    from journal.pan import Keys
    from journal.reversal import PendingReversal
    rv = PendingReversal(board.DATA_DIR + "/reversal", Keys(bytes.fromhex(cfg["tmk"])))
    if rv.load() is None:
        rv.store("0100", {2: "6222020000000000000", 3: "030000", 4: "000000000777",
                          11: "999990", 25: "06", 41: cfg["tid"], 42: cfg["mid"],
                          49: "156", 60: "1000000100020"}, kind="preauth")
        rv.flag()
sup = record.read(board.DATA_DIR + "/supervisor") or {}
st = record.read(board.DATA_DIR + "/state") or {}
failed = sorted(n[0] for n in os.ilistdir(board.DATA_DIR) if n[0].startswith("reversal.f"))
print(json.dumps({"salt": sup.get("salt"), "hash": sup.get("hash"),
                  "language": st.get("language"), "failed": failed}))
"""


def flash_snapshot(sim_dir: Path, plant: bool = False) -> dict:
    """Run SNAPSHOT on the (stopped) terminal's flash."""
    script = sim_dir / "snapshot.py"
    script.write_text(SNAPSHOT)
    proc = runtime.run(script, "plant" if plant else "read", sim_dir=sim_dir, timeout=60,
                       extra_path=[runtime.MP_DIR])
    if proc.returncode != 0:
        raise RuntimeError(f"flash snapshot failed: {proc.stderr[-1500:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def to_menu(term: SimTerminal, patience: float = 25.0) -> bool:
    """CANCEL until the main menu shows; waits out a host exchange (its countdown cannot
    be cancelled) and a print. False if the menu did not come back within patience."""
    deadline = time.monotonic() + patience
    while time.monotonic() < deadline:
        s = term.screen()
        if MENU.search(s.text):
            return True
        term.press("CANCEL")
        s = term.wait_screen(s.seq, 0.6)
        if MENU.search(s.text):
            return True
    return bool(MENU.search(term.screen().text))


def change_password(term: SimTerminal, new: str, old: str = DEFAULT_PASSWORD) -> None:
    """管理 → 修改主管密码, as a supervisor would, then back to the menu."""
    keypad.change_password(term, new, old, menu=MENU)
    if not to_menu(term):
        raise RuntimeError("no menu after the password change")


def past_supervisor(s: Screen) -> bool:
    """A screen behind a supervisor check: a supervisor entry's screen that is not its
    password prompt, refusal or lock (those say so on the line under the title), or a
    screen of 管理's own entries."""
    if not s.lines or len(s.lines) < 2:
        return False
    title = PAGE.sub("", s.lines[0])
    if title in BEHIND_ADMIN:
        return True
    return title in SUPERVISOR_TITLES and not BEFORE_PASSWORD.search(s.lines[1])


PROMPT = re.compile(r"请输入主管密码|Supervisor pwd|主管功能已锁定|Sup\. pwd locked")
REFUSED = re.compile(r"密码错误|Wrong password")
TRIES_LEFT = re.compile(r"还可尝试(\d+)次|(\d+) tries? left")
# The tour's wrong guesses: shorter than the monkey's 12-digit password, never the default.
TOUR_GUESSES = ("0000", "98765")
# The PIN screen (ui/entry.py pin): its prompt, or the refusal of a short PIN, on the line
# under the title; the amount; then one star a digit typed ("_" for none).
PIN_LINES = (keypad.PIN_PROMPT, "密码须4-12位", "Cardholder PIN", "PIN: 4-12 digits")
PIN_LINE = re.compile(r"\*{1,12}|_")
TOUR_PIN = "258014"  # typed at the PIN screen by the tour, then CANCEL: never sent


def pin_screen(s: Screen) -> bool:
    return len(s.lines) > 1 and s.lines[1].strip() in PIN_LINES


def pin_screen_problem(s: Screen) -> str | None:
    """A PIN screen must show the digits typed as stars only: its PIN line (the fourth)
    stars or "_", and no digit on it."""
    line = s.lines[3].strip() if len(s.lines) > 3 else ""
    if not PIN_LINE.fullmatch(line):
        return f"PIN screen's PIN line is {line!r}, not stars: {s.text!r}"
    return None


def tour(term: SimTerminal, see: Callable[[Screen], None]) -> None:
    """The scripted walk (module docstring): one key or entry at a time, each followed by a
    wait for the screen it must bring; every screen waited for goes to see(). From and
    back to the main menu. Wrong password guesses only while more than one try is left,
    so the tour never locks the supervisor functions; if they are locked already (lock
    screen instead of the prompt), that screen is taken as the entry's and the tour goes
    on."""
    keys = keypad.KEYS

    def step(want: str | re.Pattern[str], *press: str) -> Screen:
        term.press(*press)
        s = term.wait_for(want, 15)
        see(s)
        return s

    def back() -> None:
        step(MENU, "CANCEL")

    see(term.wait_for(MENU, 30))
    # a pre-auth: the amount, the card prompt (nothing goes to the host before the card)
    step(re.compile(r"请输入金额|Amount"), keys["preauth"])
    step("1.23", "1", "2", "3")
    step(re.compile(r"请刷卡或输卡号|Swipe or key PAN"), "ENTER")
    # the card: the PIN screen (no request before the PIN), a star a digit, CANCEL
    term.swipe(keypad.APPROVE_PAN, keypad.EXPIRY)
    see(term.wait_for(keypad.PIN_PROMPT, 15))
    for i, digit in enumerate(TOUR_PIN):
        step(re.compile(rf"(?m)^ *\*{{{i + 1}}} *$"), digit)
    back()
    # the completion: how to find the pre-auth, then its voucher number's prompt
    step(re.compile(r"按凭证号|By voucher"), keys["completion"])
    step(re.compile(r"原凭证号|Orig\. voucher"), "1")
    back()
    step(re.compile(r"交易查询|Query"), keys["query"])
    back()
    step(re.compile(r"重打上笔|Last receipt"), keys["reprint"])
    back()
    guesses = list(TOUR_GUESSES)
    tries_left: int | None = None
    for entry in ("void", "cvoid", "settle", "admin"):
        s = step(PROMPT, keys[entry])
        if guesses and "锁定" not in s.text and "locked" not in s.text and (
                tries_left is None or tries_left > 1):
            s = step(REFUSED, *guesses.pop(0), "ENTER")
            m = TRIES_LEFT.search(s.text)
            tries_left = int(m.group(1) or m.group(2)) if m else 0
        back()


def luhn_pan(rng: random.Random, prefix: str = "622202") -> str:
    body = prefix + "".join(rng.choice("0123456789") for _ in range(rng.randint(7, 12)))
    for d in "0123456789":
        if atrest.luhn_ok(body + d):
            return body + d
    raise AssertionError


def random_track2(rng: random.Random) -> tuple[str, str | None]:
    """(track 2, its PAN if it is a valid one)."""
    r = rng.random()
    if r < 0.55:
        pan = rng.choice(list(TEST_CARDS)[:3]) if r < 0.3 else rng.choice(list(TEST_CARDS))
        if r > 0.45:
            pan = luhn_pan(rng)
        exp = rng.choice(["2812", "2812", "3001", "2001", "2813"])
        return f"{pan}={exp}101{rng.randint(0, 99999):05d}", pan
    bad = rng.choice([
        "=", "6222021234567890128", "6222021234567890128=", "6222021234567890128=28",
        "6222021234567890129=2812101", "6222021234567890128=2899101", "1234=2812",
        "6222021234567890128=2812101" + "9" * 20, "ABCDEFG=1234", "6222021234567890128D2812",
        "62220212345678901281234=2812101", "%B6222021234567890128^TEST^2812?",
        "".join(rng.choice("0123456789=D") for _ in range(rng.randint(1, 40)))])
    return bad, None


def _digits(rng: random.Random, lo: int, hi: int) -> list[str]:
    return [rng.choice("0123456789") for _ in range(rng.randint(lo, hi))]


def phrase(rng: random.Random, password: str) -> list[tuple[str, object]]:
    """A plausible start of a flow (the monkey alone rarely gets far before the batch
    ends): a pre-auth, a keyed card, the query, a reprint, a void or 管理 attempt with a
    wrong password, a sign-in. Random events follow it as usual."""
    k = rng.randrange(10)
    if k <= 2:  # pre-auth: amount, card, confirm
        out: list[tuple[str, object]] = [("keys", ["1", *_digits(rng, 1, 7), "ENTER"])]
        if k == 2:  # keyed card
            pan = luhn_pan(rng) if rng.random() < 0.5 else rng.choice(list(TEST_CARDS))
            out.append(("keys", [*pan, "ENTER", *rng.choice(["2812", "3001", "2013"]),
                                 "ENTER", "ENTER"]))
        else:
            track2, pan = random_track2(rng)
            out.append(("swipe", (track2, pan)))
            if pan:  # a card: its PIN at the PIN screen (waited for), a wrong one, or none
                r = rng.random()
                right = TEST_PINS.get(pan, "")
                if r < 0.6 and right:
                    pin = right
                elif r < 0.85:  # long enough that its forms are not on flash by chance
                    pin = "".join(_digits(rng, 8, 12))
                else:
                    pin = ""
                out.append(("pin", pin))
            out.append(("keys", ["ENTER"]))
        return out
    keys = keypad.KEYS
    if k == 3:
        return [("keys", [keys["query"], *rng.choices(["UP", "DOWN", "ENTER"],
                                                       k=rng.randint(1, 6))])]
    if k == 4:
        return [("keys", [keys["reprint"], rng.choice(["1", "2", "3", "ENTER"]),
                          *_digits(rng, 0, 3), "ENTER"])]
    if k == 5:
        return [("keys", [keys["signin"]])]
    if k == 6:  # completion: by voucher or auth code (the latter in letters), an amount
        how = rng.choice(["1", "2", "3"])
        code = _digits(rng, 1, 6) if how == "1" else rng.choices(LETTERS + list("0123456789"),
                                                                 k=6)
        return [("keys", [keys["completion"], how, *code, "ENTER", *_digits(rng, 1, 6),
                          "ENTER"]), ("swipe", random_track2(rng)), ("keys", ["ENTER"])]
    guess = "".join(_digits(rng, 4, 12))
    while guess == password:
        guess = "".join(_digits(rng, 4, 12))
    entry = rng.choice(["void", "cvoid", "settle", "admin"])
    return [("keys", [keys[entry], *guess, "ENTER"])]


TEST_PINS = {pan: pin for pan in TEST_CARDS if (pin := card_pin(pan))}


def random_batch(rng: random.Random, n: int, password: str = "") -> list[tuple[str, object]]:
    """[("keys", [..]) | ("swipe", track2)] of about n events."""
    out: list[tuple[str, object]] = []
    keys: list[str] = []
    if rng.random() < 0.5:
        out += phrase(rng, password)
        n -= sum(len(w) if k == "keys" else 1 for k, w in out)  # type: ignore[arg-type]
    for _ in range(max(0, n)):
        r = rng.random()
        if r < 0.05:
            if keys:
                out.append(("keys", keys))
                keys = []
            out.append(("swipe", random_track2(rng)))
        elif r < 0.10:
            keys.append(rng.choice(LETTERS))
        else:
            keys.append(rng.choices(KEYS, WEIGHTS)[0])
        if len(keys) >= rng.randint(1, 12):
            out.append(("keys", keys))
            keys = []
    if keys:
        out.append(("keys", keys))
    return out


def _kind(text: str) -> str:
    """A screen's kind for coverage: the title plus its first line, digits blanked."""
    lines = text.splitlines()
    body = re.sub(r"[0-9*]+", "#", lines[1]) if len(lines) > 1 else ""
    return (lines[0] if lines else "") + " | " + body[:20]


def masked_digits(pans: set[str]) -> str:
    """The digits a masked card number shows (first 6, last 4) of each card, joined."""
    return " ".join(p[:6] + " " + p[-4:] for p in pans)


def host_voids(db: Path) -> tuple[int, int]:
    """Supervisor's requests the host saw (voids, completion voids, settlements) and the
    holds they left voided or completion-voided."""
    con = sqlite3.connect(str(db), timeout=10)
    try:
        sent = con.execute("SELECT COUNT(*) FROM messages WHERE direction = 'in' AND "
                           "(proc = '200000' OR mti = '0500')").fetchone()[0]
        voided = con.execute("SELECT COUNT(*) FROM holds WHERE state IN "
                             "('voided', 'completion_voided')").fetchone()[0]
    finally:
        con.close()
    return sent, voided


def run(folder: Path, events: int, seed: int, batch: tuple[int, int] = (20, 80)) -> dict:
    rng = random.Random(seed)
    password = "".join(rng.choice("0123456789") for _ in range(12))
    figures: Counter[str] = Counter()
    findings: list[str] = []
    titles: Counter[str] = Counter()
    kinds: set[str] = set()
    texts: list[str] = []
    tour_titles: Counter[str] = Counter()
    tour_kinds: set[str] = set()
    swiped: set[str] = set()
    pins: dict[str, str] = {TOUR_PIN: keypad.APPROVE_PAN}  # PIN typed -> the card's PAN
    last_pan = ""
    seen_seq = -1

    def see(s: Screen, toured: bool = False) -> None:
        """Record a screen (once per screen shown) and check it."""
        nonlocal seen_seq
        if s.seq == seen_seq:
            return
        seen_seq = s.seq
        texts.append(s.text)
        title, kind = (s.lines[0] if s.lines else ""), _kind(s.text)
        titles[title] += 1
        kinds.add(kind)
        if toured:
            tour_titles[title] += 1
            tour_kinds.add(kind)
        if past_supervisor(s):
            findings.append(f"monkey reached a supervisor screen: {s.text!r}")
        if pin_screen(s):
            figures["tour_pin_screens" if toured else "pin_screens"] += 1
            why = pin_screen_problem(s)
            if why:
                findings.append("monkey: " + why)

    t0 = time.monotonic()
    db = folder / "host.db"
    sim_dir = folder / "terminal"
    with running_hostsim(db) as (_proc, port):
        term = SimTerminal(sim_dir, config={"port": port, "response_timeout_s": 3,
                                            "connect_timeout_s": 3})
        term.start()
        try:
            keypad.at_menu(term, 30)
            t_tour = time.monotonic()
            tour(term, lambda s: see(s, toured=True))
            tour_s = time.monotonic() - t_tour
            change_password(term, password)  # the right password: clears the tour's fails
            term.stop()
            before = flash_snapshot(sim_dir, plant=True)
            term.start()
            keypad.at_menu(term, 30)
            setup_s = time.monotonic() - t0 - tour_s
            t1 = time.monotonic()
            done = 0
            while done < events:
                n = min(events - done, rng.randint(*batch))
                for kind, what in random_batch(rng, n, password):
                    try:
                        if kind == "keys":
                            assert isinstance(what, list)
                            term.press(*what, timeout=30)
                            figures["keys"] += len(what)
                        elif kind == "pin":  # the phrase's PIN, if its screen comes
                            assert isinstance(what, str)
                            try:
                                see(term.wait_for(keypad.PIN_PROMPT, 5))
                            except (TimeoutError, AssertionError):  # wait_for's
                                figures["pin_screen_not_reached"] += 1
                            else:
                                term.press(*what, "ENTER")
                                figures["pins_typed" if what else "pins_none"] += 1
                                if what:
                                    pins[what] = last_pan
                        else:
                            track2, pan = what  # type: ignore[misc]
                            term.swipe_track2(track2)
                            figures["swipes_valid" if pan else "swipes_invalid"] += 1
                            if pan:
                                swiped.add(pan)
                                last_pan = pan
                        s = term.screen()
                    except (TerminalDied, TimeoutError, ControlError) as e:
                        findings.append(f"monkey: terminal stopped taking input: {e!r}")
                        raise
                    see(s)
                done = figures["keys"] + figures["swipes_valid"] + figures["swipes_invalid"]
                figures["batches"] += 1
                term.ping()
                if not to_menu(term):
                    s = term.screen()
                    findings.append(f"monkey: no way back to the menu from {s.text!r}")
                    term.restart(hard=True)
                    keypad.at_menu(term, 30)
                    figures["restarts"] += 1
                else:
                    figures["back_to_menu"] += 1
            monkey_s = time.monotonic() - t1
            texts.append(term.screen().text)
        finally:
            term.stop()
        after = flash_snapshot(sim_dir)
        receipts = [r.text for r in term.receipts()]
        log = term.log_text()
    for key, what in (("salt", "password record"), ("hash", "password hash"),
                      ("language", "language"), ("failed", "failed reversals")):
        if before[key] != after[key]:
            findings.append(f"monkey changed the {what}: {before[key]!r} -> {after[key]!r}")
    sent, voided = host_voids(db)
    if sent or voided:
        findings.append(f"monkey acted without the password: {sent} void or settlement "
                        f"requests, {voided} voided holds")
    if "flow error" in log:
        findings += [f"monkey: {line[:200]}" for line in log.splitlines()
                     if "flow error" in line][:5]
    pans = atrest.ledger_pans(db) | swiped
    # the PINs typed at a PIN screen (tour, phrases) and the test cards' own, always
    for pan, pin in TEST_PINS.items():
        pins.setdefault(pin, pan)
    keys = atrest.flash_secrets(db)
    pik = keys[1] if len(keys) > 1 else None
    pin_forms, text_pins = [], []
    for pin, pan in pins.items():
        forms = atrest.pin_forms(pin, pan, pik)
        if pin in masked_digits(pans):
            # the card's shown digits (the 8888 card's last 4 is its PIN): on flash and on
            # slips legitimately, as the masked card number; the PIN's other forms are not
            forms = forms[1:]
        else:
            text_pins.append(pin)
        pin_forms += forms
    findings += ["monkey screens/receipts: " + f for f in
                 atrest.check_texts(texts + receipts, pans, allow=("898310048990001",),
                                    pins=text_pins)]
    findings += ["monkey log: " + f for f in atrest.check_texts([log], [], pins=text_pins)]
    image = (sim_dir / "flash.img").read_bytes()
    secrets: list[str | bytes] = [password, *keys]
    findings += ["monkey flash: " + f for f in atrest.check_image(image, pans,
                                                                  secrets + pin_forms)]
    con = sqlite3.connect(str(db))
    try:
        holds = Counter(r[0] for r in con.execute("SELECT state FROM holds"))
        requests = Counter(f"{r[0]}/{r[1]}" for r in con.execute(
            "SELECT mti, proc FROM messages WHERE direction = 'in'"))
    finally:
        con.close()
    return {
        "events": figures["keys"] + figures["swipes_valid"] + figures["swipes_invalid"],
        **dict(figures), "seconds": round(time.monotonic() - t0, 1),
        "setup_seconds": round(setup_s, 1), "tour_seconds": round(tour_s, 1),
        "monkey_seconds": round(monkey_s, 1),
        "screens_seen": len(texts), "titles": dict(titles.most_common()),
        "screen_kinds": len(kinds), "kinds": sorted(kinds),
        "tour_titles": dict(tour_titles.most_common()), "tour_kinds": sorted(tour_kinds),
        "receipts": len(receipts), "host_holds": dict(holds), "host_requests": dict(requests),
        "pans_checked": len(pans), "pins_checked": sorted(len(p) for p in pins),
        "findings": findings,
    }


def main(full: bool = False, seed: int = 2024, events: int | None = None,
         keep: Path | None = None) -> dict:
    n = events or (10_000 if full else 800)
    base = ROOT / ".sim"
    base.mkdir(exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="monkey-", dir=base))
    try:
        res = run(folder, n, seed)
    finally:
        if keep is None:
            shutil.rmtree(folder, ignore_errors=True)
        else:
            shutil.move(str(folder), str(keep))
    res["full"] = full
    return res


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--full", action="store_true")
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("--events", type=int)
    a = ap.parse_args()
    r = main(a.full, a.seed, a.events)
    json.dump(r, sys.stdout, indent=1, ensure_ascii=False)
    print()
    sys.exit(1 if r["findings"] else 0)
