# A follow-up and its originals: a void, completion or completion void is a record of
# its own, in the batch where it happened, naming its original (orig_*); the original's
# new version (a note, step (9) of journal/store.py) names it back (next_*). The
# transitions are the kind registry's table (kinds.py): a row's MARKS is the state its
# original takes, then the state that one's original takes, along the ORIG chain; a kind
# added there needs no code here. Part of Journal (journal/txnlog.py).
import kinds
from journal.layout import NONE, OPEN, STATE_NAMES


class Links:
    def follow(self, rec, orig=None):
        """Add rec, a void, completion or completion void, then bring its originals to the
        state it implies (links()). orig: the original's Record when the caller has it
        (None: looked up; a keyed original, not in the log, has none). Returns the slot."""
        slot = self.add(rec)  # (1)-(8): the follow-up exists before anything names it
        self.links(rec, orig)  # (9) for each original
        return slot

    def links(self, rec, orig=None):
        """The originals of rec in the states its kind's row marks them with (kinds.py):
        a void's pre-auth VOIDED, a completion's pre-auth COMPLETED, a completion void's
        completion VOIDED and its pre-auth COMPLETION_VOIDED; the original naming rec as
        what changed it. Idempotent: what is already so is not written again (a power cut
        between follow()'s writes is finished by calling this again)."""
        marks = rec.kind[kinds.MARKS]
        if not marks or not rec.has_orig:
            return
        if orig is None:
            orig = self.find_voucher(rec.orig_voucher, rec.orig_batch)
            if orig is None:
                return
        self._mark(orig, marks[0], rec)
        for state in marks[1:]:  # further back: the original's original, its state only
            if not orig.has_orig:
                return
            orig = self.find_voucher(orig.orig_voucher, orig.orig_batch)
            if orig is None:
                return
            if orig.state != state:
                orig.state = state
                self._write_note(orig)

    def _mark(self, orig, state, rec):
        if (orig.state, orig.next_batch, orig.next_voucher) != (state, rec.batch, rec.voucher):
            orig.state = state
            orig.next_batch, orig.next_voucher = rec.batch, rec.voucher
            self._write_note(orig)

    def set_state(self, slot, state, batch=None):
        """Other transitions: REVERSED, or back to OPEN (clears what changed it)."""
        if state not in STATE_NAMES:
            raise ValueError("unknown state %r" % state)
        rec = self.get(slot, batch)
        rec.state = state
        if state == OPEN:
            rec.next_batch = rec.next_voucher = NONE
        self._write_note(rec)
        return rec
