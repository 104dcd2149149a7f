# The simulated 58 mm ESC/POS printer: every byte the firmware sends is appended to
# <SIM_DIR>/printer.bin, opened per write so it is on disk at once (a hard kill of the
# terminal loses nothing already "printed"). Paper can be taken out through the control
# interface; a write with no paper fails as the real printer's would.
import os


class PrinterError(OSError):
    """The printer cannot print (paper out). An OSError, so board-independent code can
    catch OSError and work with any board's printer."""


class Printer:
    def __init__(self, path):
        self.path = path
        self.paper = True  # each boot starts with paper loaded

    async def paper_ok(self):
        return self.paper

    async def write(self, data):
        if not self.paper:
            raise PrinterError("paper out")
        with open(self.path, "ab") as f:
            f.write(data)

    def printed(self):
        """Bytes in printer.bin so far (0 before the first print)."""
        try:
            return os.stat(self.path)[6]
        except OSError:
            return 0
