# A fifth kind, for tests only (tests/device/test_kinds.py): a pre-auth's hold given back,
# "cancel". It is made as docs/architecture.md says a kind is added, of its row and its
# flow file, this one, and nothing else. Its words are borrowed from the strings table
# (no test words in the firmware), and its code, 5, is past the four the auth-code hash
# tells apart (kinds.HASH_BITS), so it shares the completion void's bits there.
import kinds
from app import txn

# its row (kinds.py): the request, the record and what it does to the original, the
# reversal, the strings: 0100/200000/13 after a pre-auth (code 1), which it leaves VOIDED;
# the cardholder types a PIN
KIND = kinds.register((5, "cancel", b"k", ("0100", "200000", "13"),
                       "cancelled", "cancelled", "r_reprint", "st_done",
                       True, 1, (kinds.VOIDED,), False, 4, True))


class Cancel(txn.Txn):
    kind = KIND  # its row: request, record and original, reversal, strings

    async def find_original(self):
        rec = await self.original_by_voucher()
        if rec is None:
            return False
        why = self.preauth_refusal(rec)
        if why:
            return await self.refuse([why], rec)
        self.orig = rec
        return True


async def run(app):
    await txn.run(app, Cancel)
