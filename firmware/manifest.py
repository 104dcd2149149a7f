# The firmware's modules, one list for every image that freezes them: the ESP32 image
# (board/esp32/manifest.py) and the device-like unix build (board/unix/manifest.py,
# `make frozen`). Every module is named, so a module added to firmware/ without a line
# here is caught by tests/host/test_firmware_build.py rather than missing from a device.
# Paths are relative to this file, as all manifest paths are.

# main.py frozen runs at boot on the ESP32 (a frozen main.py runs before one on flash);
# the unix build runs it with `micropython -m main`.
module("main.py")
module("config.py")
# The hardware contract the boards keep (not imported at run time; the tests check it).
module("hardware.py")
module("kinds.py")
package("app", files=[
    "admin.py", "card.py", "completion.py", "cvoid.py", "online.py", "preauth.py",
    "query.py", "receipt.py", "settle.py", "strings.py", "supervisor.py", "terminal.py",
    "txn.py", "void.py",
])
package("codec", files=["__init__.py", "fields.py", "frame.py", "iso8583.py"])
package("crypto", files=["__init__.py", "des.py", "keys.py", "mac.py", "pinblock.py"])
package("drivers", files=[
    "__init__.py", "escpos.py", "keypad.py", "keyqueue.py", "msr.py", "printer.py",
    "ssd1306.py",
])
package("host", files=["__init__.py", "channel.py", "messages.py", "session.py", "tls.py"])
package("journal", files=[
    "__init__.py", "format1.py", "layout.py", "links.py", "lookup.py", "pan.py", "record.py",
    "repair.py", "retention.py", "reversal.py", "reversal_file.py", "settlement.py",
    "state.py", "store.py", "txnlog.py",
])
package("ui", files=[
    "__init__.py", "assets.py", "entry.py", "font.py", "gb.py", "paper.py", "screen.py",
])
