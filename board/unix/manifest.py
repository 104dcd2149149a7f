# The device-like interpreter (`make frozen`, build/frozen/micropython): the unix port
# built 32-bit with asyncio, the terminal firmware and this simulator board frozen in,
# as the ESP32 image freezes the firmware with its own board (docs/hardware.md).
include("$(MPY_DIR)/extmod/asyncio")
include("../../firmware/manifest.py")

module("board.py")
module("blockdev.py")
module("blockdev_faults.py")
module("sim_clock.py")
module("sim_control.py")
module("sim_display.py")
module("sim_hw.py")
module("sim_keys.py")
module("sim_msr.py")
module("sim_printer.py")
