"""Real clients over TLS on sslmod: urllib.request, http.client, smtplib,
imaplib, ftplib, poplib, and urllib3/requests from PyPI, each against a
small loopback server (tests/clientutil.py) whose TLS is always the
interpreter's ssl.

Every scenario runs twice: once on the interpreter's ssl (the reference)
and once on sslmod, and what the client observed must be identical:
response bodies, replies, peer certificate dicts, TLS version and cipher,
and the exception (type, message, verify code) when verification fails.
sslmod runs either after ``sslmod.inject()`` (the client makes its own
context through ``import ssl``; undone by ``sslmod.extract()`` in the
fixture's finalizer) or with sslmod contexts passed explicitly and no
inject.  Each result also records which implementation carried the
connection, so a run that quietly used the stdlib fails.
"""
import ftplib
import http.client
import imaplib
import poplib
import smtplib
import urllib.error
import urllib.request

import pytest

pytest.register_assert_rewrite("clientutil")
import clientutil  # noqa: E402
import connutil as cu
from clientutil import stdlib_back_afterwards  # noqa: F401  (fixtures)
from clientutil import (
    HOST, TIMEOUT, REF, exc_report, tls_info, cert,
    HTTPSServer, SMTPServer, IMAPServer, POP3Server, FTPServer,
    require)


@pytest.fixture(params=["inject", "explicit"])
def runner(request):
    return clientutil.make_runner(request)


@pytest.fixture
def injected(request):
    """A runner for scenarios in which the client library makes its own
    context: only inject() can make that an sslmod one."""
    return clientutil.make_runner(request, "inject")


@pytest.fixture
def trust_ca(monkeypatch, tmp_path):
    """Make the default trust store (create_default_context()) our test CA
    only, through the OpenSSL environment variables both honour."""
    monkeypatch.setenv("SSL_CERT_FILE", cert("ca.pem"))
    monkeypatch.setenv("SSL_CERT_DIR", str(tmp_path))


@pytest.fixture
def https():
    with HTTPSServer() as server:
        yield server


@pytest.fixture
def https_wrong_host():
    with HTTPSServer("wrong-host") as server:
        yield server


def _socket_of(response):
    """The SSLSocket under an http.client response (read before the body
    is consumed: the response drops it at the end)."""
    return response.fp.raw._sock


def _root_ssl_error(exc):
    """The ssl exception at the bottom of a chain of wrappers (URLError,
    urllib3's MaxRetryError and SSLError, requests' SSLError)."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if clientutil.impl_of_exception(exc) is not None:
            return exc
        nxt = getattr(exc, "reason", None)
        if not isinstance(nxt, BaseException):
            nxt = next((a for a in exc.args if isinstance(a, BaseException)), None)
        exc = nxt or exc.__cause__ or exc.__context__
    return None


def _wrapped_failure(exc):
    return {"type": type(exc).__name__,
            "cause": exc_report(_root_ssl_error(exc))}


# ---- urllib.request ----------------------------------------------------------

def test_urlopen(runner, https):
    def scenario(env):
        ctx = env.client_context()
        with urllib.request.urlopen(https.url(path="/a?b=1"), context=ctx,
                                    timeout=TIMEOUT) as resp:
            tls = tls_info(_socket_of(resp))
            return {"status": resp.status, "type": resp.headers["Content-Type"],
                    "body": resp.read(), "tls": tls}
    result = runner.check(scenario)
    assert result["body"] == b"hello /a?b=1 over TLS\n"
    assert https.errors == []


@pytest.fixture
def fresh_opener():
    """urlopen() caches its opener, and from 3.13 the opener's HTTPS
    handler makes its context when it is built: start and end without one,
    so that no context outlives its run."""
    urllib.request.install_opener(None)
    yield
    urllib.request.install_opener(None)


def test_urlopen_default_context(injected, https, trust_ca, fresh_opener):
    """urlopen() without a context: urllib/http.client build it with
    ssl.create_default_context(), which inject() makes sslmod's."""
    def scenario(env):
        urllib.request.install_opener(None)
        with urllib.request.urlopen(https.url(), timeout=TIMEOUT) as resp:
            return {"tls": tls_info(_socket_of(resp)), "body": resp.read()}
    injected.check(scenario)


def test_urlopen_untrusted(runner, https):
    """The server's CA is not the one the client trusts."""
    def scenario(env):
        ctx = env.client_context("selfsigned.pem")
        try:
            urllib.request.urlopen(https.url(), context=ctx, timeout=TIMEOUT)
        except urllib.error.URLError as exc:
            return exc_report(exc)
        return "no error"
    result = runner.check(scenario)
    assert result["reason"]["type"] == "SSLCertVerificationError"
    assert result["reason"]["verify_code"] == 20


def test_urlopen_hostname_mismatch(runner, https_wrong_host):
    def scenario(env):
        try:
            urllib.request.urlopen(https_wrong_host.url(),
                                   context=env.client_context(), timeout=TIMEOUT)
        except urllib.error.URLError as exc:
            return exc_report(exc)
        return "no error"
    result = runner.check(scenario)
    assert result["reason"]["verify_code"] == 62


# ---- http.client --------------------------------------------------------------

def _http_exchange(conn):
    out = []
    conn.request("GET", "/first")
    resp = conn.getresponse()
    out.append((resp.status, resp.reason, resp.getheader("Content-Type"),
                tls_info(conn.sock), resp.read()))
    # The same connection again (keep-alive).
    conn.request("POST", "/post", body=b"x" * 5000,
                 headers={"Content-Type": "application/octet-stream"})
    resp = conn.getresponse()
    out.append((resp.status, resp.reason, tls_info(conn.sock), resp.read()))
    return out


def test_http_client(runner, https):
    def scenario(env):
        conn = http.client.HTTPSConnection("localhost", https.port,
                                           context=env.client_context(),
                                           timeout=TIMEOUT)
        try:
            return _http_exchange(conn)
        finally:
            conn.close()
    result = runner.check(scenario)
    assert result[1][-1] == b"got " + b"x" * 5000
    assert https.errors == []


def test_http_client_default_context(injected, https, trust_ca):
    def scenario(env):
        conn = http.client.HTTPSConnection("localhost", https.port, timeout=TIMEOUT)
        try:
            return _http_exchange(conn)
        finally:
            conn.close()
    injected.check(scenario)


def test_http_client_hostname_mismatch(runner, https_wrong_host):
    """The error is raised straight from request(); programs catch it with
    the stdlib's classes, so that must work for sslmod's too."""
    def scenario(env):
        conn = http.client.HTTPSConnection("localhost", https_wrong_host.port,
                                           context=env.client_context(),
                                           timeout=TIMEOUT)
        try:
            conn.request("GET", "/")
        except REF.ssl.CertificateError as exc:
            return {"error": exc_report(exc),
                    "is_stdlib_SSLError": isinstance(exc, REF.ssl.SSLError),
                    "is_env_SSLError": isinstance(exc, env.ssl.SSLError),
                    "is_ValueError": isinstance(exc, ValueError)}
        finally:
            conn.close()
        return "no error"
    result = runner.check(scenario)
    assert result["error"]["verify_code"] == 62


def test_http_client_untrusted_ip(runner, https):
    """Connecting by IP address to a server whose CA is unknown."""
    def scenario(env):
        ctx = env.client_context("selfsigned.pem")
        conn = http.client.HTTPSConnection(HOST, https.port, context=ctx,
                                           timeout=TIMEOUT)
        try:
            conn.request("GET", "/")
        except OSError as exc:
            return exc_report(exc)
        finally:
            conn.close()
        return "no error"
    runner.check(scenario)


# ---- smtplib ------------------------------------------------------------------

MAIL = "From: a@example.test\r\nTo: b@example.test\r\nSubject: hi\r\n\r\n.dot line\r\nbody\r\n"


@pytest.fixture
def smtps():
    with SMTPServer(context=cu.server_context(REF.ssl)) as server:
        yield server


@pytest.fixture
def smtp_plain():
    with SMTPServer(tls_context=cu.server_context(REF.ssl)) as server:
        yield server


def _smtp_session(smtp, server):
    ehlo = smtp.ehlo()
    login = smtp.login("user", "secret")
    refused = smtp.sendmail("a@example.test", ["b@example.test"], MAIL)
    tls = tls_info(smtp.sock)
    quit_reply = smtp.quit()
    return {"ehlo": ehlo, "login": login, "refused": refused, "tls": tls,
            "quit": quit_reply, "received": server.received.pop()}


def test_smtp_ssl(runner, smtps):
    def scenario(env):
        smtp = smtplib.SMTP_SSL("localhost", smtps.port, context=env.client_context(),
                                timeout=TIMEOUT)
        try:
            return _smtp_session(smtp, smtps)
        finally:
            smtp.close()
    result = runner.check(scenario)
    assert ".dot line" in result["received"]
    assert smtps.errors == []


def test_smtp_starttls(runner, smtp_plain):
    def scenario(env):
        smtp = smtplib.SMTP("localhost", smtp_plain.port, timeout=TIMEOUT)
        try:
            before = smtp.ehlo()
            started = smtp.starttls(context=env.client_context())
            return {"before": before, "starttls": started,
                    **_smtp_session(smtp, smtp_plain)}
        finally:
            smtp.close()
    result = runner.check(scenario)
    assert b"STARTTLS" in result["before"][1]
    assert b"STARTTLS" not in result["ehlo"][1]
    assert smtp_plain.errors == []


# ---- imaplib ------------------------------------------------------------------

@pytest.fixture
def imaps():
    with IMAPServer(context=cu.server_context(REF.ssl)) as server:
        yield server


def test_imap4_ssl(runner, imaps):
    def scenario(env):
        imap = imaplib.IMAP4_SSL("localhost", imaps.port,
                                 ssl_context=env.client_context(), timeout=TIMEOUT)
        out = {}
        try:
            out["capabilities"] = sorted(imap.capabilities)
            out["login"] = imap.login("user", "secret")
            out["select"] = imap.select("INBOX")
            out["fetch"] = imap.fetch("1", "(RFC822)")
            out["tls"] = tls_info(imap.sock)
        except BaseException:
            imap.shutdown()
            raise
        out["logout"] = imap.logout()  # also closes the connection
        return out
    result = runner.check(scenario)
    assert result["fetch"][1][0][1] == IMAPServer.MESSAGE.encode()
    assert imaps.errors == []


# ---- ftplib -------------------------------------------------------------------

@pytest.fixture
def ftp_server():
    with FTPServer(tls_context=cu.server_context(REF.ssl)) as server:
        yield server


def test_ftp_tls(runner, ftp_server):
    """AUTH TLS on the control connection, PROT P, then two protected
    transfers: one through retrbinary(), one by hand to see its socket."""
    def scenario(env):
        ftp = ftplib.FTP_TLS(context=env.client_context(), timeout=TIMEOUT)
        try:
            out = {"welcome": ftp.connect("localhost", ftp_server.port),
                   "login": ftp.login("user", "secret"),
                   "control": tls_info(ftp.sock),
                   "prot_p": ftp.prot_p()}
            chunks = []
            out["retr"] = ftp.retrbinary("RETR hello.txt", chunks.append)
            out["data"] = b"".join(chunks)
            conn = ftp.transfercmd("RETR hello.txt")
            try:
                out["data_tls"] = tls_info(conn)
                parts = []
                while True:
                    part = conn.recv(8192)
                    if not part:
                        break
                    parts.append(part)
                out["data2"] = b"".join(parts)
                conn.unwrap()
            finally:
                conn.close()
            out["after"] = ftp.voidresp()
            out["quit"] = ftp.quit()
            return out
        finally:
            ftp.close()
    result = runner.check(scenario)
    assert result["data"] == result["data2"] == FTPServer.FILES["hello.txt"]
    assert ftp_server.errors == []


# ---- poplib -------------------------------------------------------------------

@pytest.fixture
def pop3s():
    with POP3Server(context=cu.server_context(REF.ssl)) as server:
        yield server


@pytest.fixture
def pop3_plain():
    with POP3Server(tls_context=cu.server_context(REF.ssl)) as server:
        yield server


def _pop_session(pop):
    return {"user": pop.user("user"), "pass": pop.pass_("secret"),
            "stat": pop.stat(), "retr": pop.retr(1), "tls": tls_info(pop.sock),
            "quit": pop.quit()}


def test_pop3_ssl(runner, pop3s):
    def scenario(env):
        pop = poplib.POP3_SSL("localhost", pop3s.port, context=env.client_context(),
                              timeout=TIMEOUT)
        try:
            return {"welcome": pop.getwelcome(), **_pop_session(pop)}
        finally:
            pop.close()
    result = runner.check(scenario)
    assert result["retr"][1][-1] == b".starts with a dot"
    assert pop3s.errors == []


def test_pop3_stls(runner, pop3_plain):
    def scenario(env):
        pop = poplib.POP3("localhost", pop3_plain.port, timeout=TIMEOUT)
        try:
            return {"stls": pop.stls(context=env.client_context()),
                    **_pop_session(pop)}
        finally:
            pop.close()
    runner.check(scenario)
    assert pop3_plain.errors == []


# ---- the stdlib's own contexts, after inject() -----------------------------------

def test_stdlib_clients_make_sslmod_contexts(injected, smtps, smtp_plain, imaps,
                                             pop3s, pop3_plain, ftp_server):
    """Without a context argument smtplib, imaplib, poplib and ftplib call
    ssl._create_stdlib_context() (no verification); after inject() that is
    sslmod's."""
    def scenario(env):
        out = {}
        with smtplib.SMTP_SSL("localhost", smtps.port, timeout=TIMEOUT) as smtp:
            out["smtp_ssl"] = (smtp.noop(), tls_info(smtp.sock))
        with smtplib.SMTP("localhost", smtp_plain.port, timeout=TIMEOUT) as smtp:
            smtp.starttls()
            out["smtp_starttls"] = (smtp.noop(), tls_info(smtp.sock))
        imap = imaplib.IMAP4_SSL("localhost", imaps.port, timeout=TIMEOUT)
        out["imap"] = (imap.noop(), tls_info(imap.sock), imap.logout())
        pop = poplib.POP3_SSL("localhost", pop3s.port, timeout=TIMEOUT)
        out["pop_ssl"] = (pop.stat(), tls_info(pop.sock), pop.quit())
        pop = poplib.POP3("localhost", pop3_plain.port, timeout=TIMEOUT)
        out["pop_stls"] = (pop.stls(), tls_info(pop.sock), pop.quit())
        ftp = ftplib.FTP_TLS(timeout=TIMEOUT)
        ftp.connect("localhost", ftp_server.port)
        ftp.login()
        ftp.prot_p()
        chunks = []
        out["ftp"] = (ftp.retrbinary("RETR hello.txt", chunks.append),
                      tls_info(ftp.sock), len(b"".join(chunks)), ftp.quit())
        return out
    injected.check(scenario)


# ---- urllib3 and requests (test extras) -------------------------------------------

def _urllib3_exchange(pool, url):
    resp = pool.request("GET", url, preload_content=False, retries=False,
                        timeout=TIMEOUT)
    try:
        tls = tls_info(resp.connection.sock)
        body = resp.read()
    finally:
        resp.release_conn()
    return {"status": resp.status, "body": body, "tls": tls,
            "type": resp.headers["Content-Type"]}


def test_urllib3_pool_manager(runner, https):
    """urllib3.PoolManager(ssl_context=...) with the context made by the
    ssl under test (explicit), or urllib3's own after inject()."""
    urllib3 = require("urllib3")

    def scenario(env):
        if env.name == "inject":
            pool = urllib3.PoolManager(ca_certs=cert("ca.pem"))
        else:
            pool = urllib3.PoolManager(ssl_context=env.client_context())
        try:
            return _urllib3_exchange(pool, https.url(path="/u3"))
        finally:
            pool.clear()
    runner.check(scenario)
    assert https.errors == []


def test_urllib3_untrusted(runner, https):
    urllib3 = require("urllib3")

    def scenario(env):
        pool = urllib3.PoolManager(ssl_context=env.client_context("selfsigned.pem"))
        try:
            pool.request("GET", https.url(), retries=False, timeout=TIMEOUT)
        except urllib3.exceptions.HTTPError as exc:
            return _wrapped_failure(exc)
        finally:
            pool.clear()
        return "no error"
    result = runner.check(scenario)
    assert result["cause"]["verify_code"] == 20


def test_requests(injected, https):
    """requests after inject(): urllib3 builds its context from the
    injected ssl; verify= names our CA."""
    requests = require("requests")

    def scenario(env):
        with requests.Session() as session:
            resp = session.get(https.url(path="/rq"), verify=cert("ca.pem"),
                               timeout=TIMEOUT, stream=True)
            with resp:
                tls = tls_info(resp.raw.connection.sock)
                return {"status": resp.status_code, "text": resp.text, "tls": tls}
    result = injected.check(scenario)
    assert result["text"] == "hello /rq over TLS\n"


def test_requests_explicit_context(runner, https):
    """requests with an adapter handing urllib3 the context under test."""
    requests = require("requests")
    adapters = require("requests.adapters")

    class ContextAdapter(adapters.HTTPAdapter):
        def __init__(self, context):
            self.context = context
            super().__init__()

        def init_poolmanager(self, *args, **kwargs):
            kwargs["ssl_context"] = self.context
            return super().init_poolmanager(*args, **kwargs)

    def scenario(env):
        with requests.Session() as session:
            session.mount("https://", ContextAdapter(env.client_context()))
            resp = session.post(https.url(path="/p"), data=b"abc",
                                timeout=TIMEOUT, stream=True)
            with resp:
                tls = tls_info(resp.raw.connection.sock)
                return {"status": resp.status_code, "content": resp.content,
                        "tls": tls}
    runner.check(scenario)


def test_requests_hostname_mismatch(injected, https_wrong_host):
    requests = require("requests")

    def scenario(env):
        try:
            requests.get(https_wrong_host.url(), verify=cert("ca.pem"), timeout=TIMEOUT)
        except requests.exceptions.SSLError as exc:
            return _wrapped_failure(exc)
        return "no error"
    result = injected.check(scenario)
    assert result["cause"]["verify_code"] == 62
