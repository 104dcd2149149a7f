# SSD1306 OLED (128x64, I2C) as a framebuf.FrameBuffer: the UI draws into RAM, show()
# sends the whole frame. The caller hands in the bus (anything with writeto(addr, buf)),
# so the driver runs against a fake bus in tests. Command bytes from the Solomon Systech
# SSD1306 datasheet (rev 1.1, section 9 "Command Table" and 8.1.5 "I2C-bus interface").
import framebuf
from micropython import const

# Fundamental commands
SET_CONTRAST = const(0x81)  # + 1 byte, 0..255
SET_ENTIRE_ON = const(0xA4)  # | 1: all pixels on regardless of RAM
SET_NORM_INV = const(0xA6)  # | 1: inverse
SET_DISP = const(0xAE)  # | 1: display on; 0xAE = off (sleep, charge pump off)
# Addressing
SET_MEM_ADDR = const(0x20)  # + mode: 0 horizontal, 1 vertical, 2 page
SET_COL_ADDR = const(0x21)  # + start, end column
SET_PAGE_ADDR = const(0x22)  # + start, end page
# Hardware configuration
SET_DISP_START_LINE = const(0x40)  # | line 0..63
SET_SEG_REMAP = const(0xA0)  # | 1: column 127 -> SEG0 (mirror x)
SET_MUX_RATIO = const(0xA8)  # + height - 1
SET_COM_OUT_DIR = const(0xC0)  # | 0x08: scan COM[N-1] -> COM0 (mirror y)
SET_DISP_OFFSET = const(0xD3)  # + vertical shift
SET_COM_PIN_CFG = const(0xDA)  # + 0x02 sequential (128x32), 0x12 alternative (128x64)
# Timing and driving
SET_DISP_CLK_DIV = const(0xD5)  # + (osc freq << 4) | (divide ratio - 1)
SET_PRECHARGE = const(0xD9)  # + (phase 2 << 4) | phase 1, in DCLKs
SET_VCOM_DESEL = const(0xDB)  # + level: 0x30 = 0.83 x VCC
SET_CHARGE_PUMP = const(0x8D)  # + 0x14 on (internal VCC), 0x10 off (external VCC)

# I2C control byte (datasheet 8.1.5.2): Co = 0 (only data bytes follow), D/C# selects
# whether they are commands or display RAM.
CTRL_CMD = const(0x00)
CTRL_DATA = const(0x40)


class SSD1306_I2C(framebuf.FrameBuffer):
    def __init__(self, width, height, i2c, addr=0x3C, external_vcc=False):
        self.width = width
        self.height = height
        self.pages = height // 8
        self.i2c = i2c
        self.addr = addr
        self.external_vcc = external_vcc
        # One transfer buffer: the data control byte, then the frame. The FrameBuffer
        # draws into a memoryview of it, so show() sends it as it is (no copy, no
        # writevto needed).
        self._tx = bytearray(1 + self.pages * width)
        self._tx[0] = CTRL_DATA
        self.buffer = memoryview(self._tx)[1:]
        super().__init__(self.buffer, width, height, framebuf.MONO_VLSB)
        self._cmd = bytearray(8)  # control byte + up to 7 command bytes
        self._cmd[0] = CTRL_CMD
        # show()'s address window, built once: the whole panel. 64-column panels sit in
        # the middle of the controller's 128 columns.
        x0 = (128 - width) // 2 if width < 128 else 0
        self._window = bytes(
            (CTRL_CMD, SET_COL_ADDR, x0, x0 + width - 1, SET_PAGE_ADDR, 0, self.pages - 1))
        self.init_display()

    def write_cmd(self, *cmds):
        """Send command bytes in one I2C transfer (control byte 0x00, then the bytes)."""
        c = self._cmd
        n = len(cmds)
        for i in range(n):
            c[1 + i] = cmds[i]
        self.i2c.writeto(self.addr, memoryview(c)[: 1 + n])

    def init_display(self):
        """The power-on sequence (datasheet, application note: software initialisation),
        then a blank frame."""
        vcc_ext = self.external_vcc
        for cmd in (
            (SET_DISP,),  # display off while configuring
            (SET_MEM_ADDR, 0x00),  # horizontal: show() streams pages 0..N in one go
            (SET_DISP_START_LINE | 0x00,),
            (SET_SEG_REMAP | 0x01,),  # column 127 mapped to SEG0
            (SET_MUX_RATIO, self.height - 1),
            (SET_COM_OUT_DIR | 0x08,),  # scan from COM[N-1] to COM0
            (SET_DISP_OFFSET, 0x00),
            (SET_COM_PIN_CFG, 0x02 if self.width > 2 * self.height else 0x12),
            (SET_DISP_CLK_DIV, 0x80),  # reset oscillator frequency, divide by 1
            (SET_PRECHARGE, 0x22 if vcc_ext else 0xF1),
            (SET_VCOM_DESEL, 0x30),  # 0.83 x VCC
            (SET_CONTRAST, 0xFF),
            (SET_ENTIRE_ON,),  # output follows RAM
            (SET_NORM_INV,),  # not inverted
            (SET_CHARGE_PUMP, 0x10 if vcc_ext else 0x14),
            (SET_DISP | 0x01,),  # on
        ):
            self.write_cmd(*cmd)
        self.fill(0)
        self.show()

    def poweroff(self):
        """Sleep: display off (datasheet: charge pump and panel off, RAM kept)."""
        self.write_cmd(SET_DISP)

    def poweron(self):
        self.write_cmd(SET_DISP | 0x01)

    def contrast(self, value):
        self.write_cmd(SET_CONTRAST, value & 0xFF)

    def invert(self, on):
        self.write_cmd(SET_NORM_INV | (1 if on else 0))

    def rotate(self, on):
        """Turn the picture 180 degrees (module mounted upside down); takes effect at once
        for the COM direction, on the next show() for the columns."""
        self.write_cmd(SET_COM_OUT_DIR | (0x08 if not on else 0x00))
        self.write_cmd(SET_SEG_REMAP | (0x01 if not on else 0x00))

    def show(self):
        """Send the frame: set the column and page window to the whole panel, then write
        the buffer in one data transfer (0x40 + pages * width bytes). Allocates nothing;
        at 400 kHz the 1025-byte transfer takes about 23 ms."""
        self.i2c.writeto(self.addr, self._window)
        self.i2c.writeto(self.addr, self._tx)
