"""sslmod._sslmod is an isolated module: importing it again (after taking
it out of sys.modules) gives a second, independent copy that works."""
import gc
import importlib
import sys

import pytest

from conftest import CERTS, load_ssl_py, load_sslmod_core


def fresh_copy():
    """A new module object for sslmod._sslmod; the cached one is restored."""
    original = load_sslmod_core()
    package = sys.modules["sslmod"]
    del sys.modules["sslmod._sslmod"]
    try:
        return importlib.import_module("sslmod._sslmod")
    finally:
        sys.modules["sslmod._sslmod"] = original
        package._sslmod = original


@pytest.fixture
def copies():
    return load_sslmod_core(), fresh_copy()


def use(core):
    """Exercise a copy: a context, trust store, ciphers and an error."""
    ctx = core._SSLContext(core.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(cadata=CERTS.text("ca-bundle.pem"))
    ctx.set_ciphers("HIGH")
    try:
        ctx.load_verify_locations(cadata="garbage")
    except core.SSLError as exc:
        error = exc
    else:
        raise AssertionError("no SSLError")
    return ctx, ctx.cert_store_stats(), len(ctx.get_ca_certs()), error


def test_two_copies_are_distinct(copies):
    a, b = copies
    assert a is not b
    for name in ("_SSLContext", "_SSLSocket", "MemoryBIO", "SSLSession", "SSLError",
                 "SSLCertVerificationError", "SSLZeroReturnError", "SSLEOFError"):
        assert getattr(a, name) is not getattr(b, name), name
        assert getattr(a, name).__name__ == getattr(b, name).__name__


def test_both_copies_work(copies):
    a, b = copies
    ctx_a, stats_a, cas_a, err_a = use(a)
    ctx_b, stats_b, cas_b, err_b = use(b)
    assert stats_a == stats_b == {"x509": 2, "crl": 0, "x509_ca": 2}
    assert cas_a == cas_b == 2
    assert type(ctx_a) is a._SSLContext and type(ctx_b) is b._SSLContext
    assert str(err_a) == str(err_b)


def test_exceptions_are_per_copy(copies):
    a, b = copies
    _, _, _, err_b = use(b)
    assert isinstance(err_b, b.SSLError)
    assert not isinstance(err_b, a.SSLError)
    assert issubclass(b.SSLCertVerificationError, b.SSLError)
    assert not issubclass(b.SSLCertVerificationError, a.SSLError)


def test_copy_outlives_the_other(copies):
    a, b = copies
    ctx_b = use(b)[0]
    del b, copies
    gc.collect()
    ctx_b.set_ciphers("ECDHE+AESGCM")
    ctx_b.load_verify_locations(CERTS("selfsigned.pem"))
    assert ctx_b.cert_store_stats()["x509"] == 3
    assert use(a)[1]["x509"] == 2


def test_objects_of_a_dropped_copy_survive():
    b = fresh_copy()
    ctx = b._SSLContext(b.PROTOCOL_TLS_SERVER)
    bio = b.MemoryBIO()
    del b
    gc.collect()
    ctx.load_cert_chain(CERTS("server-rsa.pem"), CERTS("server-rsa.key"))
    bio.write(b"data")
    assert bio.read() == b"data"


def test_stdlib_ssl_py_on_a_fresh_copy():
    b = fresh_copy()
    ssl_b = load_ssl_py(b, "_sslmod_tests_ssl_on_fresh_copy")
    try:
        ctx = ssl_b.create_default_context(cafile=CERTS("ca.pem"))
        assert isinstance(ctx, b._SSLContext)
        assert ssl_b.SSLError is b.SSLError
        assert ctx.cert_store_stats()["x509_ca"] == 1
    finally:
        del sys.modules["_sslmod_tests_ssl_on_fresh_copy"]


def _subinterpreters():
    try:
        import _interpreters as interpreters    # 3.13
    except ImportError:
        try:
            import _xxsubinterpreters as interpreters
        except ImportError:
            pytest.skip("no subinterpreter API in this interpreter")
    return interpreters


def _run_in_subinterpreter(script):
    interpreters = _subinterpreters()
    interp = interpreters.create()
    try:
        result = interpreters.run_string(interp, "import sys; sys.path[:0] = %r\n%s"
                                         % (sys.path, script))
        assert result is None, result
    finally:
        interpreters.destroy(interp)


def test_subinterpreter_import():
    # Each interpreter gets its own copy (PEP 489); importing in a
    # subinterpreter must work where the API to make one exists.
    _run_in_subinterpreter("import sslmod._sslmod as m\n"
                           "m._SSLContext(m.PROTOCOL_TLS_CLIENT).set_ciphers('HIGH')\n")


def test_subinterpreter_handshake_with_callbacks(tmp_path):
    # The module declares per-interpreter GIL support: a full handshake in
    # a subinterpreter, with the callbacks that take the GIL back from
    # OpenSSL (SNI, keylog, password), must work there too.
    _run_in_subinterpreter(
        "import connutil as cu, sslmod\n"
        "sctx = cu.server_context(sslmod)\n"
        "seen = []\n"
        "sctx.sni_callback = lambda s, name, ctx: seen.append(name)\n"
        "cctx = cu.client_context(sslmod)\n"
        "cctx.keylog_filename = %r\n"
        "pair = cu.BioPair(sslmod, cctx, sslmod, sctx)\n"
        "assert pair.handshake() == (('ok', None), ('ok', None))\n"
        "assert seen == ['localhost'], seen\n"
        "assert pair.transfer(pair.client, pair.server, b'hi') == b'hi'\n"
        "ctx = sslmod.SSLContext(sslmod.PROTOCOL_TLS_SERVER)\n"
        "ctx.load_cert_chain(cu.certpath('server-rsa.pem'),\n"
        "                    cu.certpath('server-rsa-enc.key'), password=lambda: 'somepass')\n"
        % str(tmp_path / "keys.log"))
    assert "CLIENT_HANDSHAKE_TRAFFIC_SECRET" in (tmp_path / "keys.log").read_text()


def _subinterpreter_refs_per_run(script, runs=6):
    """References the main interpreter gains per subinterpreter that runs
    SCRIPT and is destroyed (debug interpreters only)."""
    for _ in range(2):
        _run_in_subinterpreter(script)
    gc.collect()
    before = sys.gettotalrefcount()
    for _ in range(runs):
        _run_in_subinterpreter(script)
        gc.collect()
    return (sys.gettotalrefcount() - before) / runs


def test_subinterpreter_leaks_nothing_of_its_own():
    """On a debug interpreter, a subinterpreter that imports and uses
    sslmod._sslmod leaves no more references behind than one that imports
    what sslmod imports (_socket and the interpreter's _ssl): CPython
    3.11's _socket alone leaves about 59 per subinterpreter, which the
    refleak run (tools/refleak.sh) would otherwise blame on sslmod."""
    if not hasattr(sys, "gettotalrefcount"):
        pytest.skip("counting references needs a debug interpreter; "
                    "tools/refleak.sh runs this test on one")
    _subinterpreters()
    baseline = _subinterpreter_refs_per_run("import _socket, _ssl\n")
    ours = _subinterpreter_refs_per_run(
        "import sslmod._sslmod as m\n"
        "m._SSLContext(m.PROTOCOL_TLS_CLIENT).set_ciphers('HIGH')\n")
    assert ours <= baseline + 0.5, (ours, baseline)
