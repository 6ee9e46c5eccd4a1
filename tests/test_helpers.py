"""The module-level helpers, compared with the interpreter's ssl:
get_server_certificate() against loopback servers, and the corners of
cert_time_to_seconds(), PEM/DER conversion, _ASN1Object and Purpose that
tests/test_certificates.py, test_errors.py and test_module.py leave out.

Already covered elsewhere, so not repeated here: get_default_verify_paths()
and CHANNEL_BINDING_TYPES (test_module.py), the Purpose fields and
_ASN1Object.fromnid/fromname of common objects (test_module.py), PEM -> DER
-> PEM of the test certificates and the basic bad inputs
(test_certificates.py, test_errors.py).
"""
import calendar
import inspect
import locale
import shutil
import socket
import sys
import time

import pytest

import ssl as std

import connutil as cu
from conftest import CERTS, same, stdlib_raises

STD_HAS_TIMEOUT = "timeout" in inspect.signature(std.get_server_certificate).parameters


def has_timeout_param(mod):
    return "timeout" in inspect.signature(mod.get_server_certificate).parameters


def leaf_pem(stem):
    """The PEM text get_server_certificate() should give for leaf STEM."""
    return std.DER_cert_to_PEM_cert(std.PEM_cert_to_DER_cert(CERTS.text(stem + ".pem")))


# ---- get_server_certificate -----------------------------------------------------------

def serving(stem="server-rsa", count=2, **kwargs):
    """A stdlib TLS server for COUNT connections: one per implementation."""
    return cu.Server(cu.server_context(std, stem, **kwargs), count=count)


@pytest.mark.parametrize("stem", cu.SERVER_KEYS)
def test_get_server_certificate(impl, stem):
    with serving(stem) as srv:
        ref = same(lambda ssl: ssl.get_server_certificate(srv.addr), impl)
    assert ref == (("return", leaf_pem(stem)), [])
    assert srv.outcomes == [("ok", None)] * 2


def test_get_server_certificate_verified(impl):
    with serving() as srv:
        ref = same(lambda ssl: ssl.get_server_certificate(srv.addr, ca_certs=cu.CA), impl)
    assert ref[0] == ("return", leaf_pem("server-rsa"))
    assert srv.outcomes == [("ok", None)] * 2


def test_get_server_certificate_wrong_ca(impl):
    with serving() as srv:
        ref = same(lambda ssl: ssl.get_server_certificate(
            srv.addr, ca_certs=CERTS("selfsigned.pem")), impl,
            raises="SSLCertVerificationError")
    # Each server-side handshake saw the client's alert.
    assert [o[0] for o in srv.outcomes] == ["raise", "raise"]
    assert ref[0][1][-2:] == (20, "unable to get local issuer certificate")


def test_get_server_certificate_missing_ca_file(impl, tmp_path):
    # Fails before connecting: no server needed.
    missing = str(tmp_path / "no-such-ca.pem")
    same(lambda ssl: ssl.get_server_certificate(("127.0.0.1", 9), ca_certs=missing),
         impl, raises="FileNotFoundError")


def test_get_server_certificate_tls_client_protocol(impl):
    with serving() as srv:
        ref = same(lambda ssl: ssl.get_server_certificate(
            srv.addr, ssl_version=ssl.PROTOCOL_TLS_CLIENT), impl)
    assert ref[0] == ("return", leaf_pem("server-rsa"))


def test_get_server_certificate_deprecated_protocol(impl):
    # PROTOCOL_TLS is deprecated from 3.10 on: the same warning, or none.
    with serving() as srv:
        ref = same(lambda ssl: ssl.get_server_certificate(srv.addr, ssl_version=ssl.PROTOCOL_TLS),
                   impl, warns="DeprecationWarning" if sys.version_info >= (3, 10) else None)
    assert ref[0] == ("return", leaf_pem("server-rsa"))


def test_get_server_certificate_refused(impl):
    # A bound port nobody listens on refuses the connection.
    with socket.socket() as closed:
        closed.bind((cu.HOST, 0))
        addr = closed.getsockname()
        same(lambda ssl: ssl.get_server_certificate(addr), impl,
             raises="ConnectionRefusedError")


@pytest.mark.parametrize("addr", [("127.0.0.1",), "127.0.0.1", ("127.0.0.1", 1, 2)])
def test_get_server_certificate_bad_address(impl, addr):
    same(lambda ssl: ssl.get_server_certificate(addr), impl, raises="ValueError")


def sni_names(ssl, addr, names):
    """get_server_certificate((localhost, port)); the server records the SNI."""
    del names[:]
    pem = ssl.get_server_certificate(("localhost", addr[1]))
    return pem, list(names)


def test_get_server_certificate_sends_host_name(impl, impl_name):
    # Since 3.10 the host is sent as SNI (3.9's ssl.py sent none).  On 3.9
    # sslmod's own API does what newer versions do.
    names = []
    ctx = cu.server_context(std)
    ctx.sni_callback = lambda sock, name, c: names.append(name)
    with cu.Server(ctx, count=2) as srv:
        if sys.version_info < (3, 10) and impl_name == "sslmod":
            std_pem, std_names = sni_names(std, srv.addr, names)
            assert std_names == [None]
            pem, got = sni_names(impl, srv.addr, names)
            assert (pem, got) == (std_pem, ["localhost"])
        else:
            ref = same(lambda ssl: sni_names(ssl, srv.addr, names), impl)
            expected = [None] if sys.version_info < (3, 10) else ["localhost"]
            assert ref[0] == ("return", (leaf_pem("server-rsa"), expected))


class Silent:
    """A listener that completes TCP connections (the kernel's backlog) but
    never accepts them, so a TLS client waits forever for the ServerHello."""

    def __enter__(self):
        self.sock = cu.listener()
        self.addr = self.sock.getsockname()
        return self

    def __exit__(self, *exc):
        self.sock.close()


TIMEOUT = 0.25


def fetch_with_timeout(addr):
    return lambda ssl: ssl.get_server_certificate(addr, timeout=TIMEOUT)


def test_get_server_certificate_timeout(impl, impl_name):
    with Silent() as silent:
        fn = fetch_with_timeout(silent.addr)
        if has_timeout_param(impl) == STD_HAS_TIMEOUT:
            # 3.10+: socket.timeout (TimeoutError from 3.10) from the
            # handshake; 3.9's ssl.py: TypeError, no such parameter.
            if not STD_HAS_TIMEOUT:
                same(fn, impl, raises="TypeError")
            else:
                # The message carries the C file and line as a prefix
                # ("_ssl.c:NNN: "), which check_same leaves out.
                ref = cu.check_same(fn, std, impl)
                assert ref[0] == "raise" and ref[1] in ("timeout", "TimeoutError")
                assert ref[2] == "The handshake operation timed out"
        else:
            # 3.9: sslmod's own API has the newer parameter.
            assert sys.version_info < (3, 10) and impl_name == "sslmod"
            assert stdlib_raises(fn) == "TypeError"
            started = time.monotonic()
            with pytest.raises(socket.timeout) as info:
                fn(impl)
            assert time.monotonic() - started < cu.TIMEOUT
            assert str(info.value).endswith("The handshake operation timed out")


def test_get_server_certificate_timeout_none(impl, impl_name):
    # timeout=None (blocking) against a live server works like the default.
    fn = lambda ssl, addr: ssl.get_server_certificate(addr, timeout=None)  # noqa: E731
    if has_timeout_param(impl) != STD_HAS_TIMEOUT:
        assert sys.version_info < (3, 10) and impl_name == "sslmod"
        with serving(count=1) as srv:
            assert fn(impl, srv.addr) == leaf_pem("server-rsa")
    elif not STD_HAS_TIMEOUT:
        # Refused before any connection is made.
        same(lambda ssl: fn(ssl, ("127.0.0.1", 9)), impl, raises="TypeError")
    else:
        with serving() as srv:
            ref = same(lambda ssl: fn(ssl, srv.addr), impl)
        assert ref[0] == ("return", leaf_pem("server-rsa"))


# ---- cert_time_to_seconds -----------------------------------------------------------

@pytest.mark.parametrize("text", ["Jan  5 09:34:43 2018 GMT", "Jan 5 09:34:43 2018 GMT",
                                  "Dec 31 23:59:59 2124 GMT", "Feb 29 12:00:00 2000 GMT",
                                  "Feb 30 12:00:00 2000 GMT", "Jan  1 00:00:00 1970 GMT",
                                  "jan  5 09:34:43 2018 GMT", "JAN  5 09:34:43 2018 GMT",
                                  "dEC 31 23:59:59 2124 GMT",
                                  # %S takes a leap second
                                  "Jun 30 23:59:60 2016 GMT",
                                  "Jul  4 00:00:00 1776 GMT", "Mar  1 00:00:00 2100 GMT"])
def test_cert_time_to_seconds_more(impl, text):
    ref = same(lambda ssl: ssl.cert_time_to_seconds(text), impl)
    assert isinstance(ref[0][1], int)


@pytest.mark.parametrize("text,exc", [("Jan  5 09:34:43 2018", "ValueError"),
                                      ("Foo  5 09:34:43 2018 GMT", "ValueError"),
                                      ("Jan 32 12:00:00 2000 GMT", "ValueError"),
                                      ("", "ValueError"), ("2018-01-05", "ValueError"),
                                      ("yesterday", "ValueError"),
                                      ("Jan  5 09:34:43 2018 UTC", "ValueError"),
                                      ("Jan  5 09:34:43 2018 GMT ", "ValueError"),
                                      ("Jan  5 25:34:43 2018 GMT", "ValueError"),
                                      ("Ja  5 09:34:43 2018 GMT", "ValueError"),
                                      ("January  5 09:34:43 2018 GMT", "ValueError"),
                                      (b"Jan  5 09:34:43 2018 GMT", "ValueError"),
                                      (None, "TypeError"), (20180105, "TypeError")])
def test_cert_time_to_seconds_bad_more(impl, text, exc):
    same(lambda ssl: ssl.cert_time_to_seconds(text), impl, raises=exc)


def test_cert_time_of_test_certificates(impl):
    def scenario(ssl):
        out = []
        for name in ("ca.pem", "expired.pem", "notyetvalid.pem"):
            d = ssl._ssl._test_decode_cert(CERTS(name)) if hasattr(ssl, "_ssl") else None
            if d is not None:
                out.append((ssl.cert_time_to_seconds(d["notBefore"]),
                            ssl.cert_time_to_seconds(d["notAfter"])))
        return out
    same(scenario, impl)



GERMAN = ("de_DE.UTF-8", "de_DE.utf8", "de_DE")


@pytest.fixture(scope="session")
def german_locale(tmp_path_factory):
    """(name, LOCPATH or None) of a German LC_TIME locale: an installed one,
    else one compiled with localedef into a temporary directory."""
    saved = locale.setlocale(locale.LC_TIME)
    try:
        for name in GERMAN:
            try:
                locale.setlocale(locale.LC_TIME, name)
                return name, None
            except locale.Error:
                pass
    finally:
        locale.setlocale(locale.LC_TIME, saved)
    localedef = shutil.which("localedef")
    if localedef is None:
        pytest.skip("no German locale is installed and there is no localedef to make one")
    import subprocess
    where = tmp_path_factory.mktemp("locales")
    proc = subprocess.run([localedef, "-i", "de_DE", "-f", "UTF-8", str(where / "de_DE.UTF-8")],
                          capture_output=True, text=True, timeout=60)
    if not (where / "de_DE.UTF-8").exists():
        pytest.skip("no German locale is installed and localedef could not make one: "
                    + proc.stderr.strip())
    return "de_DE.UTF-8", str(where)


@pytest.fixture
def german_time(german_locale, monkeypatch):
    name, locpath = german_locale
    if locpath:
        monkeypatch.setenv("LOCPATH", locpath)
    saved = locale.setlocale(locale.LC_TIME)
    locale.setlocale(locale.LC_TIME, name)
    try:
        # The locale is really in force: its month names are not English.
        assert time.strftime("%b", (2021, 3, 1, 0, 0, 0, 0, 60, 0)) == "M\u00e4r"
        assert time.strftime("%b", (2021, 10, 1, 0, 0, 0, 0, 274, 0)) == "Okt"
        yield
    finally:
        locale.setlocale(locale.LC_TIME, saved)


@pytest.mark.parametrize("text,fields", [("Mar  1 00:00:00 2021 GMT", (2021, 3, 1, 0, 0, 0)),
                                         ("May 31 12:00:00 2021 GMT", (2021, 5, 31, 12, 0, 0)),
                                         ("Oct 15 08:30:00 2021 GMT", (2021, 10, 15, 8, 30, 0)),
                                         ("Dec 24 18:00:01 2021 GMT", (2021, 12, 24, 18, 0, 1))])
def test_cert_time_to_seconds_ignores_locale(impl, german_time, text, fields):
    ref = same(lambda ssl: ssl.cert_time_to_seconds(text), impl)
    assert ref[0] == ("return", calendar.timegm(fields))


@pytest.mark.parametrize("text", ["M\u00e4r  1 00:00:00 2021 GMT", "Mai 31 12:00:00 2021 GMT",
                                  "Okt 15 08:30:00 2021 GMT", "Dez 24 18:00:01 2021 GMT"])
def test_cert_time_to_seconds_refuses_local_month_names(impl, german_time, text):
    same(lambda ssl: ssl.cert_time_to_seconds(text), impl, raises="ValueError")


# ---- PEM and DER -------------------------------------------------------------------

@pytest.mark.parametrize("size", [1, 47, 48, 49, 96, 97, 1000])
def test_der_to_pem_to_der(impl, size):
    # Around the 64-character line length: 48 bytes make one full line.
    data = bytes((i * 7 + 3) % 256 for i in range(size))

    def scenario(ssl):
        pem = ssl.DER_cert_to_PEM_cert(data)
        return pem, ssl.PEM_cert_to_DER_cert(pem)
    ref = same(scenario, impl)
    pem, back = ref[0][1]
    assert back == data
    assert all(len(line) <= 64 for line in pem.splitlines())


@pytest.mark.parametrize("kind", ["bytearray", "memoryview"])
def test_der_to_pem_buffer_types(impl, kind):
    der = CERTS.read("ca.der")
    arg = bytearray(der) if kind == "bytearray" else memoryview(der)
    ref = same(lambda ssl: ssl.DER_cert_to_PEM_cert(arg), impl)
    assert ref[0][1] == CERTS.text("ca.pem")


CA_PEM = CERTS.text("ca.pem")


@pytest.mark.parametrize("text", [CA_PEM + "\n\n  \t", CA_PEM.replace("\n", "\r\n"),
                                  CA_PEM.rstrip("\n"),
                                  # base64 is decoded leniently
                                  "-----BEGIN CERTIFICATE-----\nQUJD=\n-----END CERTIFICATE-----\n",
                                  "-----BEGIN CERTIFICATE----------END CERTIFICATE-----"])
def test_pem_to_der_lenient(impl, text):
    same(lambda ssl: ssl.PEM_cert_to_DER_cert(text), impl)


PEM_BAD = {
    "wrong_header": (CA_PEM.replace("CERTIFICATE", "PRIVATE KEY"), "ValueError"),
    "x509_header": (CA_PEM.replace("BEGIN CERTIFICATE", "BEGIN X509 CERTIFICATE"), "ValueError"),
    "missing_footer": (CA_PEM.split("-----END")[0], "ValueError"),
    "footer_only": ("-----END CERTIFICATE-----\n", "ValueError"),
    "leading_space": (" " + CA_PEM, "ValueError"),
    "leading_newline": ("\n" + CA_PEM, "ValueError"),
    "bad_padding": ("-----BEGIN CERTIFICATE-----\nQQ\n-----END CERTIFICATE-----\n",
                    "Error"),     # binascii.Error
    "non_ascii": (CA_PEM.replace("M", "\u00e9", 3), "UnicodeEncodeError"),
    "bytes": (CA_PEM.encode("ascii"), "TypeError"),
    "none": (None, "AttributeError"),
}


@pytest.mark.parametrize("case", sorted(PEM_BAD))
def test_pem_to_der_bad_more(impl, case):
    text, exc = PEM_BAD[case]
    same(lambda ssl: ssl.PEM_cert_to_DER_cert(text), impl, raises=exc)


@pytest.mark.parametrize("arg,exc", [(5, "TypeError"), (None, "TypeError"),
                                     ([1, 2], "TypeError")])
def test_der_to_pem_bad(impl, arg, exc):
    same(lambda ssl: ssl.DER_cert_to_PEM_cert(arg), impl, raises=exc)


# ---- _ASN1Object and Purpose -------------------------------------------------------------

def subclass_fromnid(ssl):
    class Mine(ssl._ASN1Object):
        pass
    obj = Mine.fromnid(129)
    return type(obj).__name__, tuple(obj), type(Mine.fromname("clientAuth")).__name__


ASN1 = {
    "constructor_oid": lambda ssl: tuple(ssl._ASN1Object("1.3.6.1.5.5.7.3.1")),
    "fromname_longname": lambda ssl: tuple(
        ssl._ASN1Object.fromname("TLS Web Client Authentication")),
    "fromnid_type": lambda ssl: type(ssl._ASN1Object.fromnid(129)) is ssl._ASN1Object,
    "fields": lambda ssl: ssl._ASN1Object._fields,
    "purpose_is_asn1": lambda ssl: [isinstance(p, ssl._ASN1Object) for p in ssl.Purpose],
    "purpose_equals": lambda ssl: (ssl.Purpose.SERVER_AUTH == ssl._ASN1Object.fromnid(129),
                                   ssl.Purpose.CLIENT_AUTH == ssl._ASN1Object("1.3.6.1.5.5.7.3.2")),
    "purpose_by_value": lambda ssl: ssl.Purpose(ssl._ASN1Object.fromname("clientAuth")).name,
    "purpose_by_name": lambda ssl: ssl.Purpose["SERVER_AUTH"].nid,
    "subclass": subclass_fromnid,
}


@pytest.mark.parametrize("case", sorted(ASN1))
def test_asn1object_more(impl, case):
    same(ASN1[case], impl)


ASN1_BAD = {
    # The constructor takes a dotted OID, not a name.
    "constructor_name": (lambda ssl: ssl._ASN1Object("serverAuth"), "ValueError"),
    "fromname_bytes": (lambda ssl: ssl._ASN1Object.fromname(b"serverAuth"), "TypeError"),
    "fromnid_str": (lambda ssl: ssl._ASN1Object.fromnid("129"), "TypeError"),
    "purpose_by_oid_text": (lambda ssl: ssl.Purpose("1.3.6.1.5.5.7.3.1"), "ValueError"),
    "purpose_unknown_name": (lambda ssl: ssl.Purpose["CODE_SIGNING"], "KeyError"),
}


@pytest.mark.parametrize("case", sorted(ASN1_BAD))
def test_asn1object_bad_more(impl, case):
    fn, exc = ASN1_BAD[case]
    same(fn, impl, raises=exc)
