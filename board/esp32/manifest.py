# The terminal firmware frozen into the POS_PROTO image (boards/POS_PROTO/manifest.py
# includes this after MicroPython's own ESP32 modules). Every module is listed by name, so
# a module added to firmware/ without a line here is caught by
# tests/host/test_firmware_build.py rather than missing from a device.
# The font and GB18030 tables (firmware/ui/*.bin) are not frozen: ui.font and ui.gb read
# them as files, so `make provision` copies them to /ui/ on the board's flash
# (docs/hardware.md, "Frozen image").
FIRMWARE = "../../firmware"  # relative to this file, as all manifest paths are

# main.py frozen runs at boot (MicroPython runs a frozen main.py before one on flash).
module("main.py", base_path=FIRMWARE)
module("config.py", base_path=FIRMWARE)
package("app", files=[
    "admin.py", "card.py", "online.py", "preauth.py", "query.py", "receipt.py",
    "strings.py", "supervisor.py", "terminal.py", "void.py",
], base_path=FIRMWARE)
package("codec", files=["__init__.py", "fields.py", "frame.py", "iso8583.py"],
        base_path=FIRMWARE)
package("crypto", files=["__init__.py", "des.py", "keys.py", "mac.py"], base_path=FIRMWARE)
package("drivers", files=[
    "__init__.py", "escpos.py", "keypad.py", "keyqueue.py", "printer.py", "ssd1306.py",
], base_path=FIRMWARE)
package("host", files=["__init__.py", "channel.py", "messages.py", "session.py"],
        base_path=FIRMWARE)
package("journal", files=[
    "__init__.py", "pan.py", "preauth.py", "record.py", "reversal.py", "state.py",
], base_path=FIRMWARE)
package("ui", files=["__init__.py", "entry.py", "font.py", "gb.py", "screen.py"],
        base_path=FIRMWARE)

# This board's own modules (board/esp32/*.py), imported by main.py as `board`.
module("board.py")
module("esp_clock.py")
module("esp_hw.py")
module("esp_wifi.py")
