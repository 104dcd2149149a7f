# Drives the firmware's message layer alone (no UI) from integration tests: mount the
# simulator flash, load the configuration, sign in, run an echo test, print the state.
import asyncio

import board
import config
from host.session import HostSession
from journal.state import TerminalState


def log(*args):
    print(*args)


def show_state(cfg, st, sess):
    print("TID %s  MID %s  %s" % (cfg["tid"], cfg["mid"], cfg["merchant_name"]))
    print("host %s:%d  NII %s" % (cfg["host"], cfg["port"], cfg["nii"]))
    print("batch %s  next voucher %06d" % (st.batch_no, st.next_voucher))
    print("keys %s  sign-in %s" % (
        "installed" if sess.mak else "none", "needed" if st.need_signin else "done"))


async def run():
    board.mount_flash()
    try:
        cfg = config.load(board.CONFIG_PATH)
    except config.ConfigError as e:
        print("CONFIG ERROR:", e)
        return 2
    st = TerminalState(board.DATA_DIR + "/state")
    sess = HostSession(cfg, st, log)
    show_state(cfg, st, sess)
    ok, res, msg = await sess.sign_in()
    print("SIGN-IN", "OK" if ok else "FAILED", msg)
    if ok:
        ok, res = await sess.echo()
        print("ECHO", "OK" if ok else "FAILED", res)
    show_state(cfg, st, sess)
    return 0 if ok else 1


def main():
    return asyncio.run(run())


if __name__ == "__main__":
    import sys

    sys.exit(main())
