"""The firmware's message layer, in a `micropython` process, against the host simulator."""

import re

from tests.integration.conftest import Terminal


def test_sign_in_and_echo(hostsim, terminal):
    proc = terminal.run_session()
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert "SIGN-IN OK signed in, batch 000001" in out
    assert "ECHO OK" in out
    assert "keys installed  sign-in done" in out
    # The host saw the terminal sign in and echo, in that order, each answered 00.
    msgs = hostsim.admin("messages")
    assert re.search(r"0800.*TERM0001", msgs), msgs
    assert re.search(r"0820.*TERM0001", msgs), msgs
    # The keys on flash survive a restart: the second boot starts with keys installed.
    again = terminal.run_session()
    assert "keys installed  sign-in done" in again.stdout.split("SIGN-IN")[0]


def test_wrong_tmk_rejects_keys_and_keeps_state(hostsim, terminal):
    terminal.config["tmk"] = "00112233445566778899AABBCCDDEEFF"
    terminal.write_config()
    proc = terminal.run_session()
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "SIGN-IN FAILED keys rejected" in proc.stdout
    assert "keys none  sign-in needed" in proc.stdout.split("SIGN-IN")[1]


def test_host_down_is_a_clear_failure(tmp_path):
    term = Terminal(tmp_path / "t", 1, connect_timeout_s=2)  # nothing listens on port 1
    proc = term.run_session()
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "SIGN-IN FAILED connect failed" in proc.stdout
    assert "Traceback" not in proc.stderr


def test_bad_config_is_reported(tmp_path):
    term = Terminal(tmp_path / "t", 5000, tid="SHORT")
    proc = term.run_session()
    assert proc.returncode == 2
    assert "CONFIG ERROR: tid" in proc.stdout
