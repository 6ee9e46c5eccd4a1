"""A big transfer and a CPU-bound Python thread in one process.

    python benchmarks/gil.py [--mib 256] [--repeats 3] [--timeout SECONDS]

One thread moves MIB MiB over a blocking TLS socket (recv_into into a
1 MiB buffer, or sendall of 1 MiB blocks) while another thread counts in a
Python loop.  The peer is a child process using the interpreter's ssl, the
same for both modules.  Each time the transfer thread gets the GIL back it
may have to wait a switch interval (5 ms) for the counting thread, so the
fewer GIL round trips per MiB, the faster the transfer (CPython
gh-81536).  Reported for each module and direction, best of the repeats,
modules alternating: transfer MiB/s, and the counting thread's loop rate.
With --timeout the socket has a timeout, so its fd is non-blocking: the
stdlib's recv_into then returns one 16 KiB record per GIL round trip.
"""
import argparse
import os
import socket
import ssl as std_ssl
import subprocess
import sys
import threading
import time

import sslmod

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import bench  # noqa: E402  (certificates and contexts)

PEER = r"""
import socket, ssl, sys
direction, total = sys.argv[1], int(sys.argv[2])
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(sys.argv[3], sys.argv[4])
lsock = socket.socket()
lsock.bind(("127.0.0.1", 0))
lsock.listen(1)
print(lsock.getsockname()[1], flush=True)
conn, _ = lsock.accept()
with ctx.wrap_socket(conn, server_side=True) as tls:
    if direction == "recv":          # the measured side receives: we send
        block = b"z" * (1 << 20)
        for _ in range(total // len(block)):
            tls.sendall(block)
        tls.recv(1)
    else:
        buf = memoryview(bytearray(1 << 20))
        got = 0
        while got < total:
            n = tls.recv_into(buf)
            if not n:
                break
            got += n
        tls.sendall(b"k")
"""

BLOCK = 1 << 20


def one_run(mod, direction, total, timeout=None):
    peer = subprocess.Popen(
        [sys.executable, "-c", PEER, direction, str(total), bench.SERVER_CHAIN,
         bench.SERVER_KEY], stdout=subprocess.PIPE, text=True)
    try:
        port = int(peer.stdout.readline())
        _, client_ctx = bench.contexts(mod)
        raw = socket.create_connection(("127.0.0.1", port))
        raw.settimeout(timeout)
        tls = client_ctx.wrap_socket(raw, server_hostname="localhost")
        done = threading.Event()
        counted = [0]

        def count():
            n = 0
            while not done.is_set():
                for _ in range(1000):
                    n += 1
            counted[0] = n

        counter = threading.Thread(target=count)
        t0 = time.perf_counter()
        counter.start()
        if direction == "recv":
            buf = memoryview(bytearray(BLOCK))
            got = 0
            while got < total:
                n = tls.recv_into(buf)
                if not n:
                    break
                got += n
            tls.sendall(b"k")
        else:
            block = b"w" * BLOCK
            for _ in range(total // BLOCK):
                tls.sendall(block)
            tls.recv(1)
        elapsed = time.perf_counter() - t0
        done.set()
        counter.join()
        tls.close()
        return total / elapsed / (1 << 20), counted[0] / elapsed / 1e6
    finally:
        peer.wait(60)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mib", type=int, default=256)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--timeout", type=float, default=None,
                    help="the measured socket's timeout (default: blocking, none)")
    args = ap.parse_args()
    total = args.mib * (1 << 20)
    print("python %s, %s; %d MiB per run, best of %d; socket timeout %s" % (
        sys.version.split()[0], std_ssl.OPENSSL_VERSION, args.mib, args.repeats, args.timeout))
    print("| direction | module | transfer MiB/s | counting thread M iterations/s |")
    print("|---|---|---|---|")
    for direction in ("recv", "send"):
        best = {}
        for _ in range(args.repeats):
            for name, mod in (("stdlib", std_ssl), ("sslmod", sslmod)):
                rate, loops = one_run(mod, direction, total, args.timeout)
                old = best.get(name)
                if old is None or rate > old[0]:
                    best[name] = (rate, loops)
        for name in ("stdlib", "sslmod"):
            rate, loops = best[name]
            label = "recv_into 1 MiB" if direction == "recv" else "sendall 1 MiB"
            print("| %s | %s | %.0f | %.1f |" % (label, name, rate, loops), flush=True)


if __name__ == "__main__":
    main()
