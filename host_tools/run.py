"""`make run`: start the host simulator and a terminal on the unix port.

The simulator's ledger lives in .sim/host.db and the terminal's flash in
.sim/terminal/flash.img, so both survive between runs.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SIM = ROOT / ".sim"


def micropython() -> str:
    return os.environ.get("MICROPYTHON") or str(ROOT / ".venv" / "bin" / "micropython")


def start_hostsim(db: Path, log_file: Path) -> tuple[subprocess.Popen, int]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "host_tools.hostsim", "--host", "127.0.0.1", "--port", "0",
         "--db", str(db), "--log-file", str(log_file)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT,
    )
    assert proc.stdout is not None
    for line in proc.stdout:
        if "listening on" in line:
            return proc, int(line.rsplit(":", 1)[1])
    raise SystemExit("the host simulator did not start; see " + str(log_file))


def provision(term_dir: Path, port: int) -> None:
    """Point the simulator terminal at this run's host port, keeping any other settings."""
    term_dir.mkdir(parents=True, exist_ok=True)
    cfg_path = term_dir / "config.json"
    cfg = json.loads(cfg_path.read_text()) if cfg_path.exists() else {}
    cfg["host"], cfg["port"] = "127.0.0.1", port
    cfg_path.write_text(json.dumps(cfg, ensure_ascii=False, indent=1))


def main() -> int:
    SIM.mkdir(exist_ok=True)
    host, port = start_hostsim(SIM / "host.db", SIM / "host.log")
    term_dir = SIM / "terminal"
    provision(term_dir, port)
    print(f"host simulator on 127.0.0.1:{port} (log: .sim/host.log, ledger: .sim/host.db)")
    env = dict(os.environ)
    env["MICROPYPATH"] = f"{ROOT / 'firmware'}:{ROOT / 'board' / 'unix'}:.frozen"
    env["POS_SIM_DIR"] = str(term_dir)
    try:
        return subprocess.call([micropython(), str(ROOT / "firmware" / "main.py")],
                               env=env, cwd=ROOT)
    finally:
        host.terminate()
        host.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
