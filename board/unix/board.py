# The simulator board: the MicroPython unix port playing the ESP32 prototype. Flash is a
# littlefs v2 filesystem on a file-backed block device, mounted at /flash, so the
# firmware's files behave as on the board and survive restarts. init() returns the
# simulated hardware (sim_hw.py), driven through the control interface on stdin/stdout
# (docs/control-interface.md).
import os
import vfs

from blockdev import FileBlockDevice
from journal.record import LFS_READSIZE
from sim_printer import PrinterError  # noqa: F401  (re-exported: board.PrinterError)

NAME = "unix-sim"
CARD_READER = True  # the simulator can "swipe", through drivers/msr.py as on the prototype
MSR_LRC = True  # its reader module sends the LRC: every simulated swipe has it checked

SIM_DIR = os.getenv("POS_SIM_DIR") or ".sim/terminal"
FLASH_IMAGE = SIM_DIR + "/flash.img"
CONFIG_PATH = SIM_DIR + "/config.json"  # what `make provision` writes on a real board
DATA_DIR = "/flash"


def _makedirs(path):
    cur = "/" if path.startswith("/") else ""
    for part in path.split("/"):
        if part:
            cur += part
            try:
                os.mkdir(cur)
            except OSError:
                pass
            cur += "/"


class FlashError(OSError):
    pass


def mount_flash(image=None):
    """Mount the flash image at DATA_DIR, formatting it only when this run created it.
    An existing image that does not mount is never formatted (that would erase the
    journal): FlashError says so, and the image is left as it is for inspection."""
    _makedirs(SIM_DIR)
    path = image or FLASH_IMAGE
    bdev = FileBlockDevice(path)
    try:
        fs = vfs.VfsLfs2(bdev, readsize=LFS_READSIZE)
    except OSError as e:
        if not bdev.created:
            raise FlashError("flash does not mount, left unformatted: %s (%s)" % (path, e))
        vfs.VfsLfs2.mkfs(bdev)
        fs = vfs.VfsLfs2(bdev, readsize=LFS_READSIZE)
    vfs.mount(fs, DATA_DIR)
    return bdev


def init():
    """The simulated Hardware (the contract of firmware/hardware.py)."""
    from sim_hw import Hardware

    _makedirs(SIM_DIR)
    return Hardware(SIM_DIR, NAME, CARD_READER, MSR_LRC)
