# The simulator board's block device with power cuts (board/unix/blockdev.py imports
# this only when POS_FLASH_CUT_AFTER or POS_FLASH_COUNT is set).
# ---- power-cut fault injection (host_tools/campaign/powercut.py, docs/reliability-powercut.md)
#
# POS_FLASH_CUT_AFTER=N   let N programs/erases through (counted from this device's creation,
#                         i.e. from the mount at boot), tear operation N (a pseudo-random
#                         prefix of a program is written, or of an erase the block's first
#                         bytes are erased; possibly nothing), then the process dies at once:
#                         a marker line on stderr, then SIGKILL of itself.
# POS_FLASH_CUT_SEED=S    seeds the tear length (default N), so a cut is reproducible.
# POS_FLASH_COUNT=1       count only: one "FLASHOP i P|E block off len" line on stderr per
#                         operation, no cut.
# Unset (the normal case) this module is not even imported: FileBlockDevice stays the
# plain class of blockdev.py.
import os

from blockdev import BLOCK_COUNT, BLOCK_SIZE, write_blank
from blockdev import FileBlockDevice as _Plain

_CUT = os.getenv("POS_FLASH_CUT_AFTER")
_COUNT = os.getenv("POS_FLASH_COUNT")


def _die(msg):
    import sys

    sys.stderr.write(msg + "\n")
    # MicroPython's unix port has no os.getpid or os.kill: system() runs a shell whose
    # parent is this process. SIGKILL cannot be caught, so no app code (no finally, no
    # except SystemExit) runs after the torn write.
    os.system("kill -9 $PPID")
    while True:  # never reached; should the kill fail, touch nothing more
        pass


class FaultyFileBlockDevice(_Plain):
    def __init__(self, path, block_size=BLOCK_SIZE, block_count=BLOCK_COUNT, cut_after=None,
                 log_ops=False, seed=None):
        super().__init__(path, block_size, block_count)
        self.cut_after = cut_after
        self.log_ops = log_ops
        self.ops = 0  # programs + erases so far
        self.rng = (seed if seed is not None else (cut_after or 0)) * 2654435761 + 12345

    def _rand(self, n):
        """0..n-1 from a small LCG (deterministic for a given seed)."""
        self.rng = (self.rng * 1103515245 + 12345) & 0x7FFFFFFF
        return (self.rng >> 8) % n if n > 0 else 0

    def _op(self, kind, block, off, n):
        """Count one operation; True when it is the one to tear."""
        i = self.ops
        self.ops += 1
        if self.log_ops:
            import sys

            sys.stderr.write("FLASHOP %d %s %d %d %d\n" % (i, kind, block, off, n))
        return self.cut_after is not None and i >= self.cut_after

    def _tear_len(self, n):
        # A quarter of the cuts write nothing of the torn operation; the rest a random
        # prefix (never all of it: that is the cut at N + 1 writing nothing).
        if self._rand(4) == 0:
            return 0
        return self._rand(n)

    def writeblocks(self, block, buf, off=None):
        if off is None:  # simple interface: erase then program whole blocks
            off = 0
            for i in range(len(buf) // self.bs):
                self.ioctl(6, block + i)
        if self._op("P", block, off, len(buf)):
            k = self._tear_len(len(buf))
            self.f.seek(block * self.bs + off)
            self.f.write(memoryview(buf)[:k])
            _die("POWER CUT after %d flash operations: program block %d off %d len %d, "
                 "%d bytes written" % (self.ops - 1, block, off, len(buf), k))
        _Plain.writeblocks(self, block, buf, off)

    def ioctl(self, op, arg):
        if op == 6 and self._op("E", arg, 0, self.bs):
            k = self._tear_len(self.bs)
            self.f.seek(arg * self.bs)
            write_blank(self.f, k)
            _die("POWER CUT after %d flash operations: erase block %d, %d bytes erased"
                 % (self.ops - 1, arg, k))
        return _Plain.ioctl(self, op, arg)


def FileBlockDevice(path, block_size=BLOCK_SIZE, block_count=BLOCK_COUNT):
    seed = os.getenv("POS_FLASH_CUT_SEED")
    return FaultyFileBlockDevice(path, block_size, block_count,
                                 int(_CUT) if _CUT else None, bool(_COUNT),
                                 int(seed) if seed else None)
