"""The conformance harness: run each scenario on the interpreter's ssl and on
sslmod, and assert that everything a program can observe is the same.

The reference is always the interpreter's own ``ssl`` (fixture ``std``).
The implementations under test (fixture ``impl``) are:

``sslmod``
    ``import sslmod as ssl``: our own ``Lib/ssl.py`` API.
``stdlib_on_sslmod``
    the interpreter's own ``ssl.py`` source, executed as a separate module
    while ``sys.modules['_ssl']`` is ``sslmod._sslmod``.

Set ``SSLMOD_TEST_IMPLS`` to a comma-separated list to choose others.  Two
more exist to check the tests themselves, since a test that passes when
the stdlib is compared with itself is a test whose expectations hold:
``stdlib`` (the stdlib module itself) and ``stdlib_copy`` (ssl.py executed
again over the real ``_ssl``, which also checks the loader used by
``stdlib_on_sslmod``)::

    SSLMOD_TEST_IMPLS=stdlib,stdlib_copy python -m pytest tests/

A scenario is a function of one argument, the ssl module to use::

    def test_default_verify_mode(impl):
        same(lambda ssl: ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).verify_mode, impl)

``same`` runs it on both, turns the results (return value or exception,
and the warnings emitted) into plain data with ``normalize`` and compares.
If sslmod cannot be imported, every test using ``impl`` errors: it never
skips.
"""
import enum
import importlib
import importlib.util
import os
import re
import ssl as _std_ssl
import sys
import types
import warnings

import pytest

CERTS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "certs")

DEFAULT_IMPLS = ("sslmod", "stdlib_on_sslmod")
IMPLS = tuple(n.strip() for n in os.environ.get(
    "SSLMOD_TEST_IMPLS", ",".join(DEFAULT_IMPLS)).split(",") if n.strip())

# The "(_ssl.c:1234)" / "(context.c:56)" suffix CPython and sslmod append to
# OpenSSL error messages: where the error was raised, not what it was.
_LOCATION = re.compile(r" \([\w./-]+\.c:\d+\)")


# ---- loading the implementations -------------------------------------------

def load_sslmod_core():
    """sslmod._sslmod, the drop-in for _ssl.  Import errors propagate."""
    return importlib.import_module("sslmod._sslmod")


def load_ssl_py(core, name):
    """Execute the interpreter's ssl.py as module NAME on top of CORE.

    ssl.py does ``import _ssl``, so ``sys.modules['_ssl']`` is CORE while it
    runs and is restored afterwards.  The module stays registered under
    NAME, because its enums look themselves up there (``_convert_``,
    pickling)."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, _std_ssl.__file__)
    module = importlib.util.module_from_spec(spec)
    missing = object()
    saved = sys.modules.get("_ssl", missing)
    sys.modules["_ssl"] = core
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    finally:
        if saved is missing:
            del sys.modules["_ssl"]
        else:
            sys.modules["_ssl"] = saved
    return module


def load_impl(name):
    """The ssl-like module called NAME (see the module docstring)."""
    if name == "sslmod":
        load_sslmod_core()
        return importlib.import_module("sslmod")
    if name == "stdlib_on_sslmod":
        return load_ssl_py(load_sslmod_core(), "_sslmod_tests_stdlib_on_sslmod")
    if name == "stdlib":
        return _std_ssl
    if name == "stdlib_copy":
        return load_ssl_py(sys.modules["_ssl"], "_sslmod_tests_stdlib_copy")
    raise ValueError("unknown implementation %r" % name)


def core_of(name):
    """The _ssl-level C module behind implementation NAME."""
    if name in ("stdlib", "stdlib_copy"):
        return sys.modules["_ssl"]
    return load_sslmod_core()


# Names sslmod offers on every interpreter although only newer CPythons have
# them (the brief: APIs newer versions added are available everywhere).
# Comparisons of name lists leave these out; test_module checks that sslmod
# has every one of them.
NEWER_API = frozenset({
    # _SSLContext / SSLContext
    "set_psk_client_callback", "set_psk_server_callback", "security_level",
    # _SSLSocket / SSLSocket / SSLObject (3.10+, public in 3.13)
    "get_verified_chain", "get_unverified_chain",
    # module constants and Options members (3.10+, 3.12+, 3.13+)
    "HAS_PSK", "OP_ENABLE_KTLS", "OP_LEGACY_SERVER_CONNECT",
    "VERIFY_X509_PARTIAL_CHAIN", "VERIFY_ALLOW_PROXY_CERTS",
    "ENCODING_PEM", "ENCODING_DER",
    # beyond the stdlib (issue 9; some are 3.14/3.15 API): tests/test_certdata.py,
    # test_keying_material.py, test_groups.py, test_ocsp.py
    "export_keying_material", "set_groups", "get_groups", "group", "set_ciphersuites",
    "set_client_sigalgs", "set_server_sigalgs", "get_sigalgs", "client_sigalg",
    "server_sigalg", "set_ocsp_response", "ocsp_stapling", "ocsp_response",
    "OCSP_NONE", "OCSP_OPTIONAL", "OCSP_REQUIRED", "OCSPMode",
    "HAS_PHA", "HAS_PSK_TLS13",
    # issue 8: tests/test_datapath.py
    "release_buffers",
})


def without_newer_api(names):
    """NAMES less the NEWER_API ones, as a list in the same order."""
    return [n for n in names if n not in NEWER_API]


# ---- turning outcomes into comparable data -----------------------------------

def strip_location(text):
    """TEXT without the "(file.c:NNN)" location suffixes."""
    return _LOCATION.sub("", text)


def _exc_bases(cls):
    """Names of CLS's bases, as the stdlib's class of that name has them.

    sslmod's exception classes also derive from the stdlib's (so `except
    ssl.SSLError` with the stdlib catches them: Lib/_inject.py); those extra
    bases are left out when CLS is not itself a stdlib class."""
    std = sys.modules.get("_ssl")
    std_classes = {id(v) for v in vars(std).values() if isinstance(v, type)} if std else set()
    mro = cls.__mro__[1:]
    if id(cls) not in std_classes:
        mro = [c for c in mro if id(c) not in std_classes]
    return tuple(c.__name__ for c in mro)


def normalize(value):
    """VALUE as plain data that compares equal across implementations.

    Enum members become ("enum", class name, value); exceptions become
    ("exc", class name, base class names, message, args, errno, library,
    reason, verify_code, verify_message) with the "(file.c:NNN)" suffix
    removed;
    types become ("type", name); other objects of the implementation become
    ("object", class name), certificates also carry their DER bytes.
    Containers are normalized item by item; strings lose any location
    suffix; other plain scalars stay as they are.
    """
    if isinstance(value, enum.Enum):
        return ("enum", type(value).__name__, normalize(value.value))
    if isinstance(value, BaseException):
        # sslmod's exception classes also derive from the stdlib's of the
        # same name (so `except ssl.SSLError` with the stdlib catches them:
        # Lib/_inject.py), so a name can appear twice in the MRO.
        return ("exc", type(value).__name__, _exc_bases(type(value)),
                strip_location(str(value)),
                tuple(strip_location(a) if isinstance(a, str) else normalize(a)
                      for a in value.args),
                normalize(getattr(value, "errno", None)),
                getattr(value, "library", None),
                getattr(value, "reason", None),
                getattr(value, "verify_code", None),
                getattr(value, "verify_message", None))
    if type(value) is str:
        return strip_location(value)
    if value is None or type(value) in (bool, int, float, bytes):
        return value
    for base in (int, float, str, bytes):
        if isinstance(value, base):
            # A subclass that is not an enum: its class and its plain value.
            return (type(value).__name__, base(value))
    if isinstance(value, bytearray):
        return ("bytearray", bytes(value))
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return ("namedtuple", type(value).__name__,
                tuple(zip(value._fields, (normalize(v) for v in value))))
    if isinstance(value, tuple):
        return tuple(normalize(v) for v in value)
    if isinstance(value, list):
        return [normalize(v) for v in value]
    if isinstance(value, dict):
        return {normalize(k): normalize(v) for k, v in value.items()}
    if isinstance(value, (set, frozenset)):
        return ("set", sorted((normalize(v) for v in value), key=repr))
    if isinstance(value, type):
        return ("type", value.__name__)
    if isinstance(value, (types.FunctionType, types.BuiltinFunctionType,
                          types.MethodType)):
        return ("function", getattr(value, "__name__", None))
    if type(value).__name__ == "Certificate" and hasattr(value, "public_bytes"):
        return ("object", "Certificate", value.public_bytes(2))
    return ("object", type(value).__name__)


def _typed(value):
    """VALUE with each scalar tagged by its type, so True != 1 != 1.0."""
    if isinstance(value, tuple):
        return ("tuple",) + tuple(_typed(v) for v in value)
    if isinstance(value, list):
        return ["list"] + [_typed(v) for v in value]
    if isinstance(value, dict):
        return ("dict", [(_typed(k), _typed(v)) for k, v in value.items()])
    return (type(value).__name__, value)


def outcome(fn, module):
    """Run FN(MODULE): ("return", value) or ("raise", exception), and the
    warnings it emitted as [(category name, message)], all normalized."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = ("return", normalize(fn(module)))
        except Exception as exc:
            result = ("raise", normalize(exc))
    warned = [(w.category.__name__, strip_location(str(w.message))) for w in caught]
    return result, warned


def same(fn, impl, raises=None, warns=None, ref=None):
    """Assert FN behaves the same on the stdlib ssl (or on REF, e.g. the
    stdlib ``_ssl`` when IMPL is the fixture ``core``) and on IMPL.

    RAISES (an exception class name, a set of them, or True for any) and
    WARNS (a warning category name)
    check that the stdlib really does what the test expects, so that a
    scenario never silently tests nothing.  Returns the stdlib's
    normalized (result, warnings)."""
    expected = outcome(fn, _std_ssl if ref is None else ref)
    if raises is not None:
        names = {raises} if isinstance(raises, str) else raises
        assert expected[0][0] == "raise" and (
            raises is True or expected[0][1][1] in names), (
            "the stdlib did not raise %s: %r" % (raises, expected[0]))
    elif expected[0][0] == "raise" and warns is None:
        # Allowed, but the test then must say which exception it expects.
        raise AssertionError("the stdlib raised %r; pass raises=" % (expected[0][1],))
    if warns is not None:
        assert any(w[0] == warns for w in expected[1]), (
            "the stdlib did not warn %s: %r" % (warns, expected[1]))
    got = outcome(fn, impl)
    if impl is not _std_ssl and got[1] != expected[1]:
        # A warning the distribution's ssl.py adds (stdlib_quirks) is not
        # the interpreter's behaviour that sslmod's ssl follows.
        import stdlib_quirks
        extra = stdlib_quirks.WRAP_BIO_HOSTNAME_WARNING
        if extra and [w for w in expected[1] if w not in extra] == got[1]:
            expected = (expected[0], got[1])
    assert got == expected
    assert _typed(got) == _typed(expected)
    return expected


def stdlib_raises(fn, ref=None):
    """The class name of the exception FN(stdlib ssl) raises, or None.

    For scenarios whose outcome differs between interpreter versions; pass
    it as ``same(fn, impl, raises=stdlib_raises(fn))``."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            fn(_std_ssl if ref is None else ref)
        except Exception as exc:
            return type(exc).__name__
    return None


# ---- fixtures ---------------------------------------------------------------

class Certs:
    """Paths to (and contents of) the files in tests/certs."""

    dir = CERTS_DIR

    def __call__(self, name):
        path = os.path.join(CERTS_DIR, name)
        if not os.path.exists(path):
            raise FileNotFoundError("no test file %s (see tests/README.rst)" % name)
        return path

    def read(self, name):
        with open(self(name), "rb") as f:
            return f.read()

    def text(self, name):
        with open(self(name), encoding="ascii") as f:
            return f.read()


CERTS = Certs()


@pytest.fixture(scope="session")
def certs():
    return CERTS


@pytest.fixture(scope="session")
def std():
    return _std_ssl


@pytest.fixture(scope="session")
def std_core():
    return sys.modules["_ssl"]


@pytest.fixture(params=IMPLS, ids=IMPLS)
def impl_name(request):
    return request.param


@pytest.fixture
def impl(impl_name):
    return load_impl(impl_name)


@pytest.fixture
def core(impl_name):
    """The _ssl-level module behind ``impl``."""
    return core_of(impl_name)


STDLIB_IMPLS = ("stdlib", "stdlib_copy")


def beyond_stdlib(impl_name, why):
    """For a test of where sslmod does better than the interpreter's ssl (a
    race, a crash, a leak): in the suite's self-check mode, where ``impl``
    is the stdlib itself, skip it and say why."""
    if impl_name in STDLIB_IMPLS:
        pytest.skip("the interpreter's ssl fails this by design of the test: " + why)


def under_nomemory(call, limit):
    """Run CALL with the Nth allocation failing, for N = 0, 1, ...: each run
    either succeeds or raises MemoryError (never crashes or leaves a bad
    state); returns how many succeeded."""
    _testcapi = pytest.importorskip("_testcapi")
    ok = 0
    for start in range(limit):
        _testcapi.set_nomemory(start, start + 1)
        try:
            call()
            ok += 1
        except MemoryError:
            pass
        finally:
            _testcapi.remove_mem_hooks()
    return ok


def _mapped_libcrypto():
    """The libcrypto that the extensions of this process use."""
    import ctypes
    import sslmod._sslmod  # noqa: F401 - maps the library sslmod links
    with open("/proc/self/maps") as maps:
        for line in maps:
            path = line.split()[-1]
            if "/libcrypto.so" in path:
                lib = ctypes.CDLL(path)
                lib.ERR_peek_error.restype = ctypes.c_ulong
                return lib
    pytest.skip("no libcrypto mapped into this process")


def openssl_error_queue(clear=False):
    """The code of the oldest error queued on this thread's OpenSSL error
    queue (0 when empty); with CLEAR, empty the queue first."""
    lib = _mapped_libcrypto()
    if clear:
        lib.ERR_clear_error()
    return lib.ERR_peek_error()
