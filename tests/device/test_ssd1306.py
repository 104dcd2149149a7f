# The SSD1306 I2C driver on a fake bus (tests/device/fakebus.py): the exact init
# sequence, show() traffic (address window + 0x40 + 1024 bytes in MONO_VLSB page order),
# contrast / power / invert bytes, and no heap use per show().
import gc

import framebuf
import micropython
import mptest
from fakebus import I2C
from drivers.ssd1306 import SSD1306_I2C

ADDR = 0x3C


def eq(a, b):
    assert a == b, "%r != %r" % (a, b)


def cmd(*b):
    return (ADDR, bytes((0x00,) + b))


INIT = [
    cmd(0xAE),  # display off
    cmd(0x20, 0x00),  # horizontal addressing
    cmd(0x40),  # start line 0
    cmd(0xA1),  # segment remap
    cmd(0xA8, 63),  # multiplex 64
    cmd(0xC8),  # COM scan remapped
    cmd(0xD3, 0x00),  # display offset 0
    cmd(0xDA, 0x12),  # COM pins: alternative (128x64)
    cmd(0xD5, 0x80),  # clock divide
    cmd(0xD9, 0xF1),  # precharge (internal VCC)
    cmd(0xDB, 0x30),  # VCOMH 0.83 VCC
    cmd(0x81, 0xFF),  # contrast
    cmd(0xA4),  # follow RAM
    cmd(0xA6),  # normal
    cmd(0x8D, 0x14),  # charge pump on
    cmd(0xAF),  # display on
]
WINDOW = cmd(0x21, 0, 127, 0x22, 0, 7)


def test_init_sequence_exact():
    bus = I2C()
    d = SSD1306_I2C(128, 64, bus)
    log = bus.take()
    eq(log[: len(INIT)], INIT)
    # then a blank frame
    eq(log[len(INIT)], WINDOW)
    eq(log[len(INIT) + 1], (ADDR, b"\x40" + bytes(1024)))
    eq(len(log), len(INIT) + 2)
    assert isinstance(d, framebuf.FrameBuffer)
    eq((d.width, d.height), (128, 64))
    # the chip's bytes only: the text on screen (display.lines) is the board's to keep
    assert not hasattr(d, "lines") and not hasattr(d, "buf")


def test_external_vcc_and_other_address():
    bus = I2C()
    SSD1306_I2C(128, 32, bus, addr=0x3D, external_vcc=True)
    log = dict((bytes(b[:2]), b) for a, b in bus.take() if a == 0x3D)
    eq(log[b"\x00\xd9"], b"\x00\xd9\x22")  # precharge for external VCC
    eq(log[b"\x00\x8d"], b"\x00\x8d\x10")  # charge pump off
    eq(log[b"\x00\xda"], b"\x00\xda\x02")  # sequential COM pins for 128x32
    eq(log[b"\x00\xa8"], b"\x00\xa8\x1f")  # multiplex 32


def test_show_traffic_exact():
    bus = I2C()
    d = SSD1306_I2C(128, 64, bus)
    bus.take()
    d.pixel(0, 0, 1)  # page 0, column 0, bit 0
    d.pixel(127, 63, 1)  # page 7, column 127, bit 7
    d.pixel(5, 10, 1)  # page 1, column 5, bit 2
    d.lines = ["A"]
    d.show()
    log = bus.take()
    eq(len(log), 2)
    eq(log[0], WINDOW)
    addr, data = log[1]
    eq(addr, ADDR)
    eq(len(data), 1025)
    eq(data[0], 0x40)
    frame = bytearray(1024)
    frame[0] = 0x01
    frame[7 * 128 + 127] = 0x80
    frame[1 * 128 + 5] = 0x04
    eq(data[1:], bytes(frame))
    eq(bytes(d.buffer), bytes(frame))


def test_contrast_power_invert_bytes():
    bus = I2C()
    d = SSD1306_I2C(128, 64, bus)
    bus.take()
    d.contrast(0x20)
    d.poweroff()
    d.poweron()
    d.invert(True)
    d.invert(False)
    d.rotate(True)
    d.rotate(False)
    eq(bus.take(), [cmd(0x81, 0x20), cmd(0xAE), cmd(0xAF), cmd(0xA7), cmd(0xA6),
                    cmd(0xC0), cmd(0xA0), cmd(0xC8), cmd(0xA1)])


def test_vectored_bus_works_too():
    bus = I2C(vectored=True)  # a bus offering writevto: the driver does not need it
    d = SSD1306_I2C(128, 64, bus)
    d.fill(1)
    bus.take()
    d.show()
    eq(bus.take(), [WINDOW, (ADDR, b"\x40" + b"\xff" * 1024)])


def test_text_drawn_with_the_font():
    from ui.font import Font

    bus = I2C()
    d = SSD1306_I2C(128, 64, bus)
    Font().draw(d, "1", 0, 0)
    d.show()
    data = bus.take()[-1][1]
    assert any(data[1:9]), "glyph of '1' in page 0"


def test_no_allocation_per_show():
    class Quiet:  # a bus that keeps nothing, so only the driver's heap use is seen
        def writeto(self, addr, buf):
            return len(buf)

    d = SSD1306_I2C(128, 64, Quiet())
    d.show()
    gc.collect()
    gc.disable()
    try:
        t0 = micropython.mem_total()
        a0 = gc.mem_alloc()
        for _ in range(10):
            d.show()
        a1 = gc.mem_alloc()
        t1 = micropython.mem_total()
    finally:
        gc.enable()
    print("heap per show(): mem_alloc %d B, mem_total %d B" % ((a1 - a0) // 10, (t1 - t0) // 10))
    eq(a1 - a0, 0)


if __name__ == "__main__":
    mptest.run(globals())
