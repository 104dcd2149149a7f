# TLS to the acquirer (docs/configuration.md, "TLS"): TLS 1.2 through MicroPython's `tls`
# module (mbedTLS), the server always authenticated: CERT_REQUIRED against the acquirer's CA
# certificate (DER, provisioned next to config.json), the host name checked, and optionally
# the server certificate pinned by the SHA-256 of its DER. Not the `ssl` module nor
# asyncio.open_connection(ssl=True): in v1.28 both leave verification off.
#
# A failed handshake is "not trusted": nothing of the request has left (mbedTLS sends no
# application data before its handshake is over), and the terminal never falls back to
# plain TCP; plain TCP is only ever what the configuration says ("tls": false).
import hashlib
import os

from micropython import const

try:
    import tls as _tls
except ImportError:  # a build without TLS: a terminal configured for TLS stays offline
    _tls = None

MAX_CA = const(4096)  # one DER certificate; the acquirer's CA is well under 2 KB
_PIN_FAILED = const(-0x3000)  # what the verify callback returns: MBEDTLS_ERR_X509_FATAL_ERROR


class TlsError(Exception):
    pass


def read_ca(path):
    """The CA certificate at path, as DER bytes; TlsError when missing or not DER. Reads
    exactly the file's size: the first exchange may come in a fragmented heap (a flow's,
    the reversal's), where a buffer of MAX_CA bytes in one piece may not be found."""
    try:
        size = os.stat(path)[6]
        f = open(path, "rb")
    except OSError:
        raise TlsError("no CA certificate at %s" % path)
    try:
        der = f.read(min(size, MAX_CA + 1))
    finally:
        f.close()
    # DER: a SEQUENCE (0x30) with a two-byte length (0x82) for any real certificate
    if not (64 <= len(der) <= MAX_CA) or der[0] != 0x30 or der[1] != 0x82:
        raise TlsError("%s is not one DER certificate" % path)
    return der


class Trust:
    """What authenticates the host: the CA, the name to check, the optional pin. One
    SSLContext for the terminal's life (the CA parsed once, into mbedTLS's own heap), made
    at boot with the App: the context object is 1.7 KB of GC heap in one piece (32-bit:
    mbedTLS's config, entropy and DRBG state), which a heap fragmented by the flows may
    not have at the first exchange. Without a CA (or TLS) then, it is made (and what is
    wrong said) at the first exchange, so that provisioning a CA needs no restart."""

    def __init__(self, ca_path, server_name, pin_hex=""):
        self.ca_path = ca_path
        self.server_name = server_name
        self.pin = bytes.fromhex(pin_hex) if pin_hex else None
        self.pin_failed = False
        self.date_failed = False
        self._ctx = None
        try:
            self._context()
        except TlsError:
            pass  # said at the first exchange, which tries again

    def _context(self):
        if _tls is None:
            raise TlsError("this build has no TLS (tls module missing)")
        if self._ctx is None:
            ca = read_ca(self.ca_path)
            ctx = _tls.SSLContext(_tls.PROTOCOL_TLS_CLIENT)
            ctx.verify_mode = _tls.CERT_REQUIRED
            try:
                ctx.load_verify_locations(ca)  # DER only, positional
            except (ValueError, OSError) as e:
                raise TlsError("CA certificate %s rejected: %s" % (self.ca_path, reason(e)))
            if self.pin is not None:
                ctx.verify_callback = self._verify
            self._ctx = ctx
        return self._ctx

    def _verify(self, cert, depth):
        # called by mbedTLS for each certificate of the chain, the server's at depth 0;
        # must not raise (it runs inside mbedTLS), so a mismatch is a return code
        if depth == 0 and hashlib.sha256(cert).digest() != self.pin:
            self.pin_failed = True
            return _PIN_FAILED
        return 0

    def wrap(self, sock):
        """sock wrapped for TLS, the handshake left to the first write (Channel.send)."""
        self.pin_failed = self.date_failed = False
        ctx = self._context()
        try:
            return ctx.wrap_socket(sock, server_hostname=self.server_name,
                                   do_handshake_on_connect=False)
        except (ValueError, OSError) as e:
            raise TlsError(reason(e))

    def failure(self, e):
        """The log's reason for a failed handshake (mbedTLS's words); notes whether the
        certificate's dates were the cause (the clock may be wrong)."""
        if self.pin_failed:
            return "server certificate does not match the pinned SHA-256"
        text = reason(e)
        self.date_failed = "expired" in text or "future" in text
        return text


def reason(e):
    """An exception's text on one line. mbedTLS raises OSError(code, text) for its own
    errors, OSError(errno) for the socket's, ValueError(lines) for a rejected certificate."""
    a = e.args
    if len(a) >= 2:
        return "%s (%d)" % (a[1], a[0])
    if a and isinstance(a[0], str):
        return "; ".join(x for x in a[0].split("\n") if x)
    if a and isinstance(a[0], int):
        return "socket error %d" % a[0]
    return repr(e)
