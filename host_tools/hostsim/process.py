"""The host simulator as a process: the one way host tools and tests start it
(``python -m host_tools.hostsim``), stop it and start it again on the same port, and run
its admin command line.

    with running_hostsim(db) as (proc, port): ...      # a fresh simulator on a free port
    host = HostProcess(db, "--plain"); host.start(); host.stop(); host.start()  # same port
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


class HostProcess:
    """The host simulator as a subprocess that can be stopped and started again on the
    same port (``make run``'s host up/down key, the fault campaign's host down and
    restart): ``python -m host_tools.hostsim --port PORT --db DB ARGS``, its log appended
    to DB with the suffix ``.log``. port 0: any free port, the first time."""

    def __init__(self, db: str | Path, *args: str, port: int = 0) -> None:
        self.db = Path(db)
        self.args = args
        self.port = port
        self.proc: subprocess.Popen[str] | None = None

    @property
    def up(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def start(self) -> int:
        """Start it (on the port it had, if it ran before); returns the port."""
        self.db.parent.mkdir(parents=True, exist_ok=True)
        with open(self.db.with_suffix(".log"), "a") as err:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "host_tools.hostsim", "--host", "127.0.0.1",
                 "--port", str(self.port), "--db", str(self.db), *self.args],
                stdout=subprocess.PIPE, stderr=err, text=True, cwd=REPO,
            )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line.startswith("hostsim listening on "):
            self.stop()
            raise RuntimeError(f"hostsim did not start: {line!r}; see "
                               f"{self.db.with_suffix('.log')}")
        self.port = int(line.rsplit(":", 1)[1])
        return self.port

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None:
            return
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextmanager
def running_hostsim(db: str | Path, *args: str) -> Iterator[tuple[subprocess.Popen[str], int]]:
    """Start ``python -m host_tools.hostsim --port 0 --db DB ARGS`` and yield (process, port).

    The server's log goes to DB with the suffix ``.log``.
    """
    host = HostProcess(db, *args)
    port = host.start()
    try:
        assert host.proc is not None
        yield host.proc, port
    finally:
        host.stop()


def admin(db: str | Path, *args: str) -> str:
    """``python -m host_tools.hostsim.admin --db DB ARGS``: what it printed; AssertionError
    with its error output when it fails."""
    out = subprocess.run(
        [sys.executable, "-m", "host_tools.hostsim.admin", "--db", str(db), *args],
        capture_output=True, text=True, cwd=REPO, timeout=30,
    )
    assert out.returncode == 0, out.stderr
    return out.stdout
