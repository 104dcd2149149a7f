# Entry point, the same on every board: mount flash, bring up the board's hardware, load
# the configuration, start the board's tasks, run the terminal application.
import asyncio
import sys

import board
import config


async def _config_error(hw, err):
    # Without a valid configuration the terminal must not go online: say why and wait.
    from ui.font import Font
    from ui.screen import Screen

    scr = Screen(hw, Font())
    hw.log("CONFIG ERROR:", err)
    while True:
        scr.draw("CONFIG ERROR", scr.wrap(str(err))[:3])
        await hw.keys.get()


async def run():
    board.mount_flash()
    hw = board.init()
    for coro in hw.tasks():
        asyncio.create_task(coro)
    try:
        cfg = config.load(board.CONFIG_PATH)
    except config.ConfigError as e:
        await _config_error(hw, e)
        return
    from app.terminal import App

    app = App(hw, cfg, board.DATA_DIR)
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
