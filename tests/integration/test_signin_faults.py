"""Host faults during sign-in and echo, seen by the firmware's message layer."""

import pytest


def _fault(hostsim, kind, mti, *extra):
    hostsim.admin("fault", "add", kind, "--mti", mti, "--count", "1", *extra)


def _boot(terminal):
    proc = terminal.run_session()
    out = proc.stdout + proc.stderr
    assert "Traceback" not in out, out
    return proc.returncode, out


@pytest.mark.parametrize(
    "kind, why",
    [
        ("wrong_stan", "discarded unmatched 0810"),  # a late answer to another request
        ("wrong_tid", "discarded unmatched 0810"),
        ("wrong_mti", "discarded unmatched 0800"),
        ("garbage", "discarded malformed frame"),
        ("no_answer", "no answer in time"),
        ("close", "host closed the connection"),
        ("close_mid", "host closed the connection"),
        ("oversize_len", "LEN"),
    ],
)
def test_sign_in_without_a_valid_answer_fails_cleanly(hostsim, terminal, kind, why):
    _fault(hostsim, kind, "0800")
    rc, out = _boot(terminal)
    assert rc == 1, out
    assert "SIGN-IN FAILED" in out
    assert why in out, out
    # Nothing was installed: the state after the attempt still asks for a sign-in.
    assert "keys none  sign-in needed" in out.split("SIGN-IN FAILED")[1]


def test_sign_in_with_bad_check_values_is_rejected(hostsim, terminal):
    _fault(hostsim, "bad_mac", "0800")  # on an 0810 this spoils both check values
    rc, out = _boot(terminal)
    assert rc == 1
    assert "SIGN-IN FAILED keys rejected" in out


def test_duplicate_answer_is_harmless(hostsim, terminal):
    _fault(hostsim, "duplicate", "0820")
    rc, out = _boot(terminal)
    assert rc == 0, out
    assert "ECHO OK" in out


def test_late_answer_within_timeout_is_accepted(hostsim, terminal):
    _fault(hostsim, "delay", "0820", "--delay", "1")  # terminal waits 3 s
    rc, out = _boot(terminal)
    assert rc == 0, out
    assert "ECHO OK" in out


def test_processing_requirement_3_asks_for_sign_in(hostsim, terminal):
    _fault(hostsim, "proc3", "0820")
    rc, out = _boot(terminal)
    assert "ECHO OK" in out
    assert "keys installed  sign-in needed" in out.split("ECHO OK")[1]
    # Kept on flash: the next boot still knows it must sign in first.
    _, again = _boot(terminal)
    assert "keys installed  sign-in needed" in again.split("SIGN-IN")[0]
