"""Helpers for the connection tests: loopback TLS peers in threads and in
subprocesses (including the openssl CLI), memory-BIO pumping, and a way to
turn "what happened" into a plain value that two implementations can be
compared on.

Every helper here is bounded in time: threads are joined with a deadline,
sockets carry a timeout unless a test asks for true blocking mode, and
subprocesses are killed in ``finally``.  Nothing sleeps to synchronise.
"""
import contextlib
import os
import re
import selectors
import shutil
import socket
import subprocess
import threading
import time

import stdlib_quirks
from conftest import strip_location

HERE = os.path.dirname(os.path.abspath(__file__))
CERTDIR = os.path.join(HERE, "certs")
HOST = "127.0.0.1"

# The upper bound for any single wait in these tests.  Generous, because the
# sanitizer CI run is several times slower; a passing test never waits it out.
TIMEOUT = 10.0

OPENSSL = shutil.which("openssl")

_CLASS = re.compile(r"<class '[\w.]+\.(\w+)'>")
_REPR = re.compile(r"<[\w.]+\.(SSLSocket|SSLObject)\b")
_FD = re.compile(r"\bfd=\d+")


def clean_message(text):
    """The message TEXT (or str() of an exception) without what differs
    between implementations for no reason: the "(file.c:56)" position
    (conftest.strip_location), the module in "<class 'ssl.SSLSocket'>"
    (ours lives elsewhere) and fd numbers in reprs."""
    text = _CLASS.sub(r"<class '\1'>", strip_location(str(text)))
    return _FD.sub("fd=N", _REPR.sub(r"<\1", text))


# ---------------------------------------------------------------------------
# Outcomes: a comparable description of a call's result or exception
# ---------------------------------------------------------------------------

def describe_exc(exc):
    """A tuple saying what EXC is, in terms both implementations share."""
    extra = {}
    for attr in ("verify_code", "verify_message", "library", "reason"):
        if hasattr(exc, attr):
            extra[attr] = getattr(exc, attr)
    if isinstance(exc, OSError) and exc.args and isinstance(exc.args[0], int):
        extra["errno"] = exc.args[0]
    return ("raise", type(exc).__name__, clean_message(exc), tuple(sorted(extra.items())))


def capture(fn, *args, **kwargs):
    """Run FN and return ("ok", value) or describe_exc(exception)."""
    try:
        return ("ok", fn(*args, **kwargs))
    except Exception as exc:   # noqa: BLE001 - the point is to record it
        return describe_exc(exc)


def exc_kind(outcome):
    """The exception class name in an outcome, or None if it succeeded."""
    return outcome[1] if outcome[0] == "raise" else None


# ---------------------------------------------------------------------------
# Certificates
# ---------------------------------------------------------------------------

def certpath(name):
    """Path of tests/certs/NAME (NAME without or with its extension)."""
    path = os.path.join(CERTDIR, name)
    if not os.path.exists(path) and os.path.exists(path + ".pem"):
        path += ".pem"
    return path


def have_certs(*names):
    return all(os.path.exists(certpath(n)) for n in names)


CA = certpath("ca.pem")
CLIENT_CERT = certpath("client.pem")
CLIENT_KEY = certpath("client.key")
KEY_PASSWORD = b"somepass"   # what certs/make_certs.py encrypts with


def leaf(stem):
    """(certfile with chain, keyfile) of the leaf STEM, e.g. "server-rsa"."""
    return certpath(stem + "-chain.pem"), certpath(stem + ".key")


# The server certificates every interop scenario runs with.
SERVER_KEYS = ("server-rsa", "server-ecdsa", "server-ed25519")


# ---------------------------------------------------------------------------
# Contexts
# ---------------------------------------------------------------------------

def server_context(mod, certfile="server-rsa", keyfile=None, *, cafile=None,
                   verify_mode=None, minimum=None, maximum=None, alpn=None,
                   password=None):
    """A PROTOCOL_TLS_SERVER context of module MOD serving CERTFILE (a path,
    or a leaf stem such as "server-ecdsa")."""
    if not os.path.isabs(certfile):
        certfile, keyfile = leaf(certfile)
    ctx = mod.SSLContext(mod.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(certfile, keyfile, password)
    if cafile:
        ctx.load_verify_locations(cafile)
    if verify_mode is not None:
        ctx.verify_mode = verify_mode
    if minimum is not None:
        ctx.minimum_version = minimum
    if maximum is not None:
        ctx.maximum_version = maximum
    if alpn is not None:
        ctx.set_alpn_protocols(alpn)
    return ctx


def client_context(mod, cafile=CA, *, certfile=None, keyfile=None,
                   check_hostname=True, verify=True, minimum=None,
                   maximum=None, alpn=None):
    """A PROTOCOL_TLS_CLIENT context of module MOD trusting CAFILE."""
    ctx = mod.SSLContext(mod.PROTOCOL_TLS_CLIENT)
    if cafile:
        ctx.load_verify_locations(cafile)
    if not check_hostname:
        ctx.check_hostname = False
    if not verify:
        ctx.check_hostname = False
        ctx.verify_mode = mod.CERT_NONE
    if certfile:
        ctx.load_cert_chain(certfile, keyfile)
    if minimum is not None:
        ctx.minimum_version = minimum
    if maximum is not None:
        ctx.maximum_version = maximum
    if alpn is not None:
        ctx.set_alpn_protocols(alpn)
    return ctx


def tls(mod, name):
    """mod.TLSVersion.<name>, e.g. tls(mod, 'TLSv1_3')."""
    return getattr(mod.TLSVersion, name)


# ---------------------------------------------------------------------------
# Threads
# ---------------------------------------------------------------------------

class Background:
    """Run FN(*args) in a daemon thread; result() joins with a deadline and
    returns its value or re-raises its exception."""

    def __init__(self, fn, *args, **kwargs):
        self._value = None
        self._exc = None
        self._thread = threading.Thread(target=self._run, args=(fn, args, kwargs),
                                        daemon=True)
        self._thread.start()

    def _run(self, fn, args, kwargs):
        try:
            self._value = fn(*args, **kwargs)
        except BaseException as exc:   # noqa: BLE001 - handed to result()
            self._exc = exc

    def join(self, timeout=TIMEOUT):
        self._thread.join(timeout)
        if self._thread.is_alive():
            raise AssertionError("background thread still running after %.0fs" % timeout)

    def result(self, timeout=TIMEOUT):
        self.join(timeout)
        if self._exc is not None:
            exc, self._exc = self._exc, None
            raise exc
        return self._value


def listener(backlog=16):
    """A listening TCP socket on 127.0.0.1 with a free port."""
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((HOST, 0))
    srv.listen(backlog)
    srv.settimeout(TIMEOUT)
    return srv


def free_port():
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def close_tls(sock):
    """Close SOCK; a TLS one (it has unwrap()) after an orderly close_notify
    exchange if the peer takes part (asyncio's transport waits for ours).
    A peer that just drops the connection ends the wait at once."""
    if hasattr(sock, "unwrap") and sock.fileno() != -1:
        try:
            sock = sock.unwrap()
        except (OSError, ValueError):
            pass
    sock.close()


class Connections:
    """Connections that another thread is blocked on, so that they can be
    ended at once (``abort()``): a reference client's when the side under
    test has failed, or a server's when a failed client leaked its end.
    Saves waiting out the timeout."""

    def __init__(self):
        self._socks = []
        self._aborted = False
        self._lock = threading.Lock()

    def add(self, sock):
        # A duplicate descriptor: shutdown() acts on the connection, and
        # the client's own socket object may be detached by wrap_socket().
        with self._lock:
            self._socks.append(socket.socket(fileno=os.dup(sock.fileno())))
            if self._aborted:
                self._shutdown(self._socks[-1])

    def abort(self):
        with self._lock:
            self._aborted = True
            for sock in self._socks:
                self._shutdown(sock)

    @staticmethod
    def _shutdown(sock):
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def close(self):
        with self._lock:
            for sock in self._socks:
                sock.close()
            self._socks = []


class Server:
    """A loopback server in threads, listening on 127.0.0.1 (a free port:
    .addr, .port).  Each connection is served by ``handle(sock)``, which
    calls HANDLER(sock); a subclass may override handle() instead.

    SOCK is, with CONTEXT, a server-side SSLSocket of it whose handshake is
    done unless HANDSHAKE is false (implicit TLS); without CONTEXT, the
    accepted TCP socket: plain, or for handle() to upgrade with TLS_CONTEXT
    (STARTTLS).  Every socket carries TIMEOUT.

    Sequential (the default): one thread accepts COUNT connections and
    serves them one after the other, closing each (no close_notify) when
    its handler returns.  CONCURRENT: every connection in a thread of its
    own, until stop(); one whose handshake went through ends with a
    close_notify exchange (clients such as asyncio's wait for it), and
    stop() wakes the acceptor with a connection of its own and ends any
    connection still open: the test is over, so a client that failed
    half-way leaked it.

    Each connection's result, as capture() gives it, is appended to
    .outcomes (.outcome when there is just one); a failed accept() (none
    came in time) ends the acceptor and is its last outcome.  The
    exceptions themselves are kept in .errors, never raised, but for those
    raised once stop() has begun.  Start it with ``with``, whose end calls
    stop(): that sets .stopping (STOPPING, or an Event of its own), which a
    handler may wait on, joins every thread with a deadline and closes the
    listener."""

    def __init__(self, context=None, handler=None, *, tls_context=None,
                 handshake=True, count=1, concurrent=False, timeout=TIMEOUT,
                 stopping=None):
        self.context = context
        self.tls_context = tls_context
        self.handler = handler
        self.handshake = handshake
        self.count = count
        self.concurrent = concurrent
        self.timeout = timeout
        self.stopping = threading.Event() if stopping is None else stopping
        self.outcomes = []
        self.errors = []
        self._acceptor = None
        self._workers = []
        self._open = Connections()
        self._listener = listener()
        if concurrent:
            # Idle this long, the acceptor ends (when nobody calls stop()).
            self._listener.settimeout(timeout)
        self.addr = self._listener.getsockname()
        self.port = self.addr[1]

    def handle(self, sock):
        """Serve the connection SOCK; the value returned is its outcome's."""
        return None if self.handler is None else self.handler(sock)

    def _accept_loop(self):
        served = 0
        while self.concurrent or served < self.count:
            try:
                conn, _ = self._listener.accept()
            except OSError as exc:
                self.outcomes.append(describe_exc(exc))
                return
            served += 1
            if not self.concurrent:
                self._serve(conn)
            elif self.stopping.is_set():
                conn.close()     # stop()'s wake-up call
                return
            else:
                self._workers.append(Background(self._serve, conn))

    def _serve(self, conn):
        try:
            outcome = ("ok", self._serve_one(conn))
        except Exception as exc:   # noqa: BLE001 - recorded for the test
            if not self.stopping.is_set():
                self.errors.append(exc)
            outcome = describe_exc(exc)
        self.outcomes.append(outcome)

    def _serve_one(self, conn):
        conn.settimeout(self.timeout)
        if self.concurrent:
            self._open.add(conn)
        sock, orderly = conn, False
        try:
            if self.context is not None:
                sock = self.context.wrap_socket(conn, server_side=True,
                                                do_handshake_on_connect=False)
                if self.handshake:
                    sock.do_handshake()
            orderly = self.concurrent
            return self.handle(sock)
        finally:
            # Also when the handshake failed: the client is not left waiting.
            if orderly:
                close_tls(sock)
            else:
                sock.close()

    def __enter__(self):
        self._acceptor = Background(self._accept_loop)
        return self

    def __exit__(self, *exc_info):
        self.stop()

    def stop(self):
        self.stopping.set()
        try:
            if self.concurrent:
                try:
                    socket.create_connection(self.addr, timeout=self.timeout).close()
                except OSError:
                    pass
            if self._acceptor is not None:
                self._acceptor.result(self.timeout + 5)
        finally:
            self._listener.close()
            if self.concurrent:
                self._end_connections()

    def _end_connections(self):
        self._open.abort()
        try:
            for worker in self._workers:
                worker.result(self.timeout)
        finally:
            self._open.close()

    @property
    def outcome(self):
        assert len(self.outcomes) == 1, self.outcomes
        return self.outcomes[0]


def connect(ctx, addr, hostname="localhost", *, timeout=TIMEOUT, handshake=True,
            session=None):
    """A client SSLSocket of CTX connected to ADDR (handshake done)."""
    raw = socket.create_connection(addr, timeout=timeout)
    try:
        kwargs = {}
        if session is not None:
            kwargs["session"] = session
        return ctx.wrap_socket(raw, server_hostname=hostname,
                               do_handshake_on_connect=handshake, **kwargs)
    except BaseException:
        raw.close()
        raise


def run_pair(cctx, sctx, client_fn=None, server_fn=None, hostname="localhost",
             timeout=TIMEOUT, session=None):
    """Handshake a client of CCTX with a server of SCTX over loopback, then
    run CLIENT_FN(sslsock) and SERVER_FN(sslsock).  Returns the two
    outcomes (client, server)."""
    client_fn = client_fn or (lambda s: None)

    def client():
        with connect(cctx, srv.addr, hostname, timeout=timeout, session=session) as s:
            return client_fn(s)

    with Server(sctx, server_fn, timeout=timeout) as srv:
        cout = capture(client)
    return cout, srv.outcome


def view(s):
    """What one end of a finished handshake sees, as plain values."""
    try:
        cb = s.get_channel_binding("tls-unique")
    except Exception as exc:   # noqa: BLE001
        cb = describe_exc(exc)
    shared = s.shared_ciphers()
    return {
        "version": s.version(),
        "cipher": s.cipher(),
        "shared_ciphers": sorted(shared) if shared is not None else None,
        "compression": s.compression(),
        "alpn": s.selected_alpn_protocol(),
        "peercert": s.getpeercert(),
        "peercert_der": s.getpeercert(True),
        "tls_unique": cb,
        "server_side": s.server_side,
        "server_hostname": s.server_hostname,
        "session_reused": s.session_reused,
    }


def echo_once(s):
    """Server side: read one message and send it back in upper case."""
    data = s.recv(1024)
    s.sendall(data.upper())
    return data


def ping(s, payload=b"ping"):
    """Client side: send PAYLOAD and read the echo."""
    s.sendall(payload)
    return recv_exactly(s, len(payload))


def recv_exactly(s, n):
    chunks = []
    while n:
        data = s.recv(n)
        if not data:
            break
        chunks.append(data)
        n -= len(data)
    return b"".join(chunks)


# ---------------------------------------------------------------------------
# Memory BIOs
# ---------------------------------------------------------------------------

class BioPair:
    """A client SSLObject of CCTX (a context of module CMOD) and a server
    SSLObject of SCTX (of SMOD), wired through four MemoryBIOs that pump()
    moves bytes between.  The two modules may differ."""

    def __init__(self, cmod, cctx, smod, sctx, hostname="localhost", session=None):
        self.cmod, self.smod = cmod, smod
        self.cin, self.cout = cmod.MemoryBIO(), cmod.MemoryBIO()
        self.sin, self.sout = smod.MemoryBIO(), smod.MemoryBIO()
        kwargs = {"session": session} if session is not None else {}
        self.client = cctx.wrap_bio(self.cin, self.cout, server_hostname=hostname,
                                    **kwargs)
        self.server = sctx.wrap_bio(self.sin, self.sout, server_side=True)

    def pump(self):
        """Move pending bytes both ways; returns how many moved."""
        moved = 0
        data = self.cout.read()
        if data:
            self.sin.write(data)
            moved += len(data)
        data = self.sout.read()
        if data:
            self.cin.write(data)
            moved += len(data)
        return moved

    def _step(self, obj, want):
        try:
            obj.do_handshake()
            return True
        except want:
            return False

    def handshake(self, limit=100):
        """Drive both handshakes to completion.  Returns the outcomes
        (client, server); an exception on one side stops the pumping."""
        done = {"c": None, "s": None}
        for _ in range(limit):
            for key, obj, mod in (("c", self.client, self.cmod),
                                  ("s", self.server, self.smod)):
                if done[key] is not None:
                    continue
                want = mod.SSLWantReadError
                try:
                    if self._step(obj, want):
                        done[key] = ("ok", None)
                except Exception as exc:   # noqa: BLE001
                    done[key] = describe_exc(exc)
            moved = self.pump()
            if all(v is not None for v in done.values()) and not moved:
                break
            if any(v is not None and v[0] == "raise" for v in done.values()) and not moved:
                break
        return done["c"], done["s"]

    def transfer(self, src, dst, data):
        """Write DATA on SRC, pump, read it on DST."""
        src.write(data)
        self.pump()
        out = b""
        while len(out) < len(data):
            out += dst.read(len(data) - len(out))
        return out


# ---------------------------------------------------------------------------
# Subprocess peers: the openssl CLI and other interpreters
# ---------------------------------------------------------------------------

def _read_until(proc, pattern, timeout=TIMEOUT):
    """Read PROC's stdout line by line until one matches PATTERN (a regex);
    returns the match.  Fails after TIMEOUT or at EOF."""
    regex = re.compile(pattern)
    deadline = time.monotonic() + timeout
    seen = []
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ)
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("no %r from %s; got %r" % (pattern, proc.args[:2], seen))
            if not sel.select(left):
                continue
            line = proc.stdout.readline()
            if not line:
                raise AssertionError("%s exited; got %r" % (proc.args[:2], seen))
            seen.append(line)
            m = regex.search(line.decode("latin-1"))
            if m:
                return m


@contextlib.contextmanager
def openssl_s_server(*args):
    """Run `openssl s_server` on a free loopback port, yielding
    (process, port) once it is accepting.  ARGS are extra options."""
    if OPENSSL is None:
        raise AssertionError("the openssl command-line tool is not installed")
    proc = subprocess.Popen([OPENSSL, "s_server", "-accept", "%s:0" % HOST,
                             "-naccept", "1", *args],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, bufsize=0)
    try:
        m = _read_until(proc, r"ACCEPT .*:(\d+)")
        yield proc, int(m.group(1))
    finally:
        _kill(proc)


@contextlib.contextmanager
def openssl_s_client(port, *args):
    """Run `openssl s_client` against 127.0.0.1:PORT; yields the process
    (stdin/stdout pipes, stderr merged into stdout)."""
    if OPENSSL is None:
        raise AssertionError("the openssl command-line tool is not installed")
    proc = subprocess.Popen([OPENSSL, "s_client", "-connect", "%s:%d" % (HOST, port),
                             *args],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, bufsize=0)
    try:
        yield proc
    finally:
        _kill(proc)


def _kill(proc):
    for stream in (proc.stdin, proc.stdout):
        if stream is not None:
            with contextlib.suppress(OSError):
                stream.close()
    if proc.poll() is None:
        proc.kill()
    proc.wait(TIMEOUT)


def read_all(proc, timeout=TIMEOUT):
    """Everything PROC writes to stdout until it exits (bounded)."""
    chunks = []
    deadline = time.monotonic() + timeout
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ)
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("%s did not finish; got %r"
                                     % (proc.args[:2], b"".join(chunks)))
            if not sel.select(left):
                continue
            data = os.read(proc.stdout.fileno(), 65536)
            if not data:
                return b"".join(chunks)
            chunks.append(data)


def python313():
    """Path of a Python 3.13 interpreter, or None."""
    candidates = ["/root/.pyenv/versions/3.13.0/bin/python", shutil.which("python3.13")]
    for c in candidates:
        if c and os.path.exists(c):
            return c
    return None


def run_python(python, code, *, env=None, timeout=TIMEOUT):
    """Run CODE with PYTHON; returns its stdout (str).  Fails on non-zero exit."""
    full_env = dict(os.environ)
    full_env.pop("PYTHONPATH", None)
    if env:
        full_env.update(env)
    proc = subprocess.run([python, "-c", code], capture_output=True, text=True,
                          timeout=timeout, env=full_env)
    if proc.returncode:
        raise AssertionError("%s failed:\n%s%s" % (python, proc.stdout, proc.stderr))
    return proc.stdout


# ---------------------------------------------------------------------------
# Scenario comparison
# ---------------------------------------------------------------------------

_PREFIX = re.compile(r"^[\w./-]+\.c:\d+: ")


def normalize_timeout(text):
    """Also drop the "_ssl.c:1234: " prefix that timeout messages carry."""
    return _PREFIX.sub("", clean_message(text))


def comparable_shared_ciphers(value):
    """VALUE, or against an interpreter with gh-96931, VALUE masked."""
    return _mask_shared_ciphers(value) if stdlib_quirks.SHARED_CIPHERS_BUG else value


def _mask_shared_ciphers(value):
    """VALUE with every "shared_ciphers" entry of its dicts replaced by a
    marker: used only against an interpreter whose shared_ciphers() has
    CPython's bug gh-96931 (stdlib_quirks.shared_ciphers_lists_own_ciphers);
    sslmod's fixed answers are tested where the stdlib is fixed."""
    if isinstance(value, dict):
        return {k: ("not compared: gh-96931" if k == "shared_ciphers" else
                    _mask_shared_ciphers(v)) for k, v in value.items()}
    if isinstance(value, (list, tuple)) and type(value) in (list, tuple):
        return type(value)(_mask_shared_ciphers(v) for v in value)
    return value


def run_scenario(fn, mod):
    """FN(MOD) as capture() describes it, timeout prefixes removed."""
    out = capture(fn, mod)
    if out[0] == "raise":
        out = (out[0], out[1], normalize_timeout(out[2]), out[3])
    return comparable_shared_ciphers(out)


def check_same(fn, std, impl):
    """Assert FN(IMPL) gives what FN(STD) gives; return the stdlib's."""
    ref = run_scenario(fn, std)
    got = run_scenario(fn, impl)
    assert got == ref, "\nimplementation: %r\nstdlib:         %r" % (got, ref)
    return ref


# ---------------------------------------------------------------------------
# A TLS end driven by hand over a plain socket (to misbehave on purpose)
# ---------------------------------------------------------------------------

class ManualTLS:
    """An SSLObject of CTX whose records travel over the plain socket SOCK
    only when the test says so, so that it can send half a record, or
    close at any point."""

    def __init__(self, mod, ctx, sock, server_side, hostname=None):
        self.mod = mod
        self.sock = sock
        self.inc, self.out = mod.MemoryBIO(), mod.MemoryBIO()
        self.obj = ctx.wrap_bio(self.inc, self.out, server_side=server_side,
                                server_hostname=hostname)

    def flush(self):
        data = self.out.read()
        if data:
            self.sock.sendall(data)
        return data

    def feed(self):
        data = self.sock.recv(65536)
        if data:
            self.inc.write(data)
        else:
            self.inc.write_eof()
        return data

    def run(self, op, *args):
        """OP(*args) on the SSLObject, moving records until it completes."""
        while True:
            try:
                result = op(*args)
            except self.mod.SSLWantReadError:
                self.flush()
                self.feed()
                continue
            self.flush()
            return result

    def handshake(self):
        return self.run(self.obj.do_handshake)

    def records(self, data):
        """The TLS records that carry DATA, not sent."""
        self.obj.write(data)
        return self.out.read()
