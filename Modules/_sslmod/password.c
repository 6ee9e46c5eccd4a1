/* password.c: the password given to load_cert_chain() and the PEM
 * password callback that hands it to OpenSSL while a key file loads. */
#include "sslmod.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/pem.h>

/* Copy the bytes of a str (as UTF-8), bytes or bytearray into PW->data.
 * Returns 0, 1 if OBJ has none of those types (nothing set), -1 on error. */
static int
pw_store(sslmod_pwinfo *pw, PyObject *obj)
{
    PyObject *encoded = NULL;
    const char *src;
    Py_ssize_t len;
    char *copy = NULL;
    int rc = -1;

    if (PyUnicode_Check(obj)) {
        encoded = PyUnicode_AsUTF8String(obj);
        if (encoded == NULL) {
            goto done;
        }
        src = PyBytes_AS_STRING(encoded);
        len = PyBytes_GET_SIZE(encoded);
    }
    else if (PyBytes_Check(obj)) {
        src = PyBytes_AS_STRING(obj);
        len = PyBytes_GET_SIZE(obj);
    }
    else if (PyByteArray_Check(obj)) {
        src = PyByteArray_AS_STRING(obj);
        len = PyByteArray_GET_SIZE(obj);
    }
    else {
        rc = 1;
        goto done;
    }
    if (len > INT_MAX) {
        PyErr_SetString(PyExc_OverflowError, "password is too long");
        goto done;
    }
    /* +1 so that an empty password still gets a buffer. */
    copy = PyMem_Malloc((size_t)len + 1);
    if (copy == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    memcpy(copy, src, (size_t)len);
    PyMem_Free(pw->data);
    pw->data = copy;
    pw->size = (int)len;
    rc = 0;
done:
    Py_XDECREF(encoded);
    return rc;
}

int
sslmod_pwinfo_init(sslmod_pwinfo *pw, PyObject *password)
{
    int rc = -1;
    memset(pw, 0, sizeof(*pw));
    if (password == NULL || password == Py_None) {
        rc = 0;
    }
    else if (PyCallable_Check(password)) {
        pw->callable = Py_NewRef(password);
        rc = 0;
    }
    else {
        rc = pw_store(pw, password);
        if (rc == 1) {
            PyErr_SetString(PyExc_TypeError, "password should be a string or callable");
            rc = -1;
        }
    }
    return rc;
}

void
sslmod_pwinfo_clear(sslmod_pwinfo *pw)
{
    Py_CLEAR(pw->callable);
    Py_CLEAR(pw->exc);
    if (pw->data != NULL) {
        /* Do not leave the secret lying around in freed memory. */
        memset(pw->data, 0, (size_t)pw->size);
        PyMem_Free(pw->data);
        pw->data = NULL;
    }
    pw->size = 0;
}

/* Called by OpenSSL, usually while the GIL is released by the file load.
 * Any Python exception is parked in PW->exc for load_cert_chain(). */
int
sslmod_cb_password(char *buf, int size, int rwflag, void *userdata)
{
    sslmod_pwinfo *pw = userdata;
    PyGILState_STATE gil = PyGILState_Ensure();
    PyObject *result = NULL;
    int rc = -1;
    (void)rwflag;

    if (pw->exc != NULL) {
        goto done; /* an earlier call already failed: do not call again */
    }
    if (pw->callable != NULL) {
        int st;
        result = PyObject_CallNoArgs(pw->callable);
        if (result == NULL) {
            goto error;
        }
        st = pw_store(pw, result);
        if (st < 0) {
            goto error;
        }
        if (st == 1) {
            PyErr_SetString(PyExc_TypeError, "password callback must return a string");
            goto error;
        }
    }
    if (pw->data == NULL) {
        goto done;
    }
    if (pw->size > size) {
        PyErr_Format(PyExc_ValueError, "password cannot be longer than %d bytes", size);
        goto error;
    }
    memcpy(buf, pw->data, (size_t)pw->size);
    rc = pw->size;
    goto done;
error:
    pw->exc = sslmod_exc_fetch();
done:
    Py_XDECREF(result);
    PyGILState_Release(gil);
    return rc;
}

BIO *
sslmod_open_file_bio(const char *path)
{
    FILE *fp;
    BIO *bio = NULL;

    /* "e": a child exec'd by another thread meanwhile must not inherit it. */
    fp = fopen(path, "re");
    if (fp == NULL) {
        int saved_errno = errno; /* the caller reports it as OSError */
        ERR_raise(ERR_LIB_SYS, saved_errno);
        ERR_raise(ERR_LIB_SSL, ERR_R_SYS_LIB);
        errno = saved_errno;
        goto done;
    }
    bio = BIO_new_fp(fp, BIO_CLOSE);
    if (bio == NULL) {
        fclose(fp);
        ERR_raise(ERR_LIB_SSL, ERR_R_BUF_LIB);
    }
done:
    return bio;
}

EVP_PKEY *
sslmod_read_private_key(const char *path, sslmod_pwinfo *pw)
{
    BIO *bio = sslmod_open_file_bio(path);
    EVP_PKEY *key = NULL;

    if (bio == NULL) {
        goto done;
    }
    key = PEM_read_bio_PrivateKey(bio, NULL, pw != NULL ? sslmod_cb_password : NULL, pw);
    if (key == NULL) {
        /* What SSL_CTX_use_PrivateKey_file() adds on top of PEM's reason. */
        ERR_raise(ERR_LIB_SSL, ERR_R_PEM_LIB);
    }
done:
    BIO_free(bio);
    return key;
}
