# 预授权完成(请求): the original pre-auth by voucher number, by its auth code (the usual
# way: the merchant has the code, not the slip), or keyed in by hand; the amount charged,
# at most 115% of the hold; the card again; 0200/000000 with F38 and F61. The completion
# is a debit of the batch it is made in, whichever batch its pre-auth was in.
import kinds
from app import txn
from app.strings import t
from ui import entry

TOLERANCE_PCT = 115  # a completion may charge up to 115 % of its pre-auth


class Completion(txn.Txn):
    kind = kinds.COMPLETION  # its row: request, record and original, reversal, strings

    async def find_original(self):
        how = await entry.menu(self.app.scr, self.title,
                               [t("m_by_voucher"), t("m_by_auth"), t("m_by_keyed")])
        if how is None:
            return False
        rec = await (self.original_by_voucher() if how == 0 else
                     self.preauth_by_auth() if how == 1 else self.preauth_keyed())
        if rec is None:
            return False
        why = self.preauth_refusal(rec)
        if why:
            return await self.refuse([why], rec)
        self.orig = rec
        return True

    async def enter_amount(self):
        limit = self.orig.amount * TOLERANCE_PCT // 100
        while True:
            fen = await entry.amount(self.app.scr, self.title, t("completion_amount"))
            if fen is None:
                return False
            if fen <= limit:
                self.amount = fen
                return True
            await entry.error(self.app.scr, self.title, [
                t("over_limit"), t("l_max") + entry.yuan(limit)], 5000)


async def run(app):
    await txn.run(app, Completion)
