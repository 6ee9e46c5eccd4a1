"""The Python-level promise of `import sslmod as ssl`: every public name of
the interpreter's ssl, the same create_default_context defaults, the old
APIs (with DeprecationWarning), inject()/extract(), and MicroPython-style
code, all carrying real traffic where it matters."""
import os
import socket
import subprocess
import sys
import warnings

import pytest
import ssl as STD

import connutil as cu
from conftest import load_impl, same

WINDOWS_ONLY = {"enum_certificates", "enum_crls"}


@pytest.fixture
def sslmod(impl_name):
    """The sslmod package (or, to check these tests themselves, the stdlib
    when SSLMOD_TEST_IMPLS names only stdlib implementations)."""
    if impl_name in ("stdlib", "stdlib_copy"):
        return STD
    return load_impl("sslmod")


def public_names(mod):
    return {n for n in dir(mod) if not n.startswith("_")}


def test_no_public_name_missing(sslmod):
    missing = public_names(STD) - WINDOWS_ONLY - public_names(sslmod)
    assert not missing, sorted(missing)


def test_private_names_stdlib_modules_use(sslmod):
    for name in ("_create_unverified_context", "_create_stdlib_context",
                 "_create_default_https_context", "_ASN1Object", "_TLSContentType",
                 "_TLSAlertType", "_TLSMessageType", "_ssl"):
        if hasattr(STD, name):
            assert hasattr(sslmod, name), name


def context_facts(ctx):
    return {
        "protocol": ctx.protocol, "verify_mode": ctx.verify_mode,
        "check_hostname": ctx.check_hostname, "options": ctx.options,
        "verify_flags": ctx.verify_flags, "minimum_version": ctx.minimum_version,
        "maximum_version": ctx.maximum_version,
        "post_handshake_auth": ctx.post_handshake_auth,
        "hostname_checks_common_name": ctx.hostname_checks_common_name,
        # (security_level is 3.10+ in the stdlib: test_context checks it.)
        "num_tickets": ctx.num_tickets,
        "keylog_filename": ctx.keylog_filename,
        "ca_certs": len(ctx.get_ca_certs()) > 0,
        "ciphers": [c["name"] for c in ctx.get_ciphers()],
        "sslsocket_class": ctx.sslsocket_class.__name__,
        "sslobject_class": ctx.sslobject_class.__name__,
    }


@pytest.mark.parametrize("purpose", ["SERVER_AUTH", "CLIENT_AUTH"])
@pytest.mark.parametrize("factory", ["create_default_context",
                                     "_create_unverified_context",
                                     "_create_stdlib_context"])
def test_default_contexts(impl, purpose, factory):
    def scenario(ssl):
        ctx = getattr(ssl, factory)(purpose=getattr(ssl.Purpose, purpose))
        return context_facts(ctx)
    same(scenario, impl)


def test_default_context_with_cafile(impl):
    same(lambda ssl: context_facts(ssl.create_default_context(cafile=cu.CA)), impl)


def test_default_context_carries_traffic(std, impl):
    def scenario(mod):
        cctx = mod.create_default_context(cafile=cu.CA)
        sctx = mod.create_default_context(mod.Purpose.CLIENT_AUTH)
        sctx.load_cert_chain(*cu.leaf("server-rsa"))
        return cu.run_pair(cctx, sctx, cu.ping, cu.echo_once)
    ref = cu.check_same(scenario, std, impl)
    assert ref[1][0] == ("ok", b"PING")


# ---------------------------------------------------------------------------
# Deprecated and removed APIs
# ---------------------------------------------------------------------------

# The interpreter's ssl warns about these from 3.10 on; sslmod follows it
# (quiet on 3.9, warning on 3.10+ incl. 3.12+ where the stdlib removed them).
WARNS = sys.version_info >= (3, 10)


def deprecated(fn, *args, **kwargs):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = fn(*args, **kwargs)
    return result, [w.category.__name__ for w in caught]


def test_wrap_socket_cpython_signature(sslmod):
    sctx = cu.server_context(STD)
    with cu.Server(sctx, cu.echo_once) as srv:
        raw = socket.create_connection(srv.addr, timeout=cu.TIMEOUT)
        with raw:
            s, warned = deprecated(sslmod.wrap_socket, raw, keyfile=None, certfile=None,
                                   server_side=False, cert_reqs=sslmod.CERT_REQUIRED,
                                   ssl_version=sslmod.PROTOCOL_TLS, ca_certs=cu.CA,
                                   do_handshake_on_connect=True, suppress_ragged_eofs=True,
                                   ciphers="HIGH")
            with s:
                assert ("DeprecationWarning" in warned) == WARNS
                assert isinstance(s, sslmod.SSLSocket)
                assert cu.ping(s) == b"PING"
                assert s.getpeercert()["subject"][-1] == (("commonName", "localhost"),)


def test_wrap_socket_server_side_with_certfile(sslmod):
    cert, key = cu.leaf("server-rsa")
    srv_sock = cu.listener()
    try:
        def serve():
            conn, _ = srv_sock.accept()
            conn.settimeout(cu.TIMEOUT)
            s, _ = deprecated(sslmod.wrap_socket, conn, keyfile=key, certfile=cert,
                              server_side=True)
            with s:
                return cu.echo_once(s)
        bg = cu.Background(serve)
        with cu.connect(cu.client_context(STD), srv_sock.getsockname()) as c:
            assert cu.ping(c) == b"PING"
        assert bg.result() == b"ping"
    finally:
        srv_sock.close()


def _der(path):
    with open(path) as f:
        return STD.PEM_cert_to_DER_cert(f.read())


@pytest.mark.parametrize("cadata_form", ["der", "pem"])
def test_wrap_socket_micropython_signature(sslmod, cadata_form):
    cadata = _der(cu.CA) if cadata_form == "der" else open(cu.CA, "rb").read()
    with cu.Server(cu.server_context(STD), cu.echo_once) as srv:
        raw = socket.create_connection(srv.addr, timeout=cu.TIMEOUT)
        with raw:
            s, warned = deprecated(sslmod.wrap_socket, raw, server_side=False,
                                   cert_reqs=sslmod.CERT_REQUIRED, cadata=cadata,
                                   server_hostname="localhost", do_handshake=True)
            with s:
                assert ("DeprecationWarning" in warned) == WARNS
                s.write(b"stream")
                buf = bytearray(6)
                n = s.readinto(buf)
                assert bytes(buf[:n]) == b"STREAM"[:n]


def test_micropython_wrap_socket_rejects_untrusted(sslmod):
    with cu.Server(cu.server_context(STD, cu.certpath("selfsigned.pem"),
                                     cu.certpath("selfsigned.key"))) as srv:
        raw = socket.create_connection(srv.addr, timeout=cu.TIMEOUT)
        try:
            with pytest.raises(sslmod.SSLCertVerificationError):
                deprecated(sslmod.wrap_socket, raw, cert_reqs=sslmod.CERT_REQUIRED,
                           cadata=_der(cu.CA), server_hostname="localhost")
        finally:
            raw.close()


def test_micropython_context_snippet(sslmod):
    """The seed document's SSLContext usage, unchanged."""
    ssl = sslmod
    with cu.Server(cu.server_context(STD), cu.echo_once) as srv:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.load_verify_locations(cadata=_der(cu.CA))
        sock = socket.socket()
        with sock:
            sock.settimeout(cu.TIMEOUT)
            sock.connect(srv.addr)
            s = ctx.wrap_socket(sock, server_hostname="localhost")
            s.write(b"micro")
            assert s.read(5) == b"MICRO"
            s.close()


def test_micropython_oserror_catches_failures(sslmod):
    """MicroPython code catches OSError: SSLError must be one."""
    assert issubclass(sslmod.SSLError, OSError)
    assert issubclass(sslmod.SSLCertVerificationError, OSError)


@pytest.mark.parametrize("cert_names,host,ok", [
    ([("DNS", "example.com")], "example.com", True),
    ([("DNS", "*.example.com")], "www.example.com", True),
    ([("DNS", "*.example.com")], "a.b.example.com", False),
    ([("DNS", "*.example.com")], "example.com", False),
    ([("DNS", "w*.example.com")], "www.example.com", False),   # partial: refused
    ([("DNS", "*.xn--bcher-kva.example")], "www.xn--bcher-kva.example", True),
    ([("DNS", "xn--*.example")], "xn--bcher-kva.example", False),
    ([("IP Address", "127.0.0.1")], "127.0.0.1", True),
    ([("IP Address", "127.0.0.1")], "127.0.0.2", False),
    ([("DNS", "a.example")], "b.example", False),
])
def test_match_hostname(sslmod, cert_names, host, ok):
    if sslmod is STD and not hasattr(STD, "match_hostname"):
        pytest.fail("no stdlib match_hostname on this interpreter to check the test with")
    cert = {"subject": ((("commonName", "ignored"),),), "subjectAltName": tuple(cert_names)}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if ok:
            assert sslmod.match_hostname(cert, host) is None
        else:
            with pytest.raises(sslmod.CertificateError):
                sslmod.match_hostname(cert, host)
    assert any(w.category is DeprecationWarning for w in caught) == WARNS


def test_rand_pseudo_bytes(sslmod):
    (data, strong), warned = deprecated(sslmod.RAND_pseudo_bytes, 16)
    assert ("DeprecationWarning" in warned) == WARNS
    assert isinstance(data, bytes) and len(data) == 16 and isinstance(strong, bool)


def test_old_protocol_names(sslmod):
    for name in ("PROTOCOL_SSLv23", "PROTOCOL_TLS", "PROTOCOL_TLSv1",
                 "PROTOCOL_TLSv1_1", "PROTOCOL_TLSv1_2"):
        assert hasattr(sslmod, name), name
    assert sslmod.PROTOCOL_SSLv23 == sslmod.PROTOCOL_TLS


# ---------------------------------------------------------------------------
# inject() / extract()
# ---------------------------------------------------------------------------

INJECT_SCRIPT = r"""
import sys, ssl as before_ssl
import http.client, urllib.request
import sslmod
sslmod.inject()
import ssl, _ssl
# `import ssl` gives sslmod's ssl module (sslmod.ssl, which `import sslmod`
# re-exports whole).
injected = (ssl is sslmod.ssl, _ssl is sslmod._sslmod, http.client.ssl is sslmod.ssl,
            urllib.request.ssl is sslmod.ssl if hasattr(urllib.request, 'ssl') else True)
sslmod.extract()
import ssl as after, _ssl as after_core
extracted = (after is before_ssl, after_core is not sslmod._sslmod,
             http.client.ssl is before_ssl)
print(injected, extracted)
"""


def test_inject_and_extract(sslmod):
    if sslmod is STD:
        pytest.fail("inject()/extract() exist only in sslmod")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    out = subprocess.run([sys.executable, "-c", INJECT_SCRIPT], capture_output=True,
                         text=True, timeout=cu.TIMEOUT, env=env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "(True, True, True, True) (True, True, True)"


class _ModuleImpostor:
    """Like cffi's Lib objects (cryptography registers "_openssl.lib" in
    sys.modules): not a module, but ``__class__`` says ModuleType, and each
    read of ``__dict__`` computes a new dict (cffi's getter leaks a
    reference per integer constant, so reading it is not harmless)."""
    dict_reads = 0

    @property
    def __class__(self):
        import types
        return types.ModuleType

    @property
    def __dict__(self):
        type(self).dict_reads += 1
        return {"ssl": STD, "SSLContext": STD.SSLContext}


def test_inject_leaves_objects_that_are_not_modules_alone(sslmod, monkeypatch):
    if sslmod is STD:
        pytest.fail("inject()/extract() exist only in sslmod")
    impostor = _ModuleImpostor()
    monkeypatch.setitem(sys.modules, "_sslmod_tests_impostor.lib", impostor)
    try:
        sslmod.inject()
        assert sys.modules["ssl"] is sslmod.ssl
    finally:
        sslmod.extract()
    assert sys.modules["ssl"] is STD
    assert _ModuleImpostor.dict_reads == 0
