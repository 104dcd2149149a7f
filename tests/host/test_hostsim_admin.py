"""python -m host_tools.hostsim.admin against a live simulator's database."""

import subprocess
import sys

from host_tools.hostsim.client import PosClient
from host_tools.hostsim.process import REPO, running_hostsim

APPROVE = "6222021234567890128"


def admin(db, *args: str) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "host_tools.hostsim.admin", "--db", str(db), *args],
        capture_output=True, text=True, cwd=REPO, timeout=20, check=True,
    )
    return out.stdout


def test_admin_tables_and_faults(tmp_path):
    db = tmp_path / "host.db"
    with running_hostsim(db) as (_, port):
        with PosClient("127.0.0.1", port) as t:
            t.sign_in()
            req, resp = t.preauth(APPROVE, 12345)
            t.reversal(req)
            _, kept = t.preauth(APPROVE, 500)

            assert "fault #1 proc3 added" in admin(db, "fault", "add", "proc3", "--mti", "0100",
                                                   "--count", "1")
            listed = admin(db, "fault", "list")
            assert "proc3" in listed and "0100" in listed
            assert t.preauth(APPROVE, 600)[1].header.processing == 3  # seen while running
            assert "faults cleared" in admin(db, "fault", "clear")
            assert "proc3" not in admin(db, "fault", "list")

    holds = admin(db, "holds")
    assert holds.splitlines()[0].split() == [
        "#", "TID", "batch", "voucher", "PAN", "amount", "auth", "RRN", "date", "state"]
    assert "622202****0128" in holds and APPROVE not in holds
    assert "123.45" in holds and "reversed" in holds and kept.fields[38] in holds
    assert resp.fields[37] in holds
    rev = admin(db, "reversals")
    assert "pre-auth reversed, hold released" in rev and req[11] in rev
    terms = admin(db, "terminals")
    assert "TERM0001" in terms and "898310048990001" in terms and "000001" in terms
    assert "0123456789ABCDEF" not in terms  # keys are not printed
    msgs = admin(db, "messages", "--limit", "5")
    assert len(msgs.splitlines()) == 2 + 5 and "0110" in msgs


def test_admin_rejects_unknown_fault(tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "host_tools.hostsim.admin", "--db", str(tmp_path / "h.db"),
         "fault", "add", "explode"],
        capture_output=True, text=True, cwd=REPO, timeout=20,
    )
    assert out.returncode != 0 and "unknown fault" in out.stderr
