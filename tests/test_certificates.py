"""Certificates: the decoded certificate dict, the Certificate type, and the
PEM/DER and time helpers, compared with the interpreter's ssl."""
import os
import sys

import pytest

from conftest import CERTS, same, stdlib_raises

CERT_FILES = sorted(n for n in os.listdir(CERTS.dir)
                    if n.endswith(".pem") and n not in ("dh.pem",))
NOT_CERTS = ["dh.pem", "garbage.pem", "truncated.pem", "empty.pem",
             "server-rsa.key", "ca.der"]


# ---- the certificate dict (_test_decode_cert) ------------------------------

@pytest.mark.parametrize("name", CERT_FILES)
def test_decode_cert(core, std_core, name):
    # The first certificate of each file, decoded as getpeercert() would.
    same(lambda m: m._test_decode_cert(CERTS(name)), core, ref=std_core,
         raises=stdlib_raises(lambda m: m._test_decode_cert(CERTS(name)), ref=std_core))


@pytest.mark.parametrize("name", ["allsans.pem", "nullbytes.pem", "unicode.pem",
                                  "bigserial.pem", "ca.pem", "expired.pem",
                                  "notyetvalid.pem", "client.pem"])
def test_decode_cert_fields(core, std_core, name):
    # The files above are chosen for what they hold; make sure they do.
    result = same(lambda m: sorted(m._test_decode_cert(CERTS(name)).items()),
                  core, ref=std_core)[0][1]
    keys = [k for k, _ in result]
    assert {"subject", "issuer", "version", "serialNumber", "notBefore",
            "notAfter"} <= set(keys)


def test_decode_cert_every_san_type(std_core):
    # Guards the test files: allsans.pem must keep every SAN kind the
    # decoder knows, plus OCSP, caIssuers and CRL distribution points.
    decoded = std_core._test_decode_cert(CERTS("allsans.pem"))
    kinds = {kind for kind, _ in decoded["subjectAltName"]}
    assert kinds == {"DNS", "IP Address", "URI", "email", "DirName",
                     "Registered ID", "othername"}
    assert decoded["OCSP"] and decoded["caIssuers"] and decoded["crlDistributionPoints"]
    nul = std_core._test_decode_cert(CERTS("nullbytes.pem"))
    assert "\0" in nul["subject"][-1][0][1]


@pytest.mark.parametrize("name", NOT_CERTS)
def test_decode_cert_not_a_certificate(core, std_core, name):
    same(lambda m: m._test_decode_cert(CERTS(name)), core, ref=std_core, raises="SSLError")


@pytest.mark.parametrize("arg,exc", [("/nonexistent/cert.pem", "SSLError"),
                                     (b"/nonexistent/cert.pem", "SSLError"),
                                     (42, "TypeError"), (None, "TypeError"),
                                     ("bad\0name", "ValueError")])
def test_decode_cert_bad_argument(core, std_core, arg, exc):
    same(lambda m: m._test_decode_cert(arg), core, ref=std_core, raises=exc)


def test_decode_cert_pathlike(core, std_core):
    import pathlib
    same(lambda m: m._test_decode_cert(pathlib.Path(CERTS("ca.pem"))), core, ref=std_core)


# ---- PEM / DER conversion and times ----------------------------------------

@pytest.mark.parametrize("name", ["ca.pem", "allsans.pem", "server-rsa-chain.pem"])
def test_pem_to_der_and_back(impl, name):
    def scenario(ssl):
        der = ssl.PEM_cert_to_DER_cert(CERTS.text(name))
        return der, ssl.DER_cert_to_PEM_cert(der)
    same(scenario, impl)


def test_der_file_matches_pem(impl):
    same(lambda ssl: ssl.PEM_cert_to_DER_cert(CERTS.text("ca.pem")) == CERTS.read("ca.der"),
         impl)


@pytest.mark.parametrize("arg", [b"", b"abc", bytearray(b"\x00" * 100)])
def test_der_to_pem_any_bytes(impl, arg):
    same(lambda ssl: ssl.DER_cert_to_PEM_cert(arg), impl)


@pytest.mark.parametrize("arg", ["garbage", "", CERTS.text("ca.pem")[1:],
                                 CERTS.text("ca.pem").replace("END", "FIN")])
def test_pem_to_der_bad(impl, arg):
    same(lambda ssl: ssl.PEM_cert_to_DER_cert(arg), impl, raises="ValueError")


# ---- certificates seen through a connection --------------------------------
#
# The Certificate type (3.10+) is only handed out by a connection, so these
# tests run a TLS handshake over memory BIOs.  They fail, not skip, until
# connections work.

def handshake(ssl, certfile="server-rsa-chain.pem", keyfile="server-rsa.key",
              client_cert=False):
    """A client and a server SSLObject that completed a handshake."""
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(CERTS(certfile), CERTS(keyfile))
    client_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    client_ctx.load_verify_locations(CERTS("ca.pem"))
    if client_cert:
        server_ctx.verify_mode = ssl.CERT_REQUIRED
        server_ctx.load_verify_locations(CERTS("ca.pem"))
        client_ctx.load_cert_chain(CERTS("client.pem"), CERTS("client.key"))
    bios = [ssl.MemoryBIO() for _ in range(4)]
    client = client_ctx.wrap_bio(bios[0], bios[1], server_hostname="localhost")
    server = server_ctx.wrap_bio(bios[2], bios[3], server_side=True)
    done = {client: False, server: False}
    for _ in range(20):
        for obj in (client, server):
            if not done[obj]:
                try:
                    obj.do_handshake()
                    done[obj] = True
                except ssl.SSLWantReadError:
                    pass
        bios[2].write(bios[1].read())
        bios[0].write(bios[3].read())
        if all(done.values()):
            return client, server
    raise AssertionError("handshake did not finish")


def verified_chain(obj):
    """Certificate objects: the C connection's get_verified_chain (3.10+)."""
    return obj._sslobj.get_verified_chain()


def unverified_chain(obj):
    return obj._sslobj.get_unverified_chain()


needs_certificate_type = pytest.mark.skipif(
    sys.version_info < (3, 10), reason="the stdlib has no Certificate type before 3.10")


@pytest.mark.parametrize("stem", ["server-rsa", "server-ecdsa", "server-ed25519"])
def test_getpeercert(impl, stem):
    def scenario(ssl):
        client, server = handshake(ssl, stem + "-chain.pem", stem + ".key")
        return (client.getpeercert(), client.getpeercert(True),
                server.getpeercert(), server.getpeercert(True))
    same(scenario, impl)


def test_getpeercert_client_certificate(impl):
    def scenario(ssl):
        client, server = handshake(ssl, client_cert=True)
        return server.getpeercert(), server.getpeercert(binary_form=True)
    same(scenario, impl)


@needs_certificate_type
@pytest.mark.parametrize("stem", ["server-rsa", "server-ecdsa", "server-ed25519"])
def test_verified_and_unverified_chain(impl, stem):
    def scenario(ssl):
        client, server = handshake(ssl, stem + "-chain.pem", stem + ".key")
        return verified_chain(client), unverified_chain(client), unverified_chain(server)
    result = same(scenario, impl)
    verified = result[0][1][0]
    assert len(verified) == 3       # leaf, intermediate, root


@pytest.mark.skipif(sys.version_info < (3, 13), reason="public since 3.13")
def test_public_chain_methods(impl):
    # SSLObject.get_verified_chain()/get_unverified_chain() give DER bytes.
    def scenario(ssl):
        client, server = handshake(ssl)
        return (client.get_verified_chain(), client.get_unverified_chain(),
                server.get_verified_chain(), server.get_unverified_chain())
    same(scenario, impl)


@needs_certificate_type
def test_certificate_public_bytes(impl):
    def scenario(ssl):
        client, _ = handshake(ssl)
        out = []
        for cert in verified_chain(client):
            out.append((cert.public_bytes(), cert.public_bytes(ssl._ssl.ENCODING_PEM),
                        cert.public_bytes(ssl._ssl.ENCODING_DER),
                        cert.public_bytes(format=ssl._ssl.ENCODING_DER)))
        return out
    same(scenario, impl)


@needs_certificate_type
def test_certificate_matches_files(impl):
    def scenario(ssl):
        client, _ = handshake(ssl)
        leaf, inter, root = verified_chain(client)
        return (leaf.public_bytes(ssl._ssl.ENCODING_PEM) == CERTS.text("server-rsa.pem"),
                inter.public_bytes(ssl._ssl.ENCODING_PEM) == CERTS.text("intermediate.pem"),
                root.public_bytes(ssl._ssl.ENCODING_DER) == CERTS.read("ca.der"))
    assert same(scenario, impl)[0][1] == (True, True, True)


@needs_certificate_type
@pytest.mark.parametrize("fmt", [0, 3, -1, "PEM", None, 2 ** 70])
def test_certificate_public_bytes_bad(impl, fmt):
    def scenario(ssl):
        client, _ = handshake(ssl)
        return verified_chain(client)[0].public_bytes(fmt)
    same(scenario, impl, raises=stdlib_raises(scenario))


@needs_certificate_type
def test_certificate_get_info(impl):
    def scenario(ssl):
        client, _ = handshake(ssl)
        chain = verified_chain(client)
        return [c.get_info() for c in chain], chain[0].get_info() == client.getpeercert()
    same(scenario, impl)


@needs_certificate_type
def test_certificate_eq_hash_repr(impl):
    def scenario(ssl):
        client, server = handshake(ssl)
        a = verified_chain(client)
        b = unverified_chain(client)
        return (a[0] == b[0], a[0] != b[0], a[0] == a[1], a[0] == a[0].public_bytes(),
                a[0] == 1, hash(a[0]) == hash(b[0]), hash(a[0]) == hash(a[1]),
                [repr(c) for c in a], type(a[0]).__name__, len({a[0], b[0], a[1]}))
    same(scenario, impl)


@needs_certificate_type
def test_certificate_type_not_instantiable(impl):
    def scenario(ssl):
        client, _ = handshake(ssl)
        return type(verified_chain(client)[0])()
    same(scenario, impl, raises="TypeError")


@needs_certificate_type
def test_certificate_ordering_unsupported(impl):
    def scenario(ssl):
        client, _ = handshake(ssl)
        chain = verified_chain(client)
        return chain[0] < chain[1]
    same(scenario, impl, raises="TypeError")
