"""APIs that CPython deprecated or removed from ssl, kept working in sslmod.

``sslmod.ssl`` ends with ``from ._legacy import *``, so everything listed in
``__all__`` appears there, on every supported interpreter, each use raising
a DeprecationWarning.  ``wrap_socket`` also takes MicroPython's keywords.

This module must not import ``sslmod.ssl`` at import time: ``sslmod.ssl``
imports us while it is itself still being initialised.  Whatever we need
from it is fetched inside the functions.
"""
import os as _os
import socket as _socket
import sys as _sys
import warnings as _warnings

from . import _sslmod

__all__ = ["wrap_socket", "match_hostname", "RAND_pseudo_bytes"]


def _ssl():
    # The Python layer, imported on first use to break the import cycle.
    from . import ssl
    return ssl


def _deprecated(what):
    # The interpreter's ssl started warning about these in 3.10; like it,
    # sslmod stays quiet on 3.9.  stacklevel 3: the warning points at the
    # caller of the public function.
    if _sys.version_info >= (3, 10):
        _warnings.warn(what, DeprecationWarning, stacklevel=3)


# ---- RAND_pseudo_bytes --------------------------------------------------

def RAND_pseudo_bytes(n):
    """Return (n random bytes, True).  Deprecated: use ssl.RAND_bytes().

    OpenSSL 3 has a single generator, so the bytes are always
    cryptographically strong and the flag is always True."""
    _deprecated("ssl.RAND_pseudo_bytes() is deprecated")
    return (_sslmod.RAND_bytes(n), True)


# ---- match_hostname (RFC 6125) ------------------------------------------
#
# The interpreter's ssl has these helpers as private names (_inet_paton,
# _dnsname_match, _ipaddress_match); sslmod.ssl re-exports them under those
# names, since test suites and third-party code call them.

_IPV4_NOT_QUAD = "{!r} is not a quad-dotted IPv4 address."
_NOT_AN_ADDRESS = "{!r} is neither an IPv4 nor an IP6 address."


def _packed_ipv4(text):
    """TEXT as 4 bytes if it is written as four plain decimal numbers; None
    if inet_aton() refuses it.  inet_aton() alone would also take '127.1'
    or '0x7f.0.0.1', which no certificate means."""
    try:
        packed = _socket.inet_aton(text)
    except OSError:
        return None
    if _socket.inet_ntoa(packed) != text:
        raise ValueError(_IPV4_NOT_QUAD.format(text))
    return packed


def _inet_paton(ipname):
    """The packed form (4 or 16 bytes) of an IPv4 or IPv6 literal.

    ValueError if IPNAME is neither; IPv6 scope ids ('%eth0') are refused."""
    packed = _packed_ipv4(ipname)
    if packed is not None:
        return packed
    try:
        return _socket.inet_pton(_socket.AF_INET6, ipname)
    except OSError:
        pass
    raise ValueError(_NOT_AN_ADDRESS.format(ipname))


def _address_or_none(hostname):
    """HOSTNAME as packed address bytes, or None when it names a host."""
    try:
        return _inet_paton(hostname)
    except ValueError:
        return None


def _ipaddress_match(cert_ipaddress, host_ip):
    """Whether a certificate's 'IP Address' entry is the packed HOST_IP.

    The certificate decoder may leave a trailing newline on IPv6 entries."""
    return _inet_paton(cert_ipaddress.rstrip()) == host_ip


# Each rule a wildcard name must keep, in the order they are checked, as
# (what is wrong, test on (name, leftmost label, has more labels)).
_WILDCARD_RULES = (
    ("too many wildcards in certificate DNS name",
     lambda name, left, more: name.count("*") > 1),
    ("wildcard can only be present in the leftmost label",
     lambda name, left, more: "*" not in left),
    ("sole wildcard without additional labels are not support",
     lambda name, left, more: not more),
    ("partial wildcards in leftmost label are not supported",
     lambda name, left, more: left != "*"),
)


def _dnsname_match(dn, hostname):
    """True if the certificate name DN covers HOSTNAME.

    RFC 6125 6.4.3, strictly: at most one '*', standing alone as the
    leftmost label of a name with more labels, matching exactly one
    non-empty label.  A name that breaks a rule is an error
    (CertificateError), not a mismatch.  Comparison ignores ASCII case; a
    trailing dot is significant."""
    if not dn:
        return False
    if "*" not in dn:
        return dn.lower() == hostname.lower()
    left, dot, rest = dn.partition(".")
    for problem, broken in _WILDCARD_RULES:
        if broken(dn, left, bool(dot)):
            raise _sslmod.SSLCertVerificationError("{}: {!r}.".format(problem, dn))
    host_left, host_dot, host_rest = hostname.partition(".")
    # The wildcard stands for HOST_LEFT, which must be a real label.
    return bool(host_left and host_dot) and host_rest.lower() == rest.lower()


def _names_to_try(cert):
    """(kind, name) pairs a host name is checked against: the DNS and IP
    entries of subjectAltName, or, when it has none, the subject's
    commonNames (as DNS names)."""
    alt = [(kind, value) for kind, value in cert.get("subjectAltName", ())
           if kind in ("DNS", "IP Address")]
    if alt:
        return alt
    return [("DNS", value) for rdn in cert.get("subject", ())
            for key, value in rdn if key == "commonName"]


def match_hostname(cert, hostname):
    """Check that CERT (a getpeercert() dict) was issued for HOSTNAME.

    Deprecated since Python 3.7 and removed in 3.12: set
    SSLContext.check_hostname instead, which lets OpenSSL do the check
    during the handshake.  Returns None on success and raises
    CertificateError otherwise.

    DNS names in subjectAltName are matched with RFC 6125 wildcard rules;
    an IP address hostname matches only 'IP Address' entries; the subject
    commonName is looked at only when there is no DNS or IP entry."""
    _deprecated("ssl.match_hostname() is deprecated")
    if not cert:
        raise ValueError("empty or no certificate, match_hostname needs a "
                         "SSL socket or SSL context with either "
                         "CERT_OPTIONAL or CERT_REQUIRED")
    host_ip = _address_or_none(hostname)
    names = _names_to_try(cert)
    for kind, value in names:
        if kind == "DNS" and host_ip is None and _dnsname_match(value, hostname):
            return
        if kind == "IP Address" and host_ip is not None and _ipaddress_match(value, host_ip):
            return
    tried = [value for _, value in names]
    if len(tried) > 1:
        msg = "hostname {!r} doesn't match either of {}".format(
            hostname, ", ".join(map(repr, tried)))
    elif len(tried) == 1:
        msg = "hostname {!r} doesn't match {!r}".format(hostname, tried[0])
    else:
        msg = "no appropriate commonName or subjectAltName fields were found"
    raise _sslmod.SSLCertVerificationError(msg)


# ---- wrap_socket --------------------------------------------------------

def _is_pem(data):
    return bytes(data).lstrip().startswith(b"-----BEGIN")


def _der_to_pem(der, label):
    import base64
    body = base64.encodebytes(bytes(der)).decode("ascii")
    return "-----BEGIN {0}-----\n{1}-----END {0}-----\n".format(label, body)


class _InMemoryFile:
    """A readable path holding DATA, for APIs that only take file names.

    On Linux the bytes live in an anonymous memfd reached through
    /proc/self/fd, so key material never touches a disk; elsewhere a
    private temporary file is used and removed on exit."""

    def __init__(self, data):
        self.data = data.encode("ascii") if isinstance(data, str) else bytes(data)
        self.fd = None
        self.path = None

    def __enter__(self):
        import tempfile
        try:
            self.fd = _os.memfd_create("sslmod-pem")
            self.path = "/proc/self/fd/{}".format(self.fd)
            if not _os.path.exists(self.path):
                raise OSError("no /proc")
        except (AttributeError, OSError):
            if self.fd is not None:
                _os.close(self.fd)
            self.fd, self.path = tempfile.mkstemp(suffix=".pem")
        try:
            view = memoryview(self.data)
            while view:
                view = view[_os.write(self.fd, view):]
        except BaseException:
            self.__exit__()
            raise
        return self.path

    def __exit__(self, *exc):
        _os.close(self.fd)
        if not self.path.startswith("/proc/"):
            _os.unlink(self.path)


def _load_chain_from_memory(context, cert, key):
    """load_cert_chain() for MicroPython-style bytes (PEM or DER)."""
    ssl_error = _ssl().SSLError
    if not _is_pem(cert):
        cert = _der_to_pem(cert, "CERTIFICATE")
    if key is None:
        with _InMemoryFile(cert) as cert_path:
            context.load_cert_chain(cert_path)
        return
    if _is_pem(key):
        candidates = [key]
    else:
        # DER carries no label; PEM needs one.  Try PKCS#8 first, then the
        # traditional RSA and EC forms.
        candidates = [_der_to_pem(key, label) for label in
                      ("PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY")]
    with _InMemoryFile(cert) as cert_path:
        for i, pem in enumerate(candidates):
            with _InMemoryFile(pem) as key_path:
                try:
                    context.load_cert_chain(cert_path, key_path)
                    return
                except ssl_error:
                    if i == len(candidates) - 1:
                        raise


_BYTES_LIKE = (bytes, bytearray, memoryview)


def _read_key_or_cert(value, name, contents_allowed):
    """Bytes of a key or certificate given as a path or, for MicroPython's
    key/cert keywords (CONTENTS_ALLOWED), as the PEM or DER bytes."""
    if value is None or contents_allowed and isinstance(value, _BYTES_LIKE):
        return value
    if isinstance(value, (str, bytes)) or hasattr(value, "__fspath__"):
        with open(value, "rb") as f:
            return f.read()
    raise TypeError("{} must be bytes (PEM or DER) or a path, not {}".format(
        name, type(value).__name__))


def wrap_socket(sock, keyfile=None, certfile=None, server_side=False,
                cert_reqs=_sslmod.CERT_NONE, ssl_version=_sslmod.PROTOCOL_TLS,
                ca_certs=None, do_handshake_on_connect=True,
                suppress_ragged_eofs=True, ciphers=None, *,
                key=None, cert=None, cadata=None, server_hostname=None,
                do_handshake=None):
    """Wrap SOCK in a new SSLContext and return the SSLSocket.

    Deprecated since Python 3.7 and removed in 3.12: create an SSLContext
    (create_default_context()) and call its wrap_socket() instead.

    The positional parameters are CPython's.  The keyword-only ones are
    MicroPython's: KEY and CERT (bytes holding PEM or DER, or a path),
    CADATA (CA certificates as DER or PEM bytes), SERVER_HOSTNAME (SNI,
    and hostname checking when the peer is verified) and DO_HANDSHAKE
    (the same as do_handshake_on_connect)."""
    _deprecated("ssl.wrap_socket() is deprecated, use SSLContext.wrap_socket()")
    if cert is not None and certfile is not None:
        raise TypeError("wrap_socket() got both 'cert' and 'certfile'")
    if key is not None and keyfile is not None:
        raise TypeError("wrap_socket() got both 'key' and 'keyfile'")
    if do_handshake is not None:
        do_handshake_on_connect = do_handshake
    if server_side and not (certfile or cert):
        raise ValueError("certfile must be specified for server-side operations")
    if (keyfile or key) and not (certfile or cert):
        raise ValueError("certfile must be specified")

    ssl = _ssl()
    context = ssl.SSLContext(ssl_version)
    context.verify_mode = cert_reqs
    if ca_certs:
        context.load_verify_locations(ca_certs)
    if cadata is not None:
        if isinstance(cadata, (bytes, bytearray, memoryview)) and _is_pem(cadata):
            cadata = bytes(cadata).decode("ascii")
        context.load_verify_locations(cadata=cadata)
    if cert is not None or key is not None:
        # MicroPython style; a CPython-style path may supply the other half.
        cert = (_read_key_or_cert(cert, "cert", True) if cert is not None
                else _read_key_or_cert(certfile, "certfile", False))
        key = (_read_key_or_cert(key, "key", True) if key is not None
               else _read_key_or_cert(keyfile, "keyfile", False))
        _load_chain_from_memory(context, cert, key)
    elif certfile:
        context.load_cert_chain(certfile, keyfile)
    if ciphers:
        context.set_ciphers(ciphers)
    if (server_hostname is not None and not server_side
            and context.verify_mode != _sslmod.CERT_NONE):
        # MicroPython checks the name whenever it verifies the peer.
        context.check_hostname = True
    return context.wrap_socket(
        sock=sock, server_side=server_side,
        do_handshake_on_connect=do_handshake_on_connect,
        suppress_ragged_eofs=suppress_ragged_eofs,
        server_hostname=server_hostname)


# ---- names that older Pythons had --------------------------------------

def _add_old_names():
    """Fill in old aliases that sslmod.ssl (being imported) lacks."""
    ssl = _sys.modules.get(__package__ + ".ssl")
    if ssl is None:
        return
    old = {
        "PROTOCOL_SSLv23": getattr(ssl, "PROTOCOL_TLS", _sslmod.PROTOCOL_TLS),
        "socket_error": OSError,
        "CertificateError": _sslmod.SSLCertVerificationError,
    }
    for name, value in old.items():
        if not hasattr(ssl, name):
            globals()[name] = value
            __all__.append(name)


_add_old_names()
