# The terminal firmware and this board's modules, frozen into the POS_PROTO image
# (boards/POS_PROTO/manifest.py includes this after MicroPython's own ESP32 modules).
# `make test` freezes this list for xtensawin (tests/host/test_frozen_build.py), so a
# missing file or a construct the ESP32 cannot compile fails here, without ESP-IDF.
include("../../firmware/manifest.py")

# This board's own modules (board/esp32/*.py), imported by main.py as `board`.
module("board.py")
module("esp_clock.py")
module("esp_hw.py")
module("esp_wifi.py")
