"""The shared trust store: sslmod parses each trust source once and lets
contexts share the result, copying it before one of them changes it.  None of
that may be visible: every scenario here runs on the stdlib and on sslmod and
must give the same store contents and the same verification verdicts."""
import datetime
import os
import threading

import pytest
import ssl as STD

import connutil as cu
from conftest import same

CA = cu.certpath("ca.pem")
INTERMEDIATE = cu.certpath("intermediate.pem")
SELFSIGNED = cu.certpath("selfsigned.pem")


def store_view(ctx):
    """What a context's store holds, comparably."""
    return ctx.cert_store_stats(), sorted(ctx.get_ca_certs(binary_form=True))


def verdict(mod, client_ctx, leaf="server-rsa"):
    """Handshake CLIENT_CTX (of module MOD) over MemoryBIOs with a stdlib
    server presenting LEAF; 'ok' or the client's verify_message."""
    server_ctx = cu.server_context(STD, leaf)
    c_in, c_out, s_in, s_out = mod.MemoryBIO(), mod.MemoryBIO(), STD.MemoryBIO(), STD.MemoryBIO()
    client = client_ctx.wrap_bio(c_in, c_out, server_hostname="localhost")
    server = server_ctx.wrap_bio(s_in, s_out, server_side=True)
    for _ in range(20):
        for side in (client, server):
            try:
                side.do_handshake()
            except (STD.SSLWantReadError, mod.SSLWantReadError):
                pass
            except (STD.SSLCertVerificationError, mod.SSLCertVerificationError) as exc:
                return exc.verify_message
            except (STD.SSLError, mod.SSLError):
                if side is client:
                    raise
        s_in.write(c_out.read())
        c_in.write(s_out.read())
        if client.version() is not None and server.version() is not None:
            return "ok"
    return "stalled"


def make_crl(tmp_path, revoke_leaf):
    """A CRL issued by the intermediate CA, revoking server-rsa or nothing."""
    x509 = pytest.importorskip("cryptography.x509")
    from cryptography.hazmat.primitives import hashes, serialization
    issuer = x509.load_pem_x509_certificate(open(INTERMEDIATE, "rb").read())
    key = serialization.load_pem_private_key(
        open(cu.certpath("intermediate.key"), "rb").read(), None)
    leaf = x509.load_pem_x509_certificate(open(cu.certpath("server-rsa.pem"), "rb").read())
    now = datetime.datetime(2025, 1, 1, tzinfo=datetime.timezone.utc)
    builder = (x509.CertificateRevocationListBuilder()
               .issuer_name(issuer.subject)
               .last_update(now)
               .next_update(now + datetime.timedelta(days=365 * 90)))
    if revoke_leaf:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number(leaf.serial_number)
            .revocation_date(now).build())
    crl = builder.sign(key, hashes.SHA256())
    path = tmp_path / ("revoked.crl.pem" if revoke_leaf else "empty.crl.pem")
    path.write_bytes(crl.public_bytes(serialization.Encoding.PEM))
    return str(path)


def test_default_context_store(impl):
    """create_default_context() trusts exactly what the stdlib's trusts,
    the first time and when the store is shared by a later context."""
    def scenario(mod):
        first = mod.create_default_context()
        second = mod.create_default_context()
        return store_view(first), store_view(second)
    same(scenario, impl)


def test_shared_store_is_copied_before_a_change(impl):
    """Adding to one context never shows in another that shared its store."""
    def scenario(mod):
        a = mod.create_default_context()
        b = mod.create_default_context()
        a.load_verify_locations(CA)
        c = mod.SSLContext(mod.PROTOCOL_TLS_CLIENT)
        c.load_verify_locations(CA)
        d = mod.SSLContext(mod.PROTOCOL_TLS_CLIENT)
        d.load_verify_locations(CA)
        d.load_verify_locations(cadata=open(SELFSIGNED).read())
        e = mod.SSLContext(mod.PROTOCOL_TLS_CLIENT)
        e.load_verify_locations(cadata=open(SELFSIGNED).read())
        return [store_view(x) for x in (a, b, c, d, e)]
    same(scenario, impl)


def test_cadata_shared_and_partial_failure(impl):
    """Good cadata is shared; cadata that breaks after a good certificate
    leaves the good one loaded, as the stdlib does, and shares nothing."""
    good = open(CA).read()
    broken = good + "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n"

    def scenario(mod):
        out = []
        for data in (good, good, broken, broken):
            ctx = mod.SSLContext(mod.PROTOCOL_TLS_CLIENT)
            try:
                ctx.load_verify_locations(cadata=data)
                out.append("ok")
            except mod.SSLError as exc:
                out.append(type(exc).__name__)
            out.append(store_view(ctx))
        return out
    same(scenario, impl)


def test_file_rewritten_between_loads(impl, tmp_path):
    """A CA file changed on disk is read again; contexts that loaded the
    old content keep it."""
    path = tmp_path / "bundle.pem"

    def scenario(mod):
        path.write_text(open(CA).read())
        first = mod.SSLContext(mod.PROTOCOL_TLS_CLIENT)
        first.load_verify_locations(str(path))
        path.write_text(open(CA).read() + open(SELFSIGNED).read())
        second = mod.SSLContext(mod.PROTOCOL_TLS_CLIENT)
        second.load_verify_locations(str(path))
        # Replaced by rename: a new inode, same size as the last content.
        tmp = tmp_path / "next.pem"
        tmp.write_text(open(SELFSIGNED).read() + open(CA).read())
        os.replace(tmp, path)
        third = mod.SSLContext(mod.PROTOCOL_TLS_CLIENT)
        third.load_verify_locations(str(path))
        views = [store_view(x) for x in (first, second, third)]
        return views, verdict(mod, first), verdict(mod, third)
    same(scenario, impl)


def test_missing_and_garbage_files_raise_as_before(impl, tmp_path):
    """Errors are those of a plain load, every time (never cached)."""
    def scenario(mod):
        out = []
        for name in ("garbage.pem", "empty.pem", "no-such-file.pem", "garbage.pem"):
            ctx = mod.SSLContext(mod.PROTOCOL_TLS_CLIENT)
            try:
                ctx.load_verify_locations(cu.certpath(name) if name != "no-such-file.pem"
                                          else str(tmp_path / name))
                out.append("ok")
            except (OSError, mod.SSLError) as exc:
                out.append((type(exc).__name__, exc.errno))
            out.append(store_view(ctx))
        return out
    same(scenario, impl)


def test_environment_default_paths(impl, monkeypatch):
    """SSL_CERT_FILE is honoured, and a change of it is seen."""
    def scenario(mod):
        monkeypatch.setenv("SSL_CERT_FILE", CA)
        with_env = mod.SSLContext(mod.PROTOCOL_TLS_CLIENT)
        with_env.load_default_certs()
        monkeypatch.delenv("SSL_CERT_FILE")
        without = mod.SSLContext(mod.PROTOCOL_TLS_CLIENT)
        without.load_default_certs()
        return store_view(with_env), store_view(without), verdict(mod, with_env)
    same(scenario, impl)


def test_verdicts_on_shared_stores(impl):
    """Verification gives the stdlib's verdicts whether the store is the
    shared one, a copy, or the context's own."""
    def scenario(mod):
        shared = mod.SSLContext(mod.PROTOCOL_TLS_CLIENT)
        shared.load_verify_locations(CA)
        other = mod.SSLContext(mod.PROTOCOL_TLS_CLIENT)
        other.load_verify_locations(cadata=open(SELFSIGNED).read())
        grown = mod.SSLContext(mod.PROTOCOL_TLS_CLIENT)
        grown.load_verify_locations(cadata=open(SELFSIGNED).read())
        grown.load_verify_locations(CA)
        return [verdict(mod, shared), verdict(mod, other), verdict(mod, grown),
                verdict(mod, shared, "expired"), verdict(mod, grown, "wrong-host")]
    same(scenario, impl)


def test_partial_chain(impl):
    """Trusting only the intermediate: VERIFY_X509_PARTIAL_CHAIN decides."""
    def scenario(mod):
        out = []
        for flag in (False, True):
            ctx = mod.SSLContext(mod.PROTOCOL_TLS_CLIENT)
            ctx.load_verify_locations(INTERMEDIATE)
            if flag:
                # 3.9 has no name for OpenSSL's X509_V_FLAG_PARTIAL_CHAIN
                ctx.verify_flags |= getattr(mod, "VERIFY_X509_PARTIAL_CHAIN", 0x80000)
            out.append(verdict(mod, ctx))
        return out
    same(scenario, impl)


def test_crl_checks(impl, tmp_path):
    """CRLs loaded on top of a shared CA store are the context's own."""
    revoked = make_crl(tmp_path, True)
    clean = make_crl(tmp_path, False)

    def scenario(mod):
        out = []
        for crl in (revoked, clean, None):
            ctx = mod.SSLContext(mod.PROTOCOL_TLS_CLIENT)
            ctx.load_verify_locations(CA)
            if crl:
                ctx.load_verify_locations(crl)
            ctx.verify_flags |= mod.VERIFY_CRL_CHECK_LEAF
            out.append((verdict(mod, ctx), ctx.cert_store_stats()))
        crl_first = mod.SSLContext(mod.PROTOCOL_TLS_CLIENT)
        crl_first.load_verify_locations(revoked)
        crl_first.load_verify_locations(CA)
        crl_first.verify_flags |= mod.VERIFY_CRL_CHECK_LEAF
        out.append((verdict(mod, crl_first), crl_first.cert_store_stats()))
        return out
    same(scenario, impl)


def test_threads_share_and_copy(impl):
    """Many threads creating, sharing and extending stores at once: every
    context ends up with exactly what it loaded."""
    mod = impl
    base = len(mod.create_default_context().get_ca_certs())
    errors = []

    def worker(n):
        try:
            for i in range(15):
                ctx = mod.create_default_context()
                expected = base
                if (n + i) % 3 == 0:
                    ctx.load_verify_locations(CA)
                    expected = len(set(ctx.get_ca_certs(True)))
                    assert expected in (base, base + 1)
                if (n + i) % 3 == 1:
                    ctx.load_verify_locations(cadata=open(SELFSIGNED).read())
                    expected = base + 1
                stats = ctx.cert_store_stats()
                if stats["x509"] != expected:
                    errors.append((n, i, stats, expected))
                fresh = mod.SSLContext(mod.PROTOCOL_TLS_CLIENT)
                fresh.load_verify_locations(CA)
                if fresh.cert_store_stats()["x509"] != 1:
                    errors.append((n, i, "fresh", fresh.cert_store_stats()))
        except Exception as exc:   # reported below, with the thread
            errors.append((n, repr(exc)))

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not any(t.is_alive() for t in threads)
    assert errors == []
