"""``python -m sslmod``: the command line.

    python -m sslmod                      versions, features, loopback self-check
    python -m sslmod info                 versions and features only
    python -m sslmod selftest             the loopback self-check only
    python -m sslmod client HOST[:PORT]   connect, verify and describe a server
    python -m sslmod server               a quick TLS test server
    python -m sslmod cert FILE|-          decode PEM or DER certificates
    python -m sslmod run SCRIPT [ARGS]    run a script with sslmod injected
    python -m sslmod run -m MODULE [ARGS] run a module the same way

Each subcommand takes ``--help``.  Exit status: 0 success, 1 a check failed
(verification, self-check), 2 a usage or connection error.
"""
import argparse
import json
import os
import socket
import sys
import threading
import time

import sslmod
from sslmod import _sslmod

USAGE = __doc__.split("\n\n")[1]


# ---- info ------------------------------------------------------------------------

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
    print("beyond the stdlib:", file=out)
    for name, value in extensions():
        print("  {:<50}{}".format(name, value), file=out)


def _sigalgs_status():
    try:
        sslmod.get_sigalgs()
    except NotImplementedError as exc:
        return "no ({})".format(exc)
    return "yes"


def extensions():
    """(feature, availability) of what sslmod offers beyond the running
    interpreter's ssl, each probed on the module itself."""
    ctx, obj = sslmod.SSLContext, sslmod.SSLObject
    return [
        ("shared trust store (parsed once per process)", "yes"),
        ("load_cert_chain(certdata=, keydata=)",
         _yes("certdata" in (_sslmod._SSLContext.load_cert_chain.__doc__ or ""))),
        ("export_keying_material()", _yes(hasattr(obj, "export_keying_material"))),
        ("get_channel_binding('tls-exporter')",
         _yes("tls-exporter" in sslmod.CHANNEL_BINDING_TYPES)),
        ("OCSP stapling (set_ocsp_response, ocsp_stapling)",
         _yes(hasattr(ctx, "set_ocsp_response") and hasattr(ctx, "ocsp_stapling"))),
        ("set_groups/get_groups/group()",
         _yes(hasattr(ctx, "set_groups") and hasattr(obj, "group"))),
        ("set_ciphersuites()", _yes(hasattr(ctx, "set_ciphersuites"))),
        ("set_client_sigalgs/set_server_sigalgs",
         _yes(hasattr(ctx, "set_client_sigalgs") and hasattr(ctx, "set_server_sigalgs"))),
        ("client_sigalg()/server_sigalg()",
         _yes(hasattr(obj, "client_sigalg") and hasattr(obj, "server_sigalg"))),
        ("get_sigalgs()", _sigalgs_status()),
        ("SSLContext.release_buffers",
         _yes(hasattr(ctx, "release_buffers"))),
    ]


# ---- selftest ----------------------------------------------------------------

def _read_exactly(tls, size):
    data = bytearray()
    while len(data) < size:
        chunk = tls.recv(65536)
        if not chunk:
            break
        data += chunk
    return bytes(data)


def self_check(out=sys.stdout):
    """TLS 1.3 handshake and a 64 KiB echo over loopback; True if it worked.

    Both ends set TCP_NODELAY: without it the round trip measures the
    kernel's delayed ACK (tens of ms), not TLS."""
    from sslmod import _cli_certs as certs
    try:
        cert_pem, key_pem, how = certs.make_self_signed("localhost")
    except certs.NoCertificateMaker as exc:
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

    payload = os.urandom(64 * 1024)
    server_error = []
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.settimeout(10)

    def serve():
        try:
            conn, _ = listener.accept()
            conn.settimeout(10)
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with server_ctx.wrap_socket(conn, server_side=True) as tls:
                tls.sendall(_read_exactly(tls, len(payload)))
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
            raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with client_ctx.wrap_socket(raw, server_hostname="localhost") as tls:
                handshake_done = time.perf_counter()
                tls.sendall(payload)
                echoed = _read_exactly(tls, len(payload))
                finished = time.perf_counter()
                version, cipher = tls.version(), tls.cipher()
        except Exception as exc:
            server.join(10)
            print("self-check FAILED: {}: {}".format(type(exc).__name__, exc), file=out)
            for err in server_error:
                print("  server side: {}: {}".format(type(err).__name__, err), file=out)
            return False
        server.join(10)

    ok = echoed == payload and version == "TLSv1.3" and not server_error
    print("self-check {} (certificate made with {}):".format("passed" if ok else "FAILED", how),
          file=out)
    print("  protocol:   {}".format(version), file=out)
    print("  cipher:     {} ({} bits)".format(cipher[0], cipher[2]) if cipher else
          "  cipher:     none", file=out)
    print("  handshake:  {:.1f} ms".format((handshake_done - start) * 1000), file=out)
    print("  round trip: {:.1f} ms for {} KiB each way".format(
        (finished - handshake_done) * 1000, len(payload) // 1024), file=out)
    if echoed != payload:
        print("  the data came back different ({} of {} bytes)".format(
            len(echoed), len(payload)), file=out)
    for err in server_error:
        print("  server side: {}: {}".format(type(err).__name__, err), file=out)
    return ok


def guarded_self_check(out=sys.stdout):
    try:
        return 0 if self_check(out) else 1
    except Exception as exc:
        print("self-check FAILED: {}: {}".format(type(exc).__name__, exc), file=out)
        return 1


# ---- cert --------------------------------------------------------------------------

def cert_command(args):
    from sslmod import _cli_certs as certs
    from sslmod import _cli_client
    try:
        if args.file == "-":
            data = sys.stdin.buffer.read()
        else:
            with open(args.file, "rb") as f:
                data = f.read()
        ders = certs.load_certificates(data)
        infos = [certs.describe(der) for der in ders]
    except (OSError, ValueError, IndexError) as exc:
        print("sslmod cert: %s: %s" % (args.file, exc), file=sys.stderr)
        return 2
    except sslmod.SSLError as exc:
        print("sslmod cert: %s: not a certificate OpenSSL can decode: %s" % (args.file, exc),
              file=sys.stderr)
        return 2
    if not infos:
        print("sslmod cert: %s: no certificate found" % args.file, file=sys.stderr)
        return 2
    if args.json:
        json.dump(infos, sys.stdout, indent=2, sort_keys=True)
        sys.stdout.write("\n")
        return 0
    paint = _cli_client.painter(sys.stdout)
    for index, info in enumerate(infos):
        if index:
            print()
        print("certificate %d of %d" % (index + 1, len(infos)))
        for line in certs.format_cert(info, paint=paint):
            print(line)
        print("  SHA-1      " + info["sha1"])
        print("  as getpeercert() shows it:")
        for line in _pretty(info["decoded"]):
            print("    " + line)
    return 0


def _pretty(decoded):
    import pprint
    return pprint.pformat(decoded, width=88).splitlines()


# ---- run ---------------------------------------------------------------------------

def run(argv):
    """Run a script or module (like python does) with sslmod injected."""
    import runpy
    if not argv or argv[0] in ("-h", "--help"):
        print("usage: python -m sslmod run SCRIPT [ARGS] | run -m MODULE [ARGS]\n\n"
              "Run a program with sslmod injected: its 'import ssl' gives sslmod.",
              file=sys.stdout if argv else sys.stderr)
        return 0 if argv else 2
    if argv[0] == "-m" and len(argv) < 2:
        print("usage: python -m sslmod run -m MODULE [ARGS]", file=sys.stderr)
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


# ---- the parser ----------------------------------------------------------------

def build_parser():
    from sslmod import _cli_client, _cli_server
    parser = argparse.ArgumentParser(
        prog="python -m sslmod",
        description="sslmod's diagnostic tool.\n\n" + USAGE,
        epilog="run SCRIPT|-m MODULE [ARGS] runs a program with sslmod injected.",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version",
                        version="sslmod %s (%s)" % (sslmod.__version__, _sslmod.OPENSSL_VERSION))
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.add_parser("info", help="versions and features",
                   description="Print sslmod's version, the OpenSSL it was built with and "
                               "runs with, and every HAS_* flag.")
    sub.add_parser("check", help="info, then selftest (the default)",
                   description="info, then selftest.")
    sub.add_parser("selftest", help="loopback TLS 1.3 handshake and 64 KiB echo",
                   description="Handshake and a 64 KiB echo over loopback with TCP_NODELAY, "
                               "using a throwaway certificate (from the openssl command, "
                               "else the cryptography package).")
    client = sub.add_parser("client", help="connect to a TLS server and describe it",
                            description=_cli_client.__doc__.split("\n\n")[0].strip(),
                            epilog="exit status: 0 verified, 1 verification failed, "
                                   "2 connection or usage error")
    _cli_client.add_arguments(client)
    server = sub.add_parser("server", help="a quick TLS test server",
                            description=_cli_server.__doc__.split("\n\n")[0].strip())
    _cli_server.add_arguments(server)
    cert = sub.add_parser("cert", help="decode PEM or DER certificates",
                          description="Decode a PEM or DER file (one certificate or a "
                                      "bundle; '-' reads stdin) as getpeercert() shows it, "
                                      "plus fingerprints, key and signature algorithm.")
    cert.add_argument("file", metavar="FILE|-")
    cert.add_argument("--json", action="store_true", help="print a JSON list")
    sub.add_parser("run", help="run SCRIPT or -m MODULE with sslmod injected",
                   add_help=False)
    return parser


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv and argv[0] == "run":
        return run(argv[1:])
    if argv and argv[0] == "help":
        argv = ["--help"]
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 2
    command = args.command or "check"
    if command == "info":
        print_info()
        return 0
    if command == "check":
        print_info()
        print()
        return guarded_self_check()
    if command == "selftest":
        return guarded_self_check()
    if command == "client":
        from sslmod import _cli_client
        return _cli_client.main(args)
    if command == "server":
        from sslmod import _cli_server
        return _cli_server.main(args)
    if command == "cert":
        return cert_command(args)
    parser.print_usage(sys.stderr)
    return 2


def main_exit():
    """Entry point of the ``sslmod`` console script."""
    sys.exit(main())
