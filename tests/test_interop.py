"""Client/server interoperability: every pairing of the implementation under
test with itself and with the interpreter's ssl, over loopback TCP, must see
exactly what a stdlib client and a stdlib server see."""
import pytest

import connutil as cu

PAIRINGS = ["impl-impl", "impl-client/std-server", "std-client/impl-server"]


@pytest.fixture(params=PAIRINGS)
def pairing(request, std, impl):
    """(client module, server module) for one pairing."""
    return {
        "impl-impl": (impl, impl),
        "impl-client/std-server": (impl, std),
        "std-client/impl-server": (std, impl),
    }[request.param]


def stable_view(s):
    """view() without the per-connection random parts."""
    v = cu.view(s)
    cb = v.pop("tls_unique")
    v["tls_unique"] = (type(cb).__name__, len(cb)) if isinstance(cb, bytes) else cb
    v["_tls_unique_raw"] = cb
    return v


def scenario(cmod, smod, *, version=None, server_key="server-rsa", calpn=None,
             salpn=None, client_cert=False, verify_mode=None):
    """Handshake, one echo, both ends' views.  Returns (client, server)."""
    skw = {}
    if verify_mode is not None:
        skw["verify_mode"] = getattr(smod, verify_mode)
        skw["cafile"] = cu.CA
    sctx = cu.server_context(smod, server_key, alpn=salpn, **skw)
    ckw = {}
    if client_cert:
        ckw = {"certfile": cu.CLIENT_CERT, "keyfile": cu.CLIENT_KEY}
    cctx = cu.client_context(cmod, alpn=calpn, **ckw)
    if version:
        for ctx, mod in ((sctx, smod), (cctx, cmod)):
            ctx.minimum_version = ctx.maximum_version = cu.tls(mod, version)

    def client(s):
        echoed = cu.ping(s)
        return echoed, stable_view(s)

    def server(s):
        got = cu.echo_once(s)
        return got, stable_view(s)

    return cu.run_pair(cctx, sctx, client, server)


def split_cb(outcomes):
    """Remove the raw tls-unique values, returning them separately."""
    raws = []
    for out in outcomes:
        if out[0] == "ok":
            raws.append(out[1][1].pop("_tls_unique_raw"))
        else:
            raws.append(None)
    return raws


def check(std, pairing, **kw):
    ref = scenario(std, std, **kw)
    got = scenario(*pairing, **kw)
    ref_cb = split_cb(ref)
    got_cb = split_cb(got)
    assert cu.comparable_shared_ciphers(got) == cu.comparable_shared_ciphers(ref)
    # tls-unique is random per connection, but both ends must agree on it.
    assert (got_cb[0] == got_cb[1]) == (ref_cb[0] == ref_cb[1])
    return got


@pytest.mark.parametrize("version", ["TLSv1_2", "TLSv1_3"])
@pytest.mark.parametrize("server_key", cu.SERVER_KEYS)
def test_handshake_and_echo(std, pairing, version, server_key):
    got = check(std, pairing, version=version, server_key=server_key)
    (ck, (echoed, cview)), (sk, (data, sview)) = got
    assert (ck, sk, echoed, data) == ("ok", "ok", b"PING", b"ping")
    assert cview["version"] == sview["version"] == version.replace("_", ".")
    assert cview["cipher"] == sview["cipher"]


def test_default_versions(std, pairing):
    got = check(std, pairing)
    assert got[0][1][1]["version"] == "TLSv1.3"


@pytest.mark.parametrize("calpn,salpn", [
    (["h2", "http/1.1"], ["http/1.1", "h2"]),
    (["http/1.1"], ["h2", "http/1.1"]),
    (["h2"], ["spdy/3"]),          # mismatch
    (["h2"], None),                 # server does not do ALPN
    (None, ["h2"]),                 # client does not offer ALPN
], ids=["match-client-order", "match", "mismatch", "server-none", "client-none"])
def test_alpn(std, pairing, calpn, salpn):
    check(std, pairing, calpn=calpn, salpn=salpn)


@pytest.mark.parametrize("version", ["TLSv1_2", "TLSv1_3"])
@pytest.mark.parametrize("verify_mode", ["CERT_NONE", "CERT_OPTIONAL", "CERT_REQUIRED"])
@pytest.mark.parametrize("client_cert", [True, False], ids=["with-cert", "no-cert"])
def test_client_certificates(std, pairing, version, verify_mode, client_cert):
    """The client does no I/O before reading, so a rejection reaches it as
    the server's alert rather than as a reset."""
    cmod, smod = pairing

    def run(cmod, smod):
        sctx = cu.server_context(smod, cafile=cu.CA, verify_mode=getattr(smod, verify_mode))
        ckw = {"certfile": cu.CLIENT_CERT, "keyfile": cu.CLIENT_KEY} if client_cert else {}
        cctx = cu.client_context(cmod, **ckw)
        for ctx, mod in ((sctx, smod), (cctx, cmod)):
            ctx.maximum_version = cu.tls(mod, version)

        def server(s):
            peer = s.getpeercert()
            s.sendall(b"hello")
            return peer

        return cu.run_pair(cctx, sctx, lambda s: s.recv(100), server)

    ref = run(std, std)
    got = run(cmod, smod)
    assert got == ref
    if verify_mode == "CERT_REQUIRED" and not client_cert:
        assert got[1][1] == "SSLError"
    elif verify_mode != "CERT_NONE" and client_cert:
        assert got[1][1]["subject"][-1] == (("commonName", "sslmod test client"),)


def post_handshake_auth(cmod, smod, *, client_pha=True, client_cert=True, version="TLSv1_3"):
    sctx = cu.server_context(smod, cafile=cu.CA, verify_mode=smod.CERT_REQUIRED)
    sctx.post_handshake_auth = True
    ckw = {"certfile": cu.CLIENT_CERT, "keyfile": cu.CLIENT_KEY} if client_cert else {}
    cctx = cu.client_context(cmod, **ckw)
    cctx.post_handshake_auth = client_pha
    for ctx, mod in ((sctx, smod), (cctx, cmod)):
        ctx.maximum_version = cu.tls(mod, version)

    def server(s):
        before = s.getpeercert()
        asked = cu.capture(s.verify_client_post_handshake)
        s.sendall(b"x")
        got = s.recv(10)
        return before, asked, got, s.getpeercert()

    def client(s):
        first = s.recv(10)
        s.sendall(b"y")
        return first, s.recv(10)

    return cu.run_pair(cctx, sctx, client, server)


@pytest.mark.parametrize("variant", ["ok", "client-without-pha", "tls12"])
def test_post_handshake_auth(std, pairing, variant):
    kw = {"ok": {}, "client-without-pha": {"client_pha": False},
          "tls12": {"version": "TLSv1_2"}}[variant]
    ref = post_handshake_auth(std, std, **kw)
    got = post_handshake_auth(*pairing, **kw)
    assert got == ref
    if variant == "ok":
        before, asked, data, after = got[1][1]
        assert before is None and asked == ("ok", None) and data == b"y"
        assert after["subject"][-1] == (("commonName", "sslmod test client"),)


def test_peer_certificates_agree(std, pairing):
    """Both ends see the same certificates: the client the server's leaf,
    the server the client's."""
    cmod, smod = pairing
    sctx = cu.server_context(smod, cafile=cu.CA, verify_mode=smod.CERT_REQUIRED)
    cctx = cu.client_context(cmod, certfile=cu.CLIENT_CERT, keyfile=cu.CLIENT_KEY)

    def mine(s):
        return s.getpeercert(True)

    (ck, cder), (sk, sder) = cu.run_pair(cctx, sctx, mine, mine)
    assert (ck, sk) == ("ok", "ok")
    with open(cu.certpath("server-rsa.pem")) as f:
        assert cder == std.PEM_cert_to_DER_cert(f.read())
    with open(cu.CLIENT_CERT) as f:
        assert sder == std.PEM_cert_to_DER_cert(f.read())


def test_many_connections_one_context(std, pairing):
    """A server context serves several clients in turn; a client context
    connects several times."""
    cmod, smod = pairing
    sctx = cu.server_context(smod)
    cctx = cu.client_context(cmod)
    with cu.Server(sctx, cu.echo_once, count=5) as srv:
        results = []
        for i in range(5):
            with cu.connect(cctx, srv.addr) as s:
                results.append(cu.ping(s, b"n%d" % i))
    assert results == [b"N%d" % i for i in range(5)]
    assert srv.outcomes == [("ok", b"n%d" % i) for i in range(5)]
