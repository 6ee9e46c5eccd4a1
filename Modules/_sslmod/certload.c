/* certload.c: load_cert_chain(certdata=..., keydata=...): a certificate
 * chain and its private key taken from memory (PEM text or DER bytes),
 * never through a file.  Calls without certdata/keydata go to context.c's
 * file loader unchanged; it reads its chain file with the installer here. */
#include "sslmod.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/pem.h>
#include <openssl/decoder.h>

/* One certdata/keydata argument: its bytes, held for the whole call. */
typedef struct {
    PyObject *ascii; /* the encoded str, owned, or NULL */
    Py_buffer view;  /* the bytes-like object, or view.obj NULL */
    const unsigned char *buf;
    size_t len;
    int pem; /* holds a "-----BEGIN " line */
} certload_blob;

static void
blob_release(certload_blob *b)
{
    if (b->view.obj != NULL) {
        PyBuffer_Release(&b->view);
    }
    Py_CLEAR(b->ascii);
}

/* Fill B from OBJ (str holding PEM, or bytes-like PEM or DER).  WHAT names
 * the argument in the TypeError.  0, or -1 with an exception set. */
static int
blob_init(certload_blob *b, PyObject *obj, const char *what)
{
    static const char marker[] = "-----BEGIN ";
    int rc = -1;

    memset(b, 0, sizeof(*b));
    if (PyUnicode_Check(obj)) {
        b->ascii = PyUnicode_AsASCIIString(obj);
        if (b->ascii == NULL) {
            goto done;
        }
        b->buf = (const unsigned char *)PyBytes_AS_STRING(b->ascii);
        b->len = (size_t)PyBytes_GET_SIZE(b->ascii);
    }
    else if (PyObject_CheckBuffer(obj)) {
        if (PyObject_GetBuffer(obj, &b->view, PyBUF_SIMPLE) < 0) {
            goto done;
        }
        b->buf = b->view.buf;
        b->len = (size_t)b->view.len;
    }
    else {
        PyErr_Format(PyExc_TypeError,
                     "%s should be an ASCII string or a bytes-like object, not %.100s", what,
                     Py_TYPE(obj)->tp_name);
        goto done;
    }
    if (b->len > INT_MAX) {
        PyErr_Format(PyExc_OverflowError, "%s is too long", what);
        goto done;
    }
    /* PEM may have text before its first block; look for the marker. */
    for (size_t i = 0; i + sizeof(marker) - 1 <= b->len; i++) {
        if (memcmp(b->buf + i, marker, sizeof(marker) - 1) == 0) {
            b->pem = 1;
            break;
        }
    }
    rc = 0;
done:
    return rc;
}

/* The error the file path gives for data it cannot use as a certificate or
 * a key: "[SSL] PEM lib". */
static void
fail_pem_lib(void)
{
    ERR_raise(ERR_LIB_SSL, ERR_R_PEM_LIB);
}

/* Reads the certificates of a chain one after the other: PEM from a BIO
 * (over memory or a file), or DER from P to END. */
typedef struct {
    BIO *bio; /* PEM; NULL for DER */
    const unsigned char *p, *end;
    pem_password_cb *cb; /* for encrypted PEM blocks; NULL: OpenSSL's prompt */
    void *cbarg;
} chain_reader;

/* The next certificate of R into *OUT (new reference).  The first one
 * must be there; after it, PEM ends where no further certificate block
 * starts (as a file's chain does), DER at the end of the data.  Without
 * the GIL (the password callback takes it).  1 with *OUT set, 0 at the
 * end, -1 failed with the OpenSSL error queue saying why. */
static int
next_cert(chain_reader *r, int first, X509 **out)
{
    unsigned long err;
    int rc = -1;

    *out = NULL;
    if (r->bio != NULL) {
        *out = first ? PEM_read_bio_X509_AUX(r->bio, NULL, r->cb, r->cbarg)
                     : PEM_read_bio_X509(r->bio, NULL, r->cb, r->cbarg);
        if (*out != NULL) {
            rc = 1;
        }
        else if (first) {
            fail_pem_lib();
        }
        else {
            err = ERR_peek_last_error();
            if (ERR_GET_LIB(err) == ERR_LIB_PEM && ERR_GET_REASON(err) == PEM_R_NO_START_LINE) {
                ERR_clear_error();
                rc = 0;
            } /* else a broken certificate after the leaf */
        }
        goto done;
    }
    if (!first && r->p == r->end) {
        rc = 0;
        goto done;
    }
    *out = d2i_X509(NULL, &r->p, (long)(r->end - r->p));
    if (*out != NULL) {
        rc = 1;
    }
    else if (first) {
        ERR_clear_error();
        fail_pem_lib();
    }
done:
    return rc;
}

/* Install the leaf and the chain R reads on SELF's SSL_CTX step for step
 * as SSL_CTX_use_certificate_chain_file() installs a file's, so that the
 * same bytes fail at the same place with the same error: the leaf first,
 * and it is refused when anything was queued meanwhile (OpenSSL takes a
 * leaf whose extensions it cannot decode, but queues its complaint); then
 * each further certificate, checked as it is added.  keys_lock is taken
 * around each SSL_CTX call and never while parsing: decrypting may call
 * Python.  Without the GIL.  1 ok, 0 failed with the error queue saying
 * why. */
static int
install_chain(sslmod_context *self, chain_reader *r)
{
    X509 *cert = NULL;
    int ok = 0, rc;

    if (next_cert(r, 1, &cert) != 1) {
        goto done;
    }
    PyThread_acquire_lock(self->keys_lock, WAIT_LOCK);
    ok = SSL_CTX_use_certificate(self->ctx, cert) == 1 && ERR_peek_error() == 0
         && SSL_CTX_clear_chain_certs(self->ctx) == 1;
    PyThread_release_lock(self->keys_lock);
    X509_free(cert);
    cert = NULL;
    while (ok && (rc = next_cert(r, 0, &cert)) != 0) {
        if (rc < 0) {
            ok = 0;
            break;
        }
        PyThread_acquire_lock(self->keys_lock, WAIT_LOCK);
        ok = SSL_CTX_add0_chain_cert(self->ctx, cert) == 1;
        PyThread_release_lock(self->keys_lock);
        if (ok) {
            cert = NULL; /* the SSL_CTX's now */
        }
    }
done:
    X509_free(cert);
    return ok;
}

/* The chain of blob B, encrypted PEM blocks decrypted with PW. */
static int
install_blob_chain(sslmod_context *self, const certload_blob *b, sslmod_pwinfo *pw)
{
    chain_reader r = {NULL, b->buf, b->buf + b->len, sslmod_cb_password, pw};
    int ok = 0;

    if (b->pem) {
        r.bio = BIO_new_mem_buf(b->buf, (int)b->len);
        if (r.bio == NULL) {
            goto done;
        }
    }
    ok = install_chain(self, &r);
done:
    BIO_free(r.bio);
    return ok;
}

int
sslmod_certload_install_chain_file(sslmod_context *self, const char *path, sslmod_pwinfo *pw)
{
    chain_reader r = {NULL, NULL, NULL, pw != NULL ? sslmod_cb_password : NULL, pw};
    int ok = 0;

    r.bio = sslmod_open_file_bio(path);
    if (r.bio == NULL) {
        goto done;
    }
    ok = install_chain(self, &r);
done:
    BIO_free(r.bio);
    return ok;
}

/* Parse the private key from B: PEM (any PEM key type, encrypted or not,
 * other blocks skipped), or DER (PKCS#8, encrypted PKCS#8, or a
 * traditional key).  Without the GIL.  1 ok, 0 failed. */
static int
parse_key(const certload_blob *b, sslmod_pwinfo *pw, EVP_PKEY **out)
{
    OSSL_DECODER_CTX *dctx = NULL;
    BIO *bio = NULL;
    int ok = 0;

    bio = BIO_new_mem_buf(b->buf, (int)b->len);
    if (bio == NULL) {
        goto done;
    }
    if (b->pem) {
        *out = PEM_read_bio_PrivateKey(bio, NULL, sslmod_cb_password, pw);
    }
    else {
        dctx = OSSL_DECODER_CTX_new_for_pkey(out, "DER", NULL, NULL, OSSL_KEYMGMT_SELECT_KEYPAIR,
                                             NULL, NULL);
        if (dctx != NULL && OSSL_DECODER_CTX_set_pem_password_cb(dctx, sslmod_cb_password, pw)) {
            if (!OSSL_DECODER_from_bio(dctx, bio)) {
                EVP_PKEY_free(*out);
                *out = NULL;
            }
        }
    }
    if (*out == NULL) {
        ERR_clear_error();
        fail_pem_lib();
        goto done;
    }
    ok = 1;
done:
    OSSL_DECODER_CTX_free(dctx);
    BIO_free(bio);
    return ok;
}

/* Install CERT's chain, then KEY's key, on SELF's SSL_CTX, in the file
 * loader's order.  Without the GIL.  Returns 1, or 0 with the OpenSSL
 * error queue (or PW->exc) saying why; *KEY_MISMATCH is set when both
 * loaded but do not belong together. */
static int
install(sslmod_context *self, const certload_blob *cert, const certload_blob *key,
        sslmod_pwinfo *pw, int *key_mismatch)
{
    EVP_PKEY *pkey = NULL;
    int ok = 0;

    if (!install_blob_chain(self, cert, pw) || !parse_key(key, pw, &pkey)) {
        goto done;
    }
    PyThread_acquire_lock(self->keys_lock, WAIT_LOCK);
    ok = SSL_CTX_use_PrivateKey(self->ctx, pkey) == 1;
    if (ok && SSL_CTX_check_private_key(self->ctx) != 1) {
        *key_mismatch = 1;
    }
    PyThread_release_lock(self->keys_lock);
done:
    EVP_PKEY_free(pkey);
    return ok;
}

/* The memory half: CERTDATA (not None), KEYDATA (None: the key is in
 * CERTDATA), PASSWORD as for files. */
static PyObject *
load_from_memory(sslmod_context *self, PyObject *certdata, PyObject *keydata, PyObject *password)
{
    certload_blob cert, key;
    sslmod_pwinfo pw;
    PyObject *res = NULL;
    int ok, key_mismatch = 0;

    memset(&cert, 0, sizeof(cert));
    memset(&key, 0, sizeof(key));
    memset(&pw, 0, sizeof(pw));
    if (blob_init(&cert, certdata, "certdata") < 0
        || (keydata != Py_None && blob_init(&key, keydata, "keydata") < 0)
        || sslmod_pwinfo_init(&pw, password) < 0) {
        goto done;
    }
    /* The password lives in this frame; the context's own password
     * callback is never touched, so other threads loading files are not
     * affected, and no terminal prompt is ever shown for memory data. */
    Py_BEGIN_ALLOW_THREADS
    ERR_clear_error();
    ok = install(self, &cert, keydata != Py_None ? &key : &cert, &pw, &key_mismatch);
    Py_END_ALLOW_THREADS

    if (!ok) {
        if (pw.exc != NULL) {
            ERR_clear_error();
            sslmod_exc_restore(pw.exc);
            pw.exc = NULL;
        }
        else {
            /* NULL: an empty queue reads as the file loader's does. */
            SSLMOD_RAISE_QUEUE(self->state, NULL);
        }
        goto done;
    }
    if (key_mismatch) {
        SSLMOD_RAISE_QUEUE(self->state, "the key does not match the certificate");
        goto done;
    }
    res = Py_NewRef(Py_None);
done:
    sslmod_pwinfo_clear(&pw);
    blob_release(&key);
    blob_release(&cert);
    return res;
}

/* Take NAME out of *KWARGS (a copy is made the first time), storing its
 * value (new reference) in *VALUE, or leave *VALUE NULL.  0 or -1. */
static int
take_keyword(PyObject *orig, PyObject **kwargs, const char *name, PyObject **value)
{
    PyObject *key = NULL;
    int rc = -1;

    *value = NULL;
    if (orig == NULL) {
        rc = 0;
        goto done;
    }
    key = PyUnicode_FromString(name);
    if (key == NULL) {
        goto done;
    }
    *value = PyDict_GetItemWithError(*kwargs ? *kwargs : orig, key); /* borrowed */
    if (*value == NULL) {
        rc = PyErr_Occurred() ? -1 : 0;
        goto done;
    }
    Py_INCREF(*value);
    if (*kwargs == NULL) {
        *kwargs = PyDict_Copy(orig);
        if (*kwargs == NULL) {
            goto done;
        }
    }
    rc = PyDict_DelItem(*kwargs, key);
done:
    Py_XDECREF(key);
    return rc;
}

PyObject *
sslmod_certload_load_cert_chain(PyObject *op, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"certfile", "keyfile", "password", NULL};
    sslmod_context *self = (sslmod_context *)op;
    PyObject *rest = NULL, *certdata = NULL, *keydata = NULL, *res = NULL;
    PyObject *certfile = Py_None, *keyfile = Py_None, *password = Py_None;

    if (take_keyword(kwargs, &rest, "certdata", &certdata) < 0
        || take_keyword(kwargs, &rest, "keydata", &keydata) < 0) {
        goto done;
    }
    if ((certdata == NULL || certdata == Py_None) && (keydata == NULL || keydata == Py_None)) {
        /* The stdlib's call: every message and error stays the file
         * loader's. */
        res = sslmod_context_load_cert_chain_files(self, args, rest ? rest : kwargs);
        goto done;
    }
    if (!PyArg_ParseTupleAndKeywords(args, rest, "|OOO:load_cert_chain", kwlist, &certfile,
                                     &keyfile, &password)) {
        goto done;
    }
    if (certdata == NULL || certdata == Py_None) {
        PyErr_SetString(PyExc_TypeError, "load_cert_chain(): keydata needs certdata; give the "
                                         "certificate chain as certdata too");
        goto done;
    }
    if (certfile != Py_None) {
        PyErr_SetString(PyExc_TypeError,
                        "load_cert_chain(): give either certfile or certdata, not both");
        goto done;
    }
    if (keyfile != Py_None) {
        PyErr_SetString(PyExc_TypeError,
                        "load_cert_chain(): keyfile cannot be combined with certdata; "
                        "pass the key as keydata");
        goto done;
    }
    res = load_from_memory(self, certdata, keydata ? keydata : Py_None, password);
done:
    Py_XDECREF(certdata);
    Py_XDECREF(keydata);
    Py_XDECREF(rest);
    return res;
}
