"""Provision a terminal: write its configuration and supervisor password to the device.

    make provision PORT=/dev/ttyUSB0 [PROVISION=provision.local.json]
    python -m host_tools.provision --port PORT [--file F] [--dry-run DIR]

Values come from a JSON file kept out of git (provision.local.json; see
provision.example.json) and, for what it lacks, from prompts (secrets without echo). They
are checked with the firmware's own rules (firmware/config.py). On the device:

    /config.json        the configuration (config.py's keys)
    /ca.der             the acquirer's CA certificate, DER, which the terminal's TLS
                        trusts (config "tls_ca"; from the file's "tls_ca_file" or --ca,
                        PEM or DER); needed unless "tls" is false (a plain-TCP host)
    /data/supervisor    the supervisor password as a salted, iterated SHA-256 record, in
                        the format firmware/app/supervisor.py reads (journal/record.py)

(The text assets are part of the firmware, ui/assets.py, in an image or in `make deploy`.)

Files are copied with mpremote (to *.new, then renamed over the old ones, so a cut
connection leaves the previous configuration in place); any mpremote port works, the
virtual board's pty included. --dry-run writes the same tree into a local folder instead.
The TMK and passwords are never printed and never put on a command line.
"""

import argparse
import getpass
import hashlib
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIRMWARE = ROOT / "firmware"
DEFAULT_FILE = ROOT / "provision.local.json"

# As firmware/app/supervisor.py (ROUNDS, _hash) and app/admin.py (4..12 digits, the
# rule for a password changed on the terminal). tests/host/test_provision.py checks both
# against the firmware.
ROUNDS = 1000
PASSWORD_MIN, PASSWORD_MAX = 4, 12
TEST_TMK = "0123456789ABCDEFFEDCBA9876543210"  # the host simulator's test key
DEFAULT_PASSWORD = "123456"

# Asked for when the file lacks them: (key, prompt, secret). Other config.py keys keep
# their documented defaults when absent.
PROMPTS = (
    ("tid", "Terminal ID (TID, 8 characters)", False),
    ("mid", "Merchant ID (MID, 15 characters)", False),
    ("merchant_name", "Merchant name (printed on receipts)", False),
    ("host", "Acquirer host address", False),
    ("port", "Acquirer host TCP port", False),
    ("tmk", "Terminal master key (TMK, 32 hex digits)", True),
    ("wifi_ssid", "WiFi network name (SSID; empty for none)", False),
    ("wifi_password", "WiFi password (empty for an open network)", True),
)
SECRET_KEYS = ("tmk", "wifi_password", "supervisor_password")
CA_KEY = "tls_ca_file"  # a provisioning value, not a config key: where the CA is on the PC


class ProvisionError(Exception):
    pass


def firmware_config():
    """firmware/config.py, loaded as a module of its own (it is plain Python that CPython
    runs as it is): validate() is the one set of rules for both sides."""
    spec = importlib.util.spec_from_file_location("pos_firmware_config", FIRMWARE / "config.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def hash_password(salt: bytes, password: str) -> str:
    """firmware/app/supervisor.py's _hash: SHA-256(salt + password), then ROUNDS times
    SHA-256(h + salt); lower-case hex."""
    h = hashlib.sha256(salt + password.encode()).digest()
    for _ in range(ROUNDS):
        h = hashlib.sha256(h + salt).digest()
    return h.hex()


def record_bytes(obj) -> bytes:
    """A record as firmware/journal/record.py writes it: one JSON line, then its CRC-32."""
    text = json.dumps(obj)
    return f"{text}\n{zlib.crc32(text.encode()):08x}\n".encode()


def supervisor_record(password: str, salt: bytes | None = None) -> bytes:
    salt = salt if salt is not None else os.urandom(16)
    return record_bytes({"salt": salt.hex(), "hash": hash_password(salt, password),
                         "fails": 0, "locked_until": 0})


def check_password(pw) -> str:
    if not (isinstance(pw, str) and pw.isdigit() and PASSWORD_MIN <= len(pw) <= PASSWORD_MAX):
        raise ProvisionError(
            f"supervisor_password: want {PASSWORD_MIN}..{PASSWORD_MAX} digits")
    return pw


def kcv(tmk_hex: str) -> str:
    """Key check value (3DES of zeros, first 3 bytes): lets the TMK be compared with the
    acquirer's record without showing it. Empty if pycryptodome is not installed."""
    try:
        from Crypto.Cipher import DES3
    except ImportError:
        return ""
    return DES3.new(bytes.fromhex(tmk_hex), DES3.MODE_ECB).encrypt(bytes(8))[:3].hex().upper()


def load_values(path: Path | None, ask=None, want_password=True) -> dict:
    """The provisioning values: the JSON file's, then prompts for the missing ones (ask is
    None when there is nobody to ask). Keys starting with "_" are comments."""
    raw = {}
    if path is not None:
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ProvisionError(
                f"{path}: not found (copy provision.example.json to it and fill it in)"
            ) from None
        except ValueError as e:
            raise ProvisionError(f"{path}: not valid JSON ({e})") from None
        if not isinstance(raw, dict):
            raise ProvisionError(f"{path}: want a JSON object")
    values = {k: v for k, v in raw.items() if not k.startswith("_")}
    wanted = [p for p in PROMPTS if p[0] not in values]
    if want_password and "supervisor_password" not in values:
        wanted.append(("supervisor_password", "Supervisor password (4-12 digits)", True))
    for key, prompt, secret in wanted:
        if key == "wifi_password" and not values.get("wifi_ssid"):
            continue
        if ask is None:
            raise ProvisionError(f"{key}: missing from the provisioning file")
        answer = ask(prompt, secret)
        if key == "supervisor_password":
            again = ask("Supervisor password again", True)
            if again != answer:
                raise ProvisionError("supervisor_password: the two entries differ")
        values[key] = int(answer) if key == "port" and answer.isdigit() else answer
    return values


def load_ca(path: str | Path) -> bytes:
    """The acquirer's CA certificate from a PEM or DER file, as DER; ProvisionError when it
    is not one X.509 CA certificate the terminal can use (mbedTLS reads DER only)."""
    from cryptography import x509

    try:
        data = Path(path).read_bytes()
    except OSError as e:
        raise ProvisionError(f"{CA_KEY}: {path}: {e.strerror}") from None
    try:
        if data.lstrip().startswith(b"-----BEGIN"):
            cert = x509.load_pem_x509_certificate(data)
        else:
            cert = x509.load_der_x509_certificate(data)
    except ValueError:
        raise ProvisionError(f"{CA_KEY}: {path}: not an X.509 certificate") from None
    try:
        is_ca = cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        is_ca = False
    if not is_ca:
        raise ProvisionError(f"{CA_KEY}: {path}: not a CA certificate (basicConstraints)")
    from cryptography.hazmat.primitives.serialization import Encoding

    der = cert.public_bytes(Encoding.DER)
    if len(der) > 4096:  # firmware/host/tls.py MAX_CA
        raise ProvisionError(f"{CA_KEY}: {path}: larger than the terminal takes (4096 B)")
    return der


def prepare(values: dict, with_password=True, salt=None, ca_file=None):
    """Check the values with the firmware's rules; returns (config dict, supervisor
    record bytes or None, CA certificate DER or None, warnings)."""
    cfgmod = firmware_config()
    values = dict(values)
    pw = values.pop("supervisor_password", None)
    ca_file = ca_file or values.pop(CA_KEY, None)
    values.pop(CA_KEY, None)
    try:
        cfg = cfgmod.validate(values)
    except cfgmod.ConfigError as e:
        raise ProvisionError(str(e)) from None
    warnings = []
    ca = None
    if cfg["tls"]:
        if not ca_file:
            raise ProvisionError(f"tls is on: give the acquirer's CA certificate ({CA_KEY} "
                                 "in the file, or --ca FILE), or set \"tls\": false for a "
                                 "host without TLS")
        if cfg["tls_ca"].startswith("/"):
            raise ProvisionError("tls_ca: provisioning writes the CA beside /config.json: "
                                 "give a file name, not a path")
        ca = load_ca(ca_file)
    elif ca_file:
        warnings.append(f"{CA_KEY} ignored: tls is false (plain TCP to the host)")
    if not cfg["tls"]:
        warnings.append("tls is false: card data crosses the network in clear")
    if cfg["tmk"] == TEST_TMK:
        warnings.append("tmk is the public test key: only for the host simulator")
    rec = None
    if with_password:
        if pw is None:
            raise ProvisionError("supervisor_password: missing")
        check_password(pw)
        if pw == DEFAULT_PASSWORD:
            warnings.append("supervisor_password is the factory default 123456")
        rec = supervisor_record(pw, salt)
    return cfg, rec, ca, warnings


def write_tree(out: Path, cfg: dict, rec: bytes | None, ca: bytes | None = None) -> list[str]:
    """The files as they go on the device, under out/; returns their device paths."""
    placed = []
    (out / "data").mkdir(parents=True, exist_ok=True)
    path = out / "config.json"
    path.write_text(json.dumps(cfg, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    os.chmod(path, 0o600)
    placed.append("/config.json")
    if ca is not None:
        (out / cfg["tls_ca"]).write_bytes(ca)
        placed.append("/" + cfg["tls_ca"])
    if rec is not None:
        path = out / "data" / "supervisor"
        path.write_bytes(rec)
        os.chmod(path, 0o600)
        placed.append("/data/supervisor")
    return placed


PREPARE = """import os
try:
    import board
    board.service_hold()
except Exception:
    pass
try:
    os.mkdir('/data')
except OSError:
    pass
"""


def mpremote_args(port: str, tree: Path, placed: list[str], reset=True) -> list[str]:
    """One mpremote session: make folders (and hold the watchdog of a running firmware),
    copy each file to <path>.new, rename them into place, restart. File contents travel
    through files, never through the command line."""
    args = [sys.executable, "-m", "mpremote", "connect", port, "exec", PREPARE]
    renames = []
    for dev in placed:
        args += ["+", "fs", "cp", str(tree / dev.lstrip("/")), ":" + dev + ".new"]
        renames.append(f"os.rename({dev + '.new'!r}, {dev!r})")
    args += ["+", "exec", "import os\n" + "\n".join(renames) + "\n"]
    if reset:
        args += ["+", "reset"]
    return args


def summary(cfg: dict, rec, placed, target, ca: bytes | None = None) -> str:
    lines = [f"provisioning {target}:",
             f"  tid {cfg['tid']}  mid {cfg['mid']}  merchant {cfg['merchant_name']}",
             f"  host {cfg['host']}:{cfg['port']}  nii {cfg['nii']}  language {cfg['language']}"]
    if cfg["tls"]:
        name = cfg["tls_server_name"] or cfg["host"]
        lines.append(f"  tls on: CA sha256 {hashlib.sha256(ca or b'').hexdigest()[:16]}…, "
                     f"name {name}" + (", server certificate pinned" if cfg["tls_pin"] else ""))
    else:
        lines.append("  tls OFF: plain TCP to the host")
    check = kcv(cfg["tmk"])
    lines.append("  tmk set (not shown)" + (f", check value {check}" if check else ""))
    if cfg["wifi_ssid"]:
        pw = "password set" if cfg["wifi_password"] else "open network"
        lines.append(f"  wifi {cfg['wifi_ssid']} ({pw})")
    else:
        lines.append("  wifi none (the terminal stays offline)")
    lines.append("  supervisor password " + ("set (salted hash)" if rec else "left as it is"))
    lines.append("  files " + " ".join(placed))
    return "\n".join(lines)


def _ask_tty(prompt, secret):
    return getpass.getpass(prompt + ": ") if secret else input(prompt + ": ")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--port", help="serial port of the board (mpremote connect PORT)")
    ap.add_argument("--file", help="provisioning JSON (default provision.local.json)")
    ap.add_argument("--dry-run", metavar="DIR", help="write the files under DIR, not to a device")
    ap.add_argument("--no-password", action="store_true",
                    help="leave the supervisor password on the device as it is")
    ap.add_argument("--no-reset", action="store_true", help="do not restart the board after")
    ap.add_argument("--ca", metavar="FILE", help="the acquirer's CA certificate (PEM or DER) "
                    f"for TLS; overrides the file's {CA_KEY}")
    args = ap.parse_args(argv)
    if not args.dry_run and not args.port:
        print("provision: give the board's port: make provision PORT=/dev/ttyUSB0 "
              "(or --dry-run DIR)", file=sys.stderr)
        return 2
    path = Path(args.file) if args.file else DEFAULT_FILE
    if not path.is_absolute() and not path.exists() and (ROOT / path).exists():
        path = ROOT / path
    ask = _ask_tty if sys.stdin.isatty() else None
    if not path.exists() and ask is not None:
        print(f"{path.name} not found: asking for each value", file=sys.stderr)
        path = None
    try:
        values = load_values(path, ask, want_password=not args.no_password)
        if args.no_password:
            values.pop("supervisor_password", None)
        cfg, rec, ca, warnings = prepare(values, with_password=not args.no_password,
                                         ca_file=args.ca)
    except ProvisionError as e:
        print(f"provision: {e}", file=sys.stderr)
        return 1
    for w in warnings:
        print(f"warning: {w}", file=sys.stderr)
    if args.dry_run:
        out = Path(args.dry_run)
        placed = write_tree(out, cfg, rec, ca)
        print(summary(cfg, rec, placed, f"{out} (dry run)", ca))
        return 0
    with tempfile.TemporaryDirectory(prefix="pos-provision-") as tmp:
        tree = Path(tmp)
        placed = write_tree(tree, cfg, rec, ca)
        print(summary(cfg, rec, placed, args.port, ca))
        proc = subprocess.run(mpremote_args(args.port, tree, placed, reset=not args.no_reset))
    if proc.returncode:
        print("provision: mpremote failed (is the board on that port, and is no other "
              "program using it? A board running the firmware with its watchdog on can be "
              "started with * held to turn the watchdog off).", file=sys.stderr)
        return 1
    print("done: the terminal restarts with this configuration")
    return 0


if __name__ == "__main__":
    sys.exit(main())
