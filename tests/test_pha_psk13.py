"""HAS_PHA (Python 3.14) and HAS_PSK_TLS13 (Python 3.15), offered on every
interpreter (issue 9), and proof that what they announce works, with the
openssl command-line tool as the peer in both directions: TLS 1.3
post-handshake client authentication, and TLS 1.3 external PSKs through
the PSK callbacks."""
import pytest

import connutil as cu
from conftest import beyond_stdlib

pytestmark = pytest.mark.skipif(cu.OPENSSL is None, reason="the openssl CLI is not installed")


@pytest.fixture(autouse=True)
def _sslmod_only(request):
    """In the suite's self-check mode (SSLMOD_TEST_IMPLS=stdlib,...) the
    interpreter's ssl has none of this: say so instead of failing."""
    if "impl_name" in request.fixturenames:
        beyond_stdlib(request.getfixturevalue("impl_name"),
                      "HAS_PHA/HAS_PSK_TLS13 are sslmod's on this interpreter (issue 9)")

PSK = bytes.fromhex("a1b2c3d4e5f60718293a4b5c6d7e8f90")


def test_flags(core):
    import sslmod
    for mod in (core, sslmod):
        assert mod.HAS_PHA is True
        assert mod.HAS_PSK_TLS13 is True


# ---- HAS_PHA ----------------------------------------------------------------------

def test_pha_server_asks_s_client(impl):
    sctx = cu.server_context(impl, cafile=cu.CA, verify_mode=impl.CERT_OPTIONAL)
    sctx.post_handshake_auth = True

    def handler(s):
        before = s.getpeercert()
        s.verify_client_post_handshake()
        s.sendall(b"send your certificate\n")
        line = s.recv(100)       # s_client answers the request, then sends this
        return before, line, s.getpeercert()["subject"][-1]

    with cu.Server(sctx, handler) as srv:
        with cu.openssl_s_client(srv.port, "-servername", "localhost", "-CAfile", cu.CA,
                                 "-enable_pha", "-cert", cu.CLIENT_CERT, "-key",
                                 cu.CLIENT_KEY, "-tls1_3", "-brief") as proc:
            cu._read_until(proc, "send your certificate")
            proc.stdin.write(b"ping\n")
            proc.stdin.flush()
            cu.read_all(proc)
    assert srv.outcome == ("ok", (None, b"ping\n", (("commonName", "sslmod test client"),)))


def test_pha_client_answers_s_server(impl):
    # `s_server` asks for a certificate after the handshake when told "c" on
    # its stdin; our client answers while reading, and s_server verifies it.
    cert, key = cu.certpath("server-rsa.pem"), cu.certpath("server-rsa.key")
    cctx = cu.client_context(impl, certfile=cu.CLIENT_CERT, keyfile=cu.CLIENT_KEY)
    cctx.post_handshake_auth = True
    with cu.openssl_s_server("-cert", cert, "-key", key, "-cert_chain",
                             cu.certpath("intermediate.pem"), "-tls1_3", "-verify", "1",
                             "-CAfile", cu.CA, "-verify_return_error") as (proc, port):
        with cu.connect(cctx, (cu.HOST, port)) as s:
            s.sendall(b"hello\n")
            cu._read_until(proc, "hello")
            proc.stdin.write(b"c\n")
            proc.stdin.flush()
            s.settimeout(0.5)
            for attempt in range(20):
                try:
                    s.recv(100)          # processes the CertificateRequest
                except (TimeoutError, OSError):
                    pass
                s.sendall(b"tick %d\n" % attempt)
                m = cu._read_until(proc, r"CN = sslmod test client|tick %d" % attempt)
                if "sslmod test client" in m.group(0):
                    break
            else:
                raise AssertionError("s_server never got our certificate")


# ---- HAS_PSK_TLS13 ------------------------------------------------------------------

def test_psk_tls13_client_to_s_server(impl):
    cctx = impl.SSLContext(impl.PROTOCOL_TLS_CLIENT)
    cctx.check_hostname = False
    cctx.verify_mode = impl.CERT_NONE
    cctx.minimum_version = impl.TLSVersion.TLSv1_3
    cctx.set_psk_client_callback(lambda hint: ("client-id", PSK))
    with cu.openssl_s_server("-nocert", "-psk", PSK.hex(), "-psk_identity", "client-id",
                             "-tls1_3", "-rev") as (proc, port):
        with cu.connect(cctx, (cu.HOST, port)) as s:
            s.sendall(b"hello\n")
            back = cu.recv_exactly(s, 6)
            assert (back, s.version(), s.session_reused) == (b"olleh\n", "TLSv1.3", True)


def test_psk_tls13_server_to_s_client(impl):
    seen = []
    sctx = impl.SSLContext(impl.PROTOCOL_TLS_SERVER)
    sctx.minimum_version = impl.TLSVersion.TLSv1_3

    def server_cb(identity):
        seen.append(identity)
        return PSK
    sctx.set_psk_server_callback(server_cb)

    def handler(s):
        line = s.recv(100)
        s.sendall(b"pong\n")
        return s.version(), s.session_reused, line

    with cu.Server(sctx, handler) as srv:
        with cu.openssl_s_client(srv.port, "-psk", PSK.hex(), "-psk_identity", "client-id",
                                 "-tls1_3", "-brief") as proc:
            proc.stdin.write(b"ping\n")
            proc.stdin.flush()
            out = cu.read_all(proc)
    assert srv.outcome == ("ok", ("TLSv1.3", True, b"ping\n"))
    assert seen == ["client-id"]
    assert b"pong" in out
