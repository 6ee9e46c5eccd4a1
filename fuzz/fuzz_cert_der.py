"""Fuzz the certificate decoder with DER: the input is wrapped in PEM
armour (so any byte string reaches d2i_X509 and, when it parses, the dict
conversion), decoded by sslmod and by the interpreter's _ssl, which must
agree.  The same bytes also go through the PEM/DER helpers."""
import atheris

with atheris.instrument_imports(include=["sslmod"]):
    from common import fuzz_main, scratch_path, ssl
    from fuzz_cert_pem import decode_both

PATH = scratch_path(".pem")


def test_one_input(data):
    pem = ssl.DER_cert_to_PEM_cert(data)
    if ssl.PEM_cert_to_DER_cert(pem) != data:
        raise AssertionError("DER -> PEM -> DER changed the bytes")
    with open(PATH, "w") as f:
        f.write(pem)
    decode_both(PATH)


if __name__ == "__main__":
    fuzz_main(test_one_input)
