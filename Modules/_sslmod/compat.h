/* compat.h: what differs in the C API of CPython 3.9 to 3.13, in one place.
 *
 * Only API availability lives here: a newer call and its older equivalent,
 * behind one name.  Where sslmod behaves differently per version because
 * the interpreter's own _ssl does (messages, defaults, argument rules),
 * the branch stays next to the behaviour, in the file that owns it.
 * Included by sslmod.h; nothing here depends on OpenSSL.
 */
#ifndef SSLMOD_COMPAT_H
#define SSLMOD_COMPAT_H

#ifndef Py_TPFLAGS_IMMUTABLETYPE /* 3.10 */
#  define Py_TPFLAGS_IMMUTABLETYPE 0
#endif

/* Py_TPFLAGS_DISALLOW_INSTANTIATION is 3.10+; on 3.9 the type's tp_new is
 * taken away after creation instead (sslmod_forbid_instantiation). */
#ifdef Py_TPFLAGS_DISALLOW_INSTANTIATION
#  define SSLMOD_TPFLAGS_NO_NEW Py_TPFLAGS_DISALLOW_INSTANTIATION
#else
#  define SSLMOD_TPFLAGS_NO_NEW 0
#endif

/* Per-interpreter GIL support can be declared from 3.12. */
#if PY_VERSION_HEX >= 0x030C0000
#  define SSLMOD_HAS_MULTIPLE_INTERPRETERS_SLOT 1
#else
#  define SSLMOD_HAS_MULTIPLE_INTERPRETERS_SLOT 0
#endif

#if PY_VERSION_HEX < 0x030A0000
static inline PyObject *
Py_NewRef(PyObject *o)
{
    Py_INCREF(o);
    return o;
}

static inline PyObject *
Py_XNewRef(PyObject *o)
{
    Py_XINCREF(o);
    return o;
}

static inline int
PyModule_AddObjectRef(PyObject *mod, const char *name, PyObject *value)
{
    int rc;
    Py_XINCREF(value);
    rc = PyModule_AddObject(mod, name, value);
    if (rc < 0) {
        Py_XDECREF(value);
    }
    return rc;
}
#endif

/* On 3.9, make TYPE refuse direct instantiation (heap types get object's
 * tp_new there); later versions use SSLMOD_TPFLAGS_NO_NEW in the spec. */
static inline void
sslmod_forbid_instantiation(PyTypeObject *type)
{
#if PY_VERSION_HEX < 0x030A0000
    type->tp_new = NULL;
    PyType_Modified(type);
#else
    (void)type;
#endif
}

/* The referent of the weak reference REF as a new reference, or NULL when
 * REF is NULL or dead.  Never leaves an exception set. */
static inline PyObject *
sslmod_weakref_get(PyObject *ref)
{
    PyObject *obj = NULL;
    if (ref == NULL) {
        return NULL;
    }
#if PY_VERSION_HEX >= 0x030D0000
    if (PyWeakref_GetRef(ref, &obj) < 0) {
        PyErr_Clear();
        obj = NULL;
    }
#else
    obj = PyWeakref_GetObject(ref); /* borrowed; None once dead */
    obj = (obj == NULL || obj == Py_None) ? NULL : Py_NewRef(obj);
    if (obj == NULL) {
        PyErr_Clear();
    }
#endif
    return obj;
}

/* The exception being raised, as one object (NULL if none), cleared from
 * the thread; and the reverse, which steals EXC. */
static inline PyObject *
sslmod_exc_fetch(void)
{
#if PY_VERSION_HEX >= 0x030C0000
    return PyErr_GetRaisedException();
#else
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);
    if (type == NULL) {
        return NULL;
    }
    PyErr_NormalizeException(&type, &value, &tb);
    if (tb != NULL && value != NULL) {
        PyException_SetTraceback(value, tb);
    }
    Py_XDECREF(type);
    Py_XDECREF(tb);
    return value;
#endif
}

static inline void
sslmod_exc_restore(PyObject *exc)
{
    if (exc == NULL) {
        return;
    }
#if PY_VERSION_HEX >= 0x030C0000
    PyErr_SetRaisedException(exc);
#else
    PyErr_Restore(Py_NewRef((PyObject *)Py_TYPE(exc)), exc, PyException_GetTraceback(exc));
#endif
}

#endif /* SSLMOD_COMPAT_H */
