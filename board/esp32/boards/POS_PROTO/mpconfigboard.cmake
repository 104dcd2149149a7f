# POS_PROTO: the pre-auth terminal prototype, an ESP32-WROOM-32 (4 MB flash, no PSRAM).
# Kept outside the MicroPython tree; built with
#   make -C $MICROPY_DIR/ports/esp32 BOARD_DIR=<this folder>
# which host_tools/firmware_build.py (`make firmware`) runs.
set(IDF_TARGET esp32)

# MicroPython's base configuration, then ours. boards/sdkconfig.ble is left out on
# purpose: no Bluetooth, which leaves more RAM for the MicroPython heap.
set(SDKCONFIG_DEFAULTS
    boards/sdkconfig.base
    ${MICROPY_BOARD_DIR}/sdkconfig.board
)

if(NOT MICROPY_FROZEN_MANIFEST)
    set(MICROPY_FROZEN_MANIFEST ${MICROPY_BOARD_DIR}/manifest.py)
endif()
