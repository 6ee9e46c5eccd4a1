"""Helpers for the documentation's examples (sphinx.ext.doctest).

The examples connect to real TLS servers; these run on loopback in threads,
with the test suite's certificates, and stop when the page's tests end."""
import os
import socket
import threading

import sslmod as ssl

HERE = os.path.dirname(os.path.abspath(__file__))
CERTS = os.path.join(os.path.dirname(HERE), "tests", "certs")
CA = os.path.join(CERTS, "ca.pem")
SERVER_CHAIN = os.path.join(CERTS, "server-rsa-chain.pem")
SERVER_KEY = os.path.join(CERTS, "server-rsa.key")
CLIENT_CERT = os.path.join(CERTS, "client.pem")
CLIENT_KEY = os.path.join(CERTS, "client.key")

_servers = []

__all__ = ["ssl", "socket", "CERTS", "CA", "SERVER_CHAIN", "SERVER_KEY", "CLIENT_CERT",
           "CLIENT_KEY", "start_echo_server", "stop_servers", "os"]


class _EchoServer:
    """Accepts connections until stopped; echoes each one's data upper-cased."""

    def __init__(self, context):
        self.context = context
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.2)
        self.port = self.listener.getsockname()[1]
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.stopping.is_set():
            try:
                conn, _ = self.listener.accept()
            except OSError:
                continue
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        conn.settimeout(10)
        try:
            with self.context.wrap_socket(conn, server_side=True) as tls:
                while True:
                    data = tls.recv(4096)
                    if not data:
                        break
                    tls.sendall(data.upper())
        except (OSError, ssl.SSLError):
            pass
        finally:
            conn.close()

    def stop(self):
        self.stopping.set()
        self.thread.join(5)
        self.listener.close()


def start_echo_server(context=None):
    """Start a loopback TLS echo server; returns its port."""
    if context is None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(SERVER_CHAIN, SERVER_KEY)
    server = _EchoServer(context)
    _servers.append(server)
    return server.port


def stop_servers():
    while _servers:
        _servers.pop().stop()
