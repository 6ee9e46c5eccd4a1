"""SSLContext: construction, every attribute and every method, compared
with the interpreter's ssl (see conftest.py for how ``same`` compares)."""
import os
import shutil
import subprocess
import sys
import tempfile

import pytest

from conftest import CERTS, NEWER_API, same, stdlib_raises

import ssl as _std_ssl

PROTOCOLS = ["PROTOCOL_TLS_CLIENT", "PROTOCOL_TLS_SERVER", "PROTOCOL_TLS",
             "PROTOCOL_TLSv1", "PROTOCOL_TLSv1_1", "PROTOCOL_TLSv1_2"]

ATTRIBUTES = ["protocol", "options", "verify_mode", "verify_flags",
              "check_hostname", "minimum_version", "maximum_version",
              "security_level", "num_tickets", "post_handshake_auth",
              "hostname_checks_common_name", "keylog_filename", "sni_callback",
              "sslsocket_class", "sslobject_class"]
# Where this interpreter's ssl lacks one of sslmod's newer-API attributes
# (security_level before 3.10), the snapshot leaves it out; tests below
# check it on its own.
ATTRIBUTES = [a for a in ATTRIBUTES
              if a not in NEWER_API or hasattr(_std_ssl.SSLContext, a)]
STD_HAS_SECURITY_LEVEL = hasattr(_std_ssl.SSLContext, "security_level")


def attr(obj, name):
    """getattr, with a missing attribute or a failing getter as data."""
    try:
        return getattr(obj, name)
    except Exception as exc:
        return exc


def snapshot(ctx):
    """Everything a context shows about itself without a connection."""
    state = {name: attr(ctx, name) for name in ATTRIBUTES}
    state["session_stats"] = ctx.session_stats()
    state["cert_store_stats"] = ctx.cert_store_stats()
    state["ca_certs"] = ctx.get_ca_certs()
    state["cipher_names"] = [c["name"] for c in ctx.get_ciphers()]
    return state


def client(ssl):
    return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)


def server(ssl):
    return ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)


def setting(make, name, value):
    """A scenario: set NAME to VALUE on a fresh context, then snapshot it."""
    def scenario(ssl):
        ctx = make(ssl)
        setattr(ctx, name, value(ssl) if callable(value) else value)
        return snapshot(ctx)
    return scenario


# ---- construction and defaults ---------------------------------------------

@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_defaults_for_every_protocol(impl, protocol):
    # The old protocol constants warn on 3.10+; same() compares that too.
    same(lambda ssl: snapshot(ssl.SSLContext(getattr(ssl, protocol))), impl)


def test_protocol_positional_and_keyword(impl):
    same(lambda ssl: (ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER).protocol,
                      ssl.SSLContext(protocol=ssl.PROTOCOL_TLS_CLIENT).protocol), impl)


def test_no_protocol_argument(impl):
    # 3.10+ deprecates SSLContext() without a protocol, and picks PROTOCOL_TLS.
    same(lambda ssl: snapshot(ssl.SSLContext()), impl)


@pytest.mark.parametrize("protocol", [99, -1, 2 ** 40, "TLS", None, 1.5])
def test_bad_protocol(impl, protocol):
    # None means "the default protocol" on 3.10+, an error before.
    scenario = lambda ssl: snapshot(ssl.SSLContext(protocol))
    same(scenario, impl, raises=stdlib_raises(scenario))


def test_default_context_types(impl):
    same(lambda ssl: (type(client(ssl)).__name__, isinstance(client(ssl), ssl.SSLContext),
                      type(client(ssl)).__mro__[1].__name__), impl)


def test_subclassing(impl):
    def scenario(ssl):
        class MyContext(ssl.SSLContext):
            def __init__(self, protocol, note):
                super().__init__()
                self.note = note

            def __new__(cls, protocol, note):
                return super().__new__(cls, protocol)

        ctx = MyContext(ssl.PROTOCOL_TLS_CLIENT, "hello")
        ctx.extra = 42
        ctx.verify_mode = ssl.CERT_OPTIONAL
        return (type(ctx).__name__, ctx.note, ctx.extra, isinstance(ctx, ssl.SSLContext),
                snapshot(ctx))
    same(scenario, impl)


def test_subclass_changes_defaults(impl):
    def scenario(ssl):
        class Strict(ssl.SSLContext):
            def __init__(self, *args, **kwargs):
                super().__init__()
                self.minimum_version = ssl.TLSVersion.TLSv1_3
        return snapshot(Strict(ssl.PROTOCOL_TLS_SERVER))
    same(scenario, impl)


# ---- attribute setters ------------------------------------------------------

@pytest.mark.parametrize("value", ["CERT_NONE", "CERT_OPTIONAL", "CERT_REQUIRED"])
def test_verify_mode_on_server(impl, value):
    same(setting(server, "verify_mode", lambda ssl: getattr(ssl, value)), impl)


def test_verify_mode_none_with_check_hostname(impl):
    same(setting(client, "verify_mode", lambda ssl: ssl.CERT_NONE), impl, raises="ValueError")


def test_verify_mode_after_check_hostname_off(impl):
    def scenario(ssl):
        ctx = client(ssl)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        return snapshot(ctx)
    same(scenario, impl)


@pytest.mark.parametrize("value,exc", [(42, "ValueError"), (-1, "ValueError"),
                                       ("CERT_NONE", "TypeError"), (None, "TypeError"),
                                       (2 ** 70, "OverflowError")])
def test_verify_mode_bad(impl, value, exc):
    same(setting(server, "verify_mode", value), impl, raises=exc)


def test_check_hostname_forces_cert_required(impl):
    def scenario(ssl):
        ctx = server(ssl)
        ctx.check_hostname = True
        return snapshot(ctx)
    same(scenario, impl)


@pytest.mark.parametrize("value", [0, 1, "", "yes", None, [], [1]])
def test_check_hostname_truthiness(impl, value):
    def scenario(ssl):
        ctx = server(ssl)
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.check_hostname = value
        return snapshot(ctx)
    same(scenario, impl)


def stdlib_has(*names):
    """The NAMES this interpreter's ssl defines (some are newer than 3.9)."""
    return [n for n in names if hasattr(_std_ssl, n)]


@pytest.mark.parametrize("name", stdlib_has(
    "OP_NO_COMPRESSION", "OP_NO_TICKET", "OP_CIPHER_SERVER_PREFERENCE",
    "OP_NO_RENEGOTIATION", "OP_IGNORE_UNEXPECTED_EOF", "OP_ENABLE_MIDDLEBOX_COMPAT",
    "OP_LEGACY_SERVER_CONNECT", "OP_SINGLE_DH_USE", "OP_ENABLE_KTLS", "OP_NO_SSLv2"))
def test_options_toggle(impl, name):
    def scenario(ssl):
        flag = getattr(ssl, name)
        ctx = client(ssl)
        ctx.options |= flag
        on = ctx.options
        ctx.options &= ~flag
        return on, ctx.options, type(ctx.options).__name__
    same(scenario, impl)


@pytest.mark.parametrize("name", ["OP_NO_SSLv2", "OP_NO_SSLv3", "OP_NO_TLSv1",
                                  "OP_NO_TLSv1_1", "OP_NO_TLSv1_2", "OP_NO_TLSv1_3"])
def test_options_no_protocol_flags_warn(impl, name):
    # 3.10+ deprecates setting OP_NO_SSL*/OP_NO_TLS*; the text must match.
    def scenario(ssl):
        ctx = client(ssl)
        ctx.options |= getattr(ssl, name)
        return snapshot(ctx)
    same(scenario, impl)


def test_options_clear_everything(impl):
    def scenario(ssl):
        ctx = client(ssl)
        ctx.options = 0
        return ctx.options
    same(scenario, impl)


@pytest.mark.parametrize("value,exc", [("x", "TypeError"), (None, "TypeError"),
                                       (2 ** 65, "OverflowError"), (1.0, "TypeError")])
def test_options_bad(impl, value, exc):
    same(setting(client, "options", value), impl, raises=exc)


def test_options_negative(impl):
    # Accepted by 3.9, an OverflowError on later versions.
    scenario = setting(client, "options", -1)
    same(scenario, impl, raises=stdlib_raises(scenario))


@pytest.mark.parametrize("names", [["VERIFY_CRL_CHECK_LEAF"], ["VERIFY_X509_STRICT"],
                                   ["VERIFY_CRL_CHECK_CHAIN", "VERIFY_X509_TRUSTED_FIRST"],
                                   ["VERIFY_DEFAULT"]]
                         + [[n] for n in stdlib_has("VERIFY_X509_PARTIAL_CHAIN",
                                                    "VERIFY_ALLOW_PROXY_CERTS")])
def test_verify_flags(impl, names):
    def scenario(ssl):
        ctx = client(ssl)
        flags = ssl.VERIFY_DEFAULT
        for n in names:
            flags |= getattr(ssl, n)
        ctx.verify_flags = flags
        result = [ctx.verify_flags]
        ctx.verify_flags &= ~flags
        result.append(ctx.verify_flags)
        return result
    same(scenario, impl)


@pytest.mark.parametrize("value,exc", [("x", "TypeError"), (None, "TypeError"),
                                       (1.5, "TypeError")])
def test_verify_flags_bad(impl, value, exc):
    same(setting(client, "verify_flags", value), impl, raises=exc)


@pytest.mark.parametrize("value", [-1, 2 ** 65, 2 ** 64 + 8])
def test_verify_flags_out_of_range(impl, value):
    # The stdlib masks the value to an unsigned long rather than raising.
    scenario = setting(client, "verify_flags", value)
    same(scenario, impl, raises=stdlib_raises(scenario))


@pytest.mark.parametrize("attr_name", ["minimum_version", "maximum_version"])
@pytest.mark.parametrize("version", ["MINIMUM_SUPPORTED", "MAXIMUM_SUPPORTED", "SSLv3",
                                     "TLSv1", "TLSv1_1", "TLSv1_2", "TLSv1_3"])
def test_min_max_version(impl, attr_name, version):
    # Old versions warn on 3.10+ ("ssl.TLSVersion.TLSv1 is deprecated").
    same(setting(client, attr_name, lambda ssl: getattr(ssl.TLSVersion, version)), impl)


@pytest.mark.parametrize("attr_name", ["minimum_version", "maximum_version"])
@pytest.mark.parametrize("value,exc", [(0x42, "ValueError"), (-3, "ValueError"),
                                       ("TLSv1_2", "TypeError"), (None, "TypeError")])
def test_min_max_version_bad(impl, attr_name, value, exc):
    same(setting(client, attr_name, value), impl, raises=exc)


@pytest.mark.parametrize("attr_name", ["minimum_version", "maximum_version"])
def test_min_max_version_raw_int(impl, attr_name):
    # The C setter accepts the plain PROTO_* number.
    def scenario(ssl):
        ctx = client(ssl)
        c_base = ssl.SSLContext.__mro__[1]
        c_base.__dict__[attr_name].__set__(ctx, 0x0303)
        return snapshot(ctx)
    same(scenario, impl)


@pytest.mark.parametrize("attr_name", ["minimum_version", "maximum_version"])
def test_min_max_version_fixed_protocol(impl, attr_name):
    def scenario(ssl):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLSv1_2)
        setattr(ctx, attr_name, ssl.TLSVersion.TLSv1_2)
    same(scenario, impl, raises="ValueError")


def test_security_level_read_only(impl):
    # Read-only (3.10+; sslmod has it on 3.9 too, as there).
    scenario = setting(client, "security_level", 1)
    if not STD_HAS_SECURITY_LEVEL:
        import sslmod
        with pytest.raises(AttributeError):
            scenario(sslmod)
        return
    same(scenario, impl, raises=stdlib_raises(scenario))


def _security_levels(ssl):
    ctx = client(ssl)
    levels = [attr(ctx, "security_level")]
    ctx.set_ciphers("DEFAULT:@SECLEVEL=1")
    levels.append(attr(ctx, "security_level"))
    ctx.set_ciphers("DEFAULT:@SECLEVEL=3")
    levels.append(attr(ctx, "security_level"))
    return levels


def test_security_level_follows_cipher_string(impl):
    if not STD_HAS_SECURITY_LEVEL:
        import sslmod
        assert _security_levels(sslmod) == [2, 1, 3]
        return
    same(_security_levels, impl)


@pytest.mark.parametrize("value", [0, 1, 5, 2 ** 31 - 1])
def test_num_tickets(impl, value):
    same(setting(server, "num_tickets", value), impl)


@pytest.mark.parametrize("make,value,exc", [
    (server, -1, "ValueError"), (server, "2", "TypeError"), (server, None, "TypeError"),
    (server, 2 ** 70, "OverflowError"), (client, 2, "ValueError")])
def test_num_tickets_bad(impl, make, value, exc):
    same(setting(make, "num_tickets", value), impl, raises=exc)


@pytest.mark.parametrize("make", [client, server])
@pytest.mark.parametrize("value", [True, False, 1, 0])
def test_post_handshake_auth(impl, make, value):
    same(setting(make, "post_handshake_auth", value), impl)


@pytest.mark.parametrize("value", [True, False])
def test_hostname_checks_common_name(impl, value):
    def scenario(ssl):
        ctx = client(ssl)
        ctx.hostname_checks_common_name = value
        first = ctx.hostname_checks_common_name
        ctx.hostname_checks_common_name = not value
        return first, ctx.hostname_checks_common_name
    same(scenario, impl)


def test_keylog_filename(impl, tmp_path):
    path = str(tmp_path / "keylog.txt")

    def scenario(ssl):
        if os.path.exists(path):
            os.unlink(path)
        if True:
            ctx = client(ssl)
            ctx.keylog_filename = path
            name = ctx.keylog_filename
            exists = os.path.exists(path)
            with open(path, "rb") as f:
                header = f.read()
            ctx.keylog_filename = None
            return name, exists, header, ctx.keylog_filename
    same(scenario, impl)


def test_keylog_filename_appends(impl, tmp_path):
    path = str(tmp_path / "keylog.txt")

    def scenario(ssl):
        if True:
            with open(path, "wb") as f:
                f.write(b"existing line\n")
            client(ssl).keylog_filename = path
            with open(path, "rb") as f:
                return f.read()
    same(scenario, impl)


@pytest.mark.parametrize("value,exc", [(42, "TypeError"), (b"/tmp/x\0y", "ValueError"),
                                       ("/nonexistent-dir/keylog", "FileNotFoundError")])
def test_keylog_filename_bad(impl, value, exc):
    same(setting(client, "keylog_filename", value), impl, raises=exc)


def test_keylog_filename_directory(impl, tmp_path):
    same(setting(client, "keylog_filename", str(tmp_path)), impl, raises="IsADirectoryError")


def test_sni_callback(impl):
    def scenario(ssl):
        ctx = server(ssl)
        def callback(sslobj, name, context):
            return None
        ctx.sni_callback = callback
        first = ctx.sni_callback is callback
        ctx.sni_callback = None
        return first, ctx.sni_callback
    same(scenario, impl)


def test_sni_callback_not_callable(impl):
    same(setting(server, "sni_callback", 42), impl, raises="TypeError")


def test_set_servername_callback(impl):
    def scenario(ssl):
        ctx = server(ssl)
        ctx.set_servername_callback(lambda sock, name, ctx: None)
        wrapped = ctx.sni_callback is not None
        ctx.set_servername_callback(None)
        return wrapped, ctx.sni_callback
    same(scenario, impl)


def test_set_servername_callback_not_callable(impl):
    same(lambda ssl: server(ssl).set_servername_callback(42), impl, raises="TypeError")


def test_protocol_read_only(impl):
    same(setting(client, "protocol", 2), impl, raises="AttributeError")


def test_unknown_attribute(impl):
    same(lambda ssl: client(ssl).no_such_attribute, impl, raises="AttributeError")


# ---- load_cert_chain ---------------------------------------------------------

def load_chain(certfile, keyfile=None, password=None, make=server):
    def scenario(ssl):
        ctx = make(ssl)
        result = ctx.load_cert_chain(CERTS(certfile) if certfile else certfile,
                                     CERTS(keyfile) if keyfile else keyfile,
                                     password)
        return result, snapshot(ctx)
    return scenario


@pytest.mark.parametrize("certfile,keyfile", [
    ("server-rsa.pem", "server-rsa.key"),
    ("server-rsa-chain.pem", "server-rsa.key"),
    ("server-ecdsa-chain.pem", "server-ecdsa.key"),
    ("server-ed25519-chain.pem", "server-ed25519.key"),
    ("server-rsa-combined.pem", None),
    ("client.pem", "client.key"),
    ("selfsigned.pem", "selfsigned.key"),
    ("expired.pem", "expired.key"),
])
def test_load_cert_chain(impl, certfile, keyfile):
    same(load_chain(certfile, keyfile), impl)


@pytest.mark.parametrize("keyfile", ["server-rsa-enc.key", "server-rsa-des3.key"])
@pytest.mark.parametrize("password", ["somepass", b"somepass", bytearray(b"somepass"),
                                      lambda: "somepass", lambda: b"somepass",
                                      lambda: bytearray(b"somepass")])
def test_load_cert_chain_encrypted_key(impl, keyfile, password):
    same(load_chain("server-rsa.pem", keyfile, password), impl)


@pytest.mark.parametrize("keyfile", ["server-rsa-enc.key", "server-rsa-des3.key"])
@pytest.mark.parametrize("password", ["wrong", b"", lambda: "wrong"])
def test_load_cert_chain_wrong_password(impl, keyfile, password):
    same(load_chain("server-rsa.pem", keyfile, password), impl, raises="SSLError")


def test_load_cert_chain_password_callable_raises(impl):
    def password():
        raise KeyError("no password here")
    same(load_chain("server-rsa.pem", "server-rsa-enc.key", password), impl,
         raises="KeyError")


@pytest.mark.parametrize("password,exc", [
    (lambda: 42, "TypeError"), (lambda: None, "TypeError"),
    (42, "TypeError"), (["somepass"], "TypeError"),
    ("x" * 2000, "ValueError"), (lambda: "x" * 2000, "ValueError"),
])
def test_load_cert_chain_bad_password(impl, password, exc):
    same(load_chain("server-rsa.pem", "server-rsa-enc.key", password), impl, raises=exc)


def test_load_cert_chain_password_not_needed(impl):
    # A password given for an unencrypted key is ignored, callable or not.
    def password():
        raise AssertionError("not called")
    same(load_chain("server-rsa.pem", "server-rsa.key", password), impl)


@pytest.mark.parametrize("certfile,keyfile", [
    ("server-rsa.pem", "client.key"),
    ("server-ecdsa.pem", "server-rsa.key"),
])
def test_load_cert_chain_mismatched_key(impl, certfile, keyfile):
    same(load_chain(certfile, keyfile), impl, raises="SSLError")


@pytest.mark.parametrize("certfile,keyfile,exc", [
    ("server-rsa.pem", None, "SSLError"),        # no key in the file
    ("garbage.pem", "server-rsa.key", "SSLError"),
    ("truncated.pem", "server-rsa.key", "SSLError"),
    ("empty.pem", "server-rsa.key", "SSLError"),
    ("server-rsa.pem", "garbage.pem", "SSLError"),
    ("server-rsa.key", "server-rsa.key", "SSLError"),
    ("dh.pem", None, "SSLError"),
])
def test_load_cert_chain_bad_files(impl, certfile, keyfile, exc):
    same(load_chain(certfile, keyfile), impl, raises=exc)


@pytest.mark.parametrize("args,exc", [
    (("/nonexistent/cert.pem",), "FileNotFoundError"),
    ((CERTS("server-rsa.pem"), "/nonexistent/key.pem"), "FileNotFoundError"),
    ((CERTS.dir,), "IsADirectoryError"),
    ((None,), "TypeError"),
    ((42,), "TypeError"),
    ((b"/nonexistent/cert.pem",), "FileNotFoundError"),
    (("bad\0name",), "ValueError"),
    ((), "TypeError"),
])
def test_load_cert_chain_bad_arguments(impl, args, exc):
    same(lambda ssl: server(ssl).load_cert_chain(*args), impl, raises=exc)


def test_load_cert_chain_keywords(impl):
    same(lambda ssl: server(ssl).load_cert_chain(
        certfile=CERTS("server-rsa.pem"), keyfile=CERTS("server-rsa-enc.key"),
        password="somepass"), impl)


def test_load_cert_chain_pathlike(impl):
    import pathlib
    same(lambda ssl: server(ssl).load_cert_chain(
        pathlib.Path(CERTS("server-rsa.pem")), pathlib.Path(CERTS("server-rsa.key"))), impl)


# ---- load_verify_locations ---------------------------------------------------

def verify_locations(**kwargs):
    def scenario(ssl):
        ctx = client(ssl)
        result = ctx.load_verify_locations(**kwargs)
        return (result, ctx.cert_store_stats(), ctx.get_ca_certs(),
                ctx.get_ca_certs(binary_form=True))
    return scenario


@pytest.mark.parametrize("name", ["ca.pem", "ca-bundle.pem", "intermediate.pem",
                                  "server-rsa-chain.pem", "selfsigned.pem", "allsans.pem",
                                  "nullbytes.pem", "unicode.pem", "bigserial.pem",
                                  "server-rsa-combined.pem"])
def test_load_verify_locations_cafile(impl, name):
    same(verify_locations(cafile=CERTS(name)), impl)


def test_load_verify_locations_twice(impl):
    def scenario(ssl):
        ctx = client(ssl)
        ctx.load_verify_locations(CERTS("ca.pem"))
        ctx.load_verify_locations(CERTS("ca-bundle.pem"))
        return ctx.cert_store_stats(), ctx.get_ca_certs()
    same(scenario, impl)


@pytest.fixture(scope="module")
def capath():
    """A hashed certificate directory, made with ``openssl rehash``."""
    tmp = tempfile.mkdtemp(prefix="sslmod-capath-")
    for name in ("ca.pem", "intermediate.pem", "selfsigned.pem"):
        shutil.copy(CERTS(name), tmp)
    subprocess.run(["openssl", "rehash", tmp], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    assert any(len(n) == 10 and n[8] == "." for n in os.listdir(tmp)), os.listdir(tmp)
    yield tmp
    shutil.rmtree(tmp)


def test_load_verify_locations_capath_missing(impl):
    # Not an error: OpenSSL only looks into a capath when it verifies.
    same(verify_locations(capath="/nonexistent/dir"), impl)


def test_load_verify_locations_capath(impl, capath):
    # A capath is read lazily, during verification, so the store stays empty.
    same(verify_locations(capath=capath), impl)


def test_load_verify_locations_capath_bytes(impl, capath):
    same(verify_locations(capath=os.fsencode(capath)), impl)


def test_load_verify_locations_cafile_and_capath(impl, capath):
    same(verify_locations(cafile=CERTS("ca.pem"), capath=capath), impl)


@pytest.mark.parametrize("names", [["ca.pem"], ["ca.pem", "intermediate.pem"],
                                   ["ca.pem", "intermediate.pem", "selfsigned.pem",
                                    "allsans.pem"]])
def test_load_verify_locations_cadata_pem(impl, names):
    cadata = "".join(CERTS.text(n) for n in names)
    same(verify_locations(cadata=cadata), impl)


def test_load_verify_locations_cadata_pem_with_text_around(impl):
    cadata = ("leading text\n" + CERTS.text("ca.pem") + "in between\n"
              + CERTS.text("intermediate.pem") + "trailing text\n")
    same(verify_locations(cadata=cadata), impl)


@pytest.mark.parametrize("names", [["ca.der"], ["ca-bundle.der"], ["ca-bundle.der", "ca.der"]])
def test_load_verify_locations_cadata_der(impl, names):
    cadata = b"".join(CERTS.read(n) for n in names)
    same(verify_locations(cadata=cadata), impl)


def test_load_verify_locations_cadata_der_bytearray(impl):
    same(verify_locations(cadata=bytearray(CERTS.read("ca-bundle.der"))), impl)


def test_load_verify_locations_cadata_der_memoryview(impl):
    same(verify_locations(cadata=memoryview(CERTS.read("ca-bundle.der"))), impl)


@pytest.mark.parametrize("kwargs,exc", [
    ({}, "TypeError"),
    ({"cadata": ""}, "ValueError"),
    ({"cadata": b""}, "ValueError"),
    ({"cadata": "garbage"}, "SSLError"),
    ({"cadata": b"garbage"}, "SSLError"),
    ({"cadata": CERTS.text("truncated.pem")}, "SSLError"),
    ({"cadata": CERTS.read("ca.der")[:-10]}, True),
    # Trailing junk after DER certificates: ignored before 3.11.
    ({"cadata": CERTS.read("ca.der") + b"\x30\x82"}, None),
    ({"cadata": 42}, "TypeError"),
    ({"cadata": ["x"]}, "TypeError"),
    ({"cadata": "caf\u00e9"}, "TypeError"),
    ({"cafile": 42}, "TypeError"),
    ({"capath": 42}, "TypeError"),
    ({"cafile": "/nonexistent/ca.pem"}, "FileNotFoundError"),
    ({"cafile": CERTS("garbage.pem")}, "SSLError"),
    ({"cafile": CERTS("truncated.pem")}, "SSLError"),
    ({"cafile": CERTS("empty.pem")}, "SSLError"),
    ({"cafile": CERTS("ca.der")}, "SSLError"),
    ({"cafile": "bad\0name"}, "ValueError"),
])
def test_load_verify_locations_bad(impl, kwargs, exc):
    scenario = verify_locations(**kwargs)
    same(scenario, impl, raises=exc or stdlib_raises(scenario))


@pytest.mark.parametrize("binary_form", [False, True])
def test_get_ca_certs_empty_and_loaded(impl, binary_form):
    def scenario(ssl):
        ctx = client(ssl)
        before = ctx.get_ca_certs(binary_form)
        ctx.load_verify_locations(cadata=CERTS.text("ca-bundle.pem"))
        return before, ctx.get_ca_certs(binary_form=binary_form)
    same(scenario, impl)


def test_get_ca_certs_skips_non_ca(impl):
    # get_ca_certs lists only certificates marked as CAs; stats count both.
    def scenario(ssl):
        ctx = client(ssl)
        ctx.load_verify_locations(CERTS("server-rsa-chain.pem"))
        return ctx.cert_store_stats(), ctx.get_ca_certs(), len(ctx.get_ca_certs(True))
    same(scenario, impl)


# ---- default certificates ------------------------------------------------------

def test_set_default_verify_paths(impl):
    def scenario(ssl):
        ctx = client(ssl)
        return ctx.set_default_verify_paths(), ctx.cert_store_stats()
    same(scenario, impl)


@pytest.mark.parametrize("purpose", ["SERVER_AUTH", "CLIENT_AUTH"])
def test_load_default_certs(impl, purpose):
    def scenario(ssl):
        ctx = client(ssl)
        return ctx.load_default_certs(getattr(ssl.Purpose, purpose)), ctx.cert_store_stats()
    same(scenario, impl)


def test_load_default_certs_bad_purpose(impl):
    same(lambda ssl: client(ssl).load_default_certs("serverAuth"), impl, raises="TypeError")


# ---- ciphers ---------------------------------------------------------------------

@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_get_ciphers(impl, protocol):
    same(lambda ssl: ssl.SSLContext(getattr(ssl, protocol)).get_ciphers(), impl)


@pytest.mark.parametrize("spec", ["HIGH", "ECDHE+AESGCM", "AES256-SHA256:AES128-SHA",
                                  "DEFAULT", "ALL:@SECLEVEL=0", "HIGH:!aNULL:!MD5",
                                  "CHACHA20", "PSK"])
def test_set_ciphers(impl, spec):
    def scenario(ssl):
        ctx = client(ssl)
        return ctx.set_ciphers(spec), ctx.get_ciphers(), ctx.security_level \
            if sys.version_info >= (3, 10) else None
    same(scenario, impl)


@pytest.mark.parametrize("spec,exc", [("nonsense", "SSLError"), ("", "SSLError"),
                                      ("!ALL", "SSLError"), (42, "TypeError"),
                                      (b"HIGH", "TypeError"), (None, "TypeError"),
                                      ("HIGH\0LOW", "ValueError")])
def test_set_ciphers_bad(impl, spec, exc):
    same(lambda ssl: client(ssl).set_ciphers(spec), impl, raises=exc)


# ---- DH and ECDH -----------------------------------------------------------------

def test_load_dh_params(impl):
    same(lambda ssl: server(ssl).load_dh_params(CERTS("dh.pem")), impl)


@pytest.mark.parametrize("arg,exc", [("/nonexistent/dh.pem", "FileNotFoundError"),
                                     (CERTS("garbage.pem"), "SSLError"),
                                     (CERTS("empty.pem"), "SSLError"),
                                     (CERTS("ca.pem"), "SSLError"),
                                     (42, "TypeError"), (None, "TypeError")])
def test_load_dh_params_bad(impl, arg, exc):
    same(lambda ssl: server(ssl).load_dh_params(arg), impl, raises=exc)


# X25519 is left out: 3.9 and 3.10 refuse it (CPython gh-77063), sslmod
# takes it on every interpreter (issue 9; tests/test_groups.py).
@pytest.mark.parametrize("curve", ["prime256v1", "secp384r1", "secp521r1", b"prime256v1"])
def test_set_ecdh_curve(impl, curve):
    scenario = lambda ssl: server(ssl).set_ecdh_curve(curve)
    same(scenario, impl, raises=stdlib_raises(scenario))


@pytest.mark.parametrize("curve,exc", [("nocurve", "ValueError"), ("", "ValueError"),
                                       (42, "TypeError"), (None, "TypeError"),
                                       ("prime256v1\0x", "ValueError")])
def test_set_ecdh_curve_bad(impl, curve, exc):
    same(lambda ssl: server(ssl).set_ecdh_curve(curve), impl, raises=exc)


# ---- sessions, ALPN, NPN -----------------------------------------------------------

@pytest.mark.parametrize("make", [client, server])
def test_session_stats(impl, make):
    same(lambda ssl: make(ssl).session_stats(), impl)


@pytest.mark.parametrize("protocols", [["h2", "http/1.1"], ["x" * 255], [], ["a"] * 100])
def test_set_alpn_protocols(impl, protocols):
    same(lambda ssl: client(ssl).set_alpn_protocols(protocols), impl)


@pytest.mark.parametrize("protocols,exc", [
    # The stdlib reports a bad length as SSLError (with no library/reason).
    ([""], "SSLError"), (["x" * 256], "SSLError"), (["h2", ""], "SSLError"),
    ([42], "TypeError"), ("h2", None), (None, "TypeError"), (["caf\u00e9"], None),
])
def test_set_alpn_protocols_bad(impl, protocols, exc):
    scenario = lambda ssl: client(ssl).set_alpn_protocols(protocols)
    same(scenario, impl, raises=exc or stdlib_raises(scenario))


@pytest.mark.parametrize("protocols", [["http/1.1"], [], [""]])
def test_set_npn_protocols(impl, protocols):
    # NPN is gone from the stdlib (HAS_NPN is False): it raises, and warns on 3.10+.
    scenario = lambda ssl: client(ssl).set_npn_protocols(protocols)
    same(scenario, impl, raises=stdlib_raises(scenario))


# ---- misc ----------------------------------------------------------------------------

def test_context_not_picklable(impl):
    import pickle
    same(lambda ssl: pickle.dumps(client(ssl)), impl, raises="TypeError")


def test_wrap_bio_needs_memory_bios(impl):
    same(lambda ssl: client(ssl).wrap_bio(42, 42), impl, raises="TypeError")
