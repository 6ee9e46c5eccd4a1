"""sslmod: TLS/SSL for CPython over OpenSSL 3, a drop-in for ssl and _ssl.

``import sslmod as ssl`` gives the whole ``ssl`` API (the names of
``sslmod.ssl``, including the deprecated ones CPython removed), and
``sslmod.inject()`` makes every ``import ssl`` in the process return
sslmod; ``sslmod.extract()`` undoes it.  ``sslmod._sslmod`` is the C core,
usable as the interpreter's ``_ssl``.
"""
from ._version import __version__

from ._inject import inject, extract

_OWN = ("inject", "extract", "__version__")


def _load_api():
    """Copy the public names of sslmod.ssl into this package; return it."""
    from . import ssl as api
    names = set(getattr(api, "__all__", ()))
    names.update(n for n in vars(api) if not n.startswith("_"))
    g = globals()
    for name in names:
        if name not in _OWN and name != "ssl":
            g[name] = getattr(api, name)
    g["__all__"] = sorted(names - {"ssl"}) + list(_OWN)
    return api


_api = _load_api()


def __getattr__(name):
    # Private helpers that code written against ssl reaches for
    # (ssl._create_unverified_context, ssl._DEFAULT_CIPHERS ...) come from
    # sslmod.ssl on demand.
    if not name.startswith("__"):
        try:
            return getattr(_api, name)
        except AttributeError:
            pass
    raise AttributeError("module {!r} has no attribute {!r}".format(__name__, name))


def __dir__():
    return sorted(set(globals()) | set(vars(_api)))
