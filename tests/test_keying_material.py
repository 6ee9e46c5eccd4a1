"""export_keying_material() (RFC 5705, RFC 8446 section 7.5) and the
"tls-exporter" channel binding (RFC 9266): issue 9.  The stdlib has
neither, so the independent reference is the openssl command-line tool:
`s_server -keymatexport` and `s_client -keymatexport` print the exporter
they compute, which must equal ours byte for byte, on TLS 1.2 and 1.3, with
sslmod as client and as server."""
import re
import socket

import pytest

import connutil as cu
from conftest import beyond_stdlib, under_nomemory

pytestmark = pytest.mark.skipif(cu.OPENSSL is None, reason="the openssl CLI is not installed")


@pytest.fixture(autouse=True)
def _sslmod_only(request):
    """In the suite's self-check mode (SSLMOD_TEST_IMPLS=stdlib,...) the
    interpreter's ssl has none of this: say so instead of failing."""
    if "impl_name" in request.fixturenames:
        beyond_stdlib(request.getfixturevalue("impl_name"),
                      "export_keying_material and tls-exporter are sslmod's (issue 9)")

VERSIONS = ["-tls1_2", "-tls1_3"]


@pytest.fixture
def ekm(impl_name):
    """The object to call export_keying_material on for an SSLSocket or
    SSLObject: itself with sslmod's API; its core connection (_sslobj)
    under the interpreter's ssl.py, which knows no such method."""
    if impl_name == "sslmod":
        return lambda s: s
    return lambda s: s._sslobj
KEYMAT = r"Keying material: ([0-9A-F]+)"


def export_cli_args(label, length):
    return ("-keymatexport", label, "-keymatexportlen", str(length))


def client_vs_s_server(mod, version, label, length, ours):
    """Connect a MOD client to `s_server` exporting LABEL/LENGTH; return
    (what s_server printed, OURS(sslsocket))."""
    cert, key = cu.certpath("server-rsa.pem"), cu.certpath("server-rsa.key")
    # Without -rev/-www, s_server prints its connection summary, keying
    # material included.
    with cu.openssl_s_server("-cert", cert, "-key", key, "-cert_chain",
                             cu.certpath("intermediate.pem"), version,
                             *export_cli_args(label, length)) as (proc, port):
        with cu.connect(cu.client_context(mod), (cu.HOST, port)) as s:
            mine = ours(s)
            theirs = cu._read_until(proc, KEYMAT).group(1)
    return bytes.fromhex(theirs), mine


def server_vs_s_client(mod, version, label, length, ours):
    """Serve `s_client -keymatexport` with a MOD server; return (what
    s_client printed, OURS(server sslsocket))."""
    sctx = cu.server_context(mod)

    def handler(s):
        value = ours(s)
        s.sendall(b"bye\n")
        return value

    with cu.Server(sctx, handler) as srv:
        with cu.openssl_s_client(srv.port, "-servername", "localhost", "-CAfile", cu.CA,
                                 "-verify_return_error", version,
                                 *export_cli_args(label, length)) as proc:
            out = cu.read_all(proc)
    assert srv.outcome[0] == "ok", srv.outcome
    m = re.search(KEYMAT.encode(), out)
    assert m, out
    return bytes.fromhex(m.group(1).decode()), srv.outcome[1]


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("label,length", [("EXPERIMENTAL-sslmod", 20), ("EXPORTER-test", 64),
                                          ("x", 1)])
def test_client_export_matches_s_server(impl, ekm, version, label, length):
    theirs, mine = client_vs_s_server(
        impl, version, label, length,
        lambda s: (s.version(), ekm(s).export_keying_material(label, length),
                   ekm(s).export_keying_material(label.encode(), length),
                   ekm(s).export_keying_material(label=label, length=length, context=None)))
    assert mine[0] == ("TLSv1.3" if version == "-tls1_3" else "TLSv1.2")
    assert len(theirs) == length
    assert mine[1] == mine[2] == mine[3] == theirs


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("label,length", [("EXPERIMENTAL-sslmod", 20), ("EXPORTER-test", 48)])
def test_server_export_matches_s_client(impl, ekm, version, label, length):
    theirs, mine = server_vs_s_client(
        impl, version, label, length,
        lambda s: (s.version(), ekm(s).export_keying_material(label, length)))
    assert mine[0] == ("TLSv1.3" if version == "-tls1_3" else "TLSv1.2")
    assert mine[1] == theirs and len(theirs) == length


@pytest.mark.parametrize("version", VERSIONS)
def test_tls_exporter_binding_matches_s_server(impl, version):
    # RFC 9266: the exporter with label EXPORTER-Channel-Binding, 32 bytes,
    # no context.
    theirs, mine = client_vs_s_server(impl, version, "EXPORTER-Channel-Binding", 32,
                                      lambda s: s.get_channel_binding("tls-exporter"))
    assert len(mine) == 32 and mine == theirs


@pytest.mark.parametrize("version", VERSIONS)
def test_tls_exporter_binding_matches_s_client(impl, version):
    theirs, mine = server_vs_s_client(impl, version, "EXPORTER-Channel-Binding", 32,
                                      lambda s: s.get_channel_binding("tls-exporter"))
    assert len(mine) == 32 and mine == theirs


# ---- context: both ends agree; None differs from b"" before TLS 1.3 ------------

def bio_pair(mod, maximum=None, server_options=0):
    cctx = cu.client_context(mod, maximum=maximum)
    sctx = cu.server_context(mod, maximum=maximum)
    sctx.options |= server_options
    pair = cu.BioPair(mod, cctx, mod, sctx)
    pair.handshake()
    return pair


@pytest.mark.parametrize("maximum", ["TLSv1_2", "TLSv1_3"])
def test_context_agrees_between_peers(impl, ekm, maximum):
    pair = bio_pair(impl, cu.tls(impl, maximum))
    pair.client, pair.server = ekm(pair.client), ekm(pair.server)
    for context in (None, b"", b"ctx", bytearray(b"ctx"), memoryview(b"\0" * 100)):
        a = pair.client.export_keying_material("EXPERIMENTAL-ctx", 32, context)
        b = pair.server.export_keying_material("EXPERIMENTAL-ctx", 32, context)
        assert a == b and len(a) == 32
    none = pair.client.export_keying_material("EXPERIMENTAL-ctx", 32)
    empty = pair.client.export_keying_material("EXPERIMENTAL-ctx", 32, b"")
    given = pair.client.export_keying_material("EXPERIMENTAL-ctx", 32, b"ctx")
    assert given != empty
    # RFC 5705 (TLS 1.2): no context and an empty one give different
    # outputs.  RFC 8446 7.5 (TLS 1.3): "no context" is the empty context.
    assert (none == empty) == (maximum == "TLSv1_3")


def test_distinct_sessions_distinct_material(impl, ekm):
    a = ekm(bio_pair(impl).client).export_keying_material("EXPERIMENTAL-x", 16)
    b = ekm(bio_pair(impl).client).export_keying_material("EXPERIMENTAL-x", 16)
    assert a != b


# ---- before the handshake, and bad input ------------------------------------------

def test_value_error_before_handshake_sslobject(impl, ekm):
    ctx = cu.client_context(impl)
    obj = ctx.wrap_bio(impl.MemoryBIO(), impl.MemoryBIO(), server_hostname="localhost")
    with pytest.raises(ValueError, match="handshake"):
        ekm(obj).export_keying_material("EXPERIMENTAL-x", 16)
    # The channel bindings stay None, as tls-unique does.
    assert obj.get_channel_binding("tls-exporter") is None
    assert obj.get_channel_binding("tls-unique") is None


def test_value_error_before_handshake_sslsocket():
    # An SSLSocket that is not connected has no core connection yet.
    import sslmod
    ctx = cu.client_context(sslmod)
    with socket.socket() as raw:
        s = ctx.wrap_socket(raw, server_hostname="localhost", do_handshake_on_connect=False)
        with pytest.raises(ValueError, match="handshake"):
            s.export_keying_material("EXPERIMENTAL-x", 16)
    # Connected, handshake not yet done.
    with cu.Server(cu.server_context(sslmod)) as srv:
        s = cu.connect(ctx, srv.addr, handshake=False)
        with s:
            with pytest.raises(ValueError, match="handshake"):
                s.export_keying_material("EXPERIMENTAL-x", 16)
            s.do_handshake()
            assert len(s.export_keying_material("EXPERIMENTAL-x", 16)) == 16


def test_sslmod_channel_binding_types():
    import sslmod
    assert sslmod.CHANNEL_BINDING_TYPES == ["tls-unique", "tls-exporter"]
    ctx = cu.client_context(sslmod)
    with socket.socket() as raw:
        s = ctx.wrap_socket(raw, server_hostname="localhost", do_handshake_on_connect=False)
        assert s.get_channel_binding("tls-exporter") is None
        with pytest.raises(ValueError):
            s.get_channel_binding("tls-server-end-point")


def test_tls_unique_unchanged(std, impl):
    # tls-unique still behaves as the stdlib's does (and differs from the
    # exporter binding).
    def scenario(mod):
        pair = bio_pair(mod, cu.tls(mod, "TLSv1_2"))
        cb = pair.client.get_channel_binding("tls-unique")
        return (len(cb), cb == pair.server.get_channel_binding("tls-unique"))
    ref = cu.check_same(scenario, std, impl)
    assert ref[1] == (12, True)
    pair = bio_pair(impl, cu.tls(impl, "TLSv1_2"))
    assert (pair.client.get_channel_binding("tls-unique")
            != pair.client.get_channel_binding("tls-exporter")[:12])


def test_tls_exporter_refused_without_extended_master_secret(impl):
    # RFC 9266 section 3: with TLS 1.2 only if the extended master secret
    # was negotiated.  SSL_OP_NO_EXTENDED_MASTER_SECRET is bit 0.
    pair = bio_pair(impl, cu.tls(impl, "TLSv1_2"), server_options=1)
    with pytest.raises(ValueError, match="extended master secret"):
        pair.client.get_channel_binding("tls-exporter")
    # The plain exporter still works; both ends agree.
    assert (pair.client._sslobj.export_keying_material("EXPERIMENTAL-x", 8)
            == pair.server._sslobj.export_keying_material("EXPERIMENTAL-x", 8))


@pytest.mark.parametrize("args,kwargs,exc", [
    ((1, 16), {}, TypeError),
    (("x", "16"), {}, TypeError),
    (("x", 1.5), {}, TypeError),
    (("x", 0), {}, ValueError),
    (("x", -1), {}, ValueError),
    (("x", 16, "ctx"), {}, TypeError),
    (("x", 16, 5), {}, TypeError),
    (("x",), {}, TypeError),
    ((), {"length": 16}, TypeError),
    (("x", 16, None, 1), {}, TypeError),
    (("x", 16), {"label": "y"}, TypeError),
    (("x", 16), {"bogus": 1}, TypeError),
    (("\udcff", 16), {}, UnicodeEncodeError),
])
def test_bad_arguments(impl, ekm, args, kwargs, exc):
    pair = bio_pair(impl)
    with pytest.raises(exc):
        ekm(pair.client).export_keying_material(*args, **kwargs)


def test_core_has_it(core):
    # The C core offers it too (the interpreter's ssl.py cannot reach it).
    assert callable(core._SSLSocket.export_keying_material)



def test_out_of_memory():
    import sslmod
    pair = bio_pair(sslmod)
    expected = pair.client.export_keying_material("EXPERIMENTAL-x", 16, b"ctx")

    def export():
        assert pair.client.export_keying_material("EXPERIMENTAL-x", 16, b"ctx") == expected
        assert len(pair.client.get_channel_binding("tls-exporter")) == 32
    assert under_nomemory(export, 60) > 0


def test_concurrent_with_a_blocked_read():
    # The exporter and the other new connection queries take the connection
    # lock, which a read blocked on the socket does not hold: they neither
    # wait for the read nor race with it.
    import threading
    import sslmod
    release = threading.Event()

    def server(s):
        release.wait(cu.TIMEOUT)
        s.sendall(b"late\n")
        return s.recv(10)

    sctx = cu.server_context(sslmod)
    sctx.set_ocsp_response(None)
    with cu.Server(sctx, server) as srv:
        with cu.connect(cu.client_context(sslmod), srv.addr) as s:
            reader = cu.Background(s.recv, 5)
            first = s.export_keying_material("EXPERIMENTAL-x", 32)
            for _ in range(200):
                assert s.export_keying_material("EXPERIMENTAL-x", 32) == first
                assert s.get_channel_binding("tls-exporter")
                assert s.group() and s.server_sigalg() and s.ocsp_response() is None
            release.set()
            assert reader.result() == b"late\n"
            s.sendall(b"ok")
    assert srv.outcome == ("ok", b"ok")
