"""Nothing readable on the wire: every byte between the terminal and the host goes through
a loopback relay while the terminal does a pre-auth, a void, a completion, a completion
void, a reversal and a settlement. Over TLS no card number, no track 2 and no expiry shows
in any encoding the at-rest checks know (ASCII, packed BCD at either nibble offset); on a
plain-TCP configuration the same search finds them, so the test can fail."""

import re

import pytest

from host_tools.campaign import atrest
from host_tools.hostsim.ledger import Ledger
from host_tools.hostsim.relay import Relay
from tests.integration import flows

TIMEOUTS = {"response_timeout_s": 2, "connect_timeout_s": 2}
PAN = flows.APPROVE_PAN


def _day_at_the_counter(term, db):
    """The six kinds of message, each at least once."""
    auth = flows.approved_preauth(term, 12345)  # 0100 pre-auth
    led = Ledger(str(db))
    try:
        led.add_fault("no_answer", mti="0100", count=1)  # the next pre-auth: reversal
    finally:
        led.close()
    text = flows.preauth(term, 5000)
    assert "交易超时" in text, text
    term.press("ENTER")
    auth2 = flows.approved_preauth(term, 6000)  # 0400 first, then the 0100
    hold = [h for h in flows.holds(db) if h["auth_code"] == auth2][0]
    text = flows.void_by_voucher(term, hold["voucher"])  # 0100 void
    flows.approved(term, text)
    text = flows.completion(term, "auth", auth, 12345)  # 0200 completion
    cv = flows.approved(term, text)
    text = flows.cvoid(term, cv)  # 0200 completion void
    flows.approved(term, text)
    text = flows.settle(term)  # 0500 settlement
    assert "结算完成" in text, text


def _findings(wire: bytes, vouchers) -> list[str]:
    """What the wire gives away: the PAN (ASCII, BCD: track 2 starts with it), and the
    expiry as field 14 sits in a request, right after field 11 (its voucher): the four
    digits alone are too short to tell from ciphertext."""
    found = atrest.check_image(wire, [PAN], [])
    nibbles = wire.hex()
    for v in vouchers:
        probe = v + flows.EXPIRY  # F11 then F14, packed BCD
        if probe in nibbles or probe.encode() in wire:
            found.append(f"expiry after voucher {v}")
    if re.search(rb"=" + flows.EXPIRY.encode(), wire) or (PAN + "d" + flows.EXPIRY) in nibbles:
        found.append("track 2")
    return found


@pytest.mark.parametrize("tls", [True, False], ids=["tls", "plain"])
def test_nothing_readable_on_the_wire(tmp_path, tls):
    from host_tools.hostsim.process import running_hostsim
    from host_tools.simctl import SimTerminal

    db = tmp_path / "host.db"
    with running_hostsim(db, *([] if tls else ["--plain"])) as (_p, port), \
            Relay(port) as relay:
        term = SimTerminal(tmp_path / "term",
                           config={"port": relay.port, "tls": tls, **TIMEOUTS})
        term.start()
        try:
            flows.at_menu(term)
            _day_at_the_counter(term, db)
        finally:
            term.stop()
    msgs = flows.host_messages(db)
    kinds = {(m["mti"], m["proc"]) for m in msgs}
    assert {("0100", "030000"), ("0100", "200000"), ("0200", "000000"), ("0200", "200000"),
            ("0400", "030000"), ("0500", None)} <= kinds, kinds
    vouchers = sorted({m["stan"] for m in msgs if m.get("stan")})
    assert vouchers, msgs[:2]
    wire = bytes(relay.to_host) + b"\x00" * 8 + bytes(relay.to_terminal)
    found = _findings(wire, vouchers)
    if tls:
        assert found == [], found
        assert relay.connections >= 8  # each exchange its own connection
    else:  # the same search on plain TCP sees the card: it is a search that can fail
        assert any("PAN" in f for f in found), found
        assert any("expiry" in f for f in found), found
        assert "track 2" in found, found
