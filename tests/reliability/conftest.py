"""Shared fixtures for the reliability tests: the host simulator as a subprocess and a
simulator terminal talking to it, as in tests/integration/test_lifecycle.py.

    def test_x(host, term):
        db, port = host          # the host's SQLite ledger and its port
        term.wait_for(...)       # a started host_tools.simctl.SimTerminal
"""

import pytest

from host_tools.hostsim.process import running_hostsim
from host_tools.simctl import SimTerminal

# Short timeouts: a host that does not answer costs seconds, not minutes.
TERM_CONFIG = {"response_timeout_s": 3, "connect_timeout_s": 3}


@pytest.fixture
def host(tmp_path):
    """(db path, port) of a running host simulator with a fresh ledger."""
    with running_hostsim(tmp_path / "host.db") as (_proc, port):
        yield tmp_path / "host.db", port


@pytest.fixture
def term(tmp_path, host):
    """A started simulator terminal configured for `host`; stopped afterwards."""
    _, port = host
    t = SimTerminal(tmp_path / "term", config={"port": port, **TERM_CONFIG})
    t.start()
    yield t
    t.stop()
