"""File descriptors after errors: nothing may keep a socket alive.

A server that meets a TLS error (a hostile peer, a corrupted record) and
simply returns, leaving the SSLSocket to reference counting, must close the
connection at once, as the interpreter's ssl does.  A reference cycle made
on the error path (exception -> traceback -> frame -> socket) would keep the
fd open until the cyclic GC runs, and with gc disabled, forever.

Each case here runs with gc disabled: provoke an error on the "victim"
SSLSocket, drop the last reference, and check that its fd is closed and
that the peer sees the end of the stream.  The stdlib runs the same cases
as the reference.  The second half checks that a failure while an
SSLSocket is being made (or accepted, connected, unwrapped) never leaves a
descriptor behind or a ResourceWarning for later.
"""
import contextlib
import gc
import os
import select
import socket
import sys
import warnings

import pytest
import ssl as STD

import connutil as cu
from conftest import load_impl

# How long the peer waits for the close; the broken behaviour waits forever.
PEER_WAIT = 5.0


# ---- helpers -------------------------------------------------------------------

@contextlib.contextmanager
def gc_disabled():
    was_enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        with warnings.catch_warnings():
            # Dropping an unclosed socket warns; that is the scenario here.
            warnings.simplefilter("ignore", ResourceWarning)
            yield
    finally:
        if was_enabled:
            gc.enable()


def error_name(fn, *args, **kwargs):
    """Call FN and return the name of the exception it raised.  Only the name
    leaves this frame: holding the exception would hold its traceback."""
    try:
        fn(*args, **kwargs)
    except Exception as exc:  # noqa: BLE001 - any error is the point here
        return type(exc).__name__
    return None


def fd_is_open(fd):
    try:
        os.fstat(fd)
    except OSError:
        return False
    return True


def peer_sees_eof(sock):
    """Read the plain socket SOCK until EOF (an alert may come first)."""
    sock.settimeout(PEER_WAIT)
    try:
        while sock.recv(65536):
            pass
    except socket.timeout:
        return False
    except OSError:
        return True        # reset: the other end is gone too
    return True


def wait_readable(sock):
    select.select([sock], [], [], cu.TIMEOUT)


MODES = {"blocking": None, "timeout": cu.TIMEOUT, "nonblocking": 0.0}


class Victim:
    """An SSLSocket of module MOD (client or server side) over a socketpair,
    and at the other end a stdlib TLS peer driven by hand (cu.ManualTLS),
    so that the test decides which records it sends."""

    def __init__(self, mod, side, handshake=True, peer_ctx=None):
        mine, theirs = socket.socketpair()
        theirs.settimeout(cu.TIMEOUT)
        server_side = side == "server"
        if server_side:
            ctx = cu.server_context(mod)
            peer_ctx = peer_ctx or cu.client_context(STD)
        else:
            ctx = cu.client_context(mod)
            peer_ctx = peer_ctx or cu.server_context(STD)
        self.sock = ctx.wrap_socket(
            mine, server_side=server_side, do_handshake_on_connect=False,
            server_hostname=None if server_side else "localhost")
        self.sock.settimeout(cu.TIMEOUT)
        self.peer = cu.ManualTLS(STD, peer_ctx, theirs, not server_side,
                                 hostname=None if not server_side else "localhost")
        if handshake:
            job = cu.Background(self.sock.do_handshake)
            self.peer.handshake()
            job.result()

    def set_mode(self, mode):
        self.sock.settimeout(MODES[mode])


def drop_and_check(victim):
    """Drop VICTIM's SSLSocket (its last reference) and report what the fd
    and the peer saw."""
    fd = victim.sock.fileno()
    victim.sock = None
    fd_closed = not fd_is_open(fd)
    eof = peer_sees_eof(victim.peer.sock)
    victim.peer.sock.close()
    return {"fd_closed": fd_closed, "peer_saw_eof": eof}


CLOSED = {"fd_closed": True, "peer_saw_eof": True}


# ---- the error cases -------------------------------------------------------------
# Each takes a Victim whose socket is in MODE and returns the error's name.

def bad_record_mac(v, mode):
    record = bytearray(v.peer.records(b"hello"))
    record[-1] ^= 0x01
    v.peer.sock.sendall(record)
    v.set_mode(mode)
    if mode == "nonblocking":
        wait_readable(v.sock)
    return error_name(v.sock.recv, 1024)


def bad_record_mac_into(v, mode):
    record = bytearray(v.peer.records(b"hello"))
    record[5] ^= 0x01
    v.peer.sock.sendall(record)
    v.set_mode(mode)
    if mode == "nonblocking":
        wait_readable(v.sock)
    return error_name(v.sock.recv_into, bytearray(100))


def garbage_record(v, mode):
    v.peer.sock.sendall(b"\x17\x03\x03\x00\x20" + b"\x00" * 32)
    v.set_mode(mode)
    if mode == "nonblocking":
        wait_readable(v.sock)
    return error_name(v.sock.read, 1024)


def nothing_to_read(v, mode):
    # TimeoutError (timeout mode) or SSLWantReadError (non-blocking).  A
    # blocking read has no error of its own to give here: a transport EOF
    # without close_notify reads as a clean close on 3.9.
    v.sock.settimeout(0.05 if mode == "timeout" else MODES[mode])
    return error_name(v.sock.recv, 1024)


def write_to_closed_peer(v, mode):
    v.peer.sock.shutdown(socket.SHUT_RDWR)
    v.set_mode(mode)
    for _ in range(1000):
        name = error_name(v.sock.sendall, b"x" * 16384)
        if name is not None:
            return name
    raise AssertionError("writing to a closed peer never failed")


def shutdown_after_peer_left(v, mode):
    v.peer.sock.shutdown(socket.SHUT_RDWR)
    v.set_mode(mode)
    return error_name(v.sock.unwrap)


ERRORS = {
    "bad_record_mac": bad_record_mac,
    "bad_record_mac_into": bad_record_mac_into,
    "garbage_record": garbage_record,
    "nothing_to_read": nothing_to_read,
    "write_to_closed_peer": write_to_closed_peer,
    "shutdown_after_peer_left": shutdown_after_peer_left,
}


def run_after_error(mod, side, case, mode):
    with gc_disabled():
        victim = Victim(mod, side)
        error = ERRORS[case](victim, mode)
        assert error is not None, "the case raised nothing"
        return error, drop_and_check(victim)


CASES = [(case, mode) for case in sorted(ERRORS) for mode in sorted(MODES)
         if (case, mode) != ("nothing_to_read", "blocking")]


@pytest.mark.parametrize("case, mode", CASES)
@pytest.mark.parametrize("side", ["server", "client"])
def test_dropped_socket_closes_at_once_after_error(impl, side, case, mode):
    _, reference = run_after_error(STD, side, case, mode)
    assert reference == CLOSED, "the stdlib itself kept the fd open"
    error, seen = run_after_error(impl, side, case, mode)
    assert seen == CLOSED, "after %s the dropped socket stayed open" % error


def handshake_garbage(v, mode):
    v.peer.sock.sendall(b"GET / HTTP/1.0\r\n\r\n" * 4)
    v.set_mode(mode)
    if mode == "nonblocking":
        wait_readable(v.sock)
    return error_name(v.sock.do_handshake)


def test_dropped_socket_closes_after_handshake_failure(impl):
    for mod in (STD, impl):
        for side in ("server", "client"):
            for mode in ("blocking", "timeout", "nonblocking"):
                with gc_disabled():
                    victim = Victim(mod, side, handshake=False)
                    error = handshake_garbage(victim, mode)
                    if mode == "nonblocking" and error == "SSLWantReadError":
                        error = handshake_garbage(victim, mode)
                    assert error is not None
                    seen = drop_and_check(victim)
                assert seen == CLOSED, (mod.__name__, side, mode, error)


def test_dropped_socket_closes_after_verification_failure(impl):
    untrusted = cu.server_context(STD, cu.certpath("selfsigned.pem"),
                                  cu.certpath("selfsigned.key"))
    for mod in (STD, impl):
        with gc_disabled():
            victim = Victim(mod, "client", handshake=False, peer_ctx=untrusted)
            peer = cu.Background(error_name, victim.peer.handshake)
            error = error_name(victim.sock.do_handshake)
            peer.result()
            seen = drop_and_check(victim)
        assert error == "SSLCertVerificationError"
        assert seen == CLOSED, mod.__name__


def test_dropped_socket_closes_after_sni_callback_error(impl, unraisable):
    """A callback's exception travels through the core: once it is raised,
    nothing may still hold it (and with it the socket)."""
    def refuse(sslobj, name, ctx):
        raise ZeroDivisionError("refused")

    for mod in (STD, impl):
        with gc_disabled():
            victim = Victim(mod, "server", handshake=False)
            victim.sock.context.sni_callback = refuse
            peer = cu.Background(error_name, victim.peer.handshake)
            error = error_name(victim.sock.do_handshake)
            peer.result()
            seen = drop_and_check(victim)
        assert error in ("SSLError", "ZeroDivisionError"), error
        assert seen == CLOSED, mod.__name__
    assert unraisable, "the callback's error was not reported"


# ---- failures while making, accepting, connecting, unwrapping ------------------------

@contextlib.contextmanager
def no_leaks():
    """Fail if the block leaves a descriptor open or a ResourceWarning
    behind (warnings are errors, gc is run to flush any pending ones)."""
    gc.collect()
    before = set(os.listdir("/proc/self/fd"))
    with warnings.catch_warnings():
        warnings.simplefilter("error", ResourceWarning)
        yield
        gc.collect()
    after = set(os.listdir("/proc/self/fd"))
    assert after <= before, "descriptors left open"


def made_in_wrap(mod, **kwargs):
    """wrap_socket with KWARGS on a fresh TCP socket the caller closes."""
    ctx = cu.client_context(mod)
    with socket.socket() as plain:
        server_side = kwargs.get("server_side", False)
        if server_side:
            ctx = cu.server_context(mod)
        ctx.wrap_socket(plain, **kwargs)


WRAP_FAILURES = {
    "empty_label": {"server_hostname": ".example.org"},
    "hostname_not_text": {"server_hostname": 12},
    "server_side_with_hostname": {"server_side": True, "server_hostname": "x"},
    "no_hostname_with_check_hostname": {},
}


@pytest.fixture
def unraisable(monkeypatch):
    """The unraisable exceptions (ResourceWarnings from __del__) seen."""
    seen = []
    monkeypatch.setattr(sys, "unraisablehook", lambda u: seen.append(u.exc_type))
    return seen


@pytest.mark.parametrize("case", sorted(WRAP_FAILURES))
def test_failed_wrap_socket_leaks_nothing(case, unraisable):
    # sslmod's own ssl.py only: the interpreter's ssl.py before 3.13 leaks
    # the socket here, on any _ssl.
    mod = load_impl("sslmod")
    kwargs = WRAP_FAILURES[case]
    ref = cu.capture(made_in_wrap, STD, **kwargs)
    gc.collect()
    del unraisable[:]     # the stdlib's own leak, before 3.13
    with no_leaks():
        got = cu.capture(made_in_wrap, mod, **kwargs)
    assert unraisable == []
    assert got[:2] == ref[:2]


def serve_garbage(listener):
    conn, _ = listener.accept()
    with conn:
        conn.sendall(b"HTTP/1.0 400 no\r\n\r\n" * 4)


def test_failed_handshake_on_connect_leaks_nothing(impl, unraisable):
    with no_leaks():
        with cu.listener() as srv:
            job = cu.Background(serve_garbage, srv)
            with socket.create_connection(srv.getsockname(), timeout=cu.TIMEOUT) as plain:
                error = error_name(cu.client_context(impl).wrap_socket, plain,
                                   server_hostname="localhost")
            job.result()
    assert unraisable == []
    assert error in ("SSLError", "ConnectionResetError", "SSLEOFError"), error


def test_failed_connect_leaks_nothing(impl, unraisable):
    port = cu.free_port()
    with no_leaks():
        ctx = cu.client_context(impl)
        with ctx.wrap_socket(socket.socket(), server_hostname="localhost") as sock:
            error = error_name(sock.connect, (cu.HOST, port))
            again = error_name(sock.connect, (cu.HOST, port))
    assert unraisable == []
    assert error == "ConnectionRefusedError"
    assert again is not None


def test_failed_accept_leaks_nothing(impl, unraisable):
    with no_leaks():
        ctx = cu.server_context(impl)
        with ctx.wrap_socket(socket.socket(), server_side=True) as srv:
            srv.bind((cu.HOST, 0))
            srv.listen()
            srv.settimeout(cu.TIMEOUT)
            with socket.create_connection(srv.getsockname()) as client:
                client.sendall(b"GET / HTTP/1.0\r\n\r\n" * 4)
                error = error_name(srv.accept)
        closed_listener = error_name(srv.accept)
    assert unraisable == []
    assert error in ("SSLError", "ConnectionResetError"), error
    assert closed_listener == "OSError"


def test_failed_unwrap_leaks_nothing(impl, unraisable):
    with no_leaks():
        mine, theirs = socket.socketpair()
        ctx = cu.client_context(impl)
        with ctx.wrap_socket(mine, server_hostname="localhost",
                             do_handshake_on_connect=False) as sock:
            theirs.close()
            error = error_name(sock.unwrap)
    assert unraisable == []
    assert error is not None
