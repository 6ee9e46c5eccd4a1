"""Fuzz ALPN: the protocol list given to the C layer as raw wire bytes
(_set_alpn_protocols) and through set_alpn_protocols(), each compared with
the interpreter's ssl, and handshakes in which the server's list is the
fuzzed wire bytes, so that OpenSSL's selection callback walks whatever was
accepted (CVE-2024-5642 was an over-read there)."""
import atheris
import ssl as std_ssl

with atheris.instrument_imports(include=["sslmod"]):
    from common import (ALPN, cert, compare, core, fuzz_main, inspect, outcome,
                        pair, pump, ssl, std_core)

_server = _client = None


def contexts():
    global _server, _client
    if _server is None:
        _server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        _server.load_cert_chain(cert("server-ecdsa-chain.pem"), cert("server-ecdsa.key"))
        _client = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        _client.check_hostname = False
        _client.verify_mode = ssl.CERT_NONE
    return _server, _client


def test_one_input(data):
    if not data:
        return
    mode, payload = data[0] % 3, data[1:]
    if mode == 0:
        ours = outcome(core._SSLContext(core.PROTOCOL_TLS_SERVER)._set_alpn_protocols, payload)
        theirs = None
        if std_core is not None:
            theirs = outcome(
                std_core._SSLContext(std_core.PROTOCOL_TLS_SERVER)._set_alpn_protocols, payload)
        compare(ours, theirs)
    elif mode == 1:
        protos = payload.decode("latin-1").split("\x00")
        ours = outcome(ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).set_alpn_protocols, protos)
        theirs = outcome(std_ssl.SSLContext(std_ssl.PROTOCOL_TLS_CLIENT).set_alpn_protocols,
                         protos)
        compare(ours, theirs)
    else:
        server, client = contexts()
        # A list OpenSSL refuses raises MemoryError, as in the stdlib, but
        # stays stored for the selection callback: go on with it.
        try:
            server._set_alpn_protocols(payload)
        except MemoryError:
            pass
        client.set_alpn_protocols(ALPN + [payload[:8].hex() or "x"])
        objs = pair(client, server)
        pump(*objs)
        for obj in objs[:2]:
            inspect(obj)


if __name__ == "__main__":
    fuzz_main(test_one_input)
