"""Swap the interpreter's ssl for sslmod in a running process, and back.

inject() points ``sys.modules['ssl']`` and ``sys.modules['_ssl']`` at
sslmod, then walks every loaded module and rebinds names that still hold
the stdlib module or one of its classes, functions or enum members (for
example ``asyncio.sslproto.ssl`` or urllib3's ``from ssl import
SSLContext``), tuples of them (``except`` tuples such as
``asyncio.sslproto.SSLAgainErrors``), and class attributes such as
``ftplib.FTP_TLS.ssl_version``.
Every change is remembered so that extract() can put back exactly what it
replaced, and only where nobody has changed the value since.

What cannot be reached: objects created before inject() (a stdlib
SSLContext held somewhere stays a stdlib one), function default values and
closures that captured stdlib objects, and subclasses of stdlib classes.

Exceptions need nothing here: ``except`` matches on the class's real MRO
(PyType_IsSubtype), and sslmod._sslmod creates each of its exception
classes with the interpreter's class of the same name as an extra base
(sslmod.SSLError -> stdlib SSLError -> OSError, sslmod.SSLWantReadError ->
sslmod.SSLError, stdlib SSLWantReadError ...).  So stdlib code that catches
``ssl.SSLError`` or a tuple like asyncio.sslproto.SSLAgainErrors also
catches sslmod's errors, with or without inject(), and no class is changed
after it is made.
"""
import enum
import sys
import threading
import types

__all__ = ["inject", "extract"]

_MISSING = object()
_lock = threading.RLock()
# While injected: a dict of what extract() needs; None otherwise.
_state = None

def _ours():
    from . import ssl as new_ssl, _sslmod as new_c
    return new_ssl, new_c


def _owned_by(obj, module_names):
    """True for the classes, functions and enum members a module defines.

    Plain values (ints, strings, None) are never mapped: they are shared
    objects, and rebinding them would touch unrelated names."""
    if isinstance(obj, enum.Enum):
        return type(obj).__module__ in module_names
    if isinstance(obj, (type, types.FunctionType, types.BuiltinFunctionType)):
        return getattr(obj, "__module__", None) in module_names
    return False


def _replacements(old_ssl, old_c, new_ssl, new_c):
    """{id(stdlib object): (stdlib object, sslmod equivalent)}."""
    found = {}

    def add(old, new):
        if id(old) not in found:
            found[id(old)] = (old, new)

    for old, new in ((old_ssl, new_ssl), (old_c, new_c)):
        if old is None:
            continue
        add(old, new)
        for name, value in list(vars(old).items()):
            if _owned_by(value, ("ssl", "_ssl")):
                replacement = getattr(new, name, _MISSING)
                if replacement is not _MISSING:
                    add(value, replacement)
    return found


def _is_ours(name):
    return name == __package__ or name.startswith(__package__ + ".")


def _replacement(value, mapping):
    """The sslmod equivalent of VALUE, or _MISSING if it has none."""
    hit = mapping.get(id(value))
    if hit is not None and hit[0] is value:
        return hit[1]
    if type(value) is tuple and value:
        # Tuples of exception classes for "except (A, B)", such as
        # asyncio.sslproto.SSLAgainErrors.
        items = [_replacement(item, mapping) for item in value]
        if any(item is not _MISSING for item in items):
            return tuple(value[i] if item is _MISSING else item
                         for i, item in enumerate(items))
    return _MISSING


def _rebind_namespace(owner, namespace, mapping, changes):
    for name, value in list(namespace.items()):
        new = _replacement(value, mapping)
        if new is _MISSING:
            continue
        try:
            setattr(owner, name, new)
        except (AttributeError, TypeError):
            continue  # a read-only attribute or a static type: leave it
        changes.append((owner, name, value, new))


def _rebind_everywhere(mapping, skip, changes):
    for modname, module in list(sys.modules.items()):
        # Only true modules: sys.modules holds other objects too, and their
        # __dict__ can be anything.  cffi's Lib (cryptography's
        # "_openssl.lib") builds a new dict on each read of it, leaking a
        # reference per integer constant, and answers __class__ with
        # ModuleType: so type() is asked, never isinstance().
        if (not issubclass(type(module), types.ModuleType) or module in skip
                or _is_ours(modname)):
            continue
        try:
            namespace = vars(module)
        except TypeError:
            continue
        _rebind_namespace(module, namespace, mapping, changes)
        # One level down: classes the module defines keep stdlib values as
        # class attributes (ftplib.FTP_TLS.ssl_version, for one).
        for value in list(namespace.values()):
            if (isinstance(value, type) and value.__module__ == modname
                    and not isinstance(value, enum.EnumMeta)):
                _rebind_namespace(value, dict(vars(value)), mapping, changes)


def _carry_over_overrides(old_ssl, new_ssl, mapping, changes):
    # The well-known "ssl._create_default_https_context =
    # ssl._create_unverified_context" switch, if a program flipped it on
    # the stdlib module, must stay flipped on ours.
    name = "_create_default_https_context"
    old_value = getattr(old_ssl, name, None)
    if old_value is None or old_value is getattr(old_ssl, "create_default_context", None):
        return
    new_value = _replacement(old_value, mapping)
    if new_value is _MISSING:
        new_value = old_value  # a program's own function: keep it
    previous = getattr(new_ssl, name, _MISSING)
    if previous is new_value:
        return
    setattr(new_ssl, name, new_value)
    changes.append((new_ssl, name, previous, new_value))


def inject():
    """Make sslmod the process's ssl and _ssl module.

    Afterwards ``import ssl`` and ``import _ssl`` return sslmod.ssl and
    sslmod._sslmod, and modules that were imported earlier see sslmod in
    place of the stdlib names they hold.  Calling it again is harmless: it
    only catches up with modules loaded since.  Undo with extract()."""
    global _state
    new_ssl, new_c = _ours()
    with _lock:
        if _state is None:
            old_ssl = sys.modules.get("ssl", _MISSING)
            old_c = sys.modules.get("_ssl", _MISSING)
            _state = {
                "saved_modules": {"ssl": old_ssl, "_ssl": old_c},
                "old_ssl": None if old_ssl in (_MISSING, None, new_ssl) else old_ssl,
                "old_c": None if old_c in (_MISSING, None, new_c) else old_c,
                "changes": [],
            }
            sys.modules["ssl"] = new_ssl
            sys.modules["_ssl"] = new_c
        old_ssl, old_c = _state["old_ssl"], _state["old_c"]
        if old_ssl is not None or old_c is not None:
            mapping = _replacements(old_ssl, old_c, new_ssl, new_c)
            skip = {m for m in (old_ssl, old_c) if m is not None}
            _rebind_everywhere(mapping, skip, _state["changes"])
            if old_ssl is not None:
                _carry_over_overrides(old_ssl, new_ssl, mapping, _state["changes"])


def extract():
    """Undo inject(): the stdlib ssl is back wherever inject() put sslmod.

    A name that was changed again after inject() is left alone.  Does
    nothing if sslmod is not injected."""
    global _state
    with _lock:
        if _state is None:
            return
        new_ssl, new_c = _ours()
        for owner, name, old, new in reversed(_state["changes"]):
            if getattr(owner, name, _MISSING) is new:
                if old is _MISSING:
                    delattr(owner, name)
                else:
                    setattr(owner, name, old)
        for name, ours in (("ssl", new_ssl), ("_ssl", new_c)):
            saved = _state["saved_modules"][name]
            if sys.modules.get(name) is not ours:
                continue  # someone else replaced it since; not ours to undo
            if saved is _MISSING:
                del sys.modules[name]
            else:
                sys.modules[name] = saved
        _state = None


def injected():
    """True between inject() and extract()."""
    return _state is not None
