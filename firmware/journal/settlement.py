# The settlement (结算) as it must survive a power cut: the one in flight (its batch and
# totals, written before the 0500 leaves) and the last one closed (its report, kept for a
# reprint). Atomic records (record.py). The order of the writes that close a batch, and
# what a cut between them leaves, are in docs/journal.md ("Settlement").
from journal import record


class Settlement:
    def __init__(self, path):
        self.path = path  # the settlement in flight
        self.last_path = path + ".last"  # the last one closed

    def pending(self):
        """{"batch", "totals"} of a settlement whose answer is not recorded, or None. A
        damaged record is a RecordError: the terminal must not guess."""
        return record.read(self.path, None)

    def start(self, batch, totals):
        record.write(self.path, {"batch": batch, "totals": totals})

    def last(self):
        """The report of the last settlement closed, or None (none, or unreadable)."""
        try:
            return record.read(self.last_path, None)
        except record.RecordError:
            return None

    def close(self, report):
        """The host answered: the batch is closed. Written before anything moves on."""
        record.write(self.last_path, report)

    def done(self):
        record.remove(self.path)
