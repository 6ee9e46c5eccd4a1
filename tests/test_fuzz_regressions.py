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
