"""One context, many threads: what an SSLContext shares between threads
(its files, its trust store, its callbacks, its keys) stays safe to use.

The interpreter's ssl crashes on some of these (a password callback left on
the shared context, a callback pointer reset while handshakes run): there
sslmod must do better, so the scenarios that can crash run in a child
process, where a crash is a test failure and not the end of the run.  Run
them under ASan (README) to turn a use-after-free into a certain failure.
"""
import gc
import os
import socket
import subprocess
import sys
import textwrap
import threading
import time

import pytest

from conftest import CERTS

PASSWORD = b"somepass"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

pytestmark = pytest.mark.skipif(not os.path.isdir("/proc/self/fd"),
                                reason="needs /proc/self/fd (Linux)")


def server_ctx(ssl):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(CERTS("server-rsa-chain.pem"), CERTS("server-rsa.key"))
    return ctx


def client_ctx(ssl):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(CERTS("ca.pem"))
    return ctx


# ---- descriptors we open are close-on-exec ---------------------------------

def fds_to(path):
    """This process's descriptors open on PATH."""
    found = []
    for name in os.listdir("/proc/self/fd"):
        try:
            if os.readlink("/proc/self/fd/" + name) == path:
                found.append(int(name))
        except OSError:
            pass
    return found


CHILD_FDS = ("import os, sys\n"
             "n = 0\n"
             "for f in os.listdir('/proc/self/fd'):\n"
             "    try:\n"
             "        n += os.readlink('/proc/self/fd/' + f) == sys.argv[1]\n"
             "    except OSError:\n"
             "        pass\n"
             "print(n)\n")


def child_sees(path):
    """How many descriptors open on PATH a child (fork + exec, keeping every
    inheritable descriptor) starts with."""
    out = subprocess.run([sys.executable, "-c", CHILD_FDS, path], close_fds=False,
                         stdout=subprocess.PIPE, check=True, timeout=60).stdout
    return int(out)


def child_sees_while_open(call, tmp_path, payload):
    """Run CALL(fifo) in a thread, with the file it opens a FIFO that is kept
    open, and hence the descriptor alive, while a child process starts.
    Returns (descriptors on the FIFO here, those the child inherited)."""
    fifo = str(tmp_path / "fifo.pem")
    os.mkfifo(fifo)
    errors = []

    def run():
        try:
            call(fifo)
        except Exception as exc:   # reported below
            errors.append(exc)

    t = threading.Thread(target=run)
    t.start()
    w = os.open(fifo, os.O_WRONLY)   # returns once the reader opened it
    try:
        deadline = time.monotonic() + 30
        mine = []
        while time.monotonic() < deadline:
            mine = [fd for fd in fds_to(fifo) if fd != w]
            if mine:
                break
            time.sleep(0.01)
        seen = child_sees(fifo)
    finally:
        os.write(w, payload)
        os.close(w)
        t.join(60)
    assert not errors, errors
    return mine, seen


@pytest.mark.parametrize("which", ["std", "impl"])
def test_keylog_file_not_inherited(impl, std, tmp_path, which):
    ssl = std if which == "std" else impl
    path = str(tmp_path / "keys.log")
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.keylog_filename = path
    fds = fds_to(path)
    assert len(fds) == 1
    assert not os.get_inheritable(fds[0])
    assert child_sees(path) == 0
    ctx.keylog_filename = None
    assert fds_to(path) == []


def test_dh_params_file_not_inherited(impl, tmp_path):
    # 3.11's stdlib leaks this one to a child started meanwhile: do better.
    ctx = impl.SSLContext(impl.PROTOCOL_TLS_SERVER)
    mine, seen = child_sees_while_open(ctx.load_dh_params, tmp_path,
                                       CERTS.read("dh.pem"))
    assert len(mine) == 1
    assert seen == 0


def test_key_file_not_inherited(impl, tmp_path):
    # The key is read by sslmod itself (so that the password stays with the
    # call); the certificate chain is still opened by OpenSSL.
    ctx = impl.SSLContext(impl.PROTOCOL_TLS_SERVER)
    mine, seen = child_sees_while_open(
        lambda key: ctx.load_cert_chain(CERTS("server-rsa.pem"), key, PASSWORD),
        tmp_path, CERTS.read("server-rsa-enc.key"))
    assert len(mine) == 1
    assert seen == 0


def test_decode_cert_file_not_inherited(core, tmp_path):
    # The stdlib's _test_decode_cert leaks its descriptor here: do better.
    mine, seen = child_sees_while_open(core._test_decode_cert, tmp_path,
                                       CERTS.read("server-rsa.pem"))
    assert len(mine) == 1
    assert seen == 0


# ---- crash scenarios, each in a child process -------------------------------

def run_child(impl_name, body, timeout=110, env=None):
    """Run BODY (Python source; `ssl` is the implementation under test, `C`
    the certificate directory) in a fresh interpreter, stdin from /dev/null
    and no controlling terminal (so OpenSSL's pass phrase prompt fails).
    Returns its stdout; a crash or a non-zero exit fails the test."""
    prelude = textwrap.dedent("""\
        import os, sys, threading, time, socket, gc
        sys.path.insert(0, %r)
        from conftest import load_impl, CERTS as C
        ssl = load_impl(%r)
        """) % (os.path.join(ROOT, "tests"), impl_name)
    proc = subprocess.run([sys.executable, "-c", prelude + textwrap.dedent(body)],
                          stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, start_new_session=True,
                          timeout=timeout, cwd=ROOT, env=dict(os.environ, **(env or {})))
    assert proc.returncode == 0, (proc.returncode, proc.stderr.decode()[-3000:])
    return proc.stdout.decode()


def ca_bundle():
    """A PEM file with many distinct CA certificates: the system's bundle,
    or failing that the test CAs."""
    import ssl
    for path in (ssl.get_default_verify_paths().openssl_cafile,
                 ssl.get_default_verify_paths().cafile):
        if path and os.path.isfile(path):
            return path
    return CERTS("ca-bundle.pem")


def garbage_when_freed():
    """Environment that makes freed memory garbage, for glibc's malloc and
    for ASan's (whose quarantine otherwise keeps stale contents readable by
    the uninstrumented libcrypto), so that a stale read crashes."""
    asan = os.environ.get("ASAN_OPTIONS", "")
    return {"MALLOC_PERTURB_": "165",
            "ASAN_OPTIONS": (asan + ":" if asan else "")
            + "max_free_fill_size=1048576:free_fill_byte=165"}


def test_store_walk_while_loading(impl_name):
    # cert_store_stats() and get_ca_certs() walk the store while another
    # thread adds to it (load_verify_locations runs without the GIL).
    out = run_child(impl_name, """
        BUNDLE = %r
        cur = [ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)]
        stop = []
        walks = [0]
        def walker():
            while not stop:
                ctx = cur[0]
                stats = ctx.cert_store_stats()
                cas = ctx.get_ca_certs(True)
                assert stats["x509_ca"] >= 0 and isinstance(cas, list)
                walks[0] += 1
        t = threading.Thread(target=walker)
        t.start()
        end = time.monotonic() + 8
        rounds = 0
        while rounds < 1000 and time.monotonic() < end:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            cur[0] = ctx
            ctx.load_verify_locations(BUNDLE)
            rounds += 1
        stop.append(1)
        t.join(30)
        assert not t.is_alive()
        full = cur[0].cert_store_stats()
        assert full["x509_ca"] == len(cur[0].get_ca_certs()) > 100
        print(rounds, walks[0])
        """ % ca_bundle(), env=garbage_when_freed())
    rounds, walks = map(int, out.split())
    assert rounds > 0 and walks > 0


def test_keylog_toggled_during_handshakes(impl_name, tmp_path):
    # Handshakes run without the GIL while another thread switches key
    # logging off and on: the callback must never be a NULL pointer.
    out = run_child(impl_name, """
        path = %r
        S, Cl = None, None
        S = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        S.load_cert_chain(C("server-rsa-chain.pem"), C("server-rsa.key"))
        Cl = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        Cl.load_verify_locations(C("ca.pem"))
        Cl.keylog_filename = path
        stop = []
        done = [0]
        def client_loop():
            while not stop:
                a, b = socket.socketpair()
                def serve():
                    try:
                        with S.wrap_socket(a, server_side=True) as x:
                            x.recv(1)
                    except OSError:
                        pass
                t = threading.Thread(target=serve)
                t.start()
                with Cl.wrap_socket(b, server_hostname="localhost") as y:
                    y.send(b"x")
                t.join(30)
                done[0] += 1
        workers = [threading.Thread(target=client_loop) for _ in range(2)]
        for w in workers:
            w.start()
        end = time.monotonic() + 6
        flips = 0
        while time.monotonic() < end:
            Cl.keylog_filename = None
            Cl.keylog_filename = path
            flips += 1
        stop.append(1)
        for w in workers:
            w.join(30)
        Cl.keylog_filename = None
        print(done[0], flips)
        """ % str(tmp_path / "keys.log"))
    handshakes, flips = map(int, out.split())
    assert handshakes > 0 and flips > 0
    with open(tmp_path / "keys.log") as f:
        assert "CLIENT_HANDSHAKE_TRAFFIC_SECRET" in f.read()


def test_password_loads_from_threads(impl_name):
    # Two threads load an encrypted key into one context, each with its own
    # password.  Afterwards a load without a password must use OpenSSL's
    # prompt (which fails without a terminal), not a leftover callback
    # pointing into a finished call's stack frame.
    out = run_child(impl_name, """
        KEY, CERT = C("server-rsa-enc.key"), C("server-rsa-chain.pem")
        stale = 0
        for attempt in range(30):
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            def work(pw):
                for _ in range(3):
                    ctx.load_cert_chain(CERT, KEY, password=pw)
            ts = [threading.Thread(target=work, args=(p,))
                  for p in (lambda: b"somepass", "somepass")]
            for t in ts:
                t.start()
            for t in ts:
                t.join(30)
            try:
                ctx.load_cert_chain(CERT, KEY)
                stale += 1
            except (ssl.SSLError, OSError):
                pass
        print(stale)
        """)
    assert int(out) == 0


# ---- keylog_filename from two threads --------------------------------------

def test_keylog_setter_race(impl, tmp_path):
    ctx = impl.SSLContext(impl.PROTOCOL_TLS_CLIENT)
    names = [str(tmp_path / "a.log"), str(tmp_path / "b.log")]
    base = [sys.getrefcount(n) for n in names]

    def setter(name):
        for _ in range(2000):
            ctx.keylog_filename = name

    ts = [threading.Thread(target=setter, args=(n,)) for n in names]
    for t in ts:
        t.start()
    for t in ts:
        t.join(100)
    assert ctx.keylog_filename in names
    open_now = sum(len(fds_to(n)) for n in names)
    assert open_now == 1
    ctx.keylog_filename = None
    assert sum(len(fds_to(n)) for n in names) == 0
    ctx = None
    gc.collect()
    assert [sys.getrefcount(n) for n in names] == base


# ---- the module does not import _socket per call ---------------------------

def test_wrap_socket_without_socket_import(impl):
    # _wrap_socket checks its argument against _socket.socket, which the
    # module keeps: nothing is imported per call (the stdlib behaves alike).
    def scenario(ssl):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        saved = sys.modules["_socket"]
        with socket.socket() as s:
            sys.modules["_socket"] = None
            try:
                conn = ctx._wrap_socket(s, False, "localhost")
            finally:
                sys.modules["_socket"] = saved
            return type(conn).__name__
    from conftest import same
    same(scenario, impl)


# ---- callbacks installed once still look absent when unset ------------------

def handshake_in_memory(ssl, sctx, cctx):
    """Handshake a client and a server over memory BIOs."""
    cin, cout, sin, sout = (ssl.MemoryBIO() for _ in range(4))
    c = cctx.wrap_bio(cin, cout, server_side=False, server_hostname="localhost")
    s = sctx.wrap_bio(sin, sout, server_side=True)
    done = set()
    for _ in range(20):
        for name, obj, src, dst in (("c", c, cout, sin), ("s", s, sout, cin)):
            if name not in done:
                try:
                    obj.do_handshake()
                    done.add(name)
                except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
                    pass
            dst.write(src.read())
        if done == {"c", "s"}:
            return c, s
    raise AssertionError("no handshake")


def server_extensions(ssl, sni_history):
    """The extensions of the server's EncryptedExtensions, as the client
    sees them, after setting the server's sni_callback to each of
    SNI_HISTORY in turn."""
    sctx, cctx = server_ctx(ssl), client_ctx(ssl)
    for cb in sni_history:
        sctx.sni_callback = cb
    seen = []

    def trace(conn, direction, version, content_type, msg_type, data):
        if direction == "read" and content_type == 22 and data[:1] == b"\x08":
            seen.append(data)

    cctx._msg_callback = trace
    handshake_in_memory(ssl, sctx, cctx)
    types = []
    for msg in seen:
        body, pos = msg[6:], 0
        while pos + 4 <= len(body):
            types.append(int.from_bytes(body[pos:pos + 2], "big"))
            pos += 4 + int.from_bytes(body[pos + 2:pos + 4], "big")
    return types


@pytest.mark.parametrize("history", [[], [None], [lambda *a: None, None],
                                     [lambda *a: None]], ids=["never", "none", "unset", "set"])
def test_sni_acknowledged_as_if_absent(impl, history):
    # sslmod installs its servername callback once and keeps it: unset, it
    # must answer as no callback would (no server_name acknowledgement).
    from conftest import same
    same(lambda ssl: server_extensions(ssl, history), impl)


def test_msg_callback_set_after_connection_made(impl):
    # A connection made while no msg callback was set gets none, even
    # though sslmod's C callback stays installed (as in the stdlib, where
    # SSL_new copies the pointer).
    def scenario(ssl):
        cctx = client_ctx(ssl)
        calls = []
        cctx._msg_callback = lambda *a: calls.append(1)
        cctx._msg_callback = None
        cin, cout, sin, sout = (ssl.MemoryBIO() for _ in range(4))
        c = cctx.wrap_bio(cin, cout, server_side=False, server_hostname="localhost")
        cctx._msg_callback = lambda *a: calls.append(2)
        try:
            c.do_handshake()
        except ssl.SSLWantReadError:
            pass
        return calls
    from conftest import same
    same(scenario, impl)
