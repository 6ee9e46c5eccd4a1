/* datapath.c: the C bases of ssl.SSLObject (_SSLObjectBase) and
 * ssl.SSLSocket (_SSLSocketBase).  Their data-path methods (read, write,
 * recv, send ... and the cheap peer queries) do in C what the Python
 * classes did, so that a call costs no Python frame: argument parsing by
 * hand, the closed-socket checks, flags, and ragged-EOF suppression. */
#include "sslmod.h"

#include <string.h>
#include <structmember.h>

#define SSL_ERROR_EOF_VALUE 8 /* ssl.SSL_ERROR_EOF */

/* ---- arguments ------------------------------------------------------ */

/* Python-style parsing of up to 3 positional-or-keyword arguments called
 * NAMES[0..]: OUT[i] is the argument (borrowed) or NULL when not given.
 * The first NREQ are required.  QUAL is the method's qualified name, for
 * the messages (Python counts self among the positional arguments).
 * 0, or -1 with TypeError set. */
static int
parse_args(const char *qual, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames,
           const char *const *names, int nmax, int nreq, PyObject **out)
{
    Py_ssize_t nkw = kwnames != NULL ? PyTuple_GET_SIZE(kwnames) : 0;
    int i;

    if (!SSLMOD_QUALIFIED_ARG_ERRORS && strchr(qual, '.') != NULL) {
        qual = strchr(qual, '.') + 1;
    }

    for (i = 0; i < nmax; i++) {
        out[i] = i < nargs ? args[i] : NULL;
    }
    if (nargs > nmax) {
        if (nreq == nmax) {
            PyErr_Format(PyExc_TypeError, "%s() takes %d positional argument%s but %zd were given",
                         qual, nmax + 1, nmax == 0 ? "" : "s", nargs + 1);
        }
        else {
            PyErr_Format(PyExc_TypeError,
                         "%s() takes from %d to %d positional arguments but %zd were given", qual,
                         nreq + 1, nmax + 1, nargs + 1);
        }
        return -1;
    }
    for (Py_ssize_t k = 0; k < nkw; k++) {
        PyObject *key = PyTuple_GET_ITEM(kwnames, k);
        for (i = 0; i < nmax; i++) {
            if (PyUnicode_CompareWithASCIIString(key, names[i]) == 0) {
                break;
            }
        }
        if (i == nmax) {
            PyErr_Format(PyExc_TypeError, "%s() got an unexpected keyword argument '%U'", qual,
                         key);
            return -1;
        }
        if (out[i] != NULL) {
            PyErr_Format(PyExc_TypeError, "%s() got multiple values for argument '%s'", qual,
                         names[i]);
            return -1;
        }
        out[i] = args[nargs + k];
    }
    for (i = 0; i < nreq; i++) {
        if (out[i] == NULL) {
            PyErr_Format(PyExc_TypeError, "%s() missing 1 required positional argument: '%s'", qual,
                         names[i]);
            return -1;
        }
    }
    return 0;
}

static int
no_args(const char *qual, Py_ssize_t nargs, PyObject *kwnames)
{
    return parse_args(qual, NULL, nargs, kwnames, NULL, 0, 0, NULL);
}

/* ---- calls on the core connection ------------------------------------ */

/* CONN is normally a core connection, whose C functions are called
 * directly; anything else (the Python bridge over foreign MemoryBIOs, or
 * None) gets an ordinary method call, with the ordinary errors. */

static PyObject *
call_read(sslmod_state *st, PyObject *conn, PyObject *len, PyObject *buffer)
{
    PyObject *argv[3] = {conn, len, buffer};
    PyObject *res, *dflt = NULL;
    size_t n = buffer != NULL && buffer != Py_None ? 2 : 1;

    if (len == NULL) {
        dflt = argv[1] = PyLong_FromLong(1024);
        if (dflt == NULL) {
            return NULL;
        }
    }
    if (Py_IS_TYPE(conn, st->conn_type)) {
        res = sslmod_conn_read(conn, argv + 1, (Py_ssize_t)n, NULL);
    }
    else {
        PyObject *name = PyUnicode_FromString("read");
        res = name != NULL ? PyObject_VectorcallMethod(name, argv, n + 1, NULL) : NULL;
        Py_XDECREF(name);
    }
    Py_XDECREF(dflt);
    return res;
}

static PyObject *
call_write(sslmod_state *st, PyObject *conn, PyObject *data)
{
    if (Py_IS_TYPE(conn, st->conn_type)) {
        return sslmod_conn_write(conn, data);
    }
    return PyObject_CallMethod(conn, "write", "O", data);
}

typedef PyObject *(*noargs_fn)(PyObject *, PyObject *);

static PyObject *
call_noargs(sslmod_state *st, PyObject *conn, noargs_fn direct, const char *name)
{
    if (Py_IS_TYPE(conn, st->conn_type)) {
        return direct(conn, NULL);
    }
    return PyObject_CallMethod(conn, name, NULL);
}

static PyObject *
call_getpeercert(sslmod_state *st, PyObject *conn, PyObject *binary_form)
{
    PyObject *arg = binary_form != NULL ? binary_form : Py_False;
    if (Py_IS_TYPE(conn, st->conn_type)) {
        return sslmod_conn_getpeercert(conn, &arg, 1);
    }
    return PyObject_CallMethod(conn, "getpeercert", "O", arg);
}

/* ==== _SSLObjectBase ===================================================== */

typedef struct {
    PyObject_HEAD
    sslmod_state *state;
    PyObject *sslobj; /* the core connection (or a bridge); strong */
} sslobject;

/* The connection of SELF as a new reference (a callback may replace
 * _sslobj while we run), or NULL with AttributeError as Python says it. */
static PyObject *
obj_conn(PyObject *op)
{
    PyObject *conn = ((sslobject *)op)->sslobj;
    if (conn == NULL) {
        PyErr_Format(PyExc_AttributeError, "'%.100s' object has no attribute '_sslobj'",
                     Py_TYPE(op)->tp_name);
        return NULL;
    }
    return Py_NewRef(conn);
}

static PyObject *
obj_new(PyTypeObject *type, PyObject *Py_UNUSED(args), PyObject *Py_UNUSED(kwds))
{
    sslmod_state *st = sslmod_state_from_type(type);
    sslobject *self;

    if (st == NULL) {
        return NULL;
    }
    self = (sslobject *)type->tp_alloc(type, 0);
    if (self != NULL) {
        self->state = st;
    }
    return (PyObject *)self;
}

static int
obj_traverse(PyObject *op, visitproc visit, void *arg)
{
    Py_VISIT(Py_TYPE(op));
    Py_VISIT(((sslobject *)op)->sslobj);
    return 0;
}

static int
obj_clear(PyObject *op)
{
    Py_CLEAR(((sslobject *)op)->sslobj);
    return 0;
}

static void
obj_dealloc(PyObject *op)
{
    PyTypeObject *tp = Py_TYPE(op);
    PyObject_GC_UnTrack(op);
    obj_clear(op);
    tp->tp_free(op);
    Py_DECREF(tp);
}

static PyObject *
obj_read(PyObject *op, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    static const char *const names[] = {"len", "buffer"};
    PyObject *a[2], *conn, *res = NULL;

    if (parse_args("SSLObject.read", args, nargs, kwnames, names, 2, 0, a) < 0
        || (conn = obj_conn(op)) == NULL) {
        return NULL;
    }
    res = call_read(((sslobject *)op)->state, conn, a[0], a[1]);
    Py_DECREF(conn);
    return res;
}

static PyObject *
obj_write(PyObject *op, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    static const char *const names[] = {"data"};
    PyObject *a[1], *conn, *res = NULL;

    if (parse_args("SSLObject.write", args, nargs, kwnames, names, 1, 1, a) < 0
        || (conn = obj_conn(op)) == NULL) {
        return NULL;
    }
    res = call_write(((sslobject *)op)->state, conn, a[0]);
    Py_DECREF(conn);
    return res;
}

static PyObject *
obj_getpeercert(PyObject *op, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    static const char *const names[] = {"binary_form"};
    PyObject *a[1], *conn, *res = NULL;

    if (parse_args("SSLObject.getpeercert", args, nargs, kwnames, names, 1, 0, a) < 0
        || (conn = obj_conn(op)) == NULL) {
        return NULL;
    }
    res = call_getpeercert(((sslobject *)op)->state, conn, a[0]);
    Py_DECREF(conn);
    return res;
}

static PyObject *
obj_noargs(PyObject *op, noargs_fn direct, const char *name)
{
    PyObject *conn = obj_conn(op), *res;
    if (conn == NULL) {
        return NULL;
    }
    res = call_noargs(((sslobject *)op)->state, conn, direct, name);
    Py_DECREF(conn);
    return res;
}

static PyObject *
obj_pending(PyObject *op, PyObject *const *Py_UNUSED(args), Py_ssize_t nargs, PyObject *kwnames)
{
    if (no_args("SSLObject.pending", nargs, kwnames) < 0) {
        return NULL;
    }
    return obj_noargs(op, sslmod_conn_pending, "pending");
}

static PyObject *
obj_cipher(PyObject *op, PyObject *const *Py_UNUSED(args), Py_ssize_t nargs, PyObject *kwnames)
{
    if (no_args("SSLObject.cipher", nargs, kwnames) < 0) {
        return NULL;
    }
    return obj_noargs(op, sslmod_conn_cipher, "cipher");
}

static PyObject *
obj_version(PyObject *op, PyObject *const *Py_UNUSED(args), Py_ssize_t nargs, PyObject *kwnames)
{
    if (no_args("SSLObject.version", nargs, kwnames) < 0) {
        return NULL;
    }
    return obj_noargs(op, sslmod_conn_version, "version");
}

static PyObject *
obj_selected_alpn_protocol(PyObject *op, PyObject *const *Py_UNUSED(args), Py_ssize_t nargs,
                           PyObject *kwnames)
{
    if (no_args("SSLObject.selected_alpn_protocol", nargs, kwnames) < 0) {
        return NULL;
    }
    return obj_noargs(op, sslmod_conn_selected_alpn_protocol, "selected_alpn_protocol");
}

static PyObject *
obj_do_handshake(PyObject *op, PyObject *const *Py_UNUSED(args), Py_ssize_t nargs,
                 PyObject *kwnames)
{
    if (no_args("SSLObject.do_handshake", nargs, kwnames) < 0) {
        return NULL;
    }
    return obj_noargs(op, sslmod_conn_do_handshake, "do_handshake");
}

static PyObject *
obj_get_session_reused(PyObject *op, void *Py_UNUSED(closure))
{
    PyObject *conn = obj_conn(op), *res;
    if (conn == NULL) {
        return NULL;
    }
    if (Py_IS_TYPE(conn, ((sslobject *)op)->state->conn_type)) {
        res = sslmod_conn_session_reused(conn, NULL);
    }
    else {
        res = PyObject_GetAttrString(conn, "session_reused");
    }
    Py_DECREF(conn);
    return res;
}

static PyMethodDef obj_methods[] = {
    {"read", (PyCFunction)(void (*)(void))obj_read, METH_FASTCALL | METH_KEYWORDS,
     "read($self, /, len=1024, buffer=None)\n--\n\n"
     "Read up to len bytes; into buffer if given (then return the count)."},
    {"write", (PyCFunction)(void (*)(void))obj_write, METH_FASTCALL | METH_KEYWORDS,
     "write($self, /, data)\n--\n\nWrite data; return the number of bytes written."},
    {"getpeercert", (PyCFunction)(void (*)(void))obj_getpeercert, METH_FASTCALL | METH_KEYWORDS,
     "getpeercert($self, /, binary_form=False)\n--\n\n"
     "The peer's certificate as a dict, or as DER bytes if binary_form."},
    {"do_handshake", (PyCFunction)(void (*)(void))obj_do_handshake, METH_FASTCALL | METH_KEYWORDS,
     "do_handshake($self, /)\n--\n\nRun the TLS handshake."},
    {"pending", (PyCFunction)(void (*)(void))obj_pending, METH_FASTCALL | METH_KEYWORDS,
     "pending($self, /)\n--\n\nDecrypted bytes ready to be read without I/O."},
    {"cipher", (PyCFunction)(void (*)(void))obj_cipher, METH_FASTCALL | METH_KEYWORDS,
     "cipher($self, /)\n--\n\n(name, protocol, secret bits) of the cipher in use, or None."},
    {"version", (PyCFunction)(void (*)(void))obj_version, METH_FASTCALL | METH_KEYWORDS,
     "version($self, /)\n--\n\nThe negotiated protocol version as a string, or None."},
    {"selected_alpn_protocol", (PyCFunction)(void (*)(void))obj_selected_alpn_protocol,
     METH_FASTCALL | METH_KEYWORDS,
     "selected_alpn_protocol($self, /)\n--\n\nThe protocol ALPN selected, or None."},
    {NULL, NULL, 0, NULL},
};

static PyMemberDef obj_members[] = {
    {"_sslobj", T_OBJECT_EX, offsetof(sslobject, sslobj), 0,
     "The core connection (sslmod._sslmod._SSLSocket)."},
    {NULL, 0, 0, 0, NULL},
};

static PyGetSetDef obj_getset[] = {
    {"session_reused", obj_get_session_reused, NULL, "Whether the session was reused.", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyType_Slot obj_slots[] = {
    {Py_tp_doc, (void *)"The C half of ssl.SSLObject: its data path without Python frames."},
    {Py_tp_new, obj_new},
    {Py_tp_dealloc, obj_dealloc},
    {Py_tp_traverse, obj_traverse},
    {Py_tp_clear, obj_clear},
    {Py_tp_methods, obj_methods},
    {Py_tp_members, obj_members},
    {Py_tp_getset, obj_getset},
    {0, NULL},
};

static PyType_Spec obj_spec = {
    .name = "sslmod._sslmod._SSLObjectBase",
    .basicsize = sizeof(sslobject),
    .flags =
        Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_IMMUTABLETYPE,
    .slots = obj_slots,
};

/* ==== _SSLSocketBase ===================================================== */

/* A subclass of _socket.socket with no fields of its own, so that
 * ssl.SSLSocket can derive from both socket.socket and this.  Its methods
 * are METH_METHOD: the defining class leads to the module state. */

#define SOCK_PARAMS                                                                                \
    PyObject *op, PyTypeObject *cls, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames
#define SOCK_METHOD(fn)                                                                            \
    (PyCFunction)(void (*)(void))(fn), METH_METHOD | METH_FASTCALL | METH_KEYWORDS

static sslmod_state *
cls_state(PyTypeObject *cls)
{
    return (sslmod_state *)PyType_GetModuleState(cls);
}

/* self._sslobj: a new reference (None once closed or unwrapped). */
static PyObject *
sock_conn(sslmod_state *st, PyObject *self)
{
    return PyObject_GetAttr(self, st->str_sslobj);
}

/* _socket.socket.NAME(self, *ARGS): the plain socket's method, for a
 * socket without TLS (what super().NAME did). */
static PyObject *
plain_call(sslmod_state *st, const char *name, PyObject *self, PyObject *a0, PyObject *a1,
           PyObject *a2)
{
    PyObject *argv[4] = {self, a0, a1, a2};
    PyObject *meth = PyObject_GetAttrString(st->socket_type, name), *res;
    size_t n = 1;

    if (meth == NULL) {
        return NULL;
    }
    while (n < 4 && argv[n] != NULL) {
        n++;
    }
    res = PyObject_Vectorcall(meth, argv, n, NULL);
    Py_DECREF(meth);
    return res;
}

/* "if flags:" -- 0, or -1 with ValueError (or the truth test's error). */
static int
check_flags(PyObject *self, PyObject *flags, const char *call)
{
    int set;
    if (flags == NULL) {
        return 0;
    }
    set = PyObject_IsTrue(flags);
    if (set > 0) {
        PyErr_Format(PyExc_ValueError, "non-zero flags not allowed in calls to %s() on %R", call,
                     (PyObject *)Py_TYPE(self));
    }
    return set != 0 ? -1 : 0;
}

/* With an exception set: 1 (and the exception cleared) when it is the
 * transport EOF without close_notify and SELF suppresses ragged EOFs, 0
 * (exception left set) otherwise. */
static int
ragged_eof(sslmod_state *st, PyObject *self)
{
    PyObject *exc, *args = NULL, *flag = NULL;
    int ragged = 0;

    if (!PyErr_ExceptionMatches(st->SSLError)) {
        return 0;
    }
    exc = sslmod_exc_fetch();
    args = PyObject_GetAttrString(exc, "args");
    if (args != NULL && PyTuple_Check(args) && PyTuple_GET_SIZE(args) > 0
        && PyLong_Check(PyTuple_GET_ITEM(args, 0))
        && PyLong_AsLong(PyTuple_GET_ITEM(args, 0)) == SSL_ERROR_EOF_VALUE) {
        flag = PyObject_GetAttr(self, st->str_suppress_ragged_eofs);
        ragged = flag != NULL ? PyObject_IsTrue(flag) > 0 : 0;
    }
    PyErr_Clear(); /* from the look-ups above; the SSLError wins */
    Py_XDECREF(args);
    Py_XDECREF(flag);
    if (ragged) {
        Py_DECREF(exc);
    }
    else {
        sslmod_exc_restore(exc);
    }
    return ragged;
}

/* read with ragged-EOF handling: EMPTY (b"" or 0) for a suppressed EOF. */
static PyObject *
sock_read_conn(sslmod_state *st, PyObject *self, PyObject *conn, PyObject *len, PyObject *buffer)
{
    PyObject *res = call_read(st, conn, len, buffer);
    if (res == NULL && ragged_eof(st, self)) {
        res = buffer != NULL && buffer != Py_None ? PyLong_FromLong(0)
                                                  : PyBytes_FromStringAndSize(NULL, 0);
    }
    return res;
}

static PyObject *
sock_read(SOCK_PARAMS)
{
    static const char *const names[] = {"len", "buffer"};
    sslmod_state *st = cls_state(cls);
    PyObject *a[2], *conn = NULL, *res = NULL;

    if (parse_args("SSLSocket.read", args, nargs, kwnames, names, 2, 0, a) < 0
        || (conn = sock_conn(st, op)) == NULL) {
        goto done;
    }
    if (conn == Py_None) {
        PyErr_SetString(PyExc_ValueError, "Read on closed or unwrapped SSL socket.");
        goto done;
    }
    res = sock_read_conn(st, op, conn, a[0], a[1]);
done:
    Py_XDECREF(conn);
    return res;
}

static PyObject *
sock_write(SOCK_PARAMS)
{
    static const char *const names[] = {"data"};
    sslmod_state *st = cls_state(cls);
    PyObject *a[1], *conn = NULL, *res = NULL;

    if (parse_args("SSLSocket.write", args, nargs, kwnames, names, 1, 1, a) < 0
        || (conn = sock_conn(st, op)) == NULL) {
        goto done;
    }
    if (conn == Py_None) {
        PyErr_SetString(PyExc_ValueError, "Write on closed or unwrapped SSL socket.");
        goto done;
    }
    res = call_write(st, conn, a[0]);
done:
    Py_XDECREF(conn);
    return res;
}

static PyObject *
sock_recv(SOCK_PARAMS)
{
    static const char *const names[] = {"buflen", "flags"};
    sslmod_state *st = cls_state(cls);
    PyObject *a[2], *conn = NULL, *res = NULL, *dflt = NULL;

    if (parse_args("SSLSocket.recv", args, nargs, kwnames, names, 2, 0, a) < 0
        || (conn = sock_conn(st, op)) == NULL) {
        goto done;
    }
    if (conn == Py_None) {
        if (a[0] == NULL && (a[0] = dflt = PyLong_FromLong(1024)) == NULL) {
            goto done;
        }
        res = plain_call(st, "recv", op, a[0], a[1], NULL);
        goto done;
    }
    if (check_flags(op, a[1], "recv") < 0) {
        goto done;
    }
    res = sock_read_conn(st, op, conn, a[0], NULL);
done:
    Py_XDECREF(dflt);
    Py_XDECREF(conn);
    return res;
}

/* recv_into's default size: the buffer's size in bytes (not items, on
 * every interpreter: 3.9's ssl took len(buffer), a bug), or 1024 when that
 * is 0 or there is no buffer. */
static PyObject *
default_nbytes(PyObject *buffer)
{
    Py_ssize_t n = 0;
    if (buffer != Py_None) {
        PyObject *view = PyMemoryView_FromObject(buffer);
        if (view == NULL) {
            return NULL;
        }
        n = PyMemoryView_GET_BUFFER(view)->len;
        Py_DECREF(view);
    }
    return PyLong_FromSsize_t(n != 0 ? n : 1024);
}

static PyObject *
sock_recv_into(SOCK_PARAMS)
{
    static const char *const names[] = {"buffer", "nbytes", "flags"};
    sslmod_state *st = cls_state(cls);
    PyObject *a[3], *conn = NULL, *res = NULL, *nbytes = NULL;

    if (parse_args("SSLSocket.recv_into", args, nargs, kwnames, names, 3, 1, a) < 0) {
        goto done;
    }
    if (a[1] == NULL || a[1] == Py_None) {
        nbytes = default_nbytes(a[0]);
    }
    else {
        nbytes = Py_NewRef(a[1]);
    }
    if (nbytes == NULL || (conn = sock_conn(st, op)) == NULL) {
        goto done;
    }
    if (conn == Py_None) {
        res = plain_call(st, "recv_into", op, a[0], nbytes, a[2] != NULL ? a[2] : NULL);
        goto done;
    }
    if (check_flags(op, a[2], "recv_into") < 0) {
        goto done;
    }
    res = sock_read_conn(st, op, conn, nbytes, a[0]);
    if (res == NULL && a[0] == Py_None) {
        goto done;
    }
done:
    Py_XDECREF(nbytes);
    Py_XDECREF(conn);
    return res;
}

static PyObject *
sock_send(SOCK_PARAMS)
{
    static const char *const names[] = {"data", "flags"};
    sslmod_state *st = cls_state(cls);
    PyObject *a[2], *conn = NULL, *res = NULL;

    if (parse_args("SSLSocket.send", args, nargs, kwnames, names, 2, 1, a) < 0
        || (conn = sock_conn(st, op)) == NULL) {
        goto done;
    }
    if (conn == Py_None) {
        res = plain_call(st, "send", op, a[0], a[1], NULL);
        goto done;
    }
    if (check_flags(op, a[1], "send") < 0) {
        goto done;
    }
    res = call_write(st, conn, a[0]);
done:
    Py_XDECREF(conn);
    return res;
}

/* sendall over a core connection: one write of everything, then the rest
 * if a write came back short.  0, or -1 with an exception set. */
static int
sendall_conn(sslmod_state *st, PyObject *conn, PyObject *data)
{
    Py_buffer view = {0};
    Py_ssize_t done = 0;
    size_t written;
    int rc = -1;

    if (!PyObject_CheckBuffer(data)) {
        PyErr_Format(PyExc_TypeError, "memoryview: a bytes-like object is required, not '%.100s'",
                     Py_TYPE(data)->tp_name);
        goto done;
    }
    if (!Py_IS_TYPE(conn, st->conn_type)) {
        /* Not ours (never the case for a socket): write() until done. */
        PyObject *n = NULL, *mv = PyMemoryView_FromObject(data), *rest = NULL;
        if (mv == NULL) {
            goto done;
        }
        while (1) {
            Py_ssize_t total = PyMemoryView_GET_BUFFER(mv)->len;
            rest = PySequence_GetSlice(mv, done, total);
            n = rest != NULL ? call_write(st, conn, rest) : NULL;
            Py_CLEAR(rest);
            if (n == NULL) {
                break;
            }
            done += PyLong_AsSsize_t(n);
            Py_CLEAR(n);
            if (PyErr_Occurred()) {
                break;
            }
            if (done >= total) {
                rc = 0;
                break;
            }
        }
        Py_DECREF(mv);
        goto done;
    }
    if (PyObject_GetBuffer(data, &view, PyBUF_SIMPLE) < 0) {
        goto done;
    }
    do {
        if (sslmod_conn_write_buf(conn, (const char *)view.buf + done, view.len - done, &written)
            < 0) {
            goto done;
        }
        done += (Py_ssize_t)written;
    } while (done < view.len);
    rc = 0;
done:
    if (view.obj != NULL) {
        PyBuffer_Release(&view);
    }
    return rc;
}

static PyObject *
sock_sendall(SOCK_PARAMS)
{
    static const char *const names[] = {"data", "flags"};
    sslmod_state *st = cls_state(cls);
    PyObject *a[2], *conn = NULL, *res = NULL;

    if (parse_args("SSLSocket.sendall", args, nargs, kwnames, names, 2, 1, a) < 0
        || (conn = sock_conn(st, op)) == NULL) {
        goto done;
    }
    if (conn == Py_None) {
        res = plain_call(st, "sendall", op, a[0], a[1], NULL);
        goto done;
    }
    if (check_flags(op, a[1], "sendall") < 0 || sendall_conn(st, conn, a[0]) < 0) {
        goto done;
    }
    res = Py_NewRef(Py_None);
done:
    Py_XDECREF(conn);
    return res;
}

/* A no-argument query: UNWRAPPED (borrowed) without a TLS layer. */
static PyObject *
sock_query(PyTypeObject *cls, PyObject *op, Py_ssize_t nargs, PyObject *kwnames, const char *qual,
           noargs_fn direct, const char *name, PyObject *unwrapped)
{
    sslmod_state *st = cls_state(cls);
    PyObject *conn = NULL, *res = NULL;

    if (no_args(qual, nargs, kwnames) < 0 || (conn = sock_conn(st, op)) == NULL) {
        goto done;
    }
    res = conn == Py_None ? Py_NewRef(unwrapped) : call_noargs(st, conn, direct, name);
done:
    Py_XDECREF(conn);
    return res;
}

static PyObject *
sock_pending(SOCK_PARAMS)
{
    PyObject *zero = PyLong_FromLong(0), *res;
    (void)args;
    if (zero == NULL) {
        return NULL;
    }
    res = sock_query(cls, op, nargs, kwnames, "SSLSocket.pending", sslmod_conn_pending, "pending",
                     zero);
    Py_DECREF(zero);
    return res;
}

static PyObject *
sock_cipher(SOCK_PARAMS)
{
    (void)args;
    return sock_query(cls, op, nargs, kwnames, "SSLSocket.cipher", sslmod_conn_cipher, "cipher",
                      Py_None);
}

static PyObject *
sock_version(SOCK_PARAMS)
{
    (void)args;
    return sock_query(cls, op, nargs, kwnames, "SSLSocket.version", sslmod_conn_version, "version",
                      Py_None);
}

static PyObject *
sock_selected_alpn_protocol(SOCK_PARAMS)
{
    (void)args;
    return sock_query(cls, op, nargs, kwnames, "SSLSocket.selected_alpn_protocol",
                      sslmod_conn_selected_alpn_protocol, "selected_alpn_protocol", Py_None);
}

/* _ktls_send(): whether sendfile() can go through kernel TLS now. */
static PyObject *
sock_ktls_send(SOCK_PARAMS)
{
    sslmod_state *st = cls_state(cls);
    PyObject *conn = NULL, *res = NULL;

    (void)args;
    if (no_args("SSLSocket._ktls_send", nargs, kwnames) < 0 || (conn = sock_conn(st, op)) == NULL) {
        goto done;
    }
    res = PyBool_FromLong(Py_IS_TYPE(conn, st->conn_type) && sslmod_conn_ktls_send(conn));
done:
    Py_XDECREF(conn);
    return res;
}

/* _ktls_sendfile(fd, offset, count): SSL_sendfile; count 0 means to the
 * end of the file.  Returns the bytes sent. */
static PyObject *
sock_ktls_sendfile(SOCK_PARAMS)
{
    static const char *const names[] = {"fd", "offset", "count"};
    sslmod_state *st = cls_state(cls);
    PyObject *a[3], *conn = NULL, *res = NULL;
    long long offset, count, sent = 0;
    int fd;

    if (parse_args("SSLSocket._ktls_sendfile", args, nargs, kwnames, names, 3, 3, a) < 0
        || sslmod_as_int(a[0], &fd) < 0) {
        goto done;
    }
    offset = PyLong_AsLongLong(a[1]);
    count = PyLong_AsLongLong(a[2]);
    if (PyErr_Occurred() || (conn = sock_conn(st, op)) == NULL) {
        goto done;
    }
    if (!Py_IS_TYPE(conn, st->conn_type)) {
        PyErr_SetString(PyExc_ValueError, "sendfile needs a TLS connection");
        goto done;
    }
    if (sslmod_conn_sendfile(conn, fd, offset, count, &sent) < 0) {
        goto done;
    }
    res = PyLong_FromLongLong(sent);
done:
    Py_XDECREF(conn);
    return res;
}

static PyMethodDef sock_methods[] = {
    {"read", SOCK_METHOD(sock_read),
     "read($self, /, len=1024, buffer=None)\n--\n\n"
     "Read up to len bytes; into buffer if given (then return the count)."},
    {"write", SOCK_METHOD(sock_write),
     "write($self, /, data)\n--\n\nWrite data; return the number of bytes written."},
    {"recv", SOCK_METHOD(sock_recv),
     "recv($self, /, buflen=1024, flags=0)\n--\n\nReceive up to buflen bytes."},
    {"recv_into", SOCK_METHOD(sock_recv_into),
     "recv_into($self, /, buffer, nbytes=None, flags=0)\n--\n\n"
     "Receive up to nbytes bytes into buffer; return the count."},
    {"send", SOCK_METHOD(sock_send),
     "send($self, /, data, flags=0)\n--\n\nSend data; return the number of bytes sent."},
    {"sendall", SOCK_METHOD(sock_sendall),
     "sendall($self, /, data, flags=0)\n--\n\nSend all of data."},
    {"pending", SOCK_METHOD(sock_pending),
     "pending($self, /)\n--\n\nDecrypted bytes ready to be read without I/O."},
    {"cipher", SOCK_METHOD(sock_cipher),
     "cipher($self, /)\n--\n\n(name, protocol, secret bits) of the cipher in use, or None."},
    {"version", SOCK_METHOD(sock_version),
     "version($self, /)\n--\n\nThe negotiated protocol version as a string, or None."},
    {"selected_alpn_protocol", SOCK_METHOD(sock_selected_alpn_protocol),
     "selected_alpn_protocol($self, /)\n--\n\nThe protocol ALPN selected, or None."},
    {"_ktls_send", SOCK_METHOD(sock_ktls_send),
     "_ktls_send($self, /)\n--\n\n"
     "Whether the kernel holds this connection's send keys (kTLS)."},
    {"_ktls_sendfile", SOCK_METHOD(sock_ktls_sendfile),
     "_ktls_sendfile($self, /, fd, offset, count)\n--\n\n"
     "Send count bytes (0: all) of file fd from offset with SSL_sendfile."},
    {NULL, NULL, 0, NULL},
};

/* Only direct instances of this class come here: ssl.SSLSocket's
 * subtype_dealloc goes straight to _socket.socket's.  That one drops the
 * reference to the instance's type itself only where _socket.socket is a
 * heap type (3.12+); otherwise it is ours to drop. */
static void
sock_dealloc(PyObject *op)
{
    PyTypeObject *tp = Py_TYPE(op);
    PyTypeObject *plain = tp;
    int plain_is_heap;

    while (plain->tp_dealloc == sock_dealloc) {
        plain = plain->tp_base; /* ends at _socket.socket, which tp keeps alive */
    }
    plain_is_heap = PyType_HasFeature(plain, Py_TPFLAGS_HEAPTYPE);
    plain->tp_dealloc(op);
    if (!plain_is_heap) {
        Py_DECREF(tp);
    }
}

static PyType_Slot sock_slots[] = {
    {Py_tp_doc, (void *)"The C half of ssl.SSLSocket: its data path without Python frames."},
    {Py_tp_dealloc, sock_dealloc},
    {Py_tp_methods, sock_methods},
    {0, NULL},
};

static PyType_Spec sock_spec = {
    .name = "sslmod._sslmod._SSLSocketBase",
    .basicsize = 0, /* _socket.socket's layout, nothing added */
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_IMMUTABLETYPE,
    .slots = sock_slots,
};

/* _datapath_bases(): (_SSLObjectBase, _SSLSocketBase) for Lib/ssl.py.
 * Not module attributes: the module's types are exactly _ssl's. */
static PyObject *
datapath_bases(PyObject *module, PyObject *Py_UNUSED(ignored))
{
    sslmod_state *st = (sslmod_state *)PyModule_GetState(module);
    return PyTuple_Pack(2, (PyObject *)st->sslobject_base, (PyObject *)st->sslsocket_base);
}

static PyMethodDef datapath_functions[] = {
    {"_datapath_bases", datapath_bases, METH_NOARGS,
     "_datapath_bases($module, /)\n--\n\n"
     "The C bases of ssl.SSLObject and ssl.SSLSocket."},
    {NULL, NULL, 0, NULL},
};

int
sslmod_datapath_setup(PyObject *module, sslmod_state *st)
{
    PyObject *bases = NULL;
    int rc = -1;

    st->sslobject_base = (PyTypeObject *)PyType_FromModuleAndSpec(module, &obj_spec, NULL);
    if (st->sslobject_base == NULL) {
        goto done;
    }
    bases = PyTuple_Pack(1, st->socket_type); /* 3.9 wants a tuple */
    if (bases == NULL) {
        goto done;
    }
    st->sslsocket_base = (PyTypeObject *)PyType_FromModuleAndSpec(module, &sock_spec, bases);
    if (st->sslsocket_base == NULL) {
        goto done;
    }
    rc = PyModule_AddFunctions(module, datapath_functions);
done:
    Py_XDECREF(bases);
    return rc;
}
