"""Certificate and hostname verification during real handshakes: the
client-side result (success, or SSLCertVerificationError with its
verify_code, verify_message and text) must be exactly the stdlib's."""
import socket

import pytest
import ssl as STD

import connutil as cu


def handshake(mod, leaf, hostname, *, cafile=cu.CA, check_hostname=True,
              verify_mode=None, common_name=None, server_mod=STD):
    """Connect a MOD client to a SERVER_MOD server presenting LEAF."""
    if leaf == "selfsigned":      # no chain file: it is its own issuer
        sctx = cu.server_context(server_mod, cu.certpath("selfsigned.pem"),
                                 cu.certpath("selfsigned.key"))
    else:
        sctx = cu.server_context(server_mod, leaf)
    cctx = mod.SSLContext(mod.PROTOCOL_TLS_CLIENT)
    if cafile:
        cctx.load_verify_locations(cafile)
    cctx.check_hostname = check_hostname
    if verify_mode is not None:
        cctx.verify_mode = getattr(mod, verify_mode)
    if common_name is not None:
        cctx.hostname_checks_common_name = common_name

    def client(s):
        return s.version() is not None, s.getpeercert() != {} if s.getpeercert() else None

    def server(s):
        return s.recv(10)

    c, s = cu.run_pair(cctx, sctx, client, server, hostname=hostname)
    # The server's view of a rejected handshake is the client's alert; keep
    # only its kind so that a reset racing the alert cannot flap the test.
    # After a good handshake the client closes with the TLS 1.3 session
    # tickets unread, so the server's recv() sees EOF or a reset, by timing.
    server_view = s[0] if s[0] == "ok" else s[1]
    if c[0] == "ok" and server_view == "ConnectionResetError":
        server_view = "ok"
    return c, server_view


CASES = {
    # name: (leaf, hostname, options, expected client exception or None)
    "ok-dns": ("server-rsa", "localhost", {}, None),
    "ok-ecdsa": ("server-ecdsa", "localhost", {}, None),
    "ok-ed25519": ("server-ed25519", "localhost", {}, None),
    "untrusted": ("server-rsa", "localhost", {"cafile": None}, "SSLCertVerificationError"),
    "expired": ("expired", "localhost", {}, "SSLCertVerificationError"),
    "not-yet-valid": ("notyetvalid", "localhost", {}, "SSLCertVerificationError"),
    "wrong-host": ("wrong-host", "localhost", {}, "SSLCertVerificationError"),
    "wrong-host-unchecked": ("wrong-host", "localhost", {"check_hostname": False}, None),
    "self-signed": ("selfsigned", "localhost", {}, "SSLCertVerificationError"),
    "self-signed-cert-none": ("selfsigned", "localhost",
                              {"check_hostname": False, "verify_mode": "CERT_NONE"}, None),
    "ip-san-match": ("server-rsa", "127.0.0.1", {}, None),
    "ipv6-san-match": ("server-rsa", "::1", {}, None),
    "ip-san-mismatch": ("server-rsa", "127.0.0.2", {}, "SSLCertVerificationError"),
    "ip-not-in-dns-san": ("wrong-host", "127.0.0.1", {}, "SSLCertVerificationError"),
    # The default of hostname_checks_common_name is the interpreter's.
    "cn-only-default": ("cn-only", "localhost", {},
                        None if STD.SSLContext(STD.PROTOCOL_TLS_CLIENT).hostname_checks_common_name
                        else "SSLCertVerificationError"),
    "cn-only-common-name-on": ("cn-only", "localhost", {"common_name": True}, None),
    "cn-only-common-name-off": ("cn-only", "localhost", {"common_name": False},
                                "SSLCertVerificationError"),
    "idna-a-label": ("idna", "xn--knig-5qa.example", {}, None),
    "idna-u-label": ("idna", "k\u00f6nig.example", {}, None),
    "idna-wrong": ("idna", "konig.example", {}, "SSLCertVerificationError"),
    "wildcard-one-label": ("wildcard", "www.example.test", {}, None),
    "wildcard-two-labels": ("wildcard", "a.b.example.test", {}, "SSLCertVerificationError"),
    "wildcard-bare": ("wildcard", "example.test", {}, "SSLCertVerificationError"),
    "uppercase-host": ("server-rsa", "LOCALHOST", {}, None),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_client_verification(std, impl, case):
    leaf, hostname, opts, expected = CASES[case]
    ref = handshake(std, leaf, hostname, **opts)
    got = handshake(impl, leaf, hostname, **opts)
    assert got == ref
    assert cu.exc_kind(ref[0]) == expected, ref
    if expected == "SSLCertVerificationError":
        details = dict(ref[0][3])
        assert details["verify_code"] != 0 and details["verify_message"]


@pytest.mark.parametrize("case", ["ok-dns", "wrong-host", "expired", "untrusted",
                                  "ip-san-mismatch"])
def test_impl_server_same_verdict(std, impl, case):
    """Same verdicts when the implementation is also the server."""
    leaf, hostname, opts, expected = CASES[case]
    ref = handshake(std, leaf, hostname, **opts)
    got = handshake(impl, leaf, hostname, server_mod=impl, **opts)
    assert got == ref


def test_verify_codes(std):
    """The stdlib's codes for the main cases, pinned, so that a change of
    certificates that silently alters the scenarios is noticed."""
    codes = {}
    for case in ("untrusted", "expired", "not-yet-valid", "wrong-host", "self-signed"):
        leaf, hostname, opts, _ = CASES[case]
        out = handshake(std, leaf, hostname, **opts)[0]
        codes[case] = dict(out[3])["verify_code"]
    assert codes == {"untrusted": 20, "expired": 10, "not-yet-valid": 9,
                     "wrong-host": 62, "self-signed": 18}


@pytest.mark.parametrize("hostname", ["", ".example", "a..b", "exa\x00mple",
                                      "-dash.example", "x" * 300, "a b.example"])
def test_odd_server_hostnames(std, impl, hostname):
    """Values of server_hostname that the stdlib rejects or accepts: same."""
    def scenario(mod):
        ctx = cu.client_context(mod)
        with socket.socket() as raw:
            s = ctx.wrap_socket(raw, server_hostname=hostname, do_handshake_on_connect=False)
            return s.server_hostname
    cu.check_same(scenario, std, impl)


def test_client_certificate_verification_by_impl_server(std, impl):
    """An implementation server with CERT_REQUIRED rejects a client whose
    certificate its CA store does not know, as the stdlib does."""
    def scenario(mod):
        sctx = cu.server_context(mod, cafile=cu.certpath("selfsigned.pem"),
                                 verify_mode=mod.CERT_REQUIRED)
        cctx = cu.client_context(STD, certfile=cu.CLIENT_CERT, keyfile=cu.CLIENT_KEY)
        c, s = cu.run_pair(cctx, sctx, lambda s: s.recv(10))
        return s
    ref = cu.check_same(scenario, std, impl)
    assert ref[1][1] == "SSLCertVerificationError"
