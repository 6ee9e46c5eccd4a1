"""load_cert_chain(certdata=..., keydata=...): certificates and keys from
memory (issue 9, CPython gh-60691).  The stdlib has no such thing, so the
reference for every outcome is the stdlib loading the same bytes from a
file; the openssl command-line tool is the peer that checks the loaded
chain really is what a connection presents."""
import os
import subprocess
import sys

import pytest

import connutil as cu
from conftest import CERTS, beyond_stdlib, normalize, under_nomemory

import ssl as _std_ssl

pytestmark = pytest.mark.skipif(cu.OPENSSL is None, reason="the openssl CLI is not installed")


@pytest.fixture(autouse=True)
def _sslmod_only(request):
    """In the suite's self-check mode (SSLMOD_TEST_IMPLS=stdlib,...) the
    interpreter's ssl has none of this: say so instead of failing."""
    if "impl_name" in request.fixturenames:
        beyond_stdlib(request.getfixturevalue("impl_name"),
                      "load_cert_chain(certdata=) is sslmod's (issue 9)")


def openssl_convert(*args, data):
    """Run `openssl ARGS` as a filter: DATA on stdin, the output returned."""
    proc = subprocess.run([cu.OPENSSL, *args], input=data, capture_output=True,
                          timeout=cu.TIMEOUT, check=True)
    return proc.stdout


@pytest.fixture(scope="module")
def der():
    """DER forms made by the openssl CLI, in memory only."""
    leaf = openssl_convert("x509", "-outform", "DER", data=CERTS.read("server-rsa.pem"))
    inter = openssl_convert("x509", "-outform", "DER", data=CERTS.read("intermediate.pem"))
    key = CERTS.read("server-rsa.key")
    return {
        "leaf": leaf,
        "chain": leaf + inter,
        "pkcs8": openssl_convert("pkcs8", "-topk8", "-nocrypt", "-outform", "DER", data=key),
        "pkcs8_enc": openssl_convert("pkcs8", "-topk8", "-v2", "aes-256-cbc", "-outform",
                                     "DER", "-passout", "pass:somepass", data=key),
        "traditional": openssl_convert("rsa", "-outform", "DER", data=key),
        "ecdsa_key": openssl_convert("pkcs8", "-topk8", "-nocrypt", "-outform", "DER",
                                     data=CERTS.read("server-ecdsa.key")),
    }


def outcome(fn):
    try:
        return ("return", normalize(fn()))
    except Exception as exc:   # noqa: BLE001 - compared as data
        return ("raise", normalize(exc))


def server(mod):
    return mod.SSLContext(mod.PROTOCOL_TLS_SERVER)


FORMS = {
    "bytes": lambda b: b,
    "str": lambda b: b.decode("ascii"),
    "bytearray": bytearray,
    "memoryview": memoryview,
}


# ---- the same outcome as the stdlib loading the same files -------------------

CASES = [
    # (certfile, keyfile, password, stdlib exception or None)
    ("server-rsa.pem", "server-rsa.key", None, None),
    ("server-rsa-chain.pem", "server-rsa.key", None, None),
    ("server-ecdsa-chain.pem", "server-ecdsa.key", None, None),
    ("server-ed25519-chain.pem", "server-ed25519.key", None, None),
    ("server-rsa-combined.pem", None, None, None),
    ("server-rsa.pem", "server-rsa-enc.key", "somepass", None),
    ("server-rsa.pem", "server-rsa-enc.key", b"somepass", None),
    ("server-rsa.pem", "server-rsa-des3.key", lambda: "somepass", None),
    ("server-rsa.pem", "server-rsa-enc.key", "wrong", "SSLError"),
    ("server-rsa.pem", "server-rsa-des3.key", b"", "SSLError"),
    ("server-rsa.pem", "client.key", None, "SSLError"),            # mismatch, same type
    ("server-ecdsa.pem", "server-rsa.key", None, "SSLError"),      # mismatch, other type
    ("garbage.pem", "server-rsa.key", None, "SSLError"),
    ("truncated.pem", "server-rsa.key", None, "SSLError"),
    ("empty.pem", "server-rsa.key", None, "SSLError"),
    ("server-rsa.pem", "garbage.pem", None, "SSLError"),
    ("server-rsa.pem", None, None, "SSLError"),                    # no key at all
    ("server-rsa.key", "server-rsa.key", None, "SSLError"),        # a key as certificate
    ("dh.pem", None, None, "SSLError"),
    ("server-rsa.pem", "server-rsa-enc.key", lambda: 42, "TypeError"),
    ("server-rsa.pem", "server-rsa-enc.key", "x" * 2000, "ValueError"),
]


def _ascii(name):
    try:
        CERTS.read(name).decode("ascii")
    except UnicodeDecodeError:
        return False
    return True


# A str must be ASCII (garbage.pem is not: it is tested as bytes only).
MEMORY_CASES = [pytest.param(form, *case, id="-".join(
                    [form] + [str(x) for x in case[:2]] + (["pw"] if case[2] else [])))
                for case in CASES for form in sorted(FORMS)
                if form != "str" or all(_ascii(n) for n in case[:2] if n)]


@pytest.mark.parametrize("form,certfile,keyfile,password,exc", MEMORY_CASES)
def test_memory_like_file(impl, form, certfile, keyfile, password, exc):
    conv = FORMS[form]

    def from_file():
        return server(_std_ssl).load_cert_chain(
            CERTS(certfile), CERTS(keyfile) if keyfile else None, password)

    def from_memory():
        kw = {"certdata": conv(CERTS.read(certfile))}
        if keyfile:
            kw["keydata"] = conv(CERTS.read(keyfile))
        return server(impl).load_cert_chain(password=password, **kw)

    expected = outcome(from_file)
    assert (expected[0] == "raise") == (exc is not None), expected
    if exc:
        assert expected[1][1] == exc
    assert outcome(from_memory) == expected


def test_password_callable_raises(impl):
    def password():
        raise KeyError("no password here")
    with pytest.raises(KeyError, match="no password here"):
        server(impl).load_cert_chain(certdata=CERTS.read("server-rsa.pem"),
                                     keydata=CERTS.read("server-rsa-enc.key"),
                                     password=password)


def test_password_not_needed_is_not_called(impl):
    def password():
        raise AssertionError("not called")
    assert server(impl).load_cert_chain(certdata=CERTS.read("server-rsa.pem"),
                                        keydata=CERTS.read("server-rsa.key"),
                                        password=password) is None


def test_encrypted_without_password_never_prompts(impl):
    # The file path would ask OpenSSL's terminal prompt; memory data never
    # does: no password is a wrong password ("[SSL] PEM lib").
    wrong = outcome(lambda: server(_std_ssl).load_cert_chain(
        CERTS("server-rsa.pem"), CERTS("server-rsa-enc.key"), "wrong"))
    got = outcome(lambda: server(impl).load_cert_chain(
        certdata=CERTS.read("server-rsa.pem"), keydata=CERTS.read("server-rsa-enc.key")))
    assert got == wrong


# ---- DER ------------------------------------------------------------------------

@pytest.mark.parametrize("keyform,password", [
    ("pkcs8", None), ("traditional", None), ("pkcs8_enc", "somepass"),
    ("pkcs8_enc", b"somepass"), ("pkcs8_enc", lambda: bytearray(b"somepass")),
])
@pytest.mark.parametrize("certform", ["leaf", "chain"])
def test_der(impl, der, certform, keyform, password):
    ctx = server(impl)
    assert ctx.load_cert_chain(certdata=der[certform], keydata=der[keyform],
                               password=password) is None


@pytest.mark.parametrize("keyform,password,reason", [
    ("pkcs8_enc", "wrong", "wrong password"),
    ("pkcs8_enc", None, "no password"),
    ("ecdsa_key", None, "other key"),
])
def test_der_errors_like_file(impl, der, keyform, password, reason):
    # The file path's outcome for the same mistake with PEM files.
    files = {"wrong password": ("server-rsa-enc.key", "wrong"),
             "no password": ("server-rsa-enc.key", "wrong"),
             "other key": ("server-ecdsa.key", None)}[reason]
    expected = outcome(lambda: server(_std_ssl).load_cert_chain(
        CERTS("server-rsa.pem"), CERTS(files[0]), files[1]))
    assert expected[0] == "raise"
    got = outcome(lambda: server(impl).load_cert_chain(
        certdata=der["leaf"], keydata=der[keyform], password=password))
    assert got == expected


def test_der_garbage_after_leaf(impl, der):
    with pytest.raises(impl.SSLError):
        server(impl).load_cert_chain(certdata=der["leaf"] + b"\x30\x03junk",
                                     keydata=der["pkcs8"])


# ---- bad arguments ----------------------------------------------------------------

@pytest.mark.parametrize("kwargs,exc,message", [
    ({"certfile": "x.pem", "certdata": b"x"}, TypeError, "either certfile or certdata"),
    ({"keydata": b"x"}, TypeError, "keydata needs certdata"),
    ({"certdata": b"x", "keyfile": "x.key"}, TypeError, "keyfile cannot be combined"),
    ({"certdata": 42}, TypeError, "certdata should be an ASCII string or a bytes-like"),
    ({"certdata": b"x", "keydata": 4.5}, TypeError, "keydata should be"),
    ({"certdata": "caf\xe9"}, UnicodeEncodeError, "ascii"),
    ({"certdata": b"x", "password": 1.5}, TypeError, "password should be"),
    ({"certdata": b"x", "bogus": 1}, TypeError, "bogus"),
])
def test_bad_arguments(impl, kwargs, exc, message):
    with pytest.raises(exc, match=message):
        server(impl).load_cert_chain(**kwargs)


@pytest.mark.parametrize("args,kwargs", [
    ((), {}), ((), {"certdata": None}), ((), {"certdata": None, "keydata": None}),
    ((None,), {"certdata": None}),
])
def test_neither_given_is_the_stdlib_error(impl, args, kwargs):
    # No certdata: exactly the stdlib's call and TypeError.
    std_kwargs = {k: v for k, v in kwargs.items() if k not in ("certdata", "keydata")}
    expected = outcome(lambda: server(_std_ssl).load_cert_chain(*args, **std_kwargs))
    assert expected[0] == "raise" and expected[1][1] == "TypeError"
    assert outcome(lambda: server(impl).load_cert_chain(*args, **kwargs)) == expected


def test_certfile_path_unchanged_with_none_data(impl):
    assert server(impl).load_cert_chain(CERTS("server-rsa.pem"), CERTS("server-rsa.key"),
                                        certdata=None, keydata=None) is None


# ---- against the openssl CLI, both directions ---------------------------------------

def serve_s_client(ctx):
    """One `openssl s_client` connection to a server of CTX; its output."""
    def handler(s):
        s.sendall(b"pong\n")
        return s.recv(100)
    with cu.Server(ctx, handler) as srv:
        with cu.openssl_s_client(srv.port, "-servername", "localhost", "-CAfile", cu.CA,
                                 "-verify_return_error", "-brief") as proc:
            proc.stdin.write(b"ping\n")
            proc.stdin.flush()
            out = cu.read_all(proc)
    assert srv.outcome == ("ok", b"ping\n"), srv.outcome
    return out


@pytest.mark.parametrize("how", ["pem-chain+key", "combined-str", "der-chain+encrypted-der"])
def test_server_from_memory_to_s_client(impl, der, how):
    ctx = server(impl)
    if how == "pem-chain+key":
        ctx.load_cert_chain(certdata=CERTS.read("server-rsa-chain.pem"),
                            keydata=CERTS.read("server-rsa.key"))
    elif how == "combined-str":
        # A combined leaf+key PEM; the intermediate is appended as text.
        ctx.load_cert_chain(certdata=CERTS.text("server-rsa-combined.pem")
                            + CERTS.text("intermediate.pem"))
    else:
        ctx.load_cert_chain(certdata=der["chain"], keydata=der["pkcs8_enc"],
                            password="somepass")
    out = serve_s_client(ctx)
    assert b"Verification: OK" in out
    assert b"pong" in out


def test_client_from_memory_to_s_server(impl):
    cctx = cu.client_context(impl)
    cctx.load_cert_chain(certdata=CERTS.read("client.pem"), keydata=CERTS.text("client.key"))
    cert, key = cu.certpath("server-rsa.pem"), cu.certpath("server-rsa.key")
    with cu.openssl_s_server("-cert", cert, "-key", key, "-cert_chain",
                             cu.certpath("intermediate.pem"), "-rev", "-Verify", "1",
                             "-CAfile", cu.CA, "-verify_return_error") as (proc, port):
        with cu.connect(cctx, (cu.HOST, port)) as s:
            s.sendall(b"hello\n")
            back = b""
            while not back.endswith(b"\n"):
                data = s.recv(100)
                if not data:
                    break
                back += data
    # s_server only answers once it has verified our certificate.
    assert back == b"olleh\n"


# ---- nothing touches the filesystem ---------------------------------------------------

STRACE = "/usr/bin/strace" if os.path.exists("/usr/bin/strace") else None


@pytest.mark.skipif(STRACE is None, reason="strace is not installed")
def test_no_file_is_opened(der):
    code = (
        "import os, sys\n"
        "import sslmod as ssl\n"
        "cert, key, pem, pemkey = [open(p, 'rb').read() for p in sys.argv[1:5]]\n"
        "ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)\n"
        "ctx.load_cert_chain(certdata=pem, keydata=pemkey)\n"   # warm up lazy init
        "os.write(2, b'<<MARK>>')\n"
        "ctx.load_cert_chain(certdata=cert, keydata=key, password='somepass')\n"
        "ctx.load_cert_chain(certdata=pem, keydata=pemkey)\n"
        "os.write(2, b'<<END>>')\n"
    )
    leaf = os.path.join(os.environ.get("TMPDIR", "/tmp"), "sslmod-certdata-%d" % os.getpid())
    paths = [leaf + ".der", leaf + ".key.der"]
    try:
        for path, data in zip(paths, (der["chain"], der["pkcs8_enc"])):
            with open(path, "wb") as f:
                f.write(data)
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
        proc = subprocess.run(
            [STRACE, "-f", "-e", "trace=open,openat,openat2,creat,unlink,unlinkat",
             sys.executable, "-c", code, *paths, CERTS("server-rsa-chain.pem"),
             CERTS("server-rsa.key")],
            capture_output=True, text=True, timeout=60, env=env)
    finally:
        for path in paths:
            os.unlink(path)
    err = proc.stderr
    if "PTRACE" in err and proc.returncode != 0:
        pytest.skip("ptrace is not allowed here")
    assert proc.returncode == 0, err
    between = err.split("<<MARK>>", 1)[1].split("<<END>>", 1)[0]
    calls = [line for line in between.splitlines()
             if any(c + "(" in line for c in ("open", "openat", "creat", "unlink"))]
    assert calls == []



def test_out_of_memory():
    import sslmod
    cert, key = CERTS.read("server-rsa-chain.pem"), CERTS.read("server-rsa-enc.key")

    def load():
        ctx = sslmod.SSLContext(sslmod.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(certdata=cert, keydata=key, password="somepass")
    assert under_nomemory(load, 40) > 0
    load()
