// POS_PROTO: the pre-auth terminal prototype (docs/hardware.md).

#define MICROPY_HW_BOARD_NAME "POS pre-auth terminal prototype"
#define MICROPY_HW_MCU_NAME "ESP32"

// No SD card slot on the prototype.
#define MICROPY_HW_ENABLE_SDCARD (0)
