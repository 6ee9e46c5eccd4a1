"""Fuzz the certificate decoder through a PEM file: _test_decode_cert reads
the file with PEM_read_bio_X509 and turns the certificate into the
getpeercert() dict.  The interpreter's _ssl decodes the same file and the
two answers must be equal (same OpenSSL, same dict)."""
import atheris

with atheris.instrument_imports(include=["sslmod"]):
    from common import compare, core, fuzz_main, outcome, scratch_path, std_core

PATH = scratch_path(".pem")


def decode_both(path):
    ours = outcome(core._test_decode_cert, path)
    theirs = outcome(std_core._test_decode_cert, path) if std_core else None
    compare(ours, theirs)
    return ours


def test_one_input(data):
    with open(PATH, "wb") as f:
        f.write(data)
    decode_both(PATH)


if __name__ == "__main__":
    fuzz_main(test_one_input)
