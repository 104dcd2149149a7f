# The Hardware object of the simulator board (the contract of firmware/hardware.py):
# display, keys, printer, buzzer, clock, network, log, tasks, card_reader, all simulated
# in-process and driven from outside through the control interface on stdin/stdout.
import sys

from sim_clock import Clock
from sim_control import ControlServer
from sim_display import Display
from sim_keys import KeyQueue
from sim_msr import Reader
from sim_printer import Printer


class Hardware:
    def __init__(self, sim_dir, name, card_reader, msr_lrc=True):
        self.display = Display()
        self.keys = KeyQueue()
        # the stripe reader module and the firmware's driver for it (sim_msr.py)
        self.reader = Reader(self.keys, msr_lrc, self.log) if card_reader else None
        self.printer = Printer(sim_dir + "/printer.bin")
        self.clock = Clock(sim_dir + "/clock_offset")
        self.card_reader = card_reader
        self.control = ControlServer(self, name)
        self.beeps = 0  # the buzzer: counted (control op "beeps") and logged

    async def beep(self, ms=80):
        self.beeps += 1
        self.log("beep", ms)

    async def connect(self, cfg):
        # The PC's network, already up: nothing to join, no NTP (the clock is the PC's).
        return True

    def log(self, *args):
        # stderr only: stdout carries the control interface and nothing else.
        sys.stderr.write(" ".join(str(a) for a in args) + "\n")

    def reset(self):
        # The process ends; whoever started the simulated terminal starts it again.
        raise SystemExit(3)

    def tasks(self):
        return [self.control.serve()]
