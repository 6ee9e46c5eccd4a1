"""Memory per object, sslmod against the interpreter's ssl.

    python benchmarks/memory.py

Each measurement runs in a fresh child process that imports one module,
warms up, then makes COUNT more objects and keeps them all alive; the
figure is the growth of the resident set size (from /proc/self/statm,
not the peak) divided by COUNT.

- default context: KiB per extra ``create_default_context()``;
- idle connection: established TLS 1.3 connections over loopback TCP
  (client and server ends both in the process, after one exchange of
  application data), reported as connections per MB of RSS, counting one
  connection as both of its ends.
"""
import os
import socket
import ssl as std_ssl
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)


def rss_kib():
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") // 1024


def module(name):
    if name == "stdlib":
        return std_ssl
    import sslmod
    return sslmod


def measure_contexts(mod, count=200):
    keep = [mod.create_default_context() for _ in range(5)]
    before = rss_kib()
    keep += [mod.create_default_context() for _ in range(count)]
    return (rss_kib() - before) / count


def measure_idle(mod, count=300):
    import bench
    server_ctx, client_ctx = bench.contexts(mod)
    lsock = socket.socket()
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(count + 10)
    addr = lsock.getsockname()

    def one():
        raw = socket.create_connection(addr)
        peer, _ = lsock.accept()
        client = client_ctx.wrap_socket(raw, server_hostname="localhost",
                                        do_handshake_on_connect=False)
        server = server_ctx.wrap_socket(peer, server_side=True,
                                        do_handshake_on_connect=False)
        client.setblocking(False)
        server.setblocking(False)
        done = set()
        while len(done) < 2:
            for side in (client, server):
                if side in done:
                    continue
                try:
                    side.do_handshake()
                    done.add(side)
                except (mod.SSLWantReadError, mod.SSLWantWriteError):
                    pass
        client.setblocking(True)
        server.setblocking(True)
        client.sendall(b"hello")
        server.recv(5)       # also takes in the TLS 1.3 tickets' flight
        server.sendall(b"world")
        client.recv(5)
        return client, server

    keep = [one() for _ in range(10)]
    before = rss_kib()
    keep += [one() for _ in range(count)]
    grown = rss_kib() - before
    return count / (grown / 1024.0) if grown > 0 else float("inf")


def child(what, name):
    mod = module(name)
    fn = {"contexts": measure_contexts, "idle": measure_idle}[what]
    print(fn(mod))


def run(what, name):
    out = subprocess.run([sys.executable, os.path.abspath(__file__), what, name],
                         capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def main():
    if len(sys.argv) == 3:
        child(sys.argv[1], sys.argv[2])
        return
    print("| measure | stdlib | sslmod | ratio |")
    print("|---|---|---|---|")
    std = run("contexts", "stdlib")
    ours = run("contexts", "sslmod")
    print("| KiB per extra default context | %.1f | %.1f | %.1fx less |" % (std, ours, std / max(ours, 0.1)))
    std = run("idle", "stdlib")
    ours = run("idle", "sslmod")
    print("| idle connections per MB | %.1f | %.1f | %.2fx |" % (std, ours, ours / std))


if __name__ == "__main__":
    main()
