/* session.c: SSLSession, a read-only handle on an OpenSSL session that a
 * client can hand to a later connection to resume it. */
#include "sslmod.h"

#include <string.h>

/* 3.9's _ssl named the class "Session" while exporting it as SSLSession. */
#if PY_VERSION_HEX < 0x030A0000
#  define SESSION_TYPE_NAME "_ssl.Session"
#else
#  define SESSION_TYPE_NAME "_ssl.SSLSession"
#endif

PyObject *
sslmod_session_new(sslmod_state *st, SSL_SESSION *sess, sslmod_context *ctx)
{
    sslmod_session *self = NULL;

    self = PyObject_GC_New(sslmod_session, st->session_type);
    if (self == NULL) {
        SSL_SESSION_free(sess);
        return NULL;
    }
    self->state = st;
    self->session = sess; /* stolen */
    self->ctx = (sslmod_context *)Py_XNewRef((PyObject *)ctx);
    PyObject_GC_Track(self);
    return (PyObject *)self;
}

static int
session_traverse(sslmod_session *self, visitproc visit, void *arg)
{
    Py_VISIT(Py_TYPE(self));
    Py_VISIT(self->ctx);
    return 0;
}

static int
session_clear(sslmod_session *self)
{
    Py_CLEAR(self->ctx);
    return 0;
}

static void
session_dealloc(sslmod_session *self)
{
    PyTypeObject *tp = Py_TYPE(self);
    PyObject_GC_UnTrack(self);
    Py_CLEAR(self->ctx);
    SSL_SESSION_free(self->session);
    PyObject_GC_Del(self);
    Py_DECREF(tp);
}

/* The DER encoding of SESS into *OUT (OPENSSL_malloc'd); its length, or -1
 * with MemoryError set. */
static int
session_der(SSL_SESSION *sess, unsigned char **out)
{
    int len = i2d_SSL_SESSION(sess, out);
    if (len <= 0 || *out == NULL) {
        ERR_clear_error();
        PyErr_NoMemory();
        return -1;
    }
    return len;
}

/* Two sessions are equal when they serialise to the same bytes; only == and
 * != are defined, and only between sessions. */
static PyObject *
session_richcompare(PyObject *left, PyObject *right, int op)
{
    PyObject *result = NULL;
    unsigned char *a = NULL, *b = NULL;
    int alen, blen, equal;
    sslmod_session *l = (sslmod_session *)left, *r = (sslmod_session *)right;

    if ((op != Py_EQ && op != Py_NE) || Py_TYPE(left) != Py_TYPE(right)) {
        result = Py_NewRef(Py_NotImplemented);
        goto done;
    }
    if (left == right) {
        equal = 1;
    }
    else {
        alen = session_der(l->session, &a);
        if (alen < 0) {
            goto done;
        }
        blen = session_der(r->session, &b);
        if (blen < 0) {
            goto done;
        }
        equal = alen == blen && memcmp(a, b, (size_t)alen) == 0;
    }
    result = Py_NewRef((equal == (op == Py_EQ)) ? Py_True : Py_False);
done:
    OPENSSL_free(a);
    OPENSSL_free(b);
    return result;
}

static PyObject *
session_get_id(sslmod_session *self, void *Py_UNUSED(closure))
{
    unsigned int len = 0;
    const unsigned char *id = SSL_SESSION_get_id(self->session, &len);
    return PyBytes_FromStringAndSize((const char *)id, (Py_ssize_t)len);
}

static PyObject *
session_get_time(sslmod_session *self, void *Py_UNUSED(closure))
{
    return PyLong_FromLongLong((long long)SSL_SESSION_get_time(self->session));
}

static PyObject *
session_get_timeout(sslmod_session *self, void *Py_UNUSED(closure))
{
    return PyLong_FromLongLong((long long)SSL_SESSION_get_timeout(self->session));
}

static PyObject *
session_get_ticket_lifetime_hint(sslmod_session *self, void *Py_UNUSED(closure))
{
    return PyLong_FromUnsignedLong(SSL_SESSION_get_ticket_lifetime_hint(self->session));
}

static PyObject *
session_get_has_ticket(sslmod_session *self, void *Py_UNUSED(closure))
{
    return PyBool_FromLong(SSL_SESSION_has_ticket(self->session));
}

static PyGetSetDef session_getset[] = {
    {"id", (getter)session_get_id, NULL,
     "The session ID as bytes (may be empty for ticket-only sessions).", NULL},
    {"time", (getter)session_get_time, NULL,
     "When the session was established, in seconds since the epoch.", NULL},
    {"timeout", (getter)session_get_timeout, NULL,
     "How many seconds after `time` the session stays resumable.", NULL},
    {"ticket_lifetime_hint", (getter)session_get_ticket_lifetime_hint, NULL,
     "The lifetime in seconds the server suggested for its ticket.", NULL},
    {"has_ticket", (getter)session_get_has_ticket, NULL,
     "True when the server issued a session ticket for this session.", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyType_Slot session_slots[] = {
    {Py_tp_dealloc, session_dealloc},
    {Py_tp_traverse, session_traverse},
    {Py_tp_clear, session_clear},
    {Py_tp_richcompare, session_richcompare},
    {Py_tp_hash, PyObject_HashNotImplemented},
    {Py_tp_getset, session_getset},
    {0, NULL},
};

static PyType_Spec session_spec = {
    .name = SESSION_TYPE_NAME,
    .basicsize = sizeof(sslmod_session),
    .flags =
        Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_IMMUTABLETYPE | SSLMOD_TPFLAGS_NO_NEW,
    .slots = session_slots,
};

int
sslmod_session_setup(PyObject *module, sslmod_state *st)
{
    st->session_type = (PyTypeObject *)PyType_FromModuleAndSpec(module, &session_spec, NULL);
    if (st->session_type == NULL) {
        return -1;
    }
    sslmod_forbid_instantiation(st->session_type); /* only connections make them */
    return PyModule_AddObjectRef(module, "SSLSession", (PyObject *)st->session_type);
}
