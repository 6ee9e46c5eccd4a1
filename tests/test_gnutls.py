"""Interop with GnuTLS, a second and independent TLS stack: our clients
against ``gnutls-serv``, our servers against ``gnutls-cli``.

Every scenario runs on the interpreter's ssl and on the implementation
under test, and what our side observes must be the same; each test also
checks that the observation is the right one (the echo came back, the
session was resumed, the key update was seen ...).  The GnuTLS tools come
from Debian's gnutls-bin: without them these tests fail (see
tests/gnutlsutil.py; SSLMOD_NO_GNUTLS=<reason> skips them on purpose).
"""
import socket

import pytest

import connutil as cu
import gnutlsutil as gu
import stdlib_quirks
from gnutlsutil import PRIORITY

CERTDIR = cu.CERTDIR
VERSIONS = ("TLSv1.2", "TLSv1.3")
LEAVES = ("server-rsa", "server-ecdsa", "server-ed25519", "server-rsapss")
KEY_UPDATE = 24                 # TLS HandshakeType key_update
CERTIFICATE_REQUEST = 13
CERTIFICATE = 11
HANDSHAKE = 22


@pytest.fixture(autouse=True)
def _gnutls_present():
    gu.require_gnutls()


def recv_line(s):
    data = b""
    while not data.endswith(b"\n"):
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def handshake_messages(ctx):
    """Install a message callback on CTX; returns the list it fills with
    (direction, handshake message type) for handshake messages."""
    seen = []

    def cb(conn, direction, version, content_type, msg_type, data):
        if int(content_type) == HANDSHAKE:
            seen.append((direction, int(msg_type)))
    ctx._msg_callback = cb
    return seen


def peer_name(cert):
    return dict(x[0] for x in cert["subject"])["commonName"] if cert else None


# ---------------------------------------------------------------------------
# Our client, gnutls-serv the server
# ---------------------------------------------------------------------------

def client_to_gnutls(mod, *serv_args, leaf="server-rsa", client_kw=None,
                     lines=(b"hello gnutls\n",), setup=None, session=None):
    """Connect a MOD client to ``gnutls-serv --echo`` and send LINES, each
    answered by an echo (or a command result).  SETUP(ctx) may adjust the
    client context first.  Returns what the client observed."""
    with gu.gnutls_serv(*serv_args, leaf=leaf, certdir=CERTDIR) as (proc, port, out):
        ctx = cu.client_context(mod, **(client_kw or {}))
        extra = setup(ctx) if setup else None
        with cu.connect(ctx, (gu.HOST, port), session=session) as s:
            replies = []
            for line in lines:
                s.sendall(line)
                replies.append(recv_line(s))
            return {"replies": replies, "version": s.version(), "cipher": s.cipher(),
                    "alpn": s.selected_alpn_protocol(), "peer": peer_name(s.getpeercert()),
                    "reused": s.session_reused, "extra": extra}


@pytest.mark.parametrize("leaf", LEAVES)
@pytest.mark.parametrize("version", VERSIONS)
def test_client_to_gnutls_serv(std, impl, version, leaf):
    """TLS 1.2 and 1.3 with RSA, ECDSA, Ed25519 and RSA-PSS server keys:
    the handshake verifies GnuTLS's chain and the echo comes back."""
    ref = cu.check_same(lambda mod: client_to_gnutls(
        mod, "--priority", PRIORITY[version], leaf=leaf), std, impl)
    assert ref[0] == "ok", ref
    assert ref[1]["version"] == version
    assert ref[1]["replies"] == [b"hello gnutls\n"]
    assert ref[1]["peer"] == "localhost"


@pytest.mark.parametrize("version", VERSIONS)
def test_client_alpn_with_gnutls_serv(std, impl, version):
    """ALPN: GnuTLS picks the protocol both sides have."""
    ref = cu.check_same(lambda mod: client_to_gnutls(
        mod, "--priority", PRIORITY[version], "--alpn", "h2", "--alpn", "http/1.1",
        client_kw={"alpn": ["spdy/3", "http/1.1"]}), std, impl)
    assert ref[0] == "ok", ref
    assert ref[1]["alpn"] == "http/1.1"


@pytest.mark.parametrize("version", VERSIONS)
def test_client_resumes_with_gnutls_ticket(std, impl, version):
    """Session resumption with a ticket from GnuTLS (--nodb: the server
    keeps no session cache, so only a ticket can resume)."""
    def scenario(mod):
        with gu.gnutls_serv("--priority", PRIORITY[version], "--nodb",
                            certdir=CERTDIR) as (proc, port, out):
            ctx = cu.client_context(mod)
            with cu.connect(ctx, (gu.HOST, port)) as s:
                s.sendall(b"one\n")
                first = recv_line(s)     # TLS 1.3 tickets arrive after the handshake
                session = s.session
                reused1 = s.session_reused
            with cu.connect(ctx, (gu.HOST, port), session=session) as s:
                s.sendall(b"two\n")
                return {"first": first, "second": recv_line(s),
                        "reused": (reused1, s.session_reused),
                        "had_ticket": session.has_ticket}
    ref = cu.check_same(scenario, std, impl)
    assert ref[0] == "ok", ref
    assert ref[1]["reused"] == (False, True)
    assert ref[1]["had_ticket"] is True
    assert ref[1]["second"] == b"two\n"


@pytest.mark.parametrize("with_cert", [True, False], ids=["cert", "no-cert"])
@pytest.mark.parametrize("version", VERSIONS)
def test_client_certificate_to_gnutls_serv(std, impl, version, with_cert):
    """gnutls-serv requires a client certificate: ours is accepted; without
    one the connection fails (in TLS 1.3 only when the client next reads)."""
    kw = {"certfile": cu.CLIENT_CERT, "keyfile": cu.CLIENT_KEY} if with_cert else {}

    def scenario(mod):
        try:
            return client_to_gnutls(mod, "--priority", PRIORITY[version], "-r",
                                    "--x509cafile", cu.CA, client_kw=kw)
        except OSError as exc:
            # In TLS 1.3 the refusal reaches the client after its handshake:
            # the certificate_required alert, or, when GnuTLS's close races
            # our write, an EOF or reset instead.  Which one is timing.
            return ("refused", isinstance(exc, (mod.SSLError, ConnectionError)))
    ref = cu.check_same(scenario, std, impl)
    assert ref[0] == "ok", ref
    if with_cert:
        assert ref[1]["replies"] == [b"hello gnutls\n"]
    else:
        assert ref[1] == ("refused", True), ref


def test_client_post_handshake_auth_to_gnutls_serv(std, impl):
    """TLS 1.3 post-handshake authentication: gnutls-serv (asking for no
    certificate in the handshake) sends a CertificateRequest on
    **REAUTH**; our client, with post_handshake_auth on, answers with its
    certificate, and the connection goes on."""
    def setup(ctx):
        ctx.post_handshake_auth = True
        return handshake_messages(ctx)

    ref = cu.check_same(lambda mod: client_to_gnutls(
        mod, "--priority", PRIORITY["TLSv1.3"], "-a", "--x509cafile", cu.CA,
        client_kw={"certfile": cu.CLIENT_CERT, "keyfile": cu.CLIENT_KEY},
        lines=(b"before\n", b"**REAUTH**\n", b"after\n"), setup=setup), std, impl)
    assert ref[0] == "ok", ref
    seen = ref[1]["extra"]
    assert ["read", CERTIFICATE_REQUEST] in seen or ("read", CERTIFICATE_REQUEST) in seen
    i = [tuple(x) for x in seen].index(("read", CERTIFICATE_REQUEST))
    assert ("write", CERTIFICATE) in [tuple(x) for x in seen[i:]]
    assert ref[1]["replies"][2] == b"after\n"


def test_client_key_update_from_gnutls_serv(std, impl):
    """TLS 1.3 key update: on **REHANDSHAKE** gnutls-serv sends a KeyUpdate
    asking for ours; our side answers it and data flows on both ways."""
    ref = cu.check_same(lambda mod: client_to_gnutls(
        mod, "--priority", PRIORITY["TLSv1.3"],
        lines=(b"before\n", b"**REHANDSHAKE**\n", b"after\n", b"again\n"),
        setup=handshake_messages), std, impl)
    assert ref[0] == "ok", ref
    seen = [tuple(x) for x in ref[1]["extra"]]
    assert ("read", KEY_UPDATE) in seen and ("write", KEY_UPDATE) in seen
    assert ref[1]["replies"][2:] == [b"after\n", b"again\n"]


def test_client_renegotiation_request_tls12(std, impl):
    """TLS 1.2: **REHANDSHAKE** is a renegotiation request (HelloRequest).
    Whatever our side does with it (OpenSSL's default policy), it is the
    stdlib's."""
    ref = cu.check_same(lambda mod: client_to_gnutls(
        mod, "--priority", PRIORITY["TLSv1.2"],
        lines=(b"before\n", b"**REHANDSHAKE**\n", b"after\n")), std, impl)
    if ref[0] == "ok":
        assert ref[1]["replies"][0] == b"before\n"


@pytest.mark.parametrize("version", VERSIONS)
def test_client_close_notify_with_gnutls_serv(std, impl, version):
    """unwrap() sends close_notify and gets GnuTLS's in return."""
    def scenario(mod):
        with gu.gnutls_serv("--priority", PRIORITY[version], certdir=CERTDIR) as (p, port, o):
            ctx = cu.client_context(mod)
            s = cu.connect(ctx, (gu.HOST, port))
            try:
                s.sendall(b"bye\n")
                echo = recv_line(s)
                plain = s.unwrap()           # (the stdlib returns the SSLSocket itself)
                leftover = plain.recv(10)
                return {"echo": echo, "unwrapped": type(plain).__name__,
                        "leftover": leftover}
            finally:
                s.close()
    ref = cu.check_same(scenario, std, impl)
    assert ref[0] == "ok", ref
    assert ref[1]["leftover"] == b""      # the plain socket sees GnuTLS close


@pytest.mark.parametrize("ragged", [True, False], ids=["suppress", "raise"])
@pytest.mark.parametrize("version", VERSIONS)
def test_client_abrupt_close_by_gnutls_serv(std, impl, version, ragged):
    """gnutls-serv is killed mid-connection (no close_notify): recv() gives
    b"" when ragged EOFs are suppressed, and SSLEOFError otherwise."""
    def scenario(mod):
        with gu.gnutls_serv("--priority", PRIORITY[version], certdir=CERTDIR) as (p, port, o):
            ctx = cu.client_context(mod)
            raw = socket.create_connection((gu.HOST, port), timeout=cu.TIMEOUT)
            with ctx.wrap_socket(raw, server_hostname="localhost",
                                 suppress_ragged_eofs=ragged) as s:
                s.sendall(b"x\n")
                echo = recv_line(s)
                gu.kill_now(p)
                return {"echo": echo, "after": s.recv(10)}
    ref = cu.check_same(scenario, std, impl)
    if ragged or stdlib_quirks.ignores_unexpected_eof():
        # 3.9's ssl (and 3.10/3.11 before .11/.3) reports OpenSSL 3's unexpected EOF as clean
        assert ref[0] == "ok" and ref[1]["after"] == b"", ref
    else:
        assert ref[1] == "SSLEOFError", ref


# ---------------------------------------------------------------------------
# Our server, gnutls-cli the client
# ---------------------------------------------------------------------------

def serve_gnutls_cli(mod, *cli_args, leaf="server-rsa", server_kw=None, count=1,
                     handler=None, setup=None, send=b"ping\n", kill=False):
    """Serve COUNT ``gnutls-cli`` connections with a MOD server.  SEND is
    written to the client's stdin; its stdin is then closed (close_notify)
    unless KILL, which SIGKILLs it once the reply was printed.  Returns
    the server's outcomes and facts from the client's output."""
    sctx = cu.server_context(mod, leaf, **(server_kw or {}))
    extra = setup(sctx) if setup else None

    def default_handler(s):
        line = recv_line(s)
        s.sendall(line.upper())
        info = {"line": line, "version": s.version(), "alpn": s.selected_alpn_protocol(),
                "reused": s.session_reused, "peer": peer_name(s.getpeercert())}
        info["eof"] = s.recv(10)            # close_notify, or the ragged EOF
        return info

    with cu.Server(sctx, handler or default_handler, count=count) as srv:
        with gu.gnutls_cli(srv.port, *cli_args, certdir=CERTDIR) as (proc, out):
            out.wait_for(rb"- Handshake was completed|\*\*\* Fatal error|Error")
            if send:
                proc.stdin.write(send)
                proc.stdin.flush()
                out.wait_for(re_escape(send.upper()))
            if kill:
                gu.kill_now(proc)
            else:
                proc.stdin.close()
            text = out.until_exit()
    return {"server": srv.outcomes, "extra": extra,
            "cli_resumed": b"This is a resumed session" in text,
            "cli_verified": b"Certificate is trusted" in text or
                            b"The certificate is trusted" in text,
            "cli_got_reply": send.upper() in text if send else None}


def re_escape(data):
    import re
    return re.escape(data)


@pytest.mark.parametrize("leaf", LEAVES)
@pytest.mark.parametrize("version", VERSIONS)
def test_server_to_gnutls_cli(std, impl, version, leaf):
    """TLS 1.2 and 1.3 with RSA, ECDSA, Ed25519 and RSA-PSS keys on our
    server: gnutls-cli verifies our chain and host name, gets the reply,
    and ends with close_notify, which our recv() reports as b""."""
    ref = cu.check_same(lambda mod: serve_gnutls_cli(
        mod, "--priority", PRIORITY[version], leaf=leaf), std, impl)
    assert ref[0] == "ok", ref
    (outcome,) = ref[1]["server"]
    assert outcome[0] == "ok", outcome
    assert outcome[1]["line"] == b"ping\n" and outcome[1]["version"] == version
    assert outcome[1]["eof"] == b""
    assert ref[1]["cli_got_reply"]


def test_server_alpn_with_gnutls_cli(std, impl):
    ref = cu.check_same(lambda mod: serve_gnutls_cli(
        mod, "--alpn", "h2", "--alpn", "http/1.1",
        server_kw={"alpn": ["h2", "http/1.1"]}), std, impl)
    assert ref[0] == "ok", ref
    assert ref[1]["server"][0][1]["alpn"] == "h2"


@pytest.mark.parametrize("version", VERSIONS)
def test_server_resumption_with_gnutls_cli(std, impl, version):
    """gnutls-cli -r connects, then reconnects resuming with the ticket our
    server issued: both ends report a resumed session."""
    def handler(s):
        reused = s.session_reused
        try:
            s.sendall(b"hi\n")
            s.recv(100)
        except OSError:
            # gnutls-cli drops the first connection as soon as it has its
            # ticket, with or without close_notify: a matter of timing.
            pass
        return {"reused": reused}
    args = ["--priority", PRIORITY[version], "-r"]
    if version == "TLSv1.3":
        args.append("--waitresumption")
    ref = cu.check_same(lambda mod: serve_gnutls_cli(
        mod, *args, count=2, handler=handler, send=None), std, impl)
    assert ref[0] == "ok", ref
    reused = [o[1]["reused"] for o in ref[1]["server"] if o[0] == "ok"]
    assert reused == [False, True], ref
    assert ref[1]["cli_resumed"]


@pytest.mark.parametrize("with_cert", [True, False], ids=["cert", "no-cert"])
@pytest.mark.parametrize("version", VERSIONS)
def test_server_requires_gnutls_client_cert(std, impl, version, with_cert):
    args = ["--priority", PRIORITY[version]]
    if with_cert:
        args += ["--x509certfile", cu.CLIENT_CERT, "--x509keyfile", cu.CLIENT_KEY]

    def scenario(mod):
        try:
            return serve_gnutls_cli(mod, *args, server_kw={"cafile": cu.CA, "verify_mode": 2},
                                    send=b"ping\n" if with_cert else None)
        except AssertionError as exc:
            return "client gave up: %s" % str(exc).splitlines()[0][:60]
    ref = cu.check_same(scenario, std, impl)
    if with_cert:
        assert isinstance(ref[1], dict), ref
        assert ref[1]["server"][0][1]["peer"] == "sslmod test client", ref
    else:
        outcome = ref[1]["server"][0] if isinstance(ref[1], dict) else None
        assert outcome is None or outcome[0] == "raise", ref


def test_server_post_handshake_auth_with_gnutls_cli(std, impl):
    """TLS 1.3 post-handshake authentication, server side: our server asks
    for the certificate after the handshake (verify_client_post_handshake)
    and gnutls-cli --post-handshake-auth answers with its certificate."""
    def setup(ctx):
        ctx.post_handshake_auth = True
        ctx.verify_mode = 2
        ctx.load_verify_locations(cu.CA)

    def handler(s):
        line = recv_line(s)
        before = s.getpeercert()
        s.verify_client_post_handshake()
        s.sendall(line.upper())          # carries the CertificateRequest
        more = recv_line(s)              # the client's Certificate comes first
        s.sendall(more.upper())
        return {"before": before, "after": peer_name(s.getpeercert()), "more": more,
                "eof": s.recv(10)}

    def scenario(mod):
        sctx_args = ("--priority", PRIORITY["TLSv1.3"], "--post-handshake-auth",
                     "--x509certfile", cu.CLIENT_CERT, "--x509keyfile", cu.CLIENT_KEY)
        sctx = cu.server_context(mod)
        setup(sctx)
        with cu.Server(sctx, handler) as srv:
            with gu.gnutls_cli(srv.port, *sctx_args, certdir=CERTDIR) as (proc, out):
                out.wait_for(rb"- Handshake was completed")
                proc.stdin.write(b"one\n")
                proc.stdin.flush()
                out.wait_for(rb"ONE")
                proc.stdin.write(b"two\n")
                proc.stdin.flush()
                out.wait_for(rb"TWO")
                proc.stdin.close()
                out.until_exit()
        return srv.outcomes
    ref = cu.check_same(scenario, std, impl)
    assert ref[0] == "ok", ref
    (outcome,) = ref[1]
    assert outcome[0] == "ok", outcome
    assert outcome[1]["before"] is None or outcome[1]["before"] == {}
    assert outcome[1]["after"] == "sslmod test client"


@pytest.mark.parametrize("command,answered", [(b"^rekey1^", False), (b"^rekey^", True)],
                         ids=["update", "update-requested"])
def test_server_key_update_from_gnutls_cli(std, impl, command, answered):
    """TLS 1.3 key update started by the peer: gnutls-cli's inline command
    ``^rekey1^`` sends a KeyUpdate for its own keys only, ``^rekey^``
    one that asks for ours too.  Our server reads on with the new keys, answers the request with
    its own KeyUpdate (and only then), and the lines before and after
    arrive intact both ways."""
    def handler(s):
        lines = []
        for _ in range(3):
            line = recv_line(s)
            lines.append(line)
            s.sendall(line.upper())
        return {"lines": lines, "eof": s.recv(10)}

    def scenario(mod):
        sctx = cu.server_context(mod)
        seen = handshake_messages(sctx)
        args = ("--priority", PRIORITY["TLSv1.3"], "--inline-commands")
        with cu.Server(sctx, handler) as srv:
            with gu.gnutls_cli(srv.port, *args, certdir=CERTDIR) as (proc, out):
                out.wait_for(rb"- Handshake was completed")
                for line in (b"one\n", command + b"\n", b"two\n", b"three\n"):
                    proc.stdin.write(line)
                    proc.stdin.flush()
                    if not line.startswith(b"^"):
                        out.wait_for(re_escape(line.upper()))
                proc.stdin.close()
                out.until_exit()
        after = [m for m in seen if m[1] == KEY_UPDATE]
        return {"server": srv.outcomes, "key_updates": after}
    ref = cu.check_same(scenario, std, impl)
    assert ref[0] == "ok", ref
    (outcome,) = ref[1]["server"]
    assert outcome[0] == "ok", outcome
    assert outcome[1]["lines"] == [b"one\n", b"two\n", b"three\n"]
    assert outcome[1]["eof"] == b""
    updates = [tuple(m) for m in ref[1]["key_updates"]]
    assert ("read", KEY_UPDATE) in updates, updates
    assert (("write", KEY_UPDATE) in updates) == answered, updates


@pytest.mark.parametrize("version", VERSIONS)
def test_server_abrupt_close_by_gnutls_cli(std, impl, version):
    """gnutls-cli is killed after the reply (no close_notify): our server's
    recv() reports the ragged EOF as b"" (suppress_ragged_eofs default)."""
    ref = cu.check_same(lambda mod: serve_gnutls_cli(
        mod, "--priority", PRIORITY[version], kill=True), std, impl)
    assert ref[0] == "ok", ref
    outcome = ref[1]["server"][0]
    assert outcome[0] == "ok" and outcome[1]["eof"] == b"", outcome


# ---------------------------------------------------------------------------
# A malicious peer OpenSSL would not serve
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("verify", [True, False], ids=["verify", "no-verify"])
def test_CVE_2019_5010_empty_distribution_point_from_gnutls(std, impl, tmp_path, verify):
    """CVE-2019-5010 with the attack's real shape: the peer's certificate
    has a CRL distribution point with no distributionPoint (OpenSSL 3
    refuses to serve it, GnuTLS does not).  A verifying client refuses it
    as the stdlib does; a non-verifying one gets an empty getpeercert()
    and the certificate's bytes, and decoding those bytes gives what the
    stdlib's decoder gives: no NULL dereference anywhere."""
    import ssl as std_ssl
    import test_cve
    from cryptography import x509
    from cryptography.x509.oid import ExtensionOID
    chain, _ = test_cve.make_leaf(
        tmp_path, "emptydp", "localhost", sans=[x509.DNSName("localhost")],
        raw_extensions=[(ExtensionOID.CRL_DISTRIBUTION_POINTS,
                         test_cve.EMPTY_DP_VALUES["empty-point"])])

    def scenario(mod):
        with gu.gnutls_serv(leaf="emptydp", certdir=str(tmp_path)) as (p, port, o):
            ctx = cu.client_context(mod, verify=verify)
            with cu.connect(ctx, (gu.HOST, port)) as s:
                der = s.getpeercert(True)
                pem = tmp_path / ("peer-%s.pem" % mod.__name__)
                pem.write_text(std_ssl.DER_cert_to_PEM_cert(der))
                core = mod._ssl if hasattr(mod, "_ssl") else mod._sslmod
                return {"dict": s.getpeercert(), "decoded": core._test_decode_cert(str(pem))}
    ref = cu.check_same(scenario, std, impl)
    if verify:
        assert ref[1] == "SSLCertVerificationError", ref
    else:
        assert ref[0] == "ok", ref
        assert ref[1]["dict"] == {}
        assert ref[1]["decoded"]["subject"] == ((("commonName", "localhost"),),)
