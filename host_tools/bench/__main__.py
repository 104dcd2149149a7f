"""Run every benchmark and print its figures and ratios."""

import datetime
import subprocess

from host_tools.bench import codec, crypto


def main() -> None:
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip()
    print(f"make bench, {datetime.date.today()}, commit {commit or 'unknown'}")
    print("\n== DES and MAC: firmware on the unix port vs pyDes on CPython ==")
    crypto.main()
    print("\n== ISO 8583 pack+unpack of the wire-format §7 message ==")
    codec.main()


if __name__ == "__main__":
    main()
