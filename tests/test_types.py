"""The classes of sslmod._sslmod: as (im)mutable as the interpreter's, and
its exception classes linked to the interpreter's when they are made.

On 3.10+ the stdlib's SSLError and its non-exception types refuse new
attributes ("cannot set 'foo' attribute of immutable type ..."), while
the subclasses of SSLError accept them; on 3.9 its exception classes all
accept them.  sslmod's classes do the same.

sslmod's exception classes derive from the interpreter's classes of the
same name, so ``except <stdlib ssl>.SSLError`` catches sslmod's errors.
That link is made when the classes are created; nothing is rewritten
afterwards, so importing sslmod changes no class.
"""
import asyncio.sslproto
import importlib
import json
import os
import subprocess
import sys
import textwrap

import pytest

from conftest import load_sslmod_core, normalize

STD_CORE = sys.modules["_ssl"]
EXCEPTIONS = ("SSLError", "SSLCertVerificationError", "SSLZeroReturnError",
              "SSLWantReadError", "SSLWantWriteError", "SSLSyscallError", "SSLEOFError")
# Every class the interpreter's _ssl defines (Certificate: 3.10+).
TYPES = sorted(n for n, v in vars(STD_CORE).items() if isinstance(v, type))
OTHER_TYPES = sorted(set(TYPES) - set(EXCEPTIONS))

ON_39 = sys.version_info < (3, 10)
XFAIL_39_STATIC = pytest.mark.xfail(
    ON_39, strict=True,
    reason="3.9's _ssl types are static types ('can't set attributes of "
           "built-in/extension type'); a heap type on 3.9 cannot refuse "
           "attributes without a metaclass of its own, which would show in "
           "type(cls) and in every Python subclass")


def _attribute_outcome(cls):
    """What setting, then deleting, a new class attribute does."""
    result = []
    for action in (lambda: setattr(cls, "sslmod_test_attr", 1),
                   lambda: delattr(cls, "sslmod_test_attr")):
        try:
            action()
        except Exception as exc:
            result.append((type(exc).__name__, str(exc)))
        else:
            result.append("ok")
    return result


def test_every_type_is_compared():
    core = load_sslmod_core()
    ours = sorted(n for n, v in vars(core).items() if isinstance(v, type))
    assert ours == TYPES
    assert set(EXCEPTIONS) <= set(TYPES)


@pytest.mark.parametrize("name", EXCEPTIONS)
def test_exception_attributes_as_stdlib(name):
    std_cls = getattr(STD_CORE, name)
    got = _attribute_outcome(getattr(load_sslmod_core(), name))
    expected = _attribute_outcome(std_cls)
    assert got == expected
    if not ON_39:
        # 3.10+: the root is immutable, its subclasses are not.
        assert (expected[0] != "ok") == (name == "SSLError"), expected


@pytest.mark.parametrize("name", [pytest.param(n, marks=XFAIL_39_STATIC) for n in OTHER_TYPES])
def test_type_attributes_as_stdlib(name):
    expected = _attribute_outcome(getattr(STD_CORE, name))
    assert expected[0][0] == "TypeError", expected
    assert _attribute_outcome(getattr(load_sslmod_core(), name)) == expected


@pytest.mark.skipif(ON_39, reason="3.9's SSLError accepts new attributes (checked above)")
def test_immutable_message(impl):
    # The message names the class as the stdlib's does, in both modes.
    with pytest.raises(TypeError) as info:
        impl.SSLError.foo = 1
    assert str(info.value) == "cannot set 'foo' attribute of immutable type 'ssl.SSLError'"


# ---- linking to the interpreter's classes -----------------------------------

def _expected_mro(ours_module, std_cls):
    """Ours, in the order of the stdlib's ssl classes, then the stdlib's MRO."""
    own = [getattr(ours_module, c.__name__) for c in std_cls.__mro__
           if c.__module__ == "ssl"]
    return tuple(own) + std_cls.__mro__


def check_linked(ours_module, std_module):
    """OURS_MODULE's exception classes sit on STD_MODULE's, with a sane MRO."""
    for name in EXCEPTIONS:
        ours, theirs = getattr(ours_module, name), getattr(std_module, name)
        assert ours is not theirs
        assert ours.__mro__ == _expected_mro(ours_module, theirs), name
        for other in EXCEPTIONS:
            std_other = getattr(std_module, other)
            want = issubclass(theirs, std_other)
            assert issubclass(ours, std_other) is want, (name, other)
            assert issubclass(ours, getattr(ours_module, other)) is want, (name, other)
        for builtin in (OSError, ValueError, Exception):
            assert issubclass(ours, builtin) is issubclass(theirs, builtin)
        # Not the other way round: the stdlib's classes stay as they are.
        assert not issubclass(theirs, ours)


def check_unlinked(ours_module):
    for name in EXCEPTIONS:
        ours = getattr(ours_module, name)
        own = {id(getattr(ours_module, n)) for n in EXCEPTIONS}
        assert all(c.__module__ == "builtins" or id(c) in own for c in ours.__mro__), ours.__mro__


def test_linked_to_stdlib(impl, core, std):
    if core is STD_CORE:
        pytest.skip("checks sslmod's classes; this run compares the stdlib with itself")
    check_linked(core, STD_CORE)
    for name in EXCEPTIONS:
        assert getattr(impl, name) is getattr(core, name)
        assert issubclass(getattr(impl, name), getattr(std, name))


def test_stdlib_except_catches_ours(impl, std):
    # A real error raised by sslmod, caught by the stdlib's classes.
    ctx = impl.SSLContext(impl.PROTOCOL_TLS_CLIENT)
    with pytest.raises(std.SSLError) as info:
        ctx.load_verify_locations(cadata="garbage")
    assert type(info.value) is impl.SSLError
    # asyncio's tuple of the stdlib's "try again" classes (3.11+; spelled
    # out where asyncio has none).
    again = getattr(asyncio.sslproto, "SSLAgainErrors",
                    (std.SSLWantReadError, std.SSLSyscallError))
    obj = ctx.wrap_bio(impl.MemoryBIO(), impl.MemoryBIO(), server_hostname="localhost")
    try:
        obj.do_handshake()
    except again as exc:
        caught = type(exc)
    assert caught is impl.SSLWantReadError
    with pytest.raises(std.CertificateError):   # the stdlib's alias of the verify error
        raise impl.SSLCertVerificationError(1, "x")


def test_normalized_errors_compare(impl, std):
    # The suite's normalize() sees the same class names and bases.
    for name in EXCEPTIONS:
        assert normalize(getattr(impl, name)(1, "x")) == normalize(getattr(std, name)(1, "x"))


def _fresh_core():
    """A second, new import of sslmod._sslmod; the cached one is restored."""
    original = load_sslmod_core()
    package = sys.modules["sslmod"]
    del sys.modules["sslmod._sslmod"]
    try:
        return importlib.import_module("sslmod._sslmod")
    finally:
        sys.modules["sslmod._sslmod"] = original
        package._sslmod = original


def _with_ssl_module(value):
    """Run _fresh_core() while sys.modules['_ssl'] is VALUE (None: no _ssl)."""
    saved = sys.modules["_ssl"]
    sys.modules["_ssl"] = value
    try:
        return _fresh_core()
    finally:
        sys.modules["_ssl"] = saved


def test_fresh_import_links_to_stdlib():
    fresh = _fresh_core()
    check_linked(fresh, STD_CORE)
    assert not issubclass(fresh.SSLError, load_sslmod_core().SSLError)


def test_fresh_import_while_ssl_is_sslmod():
    # After inject(), or in the suite's stdlib_on_sslmod loader, "_ssl" is
    # an sslmod core: the new copy still links to the interpreter's.
    first = load_sslmod_core()
    fresh = _with_ssl_module(first)
    check_linked(fresh, STD_CORE)
    for name in EXCEPTIONS:
        assert not issubclass(getattr(fresh, name), getattr(first, name))
        assert not issubclass(getattr(first, name), getattr(fresh, name))


def test_fresh_import_while_ssl_is_an_unlinked_sslmod():
    lone = _with_ssl_module(None)
    check_unlinked(lone)
    fresh = _with_ssl_module(lone)
    check_unlinked(fresh)
    assert not issubclass(fresh.SSLError, lone.SSLError)


def test_no_stdlib_ssl():
    # No _ssl to import: no link, no error, and the classes work.
    lone = _with_ssl_module(None)
    check_unlinked(lone)
    assert lone.SSLError.__mro__[1:] == OSError.__mro__
    assert lone.SSLCertVerificationError.__mro__[1:] == (
        lone.SSLError, OSError, ValueError, Exception, BaseException, object)
    ctx = lone._SSLContext(lone.PROTOCOL_TLS_CLIENT)
    with pytest.raises(lone.SSLError) as info:
        ctx.load_verify_locations(cadata="garbage")
    assert not isinstance(info.value, STD_CORE.SSLError)


def test_subinterpreter_links_to_its_own_stdlib():
    from test_isolation import _run_in_subinterpreter
    _run_in_subinterpreter(
        "import ssl, sslmod._sslmod as m\n"
        "assert m.SSLError.__mro__[1] is ssl.SSLError, m.SSLError.__mro__\n"
        "assert issubclass(m.SSLWantReadError, ssl.SSLWantReadError)\n"
        "assert issubclass(m.SSLCertVerificationError, ssl.SSLError)\n")


# ---- importing changes no class ------------------------------------------------

SNAPSHOT = textwrap.dedent(r"""
    import json, sys
    import _ssl
    NAMES = %r

    def snapshot(module):
        return {n: [[c.__module__ + "." + c.__qualname__ for c in getattr(module, n).__bases__],
                    [c.__module__ + "." + c.__qualname__ for c in getattr(module, n).__mro__],
                    sorted(vars(getattr(module, n)))]
                for n in NAMES}

    def load_core_alone():
        # The C core without its package, so that the package's import
        # (and whatever it might do to the core's classes) comes after.
        import importlib.machinery, importlib.util, os
        for folder in sys.path:
            for suffix in importlib.machinery.EXTENSION_SUFFIXES:
                path = os.path.join(folder or ".", "sslmod", "_sslmod" + suffix)
                if os.path.exists(path):
                    loader = importlib.machinery.ExtensionFileLoader("sslmod._sslmod", path)
                    spec = importlib.util.spec_from_loader("sslmod._sslmod", loader)
                    module = importlib.util.module_from_spec(spec)
                    loader.exec_module(module)
                    sys.modules["sslmod._sslmod"] = module
                    return module
        raise ImportError("no sslmod/_sslmod extension on sys.path")

    std_before = snapshot(_ssl)
    core = load_core_alone()
    ours_before = snapshot(core)
    import sslmod, sslmod.ssl, ssl
    ssl_py = ssl.SSLError
    sslmod.inject()
    import ssl as injected
    assert injected.SSLError is core.SSLError is sslmod.SSLError
    sslmod.extract()
    print(json.dumps({"std": [std_before, snapshot(_ssl)],
                      "ours": [ours_before, snapshot(core)],
                      "linked": issubclass(core.SSLError, ssl_py)}))
""")


def test_import_and_inject_change_no_class():
    code = SNAPSHOT % (EXCEPTIONS,)
    proc = subprocess.run([sys.executable, "-c", code], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, timeout=60, env=dict(os.environ))
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    result = json.loads(proc.stdout.decode().splitlines()[-1])
    assert result["std"][0] == result["std"][1]
    assert result["ours"][0] == result["ours"][1]
    assert result["linked"] is True


def test_links_survive_inject_and_extract(std):
    import sslmod
    core = load_sslmod_core()
    std_core = STD_CORE   # inject() rebinds module globals such as STD_CORE
    std_error = std.SSLError
    sslmod.inject()
    try:
        import ssl as injected
        assert injected.SSLError is core.SSLError
        fresh = _fresh_core()         # "_ssl" is sslmod's now
        check_linked(fresh, std_core)
        with pytest.raises(std_error):
            injected.SSLContext(injected.PROTOCOL_TLS_CLIENT).load_verify_locations(
                cadata="garbage")
    finally:
        sslmod.extract()
    assert sys.modules["_ssl"] is std_core is STD_CORE
    check_linked(core, std_core)
