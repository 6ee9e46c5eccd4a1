"""Helpers for the end-to-end client tests: tiny loopback servers (HTTPS,
SMTP, IMAP, FTP, POP3, a line echo) in threads, and the machinery that runs
one client scenario on the interpreter's ssl and on sslmod and compares
what the client saw.

The servers always use the interpreter's own ssl: they are the fixed
reference peer, so a difference in a result can only come from the client
side under test.  ``inject()`` rebinds module globals that hold the stdlib
ssl module, so this module keeps it inside a namespace object it does not
walk (``REF.ssl``).

Everything is bounded: sockets carry timeouts, server threads are joined
with a deadline, and a server is stopped by a wake-up connection, never by
sleeping.  Ports are always chosen by the kernel (port 0), on 127.0.0.1.
"""
import http.server
import importlib
import os
import socket
import ssl
import sys
import types

import pytest

import connutil as cu

HERE = os.path.dirname(os.path.abspath(__file__))
CERTDIR = os.path.join(HERE, "certs")
HOST = "127.0.0.1"
# Upper bound for any single wait.  A passing test never gets near it; it
# is generous for the sanitizer CI run, which is several times slower.
TIMEOUT = 20.0

# The reference peer's ssl, out of reach of inject()'s rebinding.
REF = types.SimpleNamespace(ssl=ssl)

# Checking the tests themselves (see tests/README.rst): with
# SSLMOD_TEST_IMPLS=stdlib,stdlib_copy the "sslmod" run is a second stdlib
# run, so every expectation is shown to hold stdlib against stdlib.
SELF_CHECK = "sslmod" not in [n.strip() for n in os.environ.get(
    "SSLMOD_TEST_IMPLS", "sslmod").split(",")]



def cert(name):
    """Path of tests/certs/NAME; a missing file is an error, never a skip."""
    path = os.path.join(CERTDIR, name)
    if not os.path.exists(path):
        raise FileNotFoundError("no test file %s (see tests/README.rst)" % name)
    return path


def read_cert(name):
    with open(cert(name), "rb") as f:
        return f.read()


# ---------------------------------------------------------------------------
# Which implementation did the work, and what the client observed
# ---------------------------------------------------------------------------

def _sslmod():
    import sslmod
    return sslmod


def impl_of_context(ctx):
    """"sslmod", "stdlib" or the class name of CTX, a context."""
    if isinstance(ctx, _sslmod().SSLContext):
        return "sslmod"
    if isinstance(ctx, REF.ssl.SSLContext):
        return "stdlib"
    return type(ctx).__name__


def impl_of_exception(exc):
    """"sslmod" or "stdlib" for an ssl exception, None for others.

    sslmod's classes are linked under the stdlib's (so ``except
    ssl.SSLError`` catches them), hence sslmod is checked first."""
    if isinstance(exc, _sslmod()._sslmod.SSLError):
        return "sslmod"
    if isinstance(exc, REF.ssl.SSLError):
        return "stdlib"
    return None


def tls_info(conn, tag=True):
    """What a client can see of the TLS connection CONN (an SSLSocket or
    SSLObject), plus which implementation carries it (key "impl") unless
    TAG is false (for the reference peer's side)."""
    cipher = conn.cipher()
    return {
        "impl": impl_of_context(conn.context) if tag else None,
        "version": conn.version(),
        "cipher": cipher[0] if cipher else None,
        "peercert": conn.getpeercert(),
    }


def exc_report(exc):
    """cu.describe_exc(EXC) as a dict, plus which implementation raised it
    (key "impl", see assert_same); an error that wraps another (urllib's
    URLError, in .reason) reports the wrapped one.  None stays None."""
    if exc is None:
        return None
    reason = getattr(exc, "reason", None)
    if isinstance(reason, BaseException):
        return {"type": type(exc).__name__, "reason": exc_report(reason)}
    _, name, message, extra = cu.describe_exc(exc)
    return {"impl": impl_of_exception(exc), "type": name, "message": message, **dict(extra)}


def _split_impls(value, found):
    """VALUE with every "impl" entry taken out into FOUND."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if key == "impl":
                if item is not None:
                    found.append(item)
            else:
                out[key] = _split_impls(item, found)
        return out
    if isinstance(value, (list, tuple)):
        return type(value)(_split_impls(v, found) for v in value)
    return value


def assert_same(expected, got):
    """EXPECTED (a stdlib run) equals GOT (an sslmod run) apart from the
    implementation tags, which must say stdlib and sslmod throughout: a
    scenario that silently fell back to the stdlib proves nothing."""
    ref_impls, got_impls = [], []
    plain_expected = _split_impls(expected, ref_impls)
    plain_got = _split_impls(got, got_impls)
    assert ref_impls and set(ref_impls) == {"stdlib"}, ref_impls
    assert plain_got == plain_expected
    want = "stdlib" if SELF_CHECK else "sslmod"
    assert got_impls and set(got_impls) == {want}, (
        "the scenario did not run on %s: %r" % (want, got_impls))


# ---------------------------------------------------------------------------
# Running a scenario on the stdlib and on sslmod
# ---------------------------------------------------------------------------

class Env:
    """What a scenario gets: NAME ("stdlib", "inject" or "explicit") and
    SSL, the module it makes its contexts with.  After inject() that is
    whatever ``import ssl`` now returns."""

    def __init__(self, name, module):
        self.name = name
        self.ssl = module

    def client_context(self, cafile="ca.pem", client_cert=False):
        """A verifying client context trusting CAFILE (tests/certs), with
        the client certificate if CLIENT_CERT."""
        ctx = self.ssl.create_default_context(cafile=cert(cafile))
        if client_cert:
            ctx.load_cert_chain(cert("client.pem"), cert("client.key"))
        return ctx

    def server_context(self, leaf="server-rsa", client_cert=True):
        """A server context of this module presenting LEAF; with
        CLIENT_CERT it requires a client certificate from our CA."""
        if not client_cert:
            return cu.server_context(self.ssl, leaf)
        return cu.server_context(self.ssl, leaf, cafile=cert("ca.pem"),
                                 verify_mode=self.ssl.CERT_REQUIRED)

    def __repr__(self):
        return "<Env %s>" % self.name


class Runner:
    """Runs a scenario on the stdlib, then on sslmod the way FLAVOUR says:
    "inject" (``sslmod.inject()``, the client's own ``import ssl`` gives
    sslmod) or "explicit" (no inject; sslmod contexts passed in).  The
    fixture that makes it calls ``sslmod.extract()`` at teardown in any
    case."""

    def __init__(self, flavour):
        assert flavour in ("inject", "explicit"), flavour
        self.flavour = flavour

    def stdlib(self, scenario):
        return scenario(Env("stdlib", REF.ssl))

    def sslmod(self, scenario):
        if SELF_CHECK:
            return scenario(Env(self.flavour + "-selfcheck", REF.ssl))
        sslmod = _sslmod()
        if self.flavour == "explicit":
            assert sys.modules["ssl"] is REF.ssl
            return scenario(Env("explicit", sslmod))
        sslmod.inject()
        try:
            module = importlib.import_module("ssl")
            assert module is not REF.ssl
            return scenario(Env("inject", module))
        finally:
            sslmod.extract()

    def check(self, scenario):
        """Assert SCENARIO(env) gives the same result on both; return it."""
        expected = self.stdlib(scenario)
        got = self.sslmod(scenario)
        assert_same(expected, got)
        return expected


def make_runner(request, flavour=None):
    """The body of the ``runner`` fixtures of the test files: FLAVOUR, or
    the fixture's parameter; sslmod.extract() runs at teardown whatever
    happened."""
    sslmod = _sslmod()
    request.addfinalizer(sslmod.extract)
    return Runner(flavour or request.param)


def assert_stdlib_restored():
    """After a test, the process must hold the stdlib ssl again."""
    assert sys.modules["ssl"] is REF.ssl
    import _ssl
    assert sys.modules["_ssl"] is _ssl
    import http.client
    assert http.client.ssl is REF.ssl


def require(module_name):
    """Import a test extra; its absence fails the test (never skips)."""
    try:
        return importlib.import_module(module_name)
    except ImportError as exc:
        pytest.fail("test extra %r is not installed (pip install -e '.[test]'): %s"
                    % (module_name, exc))


# ---------------------------------------------------------------------------
# The servers
# ---------------------------------------------------------------------------

class Lines:
    """Line-oriented I/O over a socket that can be switched to TLS."""

    def __init__(self, sock):
        self.sock = sock
        self._buf = b""

    def readline(self):
        """One line without its CRLF/LF, or None at EOF."""
        while b"\n" not in self._buf:
            data = self.sock.recv(4096)
            if not data:
                return None
            self._buf += data
        line, self._buf = self._buf.split(b"\n", 1)
        return line.rstrip(b"\r").decode("utf-8", "replace")

    def send(self, *lines):
        self.sock.sendall("".join(line + "\r\n" for line in lines).encode())

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        # After starttls() this is the TLS socket, which the caller of
        # handle() never saw.
        cu.close_tls(self.sock)

    def client_starttls(self, context, hostname="localhost"):
        """Switch to TLS as the client (after the server's go-ahead)."""
        assert not self._buf, self._buf
        self.sock = context.wrap_socket(self.sock, server_hostname=hostname)

    def starttls(self, context):
        """Switch to TLS as the server; the client waits for our go-ahead,
        so nothing can be buffered yet."""
        assert not self._buf, self._buf
        self.sock = context.wrap_socket(self.sock, server_side=True)


class _HTTPHandler(http.server.BaseHTTPRequestHandler):
    server_version = "sslmod-test/1"
    protocol_version = "HTTP/1.1"  # keep-alive, as real servers do

    def do_GET(self):
        body = ("hello %s over TLS\n" % self.path).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        data = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        body = b"got " + data
        self.send_response(201)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass  # keep test output clean


class HTTPSServer(cu.Server):
    """https://127.0.0.1:PORT/ served by http.server's request handler,
    HTTP/1.1 with keep-alive, presenting LEAF (or serving CONTEXT)."""

    def __init__(self, leaf="server-rsa", context=None):
        super().__init__(cu.server_context(REF.ssl, leaf) if context is None else context,
                         concurrent=True, timeout=TIMEOUT)

    def handle(self, sock):
        _HTTPHandler(sock, sock.getpeername(), self)

    def url(self, host="localhost", path="/"):
        return "https://%s:%d%s" % (host, self.port, path)


class LineServer(cu.Server):
    """Base of the line-oriented servers below: each connection in a thread
    of its own (see cu.Server), a dialogue over Lines that a subclass writes
    as ``_dialogue(io)``.  CONTEXT: TLS from the first byte; TLS_CONTEXT:
    what the dialogue's STARTTLS upgrades with."""

    def __init__(self, context=None, tls_context=None):
        super().__init__(context, tls_context=tls_context, concurrent=True,
                         timeout=TIMEOUT)

    def handle(self, sock):
        with Lines(sock) as io:
            self._dialogue(io)

    def _dialogue(self, io):
        raise NotImplementedError


class EchoServer(LineServer):
    """Upper-cases each line; "STARTTLS" switches to TLS first; "QUIT" ends."""

    def _dialogue(self, io):
        while True:
            line = io.readline()
            if line is None or line == "QUIT":
                return
            if line == "STARTTLS":
                io.send("GO")
                io.starttls(self.tls_context)
                continue
            io.send(line.upper())


class SMTPServer(LineServer):
    """Enough ESMTP for smtplib: EHLO, STARTTLS, AUTH PLAIN, MAIL, RCPT,
    DATA, NOOP, QUIT.  Received messages go to ``received``."""

    def __init__(self, context=None, tls_context=None):
        super().__init__(context, tls_context)
        self.received = []

    def _dialogue(self, io):
        io.send("220 localhost ESMTP sslmod-test")
        secure = self.context is not None
        while True:
            line = io.readline()
            if line is None:
                return
            verb = line.split(" ", 1)[0].upper()
            if verb == "EHLO":
                caps = ["250-localhost", "250-AUTH PLAIN"]
                if not secure and self.tls_context is not None:
                    caps.append("250-STARTTLS")
                io.send(*caps, "250 8BITMIME")
            elif verb == "HELO":
                io.send("250 localhost")
            elif verb == "STARTTLS":
                io.send("220 ready to start TLS")
                io.starttls(self.tls_context)
                secure = True
            elif verb == "AUTH":
                io.send("235 2.7.0 authenticated")
            elif verb in ("MAIL", "RCPT", "RSET", "NOOP"):
                io.send("250 OK")
            elif verb == "DATA":
                io.send("354 end with .")
                body = []
                while True:
                    part = io.readline()
                    if part is None or part == ".":
                        break
                    body.append(part[1:] if part.startswith("..") else part)
                self.received.append("\n".join(body))
                io.send("250 OK queued")
            elif verb == "QUIT":
                io.send("221 bye")
                return
            else:
                io.send("502 not implemented")


class IMAPServer(LineServer):
    """Enough IMAP4rev1 for imaplib: CAPABILITY, LOGIN, SELECT, FETCH,
    NOOP, LOGOUT."""

    MESSAGE = "Subject: hello\r\n\r\nan IMAP message\r\n"

    def _dialogue(self, io):
        io.send("* OK IMAP4rev1 sslmod-test ready")
        while True:
            line = io.readline()
            if line is None:
                return
            tag, _, rest = line.partition(" ")
            command = rest.split(" ", 1)[0].upper()
            if command == "CAPABILITY":
                io.send("* CAPABILITY IMAP4rev1 AUTH=PLAIN",
                        tag + " OK CAPABILITY completed")
            elif command == "LOGIN":
                io.send(tag + " OK LOGIN completed")
            elif command == "SELECT":
                io.send("* 1 EXISTS", "* 0 RECENT",
                        tag + " OK [READ-WRITE] SELECT completed")
            elif command == "FETCH":
                data = self.MESSAGE.encode()
                head = "* 1 FETCH (RFC822 {%d}\r\n" % len(data)
                io.sock.sendall(head.encode() + data + b")\r\n")
                io.send(tag + " OK FETCH completed")
            elif command == "NOOP":
                io.send(tag + " OK NOOP completed")
            elif command == "LOGOUT":
                io.send("* BYE logging out", tag + " OK LOGOUT completed")
                return
            else:
                io.send(tag + " BAD unknown command")


class POP3Server(LineServer):
    """Enough POP3 for poplib: CAPA, STLS, USER/PASS, STAT, RETR, QUIT."""

    MESSAGE = ["Subject: hi", "", "a POP3 message", ".starts with a dot"]

    def _dialogue(self, io):
        io.send("+OK POP3 sslmod-test ready")
        secure = self.context is not None
        while True:
            line = io.readline()
            if line is None:
                return
            verb = line.split(" ", 1)[0].upper()
            if verb == "CAPA":
                caps = ["USER"] + (["STLS"] if not secure else [])
                io.send("+OK capabilities", *caps, ".")
            elif verb == "STLS":
                io.send("+OK begin TLS")
                io.starttls(self.tls_context)
                secure = True
            elif verb in ("USER", "PASS", "NOOP"):
                io.send("+OK")
            elif verb == "STAT":
                io.send("+OK 1 64")
            elif verb == "RETR":
                stuffed = ["." + line if line.startswith(".") else line for line in self.MESSAGE]
                io.send("+OK message follows", *stuffed, ".")
            elif verb == "QUIT":
                io.send("+OK bye")
                return
            else:
                io.send("-ERR unknown command")


class FTPServer(LineServer):
    """Enough FTP for ftplib.FTP_TLS: AUTH TLS, USER/PASS, PBSZ, PROT,
    TYPE, PASV, RETR (over a TLS data connection once PROT P), QUIT."""

    FILES = {"hello.txt": b"hello over a protected data channel\n" * 200}

    def _dialogue(self, io):
        io.send("220 sslmod-test FTP ready")
        protect = False
        passive = None
        try:
            while True:
                line = io.readline()
                if line is None:
                    return
                verb, _, arg = line.partition(" ")
                verb = verb.upper()
                if verb == "AUTH":
                    io.send("234 AUTH TLS ok")
                    io.starttls(self.tls_context)
                elif verb == "USER":
                    io.send("331 password please")
                elif verb == "PASS":
                    io.send("230 logged in")
                elif verb == "PBSZ":
                    io.send("200 PBSZ=0")
                elif verb == "PROT":
                    protect = arg.upper() == "P"
                    io.send("200 protection level set")
                elif verb == "TYPE":
                    io.send("200 type set")
                elif verb == "PASV":
                    if passive is not None:
                        passive.close()
                    passive = socket.create_server((HOST, 0))
                    passive.settimeout(TIMEOUT)
                    port = passive.getsockname()[1]
                    io.send("227 Entering Passive Mode (127,0,0,1,%d,%d)"
                            % (port >> 8, port & 0xFF))
                elif verb == "RETR":
                    data = self.FILES.get(arg)
                    if data is None or passive is None:
                        io.send("550 no such file")
                        continue
                    io.send("150 opening data connection")
                    self._send_data(passive, data, protect)
                    passive.close()
                    passive = None
                    io.send("226 transfer complete")
                elif verb == "QUIT":
                    io.send("221 bye")
                    return
                else:
                    io.send("502 not implemented")
        finally:
            if passive is not None:
                passive.close()

    def _send_data(self, passive, data, protect):
        conn, _ = passive.accept()
        with conn:
            conn.settimeout(TIMEOUT)
            if protect:
                conn = self.tls_context.wrap_socket(conn, server_side=True)
            conn.sendall(data)
            if protect:
                try:
                    # Say close_notify and wait for the client's.  A client
                    # that just closes (no unwrap) ends this with an error.
                    conn.unwrap()
                except OSError:
                    pass
            conn.close()


def reference_client_context(cafile="ca.pem"):
    """The reference peer's client context: trusts CAFILE (tests/certs)
    and presents the client certificate."""
    ctx = REF.ssl.create_default_context(cafile=cert(cafile))
    ctx.load_cert_chain(cert("client.pem"), cert("client.key"))
    return ctx


def line_client(port, lines, starttls=False, sockets=None, cafile="ca.pem"):
    """The reference client, blocking: connect to 127.0.0.1:PORT, TLS
    from the start or after "STARTTLS"/"GO", send each of LINES and read
    one reply line to each, then "QUIT".  Returns the replies and what it
    saw of the connection.  SOCKETS (a cu.Connections) lets the caller
    abort it; CAFILE is what it trusts."""
    ctx = reference_client_context(cafile)
    with socket.create_connection((HOST, port), timeout=TIMEOUT) as raw:
        if sockets is not None:
            sockets.add(raw)
        with Lines(raw) as io:
            if starttls:
                io.send("STARTTLS")
                go = io.readline()
                assert go == "GO", go
            io.client_starttls(ctx)
            replies = []
            for line in lines:
                io.send(line)
                replies.append(io.readline())
            info = tls_info(io.sock, tag=False)
            io.send("QUIT")
            # The server closes first; we see its close as a clean EOF.
            eof = io.readline()
            return {"replies": replies, "tls": info, "eof": eof}


# ---------------------------------------------------------------------------
# Fixtures shared by the client test files (imported there by name)
# ---------------------------------------------------------------------------

@pytest.fixture(autouse=True)
def stdlib_back_afterwards():
    """Every test leaves the interpreter's ssl in place, injected or not."""
    yield
    assert_stdlib_restored()


@pytest.fixture
def echo_tls():
    """A TLS echo server (stdlib, the reference peer) for one test."""
    with EchoServer(context=cu.server_context(REF.ssl)) as server:
        yield server
