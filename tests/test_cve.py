"""Every CVE in the history of Python's ssl module, replayed against sslmod.

Each test is named after its CVE and says in its docstring what the attack
was.  Where today's stdlib handles the attack correctly, the test runs the
attack on both and asserts the same outcome (and checks that the outcome
is the safe one); where the stdlib of some supported version is itself
still vulnerable (CVE-2024-0397 before 3.11.10/3.12.4), the test asserts
only that sslmod is safe.

Certificates that tests/certs does not have (a served leaf with NUL bytes
in its name, CRL distribution points that are empty) are made at run time
with the ``cryptography`` package, signed by the test intermediate CA so
that the rest of the chain is the usual one.
"""
import datetime
import errno
import http.client
import os
import socket
import struct
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.request
import warnings

import pytest

import connutil as cu
from conftest import CERTS_DIR, same, stdlib_raises

pytest.register_assert_rewrite("clientutil")
import clientutil  # noqa: E402
from clientutil import stdlib_back_afterwards  # noqa: E402,F401  (fixture)

HERE = os.path.dirname(os.path.abspath(__file__))


# ---------------------------------------------------------------------------
# Certificates made at run time
# ---------------------------------------------------------------------------

def _crypto():
    """The cryptography modules the generator needs; their absence fails."""
    try:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import ExtendedKeyUsageOID, ExtensionOID, NameOID
    except ImportError as exc:
        pytest.fail("the 'cryptography' test extra is needed (pip install '.[test]'): %s"
                    % exc)
    return x509, hashes, serialization, ec, ExtendedKeyUsageOID, ExtensionOID, NameOID


def make_leaf(directory, stem, cn, sans=None, raw_extensions=()):
    """Write STEM-chain.pem and STEM.key into DIRECTORY: an ECDSA leaf for
    CN, issued by the test intermediate CA, with the x509 general names
    SANS and the extensions RAW_EXTENSIONS ((oid, DER value) pairs, put in
    as they are).  Returns (chain path, key path)."""
    x509, hashes, serialization, ec, EKU, _, NameOID = _crypto()
    with open(os.path.join(CERTS_DIR, "intermediate.pem"), "rb") as f:
        inter_pem = f.read()
    inter = x509.load_pem_x509_certificate(inter_pem)
    with open(os.path.join(CERTS_DIR, "intermediate.key"), "rb") as f:
        inter_key = serialization.load_pem_private_key(f.read(), None)
    key = ec.generate_private_key(ec.SECP256R1())
    builder = (x509.CertificateBuilder()
               .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
               .issuer_name(inter.subject)
               .public_key(key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(datetime.datetime(2020, 1, 1))
               .not_valid_after(datetime.datetime(2125, 1, 1))
               .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
               .add_extension(x509.ExtendedKeyUsage([EKU.SERVER_AUTH]), critical=False))
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    for oid, value in raw_extensions:
        builder = builder.add_extension(x509.UnrecognizedExtension(oid, value), critical=False)
    cert = builder.sign(inter_key, hashes.SHA256())
    chain = os.path.join(str(directory), stem + "-chain.pem")
    keyfile = os.path.join(str(directory), stem + ".key")
    with open(chain, "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM) + inter_pem)
    with open(keyfile, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM,
                                  serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    return chain, keyfile


def serve_and_connect(mod, chain, keyfile, hostname, *, check_hostname=True):
    """A MOD client (trusting the test CA) connects to a MOD server serving
    CHAIN/KEYFILE.  Returns what the client saw: its peer certificate, or
    raises the client's exception.  The server's own outcome is not part of the result (a
    rejected handshake ends it with an alert the client sent)."""
    sctx = cu.server_context(mod, chain, keyfile)
    cctx = cu.client_context(mod, check_hostname=check_hostname)
    with cu.Server(sctx, timeout=cu.TIMEOUT) as srv:
        raw = socket.create_connection(srv.addr, timeout=cu.TIMEOUT)
        spare = raw.dup()       # wrap_socket() takes RAW's fd over
        try:
            with cctx.wrap_socket(raw, server_hostname=hostname) as s:
                return s.getpeercert()
        finally:
            # A refused wrap_socket() leaves its half-made SSLSocket (and
            # the fd) to the exception's traceback: end the connection
            # now so that the server does not wait for its timeout.
            spare.shutdown(socket.SHUT_RDWR)
            spare.close()
            raw.close()


# ---------------------------------------------------------------------------
# CVE-2013-4238: NUL bytes in subjectAltName
# ---------------------------------------------------------------------------

NUL_DNS = "altnull.example.test\x00evil.example"


def test_CVE_2013_4238_decoder_keeps_the_nul_byte(core, std_core, certs):
    """CVE-2013-4238: the certificate decoder turned a subjectAltName into a
    C string, so "altnull.example.test\\0evil.example" came out as
    "altnull.example.test" and a CA that signed the longer (harmless) name
    could be used to impersonate the shorter one.  The decoder must keep
    every byte, in every SAN type and in the subject."""
    path = certs("nullbytes.pem")
    ref = same(lambda c: c._test_decode_cert(path), core, ref=std_core)
    decoded = ref[0][1]
    assert ("DNS", NUL_DNS) in decoded["subjectAltName"]
    assert ("email", "null@example.test\x00user@evil.example") in decoded["subjectAltName"]
    assert ("URI", "http://null.example.test\x00http://evil.example") in decoded["subjectAltName"]
    assert (("commonName", "null.example.test\x00evil.example"),) in decoded["subject"]


@pytest.mark.parametrize("hostname", ["altnull.example.test", "evil.example"])
def test_CVE_2013_4238_nul_san_never_matches_a_prefix(std, impl, tmp_path, hostname):
    """CVE-2013-4238, over a real handshake: a server presents a valid
    chain whose only DNS name is "altnull.example.test\\0evil.example".
    Neither the part before the NUL nor the part after it may pass the
    hostname check."""
    chain, key = make_leaf(tmp_path, "nulsan", "nul san leaf",
                           sans=[_crypto()[0].DNSName(NUL_DNS)])
    ref = cu.check_same(lambda mod: serve_and_connect(mod, chain, key, hostname), std, impl)
    assert ref[1] == "SSLCertVerificationError"
    assert dict(ref[3])["verify_code"] == 62    # X509_V_ERR_HOSTNAME_MISMATCH


def test_CVE_2013_4238_nul_san_is_reported_whole(std, impl, tmp_path):
    """CVE-2013-4238: what getpeercert() reports for such a peer must be the
    whole name with its NUL, so that an application doing its own checks
    is not fooled either."""
    chain, key = make_leaf(tmp_path, "nulsan", "nul san leaf",
                           sans=[_crypto()[0].DNSName(NUL_DNS)])
    ref = cu.check_same(lambda mod: serve_and_connect(mod, chain, key, "localhost",
                                                      check_hostname=False), std, impl)
    assert ref[0] == "ok"
    assert ref[1]["subjectAltName"] == (("DNS", NUL_DNS),)


def test_CVE_2013_4238_match_hostname(impl):
    """CVE-2013-4238 in the Python-level helper: match_hostname() on a
    decoded certificate with a NUL in its SAN must not match the prefix.
    sslmod.ssl keeps match_hostname on every interpreter; the stdlib
    dropped it in 3.12, so there it is checked against sslmod alone."""
    cert = {"subjectAltName": (("DNS", NUL_DNS),)}
    fn = getattr(impl, "match_hostname", None)
    if fn is None:
        assert impl.__name__ != "sslmod", "sslmod must keep match_hostname"
        assert sys.version_info >= (3, 12)
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        for hostname in ("altnull.example.test", "evil.example"):
            with pytest.raises(impl.CertificateError, match="doesn't match"):
                fn(cert, hostname)


# ---------------------------------------------------------------------------
# CVE-2013-2099: wildcard denial of service in match_hostname
# ---------------------------------------------------------------------------

WILDCARD_BOMBS = [
    # many wildcards in one label: the old regex backtracked exponentially
    "a*b*c*d*e*f*g*h*i*j*k*l*m*n*o*p*q*r*s*t*u*v*w*x*y*z*" * 4 + ".example.com",
    "*" * 5000 + ".example.com",
    ".".join(["*"] * 200) + ".example.com",
    "x*" * 2000 + "x.example.com",
]


@pytest.mark.parametrize("pattern", WILDCARD_BOMBS,
                         ids=["letters", "stars", "labels", "long"])
@pytest.mark.parametrize("where", ["subjectAltName", "commonName"])
def test_CVE_2013_2099_wildcard_dos(impl, pattern, where):
    """CVE-2013-2099: match_hostname() turned a certificate name with many
    '*' into a regular expression that took exponential time against a
    long host name, so a malicious certificate could hang the client.
    Such names must be refused (CertificateError), and quickly."""
    fn = getattr(impl, "match_hostname", None)
    if fn is None:
        assert impl.__name__ != "sslmod", "sslmod must keep match_hostname"
        assert sys.version_info >= (3, 12)
        return
    if where == "subjectAltName":
        cert = {"subjectAltName": (("DNS", pattern),)}
    else:
        cert = {"subject": ((("commonName", pattern),),)}
    hostname = "abcdefghijklmnopqrstuvwxyz" * 40 + "q.example.com"
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        with pytest.raises(impl.CertificateError):
            fn(cert, hostname)
    assert time.perf_counter() - t0 < 2.0


def test_CVE_2013_2099_wildcard_dos_same_as_stdlib(std, impl):
    """CVE-2013-2099, compared: where the interpreter still has
    match_hostname, sslmod refuses the same names with the same message."""
    if not hasattr(std, "match_hostname"):
        # 3.12+: only sslmod has it; the test above covers it.
        assert hasattr(impl, "match_hostname") or impl.__name__ != "sslmod"
        return
    hostname = "abcdefghijklmnopqrstuvwxyz" * 40 + "q.example.com"

    def scenario(mod):
        out = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            for pattern in WILDCARD_BOMBS:
                try:
                    mod.match_hostname({"subjectAltName": (("DNS", pattern),)}, hostname)
                    out.append("matched")
                except mod.CertificateError as exc:
                    out.append(str(exc))
        return out
    ref = same(scenario, impl)
    assert "matched" not in ref[0][1]


def test_CVE_2013_2099_wildcard_cert_in_handshake(std, impl, tmp_path):
    """CVE-2013-2099 over a real handshake: a server presents a valid
    chain whose DNS name is a wildcard bomb.  The client refuses it (the
    hostname check is OpenSSL's X509_check_host in both) within the
    test's time bound."""
    bomb = "a*b*c*d*e*f*g*h*i*j*k*l*m*n*o*p*q*r*s*t*u*v*w*x*y*z*.example.com"
    chain, key = make_leaf(tmp_path, "bomb", "wildcard bomb",
                           sans=[_crypto()[0].DNSName(bomb)])
    hostname = "abcdefghijklmnopqrstuvwxyz" * 2 + ".example.com"
    t0 = time.perf_counter()
    ref = cu.check_same(lambda mod: serve_and_connect(mod, chain, key, hostname), std, impl)
    assert ref[1] == "SSLCertVerificationError"
    assert time.perf_counter() - t0 < 2 * cu.TIMEOUT


# ---------------------------------------------------------------------------
# CVE-2014-9365: the stdlib's HTTPS clients did not verify certificates
# ---------------------------------------------------------------------------

def test_CVE_2014_9365_default_context_verifies(impl):
    """CVE-2014-9365 (PEP 476): HTTPS clients did no certificate or host
    name checks by default.  create_default_context() must ask for both,
    on every implementation, the way the stdlib does."""
    def scenario(mod):
        ctx = mod.create_default_context()
        return (ctx.verify_mode, ctx.check_hostname, ctx.protocol,
                ctx.minimum_version)
    ref = same(scenario, impl)
    assert ref[0][1][:2] == (("enum", "VerifyMode", 2), True)


def _selfsigned_context():
    ref = clientutil.REF.ssl
    ctx = ref.SSLContext(ref.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(clientutil.cert("selfsigned.pem"), clientutil.cert("selfsigned.key"))
    return ctx


@pytest.fixture
def trust_ca(monkeypatch, tmp_path):
    """The default trust store is our test CA only (SSL_CERT_FILE/DIR)."""
    monkeypatch.setenv("SSL_CERT_FILE", clientutil.cert("ca.pem"))
    monkeypatch.setenv("SSL_CERT_DIR", str(tmp_path))


@pytest.fixture
def injected(request):
    return clientutil.make_runner(request, "inject")


@pytest.fixture(params=["selfsigned", "wrong-host"])
def bad_https(request):
    ctx = (_selfsigned_context() if request.param == "selfsigned"
           else cu.server_context(clientutil.REF.ssl, "wrong-host"))
    with clientutil.HTTPSServer(context=ctx) as server:
        yield request.param, server


EXPECTED_VERIFY_CODE = {"selfsigned": 18,     # X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT
                        "wrong-host": 62}     # X509_V_ERR_HOSTNAME_MISMATCH


def _root(exc):
    while isinstance(getattr(exc, "reason", None), BaseException):
        exc = exc.reason
    return exc


def test_CVE_2014_9365_urlopen_refuses_bad_server(injected, trust_ca, bad_https):
    """CVE-2014-9365: urllib.request.urlopen() with no context of its own
    (so the default one, which inject() makes sslmod's) against a server
    with a self-signed or wrong-host certificate must fail verification,
    exactly as on the stdlib."""
    kind, server = bad_https

    def scenario(env):
        urllib.request.install_opener(None)
        try:
            urllib.request.urlopen(server.url(), timeout=clientutil.TIMEOUT).close()
        except urllib.error.URLError as exc:
            return clientutil.exc_report(exc)
        finally:
            urllib.request.install_opener(None)
        return "fetched without complaint"
    result = injected.check(scenario)
    assert result["reason"]["type"] == "SSLCertVerificationError"
    assert result["reason"]["verify_code"] == EXPECTED_VERIFY_CODE[kind]


def test_CVE_2014_9365_http_client_refuses_bad_server(injected, trust_ca, bad_https):
    """CVE-2014-9365: http.client.HTTPSConnection with its default context
    must refuse a self-signed or wrong-host server."""
    kind, server = bad_https

    def scenario(env):
        conn = http.client.HTTPSConnection("localhost", server.port,
                                           timeout=clientutil.TIMEOUT)
        try:
            conn.request("GET", "/")
        except clientutil.REF.ssl.SSLError as exc:
            return clientutil.exc_report(exc)
        finally:
            conn.close()
        return "request sent without complaint"
    result = injected.check(scenario)
    assert result["type"] == "SSLCertVerificationError"
    assert result["verify_code"] == EXPECTED_VERIFY_CODE[kind]


def test_CVE_2014_9365_explicit_default_context_refuses_bad_server(std, impl, bad_https):
    """CVE-2014-9365 without inject(): impl.create_default_context() handed
    to http.client explicitly refuses the bad server too."""
    kind, server = bad_https

    def scenario(mod):
        ctx = mod.create_default_context(cafile=clientutil.cert("ca.pem"))
        conn = http.client.HTTPSConnection("localhost", server.port, context=ctx,
                                           timeout=clientutil.TIMEOUT)
        try:
            conn.request("GET", "/")
            return "request sent without complaint"
        finally:
            conn.close()
    ref = cu.check_same(scenario, std, impl)
    assert ref[1] == "SSLCertVerificationError"
    assert dict(ref[3])["verify_code"] == EXPECTED_VERIFY_CODE[kind]


# ---------------------------------------------------------------------------
# CVE-2019-5010: NULL dereference on an empty CRL distribution point
# ---------------------------------------------------------------------------

# DER values of a crlDistributionPoints extension (RFC 5280 4.2.1.13).
EMPTY_DP_VALUES = {
    # SEQUENCE OF { DistributionPoint ::= SEQUENCE {} }: no distributionPoint,
    # no reasons, no cRLIssuer: the Talos-2019-0758 certificate
    "empty-point": bytes.fromhex("3002" "3000"),
    # a point with only reasons (BIT STRING [1]): still no distributionPoint
    "reasons-only": bytes.fromhex("3006" "3004" "8102" "0560"),
    # an empty point, then a normal one with a URI
    "empty-then-uri": bytes.fromhex("3023" "3000")
                      + bytes.fromhex("301f" "a01d" "a01b" "8619")
                      + b"http://crl.example.test/c",
    # a fullName that is an empty list of GeneralNames
    "empty-fullname": bytes.fromhex("3006" "3004" "a002" "a000"),
    # the extension value is an empty SEQUENCE OF
    "no-points": bytes.fromhex("3000"),
}


@pytest.fixture(params=sorted(EMPTY_DP_VALUES))
def empty_dp_leaf(request, tmp_path):
    oid = _crypto()[5].CRL_DISTRIBUTION_POINTS
    chain, key = make_leaf(tmp_path, "emptydp", "localhost",
                           sans=[_crypto()[0].DNSName("localhost")],
                           raw_extensions=[(oid, EMPTY_DP_VALUES[request.param])])
    return request.param, chain, key


def test_CVE_2019_5010_empty_distribution_point_decode(core, std_core, empty_dp_leaf):
    """CVE-2019-5010: a certificate whose crlDistributionPoints holds a
    point with no distributionPoint field made the decoder dereference a
    NULL pointer (crash on getpeercert() of a malicious peer).  Decoding it
    must give what the stdlib gives, with or without a URI."""
    kind, chain, _ = empty_dp_leaf
    ref = same(lambda c: c._test_decode_cert(chain), core, ref=std_core)
    if kind == "empty-then-uri":
        assert ref[0][1]["crlDistributionPoints"] == ("http://crl.example.test/c",)


def test_CVE_2019_5010_empty_distribution_point_peer(std, impl, empty_dp_leaf):
    """CVE-2019-5010 as the attack ran: the certificate comes from the peer
    in a handshake and the client calls getpeercert().  OpenSSL 3 itself
    refuses to serve the variants without a distributionPoint (X509V3
    INVALID_CERTIFICATE from load_cert_chain); the others are served, and
    the client decodes them as the stdlib does."""
    kind, chain, key = empty_dp_leaf
    ref = cu.check_same(lambda mod: serve_and_connect(mod, chain, key, "localhost"),
                        std, impl)
    if kind in ("empty-fullname", "no-points"):
        assert ref[0] == "ok", ref
        assert ref[1]["subjectAltName"] == (("DNS", "localhost"),)
    else:
        assert ref[1:3] == ("SSLError", "[X509V3: INVALID_CERTIFICATE] invalid certificate")


def test_CVE_2019_5010_allsans_points_without_full_name(core, std_core, certs):
    """CVE-2019-5010 with the committed certificate: allsans.pem has two
    distribution points that name only a cRLIssuer or a relative name."""
    ref = same(lambda c: c._test_decode_cert(certs("allsans.pem")), core, ref=std_core)
    assert ref[0][1]["crlDistributionPoints"] == (
        "http://crl.example.test/a.crl", "http://crl2.example.test/a.crl")


# ---------------------------------------------------------------------------
# CVE-2023-40217: data before the handshake on a socket closed right away
# ---------------------------------------------------------------------------

PLAINTEXT = b"GET /account HTTP/1.0\r\nAuthorization: forged\r\n\r\n"


def _preauth_scenario(abort, handshake_on_connect):
    """A peer connects, sends PLAINTEXT without any TLS, and closes (with
    an RST when ABORT) before the server wraps the accepted socket."""
    def scenario(mod):
        sctx = cu.server_context(mod)
        with cu.listener() as lst:
            peer = socket.create_connection(lst.getsockname(), timeout=cu.TIMEOUT)
            conn, _ = lst.accept()
            peer.sendall(PLAINTEXT)
            if abort:
                peer.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                struct.pack("ii", 1, 0))
            peer.close()
            if abort:
                # The RST is processed by the time close() returns on
                # loopback; wait for it all the same, boundedly.
                deadline = time.monotonic() + cu.TIMEOUT
                while time.monotonic() < deadline:
                    try:
                        conn.getpeername()
                    except OSError:
                        break
                    time.sleep(0.01)
            conn.settimeout(cu.TIMEOUT)
            with conn:
                s = sctx.wrap_socket(conn, server_side=True,
                                     do_handshake_on_connect=handshake_on_connect)
                with s:
                    return ("read", s.recv(1024))
    return scenario


@pytest.mark.parametrize("handshake_on_connect", [True, False], ids=["auto", "manual"])
@pytest.mark.parametrize("abort", [True, False], ids=["rst", "fin"])
def test_CVE_2023_40217_preauth_data_not_readable(std, impl, abort, handshake_on_connect):
    """CVE-2023-40217: a client sent data and closed the connection before
    the server wrapped the accepted socket.  wrap_socket() then saw an
    unconnected socket, skipped the handshake, and recv() handed back the
    client's cleartext as if it had arrived over authenticated TLS.
    The cleartext must never be returned: wrapping or reading fails."""
    scenario = _preauth_scenario(abort, handshake_on_connect)
    ref = cu.check_same(scenario, std, impl)
    assert ref[0] == "raise", ref
    assert PLAINTEXT not in repr(ref).encode()
    if abort:
        assert ref[1] == "SSLError"
        assert dict(ref[3])["errno"] == errno.ENOTCONN


# ---------------------------------------------------------------------------
# CVE-2024-0397: cert_store_stats/get_ca_certs racing load_verify_locations
# ---------------------------------------------------------------------------

STORE_RACE = textwrap.dedent("""
    import sys, threading, time
    sys.path.insert(0, {tests!r})
    import conftest
    ssl = conftest.load_impl({impl!r})
    bundle = {bundle!r}
    expected = len(ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).get_ca_certs())
    probe = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    probe.load_verify_locations(bundle)
    total = len(probe.get_ca_certs())
    current = [probe]
    stop = threading.Event()
    problems = []
    walks = [0]

    def walker():
        while not stop.is_set():
            ctx = current[0]
            try:
                n1 = ctx.cert_store_stats()["x509"]
                certs = ctx.get_ca_certs()
                ders = ctx.get_ca_certs(True)
                n2 = ctx.cert_store_stats()["x509"]
            except Exception as exc:
                problems.append(repr(exc))
                continue
            walks[0] += 1
            # counts only grow while one load runs, and never beyond the bundle
            if not (0 <= n1 <= n2 <= total) or len(certs) > total or len(ders) > total:
                problems.append((n1, len(certs), len(ders), n2, total))
            for c in certs:
                if "subject" not in c:
                    problems.append(("bad cert dict", sorted(c)))

    threads = [threading.Thread(target=walker, daemon=True) for _ in range(3)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + {seconds}
    loads = 0
    while time.monotonic() < deadline:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        current[0] = ctx
        ctx.load_verify_locations(bundle)
        loads += 1
        if len(ctx.get_ca_certs()) != total:
            problems.append(("after load", len(ctx.get_ca_certs()), total))
    stop.set()
    for t in threads:
        t.join(30)
        if t.is_alive():
            problems.append("walker did not stop")
    print("loads", loads, "walks", walks[0], "total", total)
    print("problems", problems[:5])
    sys.exit(1 if problems or not loads or not walks[0] else 0)
""")


def run_child(code, timeout=90):
    """Run CODE in a fresh interpreter (sslmod found as in this process).
    A crash shows as a negative return code, not as a dead test run."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in [HERE] + sys.path if p)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True,
                          text=True, timeout=timeout, env=env, cwd=HERE)
    return proc


def _big_bundle(tmp_path):
    """A CA bundle of a few hundred certificates (the system bundle, or the
    test CAs repeated when there is none), so that each load takes long
    enough for the walkers to catch it half-way."""
    import ssl as std_ssl
    system = std_ssl.get_default_verify_paths().openssl_cafile
    path = tmp_path / "bundle.pem"
    with open(path, "wb") as out:
        if system and os.path.exists(system):
            with open(system, "rb") as f:
                out.write(f.read())
        else:
            x509, _, serialization, ec, _, _, NameOID = _crypto()
            from cryptography.hazmat.primitives import hashes
            for i in range(150):
                key = ec.generate_private_key(ec.SECP256R1())
                n = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "bundle CA %d" % i)])
                cert = (x509.CertificateBuilder().subject_name(n).issuer_name(n)
                        .public_key(key.public_key()).serial_number(i + 1)
                        .not_valid_before(datetime.datetime(2020, 1, 1))
                        .not_valid_after(datetime.datetime(2125, 1, 1))
                        .add_extension(x509.BasicConstraints(ca=True, path_length=None),
                                       critical=True)
                        .sign(key, hashes.SHA256()))
                out.write(cert.public_bytes(serialization.Encoding.PEM))
    return str(path)


def test_CVE_2024_0397_store_stats_race(impl_name, tmp_path):
    """CVE-2024-0397: cert_store_stats() and get_ca_certs() walked the
    X509_STORE's object list without the store lock while another thread's
    load_verify_locations() (run without the GIL) was adding to it: a use
    of freed memory, a crash, or wrong counts.  Three walker threads read
    the store of the context being loaded, over and over: the process must
    survive, every walk must see a consistent count, and every load must
    end with the whole bundle.  Run in a child process so that a crash is
    a failure, not the end of the test run.  (The stdlib itself is not run:
    3.9.18, 3.10.13, 3.11.7 and 3.12.1 predate its fix.)"""
    code = STORE_RACE.format(tests=HERE, impl=impl_name, bundle=_big_bundle(tmp_path),
                             seconds=4)
    proc = run_child(code)
    assert proc.returncode == 0, "rc %d\n%s%s" % (proc.returncode, proc.stdout, proc.stderr[-3000:])


# ---------------------------------------------------------------------------
# CVE-2024-5642: empty protocol list for NPN/ALPN
# ---------------------------------------------------------------------------

def test_CVE_2024_5642_empty_alpn_list_setter(impl):
    """CVE-2024-5642: an empty protocol list handed to the NPN/ALPN
    selection made OpenSSL read past the end of the buffer.  Setting an
    empty list must behave as on the stdlib."""
    def scenario(mod):
        ctx = mod.SSLContext(mod.PROTOCOL_TLS_CLIENT)
        return ctx.set_alpn_protocols([])
    same(scenario, impl)


def test_CVE_2024_5642_empty_npn_list_setter(impl):
    """CVE-2024-5642 for NPN, whose selection callback was where the
    over-read happened: set_npn_protocols([]) does what the stdlib does
    (a DeprecationWarning, and whatever HAS_NPN implies)."""
    def scenario(mod):
        ctx = mod.SSLContext(mod.PROTOCOL_TLS_CLIENT)
        return mod.HAS_NPN, ctx.set_npn_protocols([])
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        raised = stdlib_raises(lambda mod: mod.SSLContext(
            mod.PROTOCOL_TLS_CLIENT).set_npn_protocols([]))
    # deprecated (with a warning) from 3.10 on
    same(scenario, impl, raises=raised,
         warns="DeprecationWarning" if sys.version_info >= (3, 10) else None)


@pytest.mark.parametrize("client,server", [
    ([], ["h2", "http/1.1"]),
    (["h2", "http/1.1"], []),
    ([], []),
    (["h2"], ["http/1.1"]),
], ids=["client-empty", "server-empty", "both-empty", "disjoint"])
def test_CVE_2024_5642_empty_alpn_handshake(std, impl, client, server):
    """CVE-2024-5642 in a handshake: with an empty list on either side (or
    no protocol in common) no protocol is selected, nobody reads out of
    bounds, and the handshake result is the stdlib's."""
    def scenario(mod):
        sctx = cu.server_context(mod, alpn=server)
        cctx = cu.client_context(mod, alpn=client)
        pair = cu.BioPair(mod, cctx, mod, sctx)
        outcome = pair.handshake()
        result = {"outcome": outcome}
        if outcome == (("ok", None), ("ok", None)):
            result["alpn"] = (pair.client.selected_alpn_protocol(),
                              pair.server.selected_alpn_protocol())
        return result
    ref = cu.check_same(scenario, std, impl)
    assert ref[0] == "ok"
    if "alpn" in ref[1]:
        assert ref[1]["alpn"] == (None, None)


# ---------------------------------------------------------------------------
# CVE-2018-8970 and relatives: host names that switch the check off
# ---------------------------------------------------------------------------

BAD_HOSTNAMES = {
    "empty": "",
    "empty-bytes": b"",
    "leading-dot": ".localhost",
    "nul-middle": "localhost\x00.evil.example",
    "nul-end": "localhost\x00",
    "nul-bytes": b"localhost\x00evil",
    "nul-only": "\x00",
}


@pytest.mark.parametrize("kind", sorted(BAD_HOSTNAMES))
@pytest.mark.parametrize("how", ["wrap_bio", "wrap_socket"])
def test_CVE_2018_8970_bad_server_hostname(std, impl, kind, how):
    """CVE-2018-8970 (LibreSSL): a zero-length host name given to
    X509_VERIFY_PARAM_set1_host() turned the host name check off, so any
    valid certificate was accepted.  Python's own relatives are an empty
    server_hostname and one with an embedded NUL (which C would cut
    short).  Each must be refused when the connection is made, as the
    stdlib refuses it, never passed on to OpenSSL."""
    hostname = BAD_HOSTNAMES[kind]

    def scenario(mod):
        ctx = mod.SSLContext(mod.PROTOCOL_TLS_CLIENT)
        ctx.load_verify_locations(cu.CA)
        if how == "wrap_bio":
            obj = ctx.wrap_bio(mod.MemoryBIO(), mod.MemoryBIO(), server_hostname=hostname)
            return obj.server_hostname
        a, b = socket.socketpair()
        with a, b:
            # connected, so that the TLS object is made at wrap time
            with ctx.wrap_socket(a, server_hostname=hostname,
                                 do_handshake_on_connect=False) as s:
                return s.server_hostname
    # cu.check_same, not same(): the SSLSocket half-made by a refused
    # wrap_socket() is reported unclosed by a ResourceWarning naming its
    # module, which differs.
    ref = cu.check_same(scenario, std, impl)
    assert ref[0] == "raise" and ref[1] in ("ValueError", "TypeError", "UnicodeError",
                                            "UnicodeEncodeError"), ref   # 3.13: Encode


@pytest.mark.parametrize("hostname", ["localhost\x00.evil.example", "",
                                      "wrong.example\x00localhost"])
def test_CVE_2018_8970_never_matches_in_handshake(std, impl, hostname):
    """CVE-2018-8970, end to end: with a valid localhost chain on the
    server, a client given an empty host name or one with a NUL must not
    complete a verified connection."""
    chain, key = cu.leaf("server-rsa")
    ref = cu.check_same(lambda mod: serve_and_connect(mod, chain, key, hostname), std, impl)
    assert ref[0] == "raise"
    assert ref[1] in ("ValueError", "TypeError")


def test_CVE_2018_8970_check_hostname_without_name(std, impl):
    """CVE-2018-8970: check_hostname with no server_hostname at all must
    be refused up front by wrap_socket(), not run with an empty name."""
    def scenario(mod):
        a, b = socket.socketpair()
        with a, b:
            return cu.client_context(mod).wrap_socket(a, do_handshake_on_connect=False)
    same(scenario, impl, raises="ValueError")


@pytest.mark.parametrize("leaf", ["wrong-host", "server-rsa", "selfsigned"])
def test_CVE_2018_8970_wrap_bio_without_name(std, impl, leaf):
    """CVE-2018-8970's shape in the stdlib's own API: wrap_bio() (unlike
    wrap_socket()) accepts check_hostname=True with no server_hostname and
    then checks no name at all, so a wrong-host certificate from a trusted
    CA is accepted; only the chain is verified.  sslmod behaves exactly as
    the stdlib here (a conformance choice, recorded by this test): the
    chain is still verified (self-signed fails), the name is not."""
    def scenario(mod):
        if leaf == "selfsigned":
            sctx = mod.SSLContext(mod.PROTOCOL_TLS_SERVER)
            sctx.load_cert_chain(cu.certpath("selfsigned.pem"), cu.certpath("selfsigned.key"))
        else:
            sctx = cu.server_context(mod, leaf)
        pair = cu.BioPair(mod, cu.client_context(mod), mod, sctx, hostname=None)
        return pair.handshake()[0]
    ref = cu.check_same(scenario, std, impl)
    if leaf == "selfsigned":
        assert ref[1][1] == "SSLCertVerificationError"
    else:
        assert ref[1] == ("ok", None)
