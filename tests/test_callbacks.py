"""Every Python callback OpenSSL calls during a connection: SNI (both APIs),
passwords, ALPN, the message callback, the key log, PSK; and callbacks
that raise or drop the last reference to their context or connection.
Results (both ends, unraisable reports) must be the stdlib's."""
import gc
import os
import sys
import textwrap

import pytest
import ssl as STD

import connutil as cu


class Unraisable:
    """Collect sys.unraisablehook reports as (exception type, message)."""

    def __enter__(self):
        self.seen = []
        self._old = sys.unraisablehook
        sys.unraisablehook = lambda u: self.seen.append(
            (type(u.exc_value).__name__, str(u.exc_value)))
        return self

    def __exit__(self, *exc):
        sys.unraisablehook = self._old


def bio_handshake(mod, cctx, sctx, hostname="localhost"):
    pair = cu.BioPair(mod, cctx, mod, sctx, hostname=hostname)
    return pair, pair.handshake()


# ---------------------------------------------------------------------------
# SNI
# ---------------------------------------------------------------------------

def sni_scenario(mod, behaviour, api="sni_callback", hostname="localhost"):
    sctx = cu.server_context(mod)
    other = cu.server_context(mod, "server-ecdsa")
    seen = []

    def callback(sslobj, name, ctx):
        seen.append((type(sslobj).__name__, name, ctx is sctx))
        if behaviour == "swap":
            sslobj.context = other
        elif behaviour == "alert":
            return mod.ALERT_DESCRIPTION_UNRECOGNIZED_NAME
        elif behaviour == "raise":
            raise ZeroDivisionError("in the SNI callback")
        elif behaviour == "bad-return":
            return "not an int"
        elif behaviour == "swap-bad":
            sslobj.context = "nope"
        return None

    if api == "sni_callback":
        sctx.sni_callback = callback
    else:
        sctx.set_servername_callback(callback)
    cctx = cu.client_context(mod)
    with Unraisable() as u:
        pair, (c, s) = bio_handshake(mod, cctx, sctx, hostname)
        gc.collect()
    key = None
    if c[0] == "ok":
        key = pair.client.getpeercert()["serialNumber"]
    return {"client": c, "server": s, "seen": seen, "unraisable": u.seen,
            "server_cert_serial": key,
            "server_context_is_other": pair.server.context is other}


@pytest.mark.parametrize("api", ["sni_callback", "set_servername_callback"])
@pytest.mark.parametrize("behaviour", ["none", "swap", "alert", "raise", "bad-return",
                                       "swap-bad"])
def test_sni(std, impl, api, behaviour):
    ref = cu.check_same(lambda mod: sni_scenario(mod, behaviour, api), std, impl)
    assert ref[0] == "ok", ref
    if behaviour == "swap":
        assert ref[1]["server_context_is_other"] is True
    if behaviour in ("alert", "raise"):
        assert ref[1]["client"][0] == "raise"


@pytest.mark.parametrize("hostname", ["localhost", "127.0.0.1", "k\u00f6nig.example"])
def test_sni_name_seen(std, impl, hostname):
    def scenario(mod):
        out = sni_scenario(mod, "none", hostname=hostname)
        return out["seen"]
    cu.check_same(scenario, std, impl)


def test_sni_callback_attribute_rules(std, impl):
    def scenario(mod):
        ctx = mod.SSLContext(mod.PROTOCOL_TLS_SERVER)
        out = [ctx.sni_callback]
        out.append(cu.capture(setattr, ctx, "sni_callback", 42))
        f = lambda *a: None   # noqa: E731
        ctx.sni_callback = f
        out.append(ctx.sni_callback is f)
        ctx.sni_callback = None
        out.append(ctx.sni_callback)
        out.append(cu.capture(ctx.set_servername_callback, "x"))
        out.append(cu.capture(ctx.set_servername_callback, None))
        client = mod.SSLContext(mod.PROTOCOL_TLS_CLIENT)
        out.append(cu.capture(setattr, client, "sni_callback", f))
        return out
    cu.check_same(scenario, std, impl)


def test_sni_swap_drops_last_reference_to_context(std, impl):
    """The callback swaps away the only remaining reference to the context
    that is running it: no crash, handshake completes on the new one."""
    def scenario(mod):
        other = cu.server_context(mod, "server-ecdsa")

        def callback(sslobj, name, ctx):
            sslobj.context = other
            del ctx
            gc.collect()
        sctx = cu.server_context(mod)
        sctx.sni_callback = callback
        pair = cu.BioPair(mod, cu.client_context(mod), mod, sctx)
        del sctx
        result = pair.handshake()
        gc.collect()
        return result, pair.client.getpeercert()["serialNumber"]
    cu.check_same(scenario, std, impl)


def test_callback_drops_connection(std, impl):
    """The SNI callback deletes every other reference to its connection."""
    def scenario(mod):
        holder = {}

        def callback(sslobj, name, ctx):
            holder.clear()
            gc.collect()
        sctx = cu.server_context(mod)
        sctx.sni_callback = callback
        pair = cu.BioPair(mod, cu.client_context(mod), mod, sctx)
        holder["server"] = pair.server
        result = pair.handshake()
        sctx.sni_callback = None
        del pair
        gc.collect()
        return result
    cu.check_same(scenario, std, impl)


# ---------------------------------------------------------------------------
# Passwords
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("password", [
    "callable-bytes", "callable-str", "callable-bytearray", "callable-wrong",
    "callable-raises", "callable-returns-int", "callable-too-long", "str", "bytes",
    "wrong", "none"])
@pytest.mark.parametrize("keyfile", ["server-rsa-enc.key", "server-rsa-des3.key"])
def test_password_callback(std, impl, password, keyfile):
    calls = []

    def make(value):
        def cb():
            calls.append(1)
            if isinstance(value, Exception):
                raise value
            return value
        return cb
    pw = {
        "callable-bytes": make(cu.KEY_PASSWORD),
        "callable-str": make(cu.KEY_PASSWORD.decode()),
        "callable-bytearray": make(bytearray(cu.KEY_PASSWORD)),
        "callable-wrong": make(b"wrong"),
        "callable-raises": make(KeyError("no password here")),
        "callable-returns-int": make(42),
        "callable-too-long": make(b"x" * 100000),
        "str": cu.KEY_PASSWORD.decode(), "bytes": cu.KEY_PASSWORD,
        "wrong": b"wrong", "none": None,
    }[password]

    def scenario(mod):
        del calls[:]
        ctx = mod.SSLContext(mod.PROTOCOL_TLS_SERVER)
        if password == "none":
            # Without a password OpenSSL would prompt on the terminal; the
            # stdlib's behaviour there is not testable, so skip the load.
            return "not loaded"
        result = cu.capture(ctx.load_cert_chain, cu.certpath("server-rsa.pem"),
                            cu.certpath(keyfile), pw)
        if result[0] == "ok":
            pair, hs = bio_handshake(mod, cu.client_context(mod), ctx)
            return result, hs, len(calls)
        return result, len(calls)
    cu.check_same(scenario, std, impl)


# ---------------------------------------------------------------------------
# The message callback
# ---------------------------------------------------------------------------

def msg_scenario(mod, version, raise_in=None):
    sctx = cu.server_context(mod, maximum=cu.tls(mod, version))
    cctx = cu.client_context(mod, maximum=cu.tls(mod, version))
    records = []

    def callback(conn, direction, ver, content_type, msg_type, data):
        records.append((type(conn).__name__, direction, str(ver), str(content_type),
                        str(msg_type), type(data).__name__))
        if raise_in is not None and len(records) == raise_in:
            raise RuntimeError("from _msg_callback")
    cctx._msg_callback = callback
    with Unraisable() as u:
        pair, hs = bio_handshake(mod, cctx, sctx)
        data = cu.capture(pair.transfer, pair.server, pair.client, b"x")
    return {"handshake": hs, "records": records, "data": data, "unraisable": u.seen,
            "getter": cctx._msg_callback is callback}


@pytest.mark.parametrize("version", ["TLSv1_2", "TLSv1_3"])
def test_msg_callback(std, impl, version):
    ref = cu.check_same(lambda mod: msg_scenario(mod, version), std, impl)
    assert ref[1]["records"]


def test_msg_callback_raises(std, impl):
    cu.check_same(lambda mod: msg_scenario(mod, "TLSv1_3", raise_in=2), std, impl)


def test_msg_callback_attribute(std, impl):
    def scenario(mod):
        ctx = mod.SSLContext(mod.PROTOCOL_TLS_CLIENT)
        out = [ctx._msg_callback, cu.capture(setattr, ctx, "_msg_callback", 3)]
        ctx._msg_callback = print
        out.append(ctx._msg_callback is print)
        ctx._msg_callback = None
        out.append(ctx._msg_callback)
        return out
    cu.check_same(scenario, std, impl)


# ---------------------------------------------------------------------------
# keylog_filename
# ---------------------------------------------------------------------------

def keylog_scenario(mod, path, version, side):
    if os.path.exists(path):
        os.unlink(path)
    with open(path, "w") as f:
        f.write("# existing line\n")
    sctx = cu.server_context(mod, maximum=cu.tls(mod, version))
    cctx = cu.client_context(mod, maximum=cu.tls(mod, version))
    (cctx if side == "client" else sctx).keylog_filename = path
    for _ in range(2):
        bio_handshake(mod, cctx, sctx)
    with open(path) as f:
        lines = f.read().splitlines()
    shapes = []
    for line in lines:
        parts = line.split(" ")
        if line.startswith("#"):
            shapes.append(line)
        else:
            shapes.append((parts[0], len(parts), [len(p) for p in parts[1:]],
                           all(all(c in "0123456789abcdef" for c in p) for p in parts[1:])))
    return shapes


@pytest.mark.parametrize("side", ["client", "server"])
@pytest.mark.parametrize("version", ["TLSv1_2", "TLSv1_3"])
def test_keylog(std, impl, tmp_path, version, side):
    path = str(tmp_path / "keys.log")
    ref = cu.check_same(lambda mod: keylog_scenario(mod, path, version, side), std, impl)
    labels = {s[0] for s in ref[1] if isinstance(s, tuple)}
    if version == "TLSv1_2":
        assert labels == {"CLIENT_RANDOM"}
    else:
        assert "CLIENT_HANDSHAKE_TRAFFIC_SECRET" in labels


def test_keylog_attribute(std, impl, tmp_path):
    def scenario(mod):
        ctx = mod.SSLContext(mod.PROTOCOL_TLS_CLIENT)
        out = [ctx.keylog_filename]
        out.append(cu.capture(setattr, ctx, "keylog_filename", 1))
        out.append(cu.capture(setattr, ctx, "keylog_filename",
                              str(tmp_path / "no" / "such" / "dir" / "f")))
        ctx.keylog_filename = str(tmp_path / "k.log")
        out.append(os.path.basename(ctx.keylog_filename))
        ctx.keylog_filename = None
        out.append(ctx.keylog_filename)
        return out
    cu.check_same(scenario, std, impl)


# ---------------------------------------------------------------------------
# PSK (the 3.13 API)
# ---------------------------------------------------------------------------

PSK_SCENARIO = textwrap.dedent(r"""
    def psk_scenario(mod, variant, version="TLSv1_2"):
        import re, sys
        def text(exc):
            return re.sub(r" \(\w+\.c:\d+\)", "", str(exc))
        key = bytes.fromhex("c0ffee" * 8)
        out = {}
        sctx = mod.SSLContext(mod.PROTOCOL_TLS_SERVER)
        cctx = mod.SSLContext(mod.PROTOCOL_TLS_CLIENT)
        cctx.check_hostname = False
        cctx.verify_mode = mod.CERT_NONE
        for ctx in (sctx, cctx):
            ctx.maximum_version = getattr(mod.TLSVersion, version)
            if version == "TLSv1_2":
                ctx.set_ciphers("PSK")
        seen = []
        def client_cb(hint):
            seen.append(("client", hint))
            if variant == "client-raises":
                raise ValueError("client PSK callback failed")
            if variant == "bad-return":
                return "not a tuple"
            return ("my-id", key if variant != "wrong-key" else b"\0" * 24)
        def server_cb(identity):
            seen.append(("server", identity))
            return key if identity == "my-id" else b""
        cctx.set_psk_client_callback(client_cb)
        sctx.set_psk_server_callback(server_cb, identity_hint="a hint")
        cin, cout, sin, sout = (mod.MemoryBIO() for _ in range(4))
        c = cctx.wrap_bio(cin, cout)
        s = sctx.wrap_bio(sin, sout, server_side=True)
        done = {}
        hooked = []
        old = sys.unraisablehook
        sys.unraisablehook = lambda u: hooked.append(type(u.exc_value).__name__)
        try:
            for _ in range(20):
                for name, obj in (("c", c), ("s", s)):
                    if name in done:
                        continue
                    try:
                        obj.do_handshake()
                        done[name] = "ok"
                    except mod.SSLWantReadError:
                        pass
                    except Exception as exc:
                        done[name] = (type(exc).__name__, text(exc))
                moved = cout.read()
                sin.write(moved)
                back = sout.read()
                cin.write(back)
                if not moved and not back and (len(done) == 2 or
                        any(v != "ok" for v in done.values())):
                    break
        finally:
            sys.unraisablehook = old
        out["done"] = sorted(done.items())
        out["seen"] = seen
        # What a callback returning garbage reports (SystemError on 3.13) is
        # an interpreter detail; that something is reported is not.
        out["unraisable"] = hooked if variant != "bad-return" else bool(hooked)
        out["cipher"] = c.cipher() if done.get("c") == "ok" else None
        out["bad_args"] = []
        for bad in ((sctx.set_psk_client_callback, (client_cb,)),
                    (cctx.set_psk_server_callback, (server_cb,)),
                    (cctx.set_psk_client_callback, (42,)),
                    (sctx.set_psk_server_callback, (server_cb, 42)),
                    (cctx.set_psk_client_callback, (None,))):
            try:
                bad[0](*bad[1])
                out["bad_args"].append("ok")
            except Exception as exc:
                out["bad_args"].append((type(exc).__name__, text(exc)))
        return out
""")

PSK_VARIANTS = ["ok", "wrong-key", "client-raises", "bad-return"]


def _psk_local(mod, variant, version):
    ns = {}
    exec(PSK_SCENARIO, ns)
    return ns["psk_scenario"](mod, variant, version)


def _psk_reference(variant, version):
    """The stdlib's answer: in process on 3.13+, else from a 3.13 subprocess."""
    if hasattr(STD.SSLContext, "set_psk_client_callback"):
        return _psk_local(STD, variant, version)
    py313 = cu.python313()
    if py313 is None:
        return None
    code = PSK_SCENARIO + "\nimport ssl\nprint(repr(psk_scenario(ssl, %r, %r)))\n" % (
        variant, version)
    import ast
    return ast.literal_eval(cu.run_python(py313, code).strip())


@pytest.mark.parametrize("version", ["TLSv1_2", "TLSv1_3"])
@pytest.mark.parametrize("variant", PSK_VARIANTS)
def test_psk(impl, variant, version):
    ref = _psk_reference(variant, version)
    got = _psk_local(impl, variant, version)
    if ref is None:
        # No 3.13 stdlib anywhere to compare with: check the behaviour itself.
        assert (got["done"] == [("c", "ok"), ("s", "ok")]) == (variant == "ok"), got
        return
    assert got == ref
    if variant == "ok":
        assert ref["done"] == [("c", "ok"), ("s", "ok")]
        if version == "TLSv1_2":
            assert "PSK" in ref["cipher"][0]


# ---------------------------------------------------------------------------
# ALPN selection on the server
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("client,server", [
    (["a", "b", "c"], ["c", "b"]),
    (["x"], ["y"]),
    (["h2", "http/1.1"], []),
    ([], ["h2"]),
])
def test_alpn_selection(std, impl, client, server):
    def scenario(mod):
        sctx = cu.server_context(mod)
        cctx = cu.client_context(mod)
        cctx.set_alpn_protocols(client)
        sctx.set_alpn_protocols(server)
        pair, hs = bio_handshake(mod, cctx, sctx)
        return hs, pair.client.selected_alpn_protocol(), pair.server.selected_alpn_protocol()
    cu.check_same(scenario, std, impl)


def test_alpn_bad_arguments(std, impl):
    def scenario(mod):
        ctx = mod.SSLContext(mod.PROTOCOL_TLS_CLIENT)
        return [cu.capture(ctx.set_alpn_protocols, v) for v in
                (["x" * 256], [b"bytes"], "h2", [""], [1], None)]
    cu.check_same(scenario, std, impl)
