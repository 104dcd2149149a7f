# A fifth kind, for tests only (tests/device/test_kinds.py): a pre-auth's hold given back,
# "cancel". It is made as docs/architecture.md says a kind is added, of its row and its
# flow file, this one, and nothing else. Its words are borrowed from the strings table
# (no test words in the firmware), and its code, 5, is past the four the auth-code hash
# tells apart (kinds.HASHED), so it shares the completion void's bits there.
import kinds
from app import txn

# its row: the request, the record and what it does to the original, the reversal, the
# strings (kinds.py)
KIND = kinds.Kind(5, "cancel", b"k", ("0100", "200000", "13"), "cancelled", "cancelled",
                  "r_reprint", supervisor=True, orig=kinds.PREAUTH, marks=(kinds.VOIDED,),
                  hash_as=kinds.COMPLETION_VOID)


class Cancel(txn.Txn):
    kind = KIND

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
