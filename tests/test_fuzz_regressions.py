"""Inputs the fuzzers in fuzz/ found to be handled wrongly, each kept as a
test (fuzz/README.rst says how the harnesses run).  Each test names the
harness that found the input."""
import os
import _ssl as _std_core

import pytest

from conftest import same


def _nids_without_oid():
    """NIDs that OpenSSL knows by name but that have no OID (ciphers such as
    DES-EDE3 or AES-256-SIV), found in the linked OpenSSL at run time."""
    found = []
    for nid in range(1, 2000):
        try:
            if _std_core.nid2obj(nid)[3] is None:
                found.append(nid)
        except ValueError:
            pass
    return found[:3] + found[-3:]


NIDS_WITHOUT_OID = _nids_without_oid()


def test_there_are_nids_without_oid():
    # Otherwise the tests below would test nothing.
    assert NIDS_WITHOUT_OID


# fuzz_txt2obj: nid2obj(1200) gave (1200, 'AES-256-SIV', 'aes-256-siv', '')
# where the stdlib gives None for the missing OID.
@pytest.mark.parametrize("nid", NIDS_WITHOUT_OID)
def test_nid2obj_without_oid(core, std_core, nid):
    same(lambda m: m.nid2obj(nid), core, ref=std_core)


@pytest.mark.parametrize("nid", NIDS_WITHOUT_OID)
def test_asn1object_fromnid_without_oid(impl, nid):
    same(lambda ssl: tuple(ssl._ASN1Object.fromnid(nid)), impl)


def test_txt2obj_name_without_oid(core, std_core):
    name = _std_core.nid2obj(NIDS_WITHOUT_OID[0])[1]
    same(lambda m: m.txt2obj(name, name=True), core, ref=std_core)


# fuzz_ecdh_curve: a name OpenSSL knows, but not as a key-exchange group,
# raised SSLError('cannot set the curve'); the stdlib says what OpenSSL's
# error queue says, or 'unknown error' when it is empty.
def _stdlib_sets_groups():
    """Whether this interpreter's set_ecdh_curve takes any key-exchange
    group (X25519 too), the behaviour sslmod follows on 3.11 and later;
    older patch releases (Debian's 3.11.2) only took EC curves."""
    try:
        _std_core._SSLContext(_std_core.PROTOCOL_TLS_SERVER).set_ecdh_curve("X25519")
    except _std_core.SSLError:
        return False
    return True


@pytest.mark.skipif(not _stdlib_sets_groups(),
                    reason="this interpreter's ssl predates set_ecdh_curve taking groups")
@pytest.mark.parametrize("name", ["RSA", "CN", "ED25519", "secp112r1"])
def test_set_ecdh_curve_not_a_group(impl, name):
    def scenario(ssl):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        # OpenSSL 3.0 queues an OBJ error on the first such call in a
        # process only; the second call is the same for both modules.
        try:
            ctx.set_ecdh_curve(name)
        except ssl.SSLError:
            pass
        ctx.set_ecdh_curve(name)
    same(scenario, impl, raises="SSLError")


def _with_sequence_cn(name):
    """The certificate NAME from tests/certs with its issuer commonName value
    re-tagged as a SEQUENCE: it still parses, but the value is no string."""
    import ssl as std_ssl
    from conftest import CERTS
    der = std_ssl.PEM_cert_to_DER_cert(open(CERTS(name)).read())
    at = der.find(b"\x06\x03\x55\x04\x03")   # commonName: the issuer's comes first
    assert at > 0
    bad = bytearray(der)
    bad[at + 5] = 0x30
    return std_ssl.DER_cert_to_PEM_cert(bytes(bad))


def _decode_error(module, path):
    """What decoding PATH raises: class, library, reason and message
    without the "(file.c:NNN)" tail."""
    import re
    try:
        module._test_decode_cert(path)
    except module.SSLError as exc:
        return (type(exc).__name__, exc.library, exc.reason,
                re.sub(r" \(\w+\.c:\d+\)$", "", str(exc)))
    return None


# fuzz_cert_der: a decoding failure that queues no error of its own (a name
# value that is no string) reported whatever another caller had left on
# the thread's OpenSSL error queue: the interpreter's _ssl leaves '[PEM]
# ASN1 lib' there after a file it cannot read.  sslmod now reports its own
# failure as it does on a clean queue, as the stdlib does then.
def test_decode_cert_ignores_errors_queued_by_others(core, std_core, tmp_path):
    from conftest import CERTS
    path = tmp_path / "sequence-cn.pem"
    path.write_text(_with_sequence_cn("allsans.pem"))
    clean = _decode_error(std_core, str(path))
    assert clean is not None
    with pytest.raises(std_core.SSLError):
        std_core._test_decode_cert(CERTS("garbage.pem"))   # leaves its error queued
    assert _decode_error(core, str(path)) == clean


@pytest.mark.parametrize("as_der", [False, True])
def test_get_ca_certs_name_value_not_a_string(impl, as_der):
    pem = _with_sequence_cn("ca.pem")

    def scenario(ssl):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.load_verify_locations(cadata=ssl.PEM_cert_to_DER_cert(pem) if as_der else pem)
        return ctx.get_ca_certs()
    same(scenario, impl, raises="SSLError")


def test_cadata_second_block_unreadable_with_nothing_queued(impl):
    """fuzz_cadata (fuzz/findings/cadata-pem-second-block-ba3e2461): a good
    PEM certificate followed by a block OpenSSL cannot read but queues no
    error for.  The stdlib keeps the first certificate and returns None;
    sslmod raised SSLError('cannot load cadata')."""
    finding = os.path.join(os.path.dirname(__file__), "..", "fuzz", "findings",
                           "cadata-pem-second-block-ba3e2461")
    with open(finding, "rb") as f:
        cadata = f.read()[1:].decode("latin-1")   # the harness's mode byte, then text

    def scenario(ssl):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        return ctx.load_verify_locations(cadata=cadata), ctx.cert_store_stats()
    same(scenario, impl)


_BAD_EXTENSION = os.path.join(os.path.dirname(__file__), "..", "fuzz", "findings",
                              "cadata-der-bad-extension-ae0e6c13")


@pytest.mark.parametrize("walk", ["cert_store_stats", "get_ca_certs", "get_ca_certs_der"])
def test_store_walk_leaves_no_error_queued(core, std_core, walk):
    """fuzz_cadata (fuzz/findings/cadata-der-bad-extension-ae0e6c13): four
    DER certificates, one with an extension OpenSSL cannot decode.  Walking
    the store decodes the extensions, and OpenSSL queues its complaint;
    sslmod left it queued, and the next load_verify_locations() in the
    thread, the interpreter's here, failed with "[X509V3:
    INVALID_CERTIFICATE] invalid certificate" for good data.  The stdlib's
    own walk leaves it too (its next load fails the same way); sslmod's no
    longer does."""
    from conftest import openssl_error_queue
    with open(_BAD_EXTENSION, "rb") as f:
        cadata = f.read()[1:]   # the harness's mode byte, then DER
    openssl_error_queue(clear=True)
    ctx = core._SSLContext(core.PROTOCOL_TLS_CLIENT)
    assert ctx.load_verify_locations(None, None, cadata) is None
    assert openssl_error_queue() == 0
    if walk == "cert_store_stats":
        assert ctx.cert_store_stats() == {"x509": 4, "crl": 0, "x509_ca": 1}
    else:
        assert len(ctx.get_ca_certs(walk == "get_ca_certs_der")) == 1
    assert openssl_error_queue() == 0
    # What a stale error did to the next user of OpenSSL in the thread:
    other = std_core._SSLContext(std_core.PROTOCOL_TLS_CLIENT)
    assert other.load_verify_locations(None, None, cadata) is None
    openssl_error_queue(clear=True)


def test_stdlib_store_walk_leaves_an_error_queued(std_core):
    """The stdlib bug the test above guards sslmod against, shown on the
    interpreter's _ssl itself (so that the test above is known to test
    something): its cert_store_stats() leaves the error, and its own next
    load then fails."""
    from conftest import openssl_error_queue
    with open(_BAD_EXTENSION, "rb") as f:
        cadata = f.read()[1:]
    openssl_error_queue(clear=True)
    ctx = std_core._SSLContext(std_core.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(None, None, cadata)
    ctx.cert_store_stats()
    left = openssl_error_queue()
    openssl_error_queue(clear=True)
    if left == 0:
        pytest.skip("this interpreter's _ssl (fixed?) leaves the queue empty")


_UNDECODABLE_NAME = os.path.join(os.path.dirname(__file__), "..", "fuzz", "findings",
                                 "cadata-der-undecodable-name-ca8711ab")


def _der_certificates(data):
    """Split concatenated DER certificates (each a SEQUENCE with a two-byte
    length)."""
    out, i = [], 0
    while i < len(data):
        assert data[i:i + 2] == b"\x30\x82", data[i:i + 4]
        end = i + 4 + int.from_bytes(data[i + 2:i + 4], "big")
        out.append(data[i:end])
        i = end
    return out


def _get_ca_certs_error(mod, cadata):
    import re
    ctx = mod._SSLContext(mod.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(None, None, cadata)
    with pytest.raises(mod.SSLError) as info:
        ctx.get_ca_certs()
    return info.value.library, info.value.reason, re.sub(r" \(\w+\.c:\d+\)$", "", str(info.value))


def test_get_ca_certs_reports_the_failing_certificates_own_error(core, std_core):
    """fuzz_cadata (fuzz/findings/cadata-der-undecodable-name-ca8711ab):
    four DER certificates; two are not CAs and have a malformed name, which
    OpenSSL complains about when get_ca_certs() checks them; the last is a
    CA whose issuer name holds a value of a type no string converts from.
    get_ca_certs() fails on that CA with the error the CA alone gives (the
    interpreter's answer for a store of that one certificate), and leaves
    no error queued.  The stdlib instead reports the complaint about the
    other certificates, still queued from its walk."""
    from conftest import openssl_error_queue
    with open(_UNDECODABLE_NAME, "rb") as f:
        cadata = f.read()[1:]   # the harness's mode byte, then DER
    failing = _der_certificates(cadata)[3]
    openssl_error_queue(clear=True)
    alone = _get_ca_certs_error(std_core, failing)
    openssl_error_queue(clear=True)
    assert _get_ca_certs_error(core, failing) == alone
    assert openssl_error_queue() == 0
    assert _get_ca_certs_error(core, cadata) == alone
    assert openssl_error_queue() == 0


def test_stdlib_get_ca_certs_reports_another_certificates_error(std_core):
    """The stdlib behaviour the test above does not copy, shown on the
    interpreter's _ssl: the same store gives an X509V3 complaint that
    belongs to the two non-CA certificates."""
    from conftest import openssl_error_queue
    with open(_UNDECODABLE_NAME, "rb") as f:
        cadata = f.read()[1:]
    openssl_error_queue(clear=True)
    theirs = _get_ca_certs_error(std_core, cadata)
    openssl_error_queue(clear=True)
    if theirs[0] is None:
        pytest.skip("this interpreter's _ssl (fixed?) reports the CA's own error")
    assert theirs[:2] == ("X509V3", "INVALID_CERTIFICATE"), theirs


# ---- fuzz_certdata: load_cert_chain(certdata=, keydata=) ----------------------
#
# The reference is the interpreter's ssl loading the same bytes from files,
# as in test_certdata.py.

_FINDINGS = os.path.join(os.path.dirname(__file__), "..", "fuzz", "findings")


def _certdata_finding(name):
    """A fuzz_certdata input: (certificate bytes, key bytes or None, str?).
    Its first byte is the mode (bit 0: str; bit 1: the key starts at the
    split point, the next two bytes, little-endian), then the data."""
    with open(os.path.join(_FINDINGS, name), "rb") as f:
        data = f.read()
    mode, payload = data[0], data[3:]
    if not mode & 2:
        return payload, None, bool(mode & 1)
    at = int.from_bytes(data[1:3], "little") % (len(payload) + 1)
    return payload[:at], payload[at:], bool(mode & 1)


def _never_called():
    raise AssertionError("no password is asked for")


def _loaded(fn):
    from conftest import normalize
    try:
        return ("return", fn())
    except Exception as exc:   # noqa: BLE001 - compared as data
        return ("raise", normalize(exc))


def _from_files(tmp_path, cert, key):
    import ssl
    (tmp_path / "cert.pem").write_bytes(cert)
    keyfile = None
    if key is not None:
        keyfile = str(tmp_path / "key.pem")
        (tmp_path / "key.pem").write_bytes(key)
    return _loaded(lambda: ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER).load_cert_chain(
        str(tmp_path / "cert.pem"), keyfile, _never_called))


def _from_memory(impl, certdata, keydata):
    """sslmod's outcome; it must leave OpenSSL's error queue empty."""
    from conftest import openssl_error_queue
    kwargs = {"certdata": certdata, "password": _never_called}
    if keydata is not None:
        kwargs["keydata"] = keydata
    openssl_error_queue(clear=True)
    got = _loaded(lambda: impl.SSLContext(impl.PROTOCOL_TLS_SERVER).load_cert_chain(**kwargs))
    assert openssl_error_queue() == 0
    return got


def _pem_body(pem):
    import base64
    return base64.b64decode(b"".join(pem.split(b"-----")[2].split()))


@pytest.mark.parametrize("form", ["bytes", "str", "der"])
def test_certdata_leaf_with_undecodable_extension(impl_name, impl, tmp_path, form):
    """fuzz_certdata (fuzz/findings/certdata-pem-leaf-bad-extension-d7082885):
    client.pem whose subjectKeyIdentifier holds no OCTET STRING, then its
    key.  SSL_CTX_use_certificate() takes such a leaf but queues OpenSSL's
    complaint, and the file loader refuses the leaf for it ("[X509V3:
    INVALID_CERTIFICATE]").  From memory the leaf was taken, and the error
    left queued for the thread's next OpenSSL caller."""
    from conftest import beyond_stdlib
    beyond_stdlib(impl_name, "load_cert_chain(certdata=) is sslmod's (issue 9)")
    cert, key, _ = _certdata_finding("certdata-pem-leaf-bad-extension-d7082885")
    expected = _from_files(tmp_path, cert, key)
    assert expected[0] == "raise" and expected[1][6:8] == ("X509V3", "INVALID_CERTIFICATE")
    if form == "str":
        data = cert.decode("ascii")
    elif form == "der":   # the leaf alone, the key as PKCS#8 DER
        split = cert.index(b"-----BEGIN PRIVATE KEY")
        data, key = _pem_body(cert[:split]), _pem_body(cert[split:])
    else:
        data = cert
    assert _from_memory(impl, data, key) == expected


def test_certdata_nothing_queued_reads_as_from_a_file(impl_name, impl, tmp_path):
    """fuzz_certdata (fuzz/findings/certdata-pem-nothing-queued-ccfbff8b): a
    chain followed by a legacy-encrypted key whose body has a 128-character
    line.  Reading past it fails with nothing on OpenSSL's error queue; the
    file loader then says "unknown error", the memory path said "cannot
    load the certificate chain"."""
    from conftest import beyond_stdlib
    beyond_stdlib(impl_name, "load_cert_chain(certdata=) is sslmod's (issue 9)")
    cert, key, as_text = _certdata_finding("certdata-pem-nothing-queued-ccfbff8b")
    assert as_text and key is None
    expected = _from_files(tmp_path, cert, key)
    assert expected[0] == "raise" and expected[1][1] == "SSLError", expected
    assert expected[1][7] is None   # no reason: the queue was empty
    assert _from_memory(impl, cert.decode("ascii"), None) == expected


def test_certdata_chain_checked_in_file_order(impl_name, impl, tmp_path):
    """fuzz_certdata (fuzz/findings/certdata-pem-weak-ca-then-broken-877091f7):
    the leaf, a CA certificate signed with SHA-1 (too weak at the default
    security level), then a block that is no base64.  The file loader
    checks each certificate as it reads it and stops at the weak one
    ("[SSL: CA_MD_TOO_WEAK]"); the memory path parsed the whole chain
    first and reported the broken block ("[PEM: BAD_BASE64_DECODE]")."""
    from conftest import beyond_stdlib
    beyond_stdlib(impl_name, "load_cert_chain(certdata=) is sslmod's (issue 9)")
    cert, key, _ = _certdata_finding("certdata-pem-weak-ca-then-broken-877091f7")
    expected = _from_files(tmp_path, cert, key)
    assert expected[0] == "raise" and expected[1][6:8] == ("SSL", "CA_MD_TOO_WEAK"), expected
    assert _from_memory(impl, cert, key) == expected


_ENCRYPTED_CHAIN_CHILD = r"""
import importlib, re, sys
mod = importlib.import_module(sys.argv[1])
calls = []
def password():
    calls.append(1)
    return "somepass"
ctx = mod._SSLContext(mod.PROTOCOL_TLS_SERVER)
try:
    ctx.load_cert_chain(sys.argv[2], sys.argv[3], password)
    print("ok", len(calls))
except Exception as exc:
    print(type(exc).__name__, re.sub(r" \(\w+\.c:\d+\)$", "", str(exc)), len(calls))
"""


def test_chain_file_decrypts_with_the_given_password(core, tmp_path):
    """Seen while studying fuzz_certdata's differential: a chain file whose
    second block is an encrypted PEM certificate ("Proc-Type: 4,ENCRYPTED").
    The stdlib decrypts it with the password given to load_cert_chain();
    sslmod's file loader let OpenSSL prompt on the terminal instead ("Enter
    PEM pass phrase:"; OSError where there is none), password or not.  The
    loads run in a child without a controlling terminal, so that a prompt
    fails at once instead of waiting."""
    import subprocess
    import sys
    from conftest import CERTS
    encrypted = CERTS.read("server-rsa-des3.key").replace(b"RSA PRIVATE KEY", b"CERTIFICATE")
    chain = tmp_path / "chain.pem"
    chain.write_bytes(CERTS.read("server-rsa.pem") + encrypted)

    def load(module):
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
        proc = subprocess.run(
            [sys.executable, "-c", _ENCRYPTED_CHAIN_CHILD, module, str(chain),
             CERTS("server-rsa.key")],
            stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60, env=env,
            start_new_session=True)
        assert proc.returncode == 0, proc.stderr
        return proc.stdout.strip(), proc.stderr
    expected, _ = load("_ssl")
    # Decrypted with the password (called once), which is not the block's
    # own cipher text's: ASN.1 garbage.
    assert expected == "SSLError [PEM] ASN1 lib 1"
    assert load(core.__name__) == (expected, "")
