# Frozen into the POS_PROTO image: MicroPython's standard ESP32 modules (asyncio,
# _boot, inisetup, ...), then the terminal firmware and this board's modules.
include("$(PORT_DIR)/boards/manifest.py")
include("../../manifest.py")
