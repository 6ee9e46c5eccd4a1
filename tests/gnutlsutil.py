"""GnuTLS's command-line tools as TLS peers: ``gnutls-serv`` (an echo
server) for our clients and ``gnutls-cli`` for our servers.

The tools come from Debian's ``gnutls-bin``.  If they are missing the tests
fail, saying how to install them; they are skipped only when the
environment variable SSLMOD_NO_GNUTLS is set, and its value (the reason
GnuTLS is intentionally unavailable) is the skip message.

Everything is bounded: the server's readiness is read from its own
"listening" line, ports are chosen free and retried if taken, every wait
has a deadline, and the processes are killed on the way out.
"""
import contextlib
import os
import re
import selectors
import shutil
import signal
import socket
import subprocess
import time

import pytest

HOST = "127.0.0.1"
TIMEOUT = 10.0
GNUTLS_SERV = shutil.which("gnutls-serv")
GNUTLS_CLI = shutil.which("gnutls-cli")

# GnuTLS priority strings for one protocol version each.
PRIORITY = {
    "TLSv1.2": "NORMAL:-VERS-ALL:+VERS-TLS1.2",
    "TLSv1.3": "NORMAL:-VERS-ALL:+VERS-TLS1.3",
}


def require_gnutls():
    """Fail (or, with SSLMOD_NO_GNUTLS=<reason>, skip) without the tools."""
    reason = os.environ.get("SSLMOD_NO_GNUTLS")
    if reason:
        pytest.skip("GnuTLS interop intentionally not run: SSLMOD_NO_GNUTLS=%s" % reason)
    missing = [n for n, p in (("gnutls-serv", GNUTLS_SERV), ("gnutls-cli", GNUTLS_CLI))
               if p is None]
    if missing:
        pytest.fail("%s not installed: the GnuTLS interop tests need Debian's gnutls-bin "
                    "(apt-get install -y gnutls-bin), or set SSLMOD_NO_GNUTLS=<reason> "
                    "to skip them on purpose" % " and ".join(missing))


def _free_port():
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class Output:
    """Collects a process's merged stdout/stderr without blocking."""

    def __init__(self, proc):
        self.proc = proc
        self.data = b""
        os.set_blocking(proc.stdout.fileno(), False)

    def _pull(self, timeout):
        with selectors.DefaultSelector() as sel:
            sel.register(self.proc.stdout, selectors.EVENT_READ)
            if not sel.select(timeout):
                return False
        try:
            chunk = os.read(self.proc.stdout.fileno(), 65536)
        except BlockingIOError:
            return True
        if not chunk:
            return None
        self.data += chunk
        return True

    def wait_for(self, pattern, timeout=TIMEOUT):
        """Read until PATTERN (bytes regex) appears; returns the match."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            m = regex.search(self.data)
            if m:
                return m
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("no %r from %s within %.0fs; output:\n%s" % (
                    pattern, self.proc.args[0], timeout, self.text()))
            if self._pull(left) is None:
                m = regex.search(self.data)
                if m:
                    return m
                raise AssertionError("%s exited (rc %s) before %r; output:\n%s" % (
                    self.proc.args[0], self.proc.poll(), pattern, self.text()))

    def until_exit(self, timeout=TIMEOUT):
        """Everything until the process closes its output; returns it."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("%s did not finish; output:\n%s" % (
                    self.proc.args[0], self.text()))
            if self._pull(left) is None:
                return self.data

    def drain(self):
        while self._pull(0):
            pass
        return self.data

    def text(self):
        return self.data.decode("latin-1")


def _tool_env():
    """The environment for the GnuTLS tools: ours, without the sanitizer
    runtime the ASan CI run preloads (it is for sslmod, and in gnutls-cli
    it keeps the process from ending when its stdin closes)."""
    env = dict(os.environ)
    for name in ("LD_PRELOAD", "ASAN_OPTIONS", "UBSAN_OPTIONS"):
        env.pop(name, None)
    return env


def _kill(proc):
    if proc.stdin is not None:
        with contextlib.suppress(OSError):
            proc.stdin.close()
    if proc.poll() is None:
        proc.kill()
    proc.wait(TIMEOUT)
    with contextlib.suppress(OSError):
        proc.stdout.close()


@contextlib.contextmanager
def gnutls_serv(*args, leaf="server-rsa", certdir):
    """Run ``gnutls-serv --echo`` serving LEAF's chain from CERTDIR on a free
    port; yields (process, port, Output) once it listens.  ARGS are extra
    options."""
    require_gnutls()
    for attempt in range(5):
        port = _free_port()
        proc = subprocess.Popen(
            [GNUTLS_SERV, "--echo", "-p", str(port),
             "--x509certfile", os.path.join(certdir, leaf + "-chain.pem"),
             "--x509keyfile", os.path.join(certdir, leaf + ".key"), *args],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            env=_tool_env())
        out = Output(proc)
        try:
            out.wait_for(rb"listening on IPv4 [^\n]* port %d\.\.\.done" % port)
        except AssertionError:
            _kill(proc)
            if b"bind" in out.data and attempt < 4:
                continue            # the port was taken meanwhile
            raise
        break
    try:
        yield proc, port, out
    finally:
        _kill(proc)


@contextlib.contextmanager
def gnutls_cli(port, *args, certdir):
    """Run ``gnutls-cli`` against 127.0.0.1:PORT trusting the test CA;
    yields (process, Output).  Its stdin is a pipe: what is written there
    is sent, and closing it ends the session (with close_notify)."""
    require_gnutls()
    proc = subprocess.Popen(
        [GNUTLS_CLI, "-p", str(port), "--x509cafile", os.path.join(certdir, "ca.pem"),
         "--sni-hostname", "localhost", "--verify-hostname", "localhost", *args, HOST],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        env=_tool_env())
    try:
        yield proc, Output(proc)
    finally:
        _kill(proc)


def kill_now(proc):
    """SIGKILL: the peer vanishes without close_notify."""
    proc.send_signal(signal.SIGKILL)
    proc.wait(TIMEOUT)
