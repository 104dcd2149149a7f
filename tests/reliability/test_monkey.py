"""Bounded keypad monkey (host_tools/campaign/monkey.py): ~800 random key events and swipes
into the real terminal with the host simulator; the terminal stays alive, always gets back
to the menu, never voids or changes a setting without the supervisor password, and shows
and keeps only masked card numbers. `python -m host_tools.campaign.monkey --full`: 10,000."""

from host_tools.campaign import monkey


def test_bounded_monkey():
    res = monkey.main(full=False)
    assert not res["findings"], "\n".join(res["findings"])
    assert res["events"] >= 800
    assert res["back_to_menu"] == res["batches"] and not res.get("restarts")
    # it went beyond the menu: amount and card entry, a supervisor prompt, the host
    assert res["screen_kinds"] >= 10, res["kinds"]
    assert any("请输入主管密码" in k for k in res["kinds"]), res["kinds"]
    assert any("请刷卡或输卡号" in k for k in res["kinds"]), res["kinds"]
    # and the screens of the completion, the completion void and the settlement
    titles = {t.split(" ")[0] for t in res["titles"]}
    assert {"预授权完成", "完成撤销", "结算"} <= titles, sorted(titles)
