# 预授权撤销: the supervisor password; the original pre-auth by voucher number, or keyed in
# by hand (auth code, date, amount); the card again; 0100/200000 with F38 and F61 for the
# pre-auth's full amount. A completed pre-auth is refused here: its completion void
# undoes the completion (app/cvoid.py).
import kinds
from app import txn
from app.strings import t
from journal.txnlog import COMPLETED
from ui import entry


class Void(txn.Txn):
    kind = kinds.VOID  # its row: request, record and original, reversal, strings

    async def find_original(self):
        how = await entry.menu(self.app.scr, self.title, [t("m_by_voucher"), t("m_by_keyed")])
        if how is None:
            return False
        rec = await (self.original_by_voucher() if how == 0 else self.preauth_keyed())
        if rec is None:
            return False
        why = self.preauth_refusal(rec)
        if why:
            return await self.refuse([why, t("use_cvoid")] if rec.state == COMPLETED
                                     else [why], rec)
        self.orig = rec
        return True


async def run(app):
    await txn.run(app, Void)
