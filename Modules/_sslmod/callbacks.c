/* callbacks.c: every callback OpenSSL makes into Python during a connection
 * (SNI, message trace, key log, ALPN/NPN, PSK), each turning Python
 * failures into OpenSSL failure codes instead of letting them escape. */
#include "sslmod.h"

#include <errno.h>
#include <string.h>

/* ---- shared plumbing ---------------------------------------------- */

/* What a callback works on: the connection and its current context, both
 * held strongly for the whole call, so Python code that drops the last
 * other reference to either cannot free them under OpenSSL's feet. */
typedef struct {
    PyGILState_STATE gil;
    sslmod_conn *conn;   /* strong, or NULL: nothing to call back */
    sslmod_context *ctx; /* strong, or NULL */
    PyObject *saved_exc; /* an exception the caller already had set */
} cb_scope;

/* Take the GIL and the references.  Returns 0 when there is a connection
 * to call back for, -1 when the callback must do nothing (no connection
 * attached yet, or it is being deallocated). */
static int
cb_enter(cb_scope *scope, const SSL *ssl)
{
    sslmod_conn *conn;

    scope->gil = PyGILState_Ensure();
    scope->conn = NULL;
    scope->ctx = NULL;
    /* Python code must not run with someone else's exception set. */
    scope->saved_exc = sslmod_exc_fetch();

    conn = (sslmod_conn *)SSL_get_app_data(ssl); /* borrowed */
    if (conn == NULL || Py_REFCNT(conn) < 1 || conn->ctx == NULL) {
        return -1;
    }
    scope->conn = (sslmod_conn *)Py_NewRef((PyObject *)conn);
    scope->ctx = (sslmod_context *)Py_NewRef((PyObject *)conn->ctx);
    return 0;
}

static void
cb_leave(cb_scope *scope)
{
    Py_XDECREF(scope->ctx);
    Py_XDECREF(scope->conn);
    if (scope->saved_exc != NULL) {
        PyErr_Clear();
        sslmod_exc_restore(scope->saved_exc);
    }
    PyGILState_Release(scope->gil);
}

/* Keep the current exception on the connection, to be raised once the
 * OpenSSL call returns.  Like the stdlib, a later failure in the same
 * OpenSSL call replaces an earlier one. */
static void
stash_exception(sslmod_conn *conn)
{
    PyObject *exc = sslmod_exc_fetch();
    if (exc != NULL) {
        PyObject *old = conn->pending_exc;
        conn->pending_exc = exc;
        Py_XDECREF(old);
    }
}

/* The referent of REF (a weakref; None once dead).  New reference. */
static PyObject *
weak_target(PyObject *ref)
{
    PyObject *obj;
    if (!PyWeakref_Check(ref)) {
        return Py_NewRef(ref); /* held strongly after all */
    }
    obj = sslmod_weakref_get(ref);
    return obj != NULL ? obj : Py_NewRef(Py_None);
}

/* The object a callback is given as "the connection": the owner (the
 * SSLObject or SSLSocket of ssl.py), else the socket, else the bare
 * connection.  A dead weak reference gives None, as in the stdlib. */
static PyObject *
conn_face(sslmod_conn *conn)
{
    if (conn->owner != NULL && conn->owner != Py_None) {
        return weak_target(conn->owner);
    }
    if (conn->sock != NULL && conn->sock != Py_None) {
        return weak_target(conn->sock);
    }
    return Py_NewRef((PyObject *)conn);
}

/* A C string from OpenSSL as str, or None when absent or empty.  NULL with
 * an exception set if it is not UTF-8. */
static PyObject *
optional_text(const char *text)
{
    if (text == NULL || text[0] == '\0') {
        return Py_NewRef(Py_None);
    }
    return PyUnicode_DecodeUTF8(text, (Py_ssize_t)strlen(text), "strict");
}

/* ---- SNI ------------------------------------------------------------ */

/* Server side: hand the requested host name to ctx.sni_callback.  None
 * proceeds; an int aborts the handshake with that alert.  Failures are
 * reported through sys.unraisablehook, as the stdlib does: an exception in
 * the callback sends handshake_failure, a bad name or a non-int result
 * internal_error. */
int
sslmod_cb_servername(SSL *ssl, int *alert, void *Py_UNUSED(arg))
{
    cb_scope scope;
    PyObject *callback = NULL, *face = NULL, *name_bytes = NULL, *name = NULL;
    PyObject *result = NULL;
    const char *servername;
    long value;
    /* Installed for good once sni_callback was first set: without a Python
     * callback, answer as OpenSSL does when there is no callback at all. */
    int rc = SSL_TLSEXT_ERR_NOACK;

    if (cb_enter(&scope, ssl) < 0 || scope.ctx->sni_callback == NULL) {
        goto done;
    }
    callback = Py_NewRef(scope.ctx->sni_callback);
    rc = SSL_TLSEXT_ERR_OK;

    servername = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    if (servername == NULL) {
        name = Py_NewRef(Py_None);
    }
    else {
        /* Host names on the wire are A-labels, so anything but ASCII is
         * refused rather than guessed at. */
        name_bytes = PyBytes_FromString(servername);
        if (name_bytes == NULL) {
            goto internal_error;
        }
        name = PyUnicode_FromEncodedObject(name_bytes, "ascii", "strict");
        if (name == NULL) {
            PyErr_WriteUnraisable(name_bytes);
            goto internal_error;
        }
    }
    face = conn_face(scope.conn);
    if (face == NULL) {
        PyErr_WriteUnraisable(callback);
        goto handshake_failure;
    }
    result = PyObject_CallFunctionObjArgs(callback, face, name, (PyObject *)scope.ctx, NULL);
    if (result == NULL) {
        PyErr_WriteUnraisable(callback);
        goto handshake_failure;
    }
    if (result == Py_None) {
        goto done;
    }
    value = PyLong_AsLong(result);
    if (value == -1 && PyErr_Occurred()) {
        PyErr_WriteUnraisable(result);
        goto internal_error;
    }
    *alert = (int)value; /* truncated like the stdlib's */
    rc = SSL_TLSEXT_ERR_ALERT_FATAL;
    goto done;

handshake_failure:
    *alert = SSL_AD_HANDSHAKE_FAILURE;
    rc = SSL_TLSEXT_ERR_ALERT_FATAL;
    goto done;
internal_error:
    PyErr_Clear();
    *alert = SSL_AD_INTERNAL_ERROR;
    rc = SSL_TLSEXT_ERR_ALERT_FATAL;
done:
    Py_XDECREF(result);
    Py_XDECREF(face);
    Py_XDECREF(name);
    Py_XDECREF(name_bytes);
    Py_XDECREF(callback);
    cb_leave(&scope);
    return rc;
}

/* ---- message trace --------------------------------------------------- */

/* ctx._msg_callback(conn, 'read'|'write', version, content_type, msg_type,
 * data) for every protocol message.  msg_type is the handshake type, the
 * alert description, or the byte that identifies the record. */
void
sslmod_cb_msg(int write_p, int version, int content_type, const void *buf, size_t len, SSL *ssl,
              void *arg)
{
    cb_scope scope;
    PyObject *callback = NULL, *face = NULL, *result = NULL;
    const unsigned char *bytes = (const unsigned char *)buf;
    int msg_type = -1;

    if (arg == NULL) {
        /* The connection was made while the context had no msg callback:
         * it gets none, as if this function were not installed.  No GIL. */
        return;
    }
    if (cb_enter(&scope, ssl) < 0 || scope.ctx->msg_callback == NULL) {
        goto done;
    }
    callback = Py_NewRef(scope.ctx->msg_callback);

    switch (content_type) {
    case SSL3_RT_CHANGE_CIPHER_SPEC:
        msg_type = SSL3_MT_CHANGE_CIPHER_SPEC;
        break;
    case SSL3_RT_ALERT:
        /* buf is (level, description): the description says what happened. */
        if (len >= 2) {
            msg_type = bytes[1];
        }
        break;
    default:
        if (len >= 1) {
            msg_type = bytes[0];
        }
        break;
    }
    face = conn_face(scope.conn);
    if (face == NULL) {
        stash_exception(scope.conn);
        goto done;
    }
    result = PyObject_CallFunction(callback, "Osiiiy#", face, write_p ? "write" : "read", version,
                                   content_type, msg_type, (const char *)buf, (Py_ssize_t)len);
    if (result == NULL) {
        stash_exception(scope.conn);
    }
done:
    Py_XDECREF(result);
    Py_XDECREF(face);
    Py_XDECREF(callback);
    cb_leave(&scope);
}

/* ---- key log ----------------------------------------------------------- */

/* Report a failed key log write as an OSError on the connection. */
static void
keylog_failed(const SSL *ssl, int saved_errno)
{
    cb_scope scope;

    if (cb_enter(&scope, ssl) == 0) {
        errno = saved_errno;
        PyErr_SetFromErrnoWithFilenameObject(PyExc_OSError, scope.ctx->keylog_filename);
        stash_exception(scope.conn);
    }
    cb_leave(&scope);
}

/* Append LINE (NSS key log format) to the key log file of the context the
 * connection uses now.  Installed for good once keylog_filename was first
 * set; does nothing while no file is set.  Runs without taking the GIL:
 * the BIO is used under keylog_lock, which its setter takes to replace it.
 * The context is alive: the running connection holds it. */
void
sslmod_cb_keylog(const SSL *ssl, const char *line)
{
    sslmod_context *ctx = SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl)); /* borrowed */
    int written = 0, saved_errno = 0;

    if (ctx == NULL || ctx->keylog_lock == NULL) {
        return;
    }
    PyThread_acquire_lock(ctx->keylog_lock, WAIT_LOCK);
    if (ctx->keylog_bio != NULL) {
        errno = 0;
        written = BIO_printf(ctx->keylog_bio, "%s\n", line);
        saved_errno = errno;
        /* Flushed per line so a reader (Wireshark) sees complete secrets. */
        (void)BIO_flush(ctx->keylog_bio);
    }
    PyThread_release_lock(ctx->keylog_lock);
    if (written < 0) {
        keylog_failed(ssl, saved_errno);
    }
}

/* ---- ALPN / NPN ------------------------------------------------------ */

/* Server side: pick the first of our protocols (ctx.set_alpn_protocols
 * order) that the client offers.  Without a common one the handshake goes
 * on without ALPN, as in the stdlib. */
int
sslmod_cb_alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                      const unsigned char *in, unsigned int inlen, void *Py_UNUSED(arg))
{
    cb_scope scope;
    unsigned char *chosen = NULL;
    unsigned char chosen_len = 0;
    unsigned int pos;
    int rc = SSL_TLSEXT_ERR_NOACK;

    if (cb_enter(&scope, ssl) < 0 || scope.ctx->alpn_protocols == NULL) {
        goto done;
    }
    if (SSL_select_next_proto(&chosen, &chosen_len, scope.ctx->alpn_protocols,
                              scope.ctx->alpn_protocols_len, in, inlen)
        != OPENSSL_NPN_NEGOTIATED) {
        goto done;
    }
    /* Answer with the copy inside the client's list: OpenSSL owns that
     * until it has copied the choice, while our list may be replaced by
     * another thread as soon as the GIL is released. */
    for (pos = 0; pos < inlen; pos += 1u + in[pos]) {
        if (in[pos] == chosen_len && pos + 1u + chosen_len <= inlen
            && memcmp(in + pos + 1, chosen, chosen_len) == 0) {
            *out = in + pos + 1;
            *outlen = chosen_len;
            rc = SSL_TLSEXT_ERR_OK;
            break;
        }
    }
done:
    cb_leave(&scope);
    return rc;
}

/* ---- PSK (the 3.13 API) ------------------------------------------------ */

/* Client side: callback(hint) -> (identity: str | bytes | None, psk: bytes).
 * Returns the PSK length, 0 to fail the handshake.  As in 3.13, exceptions
 * and malformed results go to sys.unraisablehook; values that do not fit
 * OpenSSL's buffers and undecodable hints fail silently. */
unsigned int
sslmod_cb_psk_client(SSL *ssl, const char *hint, char *identity, unsigned int max_identity_len,
                     unsigned char *psk, unsigned int max_psk_len)
{
    cb_scope scope;
    PyObject *callback = NULL, *hint_obj = NULL, *result = NULL;
    const char *id = NULL, *key = NULL;
    Py_ssize_t id_len = 0, key_len = 0;
    unsigned int rc = 0;

    if (cb_enter(&scope, ssl) < 0 || scope.ctx->psk_client_callback == NULL) {
        goto done;
    }
    callback = Py_NewRef(scope.ctx->psk_client_callback);
    hint_obj = optional_text(hint);
    if (hint_obj == NULL) {
        PyErr_Clear();
        goto done;
    }
    result = PyObject_CallOneArg(callback, hint_obj);
    if (result == NULL) {
        PyErr_WriteUnraisable(callback);
        goto done;
    }
    if (!PyArg_ParseTuple(result, "z#y#", &id, &id_len, &key, &key_len)) {
        PyErr_WriteUnraisable(callback);
        goto done;
    }
    /* The identity goes out NUL-terminated, so it needs one byte more. */
    if ((size_t)id_len + 1 > max_identity_len || (size_t)key_len > max_psk_len) {
        goto done;
    }
    if (id_len > 0) {
        memcpy(identity, id, (size_t)id_len);
    }
    identity[id_len] = '\0';
    memcpy(psk, key, (size_t)key_len);
    rc = (unsigned int)key_len;
done:
    Py_XDECREF(result);
    Py_XDECREF(hint_obj);
    Py_XDECREF(callback);
    cb_leave(&scope);
    return rc;
}

/* Server side: callback(identity: str | None) -> psk: bytes.  Returns the
 * PSK length, 0 to refuse the identity; failures reported as for the
 * client. */
unsigned int
sslmod_cb_psk_server(SSL *ssl, const char *identity, unsigned char *psk, unsigned int max_psk_len)
{
    cb_scope scope;
    PyObject *callback = NULL, *id_obj = NULL, *result = NULL;
    char *key = NULL;
    Py_ssize_t key_len = 0;
    unsigned int rc = 0;

    if (cb_enter(&scope, ssl) < 0 || scope.ctx->psk_server_callback == NULL) {
        goto done;
    }
    callback = Py_NewRef(scope.ctx->psk_server_callback);
    id_obj = optional_text(identity);
    if (id_obj == NULL) {
        PyErr_Clear();
        goto done;
    }
    result = PyObject_CallOneArg(callback, id_obj);
    if (result == NULL) {
        PyErr_WriteUnraisable(callback);
        goto done;
    }
    if (PyBytes_AsStringAndSize(result, &key, &key_len) < 0) {
        PyErr_WriteUnraisable(callback);
        goto done;
    }
    if ((size_t)key_len > max_psk_len) {
        goto done;
    }
    memcpy(psk, key, (size_t)key_len);
    rc = (unsigned int)key_len;
done:
    Py_XDECREF(result);
    Py_XDECREF(id_obj);
    Py_XDECREF(callback);
    cb_leave(&scope);
    return rc;
}
