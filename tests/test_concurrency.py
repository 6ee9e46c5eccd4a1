"""One connection used from several threads: a reader and a writer at once,
and a wait that another thread ends by closing or shutting down the socket.

The stdlib is the reference where it is right: what a read on a closed
socket raises.  Where it is not (a blocked read that never notices a
close(), a wait that spins past its deadline, a stream corrupted by two
threads), sslmod must do better, within a bounded time.
"""
import array
import hashlib
import os
import socket
import threading
import time

import pytest

from conftest import beyond_stdlib, same, stdlib_raises
from connutil import (Background, Server, TIMEOUT, capture, client_context,
                      connect, describe_exc, server_context)

# A closed socket must end a wait well before these timeouts.
WAIT_TIMEOUT = 8.0
PROMPT = 4.0
TIMEOUTS = [None, WAIT_TIMEOUT]
TIMEOUT_IDS = ["blocking", "timeout"]


def closed_read_outcome(mod, via_sslobj):
    """What a read on an already closed socket gives in MOD: the outcome of
    _sslobj.read(), and for SSLSocket.recv() the same, except that an EOF
    error reads as b"" (suppress_ragged_eofs)."""
    done = threading.Event()
    with Server(server_context(mod), lambda s: done.wait(TIMEOUT)) as srv:
        c = connect(client_context(mod), srv.addr)
        obj = c._sslobj
        c.close()
        try:
            outcome = capture(obj.read, 100)
        finally:
            done.set()
    if not via_sslobj and outcome[0] == "raise" and outcome[1] == "SSLEOFError":
        return ("ok", b"")
    return outcome


def _blocked_read(mod, timeout, via_sslobj, action):
    """A reader thread waits in recv(); the main thread then does ACTION to
    the socket.  Returns (outcome, seconds the reader took)."""
    release = threading.Event()
    box = {}

    def server(s):
        box["server"] = s
        release.wait(TIMEOUT)
        if action == "close+reuse+data":
            s.sendall(b"hello")     # wakes a poll() still on the old fd

    with Server(server_context(mod), server) as srv:
        c = connect(client_context(mod), srv.addr)
        c.settimeout(timeout)
        obj = c._sslobj
        started = threading.Event()

        def reader():
            started.set()
            t0 = time.monotonic()
            try:
                return capture(obj.read if via_sslobj else c.recv, 100), time.monotonic() - t0
            finally:
                box["end"] = time.monotonic()

        bg = Background(reader)
        started.wait(TIMEOUT)
        time.sleep(0.3)             # let the reader reach its wait
        other = None
        try:
            if action == "shutdown":
                c.shutdown(socket.SHUT_RDWR)
            else:
                c.close()
                if action == "close+reuse+data":
                    other = socket.socket()   # most likely the freed fd number
                    release.set()
            outcome, took = bg.result(TIMEOUT)
        finally:
            release.set()
            c.close()
            if other is not None:
                other.close()
    return outcome, took


@pytest.mark.parametrize("via_sslobj", [False, True], ids=["SSLSocket.recv", "_sslobj.read"])
@pytest.mark.parametrize("action", ["close", "close+reuse+data"])
@pytest.mark.parametrize("timeout", TIMEOUTS, ids=TIMEOUT_IDS)
def test_close_ends_a_blocked_read(impl, std, timeout, action, via_sslobj):
    """The stdlib blocks forever (timeout None) or until the timeout, and
    spun at 100% CPU once the fd was reused (audit #3).  The read must end
    promptly, as a read on a closed socket does in the stdlib."""
    outcome, took = _blocked_read(impl, timeout, via_sslobj, action)
    assert outcome == closed_read_outcome(std, via_sslobj)
    assert took < PROMPT, took


@pytest.mark.parametrize("timeout", TIMEOUTS, ids=TIMEOUT_IDS)
def test_shutdown_ends_a_blocked_read(impl, std, timeout):
    """shutdown(SHUT_RDWR) from another thread ends the read at once, as in
    the stdlib (an unexpected EOF)."""
    outcome, took = _blocked_read(impl, timeout, True, "shutdown")
    expected, std_took = _blocked_read(std, timeout, True, "shutdown")
    assert outcome == expected
    assert took < PROMPT, (took, std_took)


def test_deadline_ends_a_wait_on_a_reused_fd(impl):
    """The deadline ends the wait even if the fd keeps reporting ready."""
    outcome, took = _blocked_read(impl, 1.0, True, "close+reuse+data")
    assert outcome[0] == "raise"
    assert took < 1.0 + PROMPT, took


# ---------------------------------------------------------------------------
# A reader thread and a writer thread on one connection (audit #7)
# ---------------------------------------------------------------------------

TOTAL = 4 * 1024 * 1024
CHUNK = 16 * 1024


def _echo_server(s):
    """Echo with a reader and a writer thread on the server's socket too."""
    import queue
    q = queue.Queue(maxsize=64)

    def writer():
        while True:
            d = q.get()
            if d is None:
                return
            s.sendall(d)

    w = Background(writer)
    h = hashlib.sha256()
    try:
        while True:
            d = s.recv(65536)
            if not d:
                break
            h.update(d)
            q.put(d, timeout=TIMEOUT)
    finally:
        q.put(None)
    w.result(TIMEOUT * 3)
    return h.hexdigest()


@pytest.mark.parametrize("timeout", [None, 30.0], ids=TIMEOUT_IDS)
def test_reader_and_writer_threads(impl, timeout):
    """A few MB each way with one thread reading and one writing on each
    end; every byte arrives, in order, unchanged."""
    data = os.urandom(TOTAL)
    sent_hash = hashlib.sha256(data).hexdigest()
    with Server(server_context(impl), _echo_server, timeout=60) as srv:
        c = connect(client_context(impl), srv.addr)
        c.settimeout(timeout)

        def reader():
            h = hashlib.sha256()
            got = 0
            while got < TOTAL:
                d = c.recv(65536)
                if not d:
                    break
                got += len(d)
                h.update(d)
            return got, h.hexdigest()

        rd = Background(reader)
        for i in range(0, TOTAL, CHUNK):
            c.sendall(data[i:i + CHUNK])
        got, echo_hash = rd.result(60)
        c.shutdown(socket.SHUT_WR)   # the server's recv() sees EOF
        c.close()
    assert srv.outcome == ("ok", sent_hash)
    assert (got, echo_hash) == (TOTAL, sent_hash)


@pytest.mark.parametrize("timeout", [None, 30.0], ids=TIMEOUT_IDS)
def test_one_thread_at_a_time_inside_openssl(impl, impl_name, timeout):
    """The audit's reader+writer scenario (repros/repro_threads_rw.py) made
    deterministic.  Corruption needs both threads inside OpenSSL's SSL at
    the same moment, which a loaded machine rarely schedules; so the msg
    callback, which OpenSSL calls from inside SSL_read/SSL_write for every
    record, lingers a little and records whether another thread was inside
    the same connection meanwhile.  Serialised calls never overlap."""
    beyond_stdlib(impl_name, "its SSL calls on one connection are not serialised")
    guard = threading.Lock()
    state = {"inside": None, "overlaps": 0, "records": 0}

    def linger(conn, direction, version, content_type, msg_type, data):
        me = threading.get_ident()
        with guard:
            if state["inside"] not in (None, me):
                state["overlaps"] += 1
            outer, state["inside"] = state["inside"], me
        time.sleep(0.001)
        with guard:
            state["inside"] = outer
            state["records"] += 1

    cctx = client_context(impl)
    cctx._msg_callback = linger
    count, size = 300, 1000
    with Server(server_context(impl), _echo_server, timeout=60) as srv:
        c = connect(cctx, srv.addr)
        c.settimeout(timeout)

        def reader():
            got = 0
            while got < count * size:
                d = c.recv(65536)
                if not d:
                    break
                got += len(d)
            return got

        rd = Background(reader)
        for _ in range(count):
            c.sendall(b"y" * size)
        got = rd.result(60)
        c.shutdown(socket.SHUT_WR)
        c.close()
    assert got == count * size
    assert state["records"] > count
    assert state["overlaps"] == 0


def test_peer_info_while_reading(impl):
    """cipher(), version(), pending() and getpeercert() do not wait for a
    reader blocked on the socket: the lock is never held while waiting."""
    release = threading.Event()
    with Server(server_context(impl), lambda s: release.wait(TIMEOUT) and s.sendall(b"x")) as srv:
        c = connect(client_context(impl), srv.addr)
        c.settimeout(None)
        rd = Background(c.recv, 10)
        time.sleep(0.2)
        t0 = time.monotonic()
        for _ in range(100):
            assert c.cipher() is not None
            assert c.version() is not None
            assert c.pending() == 0
            assert c.getpeercert()
        took = time.monotonic() - t0
        release.set()
        assert rd.result(TIMEOUT) == b"x"
        c.close()
    assert took < PROMPT, took


# ---------------------------------------------------------------------------
# Buffers are counted in bytes; argument parsing as the stdlib's
# ---------------------------------------------------------------------------

def _bio_pair(mod):
    from connutil import BioPair
    p = BioPair(mod, client_context(mod), mod, server_context(mod))
    p.handshake()
    return p


def test_read_write_byte_sized_buffers(impl):
    def scenario(mod):
        p = _bio_pair(mod)
        n = p.client.write(array.array("I", [1, 2, 3]))
        p.pump()
        buf = array.array("I", [0, 0, 0, 0])
        got = p.server.read(100, buf)
        return n, got, buf.tobytes()
    same(scenario, impl)


@pytest.mark.parametrize("call", [
    "read()", "read(1, bytearray(1), 3)", "read('x')", "read(1.0)", "read(2**63)",
    "read(2**31, bytearray(1))", "read(None)", "read(1, b'')", "read(1, None)", "read(-1)",
    "read(x=1)",
    "write()", "write(1)", "write('s')", "write(b'', b'')", "write(b=b'')",
    "pending(1)", "cipher(1)", "version(1)", "selected_alpn_protocol(1)",
    "shutdown(1)", "do_handshake(1)", "getpeercert(1, 2)", "getpeercert(binary_form=True)",
    "pending(x=1)",
])
def test_argument_errors(impl, call):
    def scenario(mod):
        p = _bio_pair(mod)
        obj = p.client._sslobj
        try:
            return eval("obj." + call, {"obj": obj})
        except mod.SSLWantReadError as exc:
            return describe_exc(exc)[:3]
    same(scenario, impl, raises=stdlib_raises(scenario))
