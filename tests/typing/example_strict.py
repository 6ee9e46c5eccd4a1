"""A typed program using sslmod; ``mypy --strict`` must accept it as it is
(tools/check_types.sh), and the ``reveal_type``-free asserts below check
that the stubs give precise types, not Any."""
from __future__ import annotations

import socket
import sys
from typing import Optional

import sslmod
import sslmod as ssl
from sslmod import _sslmod


def client_context(cafile: Optional[str] = None) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=cafile)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.set_alpn_protocols(["h2", "http/1.1"])
    ctx.verify_flags |= ssl.VERIFY_X509_STRICT
    level: int = ctx.security_level              # sslmod: every interpreter
    assert level >= 0
    mode: ssl.VerifyMode = ctx.verify_mode
    assert mode is ssl.CERT_REQUIRED
    return ctx


def psk_server_context() -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)

    def lookup(identity: Optional[str]) -> bytes:
        return b"\x00" * 32 if identity == "client" else b""

    ctx.set_psk_server_callback(lookup, identity_hint="sslmod")  # sslmod: every interpreter
    return ctx


def describe(tls: ssl.SSLSocket) -> str:
    version: Optional[str] = tls.version()
    cipher = tls.cipher()
    name = cipher[0] if cipher is not None else "none"
    der: Optional[bytes] = tls.getpeercert(binary_form=True)
    chain: list[bytes] = tls.get_verified_chain()  # sslmod: every interpreter
    cert = tls.getpeercert()
    subject = cert["subject"] if cert is not None and "subject" in cert else ()
    return "%s %s %d bytes, chain of %d, subject %r" % (
        version, name, len(der or b""), len(chain), subject)


def fetch(host: str, port: int, cafile: Optional[str] = None) -> str:
    ctx = client_context(cafile)
    with socket.create_connection((host, port), timeout=10) as raw:
        with ctx.wrap_socket(raw, server_hostname=host) as tls:
            return describe(tls)


def memory_pair() -> tuple[ssl.SSLObject, ssl.MemoryBIO, ssl.MemoryBIO]:
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = client_context().wrap_bio(incoming, outgoing, server_hostname="example.org")
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    hello: bytes = outgoing.read()
    assert hello[:1] == b"\x16"
    return obj, incoming, outgoing


def errors() -> list[str]:
    seen: list[str] = []
    try:
        ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).load_verify_locations(cadata="not PEM")
    except ssl.SSLError as exc:
        seen.append("%s %s" % (exc.library, exc.reason))
    failure: ssl.SSLError = ssl.SSLCertVerificationError(1, "x")
    assert isinstance(failure, ValueError)
    return seen


def core() -> str:
    info: tuple[int, int, int, int, int] = _sslmod.OPENSSL_VERSION_INFO
    nid, short, long_name, oid = _sslmod.txt2obj("1.2.840.113549.1.1.11")
    assert nid > 0 and oid.startswith("1.2.840") and info[0] >= 3
    return "%s %s %s" % (sslmod.__version__, short, long_name)


def main() -> int:
    sslmod.inject()
    try:
        import ssl as injected
        assert injected.__name__.startswith("sslmod")
    finally:
        sslmod.extract()
    print(core(), errors(), memory_pair()[0].version())
    if len(sys.argv) == 3:
        print(fetch(sys.argv[1], int(sys.argv[2])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
