"""``python -m sslmod`` (Lib/__main__.py), run in a child process with this
process's interpreter and environment.

Without arguments it prints the build report (sslmod's version, the OpenSSL
it was compiled against and the one it runs on, every HAS_* flag) and a
loopback TLS 1.3 self-check; ``info`` prints the report only; a usage error
exits with 2 and a failed self-check with 1.  ``run SCRIPT``/``run -m
MODULE`` execute a program with sslmod injected: those tests check that the
program's ``import ssl`` really is sslmod, that its arguments and exit
status are passed through, and that a real connection to a stdlib TLS server
in this process works.
"""
import os
import re
import subprocess
import sys
import textwrap

import pytest

import ssl as std

import connutil as cu
from conftest import load_impl, load_sslmod_core

CHILD_TIMEOUT = 6 * cu.TIMEOUT   # generous for the sanitizer run; never hit when passing

USAGE_FIRST_LINE = "python -m sslmod                      versions, features, loopback self-check"


def sslmod_module():
    return load_impl("sslmod")


def child_env(**extra):
    """This process's environment (PYTHONPATH included), plus EXTRA; an
    EXTRA value of None removes the variable."""
    env = dict(os.environ)
    for key, value in extra.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def run_cli(*args, env=None, cwd=None):
    """``python -m sslmod ARGS``: the CompletedProcess (text)."""
    return subprocess.run([sys.executable, "-m", "sslmod", *args],
                          capture_output=True, text=True, timeout=CHILD_TIMEOUT,
                          env=child_env() if env is None else env, cwd=cwd)


def prepend_path(*dirs):
    old = os.environ.get("PYTHONPATH")
    return os.pathsep.join([str(d) for d in dirs] + ([old] if old else []))


def expected_flags():
    """{name: "yes"/"no"} for every HAS_* flag of the ssl API (the C core's
    and the one the Python layer adds)."""
    mod = sslmod_module()
    return {n: "yes" if getattr(mod, n) else "no" for n in dir(mod) if n.startswith("HAS_")}


def printed_flags(stdout):
    """{name: value} of the "  HAS_X    yes" lines."""
    return dict(re.findall(r"^  (HAS_\w+) +(yes|no)$", stdout, re.M))


def check_report(stdout):
    """The build report part of the output: version, both OpenSSL versions,
    the flags.  Returns the lines."""
    mod = sslmod_module()
    core = load_sslmod_core()
    lines = stdout.splitlines()
    head = "sslmod {} on Python {} (".format(mod.__version__, sys.version.split()[0])
    assert lines[0].startswith(head), lines[0]
    # The child imported the same sslmod as this process.
    assert lines[0] == head + os.path.dirname(mod.__file__) + ")"
    assert isinstance(core._OPENSSL_BUILD_VERSION, str) and core._OPENSSL_BUILD_VERSION
    assert lines[1].startswith("built with:   " + core._OPENSSL_BUILD_VERSION), lines[1]
    assert "(_OPENSSL_API_VERSION {})".format(tuple(core._OPENSSL_API_VERSION)) in lines[1]
    assert lines[2] == "running with: " + mod.OPENSSL_VERSION
    assert mod.OPENSSL_VERSION == core.OPENSSL_VERSION
    assert lines[3] == "features:"
    flags = expected_flags()
    assert len(flags) >= 10 and "HAS_TLSv1_3" in flags
    assert printed_flags(stdout) == flags
    # The flag values also agree with the public module's.
    assert all((getattr(mod, n) and "yes" or "no") == v for n, v in flags.items())
    return lines


# ---- the report and the self-check -------------------------------------------------

def test_default_command_reports_and_self_checks(tmp_path):
    proc = run_cli(cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stderr == ""
    check_report(proc.stdout)
    out = proc.stdout
    assert re.search(r"^self-check passed \(certificate made with the "
                     r"(openssl command|cryptography package)\):$", out, re.M), out
    assert re.search(r"^  protocol:   TLSv1\.3$", out, re.M), out
    cipher = re.search(r"^  cipher:     (TLS_\w+) \((\d+) bits\)$", out, re.M)
    assert cipher, out
    # A TLS 1.3 suite the stdlib also knows by that name.
    assert cipher.group(1) in {c["name"] for c in std.create_default_context().get_ciphers()}
    assert int(cipher.group(2)) >= 128
    handshake = re.search(r"^  handshake:  (\d+\.\d) ms$", out, re.M)
    trip = re.search(r"^  round trip: (\d+\.\d) ms for 64 KiB each way$", out, re.M)
    assert handshake and trip, out
    assert float(handshake.group(1)) >= 0 and float(trip.group(1)) >= 0


def test_check_is_the_default_command(tmp_path):
    proc = run_cli("check", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    check_report(proc.stdout)
    assert "self-check passed" in proc.stdout


def test_info_prints_the_report_only(tmp_path):
    proc = run_cli("info", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stderr == ""
    lines = check_report(proc.stdout)
    assert len(lines) == 5 + len(expected_flags()) + len(printed_extensions(proc.stdout))
    assert "self-check" not in proc.stdout


def printed_extensions(stdout):
    """{feature: availability} of the lines after "beyond the stdlib:"."""
    part = stdout.split("beyond the stdlib:\n", 1)[1].split("\n\n", 1)[0]
    return dict(re.findall(r"^  (.+?) {2,}(yes|no.*)$", part, re.M))


def test_info_lists_the_extensions(tmp_path):
    """Each extension is reported as the module really offers it."""
    proc = run_cli("info", cwd=tmp_path)
    ext = printed_extensions(proc.stdout)
    mod = sslmod_module()
    ctx = mod.SSLContext(mod.PROTOCOL_TLS_CLIENT)
    assert ext["export_keying_material()"] == "yes"
    assert hasattr(mod.SSLObject, "export_keying_material")
    assert ext["OCSP stapling (set_ocsp_response, ocsp_stapling)"] == "yes"
    assert ctx.ocsp_stapling == mod.OCSP_NONE
    assert ext["set_groups/get_groups/group()"] == "yes"
    ctx.set_groups("X25519:P-256")
    assert ext["SSLContext.release_buffers"] == "yes"
    assert ctx.release_buffers is True
    assert ext["get_channel_binding('tls-exporter')"] == "yes"
    try:
        mod.get_sigalgs()
    except NotImplementedError:
        assert ext["get_sigalgs()"].startswith("no (")
    else:
        assert ext["get_sigalgs()"] == "yes"


def test_report_lists_every_public_has_flag(tmp_path):
    mod = sslmod_module()
    public = {n: "yes" if getattr(mod, n) else "no" for n in dir(mod) if n.startswith("HAS_")}
    assert "HAS_NEVER_CHECK_COMMON_NAME" in public
    proc = run_cli("info", cwd=tmp_path)
    assert proc.returncode == 0
    assert printed_flags(proc.stdout) == public


@pytest.mark.parametrize("args", [["-h"], ["--help"], ["help"]])
def test_help(tmp_path, args):
    proc = run_cli(*args, cwd=tmp_path)
    assert proc.returncode == 0
    assert proc.stdout.startswith("usage: python -m sslmod ")
    assert USAGE_FIRST_LINE in proc.stdout and "run -m MODULE" in proc.stdout
    for command in ("info", "selftest", "client", "server", "cert", "run"):
        assert re.search(r"^    python -m sslmod %s\b" % command, proc.stdout, re.M), command
    assert proc.stderr == ""


@pytest.mark.parametrize("args", [["bogus"], ["--bogus"], ["info", "extra"],
                                  ["check", "now"], ["run"], ["run", "-m"],
                                  ["client"], ["client", "localhost:notaport"],
                                  ["client", "[::1"], ["client", "--tls1.2", "--tls1.3", "x"],
                                  ["client", "localhost", "--key", "k.pem"],
                                  ["server", "--echo", "--http"], ["server", "--port", "0"],
                                  ["cert"], ["selftest", "x"]])
def test_usage_error_exits_2(tmp_path, args):
    proc = run_cli(*args, cwd=tmp_path)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stdout == ""
    assert proc.stderr.startswith(("usage: python -m sslmod", "sslmod client: ",
                                   "sslmod server: ")), proc.stderr


def fake_openssl(tmp_path, body):
    """A directory holding an executable "openssl" shell script with BODY."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    exe = bindir / "openssl"
    exe.write_text("#!/bin/sh\n" + body)
    exe.chmod(0o755)
    return bindir


def test_failed_self_check_exits_1(tmp_path):
    # The certificate cannot be made: "openssl req" fails.
    bindir = fake_openssl(tmp_path, "echo 'no entropy today' >&2\nexit 1\n")
    proc = run_cli(cwd=tmp_path, env=child_env(PATH=str(bindir)))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    check_report(proc.stdout)
    assert re.search(r"^self-check FAILED: RuntimeError: 'openssl req' failed: "
                     r"no entropy today$", proc.stdout, re.M), proc.stdout


def test_self_check_with_a_certificate_that_is_not_one_exits_1(tmp_path):
    # "openssl req" succeeds but hands back a certificate OpenSSL refuses.
    bindir = fake_openssl(tmp_path, textwrap.dedent("""\
        printf -- '-----BEGIN PRIVATE KEY-----\\nAAAA\\n-----END PRIVATE KEY-----\\n'
        printf -- '-----BEGIN CERTIFICATE-----\\nAAAA\\n-----END CERTIFICATE-----\\n'
        """))
    proc = run_cli(cwd=tmp_path, env=child_env(PATH=str(bindir)))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    check_report(proc.stdout)
    assert re.search(r"^self-check FAILED: SSLError: ", proc.stdout, re.M), proc.stdout


def block_cryptography(tmp_path):
    """A PYTHONPATH entry whose "cryptography" package fails to import."""
    shadow = tmp_path / "shadow"
    (shadow / "cryptography").mkdir(parents=True)
    (shadow / "cryptography" / "__init__.py").write_text(
        "raise ImportError('cryptography hidden by the test')\n")
    return shadow


def test_self_check_without_any_certificate_maker_is_skipped(tmp_path):
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    env = child_env(PATH=str(empty), PYTHONPATH=prepend_path(block_cryptography(tmp_path)))
    proc = run_cli(cwd=tmp_path, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    check_report(proc.stdout)
    assert proc.stdout.endswith(
        "\nself-check skipped: neither the 'openssl' command nor the 'cryptography' "
        "package is available to make a test certificate.\n"), proc.stdout


def test_self_check_with_cryptography_instead_of_openssl(tmp_path):
    import importlib.util
    if importlib.util.find_spec("cryptography") is None:
        pytest.skip("the cryptography package is not installed for this interpreter")
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    proc = run_cli(cwd=tmp_path, env=child_env(PATH=str(empty)))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "self-check passed (certificate made with the cryptography package):" in proc.stdout
    assert re.search(r"^  protocol:   TLSv1\.3$", proc.stdout, re.M)


# ---- run ---------------------------------------------------------------------------

# What the program reports about the ssl it got and about a connection to
# the stdlib server in the test process (argv[1] is its port; the CA file,
# the rest of its arguments).
PROBE = textwrap.dedent("""\
    import json
    import socket
    import sys

    import ssl
    import sslmod

    port, cafile = int(sys.argv[1]), sys.argv[2]
    ctx = ssl.create_default_context(cafile=cafile)
    with socket.create_connection(("127.0.0.1", port), timeout=30) as raw:
        with ctx.wrap_socket(raw, server_hostname="localhost") as tls:
            tls.sendall(b"hello from the child")
            reply = b""
            while len(reply) < 20:
                data = tls.recv(20 - len(reply))
                if not data:
                    break
                reply += data
            version = tls.version()
            socket_module = type(tls).__module__
    print(json.dumps({
        "ssl_name": ssl.__name__,
        "ssl_is_sslmod": ssl is sslmod.ssl,
        "sys_modules_ssl": sys.modules["ssl"].__name__,
        "context_module": ssl.SSLContext.__module__,
        "made_context_module": type(ctx).__module__,
        "socket_module": socket_module,
        "argv": sys.argv,
        "main": __name__,
        "reply": reply.decode(),
        "version": version,
        "helper": __import__("probe_helper").VALUE,
    }))
""")


def write_probe(directory, name):
    directory.mkdir(exist_ok=True)
    path = directory / name
    path.write_text(PROBE)
    # Something only importable from the program's own directory.
    (directory / "probe_helper.py").write_text("VALUE = 'found next to the program'\n")
    return path


def check_probe(proc, port, extra_args):
    import json
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stderr == ""
    got = json.loads(proc.stdout)
    mod = sslmod_module()
    assert got["ssl_is_sslmod"] is True
    assert got["ssl_name"] == mod.ssl.__name__ == got["sys_modules_ssl"]
    assert got["ssl_name"].startswith("sslmod")
    assert got["context_module"] == mod.SSLContext.__module__
    assert got["context_module"].startswith("sslmod")
    assert got["made_context_module"] == got["context_module"]
    assert got["socket_module"].startswith("sslmod")
    assert got["argv"][1:] == [str(port), cu.CA] + extra_args
    assert got["main"] == "__main__"
    assert got["reply"] == "HELLO FROM THE CHILD"
    assert got["version"] in ("TLSv1.2", "TLSv1.3")
    assert got["helper"] == "found next to the program"
    return got


def stdlib_echo_server():
    return cu.Server(cu.server_context(std), cu.echo_once)


def test_run_script(tmp_path):
    script = write_probe(tmp_path / "prog", "probe.py")
    args = ["--flag", "two words", "-m", "x"]
    with stdlib_echo_server() as srv:
        proc = run_cli("run", str(script), str(srv.port), cu.CA, *args, cwd=tmp_path)
    got = check_probe(proc, srv.port, args)
    assert got["argv"][0] == str(script)
    # The stdlib server saw a clean exchange.
    assert srv.outcome == ("ok", b"hello from the child")


def test_run_module(tmp_path):
    moddir = tmp_path / "mods"
    path = write_probe(moddir, "sslmod_cli_probe.py")
    env = child_env(PYTHONPATH=prepend_path(moddir))
    with stdlib_echo_server() as srv:
        proc = run_cli("run", "-m", "sslmod_cli_probe", str(srv.port), cu.CA, "last",
                       cwd=tmp_path, env=env)
    got = check_probe(proc, srv.port, ["last"])
    assert got["argv"][0] == str(path)
    assert srv.outcome == ("ok", b"hello from the child")


@pytest.mark.parametrize("how", ["script", "module"])
def test_run_propagates_exit_status(tmp_path, how):
    (tmp_path / "exits3.py").write_text("import sys\nprint('before')\nsys.exit(3)\n")
    target = ["-m", "exits3"] if how == "module" else [str(tmp_path / "exits3.py")]
    env = child_env(PYTHONPATH=prepend_path(tmp_path))
    proc = run_cli("run", *target, cwd=tmp_path, env=env)
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert proc.stdout == "before\n"
    assert proc.stderr == ""


@pytest.mark.parametrize("how", ["script", "module"])
def test_run_exception_gives_traceback(tmp_path, how):
    (tmp_path / "fails.py").write_text(
        "def inner():\n    raise LookupError('raised by the program')\ninner()\n")
    target = ["-m", "fails"] if how == "module" else [str(tmp_path / "fails.py")]
    env = child_env(PYTHONPATH=prepend_path(tmp_path))
    proc = run_cli("run", *target, cwd=tmp_path, env=env)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert proc.stderr.startswith("Traceback (most recent call last):\n")
    assert "in inner" in proc.stderr
    assert proc.stderr.rstrip().endswith("LookupError: raised by the program")


def test_run_missing_script_fails(tmp_path):
    proc = run_cli("run", str(tmp_path / "no-such-script.py"), cwd=tmp_path)
    assert proc.returncode != 0
    assert "no-such-script.py" in proc.stderr


def test_run_missing_module_fails(tmp_path):
    proc = run_cli("run", "-m", "no_such_module_for_sslmod_tests", cwd=tmp_path)
    assert proc.returncode != 0
    assert "No module named" in proc.stderr and "no_such_module_for_sslmod_tests" in proc.stderr


# ---- client: against real `openssl s_server` peers ---------------------------------

import contextlib  # noqa: E402
import hashlib  # noqa: E402
import json  # noqa: E402
import ssl as std_ssl  # noqa: E402
import time  # noqa: E402


def certfile(name):
    return os.path.join(cu.CERTDIR, name)


@contextlib.contextmanager
def s_server(leaf="server-rsa", *args, naccept=2):
    """`openssl s_server` with LEAF's certificate, key and the intermediate,
    accepting NACCEPT connections; yields its port."""
    if cu.OPENSSL is None:
        raise AssertionError("the openssl command-line tool is not installed")
    proc = subprocess.Popen(
        [cu.OPENSSL, "s_server", "-accept", "%s:0" % cu.HOST, "-naccept", str(naccept),
         "-cert", certfile(leaf + ".pem"), "-key", certfile(leaf + ".key"),
         "-cert_chain", certfile("intermediate.pem"), *args],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, bufsize=0)
    try:
        m = cu._read_until(proc, r"ACCEPT .*:(\d+)")
        yield int(m.group(1))
    finally:
        cu._kill(proc)


def client(port, *args, host="localhost", env=None):
    return run_cli("client", "%s:%d" % (host, port), *args, env=env)


def client_json(port, *args, host="localhost"):
    proc = client(port, "--json", *args, host=host)
    assert proc.stdout, proc.stderr
    return proc, json.loads(proc.stdout)


CERT_KEYS = {"subject", "issuer", "serial", "not_before", "not_after", "days_left",
             "valid_now", "san", "key", "signature_algorithm", "sha256", "sha1"}
REPORT_KEYS = {"host", "port", "servername", "peer", "verify", "protocol", "cipher", "group",
               "alpn", "ocsp", "session", "timings_ms", "trust_anchor", "chain", "exit"}


def check_schema(report):
    """The --json report's shape: every key, with its type."""
    assert set(report) - {"reconnect"} == REPORT_KEYS, sorted(report)
    assert isinstance(report["port"], int)
    assert set(report["verify"]) == {"requested", "ok", "code", "message"}
    assert set(report["cipher"]) == {"name", "protocol", "bits"}
    assert isinstance(report["cipher"]["bits"], int)
    assert set(report["session"]) == {"ticket", "ticket_lifetime_hint", "reused"}
    assert set(report["timings_ms"]) == {"lookup", "tcp_connect", "handshake"}
    assert all(isinstance(v, float) and v >= 0 for v in report["timings_ms"].values())
    assert report["chain"], "no certificate in the chain"
    for cert in report["chain"]:
        assert set(cert) == CERT_KEYS, sorted(cert)
        assert set(cert["key"]) == {"type", "bits", "curve"}
        assert isinstance(cert["days_left"], int) and isinstance(cert["san"], list)
        assert re.fullmatch(r"([0-9A-F]{2}:){31}[0-9A-F]{2}", cert["sha256"])


def colon_hex(digest):
    return ":".join("%02X" % b for b in digest)


def der_of(name):
    with open(certfile(name), "rb") as f:
        return std_ssl.PEM_cert_to_DER_cert(f.read().decode())


def stdlib_verify_error(port, cafile, hostname="localhost"):
    """(verify_code, verify_message) the interpreter's ssl reports for PORT."""
    ctx = std_ssl.create_default_context(cafile=cafile)
    with socket_connect(port) as raw:
        with pytest.raises(std_ssl.SSLCertVerificationError) as info:
            ctx.wrap_socket(raw, server_hostname=hostname)
    return info.value.verify_code, info.value.verify_message


def socket_connect(port):
    import socket
    return socket.create_connection((cu.HOST, port), timeout=cu.TIMEOUT)


def test_client_good_chain():
    with s_server(naccept=2) as port:
        text = client(port, "--cafile", certfile("ca.pem"))
        proc, report = client_json(port, "--cafile", certfile("ca.pem"))
    assert text.returncode == 0, text.stdout + text.stderr
    out = text.stdout
    assert "\x1b[" not in out    # no colour on a pipe
    assert re.search(r"^connected to 127\.0\.0\.1:%d \(localhost:%d, SNI localhost\)$"
                     % (port, port), out, re.M), out
    assert re.search(r"^  timings    name lookup \d+\.\d ms, TCP connect \d+\.\d ms, "
                     r"TLS handshake \d+\.\d ms$", out, re.M), out
    assert re.search(r"^  protocol   TLSv1\.3$", out, re.M)
    assert re.search(r"^certificate chain \(2 sent by the server\):$", out, re.M)
    assert re.search(r"^   0 subject    C=XX, O=sslmod tests, CN=localhost$", out, re.M)
    assert re.search(r"^     issuer     C=XX, O=sslmod tests, CN=sslmod test intermediate CA$",
                     out, re.M)
    assert re.search(r"^     SANs       DNS:localhost, IP Address:127\.0\.0\.1, ", out, re.M)
    assert re.search(r"^     key        RSA 2048 bits$", out, re.M)
    assert re.search(r"^     signature  sha256WithRSAEncryption$", out, re.M)
    assert re.search(r"^   1 subject    C=XX, O=sslmod tests, CN=sslmod test intermediate CA$",
                     out, re.M)
    assert out.rstrip().endswith(
        "verification: OK (trust anchor: C=XX, O=sslmod tests, CN=sslmod test root CA)")
    assert proc.returncode == 0
    check_schema(report)
    assert report["verify"] == {"requested": True, "ok": True, "code": 0, "message": "ok"}
    assert report["exit"] == 0 and report["protocol"] == "TLSv1.3"
    assert report["servername"] == "localhost" and report["peer"] == "127.0.0.1:%d" % port
    leaf, inter = report["chain"]
    assert leaf["sha256"] == colon_hex(hashlib.sha256(der_of("server-rsa.pem")).digest())
    assert inter["sha256"] == colon_hex(hashlib.sha256(der_of("intermediate.pem")).digest())
    assert leaf["san"] == ["DNS:localhost", "IP Address:127.0.0.1", "IP Address:0:0:0:0:0:0:0:1"]
    assert leaf["valid_now"] is True
    expected_days = int((std_ssl.cert_time_to_seconds(leaf["not_after"]) - time.time()) // 86400)
    assert abs(leaf["days_left"] - expected_days) <= 1
    assert report["session"]["ticket"] is True and report["session"]["reused"] is False


def test_client_wrong_host():
    with s_server("wrong-host", naccept=3) as port:
        expected = stdlib_verify_error(port, certfile("ca.pem"))
        proc, report = client_json(port, "--cafile", certfile("ca.pem"))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    check_schema(report)
    assert (report["verify"]["code"], report["verify"]["message"]) == expected
    assert report["verify"]["code"] == 62 and "wrong" not in report["verify"]["message"]
    assert report["verify"]["ok"] is False and report["exit"] == 1
    # The chain is still shown (from a second, unverified connection).
    assert report["chain"][0]["subject"].endswith("CN=wrong.example")
    assert report["chain"][0]["san"] == ["DNS:wrong.example"]


def test_client_wrong_host_text_and_servername():
    with s_server("wrong-host", naccept=3) as port:
        text = client(port, "--cafile", certfile("ca.pem"))
        good = client(port, "--cafile", certfile("ca.pem"), "--servername", "wrong.example",
                      host="127.0.0.1")
    assert text.returncode == 1
    assert re.search(r"^verification: FAILED: Hostname mismatch, certificate is not valid "
                     r"for 'localhost'\. \(X509 error 62\)$", text.stdout, re.M), text.stdout
    assert good.returncode == 0, good.stdout + good.stderr
    assert "SNI wrong.example" in good.stdout and "verification: OK" in good.stdout


def test_client_expired():
    with s_server("expired", naccept=4) as port:
        expected = stdlib_verify_error(port, certfile("ca.pem"))
        proc, report = client_json(port, "--cafile", certfile("ca.pem"))
        text = client(port, "--cafile", certfile("ca.pem"), "--no-verify", host="127.0.0.1")
    assert proc.returncode == 1
    check_schema(report)
    assert (report["verify"]["code"], report["verify"]["message"]) == expected
    assert expected == (10, "certificate has expired")
    leaf = report["chain"][0]
    assert leaf["valid_now"] is False and leaf["days_left"] < -5000
    assert leaf["not_after"] == "Jan  1 00:00:00 2010 GMT"
    # --no-verify: exit 0, the expiry still shown.
    assert text.returncode == 0, text.stdout + text.stderr
    assert re.search(r"\(expired \d+ days ago\)$", text.stdout, re.M)
    assert "verification: skipped (--no-verify)" in text.stdout


def test_client_untrusted_ca():
    with s_server(naccept=3) as port:
        expected = stdlib_verify_error(port, certfile("selfsigned.pem"))
        proc, report = client_json(port, "--cafile", certfile("selfsigned.pem"))
    assert proc.returncode == 1
    assert (report["verify"]["code"], report["verify"]["message"]) == expected
    assert expected[0] == 20     # unable to get local issuer certificate
    assert report["trust_anchor"] is None and len(report["chain"]) == 2


def test_client_alpn():
    with s_server("server-rsa", "-alpn", "h2", naccept=2) as port:
        text = client(port, "--cafile", certfile("ca.pem"), "--alpn", "h2,http/1.1")
        proc, report = client_json(port, "--cafile", certfile("ca.pem"), "--alpn", "http/1.1,h2")
    assert text.returncode == 0 and re.search(r"^  ALPN       h2$", text.stdout, re.M)
    assert proc.returncode == 0 and report["alpn"] == "h2"


def test_client_tls12_only_server():
    with s_server("server-ecdsa", "-tls1_2", naccept=3) as port:
        proc, report = client_json(port, "--cafile", certfile("ca.pem"), "--reconnect")
        refused = client(port, "--cafile", certfile("ca.pem"), "--tls1.3")
    assert proc.returncode == 0, proc.stderr
    check_schema(report)
    assert report["protocol"] == "TLSv1.2" and report["cipher"]["protocol"] == "TLSv1.2"
    assert report["cipher"]["name"].startswith("ECDHE-ECDSA-")
    assert report["chain"][0]["key"] == {"type": "EC", "bits": 256, "curve": "prime256v1"}
    assert report["session"]["ticket"] is True
    assert report["reconnect"]["reused"] is True and report["reconnect"]["protocol"] == "TLSv1.2"
    # A TLS 1.3-only client cannot talk to it: a TLS error, exit 2.
    assert refused.returncode == 2
    assert refused.stderr.startswith("sslmod client: TLS error: ")


def test_client_tls12_flag_and_resumption_over_tls13():
    with s_server(naccept=4) as port:
        tls12 = client(port, "--cafile", certfile("ca.pem"), "--tls1.2")
        proc, report = client_json(port, "--cafile", certfile("ca.pem"), "--reconnect")
    assert tls12.returncode == 0 and "  protocol   TLSv1.2\n" in tls12.stdout
    assert report["protocol"] == "TLSv1.3" and report["reconnect"]["reused"] is True


def test_client_certificate_authentication():
    args = ("-Verify", "1", "-CAfile", certfile("ca.pem"))
    with s_server("server-rsa", *args, naccept=2) as port:
        ok = client(port, "--cafile", certfile("ca.pem"), "--cert", certfile("client.pem"),
                    "--key", certfile("client.key"), "--reconnect")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "verification: OK" in ok.stdout


def test_client_ciphers_hook_and_missing_features():
    with s_server("server-rsa", "-tls1_2", naccept=1) as port:
        proc, report = client_json(port, "--cafile", certfile("ca.pem"),
                                   "--ciphers", "ECDHE-RSA-AES128-GCM-SHA256")
    assert proc.returncode == 0, proc.stderr
    assert report["cipher"]["name"] == "ECDHE-RSA-AES128-GCM-SHA256"
    mod = sslmod_module()
    ctx = mod.SSLContext(mod.PROTOCOL_TLS_CLIENT)
    if not hasattr(ctx, "set_groups"):
        refused = run_cli("client", "localhost:1", "--groups", "X25519")
        assert refused.returncode == 2
        assert "--groups needs SSLContext.set_groups" in refused.stderr
    if not hasattr(ctx, "ocsp_stapling"):
        refused = run_cli("client", "localhost:1", "--ocsp")
        assert refused.returncode == 2
        assert "--ocsp needs SSLContext.ocsp_stapling" in refused.stderr


def test_client_connection_refused_exits_2():
    port = cu.free_port()
    proc = run_cli("client", "127.0.0.1:%d" % port)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.startswith("sslmod client: connection failed: ")
    proc = run_cli("client", "127.0.0.1:%d" % port, "--json")
    assert proc.returncode == 2 and json.loads(proc.stdout)["exit"] == 2


def test_client_colour_only_on_a_terminal():
    import pty
    with s_server(naccept=1) as port:
        leader, follower = pty.openpty()
        try:
            proc = subprocess.Popen([sys.executable, "-m", "sslmod", "client",
                                     "localhost:%d" % port, "--cafile", certfile("ca.pem")],
                                    stdout=follower, stderr=subprocess.PIPE,
                                    env=child_env(NO_COLOR=None, TERM="xterm"))
            os.close(follower)
            follower = None
            chunks = []
            while True:
                try:
                    data = os.read(leader, 65536)
                except OSError:      # EIO once the child closed the terminal
                    break
                if not data:
                    break
                chunks.append(data)
            assert proc.wait(CHILD_TIMEOUT) == 0
        finally:
            if follower is not None:
                os.close(follower)
            os.close(leader)
    out = b"".join(chunks).decode()
    assert "verification: \x1b[32mOK\x1b[0m" in out, out


# ---- server --------------------------------------------------------------------------

@contextlib.contextmanager
def cli_server(*args):
    """`python -m sslmod server --port 0 ARGS`: yields (process, port, lines before
    the listening line)."""
    proc = subprocess.Popen([sys.executable, "-m", "sslmod", "server", "--port", "0", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=child_env(),
                            bufsize=0)
    try:
        m = cu._read_until(proc, r"listening on 127\.0\.0\.1:(\d+)", timeout=CHILD_TIMEOUT)
        yield proc, int(m.group(1))
    finally:
        cu._kill(proc)


def test_server_self_signed_echo_prints_its_fingerprint():
    proc = subprocess.Popen([sys.executable, "-m", "sslmod", "server", "--port", "0",
                             "--self-signed", "--echo", "--count", "1"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=child_env(),
                            bufsize=0)
    try:
        head = []
        while True:
            line = proc.stdout.readline().decode()
            assert line, head
            head.append(line)
            if line.startswith("listening on "):
                break
        port = int(re.search(r":(\d+) \(echo\)$", line.strip()).group(1))
        ctx = std_ssl.SSLContext(std_ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = std_ssl.CERT_NONE
        with socket_connect(port) as raw:
            with ctx.wrap_socket(raw) as tls:
                der = tls.getpeercert(True)
                tls.sendall(b"echo me")
                assert cu.recv_exactly(tls, 7) == b"echo me"
        assert proc.wait(CHILD_TIMEOUT) == 0
    finally:
        cu._kill(proc)
    assert head[0].startswith("self-signed certificate for localhost (made with ")
    printed = head[1].split()[1]
    assert printed == ":".join("%02X" % b for b in hashlib.sha256(der).digest())


def test_server_http_with_openssl_s_client():
    with cli_server("--cert", certfile("server-rsa-chain.pem"), "--key",
                    certfile("server-rsa.key"), "--http", "--alpn", "http/1.1") as (proc, port):
        with cu.openssl_s_client(port, "-CAfile", certfile("ca.pem"), "-verify_return_error",
                                 "-servername", "localhost", "-alpn", "http/1.1",
                                 "-ign_eof") as s_client:
            s_client.stdin.write(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            s_client.stdin.close()
            out = cu.read_all(s_client, CHILD_TIMEOUT).decode("latin-1")
    assert "Verify return code: 0 (ok)" in out, out
    assert "HTTP/1.1 200 OK" in out
    assert "protocol: TLSv1.3" in out and "alpn: http/1.1" in out


def test_server_needs_a_certificate():
    proc = run_cli("server", "--port", "0", "--count", "1")
    assert proc.returncode == 2
    assert "give --cert FILE [--key FILE] or --self-signed" in proc.stderr


# ---- cert ----------------------------------------------------------------------------

def cryptography_view(der):
    x509 = pytest.importorskip("cryptography.x509")
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
    cert = x509.load_der_x509_certificate(der)
    key = cert.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        kind = {"type": "RSA", "bits": key.key_size, "curve": None}
    elif isinstance(key, ec.EllipticCurvePublicKey):
        curve = {"secp256r1": "prime256v1"}.get(key.curve.name, key.curve.name)
        kind = {"type": "EC", "bits": key.curve.key_size, "curve": curve}
    elif isinstance(key, ed25519.Ed25519PublicKey):
        kind = {"type": "Ed25519", "bits": 256, "curve": None}
    return kind, cert.signature_algorithm_oid.dotted_string


@pytest.mark.parametrize("name", ["server-rsa-chain.pem", "server-ecdsa-chain.pem",
                                  "server-ed25519-chain.pem", "ca-bundle.der", "unicode.pem"])
def test_cert_json_matches_stdlib_and_cryptography(name, tmp_path):
    proc = run_cli("cert", certfile(name), "--json")
    assert proc.returncode == 0, proc.stderr
    infos = json.loads(proc.stdout)
    with open(certfile(name), "rb") as f:
        data = f.read()
    if name.endswith(".der"):
        ders, rest = [], data
        while rest:
            length = int.from_bytes(rest[2:4], "big") + 4   # 0x30 0x82 LL LL
            ders.append(rest[:length])
            rest = rest[length:]
    else:
        ders = [std_ssl.PEM_cert_to_DER_cert(b) for b in re.findall(
            r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----", data.decode(), re.S)]
    assert len(infos) == len(ders) >= 1
    for info, der in zip(infos, ders):
        assert set(info) == CERT_KEYS | {"decoded"}
        # The dict is what the interpreter's ssl decodes from the same certificate.
        one = tmp_path / "one.pem"
        one.write_text(std_ssl.DER_cert_to_PEM_cert(der))
        expected = json.loads(json.dumps(std_ssl._ssl._test_decode_cert(str(one))))
        assert info["decoded"] == expected
        assert info["sha256"] == ":".join("%02X" % b for b in hashlib.sha256(der).digest())
        assert info["sha1"] == ":".join("%02X" % b for b in hashlib.sha1(der).digest())
        kind, sig_oid = cryptography_view(der)
        assert info["key"] == kind
        assert info["signature_algorithm"] == std_ssl._ssl.txt2obj(sig_oid)[2]


def test_cert_text_from_stdin():
    with open(certfile("ca-bundle.pem"), "rb") as f:
        data = f.read()
    proc = subprocess.run([sys.executable, "-m", "sslmod", "cert", "-"], input=data,
                          capture_output=True, timeout=CHILD_TIMEOUT, env=child_env())
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout.decode()
    assert out.startswith("certificate 1 of 2\n  subject    C=XX, O=sslmod tests, "
                          "CN=sslmod test root CA\n")
    assert "\ncertificate 2 of 2\n" in out
    assert "  as getpeercert() shows it:\n    {'issuer': " in out
    assert re.search(r"^  SHA-1      ([0-9A-F]{2}:){19}[0-9A-F]{2}$", out, re.M)


@pytest.mark.parametrize("name", ["garbage.pem", "truncated.pem", "empty.pem", "ca.key",
                                  "no-such-file.pem"])
def test_cert_bad_input_exits_2(name):
    proc = run_cli("cert", certfile(name))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stdout == ""
    assert proc.stderr.startswith("sslmod cert: " + certfile(name) + ": ")


# ---- selftest, --version, --help everywhere ----------------------------------------------

def test_selftest_alone():
    proc = run_cli("selftest")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.startswith("self-check passed (certificate made with ")
    assert "features:" not in proc.stdout


def test_version():
    proc = run_cli("--version")
    assert proc.returncode == 0
    mod = sslmod_module()
    assert proc.stdout == "sslmod %s (%s)\n" % (mod.__version__, mod.OPENSSL_VERSION)
    from importlib import metadata
    try:
        installed = metadata.version("sslmod")
    except metadata.PackageNotFoundError:
        installed = None
    if installed is not None and os.path.dirname(mod.__file__).startswith(sys.prefix):
        assert installed == mod.__version__


@pytest.mark.parametrize("command", ["info", "check", "selftest", "client", "server", "cert",
                                     "run"])
def test_every_subcommand_has_help(command):
    proc = run_cli(command, "--help")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("usage: python -m sslmod %s" % command), proc.stdout
    assert proc.stderr == ""
