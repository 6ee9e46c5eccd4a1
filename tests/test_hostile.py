"""Hostile input: mutated handshakes, records and certificates.

Each case feeds the same corrupted bytes to the interpreter's ssl and to
the implementation under test and asserts the same outcome (success, or
the same exception class with the same library/reason).  The mutations are
seeded, so a failure names a reproducible input.  Nothing here may crash
the interpreter; the sanitizer CI run checks the memory side.
"""
import random

import pytest
import ssl as STD

import connutil as cu

SEED = 20261123
MUTATIONS = 150


def mutate(data, rng):
    """DATA with one random corruption: bit flips, a cut, an insertion,
    a duplicated slice, or an overwritten length byte."""
    original = bytes(data)
    data = bytearray(data)
    kind = rng.randrange(5)
    if kind == 0:
        for _ in range(rng.randint(1, 4)):
            i = rng.randrange(len(data))
            data[i] ^= 1 << rng.randrange(8)
    elif kind == 1:
        del data[rng.randrange(1, len(data)):]
    elif kind == 2:
        i = rng.randrange(len(data))
        data[i:i] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 16)))
    elif kind == 3:
        i = rng.randrange(len(data))
        j = min(len(data), i + rng.randint(1, 64))
        data[j:j] = data[i:j]
    else:
        i = rng.randrange(min(len(data), 64))
        data[i] = rng.choice((0, 0xFF, rng.randrange(256)))
    if bytes(data) == original:
        # Flips that cancelled, or a byte overwritten with itself: the
        # record tests compare two different ciphertexts, so a no-op on one
        # side only would make them differ by chance.
        data[-1] ^= 0x01
    return bytes(data)


def outcome(fn):
    """("ok",) or the exception's class name, library and reason."""
    try:
        fn()
    except Exception as exc:  # noqa: BLE001
        return (type(exc).__name__, getattr(exc, "library", None),
                getattr(exc, "reason", None))
    return ("ok",)


def client_hello():
    """A real first flight from a stdlib client (the bytes do not depend on
    which module the server uses)."""
    cin, cout = STD.MemoryBIO(), STD.MemoryBIO()
    client = cu.client_context(STD).wrap_bio(cin, cout, server_hostname="localhost")
    with pytest.raises(STD.SSLWantReadError):
        client.do_handshake()
    return cout.read()


def server_accepts(mod, sctx, data):
    """Feed DATA to a fresh server of MOD as its peer's first flight."""
    sin, sout = mod.MemoryBIO(), mod.MemoryBIO()
    server = sctx.wrap_bio(sin, sout, server_side=True)
    sin.write(data)
    sin.write_eof()

    def run():
        for _ in range(4):
            try:
                server.do_handshake()
                return
            except mod.SSLWantReadError:
                continue
    return outcome(run)


def test_mutated_client_hello(impl):
    hello = client_hello()
    rng = random.Random(SEED)
    std_ctx = cu.server_context(STD)
    impl_ctx = cu.server_context(impl)
    differences = []
    for n in range(MUTATIONS):
        data = mutate(hello, rng)
        want = server_accepts(STD, std_ctx, data)
        got = server_accepts(impl, impl_ctx, data)
        if got != want:
            differences.append((n, data.hex(), want, got))
    assert differences == []


def established(mod):
    """A handshaken BIO pair of MOD (client and server both MOD)."""
    pair = cu.BioPair(mod, cu.client_context(mod), mod, cu.server_context(mod))
    assert pair.handshake() == (("ok", None), ("ok", None))
    return pair


def test_mutated_application_records(impl):
    """Corrupted records after the handshake: the reader fails the same
    way as the stdlib's (bad MAC, bad length, bad type ...)."""
    rng = random.Random(SEED + 1)
    differences = []
    for n in range(MUTATIONS // 3):
        seed = rng.random()    # the same corruption on both sides
        results = []
        for mod in (STD, impl):
            pair = established(mod)
            pair.client.write(b"some application data " * 20)
            corrupt = mutate(pair.cout.read(), random.Random(seed))
            pair.sin.write(corrupt)
            results.append(outcome(lambda pair=pair: pair.server.read(4096)))
        if results[0] != results[1]:
            differences.append((n, seed, results))
    assert differences == []


def test_mutated_certificates_decode(impl, core, std_core, tmp_path):
    """_test_decode_cert on corrupted PEM bodies: same dict or same error."""
    import base64
    pem = open(cu.certpath("allsans.pem")).read()
    body = "".join(pem.strip().splitlines()[1:-1])
    der = base64.b64decode(body)
    rng = random.Random(SEED + 2)
    differences = []
    path = tmp_path / "c.pem"
    for n in range(MUTATIONS):
        data = mutate(der, rng)
        text = "-----BEGIN CERTIFICATE-----\n%s\n-----END CERTIFICATE-----\n" % (
            base64.encodebytes(data).decode())
        path.write_text(text)
        results = []
        for mod in (std_core, core):
            try:
                results.append(("ok", mod._test_decode_cert(str(path))))
            except Exception as exc:  # noqa: BLE001
                results.append((type(exc).__name__, cu.clean_message(exc)))
        if results[0] != results[1]:
            differences.append((n, data.hex(), results))
    assert differences == []


def test_mutated_cadata(impl):
    """load_verify_locations(cadata=<corrupted DER>): same outcome."""
    der = open(cu.certpath("ca.der"), "rb").read()
    rng = random.Random(SEED + 3)
    differences = []
    for n in range(MUTATIONS):
        data = mutate(der, rng)
        results = [outcome(lambda mod=mod: mod.SSLContext(mod.PROTOCOL_TLS_CLIENT)
                           .load_verify_locations(cadata=data))  # noqa: B023 - called at once
                   for mod in (STD, impl)]
        if results[0] != results[1]:
            differences.append((n, data.hex(), results))
    assert differences == []
