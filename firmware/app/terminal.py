# The terminal application: owns the pieces (screen, journal, reversal, session,
# supervisor) and runs the main menu. Each menu entry is one flow module.
import sys

from app import admin, preauth, query, receipt, strings, void
from app.online import Online
from app.strings import t
from app.supervisor import Supervisor
from host.session import HostSession
from journal import record
from journal.pan import Keys
from journal.preauth import Journal
from journal.reversal import PendingReversal
from journal.state import TerminalState
from ui import entry
from ui.font import Font
from ui.screen import Screen

MENU = ("m_preauth", "m_void", "m_query", "m_reprint", "m_signin", "m_admin")


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
        self.supervisor = Supervisor(data_dir + "/supervisor", hw.clock)
        self.session = HostSession(cfg, self.state, hw.log)
        self.online = Online(self)
        strings.set_language(self.state.language or cfg["language"])

    def set_language(self, code):
        strings.set_language(code)
        self.state.language = code
        self.state.save()

    def remember_receipt(self, kind, rec_or_slip):
        """What 重打上笔 prints: a slip dict (masked card only), kept on flash."""
        slip = rec_or_slip if isinstance(rec_or_slip, dict) else \
            receipt.from_record(self, rec_or_slip, kind)
        record.write(self.data_dir + "/last_receipt", slip)

    def last_receipt(self):
        try:
            return record.read(self.data_dir + "/last_receipt")
        except record.RecordError as e:
            self.hw.log("last receipt unreadable:", e)
            return None

    def reversal_waiting(self):
        """True when a reversal waits to be sent (or cannot be read)."""
        try:
            return self.reversal.load() is not None
        except Exception:
            return True

    def menu_title(self):
        if self.reversal_waiting():
            return t("rev_pending")
        try:
            if self.reversal.failed():
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
        await self.boot()
        while True:
            choice = await entry.menu(self.scr, self.menu_title(), [t(k) for k in MENU])
            if choice is None:
                continue
            try:
                await self.dispatch(choice)
            except Exception as e:  # a bug must not brick the counter: log, say, go on
                self.hw.log("flow error:", repr(e))
                sys.print_exception(e, sys.stderr)
                await entry.message(self.scr, t("declined"), [repr(e)[:40]], 10000)

    async def dispatch(self, choice):
        if choice == 0:
            await preauth.run(self)
        elif choice == 1:
            await void.run(self)
        elif choice == 2:
            await query.run(self)
        elif choice == 3:
            await query.reprint(self)
        elif choice == 4:
            if await self.online.sign_in():
                await entry.message(self.scr, t("m_signin"),
                                    [t("signin_ok"), t("batch") + self.state.batch_no], 5000)
        else:
            await admin.run(self)
