"""SSLObject over MemoryBIO, MemoryBIO itself, the _SSLSocket attributes,
and what a connection says before its handshake and after it is closed:
all compared with the stdlib."""
import socket

import sys

import pytest
import ssl as STD

import connutil as cu
import stdlib_quirks
from conftest import without_newer_api


def bio_pair(mod, **kw):
    return cu.BioPair(mod, cu.client_context(mod, **kw), mod, cu.server_context(mod))


# ---------------------------------------------------------------------------
# MemoryBIO
# ---------------------------------------------------------------------------

def test_memorybio_semantics(std, impl):
    def scenario(mod):
        bio = mod.MemoryBIO()
        steps = [bio.pending, bio.eof, bio.write(b"hello"), bio.pending, bio.eof,
                 bio.read(2), bio.pending, bio.read(), bio.read(), bio.pending,
                 bio.write(bytearray(b"ab")), bio.write(memoryview(b"cd")),
                 bio.read(-1), bio.write(b""), bio.pending]
        bio.write(b"tail")
        bio.write_eof()
        steps += [bio.eof, bio.pending, bio.read(10), bio.eof,
                  cu.capture(bio.write, b"more"), bio.read(), bio.eof]
        bio.write_eof()    # twice is fine
        return steps
    cu.check_same(scenario, std, impl)


@pytest.mark.parametrize("call", [
    "write-str", "write-int", "write-none", "write-noncontiguous", "read-str",
    "read-float", "read-none", "read-huge", "new-args", "write-eof-args",
    "pending-set", "eof-set",
])
def test_memorybio_bad_arguments(std, impl, call):
    def scenario(mod):
        bio = mod.MemoryBIO()
        ops = {
            "write-str": lambda: bio.write("text"),
            "write-int": lambda: bio.write(3),
            "write-none": lambda: bio.write(None),
            "write-noncontiguous": lambda: bio.write(memoryview(b"abcdef")[::2]),
            "read-str": lambda: bio.read("1"),
            "read-float": lambda: bio.read(1.0),
            "read-none": lambda: bio.read(None),
            "read-huge": lambda: bio.read(2 ** 64),
            "new-args": lambda: mod.MemoryBIO(1),
            "write-eof-args": lambda: bio.write_eof(1),
            "pending-set": lambda: setattr(bio, "pending", 1),
            "eof-set": lambda: setattr(bio, "eof", True),
        }
        return cu.capture(ops[call])
    cu.check_same(scenario, std, impl)


def test_memorybio_large(std, impl):
    def scenario(mod):
        bio = mod.MemoryBIO()
        data = bytes(range(256)) * 4096
        bio.write(data)
        return bio.pending, bio.read() == data
    cu.check_same(scenario, std, impl)


# ---------------------------------------------------------------------------
# SSLObject
# ---------------------------------------------------------------------------

def test_sslobject_before_handshake(std, impl):
    def scenario(mod):
        pair = bio_pair(mod)
        c = pair.client
        return {
            "type": type(c).__name__,
            "version": c.version(), "cipher": c.cipher(),
            "shared_ciphers": c.shared_ciphers(), "compression": c.compression(),
            "alpn": c.selected_alpn_protocol(), "pending": c.pending(),
            "server_side": c.server_side, "server_hostname": c.server_hostname,
            "session_reused": c.session_reused,
            "getpeercert": cu.capture(c.getpeercert),
            "channel_binding": cu.capture(c.get_channel_binding, "tls-unique"),
            "read": cu.capture(c.read, 10), "write": cu.capture(c.write, b"x"),
            "context_is": c.context is pair.client.context,
            "server_side_server": pair.server.server_side,
            "server_hostname_server": pair.server.server_hostname,
        }
    cu.check_same(scenario, std, impl)


@pytest.mark.parametrize("version", ["TLSv1_2", "TLSv1_3"])
def test_peer_queries_asked_again(std, impl, version):
    """getpeercert(), getpeercert(True), cipher() and version() asked
    twice give equal answers, and a caller who changes the dict it got
    does not change the next one (sslmod keeps the answers while the peer's
    certificate and the cipher stay the same)."""
    def scenario(mod):
        pair = bio_pair(mod)
        for ctx in (pair.client.context, pair.server.context):
            ctx.maximum_version = cu.tls(mod, version)
        pair.handshake()
        c = pair.client
        first = c.getpeercert()
        first["subject"] = "changed by the caller"
        first.setdefault("added", 1)
        second = c.getpeercert()
        return {
            "dict_again": second, "dict_is_fresh": second is not first,
            "der_equal": c.getpeercert(True) == c.getpeercert(True),
            "der_is_a_certificate": mod.DER_cert_to_PEM_cert(c.getpeercert(True))
            .startswith("-----BEGIN CERTIFICATE-----"),
            "cipher": (c.cipher(), c.cipher() == c.cipher()),
            "version": (c.version(), c.version() == c.version()),
            "server_sees_none": (pair.server.getpeercert(), pair.server.getpeercert(True)),
        }
    cu.check_same(scenario, std, impl)


@pytest.mark.parametrize("version", ["TLSv1_2", "TLSv1_3"])
def test_sslobject_handshake_and_data(std, impl, version):
    def scenario(mod):
        pair = bio_pair(mod, maximum=cu.tls(mod, version))
        first = cu.capture(pair.client.do_handshake)
        hs = pair.handshake()
        c, s = pair.client, pair.server
        out = {"first": first, "handshake": hs, "version": c.version(),
               "cipher_equal": c.cipher() == s.cipher(),
               "cb_equal": c.get_channel_binding() == s.get_channel_binding("tls-unique"),
               "peercert": c.getpeercert(), "server_peercert": s.getpeercert()}
        out["c2s"] = pair.transfer(c, s, b"hello server")
        out["s2c"] = pair.transfer(s, c, b"hello client")
        # pending(): decrypted bytes waiting after a partial read.
        s.write(b"0123456789")
        pair.pump()
        out["partial"] = c.read(3)
        out["pending"] = c.pending()
        out["rest"] = c.read(100)
        out["want_read"] = cu.capture(c.read, 1)
        # read into a buffer
        s.write(b"abcdef")
        pair.pump()
        buf = bytearray(10)
        out["read_into"] = (c.read(4, buf), bytes(buf))
        out["read_into_rest"] = (c.read(10, memoryview(buf)[2:]), bytes(buf))
        # zero-length operations
        out["read0"] = cu.capture(c.read, 0)
        if sys.version_info >= (3, 10):
            # (3.9's _ssl raised SSLEOFError for b""; sslmod returns 0 on
            # every interpreter: test_write_empty_returns_zero.)
            out["write_empty"] = cu.capture(c.write, b"")
        out["write_bytearray"] = c.write(bytearray(b"ba"))
        pair.pump()
        out["got_bytearray"] = s.read(10)
        return out
    ref = cu.check_same(scenario, std, impl)
    assert ref[1]["c2s"] == b"hello server"


def test_write_empty_returns_zero(impl):
    """Writing b"" is a no-op that returns 0 (3.10+ stdlib; sslmod everywhere)."""
    pair = bio_pair(impl)
    pair.handshake()
    assert pair.client.write(b"") == 0
    assert pair.server.write(memoryview(b"")) == 0


def test_sslobject_shutdown_and_unwrap(std, impl):
    def scenario(mod):
        pair = bio_pair(mod)
        pair.handshake()
        c, s = pair.client, pair.server
        out = {"c_unwrap_1": cu.capture(c.unwrap)}
        pair.pump()
        out["s_read_after_close_notify"] = cu.capture(s.read, 10)
        out["s_unwrap"] = cu.capture(s.unwrap)
        pair.pump()
        out["c_unwrap_2"] = cu.capture(c.unwrap)
        out["c_write_after"] = cu.capture(c.write, b"x")
        out["c_read_after"] = cu.capture(c.read, 10)
        out["version_after"] = c.version()
        return out
    cu.check_same(scenario, std, impl)


def test_sslobject_incoming_eof(std, impl):
    """write_eof() on the incoming BIO mid-stream: EOF errors as the stdlib."""
    def scenario(mod):
        pair = bio_pair(mod)
        pair.handshake()
        pair.cin.write_eof()
        return cu.capture(pair.client.read, 10), cu.capture(pair.client.write, b"x")
    cu.check_same(scenario, std, impl)


def test_sslobject_garbage_input(std, impl):
    def scenario(mod):
        pair = bio_pair(mod)
        pair.client.do_handshake.__self__  # noqa: B018 - attribute exists
        pair.cin.write(b"\x16\x03\x01\x00\x05hello")
        first = cu.capture(pair.client.do_handshake)
        pair2 = bio_pair(mod)
        pair2.sin.write(b"GET / HTTP/1.1\r\n\r\n")
        return first, cu.capture(pair2.server.do_handshake)
    ref = cu.check_same(scenario, std, impl)
    assert ref[1][1][1] == "SSLError"


def test_sslobject_cannot_be_instantiated(std, impl):
    def scenario(mod):
        return cu.capture(mod.SSLObject), cu.capture(mod.SSLObject, mod.MemoryBIO(),
                                                     mod.MemoryBIO())
    cu.check_same(scenario, std, impl)


def test_wrap_bio_bad_arguments(std, impl):
    def scenario(mod):
        ctx = cu.client_context(mod)

        def wrap(*args, **kwargs):
            return type(ctx.wrap_bio(*args, **kwargs)).__name__
        return [
            cu.capture(ctx.wrap_bio, b"in", mod.MemoryBIO()),
            cu.capture(wrap, mod.MemoryBIO(), None),
            cu.capture(wrap, mod.MemoryBIO(), mod.MemoryBIO()),  # no hostname
            cu.capture(wrap, mod.MemoryBIO(), mod.MemoryBIO(),
                       server_hostname=b"localhost"),
            cu.capture(wrap, mod.MemoryBIO(), mod.MemoryBIO(),
                       server_hostname=1),
        ] + ([] if stdlib_quirks.WRAP_BIO_HOSTNAME_WARNING else [
            # Debian's 3.11.2 ssl.py checks this itself (ValueError) before
            # _wrap_bio, with the same patch that adds its warning.
            cu.capture(wrap, mod.MemoryBIO(), mod.MemoryBIO(),
                       server_side=True, server_hostname="x"),
        ])
    cu.check_same(scenario, std, impl)


# ---------------------------------------------------------------------------
# The low-level _SSLSocket (what the context's _wrap_socket/_wrap_bio return)
# ---------------------------------------------------------------------------

def test_low_level_attributes(std, impl):
    def scenario(mod):
        ctx = cu.client_context(mod)
        sobj = ctx.wrap_bio(mod.MemoryBIO(), mod.MemoryBIO(), server_hostname="localhost")
        low = sobj._sslobj
        other = cu.client_context(mod)
        out = {
            "type": type(low).__name__,
            "server_side": low.server_side,
            "server_hostname": low.server_hostname,
            "owner_is_sslobject": low.owner is sobj,
            "context_is": low.context is ctx,
        }

        def set_attr(name, value):
            setattr(low, name, value)

        out["swap_context"] = cu.capture(set_attr, "context", other)
        out["context_swapped"] = low.context is other
        out["swap_bad"] = cu.capture(set_attr, "context", "not a context")
        out["set_server_side"] = cu.capture(set_attr, "server_side", True)
        out["set_owner"] = cu.capture(set_attr, "owner", None)
        out["owner_after"] = low.owner
        out["methods"] = sorted(n for n in without_newer_api((
                                            "do_handshake", "read", "write", "pending",
                                            "shutdown", "getpeercert", "cipher",
                                            "shared_ciphers", "compression", "version",
                                            "selected_alpn_protocol",
                                            "selected_npn_protocol",
                                            "get_channel_binding",
                                            "verify_client_post_handshake",
                                            "get_verified_chain",
                                            "get_unverified_chain"))
                                if hasattr(low, n))
        return out
    cu.check_same(scenario, std, impl)


def test_low_level_socket_attributes(std, impl):
    def scenario(mod):
        ctx = cu.client_context(mod)
        sctx = cu.server_context(mod)
        with cu.Server(sctx, cu.echo_once) as srv:
            with cu.connect(ctx, srv.addr) as s:
                low = s._sslobj
                out = (type(low).__name__, low.server_side, low.server_hostname,
                       low.owner is s, low.context is ctx, s.context is ctx,
                       cu.ping(s))
        return out
    cu.check_same(scenario, std, impl)


def test_context_swap_on_socket(std, impl):
    """SSLSocket.context can be replaced (what SNI callbacks do)."""
    def scenario(mod):
        ctx = cu.client_context(mod)
        other = cu.client_context(mod)
        with socket.socket() as raw:
            s = ctx.wrap_socket(raw, server_hostname="localhost",
                                do_handshake_on_connect=False)
            s.context = other
            return s.context is other, cu.capture(setattr, s, "context", 42)
    cu.check_same(scenario, std, impl)


def test_chains(std, impl):
    """The C-level chains (every supported stdlib has them there)."""
    def scenario(mod):
        pair = bio_pair(mod)
        low = pair.client._sslobj
        before = (cu.capture(low.get_verified_chain), cu.capture(low.get_unverified_chain))
        pair.handshake()
        verified, unverified = low.get_verified_chain(), low.get_unverified_chain()
        ders = lambda chain: [c.public_bytes(mod.ENCODING_DER if hasattr(mod, "ENCODING_DER")
                                             else 2) for c in chain]
        server_view = pair.server._sslobj.get_unverified_chain()
        return before, ders(verified), ders(unverified), server_view
    if not hasattr(STD._ssl._SSLSocket, "get_verified_chain"):
        # 3.9's _ssl lacks them; sslmod has them everywhere (newer API).
        before, verified, unverified, server_view = scenario(impl)
        assert before == (("ok", None), ("ok", None)) and server_view is None
        assert len(verified) == 3 and len(unverified) == 2
        return
    ref = cu.check_same(scenario, std, impl)
    assert len(ref[1][1]) == 3 and len(ref[1][2]) == 2


def test_chain_methods_on_sslobject(impl, impl_name):
    """get_verified_chain()/get_unverified_chain() on SSLObject give DER
    bytes on every interpreter (3.13 added them to the stdlib)."""
    if impl_name != "sslmod" and not hasattr(STD.SSLObject, "get_verified_chain"):
        pytest.skip("this interpreter's own ssl.py predates SSLObject.get_verified_chain")
    pair = bio_pair(impl)
    pair.handshake()
    low = pair.client._sslobj
    assert pair.client.get_verified_chain() == [c.public_bytes(2) for c in low.get_verified_chain()]
    assert pair.client.get_unverified_chain() == [c.public_bytes(2)
                                                  for c in low.get_unverified_chain()]


# ---------------------------------------------------------------------------
# Closed and unusable objects
# ---------------------------------------------------------------------------

def test_closed_socket_errors(std, impl):
    def scenario(mod):
        ctx = cu.client_context(mod)
        with cu.Server(cu.server_context(STD), cu.echo_once) as srv:
            s = cu.connect(ctx, srv.addr)
            cu.ping(s)
            s.close()
        return [cu.capture(f) for f in (
            lambda: s.recv(1), lambda: s.send(b"x"), lambda: s.do_handshake(),
            lambda: s.version(), lambda: s.cipher(), lambda: s.getpeercert(),
            lambda: s.pending(), lambda: s.unwrap(), lambda: s.fileno(),
            lambda: s.selected_alpn_protocol(), lambda: s.shared_ciphers(),
            lambda: s.get_channel_binding("tls-unique"), lambda: s.session_reused,
        )]
    cu.check_same(scenario, std, impl)


def test_unconnected_socket_errors(std, impl):
    def scenario(mod):
        ctx = cu.client_context(mod)
        with socket.socket() as raw:
            s = ctx.wrap_socket(raw, server_hostname="localhost")
            return [cu.capture(f) for f in (
                lambda: s.recv(1), lambda: s.send(b"x"), lambda: s.do_handshake(),
                lambda: s.version(), lambda: s.cipher(), lambda: s.getpeercert(),
                lambda: s.pending(), lambda: s.unwrap(), lambda: s.session,
                lambda: s.get_channel_binding("tls-unique"),
                lambda: s.get_channel_binding("nope"),
            )]
    cu.check_same(scenario, std, impl)


def test_channel_binding_bad_type(std, impl):
    def scenario(mod):
        pair = bio_pair(mod)
        pair.handshake()
        return [cu.capture(pair.client.get_channel_binding, t)
                for t in ("tls-server-end-point", "", 1, None)]
    cu.check_same(scenario, std, impl)


def test_wrap_socket_wrong_socket_types(std, impl):
    def scenario(mod):
        ctx = cu.client_context(mod)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            dgram = cu.capture(ctx.wrap_socket, udp, server_hostname="localhost")
        return dgram, cu.capture(ctx.wrap_socket, "not a socket")
    cu.check_same(scenario, std, impl)
