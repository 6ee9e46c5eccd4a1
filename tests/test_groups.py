"""Python 3.15's group, TLS 1.3 ciphersuite and signature-algorithm
controls, offered by sslmod on every interpreter (issue 9): set_groups,
get_groups, group, set_ciphersuites, set_client_sigalgs, set_server_sigalgs,
get_sigalgs, client_sigalg, server_sigalg, and set_ecdh_curve("X25519").

The interpreters under test (3.9 to 3.13) have none of these, so the
openssl command-line tool is the independent peer: what s_client and
s_server report about the handshake must agree with what we report and
with what we asked for, with sslmod as client and as server."""
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
                      "3.15's group/sigalg API is sslmod's on this interpreter (issue 9)")

VERSIONS = ["-tls1_2", "-tls1_3"]


@pytest.fixture
def api(impl_name):
    """The object that has the connection methods: an SSLSocket/SSLObject of
    sslmod's API, or the core connection under the interpreter's ssl.py."""
    if impl_name == "sslmod":
        return lambda s: s
    return lambda s: s._sslobj


def s_client_run(sctx, *args, handler=None):
    """Serve one non-brief `openssl s_client` with SCTX; return (our
    handler's outcome, s_client's output)."""
    def default(s):
        return s

    def wrapped(s):
        value = (handler or default)(s)
        s.sendall(b"bye\n")
        return value

    with cu.Server(sctx, wrapped) as srv:
        with cu.openssl_s_client(srv.port, "-servername", "localhost", "-CAfile", cu.CA,
                                 "-verify_return_error", *args) as proc:
            out = cu.read_all(proc).decode("latin-1")
    return srv.outcome, out


def s_server_run(cctx, *args, query=None, leaf="server-rsa"):
    """Connect CCTX to an `openssl s_server` with ARGS; return
    (QUERY(sslsocket), s_server's output up to the connection summary)."""
    cert, key = cu.certpath(leaf + ".pem"), cu.certpath(leaf + ".key")
    with cu.openssl_s_server("-cert", cert, "-key", key, "-cert_chain",
                             cu.certpath("intermediate.pem"), *args) as (proc, port):
        with cu.connect(cctx, (cu.HOST, port)) as s:
            value = query(s) if query else None
            summary = cu._read_until(proc, r"^(?:Ciphersuite|CIPHER is) ").string
    return value, summary


def line(out, label):
    m = re.search(r"^%s: ?(.*)$" % re.escape(label), out, re.M)
    assert m, "no %r in %r" % (label, out)
    return m.group(1).strip()


# ---- groups ---------------------------------------------------------------------

@pytest.mark.parametrize("version", VERSIONS)
def test_group_against_s_server_p384(impl, api, version):
    # s_server offers only P-384: the group we report is P-384, under
    # OpenSSL's TLS name for it.
    cctx = cu.client_context(impl)
    group, _ = s_server_run(cctx, version, "-groups", "P-384",
                            query=lambda s: api(s).group())
    assert group == "secp384r1"
    assert {"secp384r1", "P-384"} <= set(cctx.get_groups(include_aliases=True))


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("groups,expected,cli_name", [
    ("P-384", "secp384r1", "ECDH, secp384r1"),
    ("X25519", "x25519", "X25519"),
    ("P-521:P-256", "secp521r1", "ECDH, secp521r1"),
])
def test_server_set_groups_seen_by_s_client(impl, api, version, groups, expected, cli_name):
    sctx = cu.server_context(impl)
    sctx.set_groups(groups)
    outcome, out = s_client_run(sctx, version, handler=lambda s: api(s).group())
    assert outcome == ("ok", expected)
    assert line(out, "Server Temp Key").startswith(cli_name)


@pytest.mark.parametrize("groups,expected", [("X25519", "x25519"), ("P-256", "secp256r1"),
                                             ("X448:P-384", "x448")])
def test_client_set_groups_to_s_server(impl, api, groups, expected):
    cctx = cu.client_context(impl)
    cctx.set_groups(groups)
    group, _ = s_server_run(cctx, "-tls1_3", query=lambda s: api(s).group())
    assert group == expected


def test_set_ecdh_curve_x25519_every_interpreter(impl, api):
    # CPython 3.9 and 3.10 refuse X25519 here (gh-77063); sslmod takes it
    # on every interpreter, through the interpreter's ssl.py too.
    sctx = cu.server_context(impl)
    assert sctx.set_ecdh_curve("X25519") is None
    outcome, out = s_client_run(sctx, "-tls1_2", handler=lambda s: api(s).group())
    assert outcome == ("ok", "x25519")
    assert line(out, "Server Temp Key").startswith("X25519")


def test_get_groups(impl):
    ctx = impl.SSLContext(impl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = impl.TLSVersion.TLSv1_2
    ctx.maximum_version = impl.TLSVersion.TLSv1_3
    plain = ctx.get_groups()
    aliases = ctx.get_groups(include_aliases=True)
    assert all(isinstance(g, str) for g in plain)
    assert len(plain) == len(set(plain))
    for name in ("secp256r1", "secp384r1", "x25519", "ffdhe2048"):
        assert name in plain
    assert set(plain) < set(aliases)
    assert "P-256" in aliases and "P-256" not in plain
    # Every listed name is one set_groups() takes.
    for name in aliases:
        ctx.set_groups(name)
    # TLS 1.3 only: no group that TLS 1.3 cannot use (binary curves).
    ctx.minimum_version = impl.TLSVersion.TLSv1_3
    tls13 = ctx.get_groups()
    assert "secp256r1" in tls13 and "x25519" in tls13
    assert not [g for g in tls13 if g.startswith("sect")]
    assert set(tls13) <= set(plain)


@pytest.mark.parametrize("name", ["secp256r1", "x25519", "ffdhe2048", "x448"])
def test_every_listed_group_negotiates_with_s_server(impl, api, name):
    cctx = cu.client_context(impl)
    cctx.minimum_version = impl.TLSVersion.TLSv1_3
    assert name in cctx.get_groups()
    cctx.set_groups(name)
    group, _ = s_server_run(cctx, "-tls1_3", query=lambda s: api(s).group())
    assert group == name


# ---- ciphersuites -------------------------------------------------------------------

def test_server_set_ciphersuites_seen_by_s_client(impl, api):
    sctx = cu.server_context(impl)
    sctx.set_ciphersuites("TLS_CHACHA20_POLY1305_SHA256")
    outcome, out = s_client_run(sctx, "-tls1_3", "-brief",
                                handler=lambda s: api(s).cipher()[0])
    assert outcome == ("ok", "TLS_CHACHA20_POLY1305_SHA256")
    assert line(out, "Ciphersuite") == "TLS_CHACHA20_POLY1305_SHA256"


def test_client_set_ciphersuites_to_s_server(impl, api):
    cctx = cu.client_context(impl)
    cctx.set_ciphersuites("TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256")
    cipher, summary = s_server_run(cctx, "-tls1_3",
                                   "-ciphersuites", "TLS_CHACHA20_POLY1305_SHA256",
                                   query=lambda s: api(s).cipher()[0])
    assert cipher == "TLS_CHACHA20_POLY1305_SHA256"
    assert "TLS_CHACHA20_POLY1305_SHA256" in summary


def test_set_ciphersuites_no_overlap_fails(impl):
    cctx = cu.client_context(impl)
    cctx.set_ciphersuites("TLS_AES_128_GCM_SHA256")
    cctx.minimum_version = impl.TLSVersion.TLSv1_3
    with pytest.raises(impl.SSLError):
        s_server_run(cctx, "-tls1_3", "-ciphersuites", "TLS_CHACHA20_POLY1305_SHA256")


# ---- signature algorithms ---------------------------------------------------------------

@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("leaf,sigalgs,expected,cli_type,cli_digest", [
    ("server-rsa", "rsa_pss_rsae_sha384", "rsa_pss_rsae_sha384", "RSA-PSS", "SHA384"),
    ("server-rsa", "rsa_pss_rsae_sha512", "rsa_pss_rsae_sha512", "RSA-PSS", "SHA512"),
    ("server-ecdsa", "ecdsa_secp256r1_sha256", "ecdsa_secp256r1_sha256", "ECDSA", "SHA256"),
    ("server-ed25519", "ed25519", "ed25519", "ed25519", None),
    # An RSASSA-PSS key: the "pss" rather than the "rsae" code point.
    ("server-rsapss", "rsa_pss_pss_sha256", "rsa_pss_pss_sha256", "RSA-PSS", "SHA256"),
])
def test_server_sigalgs_seen_by_s_client(impl, api, version, leaf, sigalgs, expected,
                                         cli_type, cli_digest):
    sctx = cu.server_context(impl, leaf)
    sctx.set_server_sigalgs(sigalgs)
    outcome, out = s_client_run(
        sctx, version, handler=lambda s: (api(s).server_sigalg(), api(s).client_sigalg()))
    assert outcome == ("ok", (expected, None))
    assert line(out, "Peer signature type") == cli_type
    if cli_digest:
        assert line(out, "Peer signing digest") == cli_digest


def test_rsa_pkcs1_on_tls12(impl, api):
    sctx = cu.server_context(impl)
    sctx.set_server_sigalgs("rsa_pkcs1_sha256")
    outcome, out = s_client_run(sctx, "-tls1_2", handler=lambda s: api(s).server_sigalg())
    assert outcome == ("ok", "rsa_pkcs1_sha256")
    assert line(out, "Peer signature type") == "RSA"
    assert line(out, "Peer signing digest") == "SHA256"


@pytest.mark.parametrize("version", VERSIONS)
def test_client_sigalgs_to_s_server(impl, api, version):
    # Our client signs its certificate with what it was told to; s_server
    # (restricted to the same) accepts it, and reports its own signature.
    cctx = cu.client_context(impl, certfile=cu.CLIENT_CERT, keyfile=cu.CLIENT_KEY)
    cctx.set_client_sigalgs("rsa_pss_rsae_sha384")
    got, _ = s_server_run(
        cctx, version, "-Verify", "1", "-CAfile", cu.CA, "-verify_return_error",
        "-sigalgs", "rsa_pss_rsae_sha512:rsa_pss_rsae_sha384",
        query=lambda s: (api(s).client_sigalg(), api(s).server_sigalg()))
    assert got[0] == "rsa_pss_rsae_sha384"
    assert got[1] in ("rsa_pss_rsae_sha512", "rsa_pss_rsae_sha384")


@pytest.mark.parametrize("version", VERSIONS)
def test_server_sees_s_client_signature(impl, api, version):
    sctx = cu.server_context(impl, cafile=cu.CA, verify_mode=impl.CERT_REQUIRED)
    outcome, _ = s_client_run(
        sctx, version, "-cert", cu.CLIENT_CERT, "-key", cu.CLIENT_KEY,
        "-client_sigalgs", "rsa_pss_rsae_sha256", "-sigalgs",
        "rsa_pss_rsae_sha256:rsa_pss_rsae_sha384",
        handler=lambda s: (api(s).client_sigalg(), api(s).server_sigalg()))
    assert outcome[0] == "ok", outcome
    assert outcome[1][0] == "rsa_pss_rsae_sha256"
    assert outcome[1][1] in ("rsa_pss_rsae_sha256", "rsa_pss_rsae_sha384")


def test_client_sigalgs_refused_by_s_server(impl):
    # Only a sigalg s_server does not accept for client certificates: the
    # handshake fails.
    cctx = cu.client_context(impl, certfile=cu.CLIENT_CERT, keyfile=cu.CLIENT_KEY)
    cctx.set_client_sigalgs("rsa_pss_rsae_sha512")
    with pytest.raises((impl.SSLError, OSError)):
        s_server_run(cctx, "-tls1_3", "-Verify", "1", "-CAfile", cu.CA,
                     "-verify_return_error", "-client_sigalgs", "rsa_pss_rsae_sha256",
                     query=lambda s: s.recv(10))


def test_get_sigalgs(core):
    import sslmod
    for get_sigalgs in (core.get_sigalgs, sslmod.get_sigalgs):
        if core.OPENSSL_VERSION_INFO < (3, 4):
            # As Python 3.15 does on an OpenSSL without the list.
            with pytest.raises(NotImplementedError, match="requires OpenSSL 3.4"):
                get_sigalgs()
        else:
            sigalgs = get_sigalgs()
            assert "rsa_pss_rsae_sha384" in sigalgs and "ed25519" in sigalgs


# ---- before the handshake, and bad input ------------------------------------------------

def test_none_before_handshake(impl, api):
    ctx = cu.client_context(impl)
    obj = ctx.wrap_bio(impl.MemoryBIO(), impl.MemoryBIO(), server_hostname="localhost")
    assert (api(obj).group(), api(obj).client_sigalg(), api(obj).server_sigalg()) == \
        (None, None, None)


def test_none_unconnected_sslsocket():
    import sslmod
    ctx = cu.client_context(sslmod)
    with socket.socket() as raw:
        s = ctx.wrap_socket(raw, server_hostname="localhost", do_handshake_on_connect=False)
        assert (s.group(), s.client_sigalg(), s.server_sigalg()) == (None, None, None)


def test_no_server_signature_when_resumed(impl, api):
    # A resumed TLS 1.2 session signs nothing.
    sctx = cu.server_context(impl, maximum=impl.TLSVersion.TLSv1_2)
    cctx = cu.client_context(impl, maximum=impl.TLSVersion.TLSv1_2)
    first = cu.BioPair(impl, cctx, impl, sctx)
    first.handshake()
    assert api(first.client).server_sigalg() is not None
    again = cu.BioPair(impl, cctx, impl, sctx, session=first.client.session)
    again.handshake()
    assert again.client.session_reused
    assert api(again.client).server_sigalg() is None


@pytest.mark.parametrize("method,arg,exc", [
    ("set_groups", 1, TypeError), ("set_groups", b"P-256", TypeError),
    ("set_groups", "P-256:nope", "SSLError"), ("set_groups", "", "SSLError"),
    ("set_groups", "P-256\0X25519", ValueError),
    ("set_ciphersuites", None, TypeError), ("set_ciphersuites", "FOO", "SSLError"),
    ("set_ciphersuites", "ECDHE-RSA-AES128-GCM-SHA256", "SSLError"),
    ("set_client_sigalgs", 5, TypeError), ("set_client_sigalgs", "nope", "SSLError"),
    ("set_server_sigalgs", "rsa_pss_rsae_sha384:", "SSLError"),
    ("set_server_sigalgs", "", "SSLError"),
])
def test_bad_arguments(impl, method, arg, exc):
    ctx = impl.SSLContext(impl.PROTOCOL_TLS_CLIENT)
    exc = getattr(impl, exc) if isinstance(exc, str) else exc
    with pytest.raises(exc):
        getattr(ctx, method)(arg)


def test_get_groups_bad_arguments(impl):
    ctx = impl.SSLContext(impl.PROTOCOL_TLS_CLIENT)
    with pytest.raises(TypeError):
        ctx.get_groups(True)
    with pytest.raises(TypeError):
        ctx.get_groups(aliases=True)



def test_out_of_memory():
    import sslmod
    ctx = sslmod.SSLContext(sslmod.PROTOCOL_TLS_CLIENT)
    expected = ctx.get_groups(include_aliases=True)
    pair = cu.BioPair(sslmod, cu.client_context(sslmod), sslmod, cu.server_context(sslmod))
    pair.handshake()

    def calls():
        ctx.set_groups("P-256:X25519")
        ctx.set_ciphersuites("TLS_AES_128_GCM_SHA256")
        ctx.set_server_sigalgs("rsa_pss_rsae_sha256")
        assert ctx.get_groups(include_aliases=True) == expected
        assert pair.client.group() and pair.client.server_sigalg()
    assert under_nomemory(calls, 400) > 0
