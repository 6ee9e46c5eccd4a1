"""Fuzz the PEM/DER helpers: PEM_cert_to_DER_cert on any text and
DER_cert_to_PEM_cert on any bytes, compared with the interpreter's ssl
(same value or same exception), and the DER -> PEM -> DER round trip."""
import atheris
import ssl as std_ssl

with atheris.instrument_imports(include=["sslmod"]):
    from common import compare, fuzz_main, outcome, ssl


def test_one_input(data):
    if not data:
        return
    mode, payload = data[0] & 1, data[1:]
    if mode:
        text = payload.decode("utf-8", "surrogateescape")
        ours = outcome(ssl.PEM_cert_to_DER_cert, text)
        theirs = outcome(std_ssl.PEM_cert_to_DER_cert, text)
    else:
        ours = outcome(ssl.DER_cert_to_PEM_cert, payload)
        theirs = outcome(std_ssl.DER_cert_to_PEM_cert, payload)
        if ours[0] == "ok" and ssl.PEM_cert_to_DER_cert(ours[1]) != payload:
            raise AssertionError("DER -> PEM -> DER changed the bytes")
    compare(ours, theirs)


if __name__ == "__main__":
    fuzz_main(test_one_input)
