"""Soak run: many handshakes and many gigabytes through MemoryBIO, with the
process's resident set size sampled as it goes.  Not part of CI.

    python benchmarks/soak.py [--handshakes 100000] [--gigabytes 10]
                              [--impl sslmod|std] [--leaf server-rsa]

Phase 1 runs full handshakes (no resumption) between a client and a server
SSLObject of the same module, each followed by one small echo, so the
session, certificate-verification and record paths are all exercised.
Phase 2 pushes the given number of gigabytes from client to server and
back through one MemoryBIO pair, checking every byte.

RSS (from /proc/self/statm) is sampled at regular points.  A run passes
when, after the warm-up (the first tenth of each phase), RSS grows by less
than the allowed slack (--slack-mb, 8 MiB by default).  The figures are
printed as one table per phase and a verdict line; the exit status is 1
when a phase grew more than the slack.
"""
import argparse
import gc
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
CERTS = os.path.join(HERE, "..", "tests", "certs")
PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_mib():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE / 2 ** 20


def load(name):
    if name == "std":
        import ssl
        return ssl
    import sslmod
    return sslmod


def contexts(mod, leaf):
    server = mod.SSLContext(mod.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(os.path.join(CERTS, leaf + "-chain.pem"),
                           os.path.join(CERTS, leaf + ".key"))
    client = mod.SSLContext(mod.PROTOCOL_TLS_CLIENT)
    client.load_verify_locations(os.path.join(CERTS, "ca.pem"))
    return server, client


class Pair:
    """A client and a server SSLObject joined by four MemoryBIOs."""

    def __init__(self, mod, sctx, cctx):
        self.mod = mod
        self.c_in, self.c_out, self.s_in, self.s_out = (mod.MemoryBIO() for _ in range(4))
        self.client = cctx.wrap_bio(self.c_in, self.c_out, server_hostname="localhost")
        self.server = sctx.wrap_bio(self.s_in, self.s_out, server_side=True)

    def pump(self):
        moved = 0
        data = self.c_out.read()
        if data:
            self.s_in.write(data)
            moved += len(data)
        data = self.s_out.read()
        if data:
            self.c_in.write(data)
            moved += len(data)
        return moved

    def handshake(self):
        want = self.mod.SSLWantReadError
        done = [False, False]
        for _ in range(50):
            for i, obj in enumerate((self.client, self.server)):
                if not done[i]:
                    try:
                        obj.do_handshake()
                        done[i] = True
                    except want:
                        pass
            if not self.pump() and all(done):
                return
        raise RuntimeError("handshake did not finish")

    def send(self, src, dst, data):
        """Write DATA on SRC and read it back on DST; returns what arrived."""
        src.write(data)
        self.pump()
        got = []
        n = len(data)
        while n:
            chunk = dst.read(n)
            got.append(chunk)
            n -= len(chunk)
        return b"".join(got)


class Sampler:
    """RSS samples at fixed fractions of a phase."""

    def __init__(self, total, points=20):
        self.total = total
        self.every = max(1, total // points)
        self.samples = []          # (done, seconds, rss MiB)
        self.t0 = time.perf_counter()

    def tick(self, done):
        if done % self.every == 0 or done == self.total:
            gc.collect()
            self.samples.append((done, time.perf_counter() - self.t0, rss_mib()))

    def verdict(self, unit, slack):
        warm = [s for s in self.samples if s[0] >= self.total // 10]
        base = warm[0][2]
        peak = max(s[2] for s in warm)
        final = self.samples[-1][2]
        for done, secs, rss in self.samples:
            print("  %12d %s  %8.1f s  RSS %8.1f MiB" % (done, unit, secs, rss))
        growth = final - base
        ok = peak - base < slack
        print("  start %.1f MiB, after warm-up %.1f MiB, peak %.1f MiB, final %.1f MiB:"
              " growth after warm-up %+.1f MiB (peak %+.1f) -> %s"
              % (self.samples[0][2], base, peak, final, growth, peak - base,
                 "flat" if ok else "GROWING"))
        return ok


def soak_handshakes(mod, sctx, cctx, count, slack):
    print("phase 1: %d full handshakes + 64-byte echo each" % count)
    sampler = Sampler(count)
    payload = b"p" * 64
    for i in range(1, count + 1):
        pair = Pair(mod, sctx, cctx)
        pair.handshake()
        if pair.send(pair.client, pair.server, payload) != payload:
            raise AssertionError("echo %d corrupted" % i)
        if pair.send(pair.server, pair.client, payload) != payload:
            raise AssertionError("echo %d corrupted" % i)
        sampler.tick(i)
    secs = sampler.samples[-1][1]
    print("  %.0f handshakes/s" % (count / secs))
    return sampler.verdict("hs", slack)


def soak_bulk(mod, sctx, cctx, gigabytes, slack, chunk=256 * 1024):
    total = int(gigabytes * 2 ** 30)
    rounds = total // (2 * chunk)            # each round goes there and back
    print("phase 2: %.1f GiB through MemoryBIO (%d round trips of %d KiB)"
          % (gigabytes, rounds, chunk // 1024))
    pair = Pair(mod, sctx, cctx)
    pair.handshake()
    block = bytearray(os.urandom(chunk))
    sampler = Sampler(rounds)
    for i in range(1, rounds + 1):
        block[:8] = i.to_bytes(8, "big")     # every chunk differs
        data = bytes(block)
        if pair.send(pair.client, pair.server, data) != data:
            raise AssertionError("round %d: client->server corrupted" % i)
        if pair.send(pair.server, pair.client, data) != data:
            raise AssertionError("round %d: server->client corrupted" % i)
        sampler.tick(i)
    secs = sampler.samples[-1][1]
    print("  %.0f MiB/s (both directions counted)" % (rounds * 2 * chunk / 2 ** 20 / secs))
    return sampler.verdict("rt", slack)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--handshakes", type=int, default=100_000)
    ap.add_argument("--gigabytes", type=float, default=10.0)
    ap.add_argument("--impl", choices=("sslmod", "std"), default="sslmod")
    ap.add_argument("--leaf", default="server-rsa")
    ap.add_argument("--slack-mb", type=float, default=8.0)
    args = ap.parse_args()
    mod = load(args.impl)
    print("soak: %s (%s), %s, Python %s, leaf %s" % (
        args.impl, getattr(mod, "__file__", "?"), mod.OPENSSL_VERSION,
        sys.version.split()[0], args.leaf))
    sctx, cctx = contexts(mod, args.leaf)
    ok = True
    if args.handshakes:
        ok &= soak_handshakes(mod, sctx, cctx, args.handshakes, args.slack_mb)
    if args.gigabytes:
        ok &= soak_bulk(mod, sctx, cctx, args.gigabytes, args.slack_mb)
    print("verdict:", "RSS flat after warm-up" if ok else "RSS GREW after warm-up")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
