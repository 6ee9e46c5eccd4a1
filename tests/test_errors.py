"""Exceptions: the SSLError family, its str() and attributes, and the
errors raised for bad input, compared with the interpreter's ssl."""
import pickle
import sys

import pytest

import stdlib_quirks
from conftest import CERTS, _exc_bases, same, stdlib_raises

EXCEPTIONS = ["SSLError", "SSLZeroReturnError", "SSLWantReadError", "SSLWantWriteError",
              "SSLSyscallError", "SSLEOFError", "SSLCertVerificationError",
              "CertificateError"]


def client(ssl):
    return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)


def server(ssl):
    return ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)


def described(exc):
    """What a program can learn from an exception instance."""
    return (exc, exc.args, str(exc), repr(exc).split("(")[0], exc.errno,
            getattr(exc, "strerror", None), hasattr(exc, "library"),
            hasattr(exc, "reason"), hasattr(exc, "verify_code"))


# ---- the hierarchy -----------------------------------------------------------

@pytest.mark.parametrize("name", EXCEPTIONS)
def test_exception_class(impl, name):
    def scenario(ssl):
        cls = getattr(ssl, name)
        return (cls.__name__, cls.__qualname__, cls.__module__,
                [cls.__name__, *_exc_bases(cls)], bool(cls.__doc__))
    same(scenario, impl)


@pytest.mark.parametrize("name", EXCEPTIONS[:-1])
def test_exception_class_is_the_core_one(impl, core, name):
    # ssl's exception classes are _ssl's, so `except ssl.SSLError` catches
    # what the C module raises.
    assert getattr(impl, name) is getattr(core, name)


def test_certificate_error_alias(impl):
    same(lambda ssl: ssl.CertificateError is ssl.SSLCertVerificationError, impl)


@pytest.mark.parametrize("args", [(), (1,), (1, "message"), ("message",), (1, "a", "b"),
                                  (5, "x", "y", "z")])
@pytest.mark.parametrize("name", EXCEPTIONS[:-1])
def test_exception_constructed_by_hand(impl, name, args):
    same(lambda ssl: described(getattr(ssl, name)(*args)), impl)


@pytest.mark.parametrize("name", EXCEPTIONS[:-1])
def test_exception_pickles(impl, name):
    # Pickle finds a class through its module, so this runs with the module
    # under test installed as "ssl", as a program using it would be.
    def scenario(ssl):
        saved = sys.modules["ssl"]
        sys.modules["ssl"] = ssl
        try:
            exc = getattr(ssl, name)(1, "message")
            return described(pickle.loads(pickle.dumps(exc)))
        finally:
            sys.modules["ssl"] = saved
    same(scenario, impl)


def test_exceptions_are_catchable_as_oserror(impl):
    def scenario(ssl):
        caught = []
        for name in EXCEPTIONS:
            try:
                raise getattr(ssl, name)(1, "x")
            except OSError as exc:
                caught.append(type(exc).__name__)
        try:
            raise ssl.SSLCertVerificationError(1, "x")
        except ValueError:
            caught.append("as ValueError")
        return caught
    same(scenario, impl)


def test_exception_attributes_writable(impl):
    def scenario(ssl):
        exc = ssl.SSLError(1, "x")
        exc.library = "LIB"
        exc.reason = "REASON"
        return exc.library, exc.reason, str(exc)
    same(scenario, impl)


# ---- errors from OpenSSL -------------------------------------------------------

OPENSSL_ERRORS = {
    "cadata_garbage": lambda ssl: client(ssl).load_verify_locations(cadata="garbage"),
    "cadata_der_garbage": lambda ssl: client(ssl).load_verify_locations(cadata=b"garbage"),
    "cadata_truncated": lambda ssl: client(ssl).load_verify_locations(
        cadata=CERTS.text("truncated.pem")),
    "cafile_garbage": lambda ssl: client(ssl).load_verify_locations(CERTS("garbage.pem")),
    "key_mismatch": lambda ssl: server(ssl).load_cert_chain(CERTS("server-rsa.pem"),
                                                            CERTS("client.key")),
    "no_key": lambda ssl: server(ssl).load_cert_chain(CERTS("server-rsa.pem")),
    "cert_garbage": lambda ssl: server(ssl).load_cert_chain(CERTS("garbage.pem")),
    "wrong_password": lambda ssl: server(ssl).load_cert_chain(
        CERTS("server-rsa.pem"), CERTS("server-rsa-enc.key"), "wrong"),
    "wrong_password_des3": lambda ssl: server(ssl).load_cert_chain(
        CERTS("server-rsa.pem"), CERTS("server-rsa-des3.key"), "wrong"),
    "no_cipher": lambda ssl: client(ssl).set_ciphers("nonsense"),
    "dh_garbage": lambda ssl: server(ssl).load_dh_params(CERTS("garbage.pem")),
    "decode_garbage": lambda ssl: ssl._ssl._test_decode_cert(CERTS("garbage.pem")),
}


@pytest.mark.parametrize("case", sorted(OPENSSL_ERRORS))
def test_openssl_error(impl, case):
    # Class, str() in the "[LIB: REASON] text" form, args, errno, library
    # and reason all match the stdlib's.
    scenario = OPENSSL_ERRORS[case]
    if case == "decode_garbage" and not hasattr(impl, "_ssl"):
        scenario = lambda ssl: pytest.fail("this ssl module has no _ssl attribute")
    same(scenario, impl, raises="SSLError")


@pytest.mark.parametrize("first", ["cadata_garbage", "key_mismatch", "wrong_password"])
def test_error_queue_is_left_empty(impl, first):
    # After a failure, the next error reports its own cause, not a stale one,
    # and a following success does not raise.
    def scenario(ssl):
        out = []
        for step in (OPENSSL_ERRORS[first], OPENSSL_ERRORS["no_cipher"]):
            try:
                step(ssl)
            except ssl.SSLError as exc:
                out.append((getattr(exc, "library", None), getattr(exc, "reason", None),
                            exc.args))
        ctx = client(ssl)
        out.append(ctx.load_verify_locations(CERTS("ca.pem")))
        out.append(ctx.set_ciphers("HIGH"))
        return out
    same(scenario, impl)


def test_password_callback_exception_passes_through(impl):
    class Oops(Exception):
        pass

    def scenario(ssl):
        def password():
            raise Oops("from the callback")
        try:
            server(ssl).load_cert_chain(CERTS("server-rsa.pem"), CERTS("server-rsa-enc.key"),
                                        password)
        except Oops as exc:
            return "caught", str(exc), exc.__context__ is None
    same(scenario, impl)


def test_oserror_from_missing_file(impl):
    def scenario(ssl):
        try:
            server(ssl).load_cert_chain("/nonexistent/cert.pem")
        except OSError as exc:
            return described(exc), exc.filename
    same(scenario, impl)


# ---- bad input everywhere --------------------------------------------------------

BAD_INPUTS = {
    "context_protocol_str": (lambda ssl: ssl.SSLContext("TLS"), True),
    "context_protocol_unknown": (lambda ssl: ssl.SSLContext(42), "ValueError"),
    "verify_mode_value": (lambda ssl: setattr(server(ssl), "verify_mode", 7), "ValueError"),
    "min_version_value": (lambda ssl: setattr(client(ssl), "minimum_version", 1),
                          "ValueError"),
    "ciphers_type": (lambda ssl: client(ssl).set_ciphers(None), "TypeError"),
    "cert_chain_type": (lambda ssl: server(ssl).load_cert_chain(1), "TypeError"),
    "password_type": (lambda ssl: server(ssl).load_cert_chain(
        CERTS("server-rsa.pem"), CERTS("server-rsa-enc.key"), 1.5), "TypeError"),
    "verify_locations_none": (lambda ssl: client(ssl).load_verify_locations(), "TypeError"),
    "cadata_type": (lambda ssl: client(ssl).load_verify_locations(cadata=1), "TypeError"),
    "cadata_empty": (lambda ssl: client(ssl).load_verify_locations(cadata=""), "ValueError"),
    "alpn_too_long": (lambda ssl: client(ssl).set_alpn_protocols(["a" * 300]), "SSLError"),
    "ecdh_unknown": (lambda ssl: server(ssl).set_ecdh_curve("nope"), "ValueError"),
    "dh_missing": (lambda ssl: server(ssl).load_dh_params("/nonexistent"),
                   "FileNotFoundError"),
    "num_tickets_client": (lambda ssl: setattr(client(ssl), "num_tickets", 1), "ValueError"),
    "rand_bytes_negative": (lambda ssl: ssl.RAND_bytes(-1), "ValueError"),
    "rand_bytes_type": (lambda ssl: ssl.RAND_bytes("1"), "TypeError"),
    "rand_add_types": (lambda ssl: ssl.RAND_add(1, 1.0), "TypeError"),
    "rand_add_entropy": (lambda ssl: ssl.RAND_add(b"x", "y"), "TypeError"),
    "txt2obj_unknown": (lambda ssl: ssl._ASN1Object.fromname("no such object"), "ValueError"),
    "nid2obj_unknown": (lambda ssl: ssl._ASN1Object.fromnid(-1), "ValueError"),
    "asn1_type": (lambda ssl: ssl._ASN1Object(42), "TypeError"),
    "membio_write_str": (lambda ssl: ssl.MemoryBIO().write("text"), "TypeError"),
    "membio_args": (lambda ssl: ssl.MemoryBIO(1), "TypeError"),
    "membio_read_type": (lambda ssl: ssl.MemoryBIO().read("x"), "TypeError"),
    "session_direct": (lambda ssl: ssl.SSLSession(), "TypeError"),
    "wrap_bio_types": (lambda ssl: client(ssl).wrap_bio(1, 2), "TypeError"),
    "wrap_bio_hostname": (lambda ssl: client(ssl).wrap_bio(
        ssl.MemoryBIO(), ssl.MemoryBIO(), server_hostname=""), "ValueError"),
    "wrap_bio_hostname_nul": (lambda ssl: client(ssl).wrap_bio(
        ssl.MemoryBIO(), ssl.MemoryBIO(), server_hostname="a\0b"), True),
    "wrap_bio_hostname_dot": (lambda ssl: client(ssl).wrap_bio(
        ssl.MemoryBIO(), ssl.MemoryBIO(), server_hostname=".example"), True),
    "pem_to_der": (lambda ssl: ssl.PEM_cert_to_DER_cert("nope"), "ValueError"),
    "der_to_pem_type": (lambda ssl: ssl.DER_cert_to_PEM_cert("text"), True),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input(impl, case):
    scenario, exc = BAD_INPUTS[case]
    same(scenario, impl, raises=exc)


def test_closed_and_unused_objects(impl):
    # Calls on objects that never handshook raise, never crash.
    def scenario(ssl):
        out = []
        obj = client(ssl).wrap_bio(ssl.MemoryBIO(), ssl.MemoryBIO(), server_hostname="localhost")
        # gh-96931: an interpreter with that bug lists its own ciphers here.
        shared = obj.shared_ciphers
        if stdlib_quirks.SHARED_CIPHERS_BUG:
            shared = lambda: "not compared"  # noqa: E731
        for call in (obj.getpeercert, obj.cipher, obj.version, shared,
                     obj.selected_alpn_protocol, obj.pending, obj.compression,
                     lambda: obj.get_channel_binding("tls-unique"),
                     lambda: obj.get_channel_binding("nope"),
                     lambda: obj.read(1), lambda: obj.write(b"x"), obj.unwrap):
            try:
                out.append(call())
            except Exception as exc:
                out.append(exc)
        return out
    same(scenario, impl)


def test_verify_failure_sets_verify_code(impl):
    # An untrusted server: SSLCertVerificationError with verify_code and
    # verify_message, as the stdlib reports them.
    def scenario(ssl):
        server_ctx = server(ssl)
        server_ctx.load_cert_chain(CERTS("selfsigned.pem"), CERTS("selfsigned.key"))
        bios = [ssl.MemoryBIO() for _ in range(4)]
        c = client(ssl).wrap_bio(bios[0], bios[1], server_hostname="localhost")
        s = server_ctx.wrap_bio(bios[2], bios[3], server_side=True)
        for _ in range(10):
            for obj in (c, s):
                try:
                    obj.do_handshake()
                except ssl.SSLWantReadError:
                    pass
            bios[2].write(bios[1].read())
            bios[0].write(bios[3].read())
    same(scenario, impl, raises="SSLCertVerificationError")


def test_stdlib_raises_helper_agrees(std):
    # The helper the tests lean on for version-dependent outcomes.
    assert stdlib_raises(lambda ssl: ssl.RAND_bytes(-1)) == "ValueError"
    assert stdlib_raises(lambda ssl: ssl.RAND_status()) is None


def test_stdlib_except_clauses_catch_sslmod_errors(core, std_core):
    """With both modules loaded, `except` with the stdlib's classes catches
    sslmod's errors (sslmod's classes are created with the stdlib's as
    bases: no import of the sslmod package is needed for that)."""
    pairs = [("SSLError", "SSLError"), ("SSLCertVerificationError", "SSLError"),
             ("SSLCertVerificationError", "SSLCertVerificationError"),
             ("SSLZeroReturnError", "SSLZeroReturnError"),
             ("SSLWantReadError", "SSLWantReadError"),
             ("SSLWantWriteError", "SSLWantWriteError"),
             ("SSLSyscallError", "SSLSyscallError"), ("SSLEOFError", "SSLEOFError")]
    for ours, theirs in pairs:
        try:
            raise getattr(core, ours)(1, "boom")
        except getattr(std_core, theirs) as exc:
            assert type(exc) is getattr(core, ours)
    # A real error from sslmod is caught by the stdlib's class as well.
    ctx = core._SSLContext(core.PROTOCOL_TLS_CLIENT)
    try:
        ctx.set_ciphers("no-such-cipher-anywhere")
    except std_core.SSLError as exc:
        assert isinstance(exc, core.SSLError)
    else:
        raise AssertionError("set_ciphers accepted a bogus cipher list")
