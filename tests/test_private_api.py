"""The interpreter's ssl module, private names included, is all there.

Test suites and third-party code reach for private helpers of ``ssl``
(``ssl._inet_paton``, ``ssl._create_stdlib_context`` ...).  Every function
and class that the running interpreter's ``ssl`` defines itself must exist
in the implementation, and the helpers must answer the same calls the same
way.
"""
import inspect
import socket

import pytest
import ssl as STD

from conftest import same, stdlib_raises

# Defined by ssl.py only on Windows.
WINDOWS_ONLY = {"enum_certificates", "enum_crls"}


def stdlib_definitions():
    """Names of the functions and classes the interpreter's ssl.py defines
    (not those it imports from _ssl or elsewhere)."""
    return sorted(
        name for name, obj in vars(STD).items()
        if (inspect.isfunction(obj) or inspect.isclass(obj))
        and getattr(obj, "__module__", None) == "ssl"
        and name not in WINDOWS_ONLY)


DEFINED = stdlib_definitions()


def test_the_walk_finds_the_private_helpers():
    # The walk itself works: it sees private and public names.
    assert "_create_stdlib_context" in DEFINED
    assert "SSLSocket" in DEFINED
    assert len(DEFINED) > 30


@pytest.mark.parametrize("name", DEFINED)
def test_name_exists(impl, name):
    ours = getattr(impl, name)
    theirs = getattr(STD, name)
    assert inspect.isclass(ours) == inspect.isclass(theirs), name
    assert callable(ours)


IP_LITERALS = [
    "1.2.3.4", "127.1", "0x7f.0.0.1", "01.2.3.4", "1.2.3.4 ", "1.2.3.4\n",
    "::1", "::ffff:1.2.3.4", "fe80::1%eth0", "x", "", "256.1.1.1",
    b"1.2.3.4", None, 5,
]


@pytest.mark.parametrize("text", IP_LITERALS, ids=repr)
def test_inet_paton(impl, text):
    fn = lambda ssl: ssl._inet_paton(text)  # noqa: E731
    same(fn, impl, raises=stdlib_raises(fn))


DNS_CASES = [
    ("*.a.com", "b.a.com"), ("*.a.com", "a.com"), ("*.a.com", "b.c.a.com"),
    ("*.a.com", ".a.com"), ("*.a.com", "B.A.COM"), ("*.a.com", "*.a.com"),
    ("*.a.com", ""), ("*.a.com", "a."), ("*.com.", "a.com."), ("*.", "a."),
    ("A.COM", "a.com"), ("a.com.", "a.com"), ("", "x"), (None, "x"),
    ("*", "x"), ("a*", "ab"), ("a*.com", "ab.com"), ("*a.com", "ba.com"),
    ("w*.a.com", "wb.a.com"), ("xn--*.a.com", "xn--b.a.com"),
    ("*.*.com", "a.b.com"), ("x.*.com", "x.b.com"), ("a.com", None),
    ("*.a.com", None), ("*.a.com", b"b.a.com"),
]


@pytest.mark.parametrize("dn, hostname", DNS_CASES, ids=repr)
def test_dnsname_match(impl, dn, hostname):
    fn = lambda ssl: ssl._dnsname_match(dn, hostname)  # noqa: E731
    same(fn, impl, raises=stdlib_raises(fn))


IP_MATCH_CASES = [
    ("1.2.3.4", "1.2.3.4"), ("::1\n", "::1"), ("1.2.3.4", "1.2.3.5"),
    ("::ffff:1.2.3.4", "1.2.3.4"), ("bad", None),
]


@pytest.mark.parametrize("cert_ip, host", IP_MATCH_CASES, ids=repr)
def test_ipaddress_match(impl, cert_ip, host):
    packed = b"x" if host is None else STD._inet_paton(host)
    fn = lambda ssl: ssl._ipaddress_match(cert_ip, packed)  # noqa: E731
    same(fn, impl, raises=stdlib_raises(fn))


def test_sslcopydoc(impl):
    def scenario(ssl):
        def read(self):
            pass
        copied = ssl._sslcopydoc(read)
        return copied is read, copied.__doc__ == ssl.SSLObject.read.__doc__
    same(scenario, impl)

    def unknown(ssl):
        def no_such_method(self):
            pass
        return ssl._sslcopydoc(no_such_method)
    same(unknown, impl, raises="AttributeError")


def context_view(ctx):
    return (ctx.protocol, ctx.verify_mode, ctx.check_hostname,
            ctx.verify_flags, ctx.options)


@pytest.mark.parametrize("factory", [
    "_create_stdlib_context", "_create_unverified_context",
    "_create_default_https_context",
])
def test_context_factories(impl, factory):
    same(lambda ssl: context_view(getattr(ssl, factory)()), impl)
    same(lambda ssl: context_view(getattr(ssl, factory)(
        purpose=ssl.Purpose.CLIENT_AUTH)), impl)


def test_stdlib_context_with_arguments(impl):
    same(lambda ssl: context_view(ssl._create_stdlib_context(
        ssl.PROTOCOL_TLS_CLIENT, cert_reqs=ssl.CERT_REQUIRED, check_hostname=True)), impl)
    same(lambda ssl: ssl._create_stdlib_context(keyfile="x"), impl, raises="ValueError")


def test_asn1object(impl):
    same(lambda ssl: (ssl._ASN1Object("1.3.6.1.5.5.7.3.1"),
                      ssl._ASN1Object.fromnid(129),
                      ssl._ASN1Object.fromname("serverAuth")), impl)
    same(lambda ssl: ssl._ASN1Object.fromname("no such thing"), impl, raises="ValueError")


@pytest.mark.parametrize("name", [n for n in DEFINED if n.startswith("_TLS")
                                  or n in ("_SSLMethod", "VerifyMode")])
def test_private_enums(impl, name):
    same(lambda ssl: sorted((m.name, m.value) for m in getattr(ssl, name)), impl)


def test_get_protocol_name(impl):
    same(lambda ssl: [ssl.get_protocol_name(p) for p in (2, 3, 16, 17, 999)], impl)


def test_ipaddress_match_with_socket_packing(impl):
    packed = socket.inet_pton(socket.AF_INET6, "::1")
    same(lambda ssl: ssl._ipaddress_match("0:0:0:0:0:0:0:1", packed), impl)
