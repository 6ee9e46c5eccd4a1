"""Fuzz SSLContext.set_ecdh_curve with str and bytes names; the
interpreter's _ssl must agree on what is accepted and what is raised."""
import atheris

with atheris.instrument_imports(include=["sslmod"]):
    from common import core, fuzz_main, outcome, std_core

ACCEPTED = {"SSLError", "ValueError", "TypeError", "UnicodeEncodeError"}


def run(mod, name):
    ctx = mod._SSLContext(mod.PROTOCOL_TLS_SERVER)
    return outcome(ctx.set_ecdh_curve, name)


def test_one_input(data):
    if not data:
        return
    mode, payload = data[0] % 3, data[1:]
    name = (payload.decode("latin-1"), payload.decode("utf-8", "surrogateescape"),
            payload)[mode]
    ours = run(core, name)
    if ours[0] == "raise" and ours[1] not in ACCEPTED:
        raise AssertionError("sslmod raised %r" % (ours,))
    if std_core is not None:
        theirs = run(std_core, name)
        if ours != theirs:
            raise AssertionError("sslmod %r\nstdlib %r" % (ours, theirs))


if __name__ == "__main__":
    fuzz_main(test_one_input)
