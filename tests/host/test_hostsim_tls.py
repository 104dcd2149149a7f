"""TLS between a terminal and the host simulator: the test PKI, the simulator's TLS and
plain modes, handshakes that fail (on the client's side and on the server's), and the CA
that SimTerminal installs for the firmware. Every validity period is relative to now."""

import datetime as dt
import hashlib
import socket
import ssl
import subprocess
import sys
import time

import pytest
from cryptography import x509

from host_tools.hostsim import tls
from host_tools.hostsim.client import PosClient
from host_tools.hostsim.ledger import Ledger
from host_tools.hostsim.process import REPO, running_hostsim


def _now():
    return dt.datetime.now(dt.UTC)


@pytest.fixture(scope="module")
def pki():
    """The shared test PKI (.sim/pki), the one the simulator serves by default."""
    return tls.test_pki()


@pytest.fixture(scope="module")
def sim(tmp_path_factory, pki):
    db = tmp_path_factory.mktemp("hostsim") / "host.db"
    with running_hostsim(db, "--handshake-timeout", "1") as (proc, port):
        yield port, db, proc


def _log(db):
    return db.with_suffix(".log").read_text(errors="replace")


def _messages(db):
    """How many messages the simulator has recorded."""
    led = Ledger(db)
    try:
        return len(led.messages(1_000_000))
    finally:
        led.close()


def _wait_log(db, text, count, timeout=5.0):
    """Wait until the log has `text` on `count` lines."""
    end = time.monotonic() + timeout
    while _log(db).count(text) < count:
        assert time.monotonic() < end, f"{text!r} not {count} times in the log:\n{_log(db)}"
        time.sleep(0.05)
    return [line for line in _log(db).splitlines() if text in line][count - 1]


# ------------------------------------------------------------------ the test PKI


def test_test_pki_is_made_once_and_reused(tmp_path):
    folder = tmp_path / "pki"
    first = tls.test_pki(folder)
    assert first == tls.Pki.at(folder) and first.ca_key.exists()
    files = {p.name: p.read_bytes() for p in folder.iterdir()}
    assert set(files) == {"ca.der", "ca.pem", "ca.key", "server.pem", "server.key"}
    again = tls.test_pki(folder)
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == files
    assert tls.cert_sha256(again) == tls.cert_sha256(first)


def test_test_pki_certificates(pki):
    ca = x509.load_der_x509_certificate(pki.ca_der.read_bytes())
    assert x509.load_pem_x509_certificate(pki.ca_pem.read_bytes()) == ca
    cert = x509.load_pem_x509_certificate(pki.cert.read_bytes())
    cert.verify_directly_issued_by(ca)
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["localhost"]
    assert [str(a) for a in san.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]
    cn = cert.subject.get_attributes_for_oid(x509.oid.NameOID.COMMON_NAME)
    assert [a.value for a in cn] == ["localhost"]
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    now = _now()
    for c, years in ((ca, 10), (cert, 2)):
        assert c.not_valid_before_utc < now  # from a day ago
        left = c.not_valid_after_utc - now
        assert dt.timedelta(days=30) < left <= dt.timedelta(days=365 * years)
        assert c.public_key().curve.name == "secp256r1"
        assert c.signature_hash_algorithm.name == "sha256"


def test_test_pki_replaces_a_stale_or_broken_one(tmp_path):
    folder = tmp_path / "pki"
    first = tls.test_pki(folder)
    first_ca = first.ca_der.read_bytes()
    # 20 days left: under the 30 days test_pki wants
    tls.make_server_cert(folder, first, not_after=_now() + dt.timedelta(days=20))
    stale = tls.cert_sha256(first)
    renewed = tls.test_pki(folder)
    assert tls.cert_sha256(renewed) != stale
    assert renewed.ca_der.read_bytes() != first_ca  # a whole new PKI
    cert = x509.load_pem_x509_certificate(renewed.cert.read_bytes())
    assert cert.not_valid_after_utc - _now() > dt.timedelta(days=365)
    renewed.cert.write_text("not a certificate")
    assert tls.test_pki(folder).cert.read_text().startswith("-----BEGIN CERTIFICATE")


def test_test_pki_from_several_processes_at_once(tmp_path):
    folder = tmp_path / "shared" / "pki"
    code = ("import sys; from pathlib import Path; from host_tools.hostsim import tls; "
            "print(tls.cert_sha256(tls.test_pki(Path(sys.argv[1]))))")
    procs = [subprocess.Popen([sys.executable, "-c", code, str(folder)], cwd=REPO,
                              stdout=subprocess.PIPE, text=True) for _ in range(4)]
    pins = {p.communicate(timeout=60)[0].strip() for p in procs}
    assert all(p.returncode == 0 for p in procs)
    assert pins == {tls.cert_sha256(tls.Pki.at(folder))}
    # only the PKI and its lock are left: no temporary folders
    assert sorted(p.name for p in folder.parent.iterdir()) == [".pki.lock", "pki"]


def test_cert_sha256_is_the_served_certificates_digest(sim, pki):
    with PosClient("127.0.0.1", sim[0]) as t:
        der = t.sock.getpeercert(binary_form=True)
    assert tls.cert_sha256(pki) == hashlib.sha256(der).hexdigest()
    assert len(tls.cert_sha256(pki)) == 64


# ------------------------------------------------------------- the simulator


def test_sign_in_over_tls(sim):
    with PosClient("127.0.0.1", sim[0]) as t:
        assert t.sock.version() == "TLSv1.2"
        assert t.sign_in().rc == "00"
    with PosClient("localhost", sim[0]) as t:  # the certificate's DNS name too
        assert t.sign_in().rc == "00"
    assert "TLS 1.2 on: certificate" in _log(sim[1])


def test_server_speaks_tls_1_2_only(sim, pki):
    ctx = tls.client_context(pki.ca_pem)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    with socket.create_connection(("127.0.0.1", sim[0]), timeout=5) as raw:
        with pytest.raises(ssl.SSLError):
            ctx.wrap_socket(raw, server_hostname="127.0.0.1")


def test_plain_mode(tmp_path):
    with running_hostsim(tmp_path / "host.db", "--plain") as (_, port):
        with PosClient("127.0.0.1", port, tls=False) as t:
            assert t.sign_in().rc == "00"
        with pytest.raises(ssl.SSLError):  # nobody answers TLS there
            PosClient("127.0.0.1", port).connect()
    assert "TLS off (--plain)" in _log(tmp_path / "host.db")


def test_plain_client_on_the_tls_server_gets_nothing(sim):
    before = _messages(sim[1])
    t = PosClient("127.0.0.1", sim[0], tls=False, timeout=3)
    with t, pytest.raises(Exception):  # noqa: B017  the server closes: NoAnswer or a reset
        t.sign_in()
    with PosClient("127.0.0.1", sim[0]) as again:
        assert again.sign_in().rc == "00"
    assert _messages(sim[1]) == before + 2  # only the good 0800 and its 0810


def test_client_not_trusting_the_ca_fails_and_the_server_goes_on(sim, tmp_path):
    other = tls.make_server_cert(tmp_path / "other", None)
    before, failed = _messages(sim[1]), _log(sim[1]).count("TLS handshake failed")
    with pytest.raises(ssl.SSLCertVerificationError) as e:
        PosClient("127.0.0.1", sim[0], ca=other.ca_pem).connect()
    assert e.value.verify_message == "unable to get local issuer certificate"
    line = _wait_log(sim[1], "TLS handshake failed", failed + 1)
    assert " WARNING " in line and "UNKNOWN_CA" in line.upper(), line  # the client's alert
    with PosClient("127.0.0.1", sim[0]) as t:
        assert t.sign_in().rc == "00"
    assert _messages(sim[1]) == before + 2  # the failed handshake is no message
    assert sim[2].poll() is None
    assert "Traceback" not in _log(sim[1])


def test_silent_client_times_out_without_blocking_others(sim):
    failed = _log(sim[1]).count("TLS handshake failed")
    with socket.create_connection(("127.0.0.1", sim[0]), timeout=5) as silent:
        t0 = time.monotonic()
        with PosClient("127.0.0.1", sim[0]) as t:  # served while the other says nothing
            assert t.sign_in().rc == "00"
        assert time.monotonic() - t0 < 1.0
        assert silent.recv(1) == b""  # closed by the server after --handshake-timeout 1
        assert time.monotonic() - t0 < 4.0
    line = _wait_log(sim[1], "TLS handshake failed", failed + 1)
    assert " WARNING " in line and "taking longer than 1" in line, line
    with PosClient("127.0.0.1", sim[0]) as t:
        assert t.sign_in().rc == "00"


def test_garbage_after_the_handshake_closes_that_connection_only(sim):
    errors = _log(sim[1]).count("TLS error (")
    t = PosClient("127.0.0.1", sim[0], timeout=3)
    with t:
        # a TLS record that does not decrypt, written on the TCP socket under the TLS
        s = socket.socket(fileno=socket.dup(t.sock.fileno()))
        s.sendall(bytes.fromhex("1703030020") + bytes(32))
        s.close()
        with pytest.raises(Exception):  # noqa: B017  NoAnswer or a reset
            t.recv()
    line = _wait_log(sim[1], "TLS error (", errors + 1)
    assert " WARNING " in line, line
    with PosClient("127.0.0.1", sim[0]) as again:
        assert again.sign_in().rc == "00"
    assert "unexpected error" not in _log(sim[1])


# ------------------------------------------------- certificates that must fail


def _bad_cert(folder, pki, case):
    now = _now()
    if case == "expired":
        return tls.make_server_cert(folder, pki, not_before=now - dt.timedelta(days=30),
                                    not_after=now - dt.timedelta(days=1))
    if case == "not_yet_valid":
        return tls.make_server_cert(folder, pki, not_before=now + dt.timedelta(days=1),
                                    not_after=now + dt.timedelta(days=30))
    if case == "other_ca":
        return tls.make_server_cert(folder, None)
    assert case == "wrong_name"
    return tls.make_server_cert(folder, pki, names=("other.example",))


@pytest.mark.parametrize(("case", "server_name", "reason"), [
    ("expired", "127.0.0.1", "certificate has expired"),
    ("not_yet_valid", "127.0.0.1", "certificate is not yet valid"),
    ("other_ca", "127.0.0.1", "unable to get local issuer certificate"),
    ("wrong_name", "127.0.0.1", "IP address mismatch"),
    ("wrong_name", "localhost", "Hostname mismatch"),
])
def test_bad_server_certificates_fail_verification(tmp_path, pki, case, server_name, reason):
    bad = _bad_cert(tmp_path / case, pki, case)
    with running_hostsim(tmp_path / "host.db", "--tls-dir", str(bad.folder)) as (proc, port):
        with pytest.raises(ssl.SSLCertVerificationError) as e:
            PosClient("127.0.0.1", port, server_name=server_name).connect()  # the test CA
        assert reason in e.value.verify_message
        if case != "other_ca":  # trusting the right CA is not enough
            assert bad.ca_der.read_bytes() == pki.ca_der.read_bytes()
        else:  # its own CA and name are fine: only the CA was wrong
            with PosClient("127.0.0.1", port, ca=bad.ca_pem) as t:
                assert t.sign_in().rc == "00"
        assert proc.poll() is None


def test_make_server_cert_defaults_and_names(tmp_path, pki):
    made = tls.make_server_cert(tmp_path / "x", pki, names=("a.example", "10.0.0.7", "::1"))
    cert = x509.load_pem_x509_certificate(made.cert.read_bytes())
    cert.verify_directly_issued_by(x509.load_der_x509_certificate(pki.ca_der.read_bytes()))
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["a.example"]
    assert [str(a) for a in san.get_values_for_type(x509.IPAddress)] == ["10.0.0.7", "::1"]
    left = cert.not_valid_after_utc - _now()
    assert dt.timedelta(days=2 * 365 - 1) < left <= dt.timedelta(days=2 * 365)
    assert made.ca_key.read_bytes() == pki.ca_key.read_bytes()
    assert tls.cert_sha256(made) != tls.cert_sha256(pki)


def test_missing_tls_dir_stops_the_simulator(tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "host_tools.hostsim", "--port", "0", "--db",
         str(tmp_path / "h.db"), "--tls-dir", str(tmp_path / "none")],
        capture_output=True, text=True, cwd=REPO, timeout=30)
    assert out.returncode != 0 and out.stdout == ""
    assert "no TLS with" in out.stderr


# ------------------------------------------------ the CA a simulator terminal trusts


def test_sim_terminal_installs_the_ca(tmp_path, pki):
    from host_tools.simctl import SimTerminal

    t = SimTerminal(tmp_path / "a", config={"port": 1})
    assert (t.dir / "ca.der").read_bytes() == pki.ca_der.read_bytes()
    SimTerminal(tmp_path / "b", config={"port": 1, "tls": False})
    assert not (tmp_path / "b" / "ca.der").exists()
    other = tls.make_server_cert(tmp_path / "other", None)
    t = SimTerminal(tmp_path / "c", config={"port": 1}, ca=other.ca_pem)  # PEM: as DER
    assert (t.dir / "ca.der").read_bytes() == other.ca_der.read_bytes()
    t.write_config({"port": 1, "tls_ca": "acquirer.der"})
    assert (t.dir / "acquirer.der").read_bytes() == other.ca_der.read_bytes()
    assert sorted(p.name for p in t.dir.iterdir()) == ["acquirer.der", "ca.der",
                                                        "config.json"]


def test_sim_terminal_start_installs_a_missing_ca(tmp_path, pki):
    """A config.json written by others (make run's provision) gets the CA at start."""
    from host_tools.simctl import SimTerminal

    t = SimTerminal(tmp_path / "a")
    t._ensure_ca()  # no config.json: nothing
    assert not (t.dir / "ca.der").exists()
    t.config_path.write_text('{"port": 1, "tls": false}')
    t._ensure_ca()
    assert not (t.dir / "ca.der").exists()
    t.config_path.write_text('{"port": 1}')
    t._ensure_ca()
    assert (t.dir / "ca.der").read_bytes() == pki.ca_der.read_bytes()
    (t.dir / "ca.der").write_bytes(b"theirs")  # one already there is kept
    t._ensure_ca()
    assert (t.dir / "ca.der").read_bytes() == b"theirs"


# ---------------------------------------------- the terminal's TLS stack (mbedTLS)

MBEDTLS_CLIENT = """
import socket, sys, tls
port, ca, name = int(sys.argv[-3]), open(sys.argv[-2], "rb").read(), sys.argv[-1]
ctx = tls.SSLContext(tls.PROTOCOL_TLS_CLIENT)
ctx.verify_mode = tls.CERT_REQUIRED
ctx.load_verify_locations(ca)
s = socket.socket()
s.connect(socket.getaddrinfo("127.0.0.1", port)[0][-1])
try:
    ctx.wrap_socket(s, server_hostname=name).close()
    print("OK")
except Exception as e:
    print("FAIL", repr(e))
"""


@pytest.mark.parametrize(("name", "ok"), [("127.0.0.1", True), ("localhost", True),
                                          ("other.example", False)])
def test_mbedtls_accepts_the_test_pki(tmp_path, sim, pki, name, ok):
    """MicroPython's tls module (what the firmware uses), verifying as the terminal does:
    CERT_REQUIRED, the CA as DER, the server name the host setting."""
    from host_tools.runtime import micropython

    script = tmp_path / "mbedtls_client.py"
    script.write_text(MBEDTLS_CLIENT)
    out = subprocess.run([micropython(), str(script), str(sim[0]), str(pki.ca_der), name],
                         capture_output=True, text=True, timeout=60)
    assert out.stdout.startswith("OK" if ok else "FAIL"), out.stdout + out.stderr


MBEDTLS_READER = """
import binascii, socket, sys, time, tls
port, ca, data = int(sys.argv[-3]), open(sys.argv[-2], "rb").read(), sys.argv[-1]
ctx = tls.SSLContext(tls.PROTOCOL_TLS_CLIENT)
ctx.verify_mode = tls.CERT_REQUIRED
ctx.load_verify_locations(ca)
s = socket.socket()
s.connect(socket.getaddrinfo("127.0.0.1", port)[0][-1])
s.settimeout(5)
ss = ctx.wrap_socket(s, server_hostname="127.0.0.1")
ss.write(binascii.unhexlify(data))
got = 0
while True:
    try:
        b = ss.read(256)
    except OSError as e:
        print("ERROR", e, got)
        break
    if not b:
        print("EOF", got)
        break
    got += len(b)
"""


@pytest.mark.parametrize("kind", ["close", "close_mid", "close_after"])
def test_mbedtls_sees_the_host_close(tmp_path, sim, pki, kind):
    """A host that closes (here after none, half or all of its answer) is seen closing by
    the terminal's mbedTLS at once: the simulator closes TCP right after its close_notify
    (mbedTLS reads the end at the FIN), never waiting for the terminal's close_notify."""
    from host_tools.runtime import micropython

    led = Ledger(sim[1])
    try:
        led.add_fault(kind, mti="0820", count=1)
    finally:
        led.close()
    c = PosClient("127.0.0.1", sim[0])
    echo = c.encode("0820", {11: "000001", 41: c.tid, 42: c.mid, 60: "00000000301"}, False)
    script = tmp_path / "mbedtls_reader.py"
    script.write_text(MBEDTLS_READER)
    t0 = time.monotonic()
    out = subprocess.run([micropython(), str(script), str(sim[0]), str(pki.ca_der),
                          echo.hex()], capture_output=True, text=True, timeout=60)
    assert out.stdout.startswith("EOF"), out.stdout + out.stderr
    assert (int(out.stdout.split()[1]) > 0) == (kind != "close"), out.stdout
    assert time.monotonic() - t0 < 4, "the end came only with the reader's 5 s timeout"
