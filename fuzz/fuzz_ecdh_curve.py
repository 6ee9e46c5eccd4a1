"""Fuzz SSLContext.set_ecdh_curve with str and bytes names; the
interpreter's _ssl must agree on what is accepted and what is raised."""
import atheris

with atheris.instrument_imports(include=["sslmod"]):
    from common import compare, core, fuzz_main, outcome, std_core

def _warm_up():
    # OpenSSL 3.0 queues an OBJ error on the first call with a non-group
    # name in a process, and not after: make both modules' first calls here.
    for mod in (core, std_core):
        if mod is not None:
            outcome(mod._SSLContext(mod.PROTOCOL_TLS_SERVER).set_ecdh_curve, "RSA")


_warm_up()


def run(mod, name):
    ctx = mod._SSLContext(mod.PROTOCOL_TLS_SERVER)
    return outcome(ctx.set_ecdh_curve, name)


def test_one_input(data):
    if not data:
        return
    mode, payload = data[0] % 3, data[1:]
    name = (payload.decode("latin-1"), payload.decode("utf-8", "surrogateescape"),
            payload)[mode]
    compare(run(core, name), run(std_core, name) if std_core else None)


if __name__ == "__main__":
    fuzz_main(test_one_input)
