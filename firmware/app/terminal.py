# The terminal application: owns the pieces (screen, journal, reversal, settlement, state,
# the host session) and runs the main menu. Each menu entry is one flow module.
#
# Heap (docs/performance.md, host_tools/bench/heap.py): every module the terminal uses is
# imported here, once, at boot while the heap is still in one piece, and stays. Frozen
# into the image a module costs the heap only its function and class objects; importing
# and dropping flows per transaction would cost more in churn and fragmentation than it
# saves. What the exchange and the printer need in bulk is allocated once, below.
import sys

from app import admin, completion, cvoid, preauth, query, receipt, settle, strings, void
from app.online import Online
from app.strings import t
from app.supervisor import Supervisor
from codec import frame
from crypto.pinblock import PinBlock
from host.session import HostSession
from journal import format1, record
from journal.pan import Keys
from journal.txnlog import Journal, JournalError
from journal.reversal import PendingReversal
from journal.settlement import Settlement
from journal.state import VOUCHER_MAX, TerminalState
from ui import entry, paper
from ui.font import Font
from ui.screen import Screen


async def _sign_in(app):
    if await app.online.sign_in():
        await entry.message(app.scr, t("m_signin"),
                            [t("signin_ok"), t("batch") + app.state.batch_no], 5000)


# The main menu: (strings key, what it runs), in the operator's order (the pre-auth family
# first, then settlement, then the rest). A flow's key is its kind's MENU key (kinds.py;
# tests/device/test_kinds.py checks they agree), written out here because the simulator's
# tools read this list (host_tools/simctl.MAIN_MENU_KEYS, tests/host/test_run.py).
MENU = (
    ("m_preauth", preauth.run), ("m_void", void.run), ("m_completion", completion.run),
    ("m_cvoid", cvoid.run), ("m_settle", settle.run), ("m_query", query.run),
    ("m_reprint", query.reprint), ("m_signin", _sign_in), ("m_admin", admin.run),
)


class App:
    def __init__(self, hw, cfg, data_dir):
        self.hw = hw
        self.cfg = cfg
        self.data_dir = data_dir
        self.read_cap = "2" if hw.card_reader else "0"  # field 60.4
        self.scr = Screen(hw, Font(), words=t)
        self.state = TerminalState(data_dir + "/state")
        keys = Keys(bytes.fromhex(cfg["tmk"]))
        self.journal = Journal(data_dir + "/journal", keys, self.state.batch_no, log=hw.log)
        self.reversal = PendingReversal(data_dir + "/reversal", keys)
        self.settlement = Settlement(data_dir + "/settle")
        # One 2 KB work buffer, allocated now while the heap is still in one piece: the
        # host channel receives frames into it (codec.frame.MAX_FRAME) during an exchange,
        # the receipt builder lays out a slip in it afterwards. They take turns: a flow
        # never prints while an exchange is in flight, and nothing of a response is a
        # view of the buffer (the codec copies every field out).
        self.workbuf = bytearray(max(frame.MAX_FRAME, paper.BUF_SIZE))
        # The cardholder's PIN on its way to field 52: its buffers, made once (the keypad
        # writes the digits into one), zero between transactions (app/txn.py)
        self.pin = PinBlock()
        self.session = HostSession(cfg, self.state, hw.log, self.workbuf)
        self.online = Online(self)
        self.supervisor = Supervisor(data_dir + "/supervisor", hw.clock)
        strings.set_language(self.state.language or cfg["language"])

    def set_language(self, code):
        strings.set_language(code)
        self.state.language = code
        self.state.save()

    def remember_receipt(self, rec):
        """What 重打上笔 prints, once its merchant copy has printed: the record's batch
        and voucher number (a record of ~45 bytes, which littlefs rewrites without
        erasing a block); its slip is rebuilt from the journal."""
        record.write(self.data_dir + "/last_receipt",
                     {"batch": rec.batch, "voucher": int(rec.voucher)})

    def unprinted(self):
        """The newest transaction, if its merchant copy never printed (the power went,
        or the paper ran out): the last voucher number taken belongs to a record of the
        journal that last_receipt does not name. No extra flash write marks a slip
        printed (remember_receipt comes after it), and the journal is only looked at
        when last_receipt does not name the last voucher (a sign-in, a decline, or
        this). None if nothing is missing."""
        st = self.state
        v = st.next_voucher - 1 if st.next_voucher > 1 else VOUCHER_MAX
        try:
            d = record.read(self.data_dir + "/last_receipt")
            if d is not None and (d.get("batch"), d.get("voucher")) == (st.batch_no, v):
                return None
            rec = self.journal.find_voucher(v, st.batch_no)
            if rec is None or (d is not None and (d.get("batch"), d.get("slot")) == (
                    rec.batch, rec.slot)):  # (a last receipt the previous firmware wrote)
                return None
            return rec
        except (record.RecordError, JournalError, IndexError, KeyError, TypeError,
                AttributeError, ValueError) as e:
            self.hw.log("last receipt unreadable:", e)
            return None

    async def announce_unprinted(self, rec):
        """At boot: a transaction went through but its slip did not print. Say so, with
        the reprint one key away."""
        self.hw.log("unprinted receipt: batch", rec.batch, "voucher", rec.voucher)
        await entry.beep(self.scr)
        if await entry.confirm(self.scr, t("unprinted_title"),
                               [t("unprinted"), query.name(rec), t("print_yes_no")]):
            if await receipt.print_both(self, receipt.from_record(self, rec), reprint=True):
                self.remember_receipt(rec)

    def last_receipt(self):
        """The slip of the last transaction, or None (none, or unreadable: logged). The
        previous firmware kept a slip dict for a keyed void, or a kind with the place."""
        try:
            d = record.read(self.data_dir + "/last_receipt")
            if d is not None and "voucher" in d:
                rec = self.journal.find_voucher(d["voucher"], d["batch"])
                if rec is None:
                    raise JournalError("voucher %r of batch %r not in the journal"
                                       % (d["voucher"], d["batch"]))
                return receipt.from_record(self, rec)
            if d is None or "slot" not in d:  # none, or a keyed void's slip (older)
                return d
            rec = self.journal.get(d["slot"], d["batch"])
        except (record.RecordError, JournalError, IndexError, KeyError, TypeError,
                ValueError) as e:
            self.hw.log("last receipt unreadable:", e)
            return None
        if d.get("kind") == "void":  # the void inside a format-1 pre-auth (older)
            rec = format1.void_record(rec) or rec
        return receipt.from_record(self, rec)

    def reversal_waiting(self):
        """True when a reversal waits to be sent (or cannot be read)."""
        try:
            return self.reversal.waiting()
        except Exception:
            return True

    def menu_title(self):
        try:
            if self.settlement.pending() is not None:
                return t("settle_pending")
        except Exception:
            return t("settle_pending")
        if self.reversal_waiting():
            return t("rev_pending")
        try:
            if self.reversal.any_failed():
                return t("rev_flagged")
        except Exception:
            return t("rev_damaged")
        return t("app")

    async def boot(self):
        """Finish a settlement a power cut interrupted after its answer was recorded; sign
        in if the terminal must. A pending reversal stays pending until the next
        financial transaction (wire-format.md §5)."""
        settle.resume(self)
        if self.state.need_signin or self.session.mak is None:
            await self.online.sign_in()

    async def run(self):
        unprinted = self.unprinted()  # before a sign-in takes the next voucher number
        try:
            await self.boot()
        except Exception as e:  # e.g. out of memory: the menu still comes up, and the
            await self.report("boot sign-in error:", t("m_signin"), e)  # sign-in stays due
        if unprinted is not None:
            try:
                await self.announce_unprinted(unprinted)
            except Exception as e:
                await self.report("unprinted receipt:", t("m_reprint"), e)
        while True:
            choice = await entry.menu(self.scr, self.menu_title(), [t(k) for k, _ in MENU])
            if choice is None:
                continue
            try:
                await MENU[choice][1](self)
            except Exception as e:  # a bug must not brick the counter: log, say, go on
                await self.report("flow error:", t("declined"), e)

    async def report(self, what, title, e):
        """Log an unexpected error and show it. Never raises: when even that runs out of
        memory (the heap is nearly full when a MemoryError comes), the title alone."""
        try:
            self.hw.log(what, repr(e))
            sys.print_exception(e, sys.stderr)
            await entry.error(self.scr, title, [repr(e)[:40]], 10000)
        except Exception:  # MemoryError while reporting: what is left is the screen
            import gc

            gc.collect()
            try:
                self.scr.draw(title, ())
                await self.scr.key(10000)
            except Exception:
                pass
