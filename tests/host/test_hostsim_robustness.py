"""Malformed frames never crash the server; several frames may share a connection."""

import itertools
import socket
import struct

import pytest

from host_tools.hostsim.client import PosClient
from host_tools.hostsim.process import running_hostsim
from host_tools.hostsim.spec import Header, Tpdu, frame, pack

APPROVE = "6222021234567890128"
_blocks = itertools.count(1)


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    db = tmp_path_factory.mktemp("hostsim") / "host.db"
    with running_hostsim(db) as (_, port):
        yield port


@pytest.fixture
def term(sim):
    t = PosClient("127.0.0.1", sim, timeout=2)
    t.voucher = next(_blocks) * 1000
    with t:
        assert t.sign_in().rc == "00"
        yield t


def _closed(sock: socket.socket) -> bool:
    sock.settimeout(2)
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True


@pytest.mark.parametrize(
    "data",
    [
        b"\x00\x00",  # LEN 0
        struct.pack(">H", 3000) + b"\x60" * 100,  # LEN > 2048
        struct.pack(">H", 20) + b"\x61" + bytes(19),  # not a TPDU
        struct.pack(">H", 12) + bytes.fromhex("600000000060310000010001"),  # header + 1 byte
        frame(bytes.fromhex("0110") + bytes(8)),  # a response MTI: no answer possible
        frame(bytes.fromhex("01A0") + bytes(8)),  # MTI not BCD
    ],
)
def test_bad_frames_close_the_connection(sim, term, data):
    term.send_raw(data)
    assert _closed(term.sock)
    with PosClient("127.0.0.1", sim) as again:  # the server still serves
        again.voucher = next(_blocks) * 1000
        assert again.sign_in().rc == "00"


def test_bad_body_with_readable_mti_gets_30(term):
    good = pack("0100", term.financial_fields("10", "030000", APPROVE, 100))
    term.send_raw(frame(good[:-3] + b"\xff\xff\xff", Tpdu(), Header()))
    resp = term.recv()
    assert resp.mti == "0110" and resp.rc == "30"
    assert resp.fields[41] == term.tid and resp.mac_ok(term.mak)
    assert term.preauth(APPROVE, 100)[1].rc == "00"  # same connection goes on


def test_missing_field_and_unknown_mti_get_30_and_12(term):
    req = term.financial_fields("10", "030000", APPROVE, 100)
    del req[14]
    resp = term.request("0100", req)
    assert resp.rc == "30" and resp.mac_ok(term.mak)
    resp = term.request("0300", {11: term.next_voucher(), 41: term.tid, 42: term.mid})
    assert resp.mti == "0310" and resp.rc == "30"
    req = term.financial_fields("10", "310000", APPROVE, 100)
    assert term.request("0100", req).rc == "12"


def test_frames_split_and_coalesced(term):
    one = term.encode("0100", term.financial_fields("10", "030000", APPROVE, 100), True)
    two = term.encode("0100", term.financial_fields("10", "030000", APPROVE, 200), True)
    for b in one:  # byte by byte
        term.send_raw(bytes([b]))
    assert term.recv().rc == "00"
    term.send_raw(two + one[:5])  # a whole frame and the start of another
    term.send_raw(one[5:])
    first, second = term.recv(), term.recv()
    assert first.fields[4] == "000000000200" and second.rc == "94"  # one's F11 already seen


def test_truncated_frame_then_hangup(sim, term):
    one = term.encode("0100", term.financial_fields("10", "030000", APPROVE, 100), True)
    term.send_raw(one[:20])
    term.close()
    with PosClient("127.0.0.1", sim) as again:
        again.voucher = next(_blocks) * 1000
        assert again.sign_in().rc == "00"
