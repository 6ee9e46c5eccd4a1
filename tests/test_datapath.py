"""The data path: SSLObject/SSLSocket read, write, recv, send ... run as C
methods with the stdlib's behaviour (argument handling, closed-socket
checks, flags, ragged EOF); idle connections give their buffers back; a
big recv_into() takes every record already there; sendfile() with
OP_ENABLE_KTLS falls back to the stdlib's behaviour when the kernel does
not hold the keys."""
import ctypes
import ctypes.util
import os
import socket
import ssl as std_ssl
import sys
import tempfile

import pytest

import sslmod
import stdlib_quirks
from conftest import same
from connutil import (BioPair, Server, TIMEOUT, capture, client_context, connect, describe_exc,
                      recv_exactly, server_context)

# ---- no Python frame -----------------------------------------------------


def python_calls(fn):
    """How many Python frames FN() runs (profile 'call' events), not
    counting FN itself."""
    calls = []

    def prof(frame, event, arg):
        if event == "call":
            calls.append(frame.f_code.co_name)
    sys.setprofile(prof)
    try:
        fn()
    finally:
        sys.setprofile(None)
    return [c for c in calls if c != fn.__name__]


def established_bio_pair(mod):
    pair = BioPair(mod, client_context(mod), mod, server_context(mod))
    assert pair.handshake() == (("ok", None), ("ok", None))
    return pair


def test_sslobject_data_path_runs_no_python_frame():
    pair = established_bio_pair(sslmod)
    c, s = pair.client, pair.server
    buf = bytearray(10)

    def work():
        c.write(b"ping")
        pair.sin.write(pair.cout.read())
        s.read(2)
        s.read(len=2, buffer=buf)
        s.pending()
        c.getpeercert(True)
        c.getpeercert()
        c.cipher()
        c.version()
        c.selected_alpn_protocol()
        assert c.session_reused is False
        pair.cout.read()
        pair.cin.write(b"")
    assert python_calls(work) == []


def test_sslsocket_data_path_runs_no_python_frame():
    def server(s):
        s.sendall(recv_exactly(s, 8))

    with Server(server_context(sslmod), server) as srv:
        with connect(client_context(sslmod), srv.addr) as c:
            buf = bytearray(4)

            def work():
                c.send(b"ab")
                c.sendall(b"cd")
                c.write(b"efgh")
                c.recv(2)
                c.recv_into(buf, 2)
                c.read(4)
                c.pending()
                c.cipher()
                c.version()
                c.selected_alpn_protocol()
            assert python_calls(work) == []
    assert srv.outcome[0] == "ok"


# ---- the same behaviour as the stdlib ------------------------------------

def bio_scenario(action):
    """ACTION(pair) on an established MemoryBIO pair of the module."""
    def scenario(ssl):
        return capture(action, established_bio_pair(ssl))
    return scenario


SSLOBJECT_CALLS = {
    "read_kw": lambda p: (p.client.write(b"hello"), p.pump(), p.server.read(len=3)),
    "read_default": lambda p: (p.client.write(b"x" * 2000), p.pump(), len(p.server.read())),
    "read_buffer_none": lambda p: (p.client.write(b"hi"), p.pump(), p.server.read(5, None)),
    "read_into": lambda p: (p.client.write(b"hi"), p.pump(),
                            p.server.read(buffer=bytearray(8))),
    "read_bad_kw": lambda p: p.server.read(size=3),
    "read_bad_len": lambda p: p.server.read("3"),
    "read_too_many": lambda p: p.server.read(1, bytearray(1), 3),
    "read_nothing": lambda p: p.server.read(5),
    "write_kw": lambda p: p.client.write(data=b"abc"),
    "write_str": lambda p: p.client.write("abc"),
    "write_missing": lambda p: p.client.write(),
    "getpeercert_kw": lambda p: type(p.client.getpeercert(binary_form=True)).__name__,
    "getpeercert_server": lambda p: p.server.getpeercert(),
    "pending_arg": lambda p: p.client.pending(1),
    "session_reused": lambda p: (p.client.session_reused, p.server.session_reused),
    "queries": lambda p: (p.client.cipher(), p.client.version(),
                          p.client.selected_alpn_protocol(), p.client.pending()),
}


@pytest.mark.parametrize("name", sorted(SSLOBJECT_CALLS))
def test_sslobject_calls(impl, name):
    same(bio_scenario(SSLOBJECT_CALLS[name]), impl)


def test_sslobject_before_handshake(impl):
    def scenario(ssl):
        pair = BioPair(ssl, client_context(ssl), ssl, server_context(ssl))
        c = pair.client
        return (c.cipher(), c.version(), c.selected_alpn_protocol(), c.pending(),
                c.session_reused, describe_exc(pytest.raises(ValueError, c.getpeercert).value))
    same(scenario, impl)


def over_socket(action, server_action=None):
    """ACTION(client SSLSocket) against a server that runs SERVER_ACTION
    (default: echo 16 bytes back, then close without close_notify)."""
    def default_server(s):
        s.sendall(recv_exactly(s, 16))

    def scenario(ssl):
        with Server(server_context(ssl), server_action or default_server) as srv:
            with connect(client_context(ssl), srv.addr) as c:
                return capture(action, c)
    return scenario


def _closed_then(call):
    def action(c):
        c.close()
        return call(c)
    return action


def _unwrapped_then(call):
    def action(c):
        c._sslobj = None      # what unwrap() and shutdown() leave behind
        return call(c)
    return action


SSLSOCKET_CALLS = {
    "echo_kw": lambda c: (c.sendall(data=b"0123456789abcdef"), recv_exactly(c, 16)),
    "send_recv_into": lambda c: (c.send(b"0123456789abcdef"),
                                 c.recv_into(buffer=bytearray(16), nbytes=16)),
    "recv_into_default": lambda c: (c.sendall(b"0123456789abcdef"),
                                    c.recv_into(bytearray(16))),
    "recv_into_items": lambda c: (c.sendall(b"0123456789abcdef"),
                                  c.recv_into(memoryview(bytearray(16)).cast("I"))),
    "read_write": lambda c: (c.write(b"0123456789abcdef"), c.read(16)),
    "read_buffer": lambda c: (c.write(b"0123456789abcdef"), c.read(16, bytearray(16))),
    "recv_flags": lambda c: c.recv(10, 1),
    "recv_into_flags": lambda c: c.recv_into(bytearray(3), 3, flags=2),
    "send_flags": lambda c: c.send(b"x", 1),
    "sendall_flags": lambda c: c.sendall(b"x", flags=1),
    "sendall_str": lambda c: c.sendall("text"),
    "send_str": lambda c: c.send("text"),
    "recv_bad_kw": lambda c: c.recv(bufsize=3),
    "recv_into_none": lambda c: (c.sendall(b"0123456789abcdef"), c.recv_into(None)),
    "recv_into_missing": lambda c: c.recv_into(),
    "queries": lambda c: (c.cipher(), c.version(), c.selected_alpn_protocol(), c.pending()),
    "sendall_memoryview": lambda c: (c.sendall(memoryview(b"0123456789abcdef").cast("B")),
                                     recv_exactly(c, 16)),
    "closed_read": _closed_then(lambda c: c.read(1)),
    "closed_write": _closed_then(lambda c: c.write(b"x")),
    "closed_recv": _closed_then(lambda c: c.recv(1)),
    "closed_recv_into": _closed_then(lambda c: c.recv_into(bytearray(1))),
    "closed_send": _closed_then(lambda c: c.send(b"x")),
    "closed_sendall": _closed_then(lambda c: c.sendall(b"x")),
    "closed_queries": _closed_then(lambda c: (c.pending(), c.cipher(), c.version(),
                                              c.selected_alpn_protocol())),
    "unwrapped_read": _unwrapped_then(lambda c: c.read(1)),
    "unwrapped_write": _unwrapped_then(lambda c: c.write(b"x")),
    "unwrapped_queries": _unwrapped_then(lambda c: (c.pending(), c.cipher(), c.version())),
}


@pytest.mark.parametrize("name", sorted(SSLSOCKET_CALLS))
def test_sslsocket_calls(impl, name):
    if name == "recv_into_items" and stdlib_quirks.recv_into_counts_items():
        pytest.skip("this interpreter's ssl sizes recv_into by len(buffer), in items; "
                    "sslmod uses bytes on every interpreter "
                    "(tests/test_sockets.py::test_read_into_buffer_counts_bytes)")
    same(over_socket(SSLSOCKET_CALLS[name]), impl)


def _abrupt_close(s):
    """Server: close the TCP connection without close_notify."""
    s.recv(1)
    sock = socket.socket(fileno=s.detach())
    sock.close()


@pytest.mark.parametrize("suppress", [True, False])
@pytest.mark.parametrize("call", ["recv", "recv_into", "read", "read_into"])
def test_ragged_eof(impl, suppress, call):
    calls = {"recv": lambda c: c.recv(10),
             "recv_into": lambda c: c.recv_into(bytearray(10)),
             "read": lambda c: c.read(10),
             "read_into": lambda c: c.read(10, bytearray(10))}

    def action(c):
        c.suppress_ragged_eofs = suppress
        c.sendall(b"!")
        return calls[call](c)
    same(over_socket(action, _abrupt_close), impl)


# ---- lean idle connections ------------------------------------------------

def _malloc_in_use():
    """Bytes the C heap has handed out (glibc mallinfo2), or None."""
    name = ctypes.util.find_library("c")
    libc = ctypes.CDLL(name) if name else None
    fn = getattr(libc, "mallinfo2", None)
    if fn is None:
        return None

    class Mallinfo2(ctypes.Structure):
        _fields_ = [(f, ctypes.c_size_t) for f in (
            "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks",
            "uordblks", "fordblks", "keepcost")]
    fn.restype = Mallinfo2
    info = fn()
    return info.uordblks + info.hblkhd


def _idle_pairs(mod, count, release_buffers=None):
    """COUNT established socket-pair TLS connections that exchanged data;
    RELEASE_BUFFERS, unless None, is set on both contexts first."""
    sctx, cctx = server_context(mod), client_context(mod)
    if release_buffers is not None:
        sctx.release_buffers = cctx.release_buffers = release_buffers
    keep = []
    for _ in range(count):
        a, b = socket.socketpair()
        a.settimeout(TIMEOUT)
        b.settimeout(TIMEOUT)
        c = cctx.wrap_socket(a, server_hostname="localhost", do_handshake_on_connect=False)
        s = sctx.wrap_socket(b, server_side=True, do_handshake_on_connect=False)
        c.setblocking(False)
        s.setblocking(False)
        done = set()
        while len(done) < 2:
            for side in (c, s):
                if side in done:
                    continue
                try:
                    side.do_handshake()
                    done.add(side)
                except (mod.SSLWantReadError, mod.SSLWantWriteError):
                    pass
        c.settimeout(TIMEOUT)
        s.settimeout(TIMEOUT)
        c.sendall(b"hello")
        assert s.recv(5) == b"hello"
        s.sendall(b"world")
        assert c.recv(5) == b"world"
        keep.append((c, s))
    return keep


@pytest.mark.skipif(_malloc_in_use() is None or "asan" in os.environ.get("LD_PRELOAD", ""),
                    reason="needs glibc's own malloc and its mallinfo2")
def test_idle_connections_release_their_buffers(std):
    """Both modules' connections, after one exchange, kept idle: ours hold
    at least 8 KiB less C heap per connection (the client's 16 KiB read
    buffer is given back)."""
    # Each module in a process of its own, best of two: measured in one
    # process, what the earlier tests (and the other module) left on the
    # heap moved the figures by tens of KiB either way.
    per = {name: min(_idle_heap_per_connection(name) for _ in range(2))
           for name in ("ssl", "sslmod")}
    assert per["sslmod"] <= per["ssl"] - 8 * 1024, per


_IDLE_HEAP_SCRIPT = """
import gc, sys
sys.path.insert(0, %(tests)r)
import test_datapath as t
mod = __import__(sys.argv[1])
release = {"default": None, "on": True, "off": False}[sys.argv[2]]
t._idle_pairs(mod, 3, release)
gc.collect()
before = t._malloc_in_use()
keep = t._idle_pairs(mod, 20, release)
gc.collect()
print((t._malloc_in_use() - before) / len(keep))
"""


def _idle_heap_per_connection(module_name, release="default"):
    """C heap held per idle connection pair of MODULE_NAME ("ssl" or
    "sslmod"), measured in a fresh interpreter; RELEASE is "default", or
    "on"/"off" for sslmod's release_buffers."""
    import subprocess
    code = _IDLE_HEAP_SCRIPT % {"tests": os.path.dirname(os.path.abspath(__file__))}
    out = subprocess.run([sys.executable, "-c", code, module_name, release], capture_output=True,
                         text=True, timeout=TIMEOUT * 4)
    assert out.returncode == 0, out.stderr
    return float(out.stdout)


@pytest.mark.skipif(_malloc_in_use() is None or "asan" in os.environ.get("LD_PRELOAD", ""),
                    reason="needs glibc's own malloc and its mallinfo2")
def test_release_buffers_off_keeps_the_buffers():
    """release_buffers=False (for throughput) keeps each end's 16 KiB read
    and write buffers: idle pairs hold at least 16 KiB more C heap each
    than with the default, which release_buffers=True is."""
    per = {release: min(_idle_heap_per_connection("sslmod", release) for _ in range(2))
           for release in ("on", "off", "default")}
    assert per["off"] >= per["on"] + 16 * 1024, per
    assert abs(per["default"] - per["on"]) < 4 * 1024, per


def test_release_buffers_attribute():
    """sslmod's SSLContext.release_buffers: True on every new context (the
    stdlib's SSL_MODE_RELEASE_BUFFERS), a boolean that takes any truth
    value, cannot be deleted, and is there for the interpreter's own
    ssl.py running on the core too."""
    for proto in (sslmod.PROTOCOL_TLS_CLIENT, sslmod.PROTOCOL_TLS_SERVER):
        ctx = sslmod.SSLContext(proto)
        assert ctx.release_buffers is True
        ctx.release_buffers = 0
        assert ctx.release_buffers is False
        ctx.release_buffers = "yes"
        assert ctx.release_buffers is True
        with pytest.raises(AttributeError):
            del ctx.release_buffers

        class Undecided:
            def __bool__(self):
                raise ValueError("no truth")
        with pytest.raises(ValueError, match="no truth"):
            ctx.release_buffers = Undecided()
        assert ctx.release_buffers is True
    core = sslmod._sslmod._SSLContext(sslmod.PROTOCOL_TLS_CLIENT)
    assert core.release_buffers is True
    assert not hasattr(std_ssl.SSLContext(std_ssl.PROTOCOL_TLS_CLIENT), "release_buffers")


@pytest.mark.parametrize("ours", ["server", "client"])
@pytest.mark.parametrize("release_buffers", [True, False], ids=["release", "keep"])
def test_memorybio_transfers_with_either_release_setting(release_buffers, ours):
    """Over MemoryBIOs, records of every size arrive intact both ways with
    release_buffers on or off (sslmod at one end, the stdlib at the other,
    each way round)."""
    smod, cmod = (sslmod, std_ssl) if ours == "server" else (std_ssl, sslmod)
    sctx, cctx = server_context(smod), client_context(cmod)
    (sctx if ours == "server" else cctx).release_buffers = release_buffers
    pair = BioPair(cmod, cctx, smod, sctx)
    pair.handshake()
    for size in (1, 1024, 16384, 16385, 70000):
        payload = os.urandom(size)
        assert pair.transfer(pair.client, pair.server, payload) == payload
        assert pair.transfer(pair.server, pair.client, payload[::-1]) == payload[::-1]


@pytest.mark.parametrize("release_buffers", [True, False], ids=["release", "keep"])
def test_reads_after_buffers_released_lose_nothing(release_buffers):
    """Data in flight across the buffer release arrives whole and in order,
    and as much with release_buffers off."""
    (c, s), = _idle_pairs(sslmod, 1, release_buffers)
    with c, s:
        for size in (1, 100, 16384, 40000, 3):
            payload = os.urandom(size)
            s.sendall(payload)
            got = b""
            while len(got) < size:
                got += c.recv(7 if size < 100 else 5000)
            assert got == payload


# ---- several records per call --------------------------------------------

def test_big_recv_into_takes_every_record_already_there():
    """With 64 KiB queued, recv_into(256 KiB) returns more than one record
    (the stdlib returns at most 16 KiB), and the bytes are right."""
    payload = os.urandom(65536)
    (c, s), = _idle_pairs(sslmod, 1)
    with c, s:
        s.sendall(payload)
        buf = bytearray(262144)
        # A socketpair's sendall() returns once the bytes are in c's queue.
        got = c.recv_into(buf)
        assert got > 16384
        rest = recv_exactly(c, len(payload) - got)
        assert bytes(buf[:got]) + rest == payload


def test_small_reads_keep_one_record_per_call(impl):
    """recv(n) with n up to one record keeps the stdlib's one-record results."""
    def action(c):
        c.sendall(b"go")
        first = recv_exactly(c, 1000)
        return len(first), len(c.recv(16384))

    def server(s):
        recv_exactly(s, 2)
        s.sendall(b"a" * 1000)
        s.sendall(b"b" * 1000)
    scenario = over_socket(action, server)
    same(scenario, impl)


# ---- sendfile and kTLS -----------------------------------------------------

def _ktls_available():
    try:
        with open("/proc/sys/net/ipv4/tcp_available_ulp") as f:
            return "tls" in f.read().split()
    except OSError:
        return False


@pytest.mark.parametrize("ktls", [False, True], ids=["plain", "OP_ENABLE_KTLS"])
@pytest.mark.parametrize("offset,count", [(0, None), (1000, 5000), (70000, None)])
def test_sendfile_same_result(impl, ktls, offset, count):
    data = bytes(range(256)) * 400    # 100 KiB
    with tempfile.TemporaryFile() as f:
        f.write(data)

        def scenario(ssl):
            sctx = server_context(ssl)
            if ktls:
                sctx.options |= getattr(ssl, "OP_ENABLE_KTLS", 1 << 3)
            want = len(data) - offset if count is None else count

            def server(s):
                f.seek(0)
                sent = s.sendfile(f, offset, count)
                return sent, f.tell()

            with Server(sctx, server) as srv:
                with connect(client_context(ssl), srv.addr) as c:
                    got = recv_exactly(c, want)
            return srv.outcome, got == data[offset:offset + want]
        same(scenario, impl)


def test_ktls_detection_without_kernel_support():
    """With OP_ENABLE_KTLS but no kernel TLS here, _ktls_send() says no and
    sendfile() goes by send()."""
    if _ktls_available():
        pytest.skip("this host has the tls ULP: Doc/performance-ktls.rst says how to check kTLS")
    sctx = server_context(sslmod)
    sctx.options |= sslmod.OP_ENABLE_KTLS

    def server(s):
        return s._ktls_send()

    with Server(sctx, server) as srv:
        with connect(client_context(sslmod), srv.addr) as c:
            assert c._ktls_send() is False
    assert srv.outcome == ("ok", False)
