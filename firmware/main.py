# Entry point, the same on every board: mount flash, bring up the board's hardware, load
# the configuration, start the board's tasks, run the terminal application.
import asyncio
import sys

import board

# Every module the terminal uses, imported here, at the top level: an import made inside
# the event loop starts that much deeper in the C stack, and the chain of nested imports
# (app.terminal -> app.txn -> app.receipt -> journal.txnlog -> journal.pan -> crypto.des)
# went past the stack limit of the 32-bit unix build ("maximum recursion depth"). (So
# journal/txnlog.py imports its layers bottom up: none is more than one import deeper.)
from app.terminal import App


async def _halt(hw, title, err):
    # Without valid configuration or flash the terminal must not go online or touch its
    # records: it says why and waits for service.
    from ui.font import Font
    from ui.screen import Screen

    scr = Screen(hw, Font())
    hw.log(title + ":", err)
    while True:
        scr.draw(title, scr.wrap(str(err))[:3])
        await hw.keys.get()


async def run():
    hw = board.init()
    for coro in hw.tasks():
        asyncio.create_task(coro)
    try:
        board.mount_flash()
    except OSError as e:
        await _halt(hw, "FLASH ERROR", e)
        return
    import config

    try:
        cfg = config.load(board.CONFIG_PATH)
    except config.ConfigError as e:
        await _halt(hw, "CONFIG ERROR", e)
        return
    # The checks are done: config.py's code (~5 KB of heap on the unix port) goes.
    del sys.modules["config"], config
    await hw.connect(cfg)  # False: the terminal starts offline, and the board keeps trying
    try:
        app = App(hw, cfg, board.DATA_DIR)
    except Exception as e:  # e.g. a heap too small for the firmware: say so, and wait
        import gc

        gc.collect()
        await _halt(hw, "START ERROR", e)
        return
    await app.run()


def main():
    try:
        asyncio.run(run())
    except KeyboardInterrupt:
        pass
    except SystemExit:
        raise
    except Exception as e:  # last resort: leave a trace where the board keeps its log
        sys.print_exception(e, sys.stderr)
        raise


main()
