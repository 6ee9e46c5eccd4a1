/* ocsp.c: OCSP stapling (RFC 6066 section 8).  A server staples the
 * response set with set_ocsp_response() (bytes, or a callable asked per
 * handshake); a client asks for one when ocsp_stapling is not OCSP_NONE,
 * verifies what it gets (signer, certificate ID, validity window, status)
 * and can read it back with ocsp_response(). */
#include "sslmod.h"

#include <string.h>

#include <openssl/ocsp.h>

/* Seconds of clock skew allowed around thisUpdate/nextUpdate (the
 * leeway `openssl ocsp -validity_period` defaults to). */
#define OCSP_LEEWAY 300

/* ---- the callback (both sides), installed once per context ------------- */

/* The object a callable gets as "the connection": the SSLSocket/SSLObject
 * owning CONN, else CONN itself.  New reference. */
static PyObject *
conn_owner(sslmod_conn *conn)
{
    PyObject *obj = sslmod_weakref_get(conn->owner);
    return obj != NULL ? obj : Py_NewRef((PyObject *)conn);
}

/* Server side: staple the context's response.  Runs inside the handshake
 * (GIL released by the caller); takes the GIL itself.  SSL's current
 * SSL_CTX is the one an SNI callback may have switched to. */
static int
serve_status(SSL *ssl)
{
    PyGILState_STATE gil = PyGILState_Ensure();
    sslmod_conn *conn = SSL_get_app_data(ssl);                        /* borrowed */
    sslmod_context *ctx = SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl)); /* borrowed */
    PyObject *saved = sslmod_exc_fetch();
    PyObject *response = NULL, *owner = NULL, *result = NULL;
    unsigned char *copy = NULL;
    char *data;
    Py_ssize_t len;
    int rc = SSL_TLSEXT_ERR_NOACK;

    if (conn == NULL || ctx == NULL || ctx->ocsp_response == NULL) {
        goto done;
    }
    response = Py_NewRef(ctx->ocsp_response);
    if (PyBytes_Check(response)) {
        result = Py_NewRef(response);
    }
    else {
        /* A callable: one answer per handshake (and per certificate). */
        owner = conn_owner(conn);
        result = PyObject_CallOneArg(response, owner);
        if (result == NULL) {
            /* As a failing sni_callback: reported, and the handshake fails. */
            PyErr_WriteUnraisable(response);
            rc = SSL_TLSEXT_ERR_ALERT_FATAL;
            goto done;
        }
        if (result == Py_None) {
            goto done;
        }
        if (!PyBytes_Check(result)) {
            PyErr_Format(PyExc_TypeError,
                         "the OCSP response callback must return bytes "
                         "or None, not %.100s",
                         Py_TYPE(result)->tp_name);
            PyErr_WriteUnraisable(response);
            rc = SSL_TLSEXT_ERR_ALERT_FATAL;
            goto done;
        }
    }
    data = PyBytes_AS_STRING(result);
    len = PyBytes_GET_SIZE(result);
    if (len == 0 || len > INT_MAX) {
        goto done;
    }
    copy = OPENSSL_malloc((size_t)len);
    if (copy == NULL) {
        rc = SSL_TLSEXT_ERR_ALERT_FATAL;
        goto done;
    }
    memcpy(copy, data, (size_t)len);
    /* The SSL owns COPY from here on. */
    if (SSL_set_tlsext_status_ocsp_resp(ssl, copy, (long)len) != 1) {
        OPENSSL_free(copy);
        rc = SSL_TLSEXT_ERR_ALERT_FATAL;
        goto done;
    }
    rc = SSL_TLSEXT_ERR_OK;
done:
    Py_XDECREF(result);
    Py_XDECREF(owner);
    Py_XDECREF(response);
    PyErr_Clear();
    sslmod_exc_restore(saved);
    PyGILState_Release(gil);
    return rc;
}

/* Refuse the staple: the handshake fails; errors.c raises
 * SSLCertVerificationError with CODE and WHY (conn->ocsp_failure). */
static int
refuse(SSL *ssl, sslmod_conn *conn, long code, const char *why)
{
    SSL_set_verify_result(ssl, code);
    if (conn != NULL) {
        conn->ocsp_failure = why;
    }
    return 0;
}

/* The issuer of LEAF: the next certificate of the verified chain, or one
 * of the peer's chain that issued it.  Borrowed, or NULL. */
static X509 *
find_issuer(SSL *ssl, X509 *leaf)
{
    STACK_OF(X509) *chain = SSL_get0_verified_chain(ssl);
    if (chain != NULL && sk_X509_num(chain) > 1) {
        return sk_X509_value(chain, 1);
    }
    chain = SSL_get_peer_cert_chain(ssl);
    for (int i = 0; chain != NULL && i < sk_X509_num(chain); i++) {
        X509 *cand = sk_X509_value(chain, i);
        if (cand != leaf && X509_check_issued(cand, leaf) == X509_V_OK) {
            return cand;
        }
    }
    return NULL;
}

/* Client side: check the stapled response.  No Python involved; runs
 * without the GIL.  1 accepts, 0 fails the handshake. */
static int
check_status(SSL *ssl)
{
    sslmod_conn *conn = SSL_get_app_data(ssl);                        /* borrowed */
    sslmod_context *ctx = SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl)); /* borrowed */
    const unsigned char *der = NULL;
    OCSP_RESPONSE *resp = NULL;
    OCSP_BASICRESP *basic = NULL;
    OCSP_CERTID *id = NULL;
    ASN1_GENERALIZEDTIME *this_upd = NULL, *next_upd = NULL, *rev_time = NULL;
    X509 *leaf, *issuer;
    long len;
    int status = -1, reason = -1, rc = 0;
    /* A plain int the setter writes under the GIL; read once here. */
    int mode = ctx != NULL ? ctx->ocsp_mode : SSLMOD_OCSP_NONE;

    len = SSL_get_tlsext_status_ocsp_resp(ssl, &der);
    if (der == NULL || len <= 0) {
        if (mode == SSLMOD_OCSP_REQUIRED) {
            rc = refuse(ssl, conn, X509_V_ERR_OCSP_VERIFY_NEEDED,
                        "OCSP stapling is required but the server sent no OCSP response");
        }
        else {
            rc = 1;
        }
        goto done;
    }
    if (!(SSL_get_verify_mode(ssl) & SSL_VERIFY_PEER)) {
        rc = 1; /* CERT_NONE: nothing is verified, the staple neither */
        goto done;
    }
    resp = d2i_OCSP_RESPONSE(NULL, &der, len);
    if (resp == NULL) {
        rc = refuse(ssl, conn, X509_V_ERR_OCSP_VERIFY_FAILED,
                    "the stapled OCSP response is not a DER OCSPResponse");
        goto done;
    }
    if (OCSP_response_status(resp) != OCSP_RESPONSE_STATUS_SUCCESSFUL) {
        rc = refuse(ssl, conn, X509_V_ERR_OCSP_VERIFY_FAILED,
                    "the stapled OCSP response is not successful (responder error)");
        goto done;
    }
    basic = OCSP_response_get1_basic(resp);
    leaf = SSL_get0_peer_certificate(ssl);
    issuer = leaf != NULL ? find_issuer(ssl, leaf) : NULL;
    if (basic == NULL || issuer == NULL) {
        rc = refuse(ssl, conn, X509_V_ERR_OCSP_VERIFY_FAILED,
                    "the stapled OCSP response cannot be checked (no basic response "
                    "or no issuer certificate)");
        goto done;
    }
    /* Signed by the issuer, or by a responder the issuer delegated to
     * (OCSPSigning), whose chain leads to a trusted root. */
    if (OCSP_basic_verify(basic, SSL_get_peer_cert_chain(ssl),
                          SSL_CTX_get_cert_store(SSL_get_SSL_CTX(ssl)), 0)
        <= 0) {
        rc = refuse(ssl, conn, X509_V_ERR_OCSP_VERIFY_FAILED,
                    "the stapled OCSP response is not signed by the certificate's "
                    "issuer or an OCSP responder it authorised");
        goto done;
    }
    id = OCSP_cert_to_id(NULL, leaf, issuer);
    if (id == NULL
        || OCSP_resp_find_status(basic, id, &status, &reason, &rev_time, &this_upd, &next_upd)
               != 1) {
        rc = refuse(ssl, conn, X509_V_ERR_OCSP_CERT_UNKNOWN,
                    "the stapled OCSP response is not about the server's certificate");
        goto done;
    }
    if (OCSP_check_validity(this_upd, next_upd, OCSP_LEEWAY, -1) != 1) {
        rc = refuse(ssl, conn, X509_V_ERR_OCSP_VERIFY_FAILED,
                    "the stapled OCSP response is outside its validity period "
                    "(thisUpdate/nextUpdate)");
        goto done;
    }
    if (status == V_OCSP_CERTSTATUS_REVOKED) {
        rc = refuse(ssl, conn, X509_V_ERR_CERT_REVOKED,
                    "certificate revoked (stapled OCSP response)");
        goto done;
    }
    if (status != V_OCSP_CERTSTATUS_GOOD) {
        rc = refuse(ssl, conn, X509_V_ERR_OCSP_CERT_UNKNOWN,
                    "the OCSP responder does not know the server's certificate");
        goto done;
    }
    rc = 1;
done:
    OCSP_CERTID_free(id);
    OCSP_BASICRESP_free(basic);
    OCSP_RESPONSE_free(resp);
    if (rc == 1) {
        ERR_clear_error();
    }
    return rc;
}

static int
ocsp_status_cb(SSL *ssl, void *arg)
{
    (void)arg;
    return SSL_is_server(ssl) ? serve_status(ssl) : check_status(ssl);
}

void
sslmod_ocsp_context_init(sslmod_context *self)
{
    self->ocsp_mode = SSLMOD_OCSP_NONE;
    /* Once, for the context's life: both sides use it, it reads the
     * context's state each time, and it is never reset. */
    SSL_CTX_set_tlsext_status_cb(self->ctx, ocsp_status_cb);
}

/* ---- SSLContext ----------------------------------------------------------- */

PyObject *
sslmod_ocsp_set_response(PyObject *op, PyObject *arg)
{
    sslmod_context *self = (sslmod_context *)op;
    PyObject *value = NULL, *old;
    Py_buffer view = {0};

    if (arg == Py_None) {
        value = NULL;
    }
    else if (PyObject_CheckBuffer(arg)) {
        const unsigned char *p;
        OCSP_RESPONSE *resp;
        if (PyObject_GetBuffer(arg, &view, PyBUF_SIMPLE) < 0) {
            return NULL;
        }
        p = view.buf;
        resp = view.len > 0 && view.len <= INT_MAX ? d2i_OCSP_RESPONSE(NULL, &p, (long)view.len)
                                                   : NULL;
        if (resp == NULL || p != (const unsigned char *)view.buf + view.len) {
            OCSP_RESPONSE_free(resp);
            ERR_clear_error();
            PyBuffer_Release(&view);
            PyErr_SetString(PyExc_ValueError,
                            "set_ocsp_response() needs a DER-encoded OCSP response");
            return NULL;
        }
        OCSP_RESPONSE_free(resp);
        value = PyBytes_FromStringAndSize(view.buf, view.len); /* our own copy */
        PyBuffer_Release(&view);
        if (value == NULL) {
            return NULL;
        }
    }
    else if (PyCallable_Check(arg)) {
        value = Py_NewRef(arg);
    }
    else {
        PyErr_Format(PyExc_TypeError,
                     "set_ocsp_response() argument must be bytes, a "
                     "callable or None, not %.100s",
                     Py_TYPE(arg)->tp_name);
        return NULL;
    }
    old = self->ocsp_response;
    self->ocsp_response = value;
    Py_XDECREF(old);
    return Py_NewRef(Py_None);
}

PyObject *
sslmod_ocsp_get_stapling(PyObject *op, void *closure)
{
    (void)closure;
    return PyLong_FromLong(((sslmod_context *)op)->ocsp_mode);
}

int
sslmod_ocsp_set_stapling(PyObject *op, PyObject *value, void *closure)
{
    sslmod_context *self = (sslmod_context *)op;
    int mode;
    (void)closure;

    if (value == NULL) {
        PyErr_SetString(PyExc_AttributeError, "cannot delete attribute");
        return -1;
    }
    if (!PyLong_Check(value)) {
        PyErr_Format(PyExc_TypeError,
                     "ocsp_stapling must be OCSP_NONE, OCSP_OPTIONAL or "
                     "OCSP_REQUIRED, not %.100s",
                     Py_TYPE(value)->tp_name);
        return -1;
    }
    if (sslmod_as_int(value, &mode) < 0) {
        return -1;
    }
    if (mode != SSLMOD_OCSP_NONE && mode != SSLMOD_OCSP_OPTIONAL && mode != SSLMOD_OCSP_REQUIRED) {
        PyErr_SetString(PyExc_ValueError, "ocsp_stapling must be OCSP_NONE, OCSP_OPTIONAL "
                                          "or OCSP_REQUIRED");
        return -1;
    }
    self->ocsp_mode = mode;
    /* Connections made from now on ask for a staple (or do not). */
    SSL_CTX_set_tlsext_status_type(self->ctx,
                                   mode == SSLMOD_OCSP_NONE ? -1 : TLSEXT_STATUSTYPE_ocsp);
    return 0;
}

/* ---- connection -------------------------------------------------------------- */

PyObject *
sslmod_ocsp_response(PyObject *op, PyObject *unused)
{
    sslmod_conn *self = (sslmod_conn *)op;
    const unsigned char *der = NULL;
    PyObject *res;
    long len = 0;
    int taken;
    (void)unused;

    /* Copied while the lock keeps the SSL's buffer where it is. */
    taken = sslmod_conn_lock_gil(self);
    if (SSL_is_init_finished(self->ssl)) {
        len = SSL_get_tlsext_status_ocsp_resp(self->ssl, &der);
    }
    if (der == NULL || len <= 0) {
        res = Py_NewRef(Py_None);
    }
    else {
        res = PyBytes_FromStringAndSize((const char *)der, (Py_ssize_t)len);
    }
    sslmod_conn_unlock(self, taken);
    return res;
}
