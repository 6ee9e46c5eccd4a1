/* membio.c: MemoryBIO, an in-memory byte pipe that a TLS connection can read
 * its input from or write its output to instead of a socket. */
#include "sslmod.h"

#include <limits.h>

/* An empty memory BIO normally tells its reader "retry later"; once
 * write_eof() is called it reports a clean end of file instead. */
#define MEMBIO_RETRY_RETURN (-1)
#define MEMBIO_EOF_RETURN 0

static PyObject *
membio_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    sslmod_membio *self = NULL;
    BIO *bio = NULL;

    if (PyTuple_GET_SIZE(args) > 0) {
        PyErr_SetString(PyExc_TypeError, "MemoryBIO() takes no positional arguments");
        goto error;
    }
    if (kwds != NULL && PyDict_GET_SIZE(kwds) > 0) {
        PyErr_SetString(PyExc_TypeError, "MemoryBIO() takes no keyword arguments");
        goto error;
    }
    bio = BIO_new(BIO_s_mem());
    if (bio == NULL) {
        PyErr_NoMemory();
        goto error;
    }
    BIO_set_mem_eof_return(bio, MEMBIO_RETRY_RETURN);

    self = (sslmod_membio *)type->tp_alloc(type, 0);
    if (self == NULL) {
        goto error;
    }
    self->state = sslmod_state_from_type(type);
    self->bio = bio; /* ours; a connection that uses it takes its own ref */
    self->eof_written = 0;
    return (PyObject *)self;

error:
    BIO_free(bio);
    return NULL;
}

static int
membio_traverse(sslmod_membio *self, visitproc visit, void *arg)
{
    Py_VISIT(Py_TYPE(self));
    return 0;
}

static void
membio_dealloc(sslmod_membio *self)
{
    PyTypeObject *tp = Py_TYPE(self);
    PyObject_GC_UnTrack(self);
    BIO_free(self->bio);
    tp->tp_free((PyObject *)self);
    Py_DECREF(tp);
}

/* read([size]): SIZE is a C int, with the stdlib's messages for values that
 * are not ints or do not fit. */
static int
read_size(PyObject *obj, int *out)
{
    long v;

#if PY_VERSION_HEX < 0x030A0000
    /* 3.9's PyLong_AsLong still accepts floats through __int__. */
    if (PyFloat_Check(obj)) {
        PyErr_SetString(PyExc_TypeError, "integer argument expected, got float");
        return -1;
    }
#endif
    v = PyLong_AsLong(obj);
    if (v == -1 && PyErr_Occurred()) {
        if (PyErr_ExceptionMatches(PyExc_OverflowError)) {
            PyErr_SetString(PyExc_OverflowError, "Python int too large to convert to C int");
        }
        return -1;
    }
    if (v > INT_MAX || v < INT_MIN) {
        PyErr_SetString(PyExc_OverflowError, "Python int too large to convert to C int");
        return -1;
    }
    *out = (int)v;
    return 0;
}

/* read(size=-1, /): METH_FASTCALL, parsed by hand (it is on the data
 * path), with the stdlib's messages. */
static PyObject *
membio_read(sslmod_membio *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    PyObject *result = NULL, *shorter = NULL;
    int size = -1, avail, nread;
    size_t pending;

    if (kwnames != NULL && PyTuple_GET_SIZE(kwnames) > 0) {
        PyErr_SetString(PyExc_TypeError, "MemoryBIO.read() takes no keyword arguments");
        goto done;
    }
    if (nargs > 1) {
        PyErr_Format(PyExc_TypeError, "read expected at most 1 argument, got %zd", nargs);
        goto done;
    }
    if (nargs == 1 && read_size(args[0], &size) < 0) {
        goto done;
    }
    pending = BIO_ctrl_pending(self->bio);
    avail = pending > INT_MAX ? INT_MAX : (int)pending;
    if (size < 0 || size > avail) {
        size = avail;
    }
    result = PyBytes_FromStringAndSize(NULL, size);
    if (result == NULL || size == 0) {
        goto done;
    }
    /* A memory BIO holding SIZE bytes hands them all over in one call. */
    nread = BIO_read(self->bio, PyBytes_AS_STRING(result), size);
    if (nread < 0) {
        Py_CLEAR(result);
        SSLMOD_RAISE_QUEUE(self->state, "reading from a MemoryBIO failed");
        goto done;
    }
    if (nread != size) {
        shorter = PyBytes_FromStringAndSize(PyBytes_AS_STRING(result), nread);
        Py_DECREF(result);
        result = shorter;
    }
done:
    return result;
}

static PyObject *
membio_write(sslmod_membio *self, PyObject *arg)
{
    Py_buffer view = {0};
    PyObject *result = NULL;
    int nwritten;

    if (PyObject_GetBuffer(arg, &view, PyBUF_SIMPLE) < 0) {
        goto done;
    }
    if (view.len > INT_MAX) {
        PyErr_Format(PyExc_OverflowError, "string longer than %d bytes", INT_MAX);
        goto done;
    }
    if (self->eof_written) {
        /* The stdlib raises this one with the message as its only argument. */
        PyErr_SetString(self->state->SSLError, "cannot write() after write_eof()");
        goto done;
    }
    nwritten = BIO_write(self->bio, view.buf, (int)view.len);
    if (nwritten < 0 || (view.len > 0 && nwritten == 0)) {
        SSLMOD_RAISE_QUEUE(self->state, "writing to a MemoryBIO failed");
        goto done;
    }
    result = PyLong_FromLong(nwritten);
done:
    if (view.obj != NULL) {
        PyBuffer_Release(&view);
    }
    return result;
}

static PyObject *
membio_write_eof(sslmod_membio *self, PyObject *Py_UNUSED(ignored))
{
    self->eof_written = 1;
    /* From now on an empty BIO reads as end of file, not "try again". */
    BIO_clear_retry_flags(self->bio);
    BIO_set_mem_eof_return(self->bio, MEMBIO_EOF_RETURN);
    Py_RETURN_NONE;
}

static PyObject *
membio_get_pending(sslmod_membio *self, void *Py_UNUSED(closure))
{
    return PyLong_FromSize_t(BIO_ctrl_pending(self->bio));
}

static PyObject *
membio_get_eof(sslmod_membio *self, void *Py_UNUSED(closure))
{
    return PyBool_FromLong(self->eof_written && BIO_ctrl_pending(self->bio) == 0);
}

static PyMethodDef membio_methods[] = {
    {"read", (PyCFunction)(void (*)(void))membio_read, METH_FASTCALL | METH_KEYWORDS,
     "read($self, size=-1, /)\n--\n\n"
     "Take up to size bytes out of the buffer (everything when size is\n"
     "negative or omitted).\n\n"
     "An empty result means no data is buffered right now; check eof to\n"
     "tell a finished stream from one that is only waiting."},
    {"write", (PyCFunction)membio_write, METH_O,
     "write($self, b, /)\n--\n\n"
     "Append the bytes-like object b to the buffer and return how many\n"
     "bytes were added."},
    {"write_eof", (PyCFunction)membio_write_eof, METH_NOARGS,
     "write_eof($self, /)\n--\n\n"
     "Mark the end of the stream: no more writes are accepted, and eof\n"
     "becomes true once the buffer has been read empty."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef membio_getset[] = {
    {"pending", (getter)membio_get_pending, NULL, "How many bytes are buffered and not yet read.",
     NULL},
    {"eof", (getter)membio_get_eof, NULL,
     "True once write_eof() was called and every buffered byte was read.", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

/* One slot per line. */
/* clang-format off */
static PyType_Slot membio_slots[] = {
    {Py_tp_new, membio_new},           {Py_tp_dealloc, membio_dealloc},
    {Py_tp_traverse, membio_traverse}, {Py_tp_methods, membio_methods},
    {Py_tp_getset, membio_getset},     {0, NULL},
};
/* clang-format on */

static PyType_Spec membio_spec = {
    .name = "_ssl.MemoryBIO",
    .basicsize = sizeof(sslmod_membio),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_IMMUTABLETYPE,
    .slots = membio_slots,
};

int
sslmod_membio_setup(PyObject *module, sslmod_state *st)
{
    st->membio_type = (PyTypeObject *)PyType_FromModuleAndSpec(module, &membio_spec, NULL);
    if (st->membio_type == NULL) {
        return -1;
    }
    return PyModule_AddType(module, st->membio_type);
}
