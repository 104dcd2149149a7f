# A block device backed by a host file, with the ESP32 flash geometry (4096-byte erase
# blocks, 2 MiB). It speaks littlefs's extended interface (program at an offset, explicit
# erase), writes straight through to the file (a hard kill loses nothing already written),
# and counts reads, programs, erases and bytes so budgets can be measured.
import os

BLOCK_SIZE = 4096
BLOCK_COUNT = 512  # 2 MiB, the vfs partition of a 4 MiB ESP32
# Erased bytes are written from this small buffer, a block in 16 writes: a 4 KB b"\xff"
# per erase was the largest allocation in the whole terminal and, on a small heap, the
# first to fail for want of 4 KB in one piece (host_tools/bench/heap.py).
_BLANK = b"\xff" * 256


def write_blank(f, n):
    while n > 0:
        k = n if n < len(_BLANK) else len(_BLANK)
        f.write(_BLANK[:k] if k < len(_BLANK) else _BLANK)
        n -= k


class FileBlockDevice:
    def __init__(self, path, block_size=BLOCK_SIZE, block_count=BLOCK_COUNT):
        self.bs = block_size
        self.count = block_count
        self.created = False  # True when this run made the image (blank: safe to format)
        try:
            os.stat(path)
        except OSError:
            self.created = True
            with open(path, "wb") as f:
                write_blank(f, block_size * block_count)
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
            write_blank(self.f, self.bs)
            return 0
        if op in (1, 2, 3):  # init, deinit, sync: writes are already in the file
            return 0
        return None

    def close(self):
        self.f.close()




# Power-cut fault injection (POS_FLASH_CUT_AFTER, POS_FLASH_COUNT) is in blockdev_faults.py,
# imported only when one of them is set: the normal run does not hold its code in RAM.
if os.getenv("POS_FLASH_CUT_AFTER") or os.getenv("POS_FLASH_COUNT"):
    from blockdev_faults import FileBlockDevice  # noqa: F401, F811
