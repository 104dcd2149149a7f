"""Fixtures: the host simulator as a real subprocess, and a terminal's simulator folder."""

import json
import os
import shutil
import subprocess

import pytest

from host_tools.hostsim.process import admin, running_hostsim
from host_tools.hostsim.tls import test_pki
from host_tools.runtime import micropython
from tests.mp import ROOT, mp_env


class HostSim:
    def __init__(self, db, proc, port):
        self.db = db
        self.proc = proc
        self.port = port

    def admin(self, *args) -> str:
        return admin(self.db, *args)


@pytest.fixture
def host(tmp_path):
    """(db path, port) of a running host simulator with a fresh ledger."""
    with running_hostsim(tmp_path / "host.db") as (_proc, port):
        yield tmp_path / "host.db", port


@pytest.fixture
def term(request, tmp_path, host):
    """A started simulator terminal configured for `host`, with the test module's
    TERM_TIMEOUTS (seconds to connect and to wait for an answer; default 3 and 3)."""
    from host_tools.simctl import SimTerminal

    _, port = host
    t = SimTerminal(tmp_path / "term", config={
        "port": port, **getattr(request.module, "TERM_TIMEOUTS",
                                {"response_timeout_s": 3, "connect_timeout_s": 3})})
    t.start()
    yield t
    t.stop()


@pytest.fixture
def hostsim(tmp_path):
    with running_hostsim(tmp_path / "host.db") as (proc, port):
        yield HostSim(tmp_path / "host.db", proc, port)


class Terminal:
    """A terminal's simulator folder: config.json (provisioning), ca.der (the test PKI's
    CA, which the host simulator's certificate is signed by) and flash.img."""

    def __init__(self, path, port, **cfg):
        self.dir = path
        path.mkdir(parents=True, exist_ok=True)
        self.config = {"port": port, **cfg}
        self.write_config()

    def write_config(self):
        (self.dir / "config.json").write_text(json.dumps(self.config))
        if self.config.get("tls", True) is not False:
            shutil.copyfile(test_pki().ca_der, self.dir / "ca.der")

    def env(self):
        env = mp_env()
        env["POS_SIM_DIR"] = str(self.dir)
        return env

    def run_session(self, timeout=60):
        return subprocess.run(
            [micropython(), str(ROOT / "tests" / "integration" / "mp_session.py")],
            capture_output=True, text=True, env=self.env(), cwd=ROOT, timeout=timeout,
        )


@pytest.fixture
def terminal(tmp_path, hostsim):
    return Terminal(tmp_path / "terminal", hostsim.port, response_timeout_s=3,
                    connect_timeout_s=3)


@pytest.fixture(autouse=True)
def _no_proxy():
    os.environ.pop("POS_SIM_DIR", None)
