"""OCSP stapling (issue 9, CPython gh-88946): set_ocsp_response() on the
server, ocsp_stapling and ocsp_response() on the client, and the client's
verification of the staple (signer, certificate ID, validity window,
status).  The stdlib has none of it; the openssl command-line tool is the
independent peer: `s_client -status` reads what our server staples, and
`s_server -status_file` staples responses made by `openssl ocsp`
(tests/certs/make_certs.py, make_ocsp) for our client to check."""
import re

import pytest

import connutil as cu
from conftest import CERTS, beyond_stdlib, under_nomemory

pytestmark = pytest.mark.skipif(cu.OPENSSL is None, reason="the openssl CLI is not installed")


@pytest.fixture(autouse=True)
def _sslmod_only(request):
    """In the suite's self-check mode (SSLMOD_TEST_IMPLS=stdlib,...) the
    interpreter's ssl has none of this: say so instead of failing."""
    if "impl_name" in request.fixturenames:
        beyond_stdlib(request.getfixturevalue("impl_name"),
                      "OCSP stapling is sslmod's (issue 9)")

VERSIONS = ["-tls1_2", "-tls1_3"]


@pytest.fixture
def api(impl_name):
    """The object with ocsp_response(): the SSLSocket/SSLObject of sslmod's
    API, or the core connection under the interpreter's ssl.py."""
    if impl_name == "sslmod":
        return lambda s: s
    return lambda s: s._sslobj


def s_client_status(sctx, *args, handler=None):
    """Serve one `openssl s_client -status` with SCTX; returns (our outcome,
    s_client's output)."""
    def serve(s):
        value = handler(s) if handler else None
        s.sendall(b"bye\n")
        return value

    with cu.Server(sctx, serve) as srv:
        with cu.openssl_s_client(srv.port, "-servername", "localhost", "-CAfile", cu.CA,
                                 "-verify_return_error", "-status", *args) as proc:
            out = cu.read_all(proc).decode("latin-1")
    return srv.outcome, out


def against_s_server(cctx, status_file=None, *args, leaf="server-rsa", query=None):
    """Connect CCTX to `openssl s_server` stapling STATUS_FILE (a name in
    tests/certs, or None for no staple); returns capture()'s outcome of
    QUERY(sslsocket)."""
    cert, key = cu.certpath(leaf + ".pem"), cu.certpath(leaf + ".key")
    extra = ("-status_file", cu.certpath(status_file)) if status_file else ()
    with cu.openssl_s_server("-cert", cert, "-key", key, "-cert_chain",
                             cu.certpath("intermediate.pem"), *extra, *args) as (proc, port):
        def client():
            with cu.connect(cctx, (cu.HOST, port)) as s:
                return query(s) if query else None
        return cu.capture(client)


def client_ctx(impl, core, mode):
    cctx = cu.client_context(impl)
    cctx.ocsp_stapling = getattr(core, mode)
    return cctx


# ---- our server, s_client reads the staple ---------------------------------------

@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("how", ["bytes", "callable", "bytearray"])
def test_server_staple_seen_by_s_client(impl, api, version, how):
    good = CERTS.read("ocsp-good.der")
    seen = []
    sctx = cu.server_context(impl)
    if how == "bytes":
        sctx.set_ocsp_response(good)
    elif how == "bytearray":
        sctx.set_ocsp_response(bytearray(good))
    else:
        def response(conn):
            seen.append(type(conn).__name__)
            return good
        sctx.set_ocsp_response(response)
    outcome, out = s_client_status(sctx, version, handler=lambda s: api(s).ocsp_response())
    assert "OCSP Response Status: successful" in out
    assert re.search(r"Cert Status: good", out)
    assert outcome == ("ok", good)
    if how == "callable":
        # Called once, with the SSLSocket (sslmod) or what the interpreter's
        # ssl.py hands callbacks (its SSLSocket, our core's owner).
        assert seen == ["SSLSocket"]


def test_server_revoked_staple_seen_by_s_client(impl):
    sctx = cu.server_context(impl, "server-ecdsa")
    sctx.set_ocsp_response(CERTS.read("ocsp-revoked.der"))
    _, out = s_client_status(sctx)
    assert "OCSP Response Status: successful" in out
    assert "Cert Status: revoked" in out


@pytest.mark.parametrize("setting", ["none-set", "set-then-None", "callable-None"])
def test_server_without_staple(impl, setting):
    sctx = cu.server_context(impl)
    if setting == "set-then-None":
        sctx.set_ocsp_response(CERTS.read("ocsp-good.der"))
        sctx.set_ocsp_response(None)
    elif setting == "callable-None":
        sctx.set_ocsp_response(lambda conn: None)
    outcome, out = s_client_status(sctx)
    assert outcome[0] == "ok"
    assert "OCSP response: no response sent" in out


def test_server_callable_raising_fails_handshake(impl):
    # As a raising sni_callback: reported through sys.unraisablehook, and
    # the handshake fails.
    import sys
    reported = []
    sctx = cu.server_context(impl)

    def response(conn):
        raise RuntimeError("no OCSP response here")
    sctx.set_ocsp_response(response)
    old = sys.unraisablehook
    sys.unraisablehook = lambda u: reported.append(u.exc_value)
    try:
        outcome, out = s_client_status(sctx)
    finally:
        sys.unraisablehook = old
    assert outcome[0] == "raise"
    assert [type(e).__name__ for e in reported] == ["RuntimeError"]
    assert "OCSP Response Status" not in out


def test_server_callable_bad_result_fails_handshake(impl):
    import sys
    reported = []
    sctx = cu.server_context(impl)
    sctx.set_ocsp_response(lambda conn: "not bytes")
    old = sys.unraisablehook
    sys.unraisablehook = lambda u: reported.append(u.exc_value)
    try:
        outcome, _ = s_client_status(sctx)
    finally:
        sys.unraisablehook = old
    assert outcome[0] == "raise"
    assert [type(e).__name__ for e in reported] == ["TypeError"]


def test_server_callable_after_sni(impl, api):
    # The response comes from the context the SNI callback switched to, so
    # that each certificate gets its own response.
    good, other = CERTS.read("ocsp-good.der"), CERTS.read("ocsp-good-by-issuer.der")
    first = cu.server_context(impl, "server-ecdsa")
    first.set_ocsp_response(other)
    second = cu.server_context(impl)
    calls = []

    def response(conn):
        calls.append(conn.context is second)
        return good
    second.set_ocsp_response(response)

    def sni(conn, name, ctx):
        conn.context = second
    first.sni_callback = sni
    outcome, out = s_client_status(first, handler=lambda s: api(s).ocsp_response())
    assert outcome == ("ok", good)
    assert calls == [True]
    assert "Cert Status: good" in out


# ---- our client, s_server staples ------------------------------------------------

@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("mode", ["OCSP_REQUIRED", "OCSP_OPTIONAL"])
@pytest.mark.parametrize("status_file", ["ocsp-good.der", "ocsp-good-by-issuer.der"])
def test_client_accepts_good_staple(impl, core, api, version, mode, status_file):
    cctx = client_ctx(impl, core, mode)
    outcome = against_s_server(cctx, status_file, version,
                               query=lambda s: api(s).ocsp_response())
    assert outcome == ("ok", CERTS.read(status_file))


def test_client_default_asks_for_nothing(impl, api):
    cctx = cu.client_context(impl)
    assert cctx.ocsp_stapling == 0
    outcome = against_s_server(cctx, "ocsp-good.der", query=lambda s: api(s).ocsp_response())
    assert outcome == ("ok", None)


BAD = [
    # status file, leaf served, verify_code, words of verify_message
    ("ocsp-revoked.der", "server-ecdsa", 23, "revoked"),
    ("ocsp-other-cert.der", "server-rsa", 75, "not about the server's certificate"),
    ("ocsp-unauthorized.der", "server-rsa", 74, "not signed by the certificate's issuer"),
    ("ocsp-expired.der", "server-rsa", 74, "validity period"),
    ("ocsp-trylater.der", "server-rsa", 74, "not successful"),
]


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("mode", ["OCSP_REQUIRED", "OCSP_OPTIONAL"])
@pytest.mark.parametrize("status_file,leaf,code,words", BAD,
                         ids=[b[0][5:-4] for b in BAD])
def test_client_refuses_bad_staple(impl, core, version, mode, status_file, leaf, code, words):
    cctx = client_ctx(impl, core, mode)
    outcome = against_s_server(cctx, status_file, version, leaf=leaf)
    assert outcome[:2] == ("raise", "SSLCertVerificationError"), outcome
    info = dict(outcome[3])
    assert info["verify_code"] == code
    assert words in info["verify_message"]
    assert words in outcome[2]


@pytest.mark.parametrize("version", VERSIONS)
def test_client_required_without_staple(impl, core, version):
    outcome = against_s_server(client_ctx(impl, core, "OCSP_REQUIRED"), None, version)
    assert outcome[:2] == ("raise", "SSLCertVerificationError"), outcome
    info = dict(outcome[3])
    assert info["verify_code"] == 73
    assert "no OCSP response" in info["verify_message"]


@pytest.mark.parametrize("mode", ["OCSP_OPTIONAL", "OCSP_NONE"])
def test_client_optional_without_staple(impl, core, api, mode):
    outcome = against_s_server(client_ctx(impl, core, mode), None,
                               query=lambda s: api(s).ocsp_response())
    assert outcome == ("ok", None)


def test_client_none_ignores_bad_staple(impl, core, api):
    # Nothing asked, nothing checked (s_server staples only when asked).
    outcome = against_s_server(client_ctx(impl, core, "OCSP_NONE"), "ocsp-revoked.der",
                               leaf="server-ecdsa", query=lambda s: api(s).ocsp_response())
    assert outcome == ("ok", None)


def test_sslmod_pair_good_and_revoked(impl, core, api):
    # Our own two ends agree with what the openssl peers said above.
    def run(response, leaf):
        sctx = cu.server_context(impl, leaf)
        sctx.set_ocsp_response(CERTS.read(response))
        cctx = client_ctx(impl, core, "OCSP_REQUIRED")
        return cu.run_pair(cctx, sctx, client_fn=lambda s: api(s).ocsp_response())
    cout, sout = run("ocsp-good.der", "server-rsa")
    assert cout == ("ok", CERTS.read("ocsp-good.der")) and sout[0] == "ok"
    cout, sout = run("ocsp-revoked.der", "server-ecdsa")
    assert cout[1] == "SSLCertVerificationError"
    assert sout[0] == "raise"


def test_bio_mode(impl, core, api):
    sctx = cu.server_context(impl)
    sctx.set_ocsp_response(CERTS.read("ocsp-good.der"))
    pair = cu.BioPair(impl, client_ctx(impl, core, "OCSP_REQUIRED"), impl, sctx)
    pair.handshake()
    assert api(pair.client).ocsp_response() == CERTS.read("ocsp-good.der")


def test_none_before_handshake(impl, api):
    ctx = cu.client_context(impl)
    obj = ctx.wrap_bio(impl.MemoryBIO(), impl.MemoryBIO(), server_hostname="localhost")
    assert api(obj).ocsp_response() is None


# ---- the API ------------------------------------------------------------------------

def test_ocsp_mode_enum():
    import sslmod
    assert [(m.name, int(m)) for m in sslmod.OCSPMode] == [
        ("OCSP_NONE", 0), ("OCSP_OPTIONAL", 1), ("OCSP_REQUIRED", 2)]
    assert sslmod.OCSP_REQUIRED is sslmod.OCSPMode.OCSP_REQUIRED
    ctx = sslmod.SSLContext(sslmod.PROTOCOL_TLS_CLIENT)
    assert ctx.ocsp_stapling is sslmod.OCSP_NONE
    ctx.ocsp_stapling = sslmod.OCSP_OPTIONAL
    assert ctx.ocsp_stapling is sslmod.OCSPMode.OCSP_OPTIONAL
    ctx.ocsp_stapling = 2
    assert ctx.ocsp_stapling is sslmod.OCSP_REQUIRED


def test_core_constants(core):
    assert (core.OCSP_NONE, core.OCSP_OPTIONAL, core.OCSP_REQUIRED) == (0, 1, 2)


@pytest.mark.parametrize("value,exc", [(3, ValueError), (-1, ValueError), ("1", TypeError),
                                       (None, TypeError), (1.0, TypeError),
                                       (2 ** 70, OverflowError)])
def test_ocsp_stapling_bad_values(impl, value, exc):
    ctx = impl.SSLContext(impl.PROTOCOL_TLS_CLIENT)
    with pytest.raises(exc):
        ctx.ocsp_stapling = value
    assert ctx.ocsp_stapling == 0


def test_ocsp_stapling_cannot_be_deleted(impl):
    ctx = impl.SSLContext(impl.PROTOCOL_TLS_CLIENT)
    with pytest.raises(AttributeError):
        del ctx.ocsp_stapling


@pytest.mark.parametrize("value,exc", [(b"", ValueError), (b"junk", ValueError),
                                       (CERTS.read("ca.der"), ValueError),
                                       (42, TypeError), ("ocsp-good.der", TypeError)])
def test_set_ocsp_response_bad_values(impl, value, exc):
    ctx = impl.SSLContext(impl.PROTOCOL_TLS_SERVER)
    with pytest.raises(exc):
        ctx.set_ocsp_response(value)


def test_set_ocsp_response_trailing_garbage(impl):
    ctx = impl.SSLContext(impl.PROTOCOL_TLS_SERVER)
    with pytest.raises(ValueError):
        ctx.set_ocsp_response(CERTS.read("ocsp-good.der") + b"\0")



def test_out_of_memory():
    import sslmod
    good = CERTS.read("ocsp-good.der")
    sctx = cu.server_context(sslmod)
    cctx = cu.client_context(sslmod)

    def calls():
        sctx.set_ocsp_response(good)
        cctx.ocsp_stapling = sslmod.OCSP_REQUIRED
        assert cctx.ocsp_stapling is sslmod.OCSP_REQUIRED
    assert under_nomemory(calls, 40) > 0
    pair = cu.BioPair(sslmod, cctx, sslmod, sctx)
    pair.handshake()
    assert pair.client.ocsp_response() == good
