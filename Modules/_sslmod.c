/* _sslmod.c: the module sslmod._sslmod, a drop-in for the interpreter's
 * _ssl: module state, constants, module-level functions, and init. */
#include "sslmod.h"

#include <openssl/rand.h>
#include <openssl/objects.h>

#include <string.h>

static struct PyModuleDef sslmod_def;

/* ---- state -------------------------------------------------------- */

sslmod_state *
sslmod_state_from_type(PyTypeObject *type)
{
    /* Walk the MRO: a Python subclass (ssl.SSLContext) has no module of its
     * own, its C base does.  Works on 3.9, which lacks PyType_GetModuleByDef. */
    PyObject *mro = type->tp_mro;
    Py_ssize_t n = mro ? PyTuple_GET_SIZE(mro) : 0;
    sslmod_state *st = NULL;
    for (Py_ssize_t i = 0; i < n && st == NULL; i++) {
        PyTypeObject *base = (PyTypeObject *)PyTuple_GET_ITEM(mro, i);
        if (!PyType_HasFeature(base, Py_TPFLAGS_HEAPTYPE)) {
            continue;
        }
        PyObject *mod = PyType_GetModule(base);
        if (mod == NULL) {
            PyErr_Clear();
            continue;
        }
        if (PyModule_GetDef(mod) == &sslmod_def) {
            st = (sslmod_state *)PyModule_GetState(mod);
        }
    }
    if (st == NULL) {
        PyErr_SetString(PyExc_TypeError, "object does not belong to sslmod._sslmod");
    }
    return st;
}

static inline sslmod_state *
get_state(PyObject *module)
{
    return (sslmod_state *)PyModule_GetState(module);
}

/* ---- module functions --------------------------------------------- */

static PyObject *
asn1obj_tuple(const ASN1_OBJECT *obj)
{
    /* (nid, short name, long name, dotted OID), as txt2obj()/nid2obj().
     * An OID OpenSSL has no NID for is "unknown", as in the stdlib. */
    PyObject *res = NULL;
    char oid[256];
    int nid = OBJ_obj2nid(obj);
    int len;
    if (nid == NID_undef) {
        PyErr_SetString(PyExc_ValueError, "Unknown object");
        goto done;
    }
    len = OBJ_obj2txt(oid, sizeof(oid), obj, 1);
    if (len < 0 || (size_t)len >= sizeof(oid)) {
        PyErr_SetString(PyExc_ValueError, "object identifier is too long");
        goto done;
    }
    /* Some NIDs (AES-256-SIV ...) have no OID: None, not "". */
    res = Py_BuildValue("(izzz)", nid, OBJ_nid2sn(nid), OBJ_nid2ln(nid), len > 0 ? oid : NULL);
done:
    return res;
}

static PyObject *
mod_txt2obj(PyObject *module, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"txt", "name", NULL};
    PyObject *txtobj = NULL;
    const char *txt = NULL;
    int name = 0;
    ASN1_OBJECT *obj = NULL;
    PyObject *res = NULL;
    (void)module;

    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O|p:txt2obj", kwlist, &txtobj, &name)) {
        goto done;
    }
    if (!PyUnicode_Check(txtobj)) {
        PyErr_Format(PyExc_TypeError, "txt2obj() argument 'txt' must be str, not %.50s",
                     txtobj == Py_None ? "None" : Py_TYPE(txtobj)->tp_name);
        goto done;
    }
    {
        Py_ssize_t size;
        txt = PyUnicode_AsUTF8AndSize(txtobj, &size);
        if (txt == NULL) {
            goto done;
        }
        if ((size_t)size != strlen(txt)) {
            PyErr_SetString(PyExc_ValueError, "embedded null character");
            goto done;
        }
    }
    obj = OBJ_txt2obj(txt, name ? 0 : 1);
    if (obj == NULL) {
        ERR_clear_error();
        PyErr_Format(PyExc_ValueError, "unknown object '%.100s'", txt);
        goto done;
    }
    res = asn1obj_tuple(obj);
done:
    ASN1_OBJECT_free(obj);
    return res;
}

static PyObject *
mod_nid2obj(PyObject *module, PyObject *arg)
{
    ASN1_OBJECT *obj = NULL;
    PyObject *res = NULL;
    (void)module;
    int nid;
    if (sslmod_as_int(arg, &nid) < 0) {
        goto done;
    }
    if (nid < 0) {
        PyErr_SetString(PyExc_ValueError, "NID must be positive.");
        goto done;
    }
    obj = OBJ_nid2obj(nid);
    if (obj == NULL) {
        ERR_clear_error();
        PyErr_Format(PyExc_ValueError, "unknown NID %i", nid);
        goto done;
    }
    res = asn1obj_tuple(obj);
done:
    ASN1_OBJECT_free(obj);
    return res;
}

static PyObject *
random_bytes(PyObject *module, PyObject *arg, int pseudo)
{
    PyObject *bytes = NULL, *res = NULL;
    int n, ok;
    if (sslmod_as_int(arg, &n) < 0) {
        goto done;
    }
    if (n < 0) {
        PyErr_SetString(PyExc_ValueError, "num must be positive");
        goto done;
    }
    bytes = PyBytes_FromStringAndSize(NULL, n);
    if (bytes == NULL) {
        goto done;
    }
    Py_BEGIN_ALLOW_THREADS
    ok = RAND_bytes((unsigned char *)PyBytes_AS_STRING(bytes), n);
    Py_END_ALLOW_THREADS
    if (ok != 1) {
        SSLMOD_RAISE_QUEUE(get_state(module), "RAND_bytes failed");
        goto done;
    }
    if (pseudo) {
        res = Py_BuildValue("(OO)", bytes, Py_True);
    }
    else {
        res = Py_NewRef(bytes);
    }
done:
    Py_XDECREF(bytes);
    return res;
}

static PyObject *
mod_RAND_bytes(PyObject *module, PyObject *arg)
{
    return random_bytes(module, arg, 0);
}

static PyObject *
mod_RAND_pseudo_bytes(PyObject *module, PyObject *arg)
{
#if PY_VERSION_HEX >= 0x030A0000
    if (PyErr_WarnEx(PyExc_DeprecationWarning, "ssl.RAND_pseudo_bytes() is deprecated", 1) < 0) {
        return NULL;
    }
#endif
    return random_bytes(module, arg, 1);
}

static PyObject *
mod_RAND_add(PyObject *module, PyObject *args)
{
    PyObject *data = NULL, *res = NULL, *encoded = NULL;
    Py_buffer view = {0};
    double entropy;
    (void)module;
    PyObject *entropy_obj = NULL;
    if (!PyArg_UnpackTuple(args, "RAND_add", 2, 2, &data, &entropy_obj)) {
        goto done;
    }
    entropy = PyFloat_AsDouble(entropy_obj);
    if (entropy == -1.0 && PyErr_Occurred()) {
        goto done;
    }
    if (PyUnicode_Check(data)) {
        encoded = PyUnicode_AsUTF8String(data);
        data = encoded;
        if (data == NULL) {
            goto done;
        }
    }
    if (PyObject_GetBuffer(data, &view, PyBUF_SIMPLE) < 0) {
        goto done;
    }
    {
        const char *p = view.buf;
        Py_ssize_t left = view.len;
        Py_BEGIN_ALLOW_THREADS
        while (left > 0) { /* RAND_add takes an int length */
            int chunk = left > INT_MAX ? INT_MAX : (int)left;
            RAND_add(p, chunk, entropy);
            p += chunk;
            left -= chunk;
        }
        Py_END_ALLOW_THREADS
    }
    res = Py_NewRef(Py_None);
done:
    if (view.buf != NULL) {
        PyBuffer_Release(&view);
    }
    Py_XDECREF(encoded);
    return res;
}

static PyObject *
mod_RAND_status(PyObject *module, PyObject *unused)
{
    (void)module;
    (void)unused;
#if PY_VERSION_HEX < 0x030A0000
    return PyLong_FromLong(RAND_status()); /* 3.9 answered with an int */
#else
    return PyBool_FromLong(RAND_status() == 1);
#endif
}

static PyObject *
mod_get_default_verify_paths(PyObject *module, PyObject *unused)
{
    (void)module;
    (void)unused;
    return Py_BuildValue("(ssss)", X509_get_default_cert_file_env(), X509_get_default_cert_file(),
                         X509_get_default_cert_dir_env(), X509_get_default_cert_dir());
}

static PyMethodDef sslmod_functions[] = {
    {"txt2obj", (PyCFunction)(void (*)(void))mod_txt2obj, METH_VARARGS | METH_KEYWORDS,
     "txt2obj($module, /, txt, name=False)\n--\n\n"
     "Look up an ASN.1 object by dotted OID, or also by name when name is true;\n"
     "return (nid, shortname, longname, oid)."},
    {"nid2obj", mod_nid2obj, METH_O,
     "nid2obj($module, nid, /)\n--\n\n"
     "Look up an ASN.1 object by its OpenSSL NID; return (nid, shortname, longname, oid)."},
    {"RAND_bytes", mod_RAND_bytes, METH_O,
     "RAND_bytes($module, n, /)\n--\n\nReturn n cryptographically strong random bytes."},
    {"RAND_pseudo_bytes", mod_RAND_pseudo_bytes, METH_O,
     "RAND_pseudo_bytes($module, n, /)\n--\n\n"
     "Return (n random bytes, True); kept for old callers."},
    {"RAND_add", mod_RAND_add, METH_VARARGS,
     "RAND_add($module, string, entropy, /)\n--\n\n"
     "Mix string into the random generator, crediting it with entropy bytes."},
    {"RAND_status", mod_RAND_status, METH_NOARGS,
     "RAND_status($module, /)\n--\n\nTrue if the random generator is seeded enough."},
    {"get_default_verify_paths", mod_get_default_verify_paths, METH_NOARGS,
     "get_default_verify_paths($module, /)\n--\n\n"
     "Return (cafile env var, default cafile, capath env var, default capath)\n"
     "as compiled into OpenSSL."},
    {"get_sigalgs", sslmod_groups_get_sigalgs, METH_NOARGS,
     "get_sigalgs($module, /)\n--\n\n"
     "List the TLS signature algorithms OpenSSL implements (needs OpenSSL 3.4)."},
    {"_test_decode_cert", sslmod_test_decode_cert, METH_O,
     "_test_decode_cert($module, path, /)\n--\n\n"
     "Decode the PEM certificate in path into the dict getpeercert() returns."},
    {NULL, NULL, 0, NULL},
};

/* ---- constants ---------------------------------------------------- */

typedef struct {
    const char *name;
    long long value;
} sslmod_const;

#define C(name, value) {name, (long long)(value)}
static const sslmod_const int_constants[] = {
    C("SSL_ERROR_ZERO_RETURN", SSL_ERROR_ZERO_RETURN),
    C("SSL_ERROR_WANT_READ", SSL_ERROR_WANT_READ),
    C("SSL_ERROR_WANT_WRITE", SSL_ERROR_WANT_WRITE),
    C("SSL_ERROR_WANT_X509_LOOKUP", SSL_ERROR_WANT_X509_LOOKUP),
    C("SSL_ERROR_SYSCALL", SSL_ERROR_SYSCALL),
    C("SSL_ERROR_SSL", SSL_ERROR_SSL),
    C("SSL_ERROR_WANT_CONNECT", SSL_ERROR_WANT_CONNECT),
    C("SSL_ERROR_EOF", 8),
    C("SSL_ERROR_INVALID_ERROR_CODE", 10),
    C("CERT_NONE", 0),
    C("CERT_OPTIONAL", 1),
    C("CERT_REQUIRED", 2),
    C("VERIFY_DEFAULT", 0),
    C("VERIFY_CRL_CHECK_LEAF", X509_V_FLAG_CRL_CHECK),
    C("VERIFY_CRL_CHECK_CHAIN", X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL),
    C("VERIFY_X509_STRICT", X509_V_FLAG_X509_STRICT),
    C("VERIFY_ALLOW_PROXY_CERTS", X509_V_FLAG_ALLOW_PROXY_CERTS),
    C("VERIFY_X509_TRUSTED_FIRST", X509_V_FLAG_TRUSTED_FIRST),
    C("VERIFY_X509_PARTIAL_CHAIN", X509_V_FLAG_PARTIAL_CHAIN),
    C("ALERT_DESCRIPTION_CLOSE_NOTIFY", SSL_AD_CLOSE_NOTIFY),
    C("ALERT_DESCRIPTION_UNEXPECTED_MESSAGE", SSL_AD_UNEXPECTED_MESSAGE),
    C("ALERT_DESCRIPTION_BAD_RECORD_MAC", SSL_AD_BAD_RECORD_MAC),
    C("ALERT_DESCRIPTION_RECORD_OVERFLOW", SSL_AD_RECORD_OVERFLOW),
    C("ALERT_DESCRIPTION_DECOMPRESSION_FAILURE", SSL_AD_DECOMPRESSION_FAILURE),
    C("ALERT_DESCRIPTION_HANDSHAKE_FAILURE", SSL_AD_HANDSHAKE_FAILURE),
    C("ALERT_DESCRIPTION_BAD_CERTIFICATE", SSL_AD_BAD_CERTIFICATE),
    C("ALERT_DESCRIPTION_UNSUPPORTED_CERTIFICATE", SSL_AD_UNSUPPORTED_CERTIFICATE),
    C("ALERT_DESCRIPTION_CERTIFICATE_REVOKED", SSL_AD_CERTIFICATE_REVOKED),
    C("ALERT_DESCRIPTION_CERTIFICATE_EXPIRED", SSL_AD_CERTIFICATE_EXPIRED),
    C("ALERT_DESCRIPTION_CERTIFICATE_UNKNOWN", SSL_AD_CERTIFICATE_UNKNOWN),
    C("ALERT_DESCRIPTION_ILLEGAL_PARAMETER", SSL_AD_ILLEGAL_PARAMETER),
    C("ALERT_DESCRIPTION_UNKNOWN_CA", SSL_AD_UNKNOWN_CA),
    C("ALERT_DESCRIPTION_ACCESS_DENIED", SSL_AD_ACCESS_DENIED),
    C("ALERT_DESCRIPTION_DECODE_ERROR", SSL_AD_DECODE_ERROR),
    C("ALERT_DESCRIPTION_DECRYPT_ERROR", SSL_AD_DECRYPT_ERROR),
    C("ALERT_DESCRIPTION_PROTOCOL_VERSION", SSL_AD_PROTOCOL_VERSION),
    C("ALERT_DESCRIPTION_INSUFFICIENT_SECURITY", SSL_AD_INSUFFICIENT_SECURITY),
    C("ALERT_DESCRIPTION_INTERNAL_ERROR", SSL_AD_INTERNAL_ERROR),
    C("ALERT_DESCRIPTION_USER_CANCELLED", SSL_AD_USER_CANCELLED),
    C("ALERT_DESCRIPTION_NO_RENEGOTIATION", SSL_AD_NO_RENEGOTIATION),
    C("ALERT_DESCRIPTION_UNSUPPORTED_EXTENSION", SSL_AD_UNSUPPORTED_EXTENSION),
    C("ALERT_DESCRIPTION_CERTIFICATE_UNOBTAINABLE", SSL_AD_CERTIFICATE_UNOBTAINABLE),
    C("ALERT_DESCRIPTION_UNRECOGNIZED_NAME", SSL_AD_UNRECOGNIZED_NAME),
    C("ALERT_DESCRIPTION_BAD_CERTIFICATE_STATUS_RESPONSE", SSL_AD_BAD_CERTIFICATE_STATUS_RESPONSE),
    C("ALERT_DESCRIPTION_BAD_CERTIFICATE_HASH_VALUE", SSL_AD_BAD_CERTIFICATE_HASH_VALUE),
    C("ALERT_DESCRIPTION_UNKNOWN_PSK_IDENTITY", SSL_AD_UNKNOWN_PSK_IDENTITY),
    C("PROTOCOL_SSLv23", SSLMOD_PROTOCOL_TLS),
    C("PROTOCOL_TLS", SSLMOD_PROTOCOL_TLS),
    C("PROTOCOL_TLS_CLIENT", SSLMOD_PROTOCOL_TLS_CLIENT),
    C("PROTOCOL_TLS_SERVER", SSLMOD_PROTOCOL_TLS_SERVER),
    C("PROTOCOL_TLSv1", SSLMOD_PROTOCOL_TLSv1),
    C("PROTOCOL_TLSv1_1", SSLMOD_PROTOCOL_TLSv1_1),
    C("PROTOCOL_TLSv1_2", SSLMOD_PROTOCOL_TLSv1_2),
    /* OP_ALL leaves out the two flags the ssl module has always masked. */
    C("OP_ALL", SSL_OP_ALL & ~SSL_OP_DONT_INSERT_EMPTY_FRAGMENTS & ~SSL_OP_LEGACY_SERVER_CONNECT),
    C("OP_NO_SSLv2", SSL_OP_NO_SSLv2),
    C("OP_NO_SSLv3", SSL_OP_NO_SSLv3),
    C("OP_NO_TLSv1", SSL_OP_NO_TLSv1),
    C("OP_NO_TLSv1_1", SSL_OP_NO_TLSv1_1),
    C("OP_NO_TLSv1_2", SSL_OP_NO_TLSv1_2),
    C("OP_NO_TLSv1_3", SSL_OP_NO_TLSv1_3),
    C("OP_CIPHER_SERVER_PREFERENCE", SSL_OP_CIPHER_SERVER_PREFERENCE),
    C("OP_SINGLE_DH_USE", SSL_OP_SINGLE_DH_USE),
    C("OP_SINGLE_ECDH_USE", SSL_OP_SINGLE_ECDH_USE),
    C("OP_NO_TICKET", SSL_OP_NO_TICKET),
    C("OP_LEGACY_SERVER_CONNECT", SSL_OP_LEGACY_SERVER_CONNECT),
    C("OP_NO_COMPRESSION", SSL_OP_NO_COMPRESSION),
    C("OP_ENABLE_MIDDLEBOX_COMPAT", SSL_OP_ENABLE_MIDDLEBOX_COMPAT),
    C("OP_NO_RENEGOTIATION", SSL_OP_NO_RENEGOTIATION),
    C("OP_IGNORE_UNEXPECTED_EOF", SSL_OP_IGNORE_UNEXPECTED_EOF),
    C("OP_ENABLE_KTLS", SSL_OP_ENABLE_KTLS),
    C("HOSTFLAG_ALWAYS_CHECK_SUBJECT", X509_CHECK_FLAG_ALWAYS_CHECK_SUBJECT),
    C("HOSTFLAG_NEVER_CHECK_SUBJECT", X509_CHECK_FLAG_NEVER_CHECK_SUBJECT),
    C("HOSTFLAG_NO_WILDCARDS", X509_CHECK_FLAG_NO_WILDCARDS),
    C("HOSTFLAG_NO_PARTIAL_WILDCARDS", X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS),
    C("HOSTFLAG_MULTI_LABEL_WILDCARDS", X509_CHECK_FLAG_MULTI_LABEL_WILDCARDS),
    C("HOSTFLAG_SINGLE_LABEL_SUBDOMAINS", X509_CHECK_FLAG_SINGLE_LABEL_SUBDOMAINS),
    C("PROTO_MINIMUM_SUPPORTED", SSLMOD_PROTO_MINIMUM_SUPPORTED),
    C("PROTO_MAXIMUM_SUPPORTED", SSLMOD_PROTO_MAXIMUM_SUPPORTED),
    C("PROTO_SSLv3", SSL3_VERSION),
    C("PROTO_TLSv1", TLS1_VERSION),
    C("PROTO_TLSv1_1", TLS1_1_VERSION),
    C("PROTO_TLSv1_2", TLS1_2_VERSION),
    C("PROTO_TLSv1_3", TLS1_3_VERSION),
    C("ENCODING_PEM", 1),
    C("ENCODING_DER", 2),
    C("OCSP_NONE", SSLMOD_OCSP_NONE), /* ocsp.c (issue 9) */
    C("OCSP_OPTIONAL", SSLMOD_OCSP_OPTIONAL),
    C("OCSP_REQUIRED", SSLMOD_OCSP_REQUIRED),
    {NULL, 0},
};

static const sslmod_const bool_constants[] = {
    C("HAS_SNI", 1),
    C("HAS_TLS_UNIQUE", 1),
    C("HAS_ECDH", 1),
    C("HAS_NPN", 0), /* the ssl module retired NPN; so do we */
    C("HAS_ALPN", 1),
    C("HAS_SSLv2", 0),
#ifdef OPENSSL_NO_SSL3
    C("HAS_SSLv3", 0),
#else
    C("HAS_SSLv3", 1),
#endif
#ifdef OPENSSL_NO_TLS1
    C("HAS_TLSv1", 0),
#else
    C("HAS_TLSv1", 1),
#endif
#ifdef OPENSSL_NO_TLS1_1
    C("HAS_TLSv1_1", 0),
#else
    C("HAS_TLSv1_1", 1),
#endif
    C("HAS_TLSv1_2", 1),
    C("HAS_TLSv1_3", 1),
    C("HAS_PSK", 1),
    /* 3.14's and 3.15's flags (issue 9): TLS 1.3 post-handshake client
     * authentication, and external PSKs in TLS 1.3 (RFC 9258) through the
     * PSK callbacks; OpenSSL 3 has both unless built without PSK. */
    C("HAS_PHA", 1),
    C("HAS_PSK_TLS13", SSLMOD_HAS_PSK_TLS13),
    {NULL, 0},
};
#undef C

static PyObject *
version_info(unsigned long n)
{
    /* OpenSSL's 0xMNN00PP0 number as (major, minor, fix, patch, status). */
    return Py_BuildValue("(kkkkk)", (n >> 28) & 0xF, (n >> 20) & 0xFF, (n >> 12) & 0xFF,
                         (n >> 4) & 0xFF, n & 0xF);
}

/* The functions are added by hand rather than through m_methods so that
 * their __module__ is "_ssl", as the interpreter's (it shows in messages
 * such as "_ssl.RAND_status() takes no arguments"). */
static int
add_functions(PyObject *module)
{
    int rc = -1;
    PyObject *modname = PyUnicode_FromString("_ssl");
    PyObject *func = NULL;
    if (modname == NULL) {
        goto done;
    }
    for (PyMethodDef *def = sslmod_functions; def->ml_name != NULL; def++) {
        func = PyCFunction_NewEx(def, module, modname);
        if (func == NULL || PyModule_AddObjectRef(module, def->ml_name, func) < 0) {
            goto done;
        }
        Py_CLEAR(func);
    }
    rc = 0;
done:
    Py_XDECREF(func);
    Py_XDECREF(modname);
    return rc;
}

static int
add_constants(PyObject *module)
{
    int rc = -1;
    PyObject *v = NULL;
    for (const sslmod_const *c = int_constants; c->name; c++) {
        v = PyLong_FromLongLong(c->value);
        if (v == NULL || PyModule_AddObjectRef(module, c->name, v) < 0) {
            goto done;
        }
        Py_CLEAR(v);
    }
    for (const sslmod_const *c = bool_constants; c->name; c++) {
        if (PyModule_AddObjectRef(module, c->name, c->value ? Py_True : Py_False) < 0) {
            goto done;
        }
    }
    if (PyModule_AddStringConstant(module, "_DEFAULT_CIPHERS", SSLMOD_DEFAULT_CIPHERS) < 0
        || PyModule_AddStringConstant(module, "OPENSSL_VERSION", OpenSSL_version(OPENSSL_VERSION))
               < 0
        || PyModule_AddStringConstant(module, "_OPENSSL_BUILD_VERSION", OPENSSL_VERSION_TEXT) < 0) {
        goto done;
    }
    v = PyLong_FromUnsignedLong(OpenSSL_version_num());
    if (v == NULL || PyModule_AddObjectRef(module, "OPENSSL_VERSION_NUMBER", v) < 0) {
        goto done;
    }
    Py_CLEAR(v);
    v = version_info(OpenSSL_version_num());
    if (v == NULL || PyModule_AddObjectRef(module, "OPENSSL_VERSION_INFO", v) < 0) {
        goto done;
    }
    Py_CLEAR(v);
    v = version_info(OPENSSL_VERSION_NUMBER);
    if (v == NULL || PyModule_AddObjectRef(module, "_OPENSSL_API_VERSION", v) < 0) {
        goto done;
    }
    rc = 0;
done:
    Py_XDECREF(v);
    return rc;
}

/* ---- module lifecycle --------------------------------------------- */

/* Keep _socket.socket, the type _wrap_socket accepts, in the state, so
 * wrapping a socket does not import a module.  0 or -1. */
static int
load_socket_type(sslmod_state *st)
{
    PyObject *mod = PyImport_ImportModule("_socket");
    int rc = -1;

    if (mod == NULL) {
        goto done;
    }
    st->socket_type = PyObject_GetAttrString(mod, "socket");
    if (st->socket_type == NULL) {
        goto done;
    }
    if (!PyType_Check(st->socket_type)) {
        PyErr_SetString(PyExc_TypeError, "_socket.socket is not a type");
        goto done;
    }
    rc = 0;
done:
    Py_XDECREF(mod);
    return rc;
}

static int
sslmod_exec(PyObject *module)
{
    int rc = -1;
    sslmod_state *st = get_state(module);
    PyObject *socket_mod = NULL;

    socket_mod = PyImport_ImportModule("socket");
    if (socket_mod == NULL) {
        goto done;
    }
    st->socket_timeout = PyObject_GetAttrString(socket_mod, "timeout");
    if (st->socket_timeout == NULL || load_socket_type(st) < 0) {
        goto done;
    }
    st->str_fileno = PyUnicode_InternFromString("fileno");
    st->str_gettimeout = PyUnicode_InternFromString("gettimeout");
    st->str_sslobj = PyUnicode_InternFromString("_sslobj");
    st->str_suppress_ragged_eofs = PyUnicode_InternFromString("suppress_ragged_eofs");
    st->str_library = PyUnicode_InternFromString("library");
    st->str_reason = PyUnicode_InternFromString("reason");
    st->str_verify_code = PyUnicode_InternFromString("verify_code");
    st->str_verify_message = PyUnicode_InternFromString("verify_message");
    if (!st->socket_timeout || !st->str_fileno || !st->str_gettimeout || !st->str_sslobj
        || !st->str_suppress_ragged_eofs || !st->str_library || !st->str_reason
        || !st->str_verify_code || !st->str_verify_message) {
        goto done;
    }
    st->trust = sslmod_trust_cache_new();
    if (st->trust == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    if (sslmod_errors_setup(module, st) < 0 || sslmod_certificate_setup(module, st) < 0
        || sslmod_membio_setup(module, st) < 0 || sslmod_session_setup(module, st) < 0
        || sslmod_context_setup(module, st) < 0 || sslmod_conn_setup(module, st) < 0
        || sslmod_datapath_setup(module, st) < 0 || add_functions(module) < 0
        || add_constants(module) < 0) {
        goto done;
    }
    rc = 0;
done:
    Py_XDECREF(socket_mod);
    return rc;
}

/* Every object the module state holds. */
/* clang-format off */
#define SSLMOD_STATE_OBJECTS(X) \
    X(context_type) X(conn_type) X(membio_type) X(session_type) X(certificate_type) \
    X(SSLError) X(SSLCertVerificationError) X(SSLZeroReturnError) \
    X(SSLWantReadError) X(SSLWantWriteError) X(SSLSyscallError) X(SSLEOFError) \
    X(lib_codes_to_names) X(err_codes_to_names) X(err_names_to_codes) \
    X(socket_timeout) X(socket_type) X(str_fileno) X(str_gettimeout) \
    X(sslobject_base) X(sslsocket_base) X(str_sslobj) X(str_suppress_ragged_eofs) \
    X(str_library) X(str_reason) X(str_verify_code) X(str_verify_message)
/* clang-format on */

static int
sslmod_traverse(PyObject *module, visitproc visit, void *arg)
{
    sslmod_state *st = get_state(module);
#define VISIT(f) Py_VISIT(st->f);
    SSLMOD_STATE_OBJECTS(VISIT)
#undef VISIT
    return 0;
}

static int
sslmod_clear(PyObject *module)
{
    sslmod_state *st = get_state(module);
#define CLEAR(f) Py_CLEAR(st->f);
    SSLMOD_STATE_OBJECTS(CLEAR)
#undef CLEAR
    for (size_t i = 0; i < sizeof(st->msg_cache) / sizeof(st->msg_cache[0]); i++) {
        Py_CLEAR(st->msg_cache[i].msg);
    }
    return 0;
}

static void
sslmod_free(void *module)
{
    sslmod_state *st = get_state((PyObject *)module);
    sslmod_clear((PyObject *)module);
    /* Contexts hold their own references to the stores they use. */
    sslmod_trust_cache_free(st->trust);
    st->trust = NULL;
}

static PyModuleDef_Slot sslmod_slots[] = {
    {Py_mod_exec, sslmod_exec},
#if SSLMOD_HAS_MULTIPLE_INTERPRETERS_SLOT
    {Py_mod_multiple_interpreters, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED},
#endif
    {0, NULL},
};

static struct PyModuleDef sslmod_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "_ssl",
    .m_doc = "TLS/SSL over OpenSSL 3: sslmod's drop-in for the interpreter's _ssl.",
    .m_size = sizeof(sslmod_state),
    .m_slots = sslmod_slots,
    .m_traverse = sslmod_traverse,
    .m_clear = sslmod_clear,
    .m_free = sslmod_free,
};

PyMODINIT_FUNC
PyInit__sslmod(void)
{
    return PyModuleDef_Init(&sslmod_def);
}
