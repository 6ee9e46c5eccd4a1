/* groups.c: Python 3.15's key-agreement group, TLS 1.3 ciphersuite and
 * signature-algorithm controls (set_groups, get_groups, group,
 * set_ciphersuites, set_client_sigalgs, set_server_sigalgs, get_sigalgs,
 * client_sigalg, server_sigalg), on every interpreter.  Where 3.15 needs
 * an OpenSSL newer than the one we run on, the answer is built from what
 * OpenSSL 3.0 offers when that gives the same result, else
 * NotImplementedError names the version needed. */
#include "sslmod.h"

#include <string.h>

#include <openssl/core_names.h>
#include <openssl/provider.h>
#include <openssl/params.h>

/* ---- small helpers ------------------------------------------------- */

/* ARG as a NUL-free UTF-8 C string (borrowed from ARG), for METHOD.
 * NULL with TypeError/ValueError set. */
static const char *
str_arg(PyObject *arg, const char *method)
{
    const char *s;
    Py_ssize_t len;

    if (!PyUnicode_Check(arg)) {
        PyErr_Format(PyExc_TypeError, "%s() argument must be str, not %.100s", method,
                     Py_TYPE(arg)->tp_name);
        return NULL;
    }
    s = PyUnicode_AsUTF8AndSize(arg, &len);
    if (s == NULL) {
        return NULL;
    }
    if ((size_t)len != strlen(s)) {
        PyErr_SetString(PyExc_ValueError, "embedded null character");
        return NULL;
    }
    return s;
}

/* A name from OpenSSL as str, or None for NULL. */
static PyObject *
name_or_none(const char *name)
{
    if (name == NULL) {
        return Py_NewRef(Py_None);
    }
    return PyUnicode_DecodeFSDefault(name);
}

/* ---- SSLContext ------------------------------------------------------ */

PyObject *
sslmod_groups_set_groups(PyObject *op, PyObject *arg)
{
    sslmod_context *self = (sslmod_context *)op;
    const char *groups = str_arg(arg, "set_groups");

    if (groups == NULL) {
        return NULL;
    }
    ERR_clear_error();
    if (SSL_CTX_set1_groups_list(self->ctx, groups) != 1) {
        return SSLMOD_RAISE_QUEUE(self->state, "unrecognized group");
    }
    return Py_NewRef(Py_None);
}

/* get_groups() on OpenSSL < 3.5: the groups the providers announce for TLS
 * (the list SSL_CTX_get0_implemented_groups reads on 3.5), kept when their
 * TLS version range meets the context's.  Providers announce a group once
 * under its preferred name and again under each alias, with one id. */
typedef struct {
    PyObject *names;      /* list being built */
    PyObject *seen;       /* set of group ids already listed */
    int ctx_min, ctx_max; /* the context's version range */
    int aliases;
    int failed; /* a Python error is set */
} group_walk;

static int
group_capability(const OSSL_PARAM params[], void *arg)
{
    group_walk *walk = arg;
    const OSSL_PARAM *p;
    const char *name = NULL;
    unsigned int id = 0;
    int min_tls = 0, max_tls = 0, seen;
    PyObject *key = NULL, *str = NULL;

    p = OSSL_PARAM_locate_const(params, OSSL_CAPABILITY_TLS_GROUP_NAME);
    if (p == NULL || !OSSL_PARAM_get_utf8_string_ptr(p, &name)) {
        return 1;
    }
    p = OSSL_PARAM_locate_const(params, OSSL_CAPABILITY_TLS_GROUP_ID);
    if (p == NULL || !OSSL_PARAM_get_uint(p, &id)) {
        return 1;
    }
    p = OSSL_PARAM_locate_const(params, OSSL_CAPABILITY_TLS_GROUP_MIN_TLS);
    if (p != NULL) {
        OSSL_PARAM_get_int(p, &min_tls);
    }
    p = OSSL_PARAM_locate_const(params, OSSL_CAPABILITY_TLS_GROUP_MAX_TLS);
    if (p != NULL) {
        OSSL_PARAM_get_int(p, &max_tls);
    }
    /* -1: not for TLS at all; 0: no bound. */
    if (min_tls < 0 || max_tls < 0 || (max_tls != 0 && max_tls < walk->ctx_min)
        || (min_tls != 0 && min_tls > walk->ctx_max)) {
        return 1;
    }
    key = PyLong_FromUnsignedLong(id);
    if (key == NULL) {
        goto error;
    }
    seen = PySet_Contains(walk->seen, key);
    if (seen < 0) {
        goto error;
    }
    if (!seen || walk->aliases) {
        str = PyUnicode_DecodeFSDefault(name);
        if (str == NULL || PyList_Append(walk->names, str) < 0 || PySet_Add(walk->seen, key) < 0) {
            goto error;
        }
    }
    Py_XDECREF(str);
    Py_DECREF(key);
    return 1;
error:
    Py_XDECREF(str);
    Py_XDECREF(key);
    walk->failed = 1;
    return 0;
}

static int
provider_groups(OSSL_PROVIDER *prov, void *arg)
{
    group_walk *walk = arg;
    OSSL_PROVIDER_get_capabilities(prov, "TLS-GROUP", group_capability, arg);
    return !walk->failed;
}

PyObject *
sslmod_groups_get_groups(PyObject *op, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    sslmod_context *self = (sslmod_context *)op;
    int aliases = 0;
    PyObject *res = NULL;

    if (nargs != 0) {
        PyErr_Format(PyExc_TypeError,
                     "get_groups() takes 0 positional arguments but "
                     "%zd were given",
                     nargs);
        goto done;
    }
    for (Py_ssize_t k = 0; kwnames != NULL && k < PyTuple_GET_SIZE(kwnames); k++) {
        PyObject *key = PyTuple_GET_ITEM(kwnames, k);
        if (PyUnicode_CompareWithASCIIString(key, "include_aliases") != 0) {
            PyErr_Format(PyExc_TypeError,
                         "get_groups() got an unexpected keyword "
                         "argument '%U'",
                         key);
            goto done;
        }
        aliases = PyObject_IsTrue(args[k]);
        if (aliases < 0) {
            goto done;
        }
    }
#ifdef SSLMOD_HAS_IMPLEMENTED_GROUPS
    {
        STACK_OF(OPENSSL_CSTRING) *names = sk_OPENSSL_CSTRING_new_null();
        PyObject *list = NULL;
        if (names == NULL || !SSL_CTX_get0_implemented_groups(self->ctx, aliases, names)) {
            sk_OPENSSL_CSTRING_free(names);
            SSLMOD_RAISE_QUEUE(self->state, "cannot list the groups");
            goto done;
        }
        list = PyList_New(0);
        for (int i = 0; list != NULL && i < sk_OPENSSL_CSTRING_num(names); i++) {
            PyObject *s = PyUnicode_DecodeFSDefault(sk_OPENSSL_CSTRING_value(names, i));
            if (s == NULL || PyList_Append(list, s) < 0) {
                Py_CLEAR(list);
            }
            Py_XDECREF(s);
        }
        sk_OPENSSL_CSTRING_free(names); /* the strings are OpenSSL's constants */
        res = list;
    }
#else
    {
        group_walk walk = {NULL, NULL, 0, 0, aliases, 0};
        walk.ctx_min = (int)SSL_CTX_get_min_proto_version(self->ctx);
        walk.ctx_max = (int)SSL_CTX_get_max_proto_version(self->ctx);
        if (walk.ctx_min == 0) {
            walk.ctx_min = TLS1_VERSION;
        }
        if (walk.ctx_max == 0) {
            walk.ctx_max = TLS1_3_VERSION;
        }
        walk.names = PyList_New(0);
        walk.seen = PySet_New(NULL);
        if (walk.names != NULL && walk.seen != NULL) {
            OSSL_PROVIDER_do_all(NULL, provider_groups, &walk);
            if (!walk.failed) {
                res = Py_NewRef(walk.names);
            }
        }
        ERR_clear_error();
        Py_XDECREF(walk.names);
        Py_XDECREF(walk.seen);
    }
#endif
done:
    return res;
}

PyObject *
sslmod_groups_set_ciphersuites(PyObject *op, PyObject *arg)
{
    sslmod_context *self = (sslmod_context *)op;
    const char *suites = str_arg(arg, "set_ciphersuites");
    SSL_CTX *probe = NULL;
    PyObject *res = NULL;
    int usable = 0;

    if (suites == NULL) {
        goto done;
    }
    /* OpenSSL skips names it does not know; like set_ciphers(), refuse a
     * list that leaves no TLS 1.3 suite at all (an empty string is the
     * way to turn them all off).  Tried on a scratch context first so that
     * a refused list changes nothing. */
    ERR_clear_error();
    probe = SSL_CTX_new(TLS_method());
    if (probe == NULL || SSL_CTX_set_ciphersuites(probe, suites) != 1) {
        SSLMOD_RAISE_QUEUE(self->state, "No cipher suite can be selected.");
        goto done;
    }
    {
        STACK_OF(SSL_CIPHER) *list = SSL_CTX_get_ciphers(probe);
        for (int i = 0; i < sk_SSL_CIPHER_num(list); i++) {
            if (strcmp(SSL_CIPHER_get_version(sk_SSL_CIPHER_value(list, i)), "TLSv1.3") == 0) {
                usable++;
            }
        }
    }
    if (suites[0] != '\0' && usable == 0) {
        SSLMOD_RAISE_MSG(self->state, NULL, 0, "No cipher suite can be selected.");
        goto done;
    }
    if (SSL_CTX_set_ciphersuites(self->ctx, suites) != 1) {
        SSLMOD_RAISE_QUEUE(self->state, "No cipher suite can be selected.");
        goto done;
    }
    res = Py_NewRef(Py_None);
done:
    SSL_CTX_free(probe);
    return res;
}

static PyObject *
set_sigalgs(sslmod_context *self, PyObject *arg, int client)
{
    const char *list = str_arg(arg, client ? "set_client_sigalgs" : "set_server_sigalgs");
    long ok;

    if (list == NULL) {
        return NULL;
    }
    ERR_clear_error();
    ok = client ? SSL_CTX_set1_client_sigalgs_list(self->ctx, list)
                : SSL_CTX_set1_sigalgs_list(self->ctx, list);
    if (ok != 1) {
        return SSLMOD_RAISE_QUEUE(self->state, "unrecognized signature algorithm");
    }
    return Py_NewRef(Py_None);
}

PyObject *
sslmod_groups_set_client_sigalgs(PyObject *op, PyObject *arg)
{
    return set_sigalgs((sslmod_context *)op, arg, 1);
}

PyObject *
sslmod_groups_set_server_sigalgs(PyObject *op, PyObject *arg)
{
    return set_sigalgs((sslmod_context *)op, arg, 0);
}

/* ---- module ------------------------------------------------------------ */

PyObject *
sslmod_groups_get_sigalgs(PyObject *module, PyObject *unused)
{
    (void)module;
    (void)unused;
#ifdef SSLMOD_HAS_BUILTIN_SIGALGS
    {
        char *all = SSL_get1_builtin_sigalgs(NULL);
        PyObject *text = NULL, *sep = NULL, *res = NULL;
        if (all == NULL) {
            return PyErr_NoMemory();
        }
        text = PyUnicode_DecodeFSDefault(all);
        OPENSSL_free(all);
        sep = PyUnicode_FromString(":");
        if (text != NULL && sep != NULL) {
            res = PyUnicode_Split(text, sep, -1);
        }
        Py_XDECREF(text);
        Py_XDECREF(sep);
        return res;
    }
#else
    /* OpenSSL 3.0 has no way to list its signature algorithms. */
    PyErr_SetString(PyExc_NotImplementedError,
                    "Getting signature algorithms requires OpenSSL 3.4 or later.");
    return NULL;
#endif
}

/* ---- connection ---------------------------------------------------------- */

PyObject *
sslmod_groups_group(PyObject *op, PyObject *unused)
{
    sslmod_conn *self = (sslmod_conn *)op;
    const char *name = NULL;
    PyObject *res;
    int taken;
    (void)unused;

    /* NAME points into OpenSSL's constant tables: safe after unlocking. */
    taken = sslmod_conn_lock_gil(self);
    if (!SSL_is_init_finished(self->ssl)) {
        goto done;
    }
#ifdef SSLMOD_HAS_GET0_GROUP_NAME
    name = SSL_get0_group_name(self->ssl);
#else
    {
        /* SSL_get0_group_name() (3.2) is tls1_group_id2name() of the
         * negotiated group; 3.0 reaches the same name in two steps. */
        int nid = SSL_get_negotiated_group(self->ssl);
        if (nid > 0) {
            name = SSL_group_to_name(self->ssl, nid);
        }
    }
#endif
done:
    ERR_clear_error();
    sslmod_conn_unlock(self, taken);
    res = name_or_none(name);
    return res;
}

#ifndef SSLMOD_HAS_SIGNATURE_NAME
/* OpenSSL 3.0 tells which signature was made (key type and digest) but
 * not its TLS name; SSL_get0_signature_name() (3.5) returns the name from
 * OpenSSL's own sigalg table, which for the algorithms 3.0 implements is
 * determined by the two: this is that table. */
typedef struct {
    int type;    /* EVP_PKEY_* of the signature */
    int md;      /* NID of the digest, NID_undef for none */
    int pss_key; /* RSA-PSS only: 1 for a PSS key, 0 for an RSA key */
    const char *name;
} sigalg_name;

static const sigalg_name sigalg_names[] = {
    {EVP_PKEY_EC, NID_sha256, 0, "ecdsa_secp256r1_sha256"},
    {EVP_PKEY_EC, NID_sha384, 0, "ecdsa_secp384r1_sha384"},
    {EVP_PKEY_EC, NID_sha512, 0, "ecdsa_secp521r1_sha512"},
    {EVP_PKEY_EC, NID_sha224, 0, "ecdsa_sha224"},
    {EVP_PKEY_EC, NID_sha1, 0, "ecdsa_sha1"},
    {EVP_PKEY_ED25519, NID_undef, 0, "ed25519"},
    {EVP_PKEY_ED448, NID_undef, 0, "ed448"},
    {EVP_PKEY_RSA_PSS, NID_sha256, 0, "rsa_pss_rsae_sha256"},
    {EVP_PKEY_RSA_PSS, NID_sha384, 0, "rsa_pss_rsae_sha384"},
    {EVP_PKEY_RSA_PSS, NID_sha512, 0, "rsa_pss_rsae_sha512"},
    {EVP_PKEY_RSA_PSS, NID_sha256, 1, "rsa_pss_pss_sha256"},
    {EVP_PKEY_RSA_PSS, NID_sha384, 1, "rsa_pss_pss_sha384"},
    {EVP_PKEY_RSA_PSS, NID_sha512, 1, "rsa_pss_pss_sha512"},
    {EVP_PKEY_RSA, NID_sha256, 0, "rsa_pkcs1_sha256"},
    {EVP_PKEY_RSA, NID_sha384, 0, "rsa_pkcs1_sha384"},
    {EVP_PKEY_RSA, NID_sha512, 0, "rsa_pkcs1_sha512"},
    {EVP_PKEY_RSA, NID_sha224, 0, "rsa_pkcs1_sha224"},
    {EVP_PKEY_RSA, NID_sha1, 0, "rsa_pkcs1_sha1"},
    {EVP_PKEY_DSA, NID_sha256, 0, "dsa_sha256"},
    {EVP_PKEY_DSA, NID_sha384, 0, "dsa_sha384"},
    {EVP_PKEY_DSA, NID_sha512, 0, "dsa_sha512"},
    {EVP_PKEY_DSA, NID_sha224, 0, "dsa_sha224"},
    {EVP_PKEY_DSA, NID_sha1, 0, "dsa_sha1"},
    {0, 0, 0, NULL},
};

/* The name of the signature made by our end (PEER 0) or the peer. */
static const char *
signature_name(SSL *ssl, int peer)
{
    int type = NID_undef, md = NID_undef, pss_key = 0;
    EVP_PKEY *key = NULL;
    X509 *cert;

    if (!(peer ? SSL_get_peer_signature_type_nid(ssl, &type)
               : SSL_get_signature_type_nid(ssl, &type))
        || type == NID_undef) {
        return NULL;
    }
    if (!(peer ? SSL_get_peer_signature_nid(ssl, &md) : SSL_get_signature_nid(ssl, &md))) {
        md = NID_undef;
    }
    if (type == EVP_PKEY_RSA_PSS) {
        /* rsae: PSS made with an rsaEncryption key; pss: with a PSS key. */
        cert = peer ? SSL_get0_peer_certificate(ssl) : SSL_get_certificate(ssl);
        key = cert ? X509_get0_pubkey(cert) : NULL;
        pss_key = key != NULL && EVP_PKEY_is_a(key, "RSA-PSS");
    }
    for (const sigalg_name *s = sigalg_names; s->name != NULL; s++) {
        if (s->type == type && s->md == md && s->pss_key == pss_key) {
            return s->name;
        }
    }
    return NULL;
}
#endif

/* The sigalg of the CLIENT's (1) or the server's (0) signature. */
static PyObject *
sigalg(sslmod_conn *self, int client)
{
    int peer = client ? self->server_side : !self->server_side;
    const char *name = NULL;
    int taken;

    /* NAME is one of OpenSSL's (or our table's) constants. */
    taken = sslmod_conn_lock_gil(self);
    if (!SSL_is_init_finished(self->ssl)) {
        goto done;
    }
#ifdef SSLMOD_HAS_SIGNATURE_NAME
    if (!(peer ? SSL_get0_peer_signature_name(self->ssl, &name)
               : SSL_get0_signature_name(self->ssl, &name))) {
        name = NULL;
    }
#else
    name = signature_name(self->ssl, peer);
#endif
done:
    ERR_clear_error();
    sslmod_conn_unlock(self, taken);
    return name_or_none(name);
}

PyObject *
sslmod_groups_client_sigalg(PyObject *op, PyObject *unused)
{
    (void)unused;
    return sigalg((sslmod_conn *)op, 1);
}

PyObject *
sslmod_groups_server_sigalg(PyObject *op, PyObject *unused)
{
    (void)unused;
    return sigalg((sslmod_conn *)op, 0);
}
