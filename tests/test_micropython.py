"""Code written for MicroPython's ssl (/work/shared/spec/micropython-ssl.txt)
runs unchanged on sslmod: ``ssl.wrap_socket(sock, server_side=False,
key=None, cert=None, cert_reqs=CERT_NONE, cadata=None,
server_hostname=None, do_handshake=True)``, ``SSLContext(protocol)``
positional, and the stream methods ``read(n)``, ``readinto(buf)`` and
``write(b)`` on the wrapped socket.

Each snippet runs as ``import sslmod as ssl`` and as plain ``import ssl``
after ``sslmod.inject()`` (undone by ``sslmod.extract()`` in the fixture's
finalizer), against a loopback peer that uses the interpreter's ssl.

The stdlib cannot run most of these snippets on any version: its
``wrap_socket`` (removed in 3.12) never took ``key``, ``cert``,
``cadata``, ``server_hostname`` or ``do_handshake``, and its SSLSocket has
no ``readinto``.  Those tests therefore compare sslmod's result with what
the equivalent CPython-style code gives on the stdlib (written next to
each snippet), and assert sslmod's own behaviour where there is nothing
to compare with.  Snippets that are valid CPython too run on both.
"""
import base64
import importlib
import socket
import sys
import threading
import warnings

import pytest

pytest.register_assert_rewrite("clientutil")
import connutil as cu  # noqa: E402
from clientutil import stdlib_back_afterwards, echo_tls  # noqa: F401  (fixtures)
from clientutil import (  # noqa: E402
    HOST, TIMEOUT, REF, cert, read_cert,
    line_client, exc_report)

WRAP_SOCKET_WARNING = "ssl.wrap_socket() is deprecated, use SSLContext.wrap_socket()"


@pytest.fixture(params=["import_sslmod_as_ssl", "inject"])
def mp_ssl(request):
    """The module a MicroPython program gets from ``import ssl``."""
    import sslmod
    request.addfinalizer(sslmod.extract)
    if request.param == "inject":
        sslmod.inject()
        module = importlib.import_module("ssl")
        assert module is not REF.ssl
        return module
    return sslmod


def connect(port):
    sock = socket.socket()
    sock.settimeout(TIMEOUT)
    sock.connect((HOST, port))
    return sock


def on_sslmod(wrapped):
    import sslmod
    return isinstance(wrapped.context, sslmod.SSLContext)


# The stdlib's wrap_socket warns from 3.10 on (3.12 removed it); on 3.9 it
# is silent, and warnings follow the interpreter sslmod runs in.
WRAP_SOCKET_WARNS = sys.version_info >= (3, 10)


def mp_wrap(mp_ssl, sock, **kwargs):
    """``mp_ssl.wrap_socket(sock, **kwargs)``, asserting its deprecation
    warning where the interpreter's wrap_socket warns (3.10, 3.11) or is
    gone (3.12+)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            wrapped = mp_ssl.wrap_socket(sock, **kwargs)
        except BaseException:
            sock.close()
            raise
    messages = [(w.category, str(w.message)) for w in caught]
    if not WRAP_SOCKET_WARNS:
        assert messages == [], messages
        return wrapped
    assert (DeprecationWarning, WRAP_SOCKET_WARNING) in messages, messages
    # The warning points at the caller, as warnings.warn(stacklevel=2) does.
    hit = next(w for w in caught if str(w.message) == WRAP_SOCKET_WARNING)
    assert hit.filename == __file__
    return wrapped


def std_client(port, cadata=None, server_hostname="localhost"):
    """The CPython-style equivalent of a MicroPython client snippet, on the
    stdlib: verifying against CADATA, or not verifying at all."""
    if cadata is None:
        ctx = REF.ssl.SSLContext(REF.ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = REF.ssl.CERT_NONE
    else:
        ctx = REF.ssl.create_default_context(cadata=cadata)
    return ctx.wrap_socket(connect(port), server_hostname=server_hostname)


def session(ss):
    """A MicroPython-style exchange: write(b), read(n), readinto(buf)
    where the stdlib has it (read(n, buf) otherwise)."""
    ss.write(b"hello micropython\r\n")
    first = ss.read(100)
    ss.write(b"second line\r\n")
    buf = bytearray(100)
    if hasattr(ss, "readinto"):
        n = ss.readinto(buf)
    else:
        n = ss.read(100, buf)
    out = {"read": first, "readinto": (n, bytes(buf[:n])),
           "version": ss.version(), "cipher": ss.cipher()[0],
           "peercert": ss.getpeercert()}
    ss.write(b"QUIT\r\n")
    ss.close()
    return out


def _warnings_of(fn):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fn().close()
    return [(w.category, str(w.message)) for w in caught]


def test_deprecation_warnings_match_stdlib(mp_ssl):
    """CPython's own wrap_socket call warns as the stdlib does where the
    stdlib still has it (nothing on 3.9; on 3.10 and 3.11 also for
    PROTOCOL_TLS); on 3.12+ the wrap_socket warning keeps its text."""
    def cpython_call(ssl):
        return lambda: ssl.wrap_socket(socket.socket(), do_handshake_on_connect=False)
    got = _warnings_of(cpython_call(mp_ssl))
    if hasattr(REF.ssl, "wrap_socket"):
        assert got == _warnings_of(cpython_call(REF.ssl))
    else:
        assert sys.version_info >= (3, 12)
        assert (DeprecationWarning, WRAP_SOCKET_WARNING) in got
    mp_wrap(mp_ssl, socket.socket(), do_handshake=False).close()


def test_wrap_socket_no_verification(mp_ssl, echo_tls):
    """The shortest snippet: cert_reqs defaults to CERT_NONE."""
    ss = mp_wrap(mp_ssl, connect(echo_tls.port), server_hostname="localhost")
    assert on_sslmod(ss)
    got = session(ss)
    assert got == session(std_client(echo_tls.port))
    assert got["read"] == b"HELLO MICROPYTHON\r\n"
    assert got["readinto"] == (13, b"SECOND LINE\r\n")
    assert got["peercert"] == {}


@pytest.mark.parametrize("form", ["der", "pem"])
def test_wrap_socket_cadata(mp_ssl, echo_tls, form):
    """cert_reqs=CERT_REQUIRED with the CA in cadata, as DER (what
    MicroPython documents) or PEM bytes."""
    cadata = read_cert("ca.der" if form == "der" else "ca.pem")
    ss = mp_wrap(mp_ssl, connect(echo_tls.port), cert_reqs=mp_ssl.CERT_REQUIRED,
                 cadata=cadata, server_hostname="localhost")
    assert on_sslmod(ss)
    got = session(ss)
    assert got == session(std_client(echo_tls.port, read_cert("ca.der")))
    assert got["peercert"]["subjectAltName"]


def _mp_failure(fn):
    """MicroPython has no SSLError; programs catch OSError."""
    try:
        fn().close()
    except OSError as exc:
        return exc_report(exc)
    return "no error"


def test_wrap_socket_untrusted(mp_ssl, echo_tls):
    """The server's chain does not lead to the CA in cadata."""
    other_ca = REF.ssl.PEM_cert_to_DER_cert(read_cert("selfsigned.pem").decode())
    got = _mp_failure(lambda: mp_wrap(
        mp_ssl, connect(echo_tls.port), cert_reqs=mp_ssl.CERT_REQUIRED,
        cadata=other_ca, server_hostname="localhost"))
    expected = _mp_failure(lambda: std_client(echo_tls.port, other_ca))
    assert got["impl"] == "sslmod" and expected["impl"] == "stdlib"
    got.pop("impl"), expected.pop("impl")
    assert got == expected
    assert got["verify_code"] == 20


def test_wrap_socket_hostname_checked(mp_ssl, echo_tls):
    """With verification on, server_hostname is also checked against the
    certificate (MicroPython's documented meaning of server_hostname)."""
    cadata = read_cert("ca.der")
    got = _mp_failure(lambda: mp_wrap(
        mp_ssl, connect(echo_tls.port), cert_reqs=mp_ssl.CERT_REQUIRED,
        cadata=cadata, server_hostname="wrong.example"))
    expected = _mp_failure(lambda: std_client(echo_tls.port, cadata, "wrong.example"))
    got.pop("impl"), expected.pop("impl")
    assert got == expected
    assert got["verify_code"] == 62


def test_wrap_socket_deferred_handshake(mp_ssl, echo_tls):
    """do_handshake=False: nothing happens until the first write."""
    ss = mp_wrap(mp_ssl, connect(echo_tls.port), server_hostname="localhost",
                 do_handshake=False)
    assert ss.version() is None
    got = session(ss)
    assert got == session(std_client(echo_tls.port))


def test_sslcontext_positional_protocol(mp_ssl, echo_tls):
    """A snippet that is valid CPython as well: run on both."""
    def snippet(ssl):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.load_verify_locations(cadata=read_cert("ca.der"))
        sock = connect(echo_tls.port)
        ss = ctx.wrap_socket(sock, server_hostname="localhost")
        ss.write(b"ping\r\n")
        data = ss.read(100)
        out = {"data": data, "peercert": ss.getpeercert(),
               "verify_mode": int(ctx.verify_mode), "protocol": int(ctx.protocol)}
        ss.write(b"QUIT\r\n")
        ss.close()
        return out
    assert snippet(mp_ssl) == snippet(REF.ssl)


def _pem_body(pem):
    """The DER inside the first PEM block of PEM (bytes)."""
    lines = pem.decode("ascii").strip().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("-----BEGIN"))
    end = next(i for i, line in enumerate(lines) if line.startswith("-----END"))
    return base64.b64decode("".join(lines[start + 1:end]))


def _serve_once(serve):
    """Run SERVE(conn) on one accepted connection while the reference
    client talks to it from a thread; return what the client saw."""
    listener = socket.create_server((HOST, 0))
    listener.settimeout(TIMEOUT)
    sockets = cu.Connections()
    result = {}

    def client():
        try:
            # It trusts the intermediate too: a MicroPython server is
            # given its leaf alone.
            result["client"] = line_client(listener.getsockname()[1],
                                           ["one", "two"], sockets=sockets,
                                           cafile="ca-bundle.pem")
        except Exception as exc:  # noqa: BLE001 - reported below
            result["client_error"] = exc

    thread = threading.Thread(target=client, daemon=True)
    thread.start()
    try:
        conn, _ = listener.accept()
        conn.settimeout(TIMEOUT)
        try:
            result["server"] = serve(conn)
        except BaseException:
            sockets.abort()
            raise
    finally:
        thread.join(TIMEOUT)
        listener.close()
        sockets.close()
    assert not thread.is_alive()
    if "client_error" in result:
        raise result["client_error"]
    return result


def _mp_echo(ss):
    """A MicroPython-style server loop: read lines, write them upper-cased."""
    seen = []
    buf = b""
    while True:
        while b"\n" not in buf:
            data = ss.read(256)
            if not data:
                break
            buf += data
        if b"\n" not in buf:
            break
        line, buf = buf.split(b"\n", 1)
        line = line.rstrip(b"\r")
        if line == b"QUIT":
            break
        seen.append(line)
        ss.write(line.upper() + b"\r\n")
    return seen


@pytest.mark.parametrize("form", ["der", "pem"])
def test_wrap_socket_server_key_cert_bytes(mp_ssl, form):
    """server_side=True with key= and cert= as bytes (MicroPython passes
    the key and certificate themselves, not file names)."""
    key_pem, cert_pem = read_cert("server-rsa.key"), read_cert("server-rsa-chain.pem")
    if form == "der":
        key, leaf = _pem_body(key_pem), _pem_body(cert_pem)
    else:
        key, leaf = key_pem, cert_pem

    def serve(conn):
        ss = mp_wrap(mp_ssl, conn, server_side=True, key=key, cert=leaf)
        assert on_sslmod(ss)
        try:
            return {"lines": _mp_echo(ss), "version": ss.version()}
        finally:
            ss.close()

    result = _serve_once(serve)
    assert result["server"]["lines"] == [b"one", b"two"]
    assert result["client"]["replies"] == ["ONE", "TWO"]
    # The reference client verified what it got.
    assert result["client"]["tls"]["peercert"]["subject"][-1] == (("commonName", "localhost"),)


def test_sslcontext_server_snippet(mp_ssl):
    """SSLContext(PROTOCOL_TLS_SERVER) positional plus load_cert_chain:
    valid CPython as well, so run on both and compare."""
    def run(ssl):
        def serve(conn):
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(cert("server-rsa-chain.pem"), cert("server-rsa.key"))
            ss = ctx.wrap_socket(conn, server_side=True)
            try:
                return {"lines": _mp_echo(ss), "version": ss.version(),
                        "cipher": ss.cipher()[0]}
            finally:
                ss.close()
        return _serve_once(serve)
    assert run(mp_ssl) == run(REF.ssl)
