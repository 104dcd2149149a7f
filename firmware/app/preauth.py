# 预授权: the amount, the card, 0100/030000. The record reaches the journal before the
# result is shown; then the merchant copy prints, and the cardholder's on request.
import kinds
from app import txn
from app.strings import t
from journal import pan
from ui import entry
from ui.screen import RIGHT


class Preauth(txn.Txn):
    kind = kinds.PREAUTH  # its row: request, record and original, reversal, strings

    async def enter_amount(self):
        fen = await entry.amount(self.app.scr, self.title)
        self.amount = fen or 0
        return fen is not None

    def summary(self):
        return [t("l_card") + pan.mask(self.card["pan"]),
                t("l_amount") + entry.yuan(self.amount), t("confirm_hint")]

    def approved(self, rec):
        return [t("auth_code") + rec.auth_code, ("RMB " + entry.yuan(rec.amount), RIGHT)]


async def run(app):
    await txn.run(app, Preauth)
