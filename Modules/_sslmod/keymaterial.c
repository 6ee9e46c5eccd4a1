/* keymaterial.c: keying-material export (RFC 5705, RFC 8446 section 7.5)
 * on a connection, and the "tls-exporter" channel binding (RFC 9266) built
 * on it. */
#include "sslmod.h"

#include <string.h>

/* RFC 9266 section 2: the label and length of tls-exporter. */
#define TLS_EXPORTER_LABEL "EXPORTER-Channel-Binding"
#define TLS_EXPORTER_LENGTH 32

/* LENGTH bytes exported from SELF's session under LABEL, with CONTEXT
 * (USE_CONTEXT 0: no context at all, which differs from an empty one
 * before TLS 1.3).  The PRF/HKDF runs without the GIL, under the
 * connection lock.  ValueError before the handshake has completed.  New
 * bytes, or NULL with an exception. */
static PyObject *export(sslmod_conn *self, const char *label, size_t label_len, Py_ssize_t length,
                        const unsigned char *context, size_t context_len, int use_context)
{
    PyObject *out = NULL, *res = NULL;
    int ok = 0, finished, taken;

    out = PyBytes_FromStringAndSize(NULL, length);
    if (out == NULL) {
        goto done;
    }
    Py_BEGIN_ALLOW_THREADS
    taken = sslmod_conn_lock_nogil(self);
    finished = SSL_is_init_finished(self->ssl);
    if (finished) {
        ok = SSL_export_keying_material(self->ssl, (unsigned char *)PyBytes_AS_STRING(out),
                                        (size_t)length, label, label_len, context, context_len,
                                        use_context);
    }
    sslmod_conn_unlock(self, taken);
    Py_END_ALLOW_THREADS
    if (!finished) {
        PyErr_SetString(PyExc_ValueError, "keying material cannot be exported before the handshake "
                                          "has completed");
        goto done;
    }
    if (ok != 1) {
        SSLMOD_RAISE_QUEUE(self->state, "keying material export failed");
        goto done;
    }
    res = out;
    out = NULL;
done:
    Py_XDECREF(out);
    return res;
}

/* One argument as bytes in VIEW: a str (if ALLOW_STR; its UTF-8 encoding
 * is kept in *ENCODED) or any bytes-like object; WHAT names it in the
 * TypeError.  Undo with release_bytes().  0, or -1 with an exception. */
static int
bytes_arg(PyObject *obj, const char *what, int allow_str, Py_buffer *view, PyObject **encoded)
{
    *encoded = NULL;
    view->obj = NULL;
    if (allow_str && PyUnicode_Check(obj)) {
        *encoded = PyUnicode_AsUTF8String(obj);
        if (*encoded == NULL) {
            return -1;
        }
        return PyObject_GetBuffer(*encoded, view, PyBUF_SIMPLE);
    }
    if (!PyObject_CheckBuffer(obj)) {
        PyErr_Format(PyExc_TypeError,
                     "export_keying_material() argument '%s' must be "
                     "%sbytes-like, not %.100s",
                     what, allow_str ? "str or " : "", Py_TYPE(obj)->tp_name);
        return -1;
    }
    return PyObject_GetBuffer(obj, view, PyBUF_SIMPLE);
}

static void
release_bytes(Py_buffer *view, PyObject *encoded)
{
    if (view->obj != NULL) {
        PyBuffer_Release(view);
    }
    Py_XDECREF(encoded);
}

PyObject *
sslmod_keymat_export(PyObject *op, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    static const char *const names[] = {"label", "length", "context"};
    sslmod_conn *self = (sslmod_conn *)op;
    PyObject *given[3] = {NULL, NULL, Py_None};
    PyObject *label_enc = NULL, *ctx_enc = NULL, *res = NULL;
    Py_buffer label_view = {0}, ctx_view = {0};
    Py_ssize_t nkw = kwnames ? PyTuple_GET_SIZE(kwnames) : 0, length;

    /* Hand parsing of (label, length, context=None). */
    if (nargs > 3) {
        PyErr_Format(PyExc_TypeError,
                     "export_keying_material() takes at most 3 "
                     "arguments (%zd given)",
                     nargs + nkw);
        goto done;
    }
    for (Py_ssize_t i = 0; i < nargs; i++) {
        given[i] = args[i];
    }
    for (Py_ssize_t k = 0; k < nkw; k++) {
        PyObject *key = PyTuple_GET_ITEM(kwnames, k);
        int slot = -1;
        for (int n = 0; n < 3; n++) {
            if (PyUnicode_CompareWithASCIIString(key, names[n]) == 0) {
                slot = n;
            }
        }
        if (slot < 0) {
            PyErr_Format(PyExc_TypeError,
                         "export_keying_material() got an unexpected "
                         "keyword argument '%U'",
                         key);
            goto done;
        }
        if (slot < nargs) {
            PyErr_Format(PyExc_TypeError,
                         "export_keying_material() got multiple values "
                         "for argument '%s'",
                         names[slot]);
            goto done;
        }
        given[slot] = args[nargs + k];
    }
    for (int n = 0; n < 2; n++) {
        if (given[n] == NULL) {
            PyErr_Format(PyExc_TypeError,
                         "export_keying_material() missing required "
                         "argument '%s' (pos %d)",
                         names[n], n + 1);
            goto done;
        }
    }
    if (bytes_arg(given[0], "label", 1, &label_view, &label_enc) < 0) {
        goto done;
    }
    if (!PyLong_Check(given[1])) {
        PyErr_Format(PyExc_TypeError,
                     "export_keying_material() argument 'length' must "
                     "be int, not %.100s",
                     Py_TYPE(given[1])->tp_name);
        goto done;
    }
    length = PyLong_AsSsize_t(given[1]);
    if (length == -1 && PyErr_Occurred()) {
        goto done;
    }
    if (length < 1) {
        PyErr_SetString(PyExc_ValueError, "length must be a positive number of bytes");
        goto done;
    }
    if (given[2] != Py_None && bytes_arg(given[2], "context", 0, &ctx_view, &ctx_enc) < 0) {
        goto done;
    }
    res = export(self, label_view.buf, (size_t)label_view.len, length,
                 ctx_view.obj ? ctx_view.buf : NULL, ctx_view.obj ? (size_t)ctx_view.len : 0,
                 given[2] != Py_None);
done:
    release_bytes(&label_view, label_enc);
    release_bytes(&ctx_view, ctx_enc);
    return res;
}

PyObject *
sslmod_keymat_channel_binding(sslmod_conn *self)
{
    int finished, version, extms, taken;

    taken = sslmod_conn_lock_gil(self);
    finished = SSL_is_init_finished(self->ssl);
    version = SSL_version(self->ssl);
    extms = SSL_get_extms_support(self->ssl);
    sslmod_conn_unlock(self, taken);
    if (!finished) {
        return Py_NewRef(Py_None); /* as tls-unique before the handshake */
    }
    /* RFC 9266 section 3: before TLS 1.3 the exporter binds the channel
     * only with the extended master secret (RFC 7627). */
    if (version < TLS1_3_VERSION && extms != 1) {
        PyErr_SetString(PyExc_ValueError, "'tls-exporter' channel binding needs TLS 1.3 "
                                          "or the extended master secret extension (RFC 9266)");
        return NULL;
    }
    return export(self, TLS_EXPORTER_LABEL, strlen(TLS_EXPORTER_LABEL), TLS_EXPORTER_LENGTH, NULL,
                  0, 0);
}
