# A terminal's flash image in a MicroPython process run by a host tool: littlefs v2 on the
# simulator board's file-backed block device (board/unix/blockdev.py: the ESP32's
# geometry), mounted with the firmware's read size, as the boards mount it. The one way
# the host tools open an image (host_tools/runtime.py runs the scripts that call it).
import vfs
from blockdev import FileBlockDevice


def filesystem(image, readsize=None, format_new=False):
    """(the VfsLfs2 on image, its block device). readsize: the firmware's
    (journal/record.py LFS_READSIZE) unless given. A missing image is created blank;
    format_new formats it (an existing image is never formatted). OSError when it does
    not mount."""
    if readsize is None:
        from journal.record import LFS_READSIZE as readsize
    bdev = FileBlockDevice(image)
    if format_new and bdev.created:
        vfs.VfsLfs2.mkfs(bdev)
    return vfs.VfsLfs2(bdev, readsize=readsize), bdev


def mount(image, path="/flash", readonly=False, readsize=None):
    """Mount image at path; returns its block device (which counts reads, programs and
    erases). readonly: the file system refuses every write (EROFS), so that an
    inspection cannot change what it reads. OSError when it does not mount."""
    fs, bdev = filesystem(image, readsize)
    vfs.mount(fs, path, readonly=readonly)
    return bdev
