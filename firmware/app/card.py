# Getting the card: a swipe (track 2) or a keyed PAN (Luhn-checked) and expiry.
# A card is a dict {pan, expiry (YYMM), track2 (swipe only)}; it lives in RAM only.
from app.strings import t
from ui import entry


def luhn_ok(pan):
    total = 0
    for i, ch in enumerate(reversed(pan)):
        d = ord(ch) - 48
        if i & 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def pan_ok(pan):
    return 13 <= len(pan) <= 19 and pan.isdigit() and luhn_ok(pan)


def expiry_ok(yymm):
    return len(yymm) == 4 and yymm.isdigit() and 1 <= int(yymm[2:]) <= 12


def parse_track2(track2):
    """PAN=YYMM... (or D as separator) -> card dict, or None if it is not a track 2."""
    if not isinstance(track2, str) or len(track2) > 37:
        return None
    sep = track2.find("=")
    if sep < 0:
        sep = track2.find("D")
    if sep < 0:
        return None
    pan, rest = track2[:sep], track2[sep + 1 :]
    if not pan_ok(pan) or len(rest) < 4 or not expiry_ok(rest[:4]):
        return None
    for ch in rest:
        if not ("0" <= ch <= "9"):
            return None
    return {"pan": pan, "expiry": rest[:4], "track2": pan + "=" + rest}


async def read_card(scr, title, amount_line=None):
    """Wait for a swipe or a first digit of a keyed PAN. Returns a card dict or None."""
    lines = [t("card")]
    if amount_line:
        lines.append(amount_line)
    while True:
        scr.draw(title, lines)
        ev = await scr.key()
        if ev is None or ev == entry.CANCEL:
            return None
        if isinstance(ev, tuple) and ev[0] == "SWIPE":
            card = parse_track2(ev[1])
            if card:
                return card
            await entry.error(scr, title, [t("bad_swipe")], 3000)
        elif entry.is_digit(ev):
            return await _keyed(scr, title, ev)  # the first digit belongs to the PAN


async def _keyed(scr, title, first):
    while True:
        pan = await entry.digits(scr, title, t("pan"), 13, 19, initial=first)
        first = ""
        if pan is None:
            return None
        if pan_ok(pan):
            break
        await entry.error(scr, title, [t("bad_pan")], 3000)
    while True:
        exp = await entry.digits(scr, title, t("expiry"), 4, 4)
        if exp is None:
            return None
        if expiry_ok(exp):
            return {"pan": pan, "expiry": exp}
        await entry.error(scr, title, [t("bad_expiry")], 3000)
