"""Behaviour of the interpreter's own ssl that changed within a minor
release, observed at run time (never guessed from the version number).

sslmod follows the newest patch release of each minor version where the
change fixed a bug (it does not copy the bug), and the running
interpreter where the change is one of policy.  The differential tests ask
these probes which of the two the stdlib they compare against is."""
import array
import ssl as _std_ssl
import warnings

import _ssl as _std_core


def ignores_unexpected_eof():
    """Whether a new context of the interpreter's ssl has
    OP_IGNORE_UNEXPECTED_EOF (3.9, 3.10 before 3.10.11, 3.11 before 3.11.3,
    on OpenSSL 3): a ragged EOF then reads as a clean close.  sslmod does
    the same on those releases (Modules/_sslmod/context.c)."""
    flag = getattr(_std_ssl, "OP_IGNORE_UNEXPECTED_EOF", 0)
    return bool(_std_ssl.SSLContext(_std_ssl.PROTOCOL_TLS_CLIENT).options & flag)


def ragged_eof_error():
    """The exception name a ragged EOF gives the interpreter's ssl."""
    return "SSLZeroReturnError" if ignores_unexpected_eof() else "SSLEOFError"


def shared_ciphers_lists_own_ciphers():
    """Whether the interpreter's shared_ciphers() lists the local end's own
    configured ciphers (even before any handshake) rather than those the
    client offered: CPython's bug gh-96931, fixed in 3.11.3 and 3.12.
    sslmod gives the fixed answer on every interpreter."""
    ctx = _std_core._SSLContext(_std_core.PROTOCOL_TLS_CLIENT)
    obj = ctx._wrap_bio(_std_core.MemoryBIO(), _std_core.MemoryBIO(), False, "localhost")
    return obj.shared_ciphers() is not None


def recv_into_counts_items():
    """Whether the interpreter's SSLSocket.recv_into() sizes the read by
    len(buffer) (items) instead of its size in bytes (3.9, 3.10, 3.11
    before its fix).  sslmod counts bytes on every interpreter."""
    asked = []

    class Probe:
        _sslobj = True

        def _checkClosed(self):
            pass

        def read(self, nbytes, buffer=None):
            asked.append(nbytes)
            return 0

    try:
        _std_ssl.SSLSocket.recv_into(Probe(), array.array("i", [0] * 4))
    except Exception:   # noqa: BLE001 - a shape the probe does not know
        return False
    return asked == [4]


def built_against_same_headers(core):
    """Whether the interpreter's _ssl and CORE were compiled against the
    same OpenSSL headers (Debian's python3 package can be built against a
    newer libssl-dev than the one installed here)."""
    return _std_core._OPENSSL_API_VERSION == core._OPENSSL_API_VERSION


def wrap_bio_warns_without_hostname():
    """Whether the interpreter's ssl.py warns "check_hostname requires
    server_hostname" (DeprecationWarning) from SSLContext.wrap_bio(), as
    Debian 12's python3 (3.11.2) does; no CPython release on this machine
    does, and neither does sslmod's ssl."""
    ctx = _std_ssl.SSLContext(_std_ssl.PROTOCOL_TLS_CLIENT)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            ctx.wrap_bio(_std_ssl.MemoryBIO(), _std_ssl.MemoryBIO())
        except Exception:   # noqa: BLE001 - only the warning matters here
            pass
    return any(issubclass(w.category, DeprecationWarning)
               and "check_hostname requires server_hostname" in str(w.message)
               for w in caught)


SHARED_CIPHERS_BUG = shared_ciphers_lists_own_ciphers()
WRAP_BIO_HOSTNAME_WARNING = (
    [("DeprecationWarning", "check_hostname requires server_hostname")]
    if wrap_bio_warns_without_hostname() else [])
