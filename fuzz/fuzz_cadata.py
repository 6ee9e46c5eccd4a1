"""Fuzz load_verify_locations(cadata=...): the first byte picks str
(PEM text; latin-1, or UTF-8 so that non-ASCII and surrogates reach the
conversion) or bytes (DER, one certificate after another).  The store is
then read back with get_ca_certs() and cert_store_stats().  The
interpreter's _ssl gets the same input and must give the same answers."""
import atheris

with atheris.instrument_imports(include=["sslmod"]):
    from common import compare, core, fuzz_main, outcome, std_core

def load(mod, cadata):
    ctx = mod._SSLContext(mod.PROTOCOL_TLS_CLIENT)
    loaded = outcome(ctx.load_verify_locations, None, None, cadata)
    # The statistics first: the interpreter's first walk of the store leaves
    # OpenSSL's complaints about malformed certificates queued, and its
    # get_ca_certs() would report them as the reason another certificate
    # failed to decode (tests/test_fuzz_regressions.py:
    # test_get_ca_certs_reports_the_failing_certificates_own_error).
    stats = outcome(ctx.cert_store_stats)
    return (loaded, stats, outcome(ctx.get_ca_certs), outcome(ctx.get_ca_certs, True))


def test_one_input(data):
    if not data:
        return
    mode, payload = data[0] % 3, data[1:]
    if mode == 0:
        cadata = payload.decode("latin-1")
    elif mode == 1:
        cadata = payload.decode("utf-8", "surrogateescape")
    else:
        cadata = payload
    compare(load(core, cadata), load(std_core, cadata) if std_core else None)


if __name__ == "__main__":
    fuzz_main(test_one_input)
