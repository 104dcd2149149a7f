"""TLS between the terminal and the host: every way the connection can fail to be
trusted, seen at the counter. Each: the screen says the host is not trusted (not "host
unreachable"), the log has mbedTLS's reason, nothing of a request reached the host, a
request that never left leaves no reversal, and a pending reversal stays pending."""

import datetime as dt
import re

import pytest

from host_tools.hostsim.client import HostProcess, running_hostsim
from host_tools.hostsim.tls import cert_sha256, make_server_cert, test_pki
from host_tools.simctl import SimTerminal
from tests.integration import flows
from tests.integration.relay import Relay

UNTRUSTED = "主机连接不可信"
TIMEOUTS = {"response_timeout_s": 3, "connect_timeout_s": 3}
NOW = dt.datetime.now(dt.UTC)
DAY = dt.timedelta(days=1)

# case: (how the bad host is made, the log's reason, whether the clock hint shows)
CASES = {
    "plain_host": ("plain", r"CONN_EOF|socket error|reset", False),
    "other_ca": ("cert", r"not correctly signed by the trusted CA", False),
    "expired": ("cert", r"validity has expired", True),
    "not_yet_valid": ("cert", r"validity starts in the future", True),
    "wrong_name": ("cert", r"Common Name \(CN\) does not match", False),
    "pin_mismatch": ("pin", r"does not match the pinned SHA-256", False),
    "handshake_cut": ("cut", r"CONN_EOF|socket error|reset", False),
    "silent_host": ("silent", r"TLS handshake: no answer in time", False),
}


def _cert(case, folder):
    pki = test_pki()
    if case == "other_ca":
        return make_server_cert(folder, None)
    if case == "expired":
        return make_server_cert(folder, pki, not_before=NOW - 30 * DAY, not_after=NOW - DAY)
    if case == "not_yet_valid":
        return make_server_cert(folder, pki, not_before=NOW + DAY, not_after=NOW + 30 * DAY)
    return make_server_cert(folder, pki, names=("other.example",))


class BadHost:
    """The host of a case, on a port of its own; what reached it is in .requests (the
    host simulator's log of frames it decoded) and .wire (the bytes a relay saw)."""

    def __init__(self, case, tmp_path, good_port):
        self.case = case
        self.how = CASES[case][0]
        self.db = tmp_path / f"{case}.db"
        self.proc = None
        self.relay = None
        self.config = {}
        if self.how in ("plain", "cert"):
            args = ["--plain"] if self.how == "plain" else [
                "--tls-dir", str(_cert(case, tmp_path / case).folder)]
            self.proc = HostProcess(self.db, *args)
            target = self.proc.start()
        elif self.how == "pin":
            target = good_port  # the real host, but not the certificate the pin names
            self.config = {"tls_pin": "%064x" % (int(cert_sha256(test_pki()), 16) ^ 1)}
        else:
            target = good_port if self.how == "cut" else None
        # a relay in front of every kind of bad host: what crossed the wire is recorded
        self.relay = Relay(target, cut_after=40 if self.how == "cut" else None).__enter__()
        self.port = self.relay.port

    def requests(self):
        return [m for m in flows.host_messages(self.db) if m["mti"]] if self.proc else []

    def close(self):
        self.relay.__exit__(None, None, None)
        if self.proc:
            self.proc.stop()


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
    _, reason, hint = CASES[case]
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
                flows.enter_card(term, flows.APPROVE_PAN)
                term.wait_for("确认键继续")
                term.press("ENTER")
                _untrusted_screen(term, hint)  # the sign-in the pre-auth needs first
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
                term.stop()
                term.write_config({"port": bad.port, **TIMEOUTS, "language": "en"})
                term.start()
                term.wait_for(flows.MENU_EN, 20)
                _preauth_en(term)  # the pending reversal goes first, and cannot
                s = term.wait_for("Host not trusted", 15)
                assert "Host unreachable" not in s.text, s.text
                term.press("ENTER")
                term.wait_for(flows.MENU_EN, 20)
            finally:
                bad.close()
            assert bad.requests() == [] and b"TERM0001" not in bad.relay.to_host
            assert flows.mtis(db) == ["0800", "0100"]  # nothing more reached the host
            term.stop()
            term.write_config({"port": port, **TIMEOUTS, "language": "en"})
            term.start()
            term.wait_for(flows.MENU_EN, 20)
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
                term.stop()
                term.write_config({"port": bad.port, **TIMEOUTS, "language": "en"})
                term.start()
                term.wait_for(flows.MENU_EN, 20)
                _preauth_en(term)
                term.wait_for("Host not trusted", 15)
                term.press("ENTER")
                term.wait_for(flows.MENU_EN, 20)
                assert "Reversal" not in term.screen().lines[0]  # no reversal pending
            finally:
                bad.close()
            term.stop()
            term.write_config({"port": port, **TIMEOUTS, "language": "en"})
            term.start()
            term.wait_for(flows.MENU_EN, 20)
            _preauth_en(term)
            term.wait_for("Approved", 30)
        finally:
            term.stop()
    assert flows.mtis(db) == ["0800", "0100", "0400", "0100", "0100"]


def _preauth_en(term):
    term.press("1")
    term.wait_for("Amount")
    term.type("1000")
    term.press("ENTER")
    term.wait_for("Swipe or key PAN")
    term.swipe(flows.APPROVE_PAN, flows.EXPIRY)
    term.wait_for("ENTER to go on")
    term.press("ENTER")
