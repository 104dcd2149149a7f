# The operator's input screens: menus, amounts, digits, masked passwords, the cardholder's
# PIN, multi-tap text, confirmations, messages and a countdown while waiting. Each returns
# None on CANCEL or when the operator leaves it idle (Screen.idle_ms): no screen traps
# anyone. An input refused (ENTER on an amount of 0, too few digits) is never silent: the
# screen says why on a line of its own (the PIN's: its first), and the buzzer sounds
# (beep); the next key goes on with the input.
# Their own words (prompts, refusals) are scr.words, the lookup the app gave the Screen.
import asyncio

from ui.screen import RIGHT, elapsed, ticks

ENTER = "ENTER"
CANCEL = "CANCEL"
CLEAR = "CLEAR"
UP = "UP"
DOWN = "DOWN"
FUNC = "FUNC"

MULTITAP = {"2": "ABC", "3": "DEF", "4": "GHI", "5": "JKL", "6": "MNO", "7": "PQRS",
            "8": "TUV", "9": "WXYZ"}
MULTITAP_COMMIT_MS = 1000  # a pause this long commits the letter being tapped

MAX_AMOUNT_FEN = 999999999  # 9,999,999.99 yuan

PIN_MIN = 4  # wire-format.md §8: a PIN of 4 to 12 digits
PIN_IDLE_MS = 60000  # a PIN screen left this long without a key: abandoned


def is_digit(ev):
    return isinstance(ev, str) and len(ev) == 1 and "0" <= ev <= "9"


def is_letter(ev):
    return isinstance(ev, str) and len(ev) == 1 and "A" <= ev <= "Z"


async def beep(scr):
    """The buzzer, on errors (a board without one: nothing, firmware/hardware.py)."""
    await scr.hw.beep()


def yuan(fen):
    """Fen as yuan with thousands separators: 123456789 -> '1,234,567.89'."""
    s = "%d" % (fen // 100)
    groups = []
    while len(s) > 3:
        groups.insert(0, s[-3:])
        s = s[:-3]
    groups.insert(0, s)
    return "%s.%02d" % (",".join(groups), fen % 100)


async def menu(scr, title, items):
    """Numbered items, three a page; a digit chooses, UP/DOWN turn pages, ENTER picks
    the first item of the page. More than one page: the title says which page of how
    many (预授权终端 1/3), so the operator knows there are more. Returns the item's
    index or None."""
    page = 0
    pages = (len(items) + 2) // 3
    while True:
        first = page * 3
        lines = ["%d.%s" % (i + 1, items[i]) for i in range(first, min(first + 3, len(items)))]
        scr.draw(title if pages == 1 else "%s %d/%d" % (title, page + 1, pages), lines)
        ev = await scr.key()
        if ev is None or ev == CANCEL:
            return None
        if ev == DOWN:
            page = (page + 1) % pages
        elif ev == UP:
            page = (page - 1) % pages
        elif ev == ENTER:
            return first
        elif is_digit(ev) and 1 <= int(ev) <= len(items):
            return int(ev) - 1


async def amount(scr, title, prompt=None):
    """An amount in fen, shown as yuan as it is typed. None if cancelled."""
    fen = 0
    why = ""
    while True:
        scr.draw(title, [prompt or scr.words("amount"), ("RMB " + yuan(fen), RIGHT), why])
        ev = await scr.key()
        why = ""
        if ev is None or ev == CANCEL:
            return None
        if ev == ENTER and not fen:
            why = scr.words("e_zero")
            await beep(scr)
        elif is_digit(ev):
            nxt = fen * 10 + int(ev)
            if nxt <= MAX_AMOUNT_FEN:
                fen = nxt
        elif ev == CLEAR:
            fen //= 10
        elif ev == ENTER:
            return fen


async def digits(scr, title, prompt, min_len, max_len, mask=False, hint="", initial=""):
    """A string of digits (min_len..max_len), optionally shown as '*'. hint: the last
    line (until a refused ENTER puts the reason there)."""
    buf = initial
    why = None
    while True:
        shown = "*" * len(buf) if mask else buf
        scr.draw(title, [prompt, (shown or "_", RIGHT), hint if why is None else why])
        ev = await scr.key()
        why = None
        if ev is None or ev == CANCEL:
            return None
        if is_digit(ev) and len(buf) < max_len:
            buf += ev
        elif ev == CLEAR:
            buf = buf[:-1]
        elif ev == ENTER:
            if len(buf) >= min_len:
                return buf
            why = scr.words("e_len" if min_len == max_len else "e_min_len") % min_len
            await beep(scr)


async def pin(scr, title, prompt, amount_line, buf):
    """The cardholder's PIN, up to len(buf) digits, each digit's code written straight
    into buf (no str of it is ever made); one '*' a digit on the screen, the amount above.
    CLEAR erases every digit; ENTER on none: the card has no PIN. Fewer than PIN_MIN, or
    a digit past len(buf): refused, with a beep (after a short PIN, all of it is typed
    again). Returns the number of digits, or None on CANCEL or when no key comes for
    PIN_IDLE_MS (or the screen's idle time, if shorter); buf is zero then."""
    n = 0
    why = None
    done = False
    try:
        while True:
            scr.draw(title, [prompt if why is None else why, (amount_line, RIGHT),
                             ("*" * n or "_", RIGHT)])
            ev = await scr.key(min(scr.idle_ms, PIN_IDLE_MS))
            why = None
            if ev is None or ev == CANCEL:
                return None
            if is_digit(ev):
                if n < len(buf):
                    buf[n] = ord(ev)
                    n += 1
                else:
                    why = scr.words("e_pin_len")
                    await beep(scr)
            elif ev == CLEAR:
                _zero(buf)
                n = 0
            elif ev == ENTER:
                if n == 0 or n >= PIN_MIN:
                    done = True
                    return n
                _zero(buf)
                n = 0
                why = scr.words("e_pin_len")
                await beep(scr)
    finally:
        if not done:
            _zero(buf)


def _zero(buf):
    for i in range(len(buf)):
        buf[i] = 0


async def text(scr, title, prompt, length):
    """Letters and digits (an authorization code): FUNC switches 123/ABC; in ABC mode a
    digit key taps through its letters as on a phone. A PC keyboard may type letters."""
    buf = ""
    letters = False
    tap_key = None
    tap_i = 0
    why = None  # the reason a refused ENTER gives, on the mode's line until the next key
    idle_since = ticks()
    while True:
        pending = MULTITAP[tap_key][tap_i] if tap_key else ""
        mode = scr.words("mode_abc") if letters else scr.words("mode_123")
        scr.draw(title, [prompt, ((buf + pending) or "_", RIGHT), why or mode])
        wait = MULTITAP_COMMIT_MS if tap_key else scr.idle_ms - elapsed(idle_since)
        ev = await scr.key(max(1, wait))
        if ev is None:
            if tap_key:  # the pause commits the tapped letter
                buf += pending
                tap_key = None
                continue
            return None
        idle_since = ticks()
        why = None
        if ev == CANCEL:
            return None
        if ev == CLEAR:
            if tap_key:
                tap_key = None
            else:
                buf = buf[:-1]
            continue
        if tap_key and ev != tap_key:
            buf += pending
            tap_key = None
        if ev == FUNC:
            letters = not letters
        elif ev == ENTER:
            if len(buf) == length:
                return buf
            why = scr.words("e_len") % length
            await beep(scr)
        elif is_letter(ev):
            if len(buf) < length:
                buf += ev
        elif is_digit(ev) and len(buf) < length:
            if letters and ev in MULTITAP:
                if tap_key == ev:
                    tap_i = (tap_i + 1) % len(MULTITAP[ev])
                else:
                    tap_key, tap_i = ev, 0
            elif not letters:
                buf += ev


async def confirm(scr, title, lines):
    """ENTER: True; CANCEL or idle: False. Other keys are ignored."""
    scr.draw(title, lines)
    while True:
        ev = await scr.key()
        if ev == ENTER:
            return True
        if ev is None or ev == CANCEL:
            return False


async def error(scr, title, lines, timeout_ms=0):
    """A message that says something went wrong or was refused: the buzzer, then the
    message."""
    await beep(scr)
    await message(scr, title, lines, timeout_ms)


async def message(scr, title, lines, timeout_ms=0):
    """Show a message until any key (or the timeout; None: until a key, however long).
    Long lines wrap; more than three lines scroll with UP/DOWN."""
    flat = []
    for line in lines:
        if isinstance(line, tuple) or not line:
            flat.append(line)  # aligned lines are short by construction
        else:
            flat.extend(scr.wrap(line))
    if len(flat) <= 3:
        scr.draw(title, flat)
        await scr.key(timeout_ms)
    else:
        await scroll(scr, title, flat)


async def scroll(scr, title, lines):
    """A long text three lines at a time; UP/DOWN scroll, ENTER returns True, others
    return False."""
    top = 0
    while True:
        scr.draw(title, lines[top : top + 3])
        ev = await scr.key()
        if ev == DOWN and top + 3 < len(lines):
            top += 1
        elif ev == UP and top > 0:
            top -= 1
        elif ev == ENTER:
            return True
        elif ev not in (UP, DOWN):
            return False


async def countdown(scr, title, what, seconds, coro):
    """Run coro while showing what is happening and the seconds left; returns its result.
    The countdown is the operator's only promise that the terminal has not hung. It
    cannot be cancelled (what it waits for is under way), so keys pressed meanwhile are
    discarded: none may answer the screen that follows (an outcome must be seen)."""
    done = asyncio.Event()
    box = [None, None]

    async def runner():
        try:
            box[0] = await coro
        except Exception as e:  # handed back to the caller below
            box[1] = e
        done.set()

    asyncio.create_task(runner())
    start = ticks()
    while not done.is_set():
        left = seconds - elapsed(start) // 1000
        scr.draw(title, [what, scr.words("seconds_left") % max(0, left)])
        try:
            await asyncio.wait_for_ms(done.wait(), 1000 - elapsed(start) % 1000)
        except asyncio.TimeoutError:
            pass
    scr.hw.keys.clear()
    if box[1] is not None:
        raise box[1]
    return box[0]
