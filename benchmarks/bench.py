"""Benchmarks: sslmod against the interpreter's ssl, in the same run.

    python benchmarks/bench.py [--quick]

Each case runs on both modules, alternating repeat by repeat, and reports
the best time of each and the ratio stdlib/sslmod (> 1: sslmod is faster).
Memory: peak tracemalloc of Python-visible allocations, plus RSS growth over
many iterations (leak check).
"""
import argparse
import gc
import os
import resource
import socket
import ssl as std_ssl
import sys
import threading
import time

import sslmod

HERE = os.path.dirname(os.path.abspath(__file__))
CERTS = os.path.join(HERE, "..", "tests", "certs")
CA = os.path.join(CERTS, "ca.pem")
SERVER_CHAIN = os.path.join(CERTS, "server-rsa-chain.pem")
SERVER_KEY = os.path.join(CERTS, "server-rsa.key")


def contexts(mod):
    server = mod.SSLContext(mod.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(SERVER_CHAIN, SERVER_KEY)
    client = mod.SSLContext(mod.PROTOCOL_TLS_CLIENT)
    client.load_verify_locations(CA)
    return server, client


def bio_pair(mod, server_ctx, client_ctx):
    s_in, s_out, c_in, c_out = (mod.MemoryBIO() for _ in range(4))
    server = server_ctx.wrap_bio(s_in, s_out, server_side=True)
    client = client_ctx.wrap_bio(c_in, c_out, server_hostname="localhost")
    return (server, s_in, s_out), (client, c_in, c_out)


def pump(a, b):
    """Move bytes both ways between two (obj, inbio, outbio) triples."""
    moved = False
    data = a[2].read()
    if data:
        b[1].write(data)
        moved = True
    data = b[2].read()
    if data:
        a[1].write(data)
        moved = True
    return moved


def handshake(mod, server_ctx, client_ctx):
    server, client = bio_pair(mod, server_ctx, client_ctx)
    done = {id(server): False, id(client): False}
    for _ in range(50):
        for side in (client, server):
            if not done[id(side)]:
                try:
                    side[0].do_handshake()
                    done[id(side)] = True
                except mod.SSLWantReadError:
                    pass
        pump(client, server)
        if all(done.values()):
            break
    return server, client


def case_context_new(mod, n):
    for _ in range(n):
        mod.SSLContext(mod.PROTOCOL_TLS_CLIENT)


def case_load_ca(mod, n):
    data = open(CA).read()
    for _ in range(n):
        ctx = mod.SSLContext(mod.PROTOCOL_TLS_CLIENT)
        ctx.load_verify_locations(cadata=data)


def case_decode_cert(mod, n):
    import _ssl
    decode = _ssl._test_decode_cert if mod is std_ssl else sslmod._sslmod._test_decode_cert
    for _ in range(n):
        decode(SERVER_CHAIN)


def case_handshake_bio(mod, n):
    server_ctx, client_ctx = contexts(mod)
    for _ in range(n):
        handshake(mod, server_ctx, client_ctx)


def case_bulk_bio(mod, n):
    """n MiB through an established BIO pair in 16 KiB records."""
    server_ctx, client_ctx = contexts(mod)
    server, client = handshake(mod, server_ctx, client_ctx)
    chunk = b"x" * 16384
    buf = bytearray(16384)
    for _ in range(n * 64):
        client[0].write(chunk)
        server[1].write(client[2].read())
        got = 0
        while got < len(chunk):
            got += server[0].read(len(buf), buf)


def over_loopback(mod, server_fn, client_fn):
    """Run SERVER_FN(tls) in a thread and CLIENT_FN(tls) here, over one TLS
    connection of MOD on loopback TCP (client with TCP_NODELAY)."""
    server_ctx, client_ctx = contexts(mod)
    with socket.socket() as lsock:
        lsock.bind(("127.0.0.1", 0))
        lsock.listen(1)

        def serve():
            conn, _ = lsock.accept()
            with server_ctx.wrap_socket(conn, server_side=True) as tls:
                server_fn(tls)

        t = threading.Thread(target=serve)
        t.start()
        with socket.create_connection(lsock.getsockname()) as raw:
            raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with client_ctx.wrap_socket(raw, server_hostname="localhost") as tls:
                client_fn(tls)
        t.join()


def case_bulk_socket(mod, n):
    """n MiB over loopback TCP, sendall/recv_into, one thread a side."""
    total = n * 1024 * 1024
    block = b"y" * 65536

    def server(tls):
        view = memoryview(bytearray(65536))
        got = 0
        while got < total:
            r = tls.recv_into(view)
            if not r:
                break
            got += r
        tls.sendall(b"k")

    def client(tls):
        for _ in range(total // len(block)):
            tls.sendall(block)
        tls.recv(1)

    over_loopback(mod, server, client)


def case_echo_socket(mod, n):
    """n round trips of 64 bytes over loopback TCP: per-call overhead."""
    def server(tls):
        buf = bytearray(64)
        for _ in range(n):
            got = tls.recv_into(buf)
            tls.sendall(memoryview(buf)[:got])

    def client(tls):
        msg = b"p" * 64
        for _ in range(n):
            tls.sendall(msg)
            tls.recv(64)

    over_loopback(mod, server, client)


CASES = [
    # name, function, n (full), n (quick), unit label
    ("SSLContext()", case_context_new, 2000, 200, "contexts"),
    ("load_verify_locations(cadata)", case_load_ca, 500, 50, "loads"),
    ("_test_decode_cert", case_decode_cert, 2000, 200, "decodes"),
    ("handshake over MemoryBIO", case_handshake_bio, 200, 20, "handshakes"),
    ("bulk over MemoryBIO", case_bulk_bio, 64, 8, "MiB"),
    ("bulk over loopback socket", case_bulk_socket, 256, 32, "MiB"),
    ("64-byte echo over loopback", case_echo_socket, 20000, 2000, "round trips"),
]


def best_time(fn, mod, n, repeats):
    best = None
    for _ in range(repeats):
        gc.collect()
        t0 = time.perf_counter()
        fn(mod, n)
        dt = time.perf_counter() - t0
        best = dt if best is None or dt < best else best
    return best


def rss_kib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--only", default="")
    args = ap.parse_args()
    print("python %s, %s; sslmod %s" % (sys.version.split()[0], std_ssl.OPENSSL_VERSION,
                                        sslmod.__version__))
    print("%-32s %14s %14s %8s" % ("case", "stdlib", "sslmod", "ratio"))
    for name, fn, n_full, n_quick, unit in CASES:
        if args.only and args.only not in name:
            continue
        n = n_quick if args.quick else n_full
        # Alternate the two modules repeat by repeat, so that a slow phase of
        # the machine (thread placement on the 2 cores, noisy neighbours)
        # hits both alike; keep the best time of each.
        t_std = t_ours = None
        for _ in range(args.repeats):
            t = best_time(fn, std_ssl, n, 1)
            t_std = t if t_std is None else min(t_std, t)
            t = best_time(fn, sslmod, n, 1)
            t_ours = t if t_ours is None else min(t_ours, t)
        print("%-32s %10.0f/s %10.0f/s %7.2fx  (%d %s)" % (
            name, n / t_std, n / t_ours, t_std / t_ours, n, unit))
    # Leak check: RSS growth over many handshakes with sslmod alone.
    if not args.only:
        server_ctx, client_ctx = contexts(sslmod)
        for _ in range(50):
            handshake(sslmod, server_ctx, client_ctx)
        before = rss_kib()
        for _ in range(2000 if not args.quick else 300):
            handshake(sslmod, server_ctx, client_ctx)
        print("sslmod max RSS growth over many handshakes: %d KiB" % (rss_kib() - before))


if __name__ == "__main__":
    main()
