"""Instruction counts per operation, sslmod against the interpreter's ssl.

    python benchmarks/icount.py [--only SUBSTRING] [--cases] [--ceiling]

Wall-clock time on a shared machine swings by up to 2x; instruction counts
do not.  Each case runs in a child process under ``valgrind --tool=callgrind``
twice, with N and with 2N repetitions of the operation, and the cost of one
operation is (count(2N) - count(N)) / N: start-up, imports and set-up cancel
out.  PYTHONHASHSEED is fixed so that the counts repeat exactly.

The ratio is stdlib / sslmod: above 1, sslmod needs fewer instructions.
"""
import argparse
import os
import re
import ssl as std_ssl
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import bench  # noqa: E402  (the shared contexts and MemoryBIO helpers)


def _module(name):
    if name == "stdlib":
        return std_ssl
    import sslmod
    return sslmod


# ---- the cases: set-up once, then a function run N times ------------------

def setup_default_context(mod):
    mod.create_default_context()          # the first one may fill a cache
    return lambda: mod.create_default_context()


def setup_load_bundle(mod):
    bundle = std_ssl.get_default_verify_paths().cafile or bench.CA

    def op():
        ctx = mod.SSLContext(mod.PROTOCOL_TLS_CLIENT)
        ctx.load_verify_locations(cafile=bundle)
    op()
    return op


def setup_load_cert_chain(mod):
    ctx = mod.SSLContext(mod.PROTOCOL_TLS_SERVER)
    return lambda: ctx.load_cert_chain(bench.SERVER_CHAIN, bench.SERVER_KEY)


def setup_handshake13(mod):
    server_ctx, client_ctx = bench.contexts(mod)
    return lambda: bench.handshake(mod, server_ctx, client_ctx)


def setup_resumption12(mod):
    server_ctx, client_ctx = bench.contexts(mod)
    client_ctx.maximum_version = mod.TLSVersion.TLSv1_2
    _, client = bench.handshake(mod, server_ctx, client_ctx)
    session = client[0].session

    def op():
        s_in, s_out, c_in, c_out = (mod.MemoryBIO() for _ in range(4))
        server = server_ctx.wrap_bio(s_in, s_out, server_side=True)
        client = client_ctx.wrap_bio(c_in, c_out, server_hostname="localhost",
                                     session=session)
        for _ in range(10):
            for side in (client, server):
                try:
                    side.do_handshake()
                except mod.SSLWantReadError:
                    pass
            s_in.write(c_out.read())
            c_in.write(s_out.read())
            if client.session_reused and server.version():
                break
        assert client.session_reused
    return op


def _round_trip(size, release_buffers=True):
    def setup(mod):
        server_ctx, client_ctx = bench.contexts(mod)
        if not release_buffers and hasattr(server_ctx, "release_buffers"):
            # sslmod only: the stdlib has no such switch and keeps its default.
            server_ctx.release_buffers = client_ctx.release_buffers = False
        server, client = bench.handshake(mod, server_ctx, client_ctx)
        payload = b"r" * size

        def op():
            client[0].write(payload)
            server[1].write(client[2].read())
            got = server[0].read(size)
            server[0].write(got)
            client[1].write(server[2].read())
            client[0].read(size)
        op()
        return op
    return setup


def setup_peer_info(mod):
    server_ctx, client_ctx = bench.contexts(mod)
    _, client = bench.handshake(mod, server_ctx, client_ctx)
    obj = client[0]

    def op():
        obj.getpeercert(True)
        obj.cipher()
        obj.version()
    return op


CASES = {
    # name: (set-up, N)
    "create_default_context()": (setup_default_context, 4),
    "new context + load_verify_locations(bundle)": (setup_load_bundle, 4),
    "load_cert_chain": (setup_load_cert_chain, 20),
    "TLS 1.3 handshake (MemoryBIO)": (setup_handshake13, 10),
    "TLS 1.2 resumption (MemoryBIO)": (setup_resumption12, 10),
    "MemoryBIO 1 KiB round trip": (_round_trip(1024), 200),
    "MemoryBIO 16 KiB round trip": (_round_trip(16384), 100),
    "MemoryBIO 1 KiB round trip, sslmod release_buffers=False": (_round_trip(1024, False), 200),
    "MemoryBIO 16 KiB round trip, sslmod release_buffers=False": (_round_trip(16384, False), 100),
    "getpeercert(True)+cipher()+version()": (setup_peer_info, 500),
}


def run_one(case, module, n):
    op = CASES[case][0](_module(module))
    for _ in range(n):
        op()


# ---- the driver -----------------------------------------------------------

def callgrind(argv, env=None):
    """Instructions ARGV executes, counted by callgrind."""
    out = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
                          *argv], env=env, capture_output=True, text=True, check=True)
    m = re.search(r"Collected : (\d+)", out.stderr)
    if not m:
        raise RuntimeError("no count from callgrind:\n" + out.stderr[-2000:])
    return int(m.group(1))


def count(case, module, n):
    return callgrind([sys.executable, os.path.abspath(__file__), "--one", case, module, str(n)],
                     env=dict(os.environ, PYTHONHASHSEED="0"))


def per_op(case, module, n):
    return (count(case, module, 2 * n) - count(case, module, n)) / n


# ---- the ceiling: the same round trips in C, with no Python ----------------


def ceiling():
    """Build membio_ceiling.c against the OpenSSL sslmod uses, and count
    its round trips the same way as the cases (N and 2N)."""
    import shutil
    import tempfile
    flags = subprocess.run(["pkg-config", "--cflags", "--libs", "openssl"], capture_output=True,
                           text=True).stdout.split() or ["-lssl", "-lcrypto"]
    certs = os.path.join(os.path.dirname(HERE), "tests", "certs")
    tmp = tempfile.mkdtemp()
    try:
        exe = os.path.join(tmp, "membio_ceiling")
        subprocess.run([os.environ.get("CC", "cc"), "-O2", "-o", exe,
                        os.path.join(HERE, "membio_ceiling.c"), *flags], check=True)
        print("| C straight over OpenSSL | release buffers | instructions per round trip |")
        print("|---|---|---|")
        for size, n in ((1024, 200), (16384, 100)):
            for release in (1, 0):
                one = callgrind([exe, certs, str(size), str(n), str(release)])
                two = callgrind([exe, certs, str(size), str(2 * n), str(release)])
                print("| %d KiB round trip | %s | %.0f |"
                      % (size // 1024, "on" if release else "off", (two - one) / n), flush=True)
    finally:
        shutil.rmtree(tmp)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", default="", help="run the cases whose name contains this")
    ap.add_argument("--one", nargs=3, metavar=("CASE", "MODULE", "N"), help=argparse.SUPPRESS)
    ap.add_argument("--cases", action="store_true", help="list the cases")
    ap.add_argument("--ceiling", action="store_true",
                    help="count the MemoryBIO round trips done in C (membio_ceiling.c)")
    args = ap.parse_args()
    if args.ceiling:
        ceiling()
        return
    if args.one:
        run_one(args.one[0], args.one[1], int(args.one[2]))
        return
    if args.cases:
        print("\n".join(CASES))
        return
    import sslmod
    print("python %s, %s; sslmod %s; instructions per operation"
          % (sys.version.split()[0], std_ssl.OPENSSL_VERSION, sslmod.__version__))
    print("| case | stdlib | sslmod | ratio |")
    print("|---|---|---|---|")
    for case, (_, n) in CASES.items():
        if args.only not in case:
            continue
        std = per_op(case, "stdlib", n)
        ours = per_op(case, "sslmod", n)
        print("| %s | %.0f | %.0f | %.3f |" % (case, std, ours, std / ours), flush=True)


if __name__ == "__main__":
    main()
