"""The interpreter's own ssl.py, run on top of sslmod._sslmod in place of
_ssl, gives the same results as the plain stdlib for contexts and
certificates."""
import sys

import pytest

from conftest import CERTS, load_impl, load_sslmod_core, same
from test_context import snapshot


@pytest.fixture
def on_sslmod():
    return load_impl("stdlib_on_sslmod")


def test_runs_on_sslmod(on_sslmod):
    core = load_sslmod_core()
    assert on_sslmod._ssl is core
    assert on_sslmod.SSLContext.__mro__[1] is core._SSLContext
    assert on_sslmod.SSLError is core.SSLError
    assert on_sslmod.MemoryBIO is core.MemoryBIO


def test_loading_leaves_the_real_ssl_alone(on_sslmod, std, std_core):
    assert sys.modules["_ssl"] is std_core
    assert sys.modules["ssl"] is std
    assert std._ssl is std_core
    assert on_sslmod is not std


@pytest.mark.parametrize("purpose", ["SERVER_AUTH", "CLIENT_AUTH"])
def test_create_default_context(on_sslmod, purpose):
    same(lambda ssl: snapshot(ssl.create_default_context(getattr(ssl.Purpose, purpose))),
         on_sslmod)


@pytest.mark.parametrize("kwargs", [{"cafile": CERTS("ca.pem")},
                                    {"cadata": CERTS.text("ca-bundle.pem")},
                                    {"cadata": CERTS.read("ca-bundle.der")}])
def test_create_default_context_with_cas(on_sslmod, kwargs):
    same(lambda ssl: snapshot(ssl.create_default_context(**kwargs)), on_sslmod)


def test_create_default_context_bad_purpose(on_sslmod):
    same(lambda ssl: ssl.create_default_context("serverAuth"), on_sslmod, raises="TypeError")


@pytest.mark.parametrize("factory", ["_create_unverified_context", "_create_stdlib_context"])
def test_private_context_factories(on_sslmod, factory):
    same(lambda ssl: snapshot(getattr(ssl, factory)()), on_sslmod)


def test_unverified_context_with_cert(on_sslmod):
    same(lambda ssl: snapshot(ssl._create_unverified_context(
        cert_reqs=ssl.CERT_NONE, certfile=CERTS("client.pem"), keyfile=CERTS("client.key"))),
        on_sslmod)


def test_server_context_with_chain_and_cas(on_sslmod):
    def scenario(ssl):
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(CERTS("server-rsa-chain.pem"), CERTS("server-rsa-enc.key"),
                            password=lambda: b"somepass")
        ctx.load_verify_locations(CERTS("ca-bundle.pem"))
        ctx.verify_mode = ssl.CERT_REQUIRED
        return snapshot(ctx), ctx.get_ca_certs(True)
    same(scenario, on_sslmod)


def test_enum_properties(on_sslmod):
    def scenario(ssl):
        ctx = ssl.create_default_context()
        ctx.options |= ssl.OP_NO_COMPRESSION
        ctx.verify_flags |= ssl.VERIFY_X509_STRICT
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        return (ctx.options, ctx.verify_flags, ctx.verify_mode, ctx.minimum_version,
                ctx.maximum_version, ctx.protocol)
    same(scenario, on_sslmod)


def test_errors(on_sslmod):
    def scenario(ssl):
        try:
            ssl.create_default_context(cadata="garbage")
        except ssl.SSLError as exc:
            return exc
    same(scenario, on_sslmod)


def test_certificate_helpers(on_sslmod):
    def scenario(ssl):
        der = ssl.PEM_cert_to_DER_cert(CERTS.text("allsans.pem"))
        info = ssl._ssl._test_decode_cert(CERTS("allsans.pem"))
        return der, ssl.DER_cert_to_PEM_cert(der), info, \
            ssl.cert_time_to_seconds(info["notAfter"])
    same(scenario, on_sslmod)


def test_default_verify_paths(on_sslmod):
    same(lambda ssl: ssl.get_default_verify_paths(), on_sslmod)


def test_wrap_bio(on_sslmod):
    # Makes the objects; the handshake itself belongs to the connection tests.
    def scenario(ssl):
        ctx = ssl.create_default_context()
        obj = ctx.wrap_bio(ssl.MemoryBIO(), ssl.MemoryBIO(), server_hostname="localhost")
        return (type(obj).__name__, obj.server_side, obj.server_hostname,
                obj.context is ctx, type(obj._sslobj).__name__)
    same(scenario, on_sslmod)
