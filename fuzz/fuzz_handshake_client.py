"""A client SSLObject fed fuzzed server records over MemoryBIO, with SNI
(server_hostname), ALPN, message and PSK callbacks installed, verifying or
not; the server's certificates are decoded whatever the outcome."""
import atheris

with atheris.instrument_imports(include=["sslmod"]):
    import handshake
    from common import fuzz_main


def test_one_input(data):
    handshake.run(data, server_side=False)


if __name__ == "__main__":
    fuzz_main(test_one_input)
