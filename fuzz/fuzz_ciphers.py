"""Fuzz SSLContext.set_ciphers (a cipher string given to OpenSSL) and read
the result back with get_ciphers(); the interpreter's _ssl must agree."""
import atheris

with atheris.instrument_imports(include=["sslmod"]):
    from common import compare, core, fuzz_main, outcome, std_core

def run(mod, text):
    ctx = mod._SSLContext(mod.PROTOCOL_TLS_CLIENT)
    return outcome(ctx.set_ciphers, text), outcome(ctx.get_ciphers)


def test_one_input(data):
    if not data:
        return
    if data[0] & 1:
        text = data[1:].decode("utf-8", "surrogateescape")
    else:
        text = data[1:].decode("latin-1")
    compare(run(core, text), run(std_core, text) if std_core else None)


if __name__ == "__main__":
    fuzz_main(test_one_input)
