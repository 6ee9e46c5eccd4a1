"""Write the seed corpora under fuzz/corpus/<harness>/ from the test
certificates and from real handshakes recorded over MemoryBIO.

    python fuzz/record_seeds.py [HARNESS...]   (needs sslmod importable)

With harness names, only their corpora are written (the handshake seeds
differ on every run: their randomness is fresh).

The handshake seeds are a configuration byte (common.py) followed by what
one side sent during a complete handshake, an application-data exchange
and a close, between an sslmod client and an sslmod server set up exactly
as the harnesses set them up.  Later flights are encrypted under keys that
depend on both sides' randomness, so on replay the first flight is what
the peer accepts; the rest still drives the error paths."""
import base64
import glob
import hashlib
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import CERTS, client_context, client_hostname, pair, pump, server_context, ssl  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
PEM_CERT = re.compile(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----\n?", re.S)

# Handshake configurations worth a seed each (see common.py for the bits).
CONFIGS = [0x00, 0x01, 0x02, 0x05, 0x06, 0x09, 0x0A, 0x11, 0x12, 0x15, 0x21, 0x22,
           0x41, 0x61, 0x1D]


ONLY = set(sys.argv[1:])


def put(harness, data):
    if ONLY and harness not in ONLY:
        return
    folder = os.path.join(OUT, harness)
    os.makedirs(folder, exist_ok=True)
    name = hashlib.sha1(data).hexdigest()
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def certificates():
    """(file name, PEM text) of every certificate in tests/certs."""
    found = []
    for path in sorted(glob.glob(os.path.join(CERTS, "*.pem"))):
        text = open(path, encoding="latin-1").read()
        for pem in PEM_CERT.findall(text):
            found.append((os.path.basename(path), pem))
    return found


def record(config):
    """The client's and the server's byte streams for one handshake."""
    streams = {"c2s": b"", "s2c": b""}

    def tap(direction, flight):
        streams[direction] += flight

    client, server, c_in, c_out, s_in, s_out = pair(
        client_context(config), server_context(config), client_hostname(config))
    pump(client, server, c_in, c_out, s_in, s_out, tap=tap)
    try:
        client.write(b"GET / HTTP/1.0\r\n\r\n")
        s_in.write(c_out.read())
        server.read(1024)
        server.write(b"HTTP/1.0 200 OK\r\n\r\nfuzz")
        c_in.write(s_out.read())
        client.read(1024)
        for obj, out, peer_in, name in ((client, c_out, s_in, "c2s"), (server, s_out, c_in, "s2c")):
            try:
                obj.unwrap()
            except ssl.SSLWantReadError:
                pass
            flight = out.read()
            streams[name] += flight
            peer_in.write(flight)
    except ssl.SSLError as exc:   # alert configurations end early
        print("config %#x: %s" % (config, exc), file=sys.stderr)
    return streams


def mode_byte(text=False, separate=False, password=0, value=0, handshake=False):
    """fuzz_certdata.py's first byte."""
    return bytes([text | separate << 1 | password << 2 | value << 5 | handshake << 7])


def pem_body(data):
    """The DER inside the first PEM block of DATA."""
    body = data.split(b"-----", 4)[4].split(b"-----END", 1)[0]
    return base64.b64decode(b"".join(line for line in body.split() if b":" not in line))


def certdata_seeds():
    """(mode byte, certificate bytes, key bytes or None) for fuzz_certdata:
    chains and keys that load, combined files, encrypted keys with every
    kind of password, mismatches, and the DER forms."""
    def read(name):
        return open(os.path.join(CERTS, name), "rb").read()

    pairs = [("server-rsa-chain.pem", "server-rsa.key"),
             ("server-ecdsa-chain.pem", "server-ecdsa.key"),
             ("server-ed25519-chain.pem", "server-ed25519.key"),
             ("server-rsapss-chain.pem", "server-rsapss.key"),
             ("client.pem", "client.key"),
             ("expired-chain.pem", "expired.key"),
             ("server-rsa.pem", "client.key"),          # not its key
             ("server-ecdsa.pem", "server-rsa.key")]    # another key type
    for i, (cert, key) in enumerate(pairs):
        yield mode_byte(separate=True, handshake=i < 4), read(cert), read(key)
        yield mode_byte(text=True, separate=True, handshake=i == 1), read(cert), read(key)
        yield mode_byte(), read(cert) + read(key), None
    yield mode_byte(handshake=True), read("server-rsa-combined.pem"), None
    yield mode_byte(text=True), read("server-rsa-combined.pem") + read("intermediate.pem"), None
    # Encrypted keys: PKCS#8 (AES) and the legacy PEM encryption (DES-EDE3).
    for key in ("server-rsa-enc.key", "server-rsa-des3.key"):
        for kind in range(8):
            for value in (0, 1) if kind else (0,):
                yield (mode_byte(separate=True, password=kind, value=value, handshake=kind == 1),
                       read("server-rsa-chain.pem"), read(key))
        yield mode_byte(text=True, password=1, value=2), read("server-rsa.pem") + read(key), None
        yield mode_byte(password=2, value=3), read("server-rsa.pem") + read(key), None
    # DER: the leaf alone and the whole chain, PKCS#8 keys plain and encrypted.
    leaf = pem_body(read("server-rsa.pem"))
    chain = leaf + pem_body(read("intermediate.pem"))
    plain = pem_body(read("server-rsa.key"))
    encrypted = pem_body(read("server-rsa-enc.key"))
    yield mode_byte(separate=True, handshake=True), chain, plain
    yield mode_byte(separate=True), leaf, plain
    yield mode_byte(separate=True, password=1, handshake=True), chain, encrypted
    yield mode_byte(separate=True, password=5, value=1), leaf, encrypted
    for name in ("server-ecdsa", "server-ed25519"):
        yield (mode_byte(separate=True), pem_body(read(name + ".pem")),
               pem_body(read(name + ".key")))
    yield mode_byte(separate=True), read("ca-bundle.der"), plain
    # Files the loaders must refuse.
    for name in ("garbage.pem", "truncated.pem", "empty.pem", "dh.pem", "nullbytes.pem"):
        yield mode_byte(separate=True), read(name), read("server-rsa.key")
    yield mode_byte(separate=True), read("server-rsa.key"), read("server-rsa.key")


def main():
    for mode, cert, key in certdata_seeds():
        if key is None:
            put("certdata", mode + b"\0\0" + cert)
        else:
            put("certdata", mode + len(cert).to_bytes(2, "little") + cert + key)
    certs = certificates()
    for name in sorted(glob.glob(os.path.join(CERTS, "*.pem"))):
        data = open(name, "rb").read()
        if b"CERTIFICATE" in data and len(data) < 20000:
            put("cert_pem", data)
    ders = []
    for _, pem in certs:
        der = ssl.PEM_cert_to_DER_cert(pem)
        ders.append(der)
        put("cert_der", der)
        put("pem_der", b"\x00" + der)
        put("pem_der", b"\x01" + pem.encode())
    for name in ("ca.der", "ca-bundle.der"):
        put("cadata", b"\x02" + open(os.path.join(CERTS, name), "rb").read())
    for name in ("ca-bundle.pem", "server-rsa-chain.pem", "unicode.pem", "nullbytes.pem"):
        text = open(os.path.join(CERTS, name), "rb").read()
        put("cadata", b"\x00" + text)
        put("cadata", b"\x01" + text)
    put("cadata", b"\x02" + b"".join(ders[:4]))
    for text in ("DEFAULT", "ECDHE+AESGCM:!aNULL", "PSK", "@SECLEVEL=0:ALL",
                 "HIGH:!MD5:!RC4:+AES256", "TLS_AES_128_GCM_SHA256", "kRSA:@STRENGTH",
                 "ALL:COMPLEMENTOFALL", "eNULL", "\u00e9"):
        put("ciphers", b"\x00" + text.encode("latin-1"))
    for text in ("prime256v1", "secp384r1", "X25519", "X448", "brainpoolP512r1", "", "x"):
        put("ecdh_curve", b"\x00" + text.encode())
        put("ecdh_curve", b"\x02" + text.encode())
    for text in ("CN", "commonName", "2.5.4.3", "serverAuth", "1.3.6.1.5.5.7.3.1",
                 "1.2.840.113549.1.1.11", "0.0", "2.999.1234567890123456789"):
        put("txt2obj", b"\x00" + text.encode())
        put("txt2obj", b"\x01" + text.encode())
    for nid in (0, 1, 13, 129, 1200, -1, 2 ** 31, 2 ** 63):
        put("txt2obj", b"\x03" + nid.to_bytes(12, "little", signed=True))
    for protos in ([b"h2", b"http/1.1"], [b"fuzz"], [b"x" * 255], [b"h2", b""]):
        wire = b"".join(bytes([len(p)]) + p for p in protos)
        put("alpn", b"\x00" + wire)
        put("alpn", b"\x01" + b"\x00".join(protos))
        put("alpn", b"\x02" + wire)
    for config in CONFIGS if not ONLY or ONLY & {"handshake_server", "handshake_client"} else ():
        streams = record(config)
        put("handshake_server", bytes([config]) + streams["c2s"])
        put("handshake_client", bytes([config]) + streams["s2c"])


if __name__ == "__main__":
    main()
