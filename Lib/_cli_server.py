"""``python -m sslmod server``: a quick TLS test server.

It listens on loopback by default, prints one ``listening on HOST:PORT``
line (with ``--port 0`` the kernel picks the port), then serves each
connection in a thread: ``--echo`` sends back what it receives, ``--http``
answers every request with a small plain-text page describing the
connection.  ``--self-signed`` makes a one-day certificate for the session
(see ``_cli_certs.make_self_signed``) and prints its SHA-256 fingerprint.
"""
import socket
import sys
import threading

from sslmod import _cli_certs as certs
from sslmod import ssl
from sslmod._legacy import _InMemoryFile


def add_arguments(parser):
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=4433,
                        help="port to listen on (default 4433; 0 picks a free one)")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--cert", metavar="FILE", help="certificate chain (PEM)")
    source.add_argument("--self-signed", action="store_true",
                        help="make a throwaway certificate for localhost in memory")
    parser.add_argument("--key", metavar="FILE", help="private key (default: in --cert)")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--echo", action="store_true", help="echo what the client sends (default)")
    mode.add_argument("--http", action="store_true", help="answer HTTP requests")
    parser.add_argument("--alpn", metavar="LIST", help="ALPN protocols to accept, e.g. h2,http/1.1")
    parser.add_argument("--verify-client", metavar="CAFILE",
                        help="require a client certificate issued by CAFILE")
    parser.add_argument("--count", type=int, default=0, metavar="N",
                        help="exit after N connections (default: serve until interrupted)")


def make_context(args, out):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    if args.self_signed:
        cert_pem, key_pem, how = certs.make_self_signed("localhost")
        with _InMemoryFile(cert_pem) as cpath, _InMemoryFile(key_pem) as kpath:
            ctx.load_cert_chain(cpath, kpath)
        der = certs.load_certificates(cert_pem.encode("ascii"))[0]
        print("self-signed certificate for localhost (made with %s)" % how, file=out)
        print("  SHA-256 " + certs.fingerprint(der, "sha256"), file=out)
    elif args.cert:
        ctx.load_cert_chain(args.cert, args.key)
    else:
        raise ValueError("give --cert FILE [--key FILE] or --self-signed")
    if args.alpn:
        ctx.set_alpn_protocols([p for p in args.alpn.split(",") if p])
    if args.verify_client:
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.load_verify_locations(args.verify_client)
    return ctx


def _http_page(tls):
    cipher = tls.cipher()
    lines = ["sslmod test server",
             "protocol: %s" % tls.version(),
             "cipher: %s" % (cipher[0] if cipher else None),
             "alpn: %s" % tls.selected_alpn_protocol()]
    peer = tls.getpeercert()
    if peer:
        lines.append("client: %s" % certs.format_name(peer.get("subject")))
    return ("\n".join(lines) + "\n").encode("utf-8")


def _serve_http(tls):
    buffered = b""
    while True:
        while b"\r\n\r\n" not in buffered:
            data = tls.recv(4096)
            if not data:
                return
            buffered += data
        head, _, buffered = buffered.partition(b"\r\n\r\n")
        body = _http_page(tls)
        keep = b"connection: close" not in head.lower()
        tls.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\n"
                    b"Content-Length: %d\r\nConnection: %s\r\n\r\n%s"
                    % (len(body), b"keep-alive" if keep else b"close", body))
        if not keep:
            return


def _serve_echo(tls):
    while True:
        data = tls.recv(65536)
        if not data:
            return
        tls.sendall(data)


def _handle(ctx, conn, addr, http, out, lock):
    try:
        conn.settimeout(300)
        with ctx.wrap_socket(conn, server_side=True) as tls:
            with lock:
                print("%s:%d %s %s" % (addr[0], addr[1], tls.version(), tls.cipher()[0]),
                      file=out, flush=True)
            (_serve_http if http else _serve_echo)(tls)
    except (ssl.SSLError, OSError) as exc:
        with lock:
            print("%s:%d error: %s" % (addr[0], addr[1], exc), file=out, flush=True)
    finally:
        conn.close()


def main(args):
    out = sys.stdout
    try:
        ctx = make_context(args, out)
    except (ValueError, OSError, ssl.SSLError, certs.NoCertificateMaker) as exc:
        print("sslmod server: %s" % exc, file=sys.stderr)
        return 2
    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    lock = threading.Lock()
    with socket.socket(family, socket.SOCK_STREAM) as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            listener.bind((args.host, args.port))
        except OSError as exc:
            print("sslmod server: cannot listen on %s:%d: %s" % (args.host, args.port, exc),
                  file=sys.stderr)
            return 2
        listener.listen(16)
        host, port = listener.getsockname()[:2]
        print("listening on %s:%d (%s)" % (host, port, "http" if args.http else "echo"),
              file=out, flush=True)
        threads = []
        served = 0
        try:
            while not args.count or served < args.count:
                conn, addr = listener.accept()
                conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                thread = threading.Thread(target=_handle, daemon=True,
                                          args=(ctx, conn, addr, args.http, out, lock))
                thread.start()
                threads.append(thread)
                served += 1
        except KeyboardInterrupt:
            print("interrupted", file=out)
        for thread in threads:
            thread.join(30)
    return 0
