"""Running out of memory while an error is being raised.

Each scenario makes sslmod raise one kind of error while
``_testcapi.set_nomemory(start, start + 1)`` fails exactly one Python
allocation, for every START from the first allocation of the call until
the call runs through with none failing (so every allocation on the error
path has failed once).  Afterwards the name-table strings
(``lib_codes_to_names``, ``err_codes_to_names``) have the references they
had before, and a normal error still reads right.  The loop runs in a
child interpreter, so that a crash is a failed test and not a dead run.
"""
import json
import os
import subprocess
import sys
import textwrap

import pytest

from conftest import CERTS_DIR

try:
    import _testcapi
except ImportError:
    _testcapi = None

pytestmark = pytest.mark.skipif(
    _testcapi is None or not hasattr(_testcapi, "set_nomemory"),
    reason="needs _testcapi.set_nomemory (a CPython built with its test modules)")

CHILD = textwrap.dedent(r"""
    import json, os, sys, _testcapi
    import sslmod as ssl
    from sslmod import _sslmod as core

    CERTS = sys.argv[1]
    KIND = sys.argv[2]

    def cert(name):
        return os.path.join(CERTS, name)

    def pump(src, dst):
        data = src.read()
        if data:
            dst.write(data)

    def handshake_until_last_step(client_ctx, server_ctx, client_bytes=None):
        # Everything up to the failing step, with memory to spare; returns
        # the C method that fails (no Python frame in between: under
        # memory pressure CPython's own frame and traceback code can turn a
        # MemoryError into a SystemError, with the stdlib's _ssl too).
        c_in, c_out, s_in, s_out = (ssl.MemoryBIO() for _ in range(4))
        server = server_ctx.wrap_bio(s_in, s_out, server_side=True)
        if client_bytes is not None:
            s_in.write(client_bytes)
            return (server._sslobj.do_handshake,)
        client = client_ctx.wrap_bio(c_in, c_out, server_hostname="localhost")
        try:
            client.do_handshake()
        except ssl.SSLWantReadError:
            pass
        pump(c_out, s_in)
        try:
            server.do_handshake()
        except ssl.SSLWantReadError:
            pass
        pump(s_out, c_in)
        return (client._sslobj.do_handshake,)

    def server_context():
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert("server-rsa-chain.pem"), cert("server-rsa.key"))
        return ctx

    def setup():
        if KIND == "cert_chain_garbage":
            ctx = core._SSLContext(core.PROTOCOL_TLS_CLIENT)
            return ctx.load_cert_chain, cert("garbage.pem")
        if KIND == "cadata_garbage":
            ctx = core._SSLContext(core.PROTOCOL_TLS_CLIENT)
            return ctx.load_verify_locations, None, None, b"\x30\x03\x02\x01"
        if KIND == "verify_failed":
            client = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)   # trusts nobody
            return handshake_until_last_step(client, SERVER)
        if KIND == "handshake_garbage":
            return handshake_until_last_step(
                None, SERVER, client_bytes=b"GET / HTTP/1.0\r\n\r\n")
        raise ValueError(KIND)

    SERVER = server_context()

    def describe(exc):
        return [type(exc).__name__, str(exc), getattr(exc, "library", None),
                getattr(exc, "reason", None), getattr(exc, "verify_code", None)]

    def run(call, start):
        caught = None
        method, *args = call
        if start is not None:
            _testcapi.set_nomemory(start, start + 1)
        try:
            method(*args)
        except BaseException as exc:
            caught = exc    # described once memory is back
        finally:
            _testcapi.remove_mem_hooks()
        described = None if caught is None else describe(caught)
        caught = None   # exception -> traceback -> this frame -> exception
        return described

    names = list(core.lib_codes_to_names.values())
    names += list(core.err_codes_to_names.values())

    def refcounts():
        return [sys.getrefcount(v) for v in names]

    expected = run(setup(), None)
    before = refcounts()
    outcomes = set()
    odd = []
    start = clean = 0
    while clean < 3 and start < 2000:   # 3 clean runs in a row: past the last allocation
        got = run(setup(), start)
        outcomes.add(got[0] if got else None)
        if got and got[0] not in (expected[0], "MemoryError"):
            odd.append([start] + got)
        clean = clean + 1 if got == expected else 0
        start += 1
    del got   # it holds the name strings of a normal outcome
    after = refcounts()
    changed = [(names[i], b - a) for i, (a, b) in enumerate(zip(before, after)) if a != b]
    print(json.dumps({"expected": expected, "again": run(setup(), None),
                      "starts": start, "changed": changed,
                      "outcomes": sorted(map(str, outcomes)), "odd": odd}))
""")

KINDS = ("cert_chain_garbage", "cadata_garbage", "verify_failed", "handshake_garbage")


@pytest.mark.parametrize("kind", KINDS)
def test_every_allocation_failure_on_the_error_path(kind):
    proc = subprocess.run([sys.executable, "-c", CHILD, CERTS_DIR, kind],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          timeout=100, env=dict(os.environ))
    stderr = proc.stderr.decode(errors="replace")
    assert proc.returncode == 0, stderr[-3000:]
    # Under the sanitizers (.ci/run), UBSan reports without failing the exit code.
    assert "runtime error" not in stderr and "Sanitizer" not in stderr, stderr[-3000:]
    result = json.loads(proc.stdout.decode().splitlines()[-1])
    expected = result["expected"]
    # The scenario raises the error it is about, with its names.
    assert expected is not None and expected[0].startswith("SSL"), expected
    if kind != "cadata_garbage":   # the stdlib's cadata errors name no library either
        assert expected[2] is not None, expected
    # Allocations did fail along the way (MemoryError), and all of them were
    # tried: the loop ended on runs with no failure left.
    assert "MemoryError" in result["outcomes"], result
    # Each failure is either a MemoryError or the error itself.
    assert result["odd"] == [], result["odd"]
    assert result["starts"] < 2000, result
    # No name-table string lost (or gained) a reference, and a later error
    # still formats its names from live strings.
    assert result["changed"] == [], result
    assert result["again"] == expected, result
