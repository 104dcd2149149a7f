"""The host simulator's SQLite ledger: terminals, keys, batches, holds, the voucher register,
completions, reversals, the cards' wrong-PIN counts, faults and a message log.

One ``Ledger`` per process; the server, the admin CLI and tests may open the same file at
once (WAL mode, busy timeout). Every method commits before it returns, so a fault added by
another process is seen by the server on the next message.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_TID = "TERM0001"
DEFAULT_MID = "898310048990001"
DEFAULT_TMK = "0123456789ABCDEFFEDCBA9876543210"

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS terminals(
    tid TEXT PRIMARY KEY, mid TEXT NOT NULL, tmk TEXT NOT NULL,
    pik TEXT, mak TEXT, batch INTEGER NOT NULL DEFAULT 1, signed_in_at TEXT);
CREATE TABLE IF NOT EXISTS holds(
    id INTEGER PRIMARY KEY, tid TEXT NOT NULL, mid TEXT NOT NULL, batch INTEGER NOT NULL,
    voucher TEXT NOT NULL, pan TEXT NOT NULL, expiry TEXT, amount INTEGER NOT NULL,
    auth_code TEXT NOT NULL, rrn TEXT NOT NULL, host_date TEXT NOT NULL,
    state TEXT NOT NULL, created TEXT NOT NULL, updated TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS completions(
    id INTEGER PRIMARY KEY, hold_id INTEGER NOT NULL, tid TEXT NOT NULL, batch INTEGER NOT NULL,
    voucher TEXT NOT NULL, pan TEXT NOT NULL, amount INTEGER NOT NULL, auth_code TEXT NOT NULL,
    rrn TEXT NOT NULL, host_date TEXT NOT NULL, state TEXT NOT NULL, created TEXT NOT NULL);
-- The voucher register: one row per financial request the host applied (approved or not),
-- unique per terminal + batch + F11. Reversals look their original up here.
CREATE TABLE IF NOT EXISTS txns(
    id INTEGER PRIMARY KEY, tid TEXT NOT NULL, batch INTEGER NOT NULL, voucher TEXT NOT NULL,
    mti TEXT NOT NULL, proc TEXT NOT NULL, kind TEXT NOT NULL, amount INTEGER, rc TEXT NOT NULL,
    hold_id INTEGER, completion_id INTEGER, reversed INTEGER NOT NULL DEFAULT 0,
    created TEXT NOT NULL, UNIQUE(tid, batch, voucher));
CREATE TABLE IF NOT EXISTS reversals(
    id INTEGER PRIMARY KEY, tid TEXT NOT NULL, batch INTEGER NOT NULL, voucher TEXT NOT NULL,
    proc TEXT, reason TEXT, txn_id INTEGER, outcome TEXT NOT NULL, rc TEXT NOT NULL,
    created TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS settlements(
    id INTEGER PRIMARY KEY, tid TEXT NOT NULL, batch INTEGER NOT NULL, terminal_f48 TEXT,
    host_f48 TEXT, flag TEXT NOT NULL, created TEXT NOT NULL);
-- Wrong PINs in a row per card (PAN), over all terminals; locked = the PIN is blocked (75)
-- until an operator resets it (admin pin reset). A card never given a wrong PIN has no row.
CREATE TABLE IF NOT EXISTS pin_tries(
    pan TEXT PRIMARY KEY, wrong INTEGER NOT NULL, locked INTEGER NOT NULL DEFAULT 0,
    updated TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS faults(
    id INTEGER PRIMARY KEY, kind TEXT NOT NULL, pan TEXT, amount INTEGER, mti TEXT,
    remaining INTEGER, delay REAL, created TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS messages(
    id INTEGER PRIMARY KEY, ts TEXT NOT NULL, direction TEXT NOT NULL, peer TEXT,
    tid TEXT, mti TEXT, proc TEXT, stan TEXT, amount TEXT, rc TEXT, note TEXT);
"""


def now() -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S")


@dataclass(frozen=True)
class Terminal:
    tid: str
    mid: str
    tmk: bytes
    pik: bytes | None
    mak: bytes | None
    batch: int

    @property
    def signed_in(self) -> bool:
        return self.mak is not None


@dataclass(frozen=True)
class Fault:
    id: int
    kind: str
    pan: str | None
    amount: int | None
    mti: str | None
    remaining: int | None
    delay: float | None


class Ledger:
    def __init__(self, path: str | Path) -> None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(str(path), timeout=10, check_same_thread=False)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA busy_timeout=10000")
        self.db.executescript(SCHEMA)
        self.db.commit()

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        with self.db:
            yield self.db

    def _one(self, sql: str, *args: Any) -> sqlite3.Row | None:
        return self.db.execute(sql, args).fetchone()

    def _all(self, sql: str, *args: Any) -> list[dict[str, Any]]:
        return [dict(r) for r in self.db.execute(sql, args).fetchall()]

    # -------------------------------------------------------------- terminals

    def add_terminal(self, tid: str, mid: str, tmk_hex: str, replace: bool = True) -> None:
        tmk = bytes.fromhex(tmk_hex)
        if len(tmk) != 16 or len(tid) != 8 or len(mid) != 15:
            raise ValueError("terminal needs TID of 8, MID of 15 characters and a 16-byte TMK")
        verb = "INSERT OR IGNORE" if not replace else "INSERT"
        tail = "" if not replace else (
            " ON CONFLICT(tid) DO UPDATE SET mid=excluded.mid, tmk=excluded.tmk"
        )
        with self.tx() as db:
            db.execute(
                f"{verb} INTO terminals(tid, mid, tmk) VALUES (?, ?, ?){tail}",
                (tid, mid, tmk.hex().upper()),
            )

    def seed_default(self) -> None:
        self.add_terminal(DEFAULT_TID, DEFAULT_MID, DEFAULT_TMK, replace=False)

    def terminal(self, tid: str) -> Terminal | None:
        r = self._one("SELECT * FROM terminals WHERE tid = ?", tid)
        if r is None:
            return None
        return Terminal(
            tid=r["tid"],
            mid=r["mid"],
            tmk=bytes.fromhex(r["tmk"]),
            pik=bytes.fromhex(r["pik"]) if r["pik"] else None,
            mak=bytes.fromhex(r["mak"]) if r["mak"] else None,
            batch=r["batch"],
        )

    def set_keys(self, tid: str, pik: bytes, mak: bytes) -> None:
        with self.tx() as db:
            db.execute(
                "UPDATE terminals SET pik = ?, mak = ?, signed_in_at = ? WHERE tid = ?",
                (pik.hex().upper(), mak.hex().upper(), now(), tid),
            )

    def advance_batch(self, tid: str) -> int:
        with self.tx() as db:
            db.execute(
                "UPDATE terminals SET batch = CASE WHEN batch >= 999999 THEN 1 ELSE batch + 1 END"
                " WHERE tid = ?",
                (tid,),
            )
        t = self.terminal(tid)
        return t.batch if t else 0

    def next_seq(self, key: str) -> int:
        with self.tx() as db:
            db.execute(
                "INSERT INTO meta(key, value) VALUES (?, 1)"
                " ON CONFLICT(key) DO UPDATE SET value = value + 1",
                (key,),
            )
            return db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()[0]

    # ------------------------------------------------------ voucher register

    def txn(self, tid: str, batch: int, voucher: str) -> sqlite3.Row | None:
        return self._one(
            "SELECT * FROM txns WHERE tid = ? AND batch = ? AND voucher = ?", tid, batch, voucher
        )

    def add_txn(
        self, tid: str, batch: int, voucher: str, mti: str, proc: str, kind: str,
        amount: int | None, rc: str, hold_id: int | None = None,
        completion_id: int | None = None,
    ) -> int:
        with self.tx() as db:
            cur = db.execute(
                "INSERT INTO txns(tid, batch, voucher, mti, proc, kind, amount, rc, hold_id,"
                " completion_id, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (tid, batch, voucher, mti, proc, kind, amount, rc, hold_id, completion_id, now()),
            )
            return int(cur.lastrowid or 0)

    def mark_txn_reversed(self, txn_id: int) -> None:
        with self.tx() as db:
            db.execute("UPDATE txns SET reversed = 1 WHERE id = ?", (txn_id,))

    # ------------------------------------------------------------------ holds

    def add_hold(
        self, tid: str, mid: str, batch: int, voucher: str, pan: str, expiry: str | None,
        amount: int, auth_code: str, rrn: str, host_date: str,
    ) -> int:
        with self.tx() as db:
            cur = db.execute(
                "INSERT INTO holds(tid, mid, batch, voucher, pan, expiry, amount, auth_code, rrn,"
                " host_date, state, created, updated)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', ?, ?)",
                (tid, mid, batch, voucher, pan, expiry, amount, auth_code, rrn, host_date,
                 now(), now()),
            )
            return int(cur.lastrowid or 0)

    def hold(self, hold_id: int) -> sqlite3.Row | None:
        return self._one("SELECT * FROM holds WHERE id = ?", hold_id)

    def hold_by_voucher(self, tid: str, batch: int, voucher: str) -> sqlite3.Row | None:
        return self._one(
            "SELECT * FROM holds WHERE tid = ? AND batch = ? AND voucher = ? ORDER BY id DESC",
            tid, batch, voucher,
        )

    def holds_keyed(self, mid: str, auth_code: str, pan: str, host_date: str) -> list[sqlite3.Row]:
        """Holds of this merchant with that auth code, PAN and host date, open ones first."""
        return self.db.execute(
            "SELECT * FROM holds WHERE mid = ? AND auth_code = ? AND pan = ? AND host_date = ?"
            " ORDER BY state = 'open' DESC, id DESC",
            (mid, auth_code, pan, host_date),
        ).fetchall()

    def set_hold_state(self, hold_id: int, state: str) -> None:
        with self.tx() as db:
            db.execute(
                "UPDATE holds SET state = ?, updated = ? WHERE id = ?", (state, now(), hold_id)
            )

    # ------------------------------------------------------------ completions

    def add_completion(
        self, hold_id: int, tid: str, batch: int, voucher: str, pan: str, amount: int,
        auth_code: str, rrn: str, host_date: str,
    ) -> int:
        with self.tx() as db:
            cur = db.execute(
                "INSERT INTO completions(hold_id, tid, batch, voucher, pan, amount, auth_code,"
                " rrn, host_date, state, created)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'standing', ?)",
                (hold_id, tid, batch, voucher, pan, amount, auth_code, rrn, host_date, now()),
            )
            return int(cur.lastrowid or 0)

    def completion(self, completion_id: int) -> sqlite3.Row | None:
        return self._one("SELECT * FROM completions WHERE id = ?", completion_id)

    def completion_by_voucher(self, tid: str, batch: int, voucher: str) -> sqlite3.Row | None:
        return self._one(
            "SELECT * FROM completions WHERE tid = ? AND batch = ? AND voucher = ?"
            " ORDER BY id DESC",
            tid, batch, voucher,
        )

    def completion_keyed(
        self, tid: str, rrn: str, auth_code: str, pan: str, host_date: str
    ) -> sqlite3.Row | None:
        return self._one(
            "SELECT * FROM completions WHERE tid = ? AND rrn = ? AND auth_code = ? AND pan = ?"
            " AND host_date = ? ORDER BY id DESC",
            tid, rrn, auth_code, pan, host_date,
        )

    def set_completion_state(self, completion_id: int, state: str) -> None:
        with self.tx() as db:
            db.execute("UPDATE completions SET state = ? WHERE id = ?", (state, completion_id))

    def batch_debits(self, tid: str, batch: int) -> tuple[int, int]:
        r = self._one(
            "SELECT COALESCE(SUM(amount), 0), COUNT(*) FROM completions"
            " WHERE tid = ? AND batch = ? AND state = 'standing'",
            tid, batch,
        )
        assert r is not None
        return int(r[0]), int(r[1])

    # ------------------------------------------------------ reversals, settlement

    def add_reversal(
        self, tid: str, batch: int, voucher: str, proc: str | None, reason: str | None,
        txn_id: int | None, outcome: str, rc: str,
    ) -> None:
        with self.tx() as db:
            db.execute(
                "INSERT INTO reversals(tid, batch, voucher, proc, reason, txn_id, outcome, rc,"
                " created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (tid, batch, voucher, proc, reason, txn_id, outcome, rc, now()),
            )

    def add_settlement(
        self, tid: str, batch: int, terminal_f48: str | None, host_f48: str, flag: str
    ) -> None:
        with self.tx() as db:
            db.execute(
                "INSERT INTO settlements(tid, batch, terminal_f48, host_f48, flag, created)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (tid, batch, terminal_f48, host_f48, flag, now()),
            )

    # ------------------------------------------------------------ PIN tries

    def pin_state(self, pan: str) -> tuple[int, bool]:
        """(wrong PINs in a row, locked) for a card."""
        r = self._one("SELECT wrong, locked FROM pin_tries WHERE pan = ?", pan)
        return (0, False) if r is None else (int(r["wrong"]), bool(r["locked"]))

    def pin_wrong(self, pan: str, limit: int) -> tuple[int, bool]:
        """Count one more wrong PIN for the card; the ``limit``-th in a row locks it.
        Returns the new (wrong, locked)."""
        with self.tx() as db:
            db.execute(
                "INSERT INTO pin_tries(pan, wrong, locked, updated) VALUES (?, 1, ?, ?)"
                " ON CONFLICT(pan) DO UPDATE SET wrong = wrong + 1,"
                " locked = (locked OR wrong + 1 >= ?), updated = excluded.updated",
                (pan, int(limit <= 1), now(), limit),
            )
        return self.pin_state(pan)

    def pin_right(self, pan: str) -> None:
        """A right PIN: the card's count of wrong PINs starts again (a locked card stays)."""
        with self.tx() as db:
            db.execute("DELETE FROM pin_tries WHERE pan = ? AND NOT locked", (pan,))

    def reset_pin_tries(self, pan: str | None = None) -> int:
        """Unlock and clear the wrong-PIN count of one card, or of every card; how many
        cards had one."""
        with self.tx() as db:
            if pan is None:
                cur = db.execute("DELETE FROM pin_tries")
            else:
                cur = db.execute("DELETE FROM pin_tries WHERE pan = ?", (pan,))
            return cur.rowcount

    def pin_tries(self) -> list[dict[str, Any]]:
        return self._all("SELECT * FROM pin_tries ORDER BY pan")

    # ----------------------------------------------------------------- faults

    def add_fault(
        self, kind: str, pan: str | None = None, amount: int | None = None,
        mti: str | None = None, count: int | None = None, delay: float | None = None,
    ) -> int:
        with self.tx() as db:
            cur = db.execute(
                "INSERT INTO faults(kind, pan, amount, mti, remaining, delay, created)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (kind, pan, amount, mti, count, delay, now()),
            )
            return int(cur.lastrowid or 0)

    def clear_faults(self) -> None:
        with self.tx() as db:
            db.execute("DELETE FROM faults")

    def faults(self) -> list[dict[str, Any]]:
        return self._all("SELECT * FROM faults ORDER BY id")

    def take_fault(self, mti: str, pan: str | None, amount: int | None) -> Fault | None:
        """The first live fault matching this message; a counted fault is used up by one."""
        with self.tx() as db:
            r = db.execute(
                "SELECT * FROM faults WHERE (remaining IS NULL OR remaining > 0)"
                " AND (mti IS NULL OR mti = ?) AND (pan IS NULL OR pan = ?)"
                " AND (amount IS NULL OR amount = ?) ORDER BY id LIMIT 1",
                (mti, pan, amount),
            ).fetchone()
            if r is None:
                return None
            if r["remaining"] is not None:
                db.execute("UPDATE faults SET remaining = remaining - 1 WHERE id = ?", (r["id"],))
        return Fault(r["id"], r["kind"], r["pan"], r["amount"], r["mti"], r["remaining"],
                     r["delay"])

    # --------------------------------------------------------------- messages

    def log_message(self, direction: str, peer: str, **cols: str | None) -> None:
        keys = ("tid", "mti", "proc", "stan", "amount", "rc", "note")
        with self.tx() as db:
            db.execute(
                "INSERT INTO messages(ts, direction, peer, tid, mti, proc, stan, amount, rc, note)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (now(), direction, peer, *(cols.get(k) for k in keys)),
            )

    # ----------------------------------------------------------------- views

    def holds(self) -> list[dict[str, Any]]:
        return self._all("SELECT * FROM holds ORDER BY id")

    def completions(self) -> list[dict[str, Any]]:
        return self._all("SELECT * FROM completions ORDER BY id")

    def reversals(self) -> list[dict[str, Any]]:
        return self._all("SELECT * FROM reversals ORDER BY id")

    def settlements(self) -> list[dict[str, Any]]:
        return self._all("SELECT * FROM settlements ORDER BY id")

    def terminals(self) -> list[dict[str, Any]]:
        return self._all("SELECT * FROM terminals ORDER BY tid")

    def txns(self) -> list[dict[str, Any]]:
        return self._all("SELECT * FROM txns ORDER BY id")

    def messages(self, limit: int = 50) -> list[dict[str, Any]]:
        rows = self._all("SELECT * FROM messages ORDER BY id DESC LIMIT ?", limit)
        return rows[::-1]
