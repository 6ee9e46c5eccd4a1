"""A server-side SSLObject fed fuzzed client records over MemoryBIO, with
SNI, ALPN, message and PSK callbacks installed (handshake.py, common.py)."""
import atheris

with atheris.instrument_imports(include=["sslmod"]):
    import handshake
    from common import fuzz_main


def test_one_input(data):
    handshake.run(data, server_side=True)


if __name__ == "__main__":
    fuzz_main(test_one_input)
