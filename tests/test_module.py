"""Module level: names, constants, version values, HAS_* flags, and the
functions txt2obj/nid2obj, RAND_* and get_default_verify_paths, compared
with the interpreter's ssl and _ssl."""
import sys
import types

import pytest

import _ssl as _std_core
import ssl as _std_ssl

import stdlib_quirks
from conftest import NEWER_API, same, stdlib_raises, without_newer_api

WINDOWS_ONLY = {"enum_certificates", "enum_crls"}


def core_public_names():
    return sorted(n for n in dir(_std_core) if not n.startswith("__"))


def core_constants():
    return [n for n in core_public_names()
            if isinstance(getattr(_std_core, n), (int, str, tuple, float))]


def ssl_public_names():
    """Public names of ssl that belong to it (not modules or helpers it
    happens to import from elsewhere), minus the Windows-only ones."""
    names = []
    for name in dir(_std_ssl):
        value = getattr(_std_ssl, name)
        if name.startswith("_") or name in WINDOWS_ONLY or isinstance(value, types.ModuleType):
            continue
        owner = getattr(value, "__module__", None)
        if callable(value) and owner not in ("ssl", "_ssl", None):
            continue
        names.append(name)
    return names


def ssl_constants():
    return [n for n in ssl_public_names()
            if isinstance(getattr(_std_ssl, n), (int, str, tuple))]


# ---- names ---------------------------------------------------------------------

def test_no_core_name_missing(core):
    missing = [n for n in core_public_names() if not hasattr(core, n)]
    assert missing == []


def test_no_ssl_name_missing(impl):
    missing = [n for n in ssl_public_names() if not hasattr(impl, n)]
    assert missing == []


@pytest.mark.parametrize("name", ["MemoryBIO", "SSLSession", "_SSLContext", "_SSLSocket"]
                         + (["Certificate"] if hasattr(_std_core, "Certificate") else []))
def test_core_types(core, std_core, name):
    def scenario(m):
        cls = getattr(m, name)
        return (cls.__name__, cls.__qualname__, cls.__module__, isinstance(cls, type),
                [c.__name__ for c in cls.__mro__],
                without_newer_api(sorted(a for a in dir(cls) if not a.startswith("__"))))
    same(scenario, core, ref=std_core)


@pytest.mark.parametrize("name", ["MemoryBIO", "SSLSession", "_SSLSocket"]
                         + (["Certificate"] if hasattr(_std_core, "Certificate") else []))
def test_core_types_not_subclassable_where_stdlib_says_so(core, std_core, name):
    def scenario(m):
        return type("Sub", (getattr(m, name),), {})
    same(scenario, core, ref=std_core, raises=stdlib_raises(scenario, ref=std_core))


def test_module_doc(core, std_core):
    # (__name__ is the import system's: "sslmod._sslmod" versus "_ssl".)
    same(lambda m: bool(m.__doc__), core, ref=std_core)


# ---- constants -----------------------------------------------------------------

@pytest.mark.parametrize("name", core_constants())
def test_core_constant(core, std_core, name):
    if name == "_OPENSSL_API_VERSION":
        check_api_version(core, std_core)
        return
    same(lambda m: getattr(m, name), core, ref=std_core)


def check_api_version(core, std_core):
    """_OPENSSL_API_VERSION is the version of the headers each module was
    compiled with: equal to the interpreter's when both were built here,
    and in any case the version of sslmod's own build."""
    build = getattr(core, "_OPENSSL_BUILD_VERSION", None)   # sslmod's only
    if build is not None:
        text = build.split()[1]                               # "3.0.19"
        major, minor, patch = (int(x) for x in text.split("-")[0].split(".")[:3])
        assert tuple(core._OPENSSL_API_VERSION)[:4] == (major, minor, 0, patch)
    if stdlib_quirks.built_against_same_headers(core):
        same(lambda m: m._OPENSSL_API_VERSION, core, ref=std_core)
    elif build is None:
        pytest.skip("the interpreter's _ssl was built against other OpenSSL headers")


@pytest.mark.parametrize("name", ssl_constants())
def test_ssl_constant(impl, name):
    # Enum members compare by class and value, so CERT_REQUIRED must be a
    # VerifyMode, OP_ALL an Options, and so on.
    same(lambda ssl: getattr(ssl, name), impl)


@pytest.mark.parametrize("enum_name", ["TLSVersion", "Options", "VerifyMode", "VerifyFlags",
                                       "AlertDescription", "SSLErrorNumber", "_SSLMethod",
                                       "_TLSContentType", "_TLSAlertType", "_TLSMessageType"])
def test_enum_members(impl, enum_name):
    def scenario(ssl):
        cls = getattr(ssl, enum_name)
        return (cls.__name__, [c.__name__ for c in cls.__mro__],
                [(m.name, m.value) for m in cls if m.name not in NEWER_API],
                without_newer_api(sorted(cls.__members__)))
    same(scenario, impl)


def test_newer_api_everywhere(core):
    """What newer CPythons added is there on every interpreter (in sslmod's
    own ssl API; the interpreter's ssl.py only uses what it knows)."""
    import sslmod as impl
    assert core.HAS_PSK is True
    for name in ("set_psk_client_callback", "set_psk_server_callback", "security_level"):
        assert hasattr(core._SSLContext, name) and hasattr(impl.SSLContext, name), name
    for name in ("get_verified_chain", "get_unverified_chain"):
        assert hasattr(core._SSLSocket, name) and hasattr(impl.SSLSocket, name), name
    for name in ("OP_ENABLE_KTLS", "OP_LEGACY_SERVER_CONNECT"):
        assert isinstance(getattr(impl, name), impl.Options), name
        assert name in impl.Options.__members__, name
    for name in ("VERIFY_X509_PARTIAL_CHAIN", "VERIFY_ALLOW_PROXY_CERTS"):
        assert isinstance(getattr(impl, name), impl.VerifyFlags), name


def test_purpose(impl):
    def scenario(ssl):
        return [(p.name, tuple(p.value), p.nid, p.shortname, p.longname, p.oid)
                for p in ssl.Purpose]
    same(scenario, impl)


def test_channel_binding_types(impl, impl_name):
    # sslmod's own API adds "tls-exporter" (RFC 9266, issue 9); the
    # interpreter's ssl.py on our core keeps its own list.
    if impl_name == "sslmod":
        assert impl.CHANNEL_BINDING_TYPES == _std_ssl.CHANNEL_BINDING_TYPES + ["tls-exporter"]
    else:
        same(lambda ssl: ssl.CHANNEL_BINDING_TYPES, impl)


@pytest.mark.parametrize("name", ["OPENSSL_VERSION", "OPENSSL_VERSION_INFO",
                                  "OPENSSL_VERSION_NUMBER", "_OPENSSL_API_VERSION",
                                  "_DEFAULT_CIPHERS"])
def test_openssl_version_values(core, std_core, name):
    if name == "_OPENSSL_API_VERSION":
        check_api_version(core, std_core)
        return
    same(lambda m: getattr(m, name), core, ref=std_core)


@pytest.mark.parametrize("name", [n for n in ssl_public_names() if n.startswith("HAS_")])
def test_has_flags(impl, name):
    same(lambda ssl: getattr(ssl, name), impl)


def test_error_tables_agree(core, std_core):
    # Private tables (gone in 3.13): where both name a code, the names agree.
    for table in ("err_codes_to_names", "lib_codes_to_names"):
        if not hasattr(std_core, table):
            continue
        ours, theirs = getattr(core, table), getattr(std_core, table)
        assert isinstance(ours, dict) and len(ours) > 0
        conflicts = {k: (theirs[k], ours[k]) for k in theirs if k in ours and ours[k] != theirs[k]}
        assert conflicts == {}


# ---- txt2obj / nid2obj ------------------------------------------------------------

@pytest.mark.parametrize("args", [("1.3.6.1.5.5.7.3.1",), ("1.3.6.1.5.5.7.3.2",),
                                  ("serverAuth", True), ("clientAuth", True),
                                  ("TLS Web Server Authentication", True),
                                  ("commonName", True), ("2.5.4.3",), ("CN", True)])
def test_txt2obj(core, std_core, args):
    same(lambda m: m.txt2obj(*args), core, ref=std_core)


@pytest.mark.parametrize("args,exc", [(("serverAuth",), "ValueError"),
                                      (("no such thing", True), "ValueError"),
                                      (("",), "ValueError"), ((42,), "TypeError"),
                                      ((None,), "TypeError"), (("1.2\0.3",), "ValueError"),
                                      # A valid OID that OpenSSL has no NID for.
                                      (("1.2.3.4",), "ValueError"),
                                      (("1.2.3.4", True), "ValueError"),
                                      ((), "TypeError")])
def test_txt2obj_bad(core, std_core, args, exc):
    same(lambda m: m.txt2obj(*args), core, ref=std_core, raises=exc)


@pytest.mark.parametrize("nid", [1, 6, 13, 129, 130])
def test_nid2obj(core, std_core, nid):
    same(lambda m: m.nid2obj(nid), core, ref=std_core)


@pytest.mark.parametrize("nid,exc", [(0, "ValueError"), (-1, "ValueError"),
                                     (10 ** 6, "ValueError"), ("1", "TypeError"),
                                     (2 ** 70, "OverflowError"), (1.0, "TypeError")])
def test_nid2obj_bad(core, std_core, nid, exc):
    same(lambda m: m.nid2obj(nid), core, ref=std_core, raises=exc)


@pytest.mark.parametrize("how,arg", [("fromnid", 129), ("fromname", "serverAuth"),
                                     ("fromname", "1.3.6.1.5.5.7.3.2"), ("fromnid", 13)])
def test_asn1object(impl, how, arg):
    same(lambda ssl: tuple(getattr(ssl._ASN1Object, how)(arg)), impl)


# ---- RAND_* -----------------------------------------------------------------------

def test_rand_status(impl):
    same(lambda ssl: ssl.RAND_status(), impl)


@pytest.mark.parametrize("n", [0, 1, 16, 4096])
def test_rand_bytes(impl, n):
    same(lambda ssl: (type(ssl.RAND_bytes(n)).__name__, len(ssl.RAND_bytes(n))), impl)


def test_rand_bytes_differ(impl):
    same(lambda ssl: ssl.RAND_bytes(32) != ssl.RAND_bytes(32), impl)


@pytest.mark.parametrize("n,exc", [(-1, "ValueError"), ("16", "TypeError"),
                                   (None, "TypeError"), (1.5, "TypeError"),
                                   (2 ** 70, "OverflowError")])
def test_rand_bytes_bad(impl, n, exc):
    same(lambda ssl: ssl.RAND_bytes(n), impl, raises=exc)


@pytest.mark.parametrize("data,entropy", [(b"seed", 1.0), ("text seed", 0.5),
                                          (bytearray(b"x" * 100), 100.0), (b"", 0.0),
                                          (memoryview(b"abc"), 2), (b"x", -1.0)])
def test_rand_add(impl, data, entropy):
    same(lambda ssl: ssl.RAND_add(data, entropy), impl)


@pytest.mark.parametrize("args,exc", [((1, 1.0), "TypeError"), ((b"x", "y"), "TypeError"),
                                      ((b"x",), "TypeError"), ((None, 1.0), "TypeError")])
def test_rand_add_bad(impl, args, exc):
    same(lambda ssl: ssl.RAND_add(*args), impl, raises=exc)


@pytest.mark.skipif(not hasattr(_std_ssl, "RAND_pseudo_bytes"),
                    reason="this interpreter's ssl has no RAND_pseudo_bytes")
@pytest.mark.parametrize("n", [0, 8])
def test_rand_pseudo_bytes(impl, n):
    same(lambda ssl: [(type(v).__name__, len(v) if isinstance(v, bytes) else v)
                      for v in ssl.RAND_pseudo_bytes(n)], impl)


# ---- default verify paths -------------------------------------------------------------

def test_core_get_default_verify_paths(core, std_core):
    same(lambda m: m.get_default_verify_paths(), core, ref=std_core)


def test_get_default_verify_paths(impl):
    same(lambda ssl: ssl.get_default_verify_paths(), impl)


def test_get_default_verify_paths_env(impl, monkeypatch, tmp_path):
    cafile = tmp_path / "ca.pem"
    cafile.write_text("x")
    monkeypatch.setenv("SSL_CERT_FILE", str(cafile))
    monkeypatch.setenv("SSL_CERT_DIR", str(tmp_path))
    same(lambda ssl: ssl.get_default_verify_paths(), impl)


def test_get_default_verify_paths_takes_no_arguments(core, std_core):
    same(lambda m: m.get_default_verify_paths(1), core, ref=std_core, raises="TypeError")


# ---- other helpers -----------------------------------------------------------------------

@pytest.mark.parametrize("protocol", ["PROTOCOL_TLS", "PROTOCOL_TLS_CLIENT",
                                      "PROTOCOL_TLS_SERVER", "PROTOCOL_TLSv1_2"])
def test_get_protocol_name(impl, protocol):
    same(lambda ssl: ssl.get_protocol_name(getattr(ssl, protocol)), impl)


def test_get_protocol_name_unknown(impl):
    same(lambda ssl: ssl.get_protocol_name(999), impl)


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="ssl.wrap_socket was removed in 3.12")
def test_wrap_socket_exists_before_312(impl):
    same(lambda ssl: callable(ssl.wrap_socket), impl)
