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
    assert len(lines) == 4 + len(expected_flags())
    assert "self-check" not in proc.stdout


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
    assert proc.stdout.startswith("usage:\n")
    assert USAGE_FIRST_LINE in proc.stdout and "run -m MODULE" in proc.stdout
    assert proc.stderr == ""


@pytest.mark.parametrize("args", [["bogus"], ["--bogus"], ["info", "extra"],
                                  ["check", "now"], ["run"], ["run", "-m"]])
def test_usage_error_exits_2(tmp_path, args):
    proc = run_cli(*args, cwd=tmp_path)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stdout == ""
    assert proc.stderr.startswith("usage:\n") and USAGE_FIRST_LINE in proc.stderr


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
