# A block device backed by a host file, with the ESP32 flash geometry (4096-byte erase
# blocks, 2 MiB). It speaks littlefs's extended interface (program at an offset, explicit
# erase), writes straight through to the file (a hard kill loses nothing already written),
# and counts reads, programs, erases and bytes so budgets can be measured.
import os

BLOCK_SIZE = 4096
BLOCK_COUNT = 512  # 2 MiB, the vfs partition of a 4 MiB ESP32


class FileBlockDevice:
    def __init__(self, path, block_size=BLOCK_SIZE, block_count=BLOCK_COUNT):
        self.bs = block_size
        self.count = block_count
        self.created = False  # True when this run made the image (blank: safe to format)
        try:
            os.stat(path)
        except OSError:
            self.created = True
            blank = b"\xff" * block_size
            with open(path, "wb") as f:
                for _ in range(block_count):
                    f.write(blank)
        self.f = open(path, "r+b")
        self.reads = self.programs = self.erases = self.bytes_programmed = 0

    def readblocks(self, block, buf, off=0):
        self.reads += 1
        self.f.seek(block * self.bs + off)
        self.f.readinto(buf)

    def writeblocks(self, block, buf, off=None):
        if off is None:  # simple interface: erase then program whole blocks
            off = 0
            for i in range(len(buf) // self.bs):
                self.ioctl(6, block + i)
        self.programs += 1
        self.bytes_programmed += len(buf)
        self.f.seek(block * self.bs + off)
        self.f.write(buf)

    def ioctl(self, op, arg):
        if op == 4:  # block count
            return self.count
        if op == 5:  # block size
            return self.bs
        if op == 6:  # erase
            self.erases += 1
            self.f.seek(arg * self.bs)
            self.f.write(b"\xff" * self.bs)
            return 0
        if op in (1, 2, 3):  # init, deinit, sync: writes are already in the file
            return 0
        return None

    def close(self):
        self.f.close()


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
# Unset (the normal case) nothing below is used: FileBlockDevice stays the plain class.
_CUT = os.getenv("POS_FLASH_CUT_AFTER")
_COUNT = os.getenv("POS_FLASH_COUNT")
_Plain = FileBlockDevice


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
            self.f.write(b"\xff" * k)
            _die("POWER CUT after %d flash operations: erase block %d, %d bytes erased"
                 % (self.ops - 1, arg, k))
        return _Plain.ioctl(self, op, arg)


if _CUT or _COUNT:
    def FileBlockDevice(path, block_size=BLOCK_SIZE, block_count=BLOCK_COUNT):  # noqa: F811
        seed = os.getenv("POS_FLASH_CUT_SEED")
        return FaultyFileBlockDevice(path, block_size, block_count,
                                     int(_CUT) if _CUT else None, bool(_COUNT),
                                     int(seed) if seed else None)
