# The App's boot on the simulator board's hardware, in one process: a MemoryError in the
# boot's sign-in (the heap nearly full: the host stack's work on top of the App) is
# reported and the main menu comes up; the terminal used to exit. tests/perf/
# test_heap_budget.py provokes the same on a real small heap, where the layout decides
# whether it happens at all; here it happens every time.
import asyncio

import config
import mptest
from lfs_helper import Flash
from app_hw import HW
from app.terminal import App

D = "/lfs"


async def _until(hw, text, ms=3000):
    for _ in range(ms // 10):
        if any(text in line for line in hw.display.lines):
            return True
        await asyncio.sleep_ms(10)
    return False


def test_a_memory_error_in_the_boot_sign_in_leaves_the_menu_up():
    fl = Flash("boot_oom")
    hw = HW(D)
    app = App(hw, dict(config.DEFAULTS), D)
    assert app.state.need_signin  # a fresh terminal signs in at boot
    tried = []

    async def sign_in(title=None):
        tried.append(1)
        raise MemoryError("memory allocation failed, allocating 2048 bytes")

    app.online.sign_in = sign_in

    async def main():
        task = asyncio.create_task(app.run())
        try:
            assert await _until(hw, "签到"), hw.display.lines  # the error, under 签到
            assert any("MemoryError" in line for line in hw.display.lines), hw.display.lines
            hw.keys.put("ENTER")
            assert await _until(hw, "1.预授权"), hw.display.lines
        finally:
            task.cancel()
            await asyncio.sleep_ms(0)

    asyncio.run(main())
    assert tried == [1]
    assert any(x.startswith("boot sign-in error: MemoryError") for x in hw.logged), hw.logged
    assert app.state.need_signin  # still due: the next transaction signs in first
    fl.remove()


mptest.run(globals())
