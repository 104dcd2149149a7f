# The terminal application: owns the pieces (screen, journal, reversal, state) and runs
# the main menu. Each menu entry is one flow module.
#
# Heap (docs/performance.md, host_tools/bench/heap.py): the flows, the host stack (session,
# channel, codec, MAC), receipts and the supervisor are imported when a flow needs them
# and dropped from sys.modules when it ends, so only one flow's code is in RAM at a time
# (on the 64-bit unix port every module costs 2-13 KB of heap once loaded). What the App
# keeps between flows comes only from the modules imported here, which stay loaded: an
# object of a dropped module kept across flows would pin its code (and a re-import would
# bring a second copy of its classes).
import gc
import sys

from app import strings
from app.strings import t
from journal import record
from journal.pan import Keys
from journal.preauth import Journal, JournalError
from journal.reversal import PendingReversal
from journal.state import TerminalState
from ui import entry
from ui.font import Font
from ui.screen import Screen

MENU = ("m_preauth", "m_void", "m_query", "m_reprint", "m_signin", "m_admin")
FLOWS = ("preauth", "void", "query", "query", None, "admin")  # module of each menu entry


def drop_modules(keep):
    """Forget every module imported since `keep` (a set of sys.modules names) was taken,
    from sys.modules and from its package, so that the garbage collector frees its code."""
    for name in [n for n in sys.modules if n not in keep]:
        mod = sys.modules.pop(name)
        dot = name.rfind(".")
        parent = sys.modules.get(name[:dot]) if dot > 0 else None
        if parent is not None and getattr(parent, name[dot + 1 :], None) is mod:
            delattr(parent, name[dot + 1 :])
    gc.collect()


class App:
    def __init__(self, hw, cfg, data_dir):
        self.hw = hw
        self.cfg = cfg
        self.data_dir = data_dir
        self.read_cap = "2" if hw.card_reader else "0"  # field 60.4
        self.scr = Screen(hw, Font())
        self.state = TerminalState(data_dir + "/state")
        keys = Keys(bytes.fromhex(cfg["tmk"]))
        self.journal = Journal(data_dir + "/journal", keys, self.state.batch_no, log=hw.log)
        self.reversal = PendingReversal(data_dir + "/reversal", keys)
        self._session = self._online = self._supervisor = None  # per flow, see the top
        # The host channel's receive buffer (codec.frame.MAX_FRAME), allocated once, now,
        # while the heap is still in one piece; every flow's HostSession reads into it.
        self._netbuf = bytearray(2048)
        strings.set_language(self.state.language or cfg["language"])
        self._resident = set(sys.modules)  # what stays loaded between flows

    # Made on first use in a flow, forgotten (with their modules) when it ends.

    @property
    def session(self):
        """The host session (keys unwrapped from the state; sign-in, exchange)."""
        if self._session is None:
            from host.session import HostSession

            self._session = HostSession(self.cfg, self.state, self.hw.log, self._netbuf)
        return self._session

    @property
    def online(self):
        """Going online with the reversal discipline (app/online.py)."""
        if self._online is None:
            from app.online import Online

            self._online = Online(self)
        return self._online

    @property
    def supervisor(self):
        if self._supervisor is None:
            from app.supervisor import Supervisor

            self._supervisor = Supervisor(self.data_dir + "/supervisor", self.hw.clock)
        return self._supervisor

    def unload(self):
        """Drop what the flow has loaded so far; the next one starts from the resident
        modules. Flows call it mid-way too, once the exchange is over, so that the host
        stack is gone before receipts come in: code already running keeps its module
        (a function holds its globals), only sys.modules forgets it."""
        self._session = self._online = self._supervisor = None
        drop_modules(self._resident)

    def set_language(self, code):
        strings.set_language(code)
        self.state.language = code
        self.state.save()

    def remember_receipt(self, kind, rec_or_slip):
        """What 重打上笔 prints. A journal record is remembered by its place (batch, slot:
        a record of ~50 bytes, which littlefs rewrites without erasing a block) and its
        slip rebuilt from the journal; a slip dict (a void whose original is not in the
        journal) is kept as it is, masked card only."""
        if isinstance(rec_or_slip, dict):
            keep = rec_or_slip
        else:
            keep = {"kind": kind, "batch": rec_or_slip.batch, "slot": rec_or_slip.slot}
        record.write(self.data_dir + "/last_receipt", keep)

    def last_receipt(self):
        """The slip of the last transaction, or None (none, or unreadable: logged)."""
        try:
            d = record.read(self.data_dir + "/last_receipt")
            if d is None or "slot" not in d:
                return d
            rec = self.journal.get(d["slot"], d["batch"])
        except (record.RecordError, JournalError, IndexError, KeyError, TypeError) as e:
            self.hw.log("last receipt unreadable:", e)
            return None
        from app import receipt

        return receipt.from_record(self, rec, d["kind"])

    def reversal_waiting(self):
        """True when a reversal waits to be sent (or cannot be read)."""
        try:
            return self.reversal.waiting()
        except Exception:
            return True

    def menu_title(self):
        if self.reversal_waiting():
            return t("rev_pending")
        try:
            if self.reversal.any_failed():
                return t("rev_flagged")
        except Exception:
            return t("rev_damaged")
        return t("app")

    async def boot(self):
        """Sign in if the terminal must; a pending reversal stays pending until the next
        financial transaction (wire-format.md §5)."""
        if self.state.need_signin or self.session.mak is None:
            await self.online.sign_in()

    async def run(self):
        try:
            await self.boot()
        except Exception as e:  # e.g. out of memory: the menu still comes up, and the
            self.unload()  # sign-in is still due (the state says so) for the next flow
            self.hw.log("boot sign-in error:", repr(e))
            sys.print_exception(e, sys.stderr)
            await entry.message(self.scr, t("m_signin"), [repr(e)[:40]], 10000)
        finally:
            self.unload()
        while True:
            choice = await entry.menu(self.scr, self.menu_title(), [t(k) for k in MENU])
            if choice is None:
                continue
            try:
                await self.dispatch(choice)
            except Exception as e:  # a bug must not brick the counter: log, say, go on
                self.unload()  # first: a MemoryError needs the heap back to be shown
                self.hw.log("flow error:", repr(e))
                sys.print_exception(e, sys.stderr)
                await entry.message(self.scr, t("declined"), [repr(e)[:40]], 10000)
            finally:
                self.unload()

    async def dispatch(self, choice):
        if choice == 4:
            if await self.online.sign_in():
                await entry.message(self.scr, t("m_signin"),
                                    [t("signin_ok"), t("batch") + self.state.batch_no], 5000)
            return
        name = "app." + FLOWS[choice]
        __import__(name)
        flow = sys.modules[name]
        await (flow.reprint(self) if choice == 3 else flow.run(self))
