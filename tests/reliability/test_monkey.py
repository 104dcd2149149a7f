"""Bounded keypad monkey (host_tools/campaign/monkey.py): ~800 random key events and swipes
into the real terminal with the host simulator; the terminal stays alive, always gets back
to the menu, never voids or changes a setting without the supervisor password, and shows
and keeps only masked card numbers, and nothing of a cardholder's PIN. `python -m
host_tools.campaign.monkey --full`: 10,000.

Every claim here is deterministic. Where the random keys get to is not (the terminal
discards keys typed while it is busy, e.g. during a host exchange, so the same seed reaches
different screens from run to run): the coverage claims are on the monkey's scripted tour
(monkey.tour: each key waits for its screen, no host exchange), which reaches the same
screens every run; the rest are invariants that hold whatever the random keys reached."""

from host_tools.campaign import monkey


def test_bounded_monkey():
    res = monkey.main(full=False)
    # the random part: whatever it reached, nothing unauthorized, nothing in clear
    assert not res["findings"], "\n".join(res["findings"])
    assert res["events"] >= 800
    assert res["back_to_menu"] == res["batches"] and not res.get("restarts")
    # the tour went beyond the menu: amount and card entry, the supervisor prompts
    kinds = res["tour_kinds"]
    assert len(kinds) >= 10, kinds
    assert any("请输入主管密码" in k for k in kinds), kinds
    assert any("请刷卡或输卡号" in k for k in kinds), kinds
    assert any("密码错误" in k for k in kinds), kinds  # a wrong guess, refused
    # and the screens of the completion, the completion void and the settlement
    titles = {t.split(" ")[0] for t in res["tour_titles"]}
    assert {"预授权", "预授权完成", "预授权撤销", "完成撤销", "结算", "管理"} <= titles, \
        sorted(titles)
    # the PIN screen: the tour swiped a card, typed a PIN (a star a digit), cancelled;
    # every PIN screen seen, the random part's too, showed stars only (a finding else),
    # and no form of a PIN typed (nor of the test cards' PINs) is on flash, on a slip, a
    # screen or in the log (findings)
    assert any(monkey.keypad.PIN_PROMPT in k for k in kinds), kinds
    assert res["tour_pin_screens"] >= 1 + len(monkey.TOUR_PIN), res
    assert res["pins_checked"], res
    # the tour's screens are among those checked (at rest, supervisor screens)
    assert set(kinds) <= set(res["kinds"])
