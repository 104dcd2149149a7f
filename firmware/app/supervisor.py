# The supervisor password (主管密码): kept only as a salted, iterated SHA-256 hash; three
# wrong entries lock voids and administration for five minutes, and the lock survives a
# restart (it is on flash with the time it ends). authorize() asks for it on screen, for
# every flow behind it (the transactions that need it, settlement, administration).
import hashlib
import os
import time
from binascii import hexlify

from app.strings import t
from journal import record
from ui import entry

DEFAULT_PASSWORD = "123456"  # until changed in 管理 -> 修改主管密码 (docs/operating.md)
MAX_FAILS = 3
LOCK_S = 300
ROUNDS = 1000  # slows a brute force of a stolen flash image; ~ms on the ESP32's SHA unit


def _hash(salt, password):
    h = hashlib.sha256(salt + password.encode()).digest()
    for _ in range(ROUNDS):
        h = hashlib.sha256(h + salt).digest()
    return hexlify(h).decode()


def epoch(clock):
    y, mo, d, h, mi, s = clock.now()
    return time.mktime((y, mo, d, h, mi, s, 0, 0))


class Supervisor:
    def __init__(self, path, clock):
        self.path = path
        self.clock = clock
        rec = record.read(path) or {}
        self.salt = rec.get("salt")
        self.hash = rec.get("hash")
        self.fails = rec.get("fails", 0)
        self.locked_until = rec.get("locked_until", 0)
        if not self.hash:
            self._set(DEFAULT_PASSWORD)

    def _save(self):
        record.write(self.path, {"salt": self.salt, "hash": self.hash, "fails": self.fails,
                                 "locked_until": self.locked_until})

    def _set(self, password):
        salt = os.urandom(16)
        self.salt = hexlify(salt).decode()
        self.hash = _hash(salt, password)
        self._save()

    def locked_for(self):
        """Seconds the lock still holds; 0 when not locked."""
        if not self.locked_until:
            return 0
        left = self.locked_until - epoch(self.clock)
        if left <= 0:
            self.locked_until = 0
            self.fails = 0
            self._save()
            return 0
        if left > LOCK_S:  # the clock went back (e.g. lost at power-off): restart the lock
            self.locked_until = epoch(self.clock) + LOCK_S
            self._save()
            return LOCK_S
        return left

    def check(self, password):
        """True for the right password. Wrong ones count towards the lock (persisted
        before the answer is given, so pulling the plug does not reset the count)."""
        if self.locked_for():
            return False
        if _hash(bytes.fromhex(self.salt), password) == self.hash:
            if self.fails:
                self.fails = 0
                self._save()
            return True
        self.fails += 1
        if self.fails >= MAX_FAILS:
            self.locked_until = epoch(self.clock) + LOCK_S
        self._save()
        return False

    def tries_left(self):
        return max(0, MAX_FAILS - self.fails)

    def change(self, new_password):
        self.fails = 0
        self.locked_until = 0
        self._set(new_password)


def _tries_left_text(n):
    return t("pwd_left_1") if n == 1 else t("pwd_left") % n


async def authorize(app, title):
    """The supervisor password, with the lockout. A wrong one is asked again on the same
    screen, which says so and how many tries are left (the digits typed next are the
    new try, not a menu choice). True when the supervisor said yes."""
    sup, scr = app.supervisor, app.scr
    prompt, hint = t("sup_pwd"), ""
    while True:
        left = sup.locked_for()
        if left:
            await entry.error(scr, title, [t("locked"), t("locked_left") % ((left + 59) // 60)])
            return False
        pwd = await entry.digits(scr, title, prompt, 4, 12, mask=True, hint=hint)
        if pwd is None:
            return False
        if sup.check(pwd):
            return True
        app.hw.log("supervisor password refused; tries left", sup.tries_left())
        if sup.locked_for():
            await entry.error(scr, title, [t("pwd_wrong"), t("locked")], 5000)
            return False
        await entry.beep(scr)
        prompt, hint = t("pwd_wrong"), _tries_left_text(sup.tries_left())
