#!/usr/bin/env python3
"""Generate every certificate, key and odd file the test suite uses.

Run from anywhere:  python3 tests/certs/make_certs.py
Needs the ``cryptography`` package (for certificates with exact dates and
unusual extensions) and the ``openssl`` command (for the DH parameters and
the legacy DES-EDE3 key encoding).  The output is committed; rerun only when
a file has to change.  Keys are fresh on every run, so the files differ byte
for byte between runs but have the same structure, names, dates and serials.

Dates never depend on today: valid certificates run from 2020 to 2125,
the expired one ended in 2010, the not-yet-valid one starts in 2200.
"""
import datetime
import ipaddress
import os
import subprocess
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.name import _ASN1Type
from cryptography.x509.oid import (AuthorityInformationAccessOID,
                                   ExtendedKeyUsageOID, NameOID, ObjectIdentifier)

HERE = os.path.dirname(os.path.abspath(__file__))
PASSWORD = b"somepass"

VALID_FROM = datetime.datetime(2020, 1, 1)
VALID_UNTIL = datetime.datetime(2125, 1, 1)
EXPIRED_FROM = datetime.datetime(2000, 1, 1)
EXPIRED_UNTIL = datetime.datetime(2010, 1, 1)
FUTURE_FROM = datetime.datetime(2200, 1, 1)
FUTURE_UNTIL = datetime.datetime(2300, 1, 1)

# Fixed serial numbers keep regenerated certificates comparable.
SERIALS = iter(range(0x1001, 0x2000))

LOCALHOST_SANS = [x509.DNSName("localhost"),
                  x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                  x509.IPAddress(ipaddress.ip_address("::1"))]


def path(name):
    return os.path.join(HERE, name)


def write(name, data):
    with open(path(name), "wb") as f:
        f.write(data)


def name(cn, org="sslmod tests", country="XX"):
    return x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, country),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
        x509.NameAttribute(NameOID.COMMON_NAME, cn),
    ])


def rsa_key(bits=2048):
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def pem(cert):
    return cert.public_bytes(serialization.Encoding.PEM)


def key_pem(key, fmt=serialization.PrivateFormat.PKCS8,
            enc=serialization.NoEncryption()):
    return key.private_bytes(serialization.Encoding.PEM, fmt, enc)


def make_cert(subject, key, issuer_name=None, issuer_key=None, *, ca=False,
              pathlen=None, sans=None, eku=None, serial=None,
              not_before=VALID_FROM, not_after=VALID_UNTIL, extra=()):
    """A certificate for KEY; self-signed when ISSUER_KEY is None."""
    issuer_name = issuer_name or subject
    signer = issuer_key or key
    pub = key.public_key()
    b = (x509.CertificateBuilder()
         .subject_name(subject).issuer_name(issuer_name).public_key(pub)
         .serial_number(serial if serial is not None else next(SERIALS))
         .not_valid_before(not_before).not_valid_after(not_after)
         .add_extension(x509.BasicConstraints(ca=ca, path_length=pathlen), critical=True)
         .add_extension(x509.SubjectKeyIdentifier.from_public_key(pub), critical=False)
         .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
             signer.public_key()), critical=False))
    if ca:
        usage = dict(digital_signature=True, key_cert_sign=True, crl_sign=True,
                     key_encipherment=False)
    else:
        usage = dict(digital_signature=True, key_cert_sign=False, crl_sign=False,
                     key_encipherment=isinstance(key, rsa.RSAPrivateKey))
    b = b.add_extension(x509.KeyUsage(content_commitment=False, data_encipherment=False,
                                      key_agreement=False, encipher_only=False,
                                      decipher_only=False, **usage), critical=True)
    if eku:
        b = b.add_extension(x509.ExtendedKeyUsage(eku), critical=False)
    if sans:
        b = b.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    for ext in extra:
        b = b.add_extension(ext, critical=False)
    algo = None if isinstance(signer, ed25519.Ed25519PrivateKey) else hashes.SHA256()
    return b.sign(signer, algo)


def openssl(*args, stdin=None):
    subprocess.run(["openssl", *args], check=True, input=stdin,
                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)


RSA_PSS_CA_CONFIG = """\
[ca]
default_ca = leafca
[leafca]
database = {dir}/index.txt
new_certs_dir = {dir}
serial = {dir}/serial
default_md = sha256
policy = anything
unique_subject = no
[anything]
countryName = optional
organizationName = optional
commonName = supplied
[leaf]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost,IP:127.0.0.1,IP:::1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
"""


def rsa_pss_leaf():
    """server-rsapss.*: the localhost leaf with an RSASSA-PSS key (the key
    itself is id-RSASSA-PSS, so TLS uses the rsa_pss_pss_* schemes),
    issued by the intermediate CA already in this directory.  Made with
    the openssl command (``openssl ca`` for the fixed dates), because the
    cryptography package cannot build certificates for RSA-PSS keys.
    Run alone with ``make_certs.py --rsa-pss``: nothing else changes."""
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        conf = os.path.join(tmp, "ca.cnf")
        with open(conf, "w") as f:
            f.write(RSA_PSS_CA_CONFIG.format(dir=tmp))
        open(os.path.join(tmp, "index.txt"), "w").close()
        with open(os.path.join(tmp, "serial"), "w") as f:
            f.write("%X\n" % 0x1F01)
        csr = os.path.join(tmp, "leaf.csr")
        cert = os.path.join(tmp, "leaf.pem")
        openssl("genpkey", "-algorithm", "RSA-PSS", "-pkeyopt", "rsa_keygen_bits:2048",
                "-out", path("server-rsapss.key"))
        openssl("req", "-new", "-key", path("server-rsapss.key"),
                "-subj", "/C=XX/O=sslmod tests/CN=localhost", "-out", csr)
        openssl("ca", "-batch", "-config", conf, "-in", csr, "-out", cert, "-notext",
                "-cert", path("intermediate.pem"), "-keyfile", path("intermediate.key"),
                "-startdate", "20200101000000Z", "-enddate", "21250101000000Z",
                "-extensions", "leaf", "-preserveDN")
        with open(cert, "rb") as f:
            leaf_pem = f.read()
    with open(path("intermediate.pem"), "rb") as f:
        inter_pem = f.read()
    write("server-rsapss.pem", leaf_pem)
    write("server-rsapss-chain.pem", leaf_pem + inter_pem)


def main():
    # --- the PKI: root CA -> intermediate CA -> leaves --------------------
    ca_key = rsa_key()
    ca_name = name("sslmod test root CA")
    ca = make_cert(ca_name, ca_key, ca=True, serial=1)
    write("ca.pem", pem(ca))
    write("ca.key", key_pem(ca_key))
    write("ca.der", ca.public_bytes(serialization.Encoding.DER))

    int_key = rsa_key()
    int_name = name("sslmod test intermediate CA")
    inter = make_cert(int_name, int_key, ca_name, ca_key, ca=True, pathlen=0, serial=2)
    write("intermediate.pem", pem(inter))
    write("intermediate.key", key_pem(int_key))

    # Two CA certificates in one file, as PEM and as concatenated DER, for
    # the cadata and cafile tests.
    write("ca-bundle.pem", pem(ca) + pem(inter))
    write("ca-bundle.der", ca.public_bytes(serialization.Encoding.DER)
          + inter.public_bytes(serialization.Encoding.DER))

    def leaf(stem, key, cn="localhost", sans=LOCALHOST_SANS, **kw):
        cert = make_cert(name(cn), key, int_name, int_key, sans=sans,
                         eku=[ExtendedKeyUsageOID.SERVER_AUTH], **kw)
        write(stem + ".pem", pem(cert))
        write(stem + ".key", key_pem(key))
        write(stem + "-chain.pem", pem(cert) + pem(inter))
        return cert

    rsa_server_key = rsa_key()
    leaf("server-rsa", rsa_server_key)
    leaf("server-ecdsa", ec.generate_private_key(ec.SECP256R1()))
    leaf("server-ed25519", ed25519.Ed25519PrivateKey.generate())
    # (server-rsapss.* is made by rsa_pss_leaf() at the end, from the
    # intermediate CA written above.)

    # Certificate and key in one file, as load_cert_chain(certfile) allows.
    with open(path("server-rsa.pem"), "rb") as f:
        write("server-rsa-combined.pem", f.read() + key_pem(rsa_server_key))

    # The same RSA key, encrypted: PKCS#8 with AES-256-CBC, and the legacy
    # OpenSSL form (Proc-Type/DEK-Info headers) with DES-EDE3-CBC.
    write("server-rsa-enc.key", key_pem(
        rsa_server_key, enc=serialization.BestAvailableEncryption(PASSWORD)))
    openssl("rsa", "-in", path("server-rsa.key"), "-traditional", "-des3",
            "-passout", "pass:" + PASSWORD.decode(), "-out", path("server-rsa-des3.key"))

    leaf("expired", rsa_key(), not_before=EXPIRED_FROM, not_after=EXPIRED_UNTIL)
    leaf("notyetvalid", rsa_key(), not_before=FUTURE_FROM, not_after=FUTURE_UNTIL)
    leaf("wrong-host", rsa_key(), cn="wrong.example", sans=[x509.DNSName("wrong.example")])
    leaf("cn-only", rsa_key(), sans=None)
    leaf("wildcard", rsa_key(), cn="*.example.test",
         sans=[x509.DNSName("*.example.test")])
    leaf("idna", rsa_key(), cn="xn--knig-5qa.example",
         sans=[x509.DNSName("xn--knig-5qa.example")])

    # Self-signed server certificate for localhost (not issued by our CA).
    ss_key = rsa_key()
    ss = make_cert(name("localhost"), ss_key, sans=LOCALHOST_SANS,
                   eku=[ExtendedKeyUsageOID.SERVER_AUTH])
    write("selfsigned.pem", pem(ss))
    write("selfsigned.key", key_pem(ss_key))

    # Client certificate, issued directly by the root CA.
    client_key = rsa_key()
    client = make_cert(name("sslmod test client"), client_key, ca_name, ca_key,
                       eku=[ExtendedKeyUsageOID.CLIENT_AUTH],
                       sans=[x509.RFC822Name("client@example.test")])
    write("client.pem", pem(client))
    write("client.key", key_pem(client_key))

    # --- certificates for the decoder ------------------------------------
    dirname = x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "XY"),
        x509.NameAttribute(NameOID.LOCALITY_NAME, "Castle Anthrax"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "sslmod dirName"),
        x509.NameAttribute(NameOID.COMMON_NAME, "dirname example"),
    ])
    all_sans = [
        x509.DNSName("allsans.example"),
        x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
        x509.IPAddress(ipaddress.ip_address("::1")),
        x509.IPAddress(ipaddress.ip_address("2001:db8::42:1")),
        x509.UniformResourceIdentifier("https://www.example.test/path?q=1"),
        x509.RFC822Name("user@example.test"),
        x509.DirectoryName(dirname),
        x509.RegisteredID(ObjectIdentifier("1.2.3.4.5")),
        x509.OtherName(ObjectIdentifier("1.2.3.4"), b"\x0c\x0bhello other"),
    ]
    aia = x509.AuthorityInformationAccess([
        x509.AccessDescription(AuthorityInformationAccessOID.OCSP,
                               x509.UniformResourceIdentifier("http://ocsp.example.test/")),
        x509.AccessDescription(AuthorityInformationAccessOID.OCSP,
                               x509.UniformResourceIdentifier("http://ocsp2.example.test/")),
        x509.AccessDescription(AuthorityInformationAccessOID.CA_ISSUERS,
                               x509.UniformResourceIdentifier("http://ca.example.test/ca.der")),
    ])
    crl = x509.CRLDistributionPoints([
        x509.DistributionPoint(
            full_name=[x509.UniformResourceIdentifier("http://crl.example.test/a.crl"),
                       x509.UniformResourceIdentifier("http://crl2.example.test/a.crl")],
            relative_name=None, reasons=None, crl_issuer=None),
        # A distribution point that names only its issuer, no full name.
        x509.DistributionPoint(full_name=None, relative_name=None, reasons=None,
                               crl_issuer=[x509.DirectoryName(ca_name)]),
        x509.DistributionPoint(
            full_name=None,
            relative_name=x509.RelativeDistinguishedName(
                [x509.NameAttribute(NameOID.COMMON_NAME, "relative crl")]),
            reasons=None, crl_issuer=None),
    ])
    make = lambda subj, **kw: make_cert(subj, rsa_key(), int_name, int_key, **kw)
    write("allsans.pem", pem(make(name("allsans.example"), sans=all_sans,
                                  extra=[aia, crl])))

    nul_subject = x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "XX"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "sslmod tests"),
        x509.NameAttribute(NameOID.COMMON_NAME, "null.example.test\x00evil.example"),
    ])
    write("nullbytes.pem", pem(make(nul_subject, sans=[
        x509.DNSName("altnull.example.test\x00evil.example"),
        x509.RFC822Name._init_without_validation("null@example.test\x00user@evil.example"),
        x509.UniformResourceIdentifier("http://null.example.test\x00http://evil.example"),
        x509.IPAddress(ipaddress.ip_address("192.0.2.1")),
    ])))

    uni_subject = x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "DE"),
        x509.NameAttribute(NameOID.LOCALITY_NAME, "M\u00fcnchen"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "\u00c4rger & S\u00f6hne",
                           _type=_ASN1Type.BMPString),
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "\u6e2c\u8a66",
                           _type=_ASN1Type.BMPString),
        x509.NameAttribute(NameOID.COMMON_NAME, "\u0441\u0435\u0440\u0432\u0435\u0440.example"),
        x509.NameAttribute(NameOID.EMAIL_ADDRESS, "info@example.test"),
    ])
    write("unicode.pem", pem(make(uni_subject, sans=[
        x509.DNSName("xn--80adxhks.example")])))

    write("bigserial.pem", pem(make(name("big serial"), serial=2 ** 159 - 1)))

    # --- odd files ---------------------------------------------------------
    openssl("genpkey", "-genparam", "-algorithm", "DH", "-pkeyopt",
            "group:ffdhe2048", "-out", path("dh.pem"))
    write("garbage.pem", b"This is not a certificate.\n\x00\x01\x02\xff\xfe nor a key\n")
    with open(path("ca.pem"), "rb") as f:
        ca_text = f.read()
    write("truncated.pem", ca_text[: len(ca_text) // 2])
    write("empty.pem", b"")
    rsa_pss_leaf()
    make_ocsp()
    print("wrote test files into", HERE)


# --- OCSP (issue 9) -----------------------------------------------------------
# Made from the committed PKI above (read back from disk), so that they can
# be added or remade alone:  python3 tests/certs/make_certs.py ocsp
# The responses come from `openssl ocsp` acting as a responder over an
# index file; the two that openssl cannot make (a response whose validity
# ended in 2010, and an unsuccessful "tryLater") come from cryptography.

OCSP_RESPONDER_SERIAL = 0x3001


def load_cert(name_):
    with open(path(name_), "rb") as f:
        return x509.load_pem_x509_certificate(f.read())


def load_key(name_):
    with open(path(name_), "rb") as f:
        return serialization.load_pem_private_key(f.read(), None)


def openssl_ocsp_response(index, cert, out, signer, signer_key, *extra):
    """Ask `openssl ocsp` for CERT's status in INDEX, signed by SIGNER."""
    req = path("ocsp-request.tmp")
    try:
        openssl("ocsp", "-issuer", path("intermediate.pem"), "-cert", path(cert),
                "-no_nonce", "-reqout", req)
        openssl("ocsp", "-index", index, "-CA", path("intermediate.pem"),
                "-rsigner", path(signer), "-rkey", path(signer_key),
                "-reqin", req, "-respout", path(out), "-ndays", "36500", *extra)
    finally:
        if os.path.exists(req):
            os.unlink(req)


def make_ocsp():
    from cryptography.x509 import ocsp
    inter, int_key = load_cert("intermediate.pem"), load_key("intermediate.key")

    # A delegated responder: signed by the intermediate, EKU OCSPSigning.
    resp_key = rsa_key()
    responder = make_cert(name("sslmod test OCSP responder"), resp_key, inter.subject,
                          int_key, eku=[ExtendedKeyUsageOID.OCSP_SIGNING],
                          serial=OCSP_RESPONDER_SERIAL)
    write("ocsp-responder.pem", pem(responder))
    write("ocsp-responder.key", key_pem(resp_key))

    # The CA database: server-rsa and wildcard good, server-ecdsa revoked.
    def entry(cert, revoked=None):
        subject = "".join("/%s=%s" % (
            {NameOID.COUNTRY_NAME: "C", NameOID.ORGANIZATION_NAME: "O",
             NameOID.COMMON_NAME: "CN"}[a.oid], a.value) for a in cert.subject)
        return "\t".join([
            "R" if revoked else "V", "21250101000000Z", revoked or "",
            "%X" % cert.serial_number, "unknown", subject]) + "\n"
    index = ("".join([entry(load_cert("server-rsa.pem")),
                      entry(load_cert("wildcard.pem")),
                      entry(load_cert("server-ecdsa.pem"), revoked="250101000000Z")]))
    write("ocsp-index.txt", index.encode())
    idx = path("ocsp-index.txt")

    openssl_ocsp_response(idx, "server-rsa.pem", "ocsp-good.der",
                          "ocsp-responder.pem", "ocsp-responder.key")
    openssl_ocsp_response(idx, "server-rsa.pem", "ocsp-good-by-issuer.der",
                          "intermediate.pem", "intermediate.key")
    openssl_ocsp_response(idx, "server-ecdsa.pem", "ocsp-revoked.der",
                          "ocsp-responder.pem", "ocsp-responder.key")
    # Good, but for another certificate (wildcard.pem) than the server's.
    openssl_ocsp_response(idx, "wildcard.pem", "ocsp-other-cert.der",
                          "ocsp-responder.pem", "ocsp-responder.key")
    # Signed by a key the CA never authorised to answer for it.
    openssl_ocsp_response(idx, "server-rsa.pem", "ocsp-unauthorized.der",
                          "server-ed25519.pem", "server-ed25519.key")

    leaf = load_cert("server-rsa.pem")
    builder = (ocsp.OCSPResponseBuilder()
               .add_response(cert=leaf, issuer=inter, algorithm=hashes.SHA1(),
                             cert_status=ocsp.OCSPCertStatus.GOOD,
                             this_update=EXPIRED_FROM, next_update=EXPIRED_UNTIL,
                             revocation_time=None, revocation_reason=None)
               .responder_id(ocsp.OCSPResponderEncoding.HASH, responder)
               .certificates([responder]))
    write("ocsp-expired.der", builder.sign(resp_key, hashes.SHA256()).public_bytes(
        serialization.Encoding.DER))
    write("ocsp-trylater.der", ocsp.OCSPResponseBuilder.build_unsuccessful(
        ocsp.OCSPResponseStatus.TRY_LATER).public_bytes(serialization.Encoding.DER))


if __name__ == "__main__":
    if sys.argv[1:] == ["--rsa-pss"]:
        sys.exit(rsa_pss_leaf())
    if sys.argv[1:] == ["ocsp"]:
        make_ocsp()
        sys.exit(0)
    sys.exit(main())
