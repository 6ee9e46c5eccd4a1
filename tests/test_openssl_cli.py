"""The implementation against the openssl command-line tool: `openssl
s_server` as the peer of our client, `openssl s_client` as the peer of our
server.  What our side observes must be what the stdlib observes."""
import re

import pytest

import connutil as cu

pytestmark = pytest.mark.skipif(cu.OPENSSL is None, reason="the openssl CLI is not installed")


def against_s_server(mod, *server_args, client_kw=None, hostname="localhost",
                     payload=b"hello openssl\n"):
    """Connect a MOD client to `s_server -rev` (it echoes lines reversed)."""
    cert, key = cu.certpath("server-rsa.pem"), cu.certpath("server-rsa.key")
    with cu.openssl_s_server("-cert", cert, "-key", key, "-cert_chain",
                             cu.certpath("intermediate.pem"), "-rev",
                             *server_args) as (proc, port):
        cctx = cu.client_context(mod, **(client_kw or {}))
        with cu.connect(cctx, (cu.HOST, port), hostname) as s:
            s.sendall(payload)
            back = b""
            while not back.endswith(b"\n"):
                data = s.recv(100)
                if not data:
                    break
                back += data
            return {"back": back, "version": s.version(), "cipher": s.cipher(),
                    "alpn": s.selected_alpn_protocol(),
                    "peer_subject": s.getpeercert()["subject"]}


@pytest.mark.parametrize("args", [
    (), ("-tls1_2",), ("-tls1_3",), ("-alpn", "h2,http/1.1"),
    ("-cipher", "ECDHE-RSA-AES128-GCM-SHA256", "-tls1_2"),
    ("-ciphersuites", "TLS_CHACHA20_POLY1305_SHA256"),
], ids=["default", "tls12", "tls13", "alpn", "tls12-cipher", "tls13-suite"])
def test_client_against_s_server(std, impl, args):
    kw = {"alpn": ["http/1.1"]} if "-alpn" in args else None
    ref = cu.check_same(lambda mod: against_s_server(mod, *args, client_kw=kw), std, impl)
    assert ref[1]["back"] == b"lssnepo olleh\n"


def test_client_cert_to_s_server(std, impl):
    kw = {"certfile": cu.CLIENT_CERT, "keyfile": cu.CLIENT_KEY}
    ref = cu.check_same(lambda mod: against_s_server(
        mod, "-Verify", "1", "-CAfile", cu.CA, "-verify_return_error", client_kw=kw),
        std, impl)
    assert ref[0] == "ok"


def test_missing_client_cert_to_s_server(std, impl):
    def scenario(mod):
        return against_s_server(mod, "-Verify", "1", "-CAfile", cu.CA,
                                "-verify_return_error", "-tls1_2")
    ref = cu.check_same(scenario, std, impl)
    assert ref[0] == "raise"


def test_wrong_host_against_s_server(std, impl):
    ref = cu.check_same(lambda mod: against_s_server(mod, hostname="other.example"),
                        std, impl)
    assert ref[1] == "SSLCertVerificationError"


BRIEF = re.compile(rb"^(?:Protocol version|Ciphersuite|Verification|Requested Signature"
                   rb" Algorithms|Peer signature type|Server Temp Key)[^\n]*", re.M)


def s_client_session(mod, *client_args, server_kw=None, reply=b"pong\n"):
    """Serve one `openssl s_client` connection with a MOD server."""
    sctx = cu.server_context(mod, **(server_kw or {}))

    def handler(s):
        line = b""
        while not line.endswith(b"\n"):
            data = s.recv(100)
            if not data:
                break
            line += data
        s.sendall(reply)
        info = (s.version(), s.cipher(), s.selected_alpn_protocol(),
                s.getpeercert())
        s.unwrap()
        return line, info

    with cu.Server(sctx, handler) as srv:
        with cu.openssl_s_client(srv.port, "-servername", "localhost", "-CAfile", cu.CA,
                                 "-verify_return_error", "-brief", "-no_ign_eof",
                                 *client_args) as proc:
            proc.stdin.write(b"ping\n")
            proc.stdin.flush()
            output = cu.read_all(proc)
            rc = proc.wait(cu.TIMEOUT)
    return {"server": srv.outcome, "client_lines": sorted(BRIEF.findall(output)),
            "got_reply": reply in output, "rc": rc,
            "verify": [m for m in output.splitlines() if m.startswith(b"Verification")]}


@pytest.mark.parametrize("args", [
    (), ("-tls1_2",), ("-tls1_3",), ("-alpn", "h2"),
    ("-cert", cu.CLIENT_CERT, "-key", cu.CLIENT_KEY),
], ids=["default", "tls12", "tls13", "alpn", "client-cert"])
def test_server_against_s_client(std, impl, args):
    server_kw = {}
    if "-alpn" in args:
        server_kw["alpn"] = ["http/1.1", "h2"]
    if "-cert" in args:
        server_kw.update(cafile=cu.CA, verify_mode=2)
    ref = cu.check_same(lambda mod: s_client_session(mod, *args, server_kw=server_kw),
                        std, impl)
    assert ref[1]["server"][0] == "ok"
    assert ref[1]["server"][1][0] == b"ping\n"
    assert ref[1]["got_reply"]
    assert ref[1]["verify"] == [b"Verification: OK"]


def test_s_client_without_required_cert(std, impl):
    def scenario(mod):
        out = s_client_session(mod, "-tls1_2",
                               server_kw={"cafile": cu.CA, "verify_mode": 2})
        return out["server"], out["got_reply"]
    ref = cu.check_same(scenario, std, impl)
    assert ref[1][0][0] == "raise"
