"""TLS for the host simulator: a test PKI, the server's and a client's SSL contexts.

The terminal speaks TLS 1.2 (mbedTLS, CERT_REQUIRED) to the acquirer host, trusting the
CA certificate in ``ca.der`` next to its config.json and checking the server name (by
default the host it is configured with, e.g. ``127.0.0.1``). Here the simulator's side:

- ``test_pki()``: a test CA and a server certificate for ``localhost`` / ``127.0.0.1``
  in ``.sim/pki`` (made once, reused while both have more than 30 days left);
- ``make_server_cert()``: other server certificates for fault tests (expired, not yet
  valid, signed by another CA, another name);
- ``server_context()`` / ``client_context()``: CPython ``ssl`` contexts for the simulator
  and for ``PosClient``; ``cert_sha256()``: what the terminal's ``tls_pin`` takes.

Keys are EC P-256, signatures ECDSA with SHA-256. A folder holds ``ca.der``, ``ca.pem``,
``ca.key`` (the CA), ``server.pem`` and ``server.key`` (the server), keys as unencrypted
PKCS#8 PEM. Test material only: never a real acquirer's.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import ipaddress
import os
import shutil
import ssl
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

REPO = Path(__file__).resolve().parents[2]
PKI_DIR = REPO / ".sim" / "pki"

SERVER_NAMES = ("localhost", "127.0.0.1")
CA_DAYS = 10 * 365
SERVER_DAYS = 2 * 365
BACKDATE = dt.timedelta(days=1)  # valid from a day ago: clocks a little behind still accept
MIN_LEFT = dt.timedelta(days=30)  # test_pki() makes new certificates when less is left

CA_DER, CA_PEM, CA_KEY = "ca.der", "ca.pem", "ca.key"
SERVER_CERT, SERVER_KEY = "server.pem", "server.key"


@dataclass(frozen=True)
class Pki:
    """The files of one folder: the CA certificate (DER and PEM) and the server's
    certificate and key (PEM). The CA's key is ``folder / "ca.key"``."""

    folder: Path
    ca_der: Path
    ca_pem: Path
    cert: Path
    key: Path

    @classmethod
    def at(cls, folder: Path) -> Pki:
        folder = Path(folder)
        return cls(folder, folder / CA_DER, folder / CA_PEM, folder / SERVER_CERT,
                   folder / SERVER_KEY)

    @property
    def ca_key(self) -> Path:
        return self.folder / CA_KEY


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _new_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _name(cn: str) -> x509.Name:
    return x509.Name([
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "POS terminal test PKI"),
        x509.NameAttribute(NameOID.COMMON_NAME, cn),
    ])


def _san(names: tuple[str, ...] | list[str]) -> x509.SubjectAlternativeName:
    general: list[x509.GeneralName] = []
    for n in names:
        try:
            general.append(x509.IPAddress(ipaddress.ip_address(n)))
        except ValueError:
            general.append(x509.DNSName(n))
    return x509.SubjectAlternativeName(general)


def _make_ca(
    not_before: dt.datetime | None = None, not_after: dt.datetime | None = None,
    cn: str = "POS terminal test CA",
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    now = _now()
    not_before = not_before or now - BACKDATE
    not_after = not_after or now + dt.timedelta(days=CA_DAYS)
    key = _new_key()
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(cn))
        .issuer_name(_name(cn))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=False, content_commitment=False, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
            encipher_only=False, decipher_only=False), critical=True)
        .add_extension(ski, critical=False)
        .sign(key, hashes.SHA256())
    )
    return cert, key


def _make_server(
    ca_cert: x509.Certificate, ca_key: ec.EllipticCurvePrivateKey, names: tuple[str, ...],
    not_before: dt.datetime | None, not_after: dt.datetime | None,
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    if not names:
        raise ValueError("a server certificate needs at least one name")
    now = _now()
    not_before = not_before or now - BACKDATE
    not_after = not_after or now + dt.timedelta(days=SERVER_DAYS)
    key = _new_key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(names[0]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=False, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=False,
            crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]),
                       critical=False)
        .add_extension(_san(names), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                       critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    return cert, key


def _write_ca(folder: Path, cert: x509.Certificate, key_pem: bytes) -> None:
    (folder / CA_DER).write_bytes(cert.public_bytes(serialization.Encoding.DER))
    (folder / CA_PEM).write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / CA_KEY).write_bytes(key_pem)
    os.chmod(folder / CA_KEY, 0o600)


def _write_server(folder: Path, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey) -> None:
    (folder / SERVER_CERT).write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / SERVER_KEY).write_bytes(_key_pem(key))
    os.chmod(folder / SERVER_KEY, 0o600)


def _load_ca(pki: Pki) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    cert = x509.load_der_x509_certificate(pki.ca_der.read_bytes())
    key = serialization.load_pem_private_key(pki.ca_key.read_bytes(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ValueError(f"{pki.ca_key}: not an EC key")
    return cert, key


def _usable(folder: Path) -> bool:
    """The folder holds a whole test PKI: both certificates parse, the server's is the
    CA's, the keys are theirs, and both are valid now and for more than MIN_LEFT."""
    pki = Pki.at(folder)
    try:
        ca_cert, ca_key = _load_ca(pki)
        if x509.load_pem_x509_certificate(pki.ca_pem.read_bytes()) != ca_cert:
            return False
        cert = x509.load_pem_x509_certificate(pki.cert.read_bytes())
        key = serialization.load_pem_private_key(pki.key.read_bytes(), password=None)
        cert.verify_directly_issued_by(ca_cert)
    except (OSError, ValueError, TypeError, InvalidSignature):
        return False
    if ca_key.public_key() != ca_cert.public_key() or key.public_key() != cert.public_key():
        return False
    now = _now()
    return all(c.not_valid_before_utc <= now and c.not_valid_after_utc - now > MIN_LEFT
               for c in (ca_cert, cert))


def _generate(folder: Path) -> None:
    ca_cert, ca_key = _make_ca()
    cert, key = _make_server(ca_cert, ca_key, SERVER_NAMES, None, None)
    _write_ca(folder, ca_cert, _key_pem(ca_key))
    _write_server(folder, cert, key)


def test_pki(folder: Path = PKI_DIR) -> Pki:
    """The test PKI in ``folder`` (default ``.sim/pki``), made when missing, unreadable
    or within 30 days of expiry. Safe with several processes at once: a new PKI is made
    in a temporary folder beside it and renamed into place, under a lock file beside it
    (``.pki.lock``), so that a process that finds it usable never sees it replaced."""
    folder = Path(folder)
    if _usable(folder):
        return Pki.at(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    with open(folder.parent / f".{folder.name}.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _usable(folder):  # another process made it while we waited
            return Pki.at(folder)
        tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.new-", dir=folder.parent))
        try:
            _generate(tmp)
            if folder.exists():  # stale or broken: moved aside, then dropped
                old = Path(tempfile.mkdtemp(prefix=f".{folder.name}.old-",
                                            dir=folder.parent))
                os.rename(folder, old / folder.name)
                shutil.rmtree(old, ignore_errors=True)
            os.rename(tmp, folder)  # atomic: readers see the old one, none, or this one
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    if not _usable(folder):
        raise RuntimeError(f"could not make a test PKI in {folder}")
    return Pki.at(folder)


test_pki.__test__ = False  # type: ignore[attr-defined]  # pytest: not a test when imported


def make_server_cert(
    folder: Path, ca: Pki | None, *, names: tuple[str, ...] | list[str] = SERVER_NAMES,
    not_before: dt.datetime | None = None, not_after: dt.datetime | None = None,
) -> Pki:
    """A server certificate in ``folder`` (same file names as ``test_pki``), signed by
    ``ca``'s CA key, or by a fresh CA of its own when ``ca`` is None; the CA's files
    (key included) are copied or written there too. ``names`` make the SAN (IP addresses
    as iPAddress, the rest as dNSName; the first is the CN); validity defaults to a day
    ago until two years on. For fault tests: expired, not yet valid, another CA's, the
    wrong name."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    if ca is None:
        ca_cert, ca_key = _make_ca(cn="POS terminal other test CA")
        _write_ca(folder, ca_cert, _key_pem(ca_key))
    else:
        ca_cert, ca_key = _load_ca(ca)
        if Path(ca.folder).resolve() != folder.resolve():
            _write_ca(folder, ca_cert, ca.ca_key.read_bytes())
    cert, key = _make_server(ca_cert, ca_key, tuple(names), not_before, not_after)
    _write_server(folder, cert, key)
    return Pki.at(folder)


def server_context(pki: Pki) -> ssl.SSLContext:
    """The simulator's context: TLS 1.2 only (what the terminal speaks), the server's
    certificate and key; no client certificate asked."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(pki.cert, pki.key)
    return ctx


def client_context(ca_pem: Path) -> ssl.SSLContext:
    """A verifying client context (certificate and host name) trusting only the CA in
    ``ca_pem`` (a PEM file; a DER one such as ca.der does too)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    data = Path(ca_pem).read_bytes()
    if data.lstrip().startswith(b"-----BEGIN"):
        ctx.load_verify_locations(cadata=data.decode("ascii"))
    else:
        ctx.load_verify_locations(cadata=data)
    return ctx


def cert_sha256(pki: Pki) -> str:
    """Lower-case hex SHA-256 of the server certificate's DER: the terminal's tls_pin."""
    cert = x509.load_pem_x509_certificate(pki.cert.read_bytes())
    return hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest()
