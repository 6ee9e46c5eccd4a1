"""Shared pieces of the fuzz harnesses: the modules under test, the test
certificates, a scratch file for APIs that only take paths, the two
handshake configurations, and the entry point.

Each harness imports this module inside ``atheris.instrument_imports`` so
that sslmod's Python layer is instrumented too; the C extension carries
its own libFuzzer counters (fuzz/build.sh).  record_seeds.py imports it
without atheris."""
import os
import re
import sys

import sslmod
import sslmod._sslmod as core
import sslmod.ssl as ssl

try:
    import _ssl as std_core   # the interpreter's own, for differential checks
except ImportError:          # pragma: no cover - CPython without ssl
    std_core = None
if os.environ.get("SSLMOD_FUZZ_NO_STDLIB"):
    # sslmod alone: to tell its leaks from the interpreter's _ssl's.
    std_core = None

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CERTS = os.path.join(ROOT, "tests", "certs")


def cert(name):
    return os.path.join(CERTS, name)


def scratch_path(suffix):
    """A per-process file on a memory file system when there is one."""
    base = "/dev/shm" if os.path.isdir("/dev/shm") else None
    import tempfile
    fd, path = tempfile.mkstemp(prefix="sslmod-fuzz-", suffix=suffix, dir=base)
    os.close(fd)
    import atexit
    atexit.register(lambda: os.path.exists(path) and os.unlink(path))
    return path


_SOURCE_TAIL = re.compile(r" \([A-Za-z_]+\.c:\d+\)$")


def _loaded_libcrypto():
    """The libcrypto the extension uses, as mapped into this process."""
    import ctypes
    with open("/proc/self/maps") as maps:
        for line in maps:
            path = line.split()[-1]
            if "/libcrypto.so" in path:
                return ctypes.CDLL(path)
    return ctypes.CDLL("libcrypto.so.3")


_libcrypto = _loaded_libcrypto()
_libcrypto.ERR_peek_error.restype = __import__("ctypes").c_ulong


def clear_error_queue():
    """Empty this thread's OpenSSL error queue.  The interpreter's _ssl
    leaves errors queued (cert_store_stats() after a certificate with a bad
    extension), and its next load then fails on them: a stdlib bug that
    must not show up as a difference."""
    _libcrypto.ERR_clear_error()


def check_error_queue(what):
    """sslmod leaves this thread's OpenSSL error queue as it found it
    (empty): a stale error makes the next caller in the process, sslmod or
    not, report a failure that is not its own."""
    err = _libcrypto.ERR_peek_error()
    if err:
        _libcrypto.ERR_clear_error()
        raise AssertionError("%s left OpenSSL error 0x%x queued" % (what, err))


def _own_types():
    """sslmod's C types.  They carry the interpreter's names
    ("_ssl._SSLContext"), so a method's owner is told by its type, not by
    its module name."""
    found = {v for v in vars(core).values()
             if isinstance(v, type) and not issubclass(v, BaseException)}
    ctx = core._SSLContext(core.PROTOCOL_TLS_CLIENT)
    found.add(type(ctx._wrap_bio(core.MemoryBIO(), core.MemoryBIO(), False, None)))
    return tuple(found)


_OWN_TYPES = _own_types()


def _is_sslmod(fn):
    owner = getattr(fn, "__self__", None)
    if owner is None:
        name = getattr(fn, "__module__", None) or ""
    elif isinstance(owner, type(sys)):
        name = owner.__name__
    elif isinstance(owner, _OWN_TYPES):
        return True
    else:
        name = type(owner).__module__
    return name.startswith("sslmod")


def outcome(fn, *args, **kwargs):
    """("ok", value) or ("raise", exception class name, message without the
    "(file.c:NNN)" tail both modules append to some messages)."""
    clear_error_queue()
    try:
        result = ("ok", fn(*args, **kwargs))
    except Exception as exc:   # the caller decides what is acceptable
        text = _SOURCE_TAIL.sub("", str(exc))
        result = ("raise", type(exc).__name__, text)
    if _is_sslmod(fn):
        check_error_queue(getattr(fn, "__qualname__", repr(fn)))
    clear_error_queue()
    return result


def compare(ours, theirs):
    """The differential check: sslmod's outcome (or tuple of outcomes)
    must equal the interpreter's, and never be a SystemError (an error
    return without an exception, or an exception left set on success)."""
    for result in (ours if isinstance(ours[0], tuple) else (ours,)):
        if result[0] == "raise" and result[1] == "SystemError":
            raise AssertionError("sslmod raised %r" % (result,))
    if theirs is not None and ours != theirs:
        raise AssertionError("sslmod %r\nstdlib %r" % (ours, theirs))


# ---- handshake configurations --------------------------------------------
#
# The first byte of a handshake input picks the configuration, so that the
# recorded seeds and the fuzzer agree on what the local end is:
#   bits 0-1  version range: 0 any, 1 TLS 1.2 only, 2 TLS 1.3 only, 3 any
#   bit 2     client: verify the server (CERT_REQUIRED + CA); server:
#             request a client certificate (CERT_OPTIONAL)
#   bit 3     offer/accept PSK (PSK callbacks installed, PSK suites on)
#   bit 4     server: ECDSA certificate instead of RSA
# Everything else is fixed: SNI, ALPN and message callbacks are always on.

PSK_KEY = bytes(range(32))
PSK_IDENTITY = "fuzz-client"
ALPN = ["h2", "http/1.1", "fuzz"]

_contexts = {}
callback_log = []
unexpected_unraisable = []


def _unraisable(report):
    # The fuzz callbacks' own exceptions are expected (the stdlib reports
    # an SNI callback's through this hook); anything else is a finding,
    # which check_unraisable() raises in the harness.
    if isinstance(report.exc_value, RuntimeError) and str(report.exc_value).startswith("fuzz:"):
        return
    # A server name that is not ASCII: reported, and the handshake fails,
    # as in the stdlib.
    if isinstance(report.exc_value, UnicodeDecodeError) and isinstance(report.object, bytes):
        return
    unexpected_unraisable.append("%s: %r (in %r)" % (
        type(report.exc_value).__name__, report.exc_value, report.object))


sys.unraisablehook = _unraisable


def check_unraisable():
    if unexpected_unraisable:
        raise AssertionError("unraisable exception: %s" % unexpected_unraisable.pop())


def _msg_cb(conn, direction, version, content_type, msg_type, data):
    # Touch every argument, as a real tracer would.
    callback_log.append((direction, int(version), int(content_type), int(msg_type), len(data)))
    del callback_log[:-8]


def _sni_cb(sslobj, name, ctx):
    callback_log.append(("sni", name))
    if name == "switch.example":
        sslobj.context = _contexts["sni-switch"]
    elif name == "alert.example":
        return ssl.ALERT_DESCRIPTION_UNRECOGNIZED_NAME
    elif name == "raise.example":
        raise RuntimeError("fuzz: SNI callback raising")
    return None


def _psk_server_cb(identity):
    callback_log.append(("psk-server", identity))
    if identity == "raise":
        raise RuntimeError("fuzz: PSK callback raising")
    return PSK_KEY if identity == PSK_IDENTITY else b""


def _psk_client_cb(hint):
    callback_log.append(("psk-client", hint))
    return (PSK_IDENTITY, PSK_KEY)


def _versions(ctx, bits):
    rng = bits & 3
    if rng == 1:
        ctx.minimum_version = ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    elif rng == 2:
        ctx.minimum_version = ctx.maximum_version = ssl.TLSVersion.TLSv1_3


def server_context(config):
    key = ("server", config & 0x1F)
    ctx = _contexts.get(key)
    if ctx is None:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        _versions(ctx, config)
        if config & 0x10:
            ctx.load_cert_chain(cert("server-ecdsa-chain.pem"), cert("server-ecdsa.key"))
        else:
            ctx.load_cert_chain(cert("server-rsa-chain.pem"), cert("server-rsa.key"))
        if config & 4:
            ctx.verify_mode = ssl.CERT_OPTIONAL
            ctx.load_verify_locations(cert("ca.pem"))
        if config & 8:
            ctx.set_ciphers("DEFAULT:PSK")
            ctx.set_psk_server_callback(_psk_server_cb, identity_hint="fuzz-hint")
        ctx.set_alpn_protocols(ALPN)
        ctx.sni_callback = _sni_cb
        ctx._msg_callback = _msg_cb
        _contexts[key] = ctx
    if "sni-switch" not in _contexts:
        other = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        other.load_cert_chain(cert("wildcard-chain.pem"), cert("wildcard.key"))
        _contexts["sni-switch"] = other
    return ctx


def client_context(config):
    key = ("client", config & 0x1F)
    ctx = _contexts.get(key)
    if ctx is None:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        _versions(ctx, config)
        if config & 4:
            ctx.load_verify_locations(cert("ca.pem"))
            ctx.load_cert_chain(cert("client.pem"), cert("client.key"))
        else:
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        if config & 8:
            ctx.set_ciphers("DEFAULT:PSK")
            ctx.set_psk_client_callback(_psk_client_cb)
        ctx.set_alpn_protocols(ALPN)
        ctx._msg_callback = _msg_cb
        _contexts[key] = ctx
    return ctx


SERVER_NAMES = ["localhost", "switch.example", "alert.example", "raise.example"]


def client_hostname(config):
    return SERVER_NAMES[(config >> 5) & 3]


def inspect(obj):
    """Everything a program asks of a connection after (or instead of) a
    handshake; the answers only have to come back without crashing."""
    for name in ("selected_alpn_protocol", "version", "cipher", "shared_ciphers",
                 "compression", "pending", "session_reused"):
        try:
            value = getattr(obj, name)
            if callable(value):
                value()
        except (ssl.SSLError, ValueError):
            pass
    try:
        obj.getpeercert()
        obj.getpeercert(True)
    except (ssl.SSLError, ValueError):
        pass
    # The C object's chains are Certificate objects: decode each one.
    for getter in ("get_unverified_chain", "get_verified_chain"):
        for c in getattr(obj._sslobj, getter)() or ():
            try:
                c.get_info()
            except ValueError:
                pass   # UnicodeDecodeError for a name that is not UTF-8, as the stdlib
            except ssl.SSLError:
                pass   # a name string OpenSSL cannot convert: the stdlib raises the same
            c.public_bytes(core.ENCODING_DER)
            c.public_bytes(core.ENCODING_PEM)
            repr(c)
            hash(c)


def _keep_failing_input(test_one_input):
    """Write an input whose run raised to ARTIFACT_PREFIX before atheris
    reports it: libFuzzer writes its own copy only at exit, and a
    periodic SIGALRM of its timeout check can end the process first while
    the interpreter shuts down."""
    prefix = "./"
    for arg in sys.argv:
        if arg.startswith("-artifact_prefix="):
            prefix = arg.split("=", 1)[1]

    def run(data):
        try:
            test_one_input(data)
        except BaseException:
            import hashlib
            import signal
            signal.signal(signal.SIGALRM, signal.SIG_IGN)
            with open("%scrash-%s" % (prefix, hashlib.sha1(data).hexdigest()), "wb") as f:
                f.write(data)
            raise
    return run


def fuzz_main(test_one_input):
    import atheris
    atheris.Setup(sys.argv, _keep_failing_input(test_one_input))
    atheris.Fuzz()


def pair(client_ctx, server_ctx, server_hostname="localhost"):
    """A client and a server SSLObject joined by nothing: pump() moves the
    bytes.  Returns (client, server, client_in, client_out, server_in,
    server_out)."""
    c_in, c_out, s_in, s_out = (ssl.MemoryBIO() for _ in range(4))
    client = client_ctx.wrap_bio(c_in, c_out, server_hostname=server_hostname)
    server = server_ctx.wrap_bio(s_in, s_out, server_side=True)
    return client, server, c_in, c_out, s_in, s_out


def pump(client, server, c_in, c_out, s_in, s_out, rounds=8, tap=None):
    """Drive both handshakes to the end, or until an error.  tap(direction,
    bytes) sees every flight ("c2s"/"s2c").  Returns the exception that
    stopped it, or None."""
    done = set()
    for _ in range(rounds):
        for side, obj in (("c", client), ("s", server)):
            if side in done:
                continue
            try:
                obj.do_handshake()
                done.add(side)
            except ssl.SSLWantReadError:
                pass
            except ssl.SSLError as exc:
                return exc
        flight = c_out.read()
        if flight:
            if tap:
                tap("c2s", flight)
            s_in.write(flight)
        flight = s_out.read()
        if flight:
            if tap:
                tap("s2c", flight)
            c_in.write(flight)
        if done == {"c", "s"}:
            return None
    return None
