"""``python -m sslmod client HOST[:PORT]``: connect, verify, and report the
chain, the verdict with OpenSSL's reason, the negotiated parameters, the
session and the timings.

Exit status: 0 verified, 1 the handshake works but verification fails (the
chain is then fetched again without verification, so it can still be
shown), 2 connection or usage error.
"""
import json
import select
import socket
import sys
import time

from sslmod import _cli_certs as certs
from sslmod import ssl

EXIT_OK, EXIT_UNVERIFIED, EXIT_ERROR = 0, 1, 2


class UsageError(Exception):
    """A bad command line; exits with 2."""


def add_arguments(parser):
    parser.add_argument("target", metavar="HOST[:PORT]",
                        help="server to connect to; the port defaults to 443 "
                             "([::1]:443 for IPv6 addresses)")
    parser.add_argument("--servername", metavar="NAME",
                        help="name sent as SNI and checked against the certificate "
                             "(default: HOST)")
    parser.add_argument("--cafile", metavar="FILE", help="trust the CA certificates in FILE")
    parser.add_argument("--capath", metavar="DIR", help="trust the hashed CA directory DIR")
    parser.add_argument("--no-verify", action="store_true",
                        help="do not verify the certificate or the name (exit 0 anyway)")
    parser.add_argument("--alpn", metavar="LIST", help="offer ALPN protocols, e.g. h2,http/1.1")
    versions = parser.add_mutually_exclusive_group()
    versions.add_argument("--tls1.2", dest="tls12", action="store_true",
                          help="TLS 1.2 only")
    versions.add_argument("--tls1.3", dest="tls13", action="store_true",
                          help="TLS 1.3 only")
    parser.add_argument("--cert", metavar="FILE", help="client certificate (PEM)")
    parser.add_argument("--key", metavar="FILE",
                        help="private key for --cert (default: in the --cert file)")
    parser.add_argument("--ciphers", metavar="LIST",
                        help="OpenSSL cipher list for TLS 1.2 and older (set_ciphers)")
    parser.add_argument("--groups", metavar="LIST",
                        help="key-exchange groups, e.g. X25519:P-256 (needs "
                             "SSLContext.set_groups)")
    parser.add_argument("--ocsp", action="store_true",
                        help="ask for a stapled OCSP response (needs SSLContext.ocsp_stapling)")
    parser.add_argument("--reconnect", action="store_true",
                        help="connect a second time, resuming the session")
    parser.add_argument("--timeout", type=float, default=10.0, metavar="SECONDS",
                        help="connect and handshake timeout (default 10)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def parse_target(text):
    """(host, port) from HOST, HOST:PORT, [V6] or [V6]:PORT."""
    host, port = text, "443"
    if text.startswith("["):
        end = text.find("]")
        if end < 0:
            raise UsageError("unclosed '[' in %r" % text)
        host, rest = text[1:end], text[end + 1:]
        if rest:
            if not rest.startswith(":"):
                raise UsageError("expected ':PORT' after ']' in %r" % text)
            port = rest[1:]
    elif text.count(":") == 1:
        host, port = text.split(":")
    if not host:
        raise UsageError("no host in %r" % text)
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise UsageError("bad port %r" % port)
    return host, int(port)


# ---- hook points for features that are not in every build ----------------------

def hook_groups(context, groups):
    """--groups: SSLContext.set_groups (Python 3.15's name)."""
    setter = getattr(context, "set_groups", None)
    if setter is None:
        raise UsageError("--groups needs SSLContext.set_groups, which this sslmod lacks")
    setter(groups)


def hook_ocsp_request(context):
    """--ocsp: ask for a stapled response (SSLContext.ocsp_stapling)."""
    mode = getattr(ssl, "OCSP_OPTIONAL", None)
    if mode is None or not hasattr(context, "ocsp_stapling"):
        raise UsageError("--ocsp needs SSLContext.ocsp_stapling, which this sslmod lacks")
    context.ocsp_stapling = mode


def hook_ocsp_status(tls, asked):
    """What the report says about OCSP stapling.  With OCSP_OPTIONAL a
    staple that fails verification fails the handshake, so one that is
    here on a verifying context has been verified."""
    if not asked:
        return "not requested"
    response = tls.ocsp_response()
    if response is None:
        return "no response stapled"
    checked = tls.context.verify_mode != ssl.CERT_NONE
    return "stapled response, %d bytes, %s" % (
        len(response), "verified" if checked else "not verified (--no-verify or retry)")


def hook_group(tls):
    """The negotiated key-exchange group, where SSLSocket.group exists."""
    getter = getattr(tls, "group", None)
    return getter() if callable(getter) else None


# ---- connecting ---------------------------------------------------------------

def make_context(args, verify):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if verify:
        if args.cafile or args.capath:
            ctx.load_verify_locations(cafile=args.cafile, capath=args.capath)
        else:
            ctx.load_default_certs()
    else:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    if args.tls12:
        ctx.minimum_version = ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    elif args.tls13:
        ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    if args.alpn:
        ctx.set_alpn_protocols([p for p in args.alpn.split(",") if p])
    if args.cert:
        ctx.load_cert_chain(args.cert, args.key)
    elif args.key:
        raise UsageError("--key needs --cert")
    if args.ciphers:
        ctx.set_ciphers(args.ciphers)
    if args.groups:
        hook_groups(ctx, args.groups)
    if args.ocsp:
        hook_ocsp_request(ctx)
    return ctx


def _wait_for_ticket(tls, budget=0.5):
    """TLS 1.3 tickets come after the handshake: read briefly so OpenSSL
    processes them.  Stops as soon as the session holds one."""
    deadline = time.monotonic() + budget
    tls.setblocking(False)
    try:
        while not (tls.session is not None and tls.session.has_ticket):
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([tls], [], [], left)[0]:
                break
            try:
                if not tls.recv(4096):
                    break
            except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
                continue
            except (ssl.SSLError, OSError):
                break
    finally:
        tls.setblocking(True)


def _connect_first(addresses, timeout):
    """A connected socket to the first of ADDRESSES that accepts (as
    socket.create_connection does, after the name lookup)."""
    error = None
    for family, kind, proto, _, address in addresses:
        sock = socket.socket(family, kind, proto)
        try:
            sock.settimeout(timeout)
            sock.connect(address)
            return sock
        except OSError as exc:
            sock.close()
            error = exc
    raise error if error is not None else OSError("no address to connect to")


def connect(args, host, port, ctx, session=None):
    """One connection: (facts, chain DER list).  Raises on failure."""
    name = args.servername or host
    looked_up = time.perf_counter()
    addresses = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    start = time.perf_counter()
    raw = _connect_first(addresses, args.timeout)
    try:
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        connected = time.perf_counter()
        tls = ctx.wrap_socket(raw, server_hostname=name, do_handshake_on_connect=False,
                              session=session)
    except BaseException:
        raw.close()
        raise
    with tls:
        tls.do_handshake()
        done = time.perf_counter()
        if tls.version() == "TLSv1.3":
            _wait_for_ticket(tls)
        cipher = tls.cipher()
        sess = tls.session
        facts = {
            "peer": "%s:%d" % tls.getpeername()[:2],
            "protocol": tls.version(),
            "cipher": {"name": cipher[0], "protocol": cipher[1], "bits": cipher[2]}
            if cipher else None,
            "group": hook_group(tls),
            "alpn": tls.selected_alpn_protocol(),
            "ocsp": hook_ocsp_status(tls, args.ocsp),
            "session": {
                "ticket": bool(sess is not None and sess.has_ticket),
                "ticket_lifetime_hint": sess.ticket_lifetime_hint if sess is not None else None,
                "reused": tls.session_reused,
            },
            "timings_ms": {"lookup": round((start - looked_up) * 1000, 3),
                           "tcp_connect": round((connected - start) * 1000, 3),
                           "handshake": round((done - connected) * 1000, 3)},
        }
        chain = tls.get_unverified_chain() or []
        verified = tls.get_verified_chain() if ctx.verify_mode != ssl.CERT_NONE else None
        return facts, sess, list(chain), verified


def run_client(args):
    """Do the work; returns (exit status, report dict)."""
    host, port = parse_target(args.target)
    report = {"host": host, "port": port, "servername": args.servername or host,
              "verify": {"requested": not args.no_verify, "ok": None,
                         "code": None, "message": None}}
    verify = not args.no_verify
    try:
        ctx = make_context(args, verify)
    except (OSError, ssl.SSLError) as exc:
        raise UsageError("cannot set up the context: %s" % exc) from None
    status = EXIT_OK
    try:
        facts, sess, chain, verified = connect(args, host, port, ctx)
    except ssl.SSLCertVerificationError as exc:
        report["verify"].update(ok=False, code=exc.verify_code, message=exc.verify_message)
        status = EXIT_UNVERIFIED
        ctx = make_context(args, verify=False)
        facts, sess, chain, verified = connect(args, host, port, ctx)
    else:
        if verify:
            report["verify"].update(ok=True, code=0, message="ok")
    report.update(facts)
    report["trust_anchor"] = None
    if verified:
        report["trust_anchor"] = certs.describe(verified[-1])["subject"]
    report["chain"] = [certs.describe(der) for der in chain]
    for item in report["chain"]:
        del item["decoded"]
    if args.reconnect:
        again, _, _, _ = connect(args, host, port, ctx, session=sess)
        report["reconnect"] = {"reused": again["session"]["reused"],
                               "timings_ms": again["timings_ms"],
                               "protocol": again["protocol"]}
    return status, report


# ---- printing ------------------------------------------------------------------

def painter(stream):
    import os
    if not stream.isatty() or os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return lambda text, colour: text
    codes = {"red": "31", "green": "32", "yellow": "33", "bold": "1"}
    return lambda text, colour: "\x1b[%sm%s\x1b[0m" % (codes[colour], text)


def print_report(report, out, paint):
    w = lambda line="": print(line, file=out)  # noqa: E731
    w("connected to %s (%s:%d, SNI %s)" % (report["peer"], report["host"], report["port"],
                                          report["servername"]))
    t = report["timings_ms"]
    w("  timings    name lookup %.1f ms, TCP connect %.1f ms, TLS handshake %.1f ms"
      % (t["lookup"], t["tcp_connect"], t["handshake"]))
    w("  protocol   " + str(report["protocol"]))
    c = report["cipher"]
    w("  cipher     %s (%s bits)" % (c["name"], c["bits"]) if c else "  cipher     none")
    w("  group      " + (report["group"] or "not reported by this sslmod"))
    w("  ALPN       " + (report["alpn"] or "none"))
    w("  OCSP       " + report["ocsp"])
    s = report["session"]
    ticket = "ticket received" if s["ticket"] else "no ticket"
    if s["ticket"] and s["ticket_lifetime_hint"]:
        ticket += " (lifetime hint %d s)" % s["ticket_lifetime_hint"]
    w("  session    " + ticket)
    if "reconnect" in report:
        r = report["reconnect"]
        w("  reconnect  %s, TLS handshake %.1f ms" % (
            paint("session resumed", "green") if r["reused"] else paint("not resumed", "yellow"),
            r["timings_ms"]["handshake"]))
    w()
    w("certificate chain (%d sent by the server):" % len(report["chain"]))
    for index, info in enumerate(report["chain"]):
        for line in certs.format_cert(info, index, paint=paint):
            w(line)
    w()
    v = report["verify"]
    if not v["requested"]:
        w("verification: " + paint("skipped (--no-verify)", "yellow"))
    elif v["ok"]:
        anchor = report["trust_anchor"]
        w("verification: " + paint("OK", "green") +
          (" (trust anchor: %s)" % anchor if anchor else ""))
    else:
        w("verification: " + paint("FAILED", "red") +
          ": %s (X509 error %s)" % (v["message"], v["code"]))


def main(args):
    out = sys.stdout
    try:
        status, report = run_client(args)
    except UsageError as exc:
        print("sslmod client: %s" % exc, file=sys.stderr)
        return EXIT_ERROR
    except ssl.SSLError as exc:
        return _fail(args, "TLS error: %s" % exc, out)
    except (OSError, ValueError) as exc:
        return _fail(args, "connection failed: %s" % exc, out)
    report["exit"] = status
    if args.json:
        json.dump(report, out, indent=2, sort_keys=True)
        out.write("\n")
    else:
        print_report(report, out, painter(out))
    return status


def _fail(args, message, out):
    if args.json:
        json.dump({"target": args.target, "error": message, "exit": EXIT_ERROR}, out,
                  indent=2, sort_keys=True)
        out.write("\n")
    print("sslmod client: %s" % message, file=sys.stderr)
    return EXIT_ERROR
