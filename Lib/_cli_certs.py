"""Certificates for ``python -m sslmod``: decode them into what the CLI shows,
split PEM/DER bundles, and make throwaway self-signed ones.

The dict fields (subject, issuer, validity, SANs) are what ``getpeercert()``
reports, through the C core's own decoder.  The few fields that dict lacks
(public-key type and size, signature algorithm) come from a minimal DER
walk below, so the CLI needs no third-party package.
"""
import base64
import hashlib
import re
import shutil
import subprocess
import time

from sslmod import _sslmod
from sslmod._legacy import _InMemoryFile

PEM_BLOCK = re.compile(rb"-----BEGIN (?:X509 |TRUSTED )?CERTIFICATE-----(.*?)"
                       rb"-----END (?:X509 |TRUSTED )?CERTIFICATE-----", re.S)

# Short labels for the name attributes, as OpenSSL prints them.
_NAME_LABELS = {
    "commonName": "CN", "organizationName": "O", "organizationalUnitName": "OU",
    "countryName": "C", "stateOrProvinceName": "ST", "localityName": "L",
    "domainComponent": "DC", "streetAddress": "street", "serialNumber": "serialNumber",
}

# Field sizes of the named curves whose size is not a whole number of bytes
# or not obvious from the point length.
_CURVE_BITS = {"secp521r1": 521, "prime256v1": 256, "secp384r1": 384, "secp256k1": 256,
               "prime192v1": 192, "secp224r1": 224}

OID_RSA = "1.2.840.113549.1.1.1"
OID_RSA_PSS = "1.2.840.113549.1.1.10"
OID_EC = "1.2.840.10045.2.1"
OID_DSA = "1.2.840.10040.4.1"
_OKP_BITS = {"1.3.101.112": ("Ed25519", 256), "1.3.101.113": ("Ed448", 456),
             "1.3.101.110": ("X25519", 256), "1.3.101.111": ("X448", 448)}


# ---- a minimal DER walk --------------------------------------------------------

def _tlv(data, pos, end=None):
    """(tag, content start, content end) of the element at POS."""
    end = len(data) if end is None else end
    if pos + 2 > end:
        raise ValueError("truncated DER")
    tag, length = data[pos], data[pos + 1]
    if tag & 0x1F == 0x1F:
        raise ValueError("multi-byte DER tags are not used in certificates")
    pos += 2
    if length & 0x80:
        count = length & 0x7F
        if not 1 <= count <= 4 or pos + count > end:
            raise ValueError("bad DER length")
        length = int.from_bytes(data[pos:pos + count], "big")
        pos += count
    if pos + length > end:
        raise ValueError("truncated DER")
    return tag, pos, pos + length


def _children(data, start, end):
    """The (tag, start, end) of each element between START and END."""
    out = []
    while start < end:
        tag, cstart, cend = _tlv(data, start, end)
        out.append((tag, cstart, cend))
        start = cend
    return out


def _oid(content):
    """Dotted text of an OBJECT IDENTIFIER's content bytes."""
    arcs, value = [], 0
    for byte in content:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            arcs.append(value)
            value = 0
    if not arcs:
        raise ValueError("empty OID")
    first = min(arcs[0] // 40, 2)
    return ".".join(str(a) for a in [first, arcs[0] - 40 * first] + arcs[1:])


def _oid_name(dotted):
    """OpenSSL's long name for DOTTED, or DOTTED itself if it has none."""
    try:
        return _sslmod.txt2obj(dotted)[2]
    except (ValueError, TypeError):
        return dotted


def _integer_bits(content):
    return int.from_bytes(bytes(content), "big").bit_length()


def split_der(data):
    """One DER certificate per element of a concatenation of them."""
    certs, pos = [], 0
    while pos < len(data):
        tag, _, end = _tlv(data, pos)
        if tag != 0x30:
            raise ValueError("not a DER certificate (tag 0x%02x)" % tag)
        certs.append(bytes(data[pos:end]))
        pos = end
    return certs


def der_details(der):
    """{"key": {"type", "bits", "curve"}, "signature_algorithm"} from DER."""
    _, cstart, cend = _tlv(der, 0)
    tbs, sigalg = _children(der, cstart, cend)[:2]
    fields = _children(der, tbs[1], tbs[2])
    if fields[0][0] == 0xA0:           # [0] EXPLICIT version
        fields = fields[1:]
    spki = fields[5]
    alg, bits = _children(der, spki[1], spki[2])
    alg_parts = _children(der, alg[1], alg[2])
    key_oid = _oid(der[alg_parts[0][1]:alg_parts[0][2]])
    public = der[bits[1] + 1:bits[2]]  # skip the unused-bits byte
    key = {"type": _oid_name(key_oid), "bits": None, "curve": None}
    if key_oid in (OID_RSA, OID_RSA_PSS):
        key["type"] = "RSA" if key_oid == OID_RSA else "RSA-PSS"
        modulus = _children(public, 0, len(public))
        inner = _children(public, modulus[0][1], modulus[0][2])
        key["bits"] = _integer_bits(public[inner[0][1]:inner[0][2]])
    elif key_oid == OID_EC:
        key["type"] = "EC"
        if len(alg_parts) > 1 and alg_parts[1][0] == 0x06:
            curve_oid = _oid(der[alg_parts[1][1]:alg_parts[1][2]])
            key["curve"] = _sslmod.txt2obj(curve_oid)[1] if curve_oid else None
        point = bytes(public)
        coord = (len(point) - 1) // 2 if point[:1] == b"\x04" else len(point) - 1
        key["bits"] = _CURVE_BITS.get(key["curve"], coord * 8)
    elif key_oid == OID_DSA:
        key["type"] = "DSA"
        if len(alg_parts) > 1 and alg_parts[1][0] == 0x30:
            params = _children(der, alg_parts[1][1], alg_parts[1][2])
            key["bits"] = _integer_bits(der[params[0][1]:params[0][2]])
    elif key_oid in _OKP_BITS:
        key["type"], key["bits"] = _OKP_BITS[key_oid]
    sig_parts = _children(der, sigalg[1], sigalg[2])
    sig_oid = _oid(der[sig_parts[0][1]:sig_parts[0][2]])
    return {"key": key, "signature_algorithm": _oid_name(sig_oid)}


# ---- what the CLI shows ------------------------------------------------------

def decode_dict(der):
    """The certificate as getpeercert() shows it (through the C decoder)."""
    pem = der_to_pem(der)
    with _InMemoryFile(pem) as path:
        return _sslmod._test_decode_cert(path)


def der_to_pem(der):
    body = base64.b64encode(der).decode("ascii")
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    return "-----BEGIN CERTIFICATE-----\n" + "\n".join(lines) + "\n-----END CERTIFICATE-----\n"


def format_name(name):
    """'C=XX, O=sslmod tests, CN=localhost' for a getpeercert() name."""
    parts = []
    for rdn in name or ():
        for key, value in rdn:
            parts.append("%s=%s" % (_NAME_LABELS.get(key, key), value))
    return ", ".join(parts)


def fingerprint(der, algorithm):
    return ":".join("%02X" % b for b in hashlib.new(algorithm, der).digest())


def _cert_seconds(text):
    from sslmod import ssl
    return ssl.cert_time_to_seconds(text)


def describe(der, now=None):
    """Everything the CLI prints about one certificate, as plain data."""
    now = time.time() if now is None else now
    decoded = decode_dict(der)
    try:
        details = der_details(der)
    except (ValueError, IndexError):
        details = {"key": {"type": None, "bits": None, "curve": None},
                   "signature_algorithm": None}
    not_after = _cert_seconds(decoded["notAfter"])
    not_before = _cert_seconds(decoded["notBefore"])
    return {
        "subject": format_name(decoded.get("subject")),
        "issuer": format_name(decoded.get("issuer")),
        "serial": decoded.get("serialNumber"),
        "not_before": decoded["notBefore"],
        "not_after": decoded["notAfter"],
        "days_left": int((not_after - now) // 86400),
        "valid_now": not_before <= now <= not_after,
        "san": ["%s:%s" % pair for pair in decoded.get("subjectAltName", ())],
        "key": details["key"],
        "signature_algorithm": details["signature_algorithm"],
        "sha256": fingerprint(der, "sha256"),
        "sha1": fingerprint(der, "sha1"),
        "decoded": decoded,
    }


def key_text(key):
    if key["type"] is None:
        return "unknown"
    text = key["type"]
    if key["bits"]:
        text += " %d bits" % key["bits"]
    if key["curve"]:
        text += " (%s)" % key["curve"]
    return text


def format_cert(info, index=None, indent="  ", paint=None):
    """Lines of text for one describe() result."""
    paint = paint or (lambda text, colour: text)
    days = info["days_left"]
    if not info["valid_now"]:
        left = paint("expired %d days ago" % -days if days < 0 else "not yet valid", "red")
    else:
        left = paint("%d days left" % days, "green" if days >= 30 else "yellow")
    head = "%2d " % index if index is not None else ""
    pad = " " * len(head)
    return [
        indent + head + "subject    " + info["subject"],
        indent + pad + "issuer     " + info["issuer"],
        indent + pad + "validity   %s .. %s (%s)" % (info["not_before"], info["not_after"], left),
        indent + pad + "SANs       " + (", ".join(info["san"]) or "none"),
        indent + pad + "key        " + key_text(info["key"]),
        indent + pad + "signature  " + (info["signature_algorithm"] or "unknown"),
        indent + pad + "serial     " + str(info["serial"]),
        indent + pad + "SHA-256    " + info["sha256"],
    ]


def load_certificates(data):
    """DER certificates from the bytes of a PEM or DER file (one or many)."""
    blocks = PEM_BLOCK.findall(data)
    if blocks:
        return [base64.b64decode(b"".join(block.split())) for block in blocks]
    if data.lstrip()[:5] == b"-----":
        raise ValueError("no PEM CERTIFICATE block found")
    return split_der(data)


# ---- throwaway certificates ----------------------------------------------------

class NoCertificateMaker(Exception):
    """Neither the openssl command nor the cryptography package is here."""


def _with_openssl_cli(exe, name):
    cmd = [exe, "req", "-x509", "-newkey", "ec",
           "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
           "-subj", "/CN=" + name, "-days", "1",
           "-addext", "subjectAltName=DNS:%s,IP:127.0.0.1,IP:::1" % name,
           "-keyout", "-", "-out", "-"]
    done = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, timeout=60)
    if done.returncode != 0:
        raise RuntimeError("'openssl req' failed: " + done.stderr.decode(errors="replace").strip())
    text = done.stdout.decode("ascii")
    start = text.index("-----BEGIN CERTIFICATE-----")
    end = text.index("-----END CERTIFICATE-----") + len("-----END CERTIFICATE-----\n")
    return text[start:end], text[:start] + text[end:]


def _with_cryptography(name):
    import datetime
    import ipaddress
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    san = x509.SubjectAlternativeName([
        x509.DNSName(name),
        x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
        x509.IPAddress(ipaddress.ip_address("::1"))])
    cert = (x509.CertificateBuilder()
            .subject_name(subject).issuer_name(subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(san, critical=False)
            .sign(key, hashes.SHA256()))
    cert_pem = cert.public_bytes(serialization.Encoding.PEM).decode("ascii")
    key_pem = key.private_bytes(serialization.Encoding.PEM,
                                serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode("ascii")
    return cert_pem, key_pem


def make_self_signed(name="localhost"):
    """(certificate PEM, key PEM, how) for a one-day ECDSA P-256 certificate.

    The standard library cannot make keys, so this asks the ``openssl``
    command (over a pipe: the key never touches the disk), else the
    ``cryptography`` package."""
    exe = shutil.which("openssl")
    if exe is not None:
        return _with_openssl_cli(exe, name) + ("the openssl command",)
    try:
        import cryptography  # noqa: F401  (only probing)
    except ImportError:
        raise NoCertificateMaker("neither the 'openssl' command nor the 'cryptography' "
                                 "package is available to make a test certificate") from None
    return _with_cryptography(name) + ("the cryptography package",)
