"""`make run` (host_tools/run.py, host_tools/tui.py) as an integrator and a tester use it:
against a host of their own (no simulator started), with the test-card table and the
host taken down and up again, from a script and from the interactive view's keys."""

import json
import subprocess
import sys
import time

from host_tools.hostsim.cards import TEST_CARDS
from host_tools.hostsim.ledger import Ledger
from host_tools.hostsim.process import HostProcess, running_hostsim
from host_tools.hostsim.tls import test_pki
from host_tools.screen import Screen
from host_tools.simctl import MAIN_MENU_KEYS, READY
from host_tools.tui import CARDS, Tui, card_for, card_menu, dwidth, parse_keys
from tests.mp import ROOT, run_mp_code


def _run(sim, *args, timeout=120):
    out = subprocess.run([sys.executable, "-m", "host_tools.run", "--sim", str(sim), *args],
                         capture_output=True, text=True, cwd=ROOT, timeout=timeout)
    return out.returncode, out.stdout + out.stderr


def _text(output):
    """The run's output without the display's braille rows."""
    return "\n".join(x for x in output.splitlines()
                     if not x.strip() or not all(0x2800 <= ord(c) <= 0x28FF for c in x.strip()))


def test_make_run_talks_to_an_external_host_and_starts_no_simulator(tmp_path):
    sim = tmp_path / "sim"
    with running_hostsim(tmp_path / "theirs.db") as (_proc, port):
        # The script's first key waits for the menu: the boot's sign-in discards keys.
        code, out = _run(sim, "--host", "127.0.0.1", "--port", str(port), "--ca",
                         str(test_pki().ca_pem), "--script",
                         "1 100 ENTER swipe wait:请持卡人输入密码 123456 ENTER "
                         "wait:确认键继续 ENTER",
                         "--until", "持卡人存根")
        assert code == 0, out
        led = Ledger(str(tmp_path / "theirs.db"))
        try:
            holds = led.holds()
        finally:
            led.close()
    assert [h["amount"] for h in holds] == [100], "the pre-auth did not reach their host"
    assert f"host 127.0.0.1:{port} (external, TLS)" in out
    cfg = json.loads((sim / "terminal" / "config.json").read_text())
    assert (cfg["host"], cfg["port"], cfg["tls"]) == ("127.0.0.1", port, True)
    # their CA, given as PEM, is what the terminal trusts, as DER
    assert (sim / "terminal" / "ca.der").read_bytes() == test_pki().ca_der.read_bytes()
    assert not (sim / "host.db").exists(), "a simulator was started anyway"


def test_another_host_needs_its_ca_or_plain(tmp_path):
    code, out = _run(tmp_path / "sim", "--host", "10.0.0.2", "--port", "5000", timeout=30)
    assert code == 2 and "--ca FILE" in out and "--plain" in out
    code, out = _run(tmp_path / "sim", "--ca", "x.pem", timeout=30)
    assert code == 2 and "for another host" in out


def test_make_run_over_tls_by_default_and_plain_on_request(tmp_path):
    """The simulator and the terminal speak TLS unless --plain; the host's log says so."""
    script = ["--script",
              "1 100 ENTER swipe wait:请持卡人输入密码 123456 ENTER wait:确认键继续 ENTER",
              "--until", "持卡人存根"]
    code, out = _run(tmp_path / "tls", *script)
    assert code == 0, out
    assert "(TLS)" in out and "TLSv1.2" in (tmp_path / "tls" / "host.log").read_text()
    assert json.loads((tmp_path / "tls" / "terminal" / "config.json").read_text())["tls"]
    code, out = _run(tmp_path / "plain", "--plain", *script)
    assert code == 0, out
    assert "(plain TCP)" in out and "TLSv1.2" not in (tmp_path / "plain" / "host.log").read_text()
    assert json.loads((tmp_path / "plain" / "terminal" / "config.json").read_text())["tls"] is False


def test_host_and_port_go_together(tmp_path):
    code, out = _run(tmp_path / "sim", "--host", "10.0.0.2", timeout=30)
    assert code == 2 and "--host and --port go together" in out


def test_script_swipes_declining_cards_and_takes_the_host_down(tmp_path):
    code, out = _run(tmp_path / "sim", "--script",
                     "wait:预授权终端 1 100 ENTER card:05 wait:请持卡人输入密码 ENTER "
                     "wait:确认键继续 ENTER wait:交易失败 screen ENTER "
                     "host:down 1 100 ENTER swipe wait:请持卡人输入密码 123456 ENTER "
                     "wait:确认键继续 ENTER wait:连接主机失败 screen "
                     "ENTER host:up 1 100 ENTER card:00 wait:请持卡人输入密码 123456 ENTER "
                     "wait:确认键继续 ENTER",
                     "--until", "持卡人存根")
    text = _text(out)
    assert code == 0, text
    declined, down, rest = text.split("---- screen")[1:4]
    assert "交易失败" in declined and "05" in declined
    assert "host down" in text and "连接主机失败" in down
    assert "host up again" in text and "持卡人存根" in rest


def test_the_card_table_offers_approval_and_every_decline():
    assert CARDS[0][1] == "00"
    declines = {rc for rc, _ in TEST_CARDS.values() if rc != "00"}
    assert {rc for _, rc, _ in CARDS[1:]} == declines
    assert len(CARDS) <= 9, "F4 picks a card with one digit"
    assert card_for("51")[0] == "6222020000000000513"
    assert all(f"{i} {rc}" in card_menu() for i, (_, rc, _) in enumerate(CARDS, 1))
    assert "1 00 approve PIN 123456" in card_menu()  # the declining cards have no PIN


class FakeTerm:
    def __init__(self):
        self.swiped = []
        self.pressed = []

    def swipe(self, pan, expiry):
        self.swiped.append((pan, expiry))

    def press(self, key):
        self.pressed.append(key)


def test_interactive_f4_picks_a_card_and_f6_takes_the_host_down_and_up(tmp_path):
    assert parse_keys(b"\x1bOS\x1b[17~")[0] == ["F4", "F6"]
    host = HostProcess(tmp_path / "host.db")
    port = host.start()
    try:
        term = FakeTerm()
        tui = Tui(term, tmp_path / "receipts", host=host)
        tui.draw = lambda: None
        tui.act("F4")
        assert "05" in tui.message
        i = [rc for _, rc, _ in CARDS].index("05") + 1
        tui.act(str(i))
        assert term.swiped == [(card_for("05")[0], "2812")] and not term.pressed
        tui.act("F4")
        tui.act("CANCEL")  # no card: the key does not reach the terminal either
        assert len(term.swiped) == 1 and not term.pressed and "no card" in tui.message
        tui.act("F4")
        tui.act(str(len(CARDS) + 1))
        assert len(term.swiped) == 1 and not term.pressed
        assert f"not one of 1-{len(CARDS)}" in tui.message
        tui.act("F6")
        assert not host.up and "host down" in tui.message and "host down" in tui.info
        tui.act("F6")
        assert host.up and host.port == port and "host down" not in tui.info
    finally:
        host.stop()
    tui = Tui(FakeTerm(), tmp_path / "receipts", host=None)
    tui.draw = lambda: None
    tui.act("F6")
    assert "external" in tui.message


def test_the_f4_picker_fits_the_view_at_170_and_120_columns(tmp_path):
    """At 170 columns the receipt stands beside the display and the picker's prompt has
    the display's 132 columns; at 120, the braille display's 68: it wraps, every card
    shows whole."""
    tui = Tui(FakeTerm(), tmp_path / "receipts", host=None)
    tui.screen = Screen(1, ["预授权", "请刷卡或输卡号", "RMB 123.45"], bytes(1024))
    tui.act("F4")
    for cols in (170, 120):
        out = tui.frame(cols, 50)
        assert len(out) <= 50 and all(dwidth(x) <= cols for x in out)
        text = "\n".join(out)
        for i, (_, rc, what) in enumerate(CARDS, 1):
            assert f"{i} {rc} {what.split(' (')[0]}" in text, (cols, i, text)
        assert "Esc none" in text


def test_a_script_that_never_gets_the_menu_fails_within_the_timeout(tmp_path):
    """The host swallows the sign-in: the boot's countdown runs for 70 s, so the menu
    does not come within --timeout; the run says so instead of typing into the void."""
    sim = tmp_path / "sim"
    sim.mkdir()
    led = Ledger(str(sim / "host.db"))
    try:
        led.add_fault("no_answer", None, None, "0800", None, None)
    finally:
        led.close()
    start = time.monotonic()
    code, out = _run(sim, "--timeout", "6", "--script", "1 100 ENTER", timeout=60)
    assert code == 1 and "not ready for keys within 6 s" in out, _text(out)
    assert "签到中" in out and time.monotonic() - start < 30


def test_ready_is_the_firmwares_main_menu():
    # the menu's string keys as the firmware has them (the kinds' rows name four)
    proc = run_mp_code("from app.terminal import MENU\nprint(' '.join(k for k, _ in MENU))")
    assert proc.returncode == 0, proc.stderr
    assert tuple(proc.stdout.split()) == MAIN_MENU_KEYS
    assert READY.search("预授权终端 1/3\n1.预授权\n2.预授权撤销\n3.预授权完成")
    assert READY.search("有未完成冲正 3/3\n7.重打印\n8.签到\n9.管理")
    assert READY.search("PRE-AUTH POS 2/3\n4.Compl. void\n5.Settlement\n6.Query")
    assert READY.search("上笔交易成功\n签购单未打印\n预授权 000002\n确认=打印 取消=否")
    for busy in ("签到\n签到中\n剩余65秒", "预授权撤销\n1.按凭证号\n2.手工输入原交易",
                 "重打印\n1.重打上笔\n2.重打任意笔\n3.重打结算单", "签到\n签到失败\n连接主机失败"):
        assert not READY.search(busy), busy
