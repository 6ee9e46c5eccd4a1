"""``python -m sslmod``: report the build and check TLS works; or run a program on sslmod.

    python -m sslmod                      versions, features, loopback self-check
    python -m sslmod info                 versions and features only
    python -m sslmod run SCRIPT [ARGS]    run a script with sslmod injected
    python -m sslmod run -m MODULE [ARGS] run a module the same way

The self-check needs a throwaway certificate, and the standard library
cannot make one.  It asks the ``openssl`` command-line tool (an in-memory
exchange over a pipe: the key never touches the disk), else the
``cryptography`` package if it is installed.  With neither, the check is
skipped with a message and exit status 0; any real failure exits with 1.
"""
import os
import shutil
import subprocess
import sys
import threading
import time

import sslmod
from sslmod import _sslmod

USAGE = __doc__.split("\n\n")[1]


def _yes(flag):
    return "yes" if flag else "no"


def print_info(out=sys.stdout):
    api = getattr(_sslmod, "_OPENSSL_API_VERSION", None)
    built = getattr(_sslmod, "_OPENSSL_BUILD_VERSION", None)
    print("sslmod {} on Python {} ({})".format(
        sslmod.__version__, sys.version.split()[0], os.path.dirname(sslmod.__file__)),
        file=out)
    built_text = built if built else "OpenSSL 3"
    if api is not None:
        built_text += " (_OPENSSL_API_VERSION {})".format(tuple(api))
    print("built with:   " + built_text, file=out)
    print("running with: " + _sslmod.OPENSSL_VERSION, file=out)
    # The ssl API's flags: the C core's plus those the Python layer adds
    # (HAS_NEVER_CHECK_COMMON_NAME).
    flags = sorted(n for n in dir(sslmod) if n.startswith("HAS_"))
    print("features:", file=out)
    for name in flags:
        print("  {:<28}{}".format(name, _yes(getattr(sslmod, name))), file=out)


# ---- self-check -----------------------------------------------------------

class SkipCheck(Exception):
    """No way to make a certificate here; not a failure of sslmod."""


def _cert_with_openssl_cli(exe):
    cmd = [exe, "req", "-x509", "-newkey", "ec",
           "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
           "-subj", "/CN=localhost", "-days", "1",
           "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
           "-keyout", "-", "-out", "-"]
    done = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True,
                          timeout=60)
    if done.returncode != 0:
        raise RuntimeError("'openssl req' failed: " + done.stderr.decode(errors="replace").strip())
    text = done.stdout.decode("ascii")
    start = text.index("-----BEGIN CERTIFICATE-----")
    end = text.index("-----END CERTIFICATE-----") + len("-----END CERTIFICATE-----\n")
    cert = text[start:end]
    key = text[:start] + text[end:]
    return cert, key


def _cert_with_cryptography():
    import datetime
    import ipaddress
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.timezone.utc)
    san = x509.SubjectAlternativeName([
        x509.DNSName("localhost"),
        x509.IPAddress(ipaddress.ip_address("127.0.0.1"))])
    cert = (x509.CertificateBuilder()
            .subject_name(name).issuer_name(name)
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


def make_certificate():
    """(certificate PEM, key PEM, how it was made) for CN=localhost."""
    exe = shutil.which("openssl")
    if exe is not None:
        return _cert_with_openssl_cli(exe) + ("the openssl command",)
    try:
        import cryptography  # noqa: F401  (only probing)
    except ImportError:
        raise SkipCheck("neither the 'openssl' command nor the 'cryptography' "
                        "package is available to make a test certificate") from None
    return _cert_with_cryptography() + ("the cryptography package",)


def self_check(out=sys.stdout):
    """TLS 1.3 handshake and echo over loopback; True if it all worked."""
    try:
        cert_pem, key_pem, how = make_certificate()
    except SkipCheck as exc:
        print("self-check skipped: {}.".format(exc), file=out)
        return True
    from sslmod import ssl
    from sslmod._legacy import _InMemoryFile

    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    with _InMemoryFile(cert_pem) as cert_path, _InMemoryFile(key_pem) as key_path:
        server_ctx.load_cert_chain(cert_path, key_path)
    client_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    client_ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    client_ctx.load_verify_locations(cadata=cert_pem)

    import socket
    payload = os.urandom(64 * 1024)
    server_error = []
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.settimeout(10)

    def serve():
        try:
            conn, _ = listener.accept()
            conn.settimeout(10)
            with server_ctx.wrap_socket(conn, server_side=True) as tls:
                received = bytearray()
                while len(received) < len(payload):
                    chunk = tls.recv(65536)
                    if not chunk:
                        break
                    received += chunk
                tls.sendall(bytes(received))
        except BaseException as exc:  # reported by the main thread
            server_error.append(exc)

    with listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        server = threading.Thread(target=serve, name="sslmod-self-check", daemon=True)
        server.start()
        try:
            start = time.perf_counter()
            raw = socket.create_connection(listener.getsockname(), timeout=10)
            with client_ctx.wrap_socket(raw, server_hostname="localhost") as tls:
                handshake_done = time.perf_counter()
                tls.sendall(payload)
                echoed = bytearray()
                while len(echoed) < len(payload):
                    chunk = tls.recv(65536)
                    if not chunk:
                        break
                    echoed += chunk
                finished = time.perf_counter()
                version, cipher = tls.version(), tls.cipher()
        except Exception as exc:
            server.join(10)
            print("self-check FAILED: {}: {}".format(type(exc).__name__, exc), file=out)
            for exc in server_error:
                print("  server side: {}: {}".format(type(exc).__name__, exc), file=out)
            return False
        server.join(10)

    ok = bytes(echoed) == payload and version == "TLSv1.3" and not server_error
    print("self-check {} (certificate made with {}):".format("passed" if ok else "FAILED", how),
          file=out)
    print("  protocol:   {}".format(version), file=out)
    print("  cipher:     {} ({} bits)".format(cipher[0], cipher[2]) if cipher else
          "  cipher:     none", file=out)
    print("  handshake:  {:.1f} ms".format((handshake_done - start) * 1000), file=out)
    print("  round trip: {:.1f} ms for {} KiB each way".format(
        (finished - handshake_done) * 1000, len(payload) // 1024), file=out)
    if bytes(echoed) != payload:
        print("  the data came back different ({} of {} bytes)".format(
            len(echoed), len(payload)), file=out)
    for exc in server_error:
        print("  server side: {}: {}".format(type(exc).__name__, exc), file=out)
    return ok


# ---- run -------------------------------------------------------------------

def run(argv):
    """Run a script or module (like python does) with sslmod injected."""
    import runpy
    if not argv or argv[0] == "-m" and len(argv) < 2:
        print("usage:\n" + USAGE, file=sys.stderr)
        return 2
    sslmod.inject()
    if argv[0] == "-m":
        sys.argv = argv[1:]
        runpy.run_module(argv[1], run_name="__main__", alter_sys=True)
    else:
        sys.argv = list(argv)
        # As for "python SCRIPT": imports resolve next to the script.
        sys.path[0] = os.path.dirname(os.path.abspath(argv[0]))
        runpy.run_path(argv[0], run_name="__main__")
    return 0


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    command = argv[0] if argv else "check"
    if command == "run":
        return run(argv[1:])
    if command in ("-h", "--help", "help"):
        print("usage:\n" + USAGE)
        return 0
    if command not in ("check", "info") or len(argv) > 1:
        print("usage:\n" + USAGE, file=sys.stderr)
        return 2
    print_info()
    if command == "info":
        return 0
    print()
    try:
        return 0 if self_check() else 1
    except Exception as exc:
        print("self-check FAILED: {}: {}".format(type(exc).__name__, exc))
        return 1


if __name__ == "__main__":
    sys.exit(main())
