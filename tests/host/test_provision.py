"""host_tools/provision.py: the firmware's validation rules, the supervisor record in the
exact format (and hash) the firmware reads - checked by running firmware code on the
unix port - secrets never printed nor on a command line, and the mpremote session."""

import json
import re
import subprocess

import pytest

from host_tools import provision as pv
from host_tools.build_mpy import ROOT
from host_tools.hostsim.tls import test_pki
from tests.mp import run_mp_code

VALUES = {
    "tid": "POS00042", "mid": "898310048990042", "merchant_name": "咖啡小馆",
    "host": "10.1.2.3", "port": 6001, "tmk": "00112233445566778899AABBCCDDEEFF",
    "wifi_ssid": "shop-ap", "wifi_password": "wifi-secret-77", "language": "en",
    "supervisor_password": "80417", "tls_ca_file": str(test_pki().ca_pem),
}
SECRETS = ("00112233445566778899", "wifi-secret-77", "80417")


def _file(tmp_path, values=VALUES):
    p = tmp_path / "provision.local.json"
    p.write_text(json.dumps(values, ensure_ascii=False))
    return p


def test_hash_matches_the_firmware():
    salt = bytes(range(16))
    code = ("from app.supervisor import _hash\n"
            f"print(_hash({salt!r}, '80417'))\nprint(_hash({salt!r}, ''))\n")
    proc = run_mp_code(code)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == [pv.hash_password(salt, "80417"), pv.hash_password(salt, "")]


def test_rounds_and_password_rule_match_the_firmware():
    sup = (ROOT / "firmware" / "app" / "supervisor.py").read_text()
    assert re.search(rf"^ROUNDS = {pv.ROUNDS}\b", sup, re.M)
    admin = (ROOT / "firmware" / "app" / "admin.py").read_text()
    assert f"entry.digits(scr, title, t(\"new_pwd\"), {pv.PASSWORD_MIN}, {pv.PASSWORD_MAX}" in admin


def test_dry_run_tree_is_read_by_the_firmware(tmp_path, capsys):
    out = tmp_path / "device"
    assert pv.main(["--file", str(_file(tmp_path)), "--dry-run", str(out)]) == 0
    printed = capsys.readouterr()
    for s in SECRETS:
        assert s not in printed.out + printed.err
    assert "check value" in printed.out
    assert sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()) == [
        "ca.der", "config.json", "data/supervisor"]  # the text assets are in the firmware
    assert (out / "ca.der").read_bytes() == test_pki().ca_der.read_bytes()  # PEM in, DER out
    assert "tls on" in printed.out
    code = f"""
import config
from app.supervisor import Supervisor

class Clock:
    def now(self):
        return (2026, 3, 14, 9, 0, 0)

cfg = config.load({str(out / "config.json")!r})
print(cfg["tid"], cfg["port"], cfg["language"], cfg["wifi_ssid"], cfg["merchant_name"])
s = Supervisor({str(out / "data" / "supervisor")!r}, Clock())
print(s.check("80417"), s.tries_left(), s.check("12345"), s.tries_left())
from host.tls import read_ca
print(cfg["tls"], len(read_ca(cfg["tls_ca"])))
"""
    proc = run_mp_code(code)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == "POS00042 6001 en shop-ap 咖啡小馆"
    assert lines[1] == "True 3 False 2"
    assert lines[2] == f"True {len(test_pki().ca_der.read_bytes())}"  # beside config.json


def test_tls_needs_a_ca_certificate(tmp_path, capsys):
    values = {k: v for k, v in VALUES.items() if k != "tls_ca_file"}
    out = tmp_path / "o"
    assert pv.main(["--file", str(_file(tmp_path, values)), "--dry-run", str(out)]) == 1
    assert "CA certificate" in capsys.readouterr().err and not out.exists()
    # --ca gives it (DER as well as PEM); a server certificate is not a CA
    assert pv.main(["--file", str(_file(tmp_path, values)), "--dry-run", str(out),
                    "--ca", str(test_pki().ca_der)]) == 0
    assert (out / "ca.der").exists()
    assert pv.main(["--file", str(_file(tmp_path, values)), "--dry-run", str(tmp_path / "p"),
                    "--ca", str(test_pki().cert)]) == 1
    assert "not a CA certificate" in capsys.readouterr().err
    # a plain-TCP host: no CA, and a warning that card data goes in clear
    plain = {**values, "tls": False}
    assert pv.main(["--file", str(_file(tmp_path, plain)), "--dry-run", str(tmp_path / "q")]) == 0
    assert "in clear" in capsys.readouterr().err
    assert not (tmp_path / "q" / "ca.der").exists()


def test_record_format_matches_journal_record(tmp_path):
    rec = pv.supervisor_record("1234", salt=b"\x01" * 16)
    (tmp_path / "rec").write_bytes(rec)
    proc = run_mp_code(
        f"from journal import record\nprint(record.read({str(tmp_path / 'rec')!r})['salt'])")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "01" * 16


@pytest.mark.parametrize("key, value, words", [
    ("tid", "SHORT", "tid"),
    ("tmk", "0123456789ABCDEF0123456789ABCDEF", "tmk"),
    ("port", 70000, "port"),
    ("wifi_password", "short", "wifi_password"),
    ("supervisor_password", "12ab", "supervisor_password"),
    ("supervisor_password", "123", "supervisor_password"),
    ("bogus", 1, "bogus"),
])
def test_bad_values_named_and_nothing_written(tmp_path, capsys, key, value, words):
    out = tmp_path / "device"
    f = _file(tmp_path, {**VALUES, key: value})
    assert pv.main(["--file", str(f), "--dry-run", str(out)]) == 1
    err = capsys.readouterr().err
    assert words in err
    assert not out.exists()
    for s in SECRETS:
        assert s not in err


def test_missing_value_without_a_terminal(tmp_path, capsys):
    values = dict(VALUES)
    del values["tmk"]
    assert pv.main(["--file", str(_file(tmp_path, values)), "--dry-run", str(tmp_path / "o")]) == 1
    assert "tmk: missing" in capsys.readouterr().err


def test_prompts_fill_what_the_file_lacks(tmp_path):
    values = {k: v for k, v in VALUES.items() if k not in ("tmk", "supervisor_password")}
    path = _file(tmp_path, values)
    asked = []

    def ask(prompt, secret):
        asked.append((prompt, secret))
        return "80417" if "Supervisor" in prompt else "00112233445566778899AABBCCDDEEFF"

    got = pv.load_values(path, ask)
    assert got["tmk"].startswith("0011") and got["supervisor_password"] == "80417"
    assert all(secret for _, secret in asked)  # every one of these is asked without echo


def test_test_key_and_default_password_warn(tmp_path, capsys):
    f = _file(tmp_path, {**VALUES, "tmk": pv.TEST_TMK, "supervisor_password": "123456"})
    assert pv.main(["--file", str(f), "--dry-run", str(tmp_path / "o")]) == 0
    err = capsys.readouterr().err
    assert "public test key" in err and "factory default" in err


def test_device_session_via_mpremote(tmp_path, monkeypatch, capsys):
    calls = []

    def fake_run(args, **kw):
        calls.append(list(args))
        # the files exist while mpremote runs, and hold what the tree says
        for i, a in enumerate(args):
            if a == "cp":
                src = args[i + 1]
                assert open(src, "rb").read()
        return subprocess.CompletedProcess(args, 0)

    monkeypatch.setattr(pv.subprocess, "run", fake_run)
    assert pv.main(["--file", str(_file(tmp_path)), "--port", "/dev/pts/7"]) == 0
    printed = capsys.readouterr()
    (args,) = calls
    assert args[1:6] == ["-m", "mpremote", "connect", "/dev/pts/7", "exec"]
    assert "service_hold" in args[6] and "os.mkdir('/data')" in args[6]
    targets = [args[i + 2] for i, a in enumerate(args) if a == "cp"]
    assert targets == [":/config.json.new", ":/ca.der.new", ":/data/supervisor.new"]
    assert "os.rename('/config.json.new', '/config.json')" in args[-3]
    assert args[-1] == "reset"
    joined = "\n".join(args) + printed.out + printed.err
    for s in SECRETS:
        assert s not in joined


def test_port_or_dry_run_required(capsys):
    assert pv.main([]) == 2
    assert "PORT=" in capsys.readouterr().err


def test_secret_files_ignored_by_git():
    def ignored(name):
        return subprocess.run(["git", "check-ignore", "-q", name], cwd=ROOT).returncode == 0

    assert ignored("provision.local.json") and ignored("provision.site2.json")
    assert not ignored("provision.example.json")
    example = json.loads((ROOT / "provision.example.json").read_text())
    values = {k: v for k, v in example.items() if not k.startswith("_")}
    assert values["tls_ca_file"]  # the example names the CA file it needs
    pv.prepare(values, ca_file=test_pki().ca_pem)  # the example itself is valid
