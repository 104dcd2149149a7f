# Small records written atomically: the new contents go to "<path>.new", are closed
# (littlefs commits a file on close), then renamed over the old file (rename is atomic on
# littlefs). A power cut at any point leaves either the old or the new record, never half.
# Each file is one JSON line followed by its CRC-32, so a damaged file is detected.
import json
import os
from binascii import crc32


class RecordError(Exception):
    pass


def write(path, obj):
    text = json.dumps(obj)
    tmp = path + ".new"
    f = open(tmp, "w")
    try:
        f.write(text)
        f.write("\n%08x\n" % crc32(text.encode()))
    finally:
        f.close()
    os.rename(tmp, path)


def read(path, default=None):
    """The record at path, or default when there is none. Raises RecordError if damaged."""
    try:
        size = os.stat(path)[6]
        f = open(path)
    except OSError:
        return default
    if size > 4096:
        f.close()
        raise RecordError("%s: record too large" % path)
    try:
        # read(size), not read(4097): MicroPython allocates the whole size asked for, and
        # 4 KB in one piece is what a small heap runs out of first (records are < 1 KB)
        data = f.read(size + 1)
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
