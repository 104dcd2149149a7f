# 管理: supervisor-only settings: language, the supervisor password, terminal information,
# and the pending or failed reversal.
from app import strings
from app.strings import t
from app.supervisor import authorize
from ui import entry


async def run(app):
    title = t("m_admin")
    if not await authorize(app, title):
        return
    while True:
        items = [t("m_language"), t("m_password"), t("m_info"), t("m_reversal")]
        choice = await entry.menu(app.scr, title, items)
        if choice is None:
            return
        if choice == 0:
            app.set_language("en" if strings.lang == 0 else "zh")
            title = t("m_admin")
        elif choice == 1:
            await change_password(app)
        elif choice == 2:
            await info(app)
        else:
            await reversal(app)


async def change_password(app):
    title, scr = t("m_password"), app.scr
    new = await entry.digits(scr, title, t("new_pwd"), 4, 12, mask=True)
    if new is None:
        return
    again = await entry.digits(scr, title, t("again_pwd"), 4, 12, mask=True)
    if again is None:
        return
    if new != again:
        await entry.error(scr, title, [t("pwd_mismatch")], 5000)
        return
    app.supervisor.change(new)
    await entry.message(scr, title, [t("pwd_changed")], 3000)


async def info(app):
    cfg, st, j = app.cfg, app.state, app.journal
    lines = [
        "TID " + cfg["tid"],
        "MID " + cfg["mid"],
        t("batch") + st.batch_no,
        t("l_voucher") + "%06d" % st.next_voucher,
        t("l_records") + "%d/%d" % (j.count(), j.capacity),
        "%s:%d" % (cfg["host"], cfg["port"]),
        "NII " + cfg["nii"],
    ]
    await entry.scroll(app.scr, t("m_info"), lines)


async def reversal(app):
    """The pending reversal (ENTER sends it now), then each reversal that failed for good
    (ENTER clears it, once the supervisor has settled it with the acquirer)."""
    title, scr = t("m_reversal"), app.scr
    rev = await app.online.load_reversal(title)
    if rev is False:
        return
    if rev is not None:
        if await entry.confirm(scr, title, _summary(rev, t("rev_pending"))):
            await app.online.flush_reversal(title)
            if not app.reversal_waiting():
                await entry.message(scr, title, [t("rev_done")], 3000)
        return
    failed = app.reversal.failed()
    if not failed:
        await entry.message(scr, title, [t("rev_none")], 5000)
        return
    for rev in failed:
        if not await entry.confirm(scr, title, _summary(rev, t("rev_flagged"))):
            return
        app.reversal.clear_failed(rev)
        await entry.message(scr, title, [t("rev_cleared")], 3000)


def _summary(rev, what):
    f = rev.fields
    return [t("l_voucher") + f[11], t("l_amount") + entry.yuan(int(f[4])),
            "%s %s" % (rev.reason, what)]
