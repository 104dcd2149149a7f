"""TLS between the terminal and the host: every way the connection can fail to be
trusted, seen at the counter. Each: the screen says the host is not trusted (not "host
unreachable"), the log has mbedTLS's reason, nothing of a request reached the host, a
request that never left leaves no reversal, and a pending reversal stays pending."""

import re

import pytest

from host_tools.hostsim.process import running_hostsim
from host_tools.hostsim.tlsfaults import TLS_FAULTS
from host_tools.hostsim.tlsfaults import BadHost as _BadHost
from host_tools.simctl import SimTerminal
from tests.integration import flows

UNTRUSTED = "主机连接不可信"
TIMEOUTS = {"response_timeout_s": 3, "connect_timeout_s": 3}

# case: (the log's reason, whether the clock hint shows); how each bad host is made:
# host_tools/hostsim/tlsfaults.py (shared with the host fault matrix)
CASES = {name: (f.reason, f.clock) for name, f in TLS_FAULTS.items()}


class BadHost(_BadHost):
    """The host of a case, on a port of its own; what reached it is in .requests() (the
    host simulator's log of frames it decoded) and .relay.to_host (the bytes a relay
    saw)."""

    def requests(self):
        return [m for m in flows.host_messages(self.db) if m["mti"]] if self.procs else []


def _terminal(tmp_path, port, **cfg):
    return SimTerminal(tmp_path / "term", config={"port": port, **TIMEOUTS, **cfg})


def _untrusted_screen(term, hint):
    s = term.wait_for(UNTRUSTED, 15)
    assert "连接主机失败" not in s.text, s.text
    assert ("请核对终端时间" in s.text) == hint, s.text
    return s


@pytest.mark.parametrize("case", list(CASES))
def test_untrusted_host_gets_nothing(tmp_path, case):
    """A terminal that has never signed in meets a host it cannot trust: its sign-in at
    boot and again before a pre-auth fail as 'not trusted', the reason is logged, and the
    host sees no request (nor a byte of one on the wire)."""
    reason, hint = CASES[case]
    with running_hostsim(tmp_path / "good.db") as (_p, good_port):
        bad = BadHost(case, tmp_path, good_port)
        try:
            term = _terminal(tmp_path, bad.port, **bad.config)
            term.start()
            try:
                if case == "silent_host":  # the handshake's wait has its countdown, and
                    term.wait_for(re.compile(r"剩余\d+秒"), 15)  # Cancel does not end it:
                    term.press("CANCEL")  # a key typed meanwhile is discarded
                s = _untrusted_screen(term, hint)  # the boot's sign-in
                assert "签到失败" in s.text, s.text
                term.press("ENTER")
                flows.at_menu(term)
                term.press("1")
                term.wait_for("请输入金额")
                term.type("1000")
                term.press("ENTER")
                flows.enter_card(term, flows.APPROVE_PAN, pin=None)
                # the sign-in the pre-auth needs first: after the card, before the PIN
                # screen (the PIN block is made under the PIK as soon as it is typed)
                _untrusted_screen(term, hint)
                term.press("ENTER")
                flows.at_menu(term)
            finally:
                term.stop()
            log = term.log_text()
            lines = [x for x in log.splitlines() if "connection not trusted" in x]
            assert len(lines) == 2 and all(re.search(reason, x) for x in lines), log
        finally:
            bad.close()
        assert bad.requests() == []
        assert b"TERM0001" not in bad.relay.to_host  # F41 of every request, in ASCII
        assert flows.host_messages(tmp_path / "good.db") == []  # the pin / cut cases' host


def test_pending_reversal_stays_pending_and_nothing_new_is_reversed(tmp_path):
    """A reversal pending when the host turns untrusted stays pending (and is sent first
    once the host is trusted again); a pre-auth that never left leaves no reversal. In
    English this time: the language setting decides."""
    db = tmp_path / "host.db"
    with running_hostsim(db) as (_p, port):
        flows.admin(db, "fault", "add", "no_answer", "--mti", "0100", "--count", "1")
        term = _terminal(tmp_path, port, language="en")
        term.start()
        try:
            term.wait_for(flows.MENU_EN, 20)
            _preauth_en(term)
            term.wait_for("No answer", 30)  # the reversal is stored: reason 98
            term.press("ENTER")
            term.wait_for(flows.MENU_EN, 20)
            bad = BadHost("other_ca", tmp_path, port)
            try:
                _restart_at(term, bad.port)
                _preauth_en(term)  # the pending reversal goes first, and cannot
                s = term.wait_for("Host not trusted", 15)
                assert "Host unreachable" not in s.text, s.text
                term.press("ENTER")
                term.wait_for(flows.MENU_EN, 20)
            finally:
                bad.close()
            assert bad.requests() == [] and b"TERM0001" not in bad.relay.to_host
            assert flows.mtis(db) == ["0800", "0100"]  # nothing more reached the host
            _restart_at(term, port)
            _preauth_en(term)
            term.wait_for("Approved", 30)
            assert flows.mtis(db) == ["0800", "0100", "0400", "0100"]  # still pending
            term.press("ENTER")
            term.wait_for("Cardholder copy", 15)
            term.press("CANCEL")
            term.wait_for(flows.MENU_EN, 20)
            # untrusted again: a new pre-auth never leaves, so nothing is to be reversed
            bad = BadHost("wrong_name", tmp_path, port)
            try:
                _restart_at(term, bad.port)
                _preauth_en(term)
                term.wait_for("Host not trusted", 15)
                term.press("ENTER")
                term.wait_for(flows.MENU_EN, 20)
                assert "Reversal" not in term.screen().lines[0]  # no reversal pending
            finally:
                bad.close()
            _restart_at(term, port)
            _preauth_en(term)
            term.wait_for("Approved", 30)
        finally:
            term.stop()
    assert flows.mtis(db) == ["0800", "0100", "0400", "0100", "0100"]


def _restart_at(term, port):
    """The terminal off, pointed at the host on port, on again: at its menu."""
    term.stop()
    term.write_config({"port": port, **TIMEOUTS, "language": "en"})
    term.start()
    term.wait_for(flows.MENU_EN, 20)


def _preauth_en(term):
    term.press("1")
    term.wait_for("Amount")
    term.type("1000")
    term.press("ENTER")
    term.wait_for("Swipe or key PAN")
    term.swipe(flows.APPROVE_PAN, flows.EXPIRY)
    term.wait_for("Cardholder PIN")
    term.type(flows.PIN)
    term.press("ENTER")
    term.wait_for("ENTER to go on")
    term.press("ENTER")
