# The ESP32 prototype board. MicroPython mounts the board's littlefs at / by itself, so
# the firmware's data lives under /data and the provisioned configuration at /config.json.
# (Keypad, display, printer pins and WiFi arrive with the hardware drivers.)
import os

NAME = "esp32-proto"
CARD_READER = False  # keyed entry only: no magnetic-stripe reader on the prototype

CONFIG_PATH = "/config.json"
DATA_DIR = "/data"


def mount_flash(image=None):
    """The flash is already mounted at boot; make sure the data folder exists."""
    try:
        os.mkdir(DATA_DIR)
    except OSError:
        pass
    return None
