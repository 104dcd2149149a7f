# 预授权完成撤销: the supervisor password; the completion by its voucher number, in the
# current batch (a settled completion is the issuer's business now); the card again;
# 0200/200000 whose original is the completion: F37 its RRN, F38 its auth code, F61 its
# batch, voucher and date (wire-format.md §3). The pre-auth then stays final.
import kinds
from app import txn
from app.strings import t
from journal.txnlog import OPEN, REVERSED


class CompletionVoid(txn.Txn):
    kind = kinds.COMPLETION_VOID  # its row: request, record and original, reversal, strings

    async def find_original(self):
        rec = await self.original_by_voucher()
        if rec is None:
            return False
        if rec.kind[kinds.CODE] != self.kind[kinds.ORIG]:  # not a completion
            return await self.refuse([t("not_completion")], rec)
        if rec.batch != self.app.state.batch_no:
            return await self.refuse([t("batch_settled")], rec)
        if rec.state != OPEN:
            return await self.refuse([t("already_reversed") if rec.state == REVERSED
                                      else t("already_voided")], rec)
        self.orig = rec
        return True

    def extra(self):
        x = super().extra()
        x[37] = self.orig.rrn
        return x


async def run(app):
    await txn.run(app, CompletionVoid)
