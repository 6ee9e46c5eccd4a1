"""Fuzz txt2obj (object names and dotted OIDs, with name=True/False) and
nid2obj (any integer, including ones past a C int).  The interpreter's
_ssl must give the same tuple or the same exception."""
import atheris

with atheris.instrument_imports(include=["sslmod"]):
    from common import compare, core, fuzz_main, outcome, std_core

def test_one_input(data):
    if not data:
        return
    mode, payload = data[0] % 4, data[1:]
    if mode < 2:
        text = payload.decode("utf-8", "surrogateescape")
        call = (lambda mod: outcome(mod.txt2obj, text, name=bool(mode)))
    elif mode == 2:
        text = payload.decode("latin-1")
        call = (lambda mod: outcome(mod.txt2obj, text))
    else:
        nid = int.from_bytes(payload[:12], "little", signed=True)
        call = (lambda mod: outcome(mod.nid2obj, nid))
    compare(call(core), call(std_core) if std_core else None)


if __name__ == "__main__":
    fuzz_main(test_one_input)
