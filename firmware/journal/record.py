# Small records written atomically: a power cut leaves the old record or the new one.
#
# littlefs commits a file's new contents when it is closed, all at once (an open for
# writing truncates nothing on flash before the close), and keeps a file of at most
# INLINE bytes inside its directory's metadata: such a file is rewritten in place, one
# metadata commit, no block erased, and a failing write cannot commit half of it (the
# contents sit in the file's cache until the close). A larger record goes to "<path>.new"
# and is renamed over the old one (rename is atomic): a write that fails half way then
# leaves only a stray .new. Creating a file commits an empty entry at open, so a cut during
# the very first write leaves an empty file: read() takes it for no record, which it was.
# Each file is one JSON line followed by its CRC-32, so a damaged file is detected.
import json
import os
from binascii import crc32

# The boards mount littlefs with this read size (board.mount_flash): its caches are then
# 4 x 64 = 256 bytes instead of 128, so a directory's metadata log (which every path
# lookup reads) takes about half the block reads. 128 would save another third, but each
# open file then allocates 636 bytes and the heap the terminal needs grows by 5 KB
# (docs/journal.md, "Boot and lookups"). A mount option only: nothing on flash depends
# on it.
LFS_READSIZE = 64
# Files of at most INLINE bytes are rewritten in place: littlefs keeps them inline in
# their directory's metadata (its inline limit is the cache size: 128 bytes with
# MicroPython's default mount, 256 with the boards'), so a record stays in place and
# atomic whichever way the flash was mounted (a REPL session after a soft reset mounts it
# with the defaults).
INLINE = 128


class RecordError(Exception):
    pass


def write(path, obj):
    text = json.dumps(obj)
    data = text.encode()
    data = b"%s\n%08x\n" % (data, crc32(data))
    small = len(data) <= INLINE
    tmp = path if small else path + ".new"
    f = open(tmp, "wb")
    try:
        f.write(data)
    finally:
        f.close()
    if not small:
        os.rename(tmp, path)


def put(path, buf):
    """Bytes written in place: littlefs commits the file whole at close(), so a power
    cut leaves the old contents or the new ones (callers keep files <= INLINE bytes)."""
    f = open(path, "wb")
    try:
        f.write(buf)
    finally:
        f.close()


def read(path, default=None):
    """The record at path, or default when there is none. Raises RecordError if damaged."""
    try:
        size = os.stat(path)[6]
        f = open(path)
    except OSError:
        return default
    if not size:  # created, then a power cut before its contents were committed
        f.close()
        return default
    if size > 4096:
        f.close()
        raise RecordError("%s: record too large" % path)
    try:
        # read(size), not read(4097): MicroPython allocates the whole size asked for, and
        # 4 KB in one piece is what a small heap runs out of first (records are < 1 KB)
        data = f.read(size + 1)
    except UnicodeError:  # damaged bytes that are not UTF-8
        raise RecordError("%s: unreadable" % path)
    finally:
        f.close()
    if len(data) > 4096:
        raise RecordError("%s: record too large" % path)
    cut = data.rfind("\n", 0, len(data) - 1)
    if cut < 0:
        raise RecordError("%s: truncated" % path)
    text, tail = data[:cut], data[cut + 1 :].strip()
    try:
        ok = int(tail, 16) == crc32(text.encode())
    except ValueError:
        ok = False
    if not ok:
        raise RecordError("%s: bad checksum" % path)
    try:
        return json.loads(text)
    except ValueError:
        raise RecordError("%s: unreadable" % path)


def remove(path):
    try:
        os.remove(path)
    except OSError:
        pass
