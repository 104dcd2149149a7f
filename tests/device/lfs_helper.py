# Real littlefs for device tests: a fresh image file (ESP32 geometry: 4096-byte blocks)
# mounted with the board's settings, a counting wrapper for read budgets, and a "power
# cut" wrapper that tears the Nth program/erase in half and fails every write after it.
import os
import vfs

import mptest
from blockdev import FileBlockDevice  # board/unix is on the test path
from journal.record import LFS_READSIZE

EIO = -5


class Dev:
    """Wraps a FileBlockDevice: counts reads/bytes read; cut=N lets N programs/erases
    through, half-applies the next one (a torn write) and fails everything after."""

    def __init__(self, inner, cut=None):
        self.inner = inner
        self.cut = cut
        self.ops = 0
        self.dead = False
        self.reads = self.bytes_read = 0

    def readblocks(self, block, buf, off=0):
        self.reads += 1
        self.bytes_read += len(buf)
        self.inner.readblocks(block, buf, off)

    def _write_op(self):
        if self.dead:
            return False
        if self.cut is not None and self.ops >= self.cut:
            self.dead = True
            return None  # this op is torn
        self.ops += 1
        return True

    def writeblocks(self, block, buf, off=None):
        ok = self._write_op()
        if ok is None:
            self.inner.writeblocks(block, memoryview(buf)[: len(buf) // 2], off)
        if not ok:
            return EIO
        self.inner.writeblocks(block, buf, off)
        return 0

    def ioctl(self, op, arg):
        if op == 6:
            ok = self._write_op()
            if ok is None:  # torn erase: half the block blank, the rest as it was
                f = self.inner.f
                f.seek(arg * self.inner.bs)
                f.write(b"\xff" * (self.inner.bs // 2))
            if not ok:
                return EIO
        return self.inner.ioctl(op, arg)


# A per-process tag, so test runs going on at the same time never share an image file.
_RUN = "%08x" % (int.from_bytes(os.urandom(4), "big") & 0x7FFFFFFF)


def image_path(name):
    return "%s/pos_lfs_%s_%s.img" % (mptest.TMP, _RUN, name)


class Flash:
    """An image file mounted at mount point; remount() simulates a restart (or, after a
    cut, plugging the power back in)."""

    def __init__(self, name, blocks=128, mount="/lfs", fresh=True):
        self.image = image_path(name)
        self.blocks = blocks
        self.mount = mount
        self.dev = None
        if fresh:
            try:
                os.remove(self.image)
            except OSError:
                pass
            inner = FileBlockDevice(self.image, block_count=blocks)
            vfs.VfsLfs2.mkfs(inner)
            inner.close()
            self.remount()

    def unmount(self):
        try:  # also whatever a failed test left mounted here
            vfs.umount(self.mount)
        except OSError:
            pass
        if self.dev:
            self.dev.inner.close()
            self.dev = None

    def remount(self, cut=None):
        self.unmount()
        self.dev = Dev(FileBlockDevice(self.image, block_count=self.blocks), cut)
        vfs.mount(vfs.VfsLfs2(self.dev, readsize=LFS_READSIZE), self.mount)
        return self.dev

    def copy_to(self, other_image):
        """Snapshot the raw image (unmounted state is not needed: writes go straight
        through to the file)."""
        src = open(self.image, "rb")
        dst = open(other_image, "wb")
        buf = bytearray(4096)
        try:
            while True:
                n = src.readinto(buf)
                if not n:
                    break
                dst.write(memoryview(buf)[:n])
        finally:
            src.close()
            dst.close()

    def raw_contains(self, needle):
        """Does the raw image hold needle anywhere (checked across block boundaries)?"""
        f = open(self.image, "rb")
        tail = b""
        try:
            while True:
                chunk = f.read(4096)
                if not chunk:
                    return False
                if needle in tail + chunk:
                    return True
                tail = chunk[-(len(needle) - 1):] if len(needle) > 1 else b""
        finally:
            f.close()

    def remove(self):
        self.unmount()
        try:
            os.remove(self.image)
        except OSError:
            pass
