"""SSLSocket over real loopback sockets: blocking, timeout and non-blocking
modes, EOF handling, unwrap, bulk transfer, the socket-like methods,
misbehaving peers, signals and threads.  The side under test uses the
implementation; its peer is the interpreter's ssl, and every scenario must
give what it gives when both ends are the stdlib."""
import hashlib
import os
import selectors
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest
import ssl as STD

import connutil as cu
import stdlib_quirks

# How the interpreter's own ssl reports a transport EOF without close_notify
# (sslmod follows it): SSLEOFError from 3.10 on; 3.9's _ssl, with OpenSSL 3's
# OP_IGNORE_UNEXPECTED_EOF default, takes it for a clean close (b"" from
# recv(), SSLZeroReturnError from a handshake).
RAGGED_EOF_ERROR = stdlib_quirks.ragged_eof_error()


def pair_ctx(mod, peer=STD, **ckw):
    """(client context of MOD, server context of PEER)."""
    return cu.client_context(mod, **ckw), cu.server_context(peer)


def raw_client(mod, addr, timeout=cu.TIMEOUT, **kw):
    cctx = cu.client_context(mod)
    return cu.connect(cctx, addr, timeout=timeout, **kw)


# ---------------------------------------------------------------------------
# Blocking mode and timeouts
# ---------------------------------------------------------------------------

def test_blocking_echo(std, impl):
    def scenario(mod):
        cctx, sctx = pair_ctx(mod)
        with cu.Server(sctx, cu.echo_once) as srv:
            raw = socket.create_connection(srv.addr)
            raw.settimeout(None)
            with cctx.wrap_socket(raw, server_hostname="localhost") as s:
                sent = s.send(b"hello")
                echoed = cu.recv_exactly(s, 5)
                return (s.gettimeout(), s.getblocking(), sent, echoed, s.pending(),
                        s.recv(10))
        return srv.outcome
    assert cu.check_same(scenario, std, impl)[1][3] == b"HELLO"


def silent_plain_server(done):
    """A TCP peer that never speaks: it waits until DONE is set (at the
    latest when its with block ends)."""
    return cu.Server(None, lambda conn: done.wait(cu.TIMEOUT), stopping=done)


def test_handshake_timeout(std, impl):
    def scenario(mod):
        done = threading.Event()
        try:
            with silent_plain_server(done) as srv:
                raw = socket.create_connection(srv.addr, timeout=0.05)
                with cu.client_context(mod).wrap_socket(
                        raw, server_hostname="localhost",
                        do_handshake_on_connect=False) as s:
                    s.do_handshake()
        finally:
            done.set()
    ref = cu.check_same(scenario, std, impl)
    assert ref[1] in ("timeout", "TimeoutError")


def test_handshake_timeout_on_connect(std, impl):
    """Timeout during the handshake wrap_socket() does itself."""
    def scenario(mod):
        done = threading.Event()
        try:
            with silent_plain_server(done) as srv:
                raw = socket.create_connection(srv.addr, timeout=0.05)
                try:
                    cu.client_context(mod).wrap_socket(raw, server_hostname="localhost")
                finally:
                    raw.close()
        finally:
            done.set()
    cu.check_same(scenario, std, impl)


def held_server(release, payload=None):
    """A stdlib TLS server that sends PAYLOAD (if any), then waits for
    RELEASE without reading."""
    def handler(s):
        if payload:
            s.sendall(payload)
        release.wait(cu.TIMEOUT)
    return cu.Server(cu.server_context(STD), handler, stopping=release)


def test_read_timeout(std, impl):
    def scenario(mod):
        release = threading.Event()
        try:
            with held_server(release) as srv:
                with raw_client(mod, srv.addr, timeout=0.05) as s:
                    t0 = time.monotonic()
                    try:
                        s.recv(10)
                    finally:
                        assert time.monotonic() - t0 < cu.TIMEOUT / 2
        finally:
            release.set()
    ref = cu.check_same(scenario, std, impl)
    assert "read operation timed out" in ref[2]


def test_write_timeout(std, impl):
    def scenario(mod):
        release = threading.Event()
        try:
            with held_server(release) as srv:
                with raw_client(mod, srv.addr, timeout=0.05) as s:
                    chunk = b"x" * 65536
                    for _ in range(4096):   # far more than the socket buffers hold
                        s.sendall(chunk)
        finally:
            release.set()
    ref = cu.check_same(scenario, std, impl)
    assert "write operation timed out" in ref[2]


def test_recv_after_timeout_still_works(std, impl):
    def scenario(mod):
        release = threading.Event()

        def handler(s):
            release.wait(cu.TIMEOUT)
            s.sendall(b"late")
        with cu.Server(cu.server_context(STD), handler) as srv:
            with raw_client(mod, srv.addr, timeout=0.05) as s:
                first = cu.capture(s.recv, 10)
                release.set()
                s.settimeout(cu.TIMEOUT)
                return cu.normalize_timeout(first[2]), s.recv(10)
    assert cu.check_same(scenario, std, impl)[1][1] == b"late"


# ---------------------------------------------------------------------------
# Non-blocking mode
# ---------------------------------------------------------------------------

def nonblocking_handshake(mod, s):
    """Drive S's handshake with a selector; returns the kinds of "want"
    exceptions seen, in order, without repeats."""
    wants = []
    with selectors.DefaultSelector() as sel:
        deadline = time.monotonic() + cu.TIMEOUT
        while True:
            try:
                s.do_handshake()
                return wants
            except mod.SSLWantReadError:
                kind, ev = "read", selectors.EVENT_READ
            except mod.SSLWantWriteError:
                kind, ev = "write", selectors.EVENT_WRITE
            if not wants or wants[-1] != kind:
                wants.append(kind)
            sel.register(s, ev)
            assert sel.select(deadline - time.monotonic()), "handshake stalled"
            sel.unregister(s)


def test_nonblocking_handshake_and_read(std, impl):
    def scenario(mod):
        started = threading.Event()
        release = threading.Event()

        def handler(s):
            # Answer only once the client has certainly had to wait.
            started.wait(cu.TIMEOUT)
            s.do_handshake()
            s.sendall(b"data")
            release.wait(cu.TIMEOUT)

        with cu.Server(cu.server_context(STD), handler, handshake=False,
                       stopping=release) as srv:
            raw = socket.create_connection(srv.addr)
            raw.setblocking(False)
            with cu.client_context(mod).wrap_socket(
                    raw, server_hostname="localhost",
                    do_handshake_on_connect=False) as s:
                first = cu.capture(s.do_handshake)
                started.set()
                nonblocking_handshake(mod, s)
                with selectors.DefaultSelector() as sel:
                    sel.register(s, selectors.EVENT_READ)
                    got = b""
                    while len(got) < 4:
                        assert sel.select(cu.TIMEOUT)
                        try:
                            got += s.recv(4 - len(got))
                        except mod.SSLWantReadError:
                            pass
                after = cu.capture(s.recv, 10)
                return first, got, after, s.gettimeout(), s.pending()
    ref = cu.check_same(scenario, std, impl)
    assert ref[1][0][1] == "SSLWantReadError"
    assert ref[1][1:3] == (b"data", ref[1][2])
    assert ref[1][2][1] == "SSLWantReadError"


def test_nonblocking_want_write(std, impl):
    def scenario(mod):
        release = threading.Event()
        try:
            with held_server(release) as srv:
                with raw_client(mod, srv.addr) as s:
                    s.setblocking(False)
                    sent = 0
                    for _ in range(100000):
                        try:
                            sent += s.send(b"y" * 65536)
                        except mod.SSLWantWriteError as exc:
                            return type(exc).__name__, cu.clean_message(exc), sent > 0
                    return "never blocked"
        finally:
            release.set()
    ref = cu.check_same(scenario, std, impl)
    assert ref[1][0] == "SSLWantWriteError"


# ---------------------------------------------------------------------------
# EOF, close_notify and unwrap
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("suppress", [True, False])
@pytest.mark.parametrize("version", ["TLSv1_2", "TLSv1_3"])
def test_eof_without_close_notify(std, impl, suppress, version):
    """SSLSocket.close() sends no close_notify: the reader sees a ragged EOF."""
    def scenario(mod):
        sctx = cu.server_context(STD, maximum=cu.tls(STD, version))
        with cu.Server(sctx, lambda s: s.sendall(b"bye")) as srv:
            raw = socket.create_connection(srv.addr, timeout=cu.TIMEOUT)
            with cu.client_context(mod).wrap_socket(
                    raw, server_hostname="localhost",
                    suppress_ragged_eofs=suppress) as s:
                first = cu.recv_exactly(s, 3)
                return first, cu.capture(s.recv, 10), cu.capture(s.recv, 10)
    ref = cu.check_same(scenario, std, impl)
    if suppress or RAGGED_EOF_ERROR != "SSLEOFError":
        assert ref[1][1] == ("ok", b"")
    else:
        assert ref[1][1][1] == "SSLEOFError"


def test_close_notify_gives_clean_eof(std, impl):
    def scenario(mod):
        def handler(s):
            s.sendall(b"bye")
            s.unwrap().close()
        with cu.Server(cu.server_context(STD), handler) as srv:
            raw = socket.create_connection(srv.addr, timeout=cu.TIMEOUT)
            with cu.client_context(mod).wrap_socket(
                    raw, server_hostname="localhost", suppress_ragged_eofs=False) as s:
                return cu.recv_exactly(s, 3), s.recv(10), s.recv(10)
    cu.check_same(scenario, std, impl)


def test_unwrap_returns_plain_socket(std, impl):
    def scenario(mod):
        def handler(s):
            data = s.recv(10)
            plain = s.unwrap()
            with plain:
                plain.sendall(b"plain:" + cu.recv_exactly(plain, 5))
            return data
        with cu.Server(cu.server_context(STD), handler) as srv:
            s = raw_client(mod, srv.addr)
            s.sendall(b"tls")
            plain = s.unwrap()
            with plain:
                plain.sendall(b"hello")
                back = cu.recv_exactly(plain, 11)
                return type(plain).__name__, type(plain) is socket.socket, back, \
                    cu.capture(s.recv, 1)[1], s.fileno()
        return srv.outcome
    ref = cu.check_same(scenario, std, impl)
    assert ref[1][2] == b"plain:hello"


def test_unwrap_server_side(std, impl):
    """The implementation is the server; the stdlib client unwraps first."""
    def scenario(mod):
        def handler(s):
            data = s.recv(10)
            plain = s.unwrap()
            with plain:
                return data, type(plain).__name__, plain.recv(10)
        with cu.Server(cu.server_context(mod), handler) as srv:
            with raw_client(STD, srv.addr) as s:
                s.sendall(b"tls")
                plain = s.unwrap()
                plain.sendall(b"clear")
                plain.close()
        return srv.outcome
    ref = cu.check_same(scenario, std, impl)
    assert ref[1] == ("ok", (b"tls", "SSLSocket", b"clear"))


# ---------------------------------------------------------------------------
# Bulk transfer and the socket-like methods
# ---------------------------------------------------------------------------

def reader_server(expected_len):
    def handler(s):
        h = hashlib.sha256()
        left = expected_len
        while left:
            data = s.recv(min(left, 1 << 20))
            if not data:
                break
            h.update(data)
            left -= len(data)
        s.sendall(h.hexdigest().encode())
        return expected_len - left
    return cu.Server(cu.server_context(STD), handler)


def test_sendall_large_payload(impl):
    payload = os.urandom(1 << 20) * 32     # 32 MiB
    with reader_server(len(payload)) as srv:
        with raw_client(impl, srv.addr) as s:
            assert s.sendall(payload) is None
            digest = cu.recv_exactly(s, 64)
    assert srv.outcome == ("ok", len(payload))
    assert digest == hashlib.sha256(payload).hexdigest().encode()


def test_sendfile(impl, tmp_path):
    path = tmp_path / "blob"
    payload = os.urandom(300000)
    path.write_bytes(payload)
    with reader_server(len(payload)) as srv:
        with raw_client(impl, srv.addr) as s, open(path, "rb") as f:
            sent = s.sendfile(f)
            digest = cu.recv_exactly(s, 64)
    assert sent == len(payload)
    assert digest == hashlib.sha256(payload).hexdigest().encode()


def test_recv_into_memoryview(std, impl):
    def scenario(mod):
        with cu.Server(cu.server_context(STD), lambda s: s.sendall(b"0123456789")) as srv:
            with raw_client(mod, srv.addr) as s:
                buf = bytearray(b"." * 16)
                view = memoryview(buf)[4:12]
                n = 0
                while n < 8:
                    n += s.recv_into(view[n:])
                small = bytearray(4)
                m = s.recv_into(small, 2)
                return n, bytes(buf), m, bytes(small)
    ref = cu.check_same(scenario, std, impl)
    assert ref[1][1] == b"....01234567...."


def test_recv_into_bad_arguments(std, impl):
    def scenario(mod):
        with cu.Server(cu.server_context(STD)) as srv:
            with raw_client(mod, srv.addr) as s:
                return (cu.capture(s.recv_into, bytearray(2), 10),
                        cu.capture(s.recv_into, bytearray(2), -1),
                        cu.capture(s.recv_into, b"immutable"),
                        cu.capture(s.recv, -1))
    cu.check_same(scenario, std, impl)


def test_makefile(std, impl):
    def scenario(mod):
        def handler(s):
            with s.makefile("rwb") as f:
                line = f.readline()
                f.write(b"echo " + line)
                f.flush()
            return line
        with cu.Server(cu.server_context(STD), handler) as srv:
            with raw_client(mod, srv.addr) as s:
                with s.makefile("rw", encoding="ascii", newline="\n") as f:
                    f.write("hello world\n")
                    f.flush()
                    return f.readline(), f.read()
    ref = cu.check_same(scenario, std, impl)
    assert ref[1] == ("echo hello world\n", "")


def test_socket_methods_on_sslsocket(std, impl):
    def scenario(mod):
        with cu.Server(cu.server_context(STD), cu.echo_once) as srv:
            with raw_client(mod, srv.addr) as s:
                return (isinstance(s, socket.socket), s.family, s.type,
                        s.getpeername() == srv.addr,
                        cu.capture(s.sendto, b"x", srv.addr),
                        cu.capture(s.recvfrom, 1), cu.capture(s.recvmsg, 1),
                        cu.capture(s.send, b"x", 1), cu.capture(s.recv, 1, 1),
                        cu.ping(s))
    cu.check_same(scenario, std, impl)


# ---------------------------------------------------------------------------
# Misbehaving peers
# ---------------------------------------------------------------------------

def test_plaintext_server_then_close(std, impl):
    """A non-TLS server answers the ClientHello with text, then closes: a
    handshake error, never data."""
    def scenario(mod):
        def handler(conn):
            conn.recv(4096)
            conn.sendall(b"HTTP/1.0 400 Bad Request\r\n\r\nnot tls\n")
        with cu.Server(None, handler) as srv:
            with raw_client(mod, srv.addr, handshake=False) as s:
                return cu.capture(s.do_handshake), cu.capture(s.recv, 100)
    ref = cu.check_same(scenario, std, impl)
    assert ref[1][0][0] == "raise"


def test_plaintext_client_then_close(std, impl):
    """The implementation is the server; the client sends plaintext and
    closes before any handshake."""
    def scenario(mod):
        def handler(s):
            handshake = cu.capture(s.do_handshake)
            # Whether the read fails or reports EOF depends on the timing of
            # the peer's reset; it must never return the plaintext.
            data = cu.capture(s.recv, 100)
            return handshake, data[0] == "ok" and data[1] != b""
        with cu.Server(cu.server_context(mod), handler, handshake=False) as srv:
            with socket.create_connection(srv.addr, timeout=cu.TIMEOUT) as c:
                c.sendall(b"GET / HTTP/1.0\r\n\r\n")
        return srv.outcome
    ref = cu.check_same(scenario, std, impl)
    handshake, got_data = ref[1][1]
    assert handshake[0] == "raise" and not got_data


def test_server_closes_mid_handshake(std, impl):
    def scenario(mod):
        with cu.Server(None, lambda conn: conn.recv(4096)) as srv:
            with raw_client(mod, srv.addr, handshake=False) as s:
                return cu.capture(s.do_handshake)
    ref = cu.check_same(scenario, std, impl)
    assert ref[1][1] == RAGGED_EOF_ERROR


def test_client_closes_mid_handshake(std, impl):
    """The client sends half a ClientHello and closes."""
    def scenario(mod):
        bio_in, bio_out = STD.MemoryBIO(), STD.MemoryBIO()
        hello_obj = cu.client_context(STD).wrap_bio(bio_in, bio_out,
                                                    server_hostname="localhost")
        try:
            hello_obj.do_handshake()
        except STD.SSLWantReadError:
            pass
        hello = bio_out.read()
        with cu.Server(cu.server_context(mod)) as srv:
            with socket.create_connection(srv.addr, timeout=cu.TIMEOUT) as c:
                c.sendall(hello[:len(hello) // 2])
        return srv.outcome
    ref = cu.check_same(scenario, std, impl)
    assert ref[1][1] == RAGGED_EOF_ERROR


@pytest.mark.parametrize("suppress", [True, False])
def test_server_closes_mid_record(std, impl, suppress):
    """After the handshake the peer sends one and a half records and closes."""
    def scenario(mod):
        def handler(conn):
            peer = cu.ManualTLS(STD, cu.server_context(STD), conn, server_side=True)
            peer.handshake()
            whole = peer.records(b"complete")
            half = peer.records(b"never arrives")
            conn.sendall(whole + half[:len(half) // 2])
        with cu.Server(None, handler) as srv:
            raw = socket.create_connection(srv.addr, timeout=cu.TIMEOUT)
            with cu.client_context(mod).wrap_socket(
                    raw, server_hostname="localhost",
                    suppress_ragged_eofs=suppress) as s:
                got = cu.recv_exactly(s, 8)
                return got, cu.capture(s.recv, 100)
    ref = cu.check_same(scenario, std, impl)
    assert ref[1][0] == b"complete"
    if suppress or RAGGED_EOF_ERROR != "SSLEOFError":
        assert ref[1][1] == ("ok", b"")
    else:
        assert ref[1][1][1] == "SSLEOFError"


def test_garbage_record_after_handshake(std, impl):
    def scenario(mod):
        def handler(conn):
            peer = cu.ManualTLS(STD, cu.server_context(STD), conn, server_side=True)
            peer.handshake()
            conn.sendall(b"\x17\x03\x03\x00\x20" + b"\x00" * 32)
            conn.recv(100)
        with cu.Server(None, handler) as srv:
            with raw_client(mod, srv.addr) as s:
                return cu.capture(s.recv, 100)
    ref = cu.check_same(scenario, std, impl)
    assert ref[1][1] == "SSLError"


# ---------------------------------------------------------------------------
# Signals, the GIL and threads
# ---------------------------------------------------------------------------

class Interrupted(Exception):
    pass


def _raise_interrupted(signum, frame):
    raise Interrupted("alarm")


@pytest.mark.parametrize("where", ["read", "handshake"])
def test_signal_interrupts_blocking_call(std, impl, where):
    assert threading.current_thread() is threading.main_thread()

    def scenario(mod):
        done = threading.Event()
        old = signal.signal(signal.SIGALRM, _raise_interrupted)
        try:
            if where == "read":
                srv = held_server(done)
            else:
                srv = silent_plain_server(done)
            with srv:
                raw = socket.create_connection(srv.addr)
                raw.settimeout(None)
                with cu.client_context(mod).wrap_socket(
                        raw, server_hostname="localhost",
                        do_handshake_on_connect=False) as s:
                    if where == "read":
                        s.do_handshake()
                    t0 = time.monotonic()
                    try:
                        signal.setitimer(signal.ITIMER_REAL, 0.1)
                        s.do_handshake() if where == "handshake" else s.recv(10)
                    finally:
                        signal.setitimer(signal.ITIMER_REAL, 0)
                        elapsed = time.monotonic() - t0
                        done.set()
                        assert elapsed < 5, elapsed
        finally:
            signal.signal(signal.SIGALRM, old)
            done.set()
    ref = cu.check_same(scenario, std, impl)
    assert ref[1] == "Interrupted"


GIL_SCRIPT = r"""
import sys, threading, socket, time
sys.path.insert(0, %(tests)r)
import connutil as cu, ssl as STD
mod = %(loader)s
entered = threading.Event()
release = threading.Event()
def handler(s):
    release.wait(cu.TIMEOUT)
    s.sendall(b"x")
with cu.Server(cu.server_context(STD), handler) as srv:
    s = cu.connect(cu.client_context(mod), srv.addr, timeout=None)
    def reader():
        entered.set()
        return s.recv(1)
    bg = cu.Background(reader)
    entered.wait()
    # The reader thread now blocks in recv; this thread must keep running.
    t0 = time.monotonic()
    n = 0
    while time.monotonic() - t0 < 0.3:
        n += 1
    release.set()
    print(bg.result(), n > 1000)
    s.close()
"""

LOADERS = {
    "sslmod": "__import__('sslmod')",
    "stdlib_on_sslmod": "__import__('conftest').load_impl('stdlib_on_sslmod')",
    "stdlib": "STD",
    "stdlib_copy": "__import__('conftest').load_impl('stdlib_copy')",
}


def test_gil_released_while_blocked_in_recv(impl_name):
    """Run in a subprocess: if recv held the GIL, it would hang forever."""
    code = GIL_SCRIPT % {"tests": os.path.dirname(os.path.abspath(__file__)),
                         "loader": LOADERS[impl_name]}
    env = {"PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    try:
        out = subprocess.run([sys.executable, "-c", code], capture_output=True,
                             text=True, timeout=cu.TIMEOUT, env={**os.environ, **env})
    except subprocess.TimeoutExpired:
        pytest.fail("a thread blocked in recv() stopped the interpreter: GIL held?")
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["b'x'", "True"]


def test_many_threads_share_one_context(impl):
    nthreads, rounds = 8, 5
    sctx = cu.server_context(impl)
    cctx = cu.client_context(impl)

    def handler(s):
        for _ in range(rounds):
            s.sendall(s.recv(100).upper())

    def client(i):
        out = []
        with cu.connect(cctx, srv.addr) as s:
            for r in range(rounds):
                out.append(cu.ping(s, b"t%d-r%d" % (i, r)))
        return out

    server_threads = []

    def serve_all():
        for _ in range(nthreads):
            conn, _ = srv.sock.accept()
            conn.settimeout(cu.TIMEOUT)

            def one(conn=conn):
                with sctx.wrap_socket(conn, server_side=True) as s:
                    handler(s)
            server_threads.append(cu.Background(one))

    class Holder:
        pass
    srv = Holder()
    srv.sock = cu.listener()
    srv.addr = srv.sock.getsockname()
    try:
        acceptor = cu.Background(serve_all)
        clients = [cu.Background(client, i) for i in range(nthreads)]
        results = [c.result() for c in clients]
        acceptor.result()
        for t in server_threads:
            t.result()
    finally:
        srv.sock.close()
    assert results == [[b"T%d-R%d" % (i, r) for r in range(rounds)] for i in range(nthreads)]


# ---------------------------------------------------------------------------
# Buffers are sized in bytes, not items: array('I', [0, 0]) holds 8 bytes
# ---------------------------------------------------------------------------

def _buffers():
    import array
    return {
        "array_I": lambda: array.array("I", [0, 0]),
        "array_d": lambda: array.array("d", [0.0, 0.0, 0.0]),
        "memoryview_2d": lambda: memoryview(bytearray(12)).cast("B", (3, 4)),
        "memoryview_H": lambda: memoryview(bytearray(10)).cast("H"),
        "bytearray": lambda: bytearray(5),
    }


BUFFERS = _buffers()
STREAM = bytes(range(256)) * 4


def _tls_socketpair(mod):
    """A connected (client, server) pair of MOD's SSLSockets."""
    mine, theirs = socket.socketpair()
    for s in (mine, theirs):
        s.settimeout(cu.TIMEOUT)
    server = cu.Background(cu.server_context(mod).wrap_socket, theirs, server_side=True)
    client = cu.client_context(mod).wrap_socket(mine, server_hostname="localhost")
    return client, server.result()


def _read_with(mod, method, make):
    """Send STREAM in one record and read it with METHOD into MAKE()'s
    buffer; return what each call filled, in bytes."""
    client, server = _tls_socketpair(mod)
    with client, server:
        client.sendall(STREAM)
        calls = []
        for _ in range(3):
            buf = make()
            if method == "recv_into":
                count = server.recv_into(buf)
            elif method == "read":
                count = server.read(1000, buf)
            else:
                count = server.readinto(buf) if hasattr(server, "readinto") else None
            with memoryview(buf) as view:
                calls.append((count, view.tobytes()[:count or 0]))
        return calls


@pytest.mark.parametrize("kind", sorted(BUFFERS))
@pytest.mark.parametrize("method", ["recv_into", "read"])
def test_read_into_buffer_counts_bytes(impl_name, impl, method, kind):
    make = BUFFERS[kind]
    with memoryview(make()) as view:
        size = view.nbytes
    got = _read_with(impl, method, make)
    ref = _read_with(STD, method, make)
    if impl_name == "stdlib_on_sslmod":
        # The interpreter's own ssl.py: whatever it does on its own _ssl
        # (its recv_into counted items, not bytes, before 3.11).
        assert got == ref
        return
    # Each call fills the whole buffer, in bytes, and the bytes come in order.
    assert [count for count, _ in got] == [size] * 3
    assert b"".join(data for _, data in got) == STREAM[:3 * size]
    if [count for count, _ in ref] == [size] * 3:
        assert got == ref       # where the stdlib counts bytes too


@pytest.mark.parametrize("kind", sorted(BUFFERS))
def test_readinto_counts_bytes(kind):
    # readinto() is sslmod's own (MicroPython's stream API).
    from conftest import load_impl
    make = BUFFERS[kind]
    with memoryview(make()) as view:
        size = view.nbytes
    got = _read_with(load_impl("sslmod"), "readinto", make)
    assert [count for count, _ in got] == [size] * 3


def _send_with(mod, method, make):
    client, server = _tls_socketpair(mod)
    with client, server:
        buf = make()
        with memoryview(buf) as view:
            view.cast("B")[:] = STREAM[:view.nbytes]
        sent = getattr(client, method)(buf)
        with memoryview(buf) as view:
            expected = view.nbytes
        received = cu.recv_exactly(server, expected)
        return sent, received


@pytest.mark.parametrize("kind", sorted(BUFFERS))
@pytest.mark.parametrize("method", ["send", "sendall", "write"])
def test_send_buffer_counts_bytes(impl, method, kind):
    got = _send_with(impl, method, BUFFERS[kind])
    assert got == _send_with(STD, method, BUFFERS[kind])


def _sendfile_with(mod, tmp_path):
    path = tmp_path / "payload"
    path.write_bytes(STREAM)
    client, server = _tls_socketpair(mod)
    with client, server, open(path, "rb") as f:
        sent = client.sendfile(f, offset=3, count=500)
        return sent, cu.recv_exactly(server, sent)


def test_sendfile_counts_bytes(impl, tmp_path):
    assert _sendfile_with(impl, tmp_path) == _sendfile_with(STD, tmp_path)


@pytest.mark.parametrize("kind", sorted(BUFFERS))
def test_sslobject_and_memorybio_count_bytes(impl, kind):
    def scenario(mod):
        pair = cu.BioPair(mod, cu.client_context(mod), mod, cu.server_context(mod))
        pair.handshake()
        buf = BUFFERS[kind]()
        with memoryview(buf) as view:
            view.cast("B")[:] = STREAM[:view.nbytes]
        written = pair.client.write(buf)
        pair.pump()
        into = BUFFERS[kind]()
        count = pair.server.read(1000, into)
        bio = mod.MemoryBIO()
        return written, count, bytes(memoryview(into).cast("B")), bio.write(buf), bio.pending
    assert scenario(impl) == scenario(STD)
