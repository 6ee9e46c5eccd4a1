/* certificate.c: decodes X509 certificates into the Python values the ssl
 * module shows (the getpeercert() dict) and implements the Certificate type. */
#include "sslmod.h"

#include <stdio.h>
#include <string.h>

#include <openssl/pem.h>

/* A Certificate object: an immutable wrapper around one X509. */
typedef struct {
    PyObject_HEAD
    sslmod_state *state;
    X509 *cert; /* owned reference */
} sslmod_cert;

/* ---- small text helpers ------------------------------------------- */

/* Everything written to the memory BIO BIO so far, as str.  With
 * FIRST_LINE, only up to and including the first newline. */
static PyObject *
bio_to_str(BIO *bio, int first_line)
{
    char *data = NULL;
    long len = BIO_get_mem_data(bio, &data);
    if (len < 0 || data == NULL) {
        len = 0;
    }
    if (first_line && len > 0) {
        const char *nl = memchr(data, '\n', (size_t)len);
        if (nl != NULL) {
            len = (long)(nl - data) + 1;
        }
    }
    return PyUnicode_DecodeUTF8(data ? data : "", (Py_ssize_t)len, "strict");
}

/* A memory BIO, or NULL with SSLError set. */
static BIO *
new_mem_bio(sslmod_state *st)
{
    BIO *bio = BIO_new(BIO_s_mem());
    if (bio == NULL) {
        SSLMOD_RAISE_QUEUE(st, "failed to allocate BIO");
    }
    return bio;
}

/* The bytes of an ASN1 string as str (strict UTF-8, NUL bytes kept). */
static PyObject *
asn1_string_to_str(const ASN1_STRING *s)
{
    const unsigned char *data = s ? ASN1_STRING_get0_data(s) : NULL;
    int len = s ? ASN1_STRING_length(s) : 0;
    if (data == NULL || len < 0) {
        data = (const unsigned char *)"";
        len = 0;
    }
    return PyUnicode_DecodeUTF8((const char *)data, len, "strict");
}

/* OBJ's long name, or its dotted form when OpenSSL has no name for it.
 * Sized to fit: OIDs in hostile certificates can be arbitrarily long. */
static PyObject *
object_to_str(sslmod_state *st, const ASN1_OBJECT *obj)
{
    PyObject *res = NULL;
    char *buf = NULL;
    int need, got;

    if (obj == NULL) {
        PyErr_SetString(PyExc_ValueError, "certificate has an empty object identifier");
        goto done;
    }
    need = OBJ_obj2txt(NULL, 0, obj, 0);
    if (need < 0) {
        SSLMOD_RAISE_QUEUE(st, NULL);
        goto done;
    }
    buf = PyMem_Malloc((size_t)need + 1);
    if (buf == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    got = OBJ_obj2txt(buf, need + 1, obj, 0);
    if (got < 0) {
        SSLMOD_RAISE_QUEUE(st, NULL);
        goto done;
    }
    /* OBJ_obj2txt reports the full length even when it had to truncate. */
    res = PyUnicode_FromStringAndSize(buf, strnlen(buf, (size_t)need));
done:
    PyMem_Free(buf);
    return res;
}

/* ---- names -------------------------------------------------------- */

/* The value of one name attribute: str, or bytes for a BIT STRING (as the
 * ssl module of 3.10 and later does, for x500UniqueIdentifier). */
static PyObject *
name_value(sslmod_state *st, const X509_NAME_ENTRY *entry)
{
    PyObject *res = NULL;
    unsigned char *utf8 = NULL;
    const ASN1_STRING *data = X509_NAME_ENTRY_get_data(entry);
    int len;

    if (data == NULL) {
        PyErr_SetString(PyExc_ValueError, "certificate name attribute has no value");
        goto done;
    }
#if PY_VERSION_HEX >= 0x030A0000
    if (ASN1_STRING_type(data) == V_ASN1_BIT_STRING) {
        const unsigned char *raw = ASN1_STRING_get0_data(data);
        int rawlen = ASN1_STRING_length(data);
        res = PyBytes_FromStringAndSize((const char *)(raw ? raw : (const unsigned char *)""),
                                        (raw && rawlen > 0) ? rawlen : 0);
        goto done;
    }
#endif
    len = ASN1_STRING_to_UTF8(&utf8, data);
    if (len < 0) {
        SSLMOD_RAISE_QUEUE(st, NULL);
        goto done;
    }
    res = PyUnicode_DecodeUTF8((const char *)utf8, len, "strict");
done:
    OPENSSL_free(utf8);
    return res;
}

/* NAME as a tuple of RDNs, each a tuple of (attribute, value) pairs;
 * attributes that share a multi-valued RDN share a tuple. */
static PyObject *
name_to_tuple(sslmod_state *st, const X509_NAME *name)
{
    PyObject *rdns = NULL, *rdn = NULL, *pair = NULL, *key = NULL, *value = NULL;
    PyObject *tmp = NULL, *res = NULL;
    int count = name ? X509_NAME_entry_count(name) : 0;
    int last_set = -1;

    rdns = PyList_New(0);
    rdn = PyList_New(0);
    if (rdns == NULL || rdn == NULL) {
        goto done;
    }
    for (int i = 0; i < count; i++) {
        const X509_NAME_ENTRY *entry = X509_NAME_get_entry(name, i);
        int set;
        if (entry == NULL) {
            continue;
        }
        set = X509_NAME_ENTRY_set(entry);
        /* A new RDN begins: close the one being collected. */
        if (set != last_set && PyList_GET_SIZE(rdn) > 0) {
            tmp = PyList_AsTuple(rdn);
            if (tmp == NULL || PyList_Append(rdns, tmp) < 0) {
                goto done;
            }
            Py_CLEAR(tmp);
            Py_SETREF(rdn, PyList_New(0));
            if (rdn == NULL) {
                goto done;
            }
        }
        last_set = set;
        key = object_to_str(st, X509_NAME_ENTRY_get_object(entry));
        if (key == NULL) {
            goto done;
        }
        value = name_value(st, entry);
        if (value == NULL) {
            goto done;
        }
        pair = PyTuple_Pack(2, key, value);
        if (pair == NULL || PyList_Append(rdn, pair) < 0) {
            goto done;
        }
        Py_CLEAR(key);
        Py_CLEAR(value);
        Py_CLEAR(pair);
    }
    if (PyList_GET_SIZE(rdn) > 0) {
        tmp = PyList_AsTuple(rdn);
        if (tmp == NULL || PyList_Append(rdns, tmp) < 0) {
            goto done;
        }
    }
    res = PyList_AsTuple(rdns);
done:
    Py_XDECREF(rdns);
    Py_XDECREF(rdn);
    Py_XDECREF(pair);
    Py_XDECREF(key);
    Py_XDECREF(value);
    Py_XDECREF(tmp);
    return res;
}

/* ---- subjectAltName ----------------------------------------------- */

/* An iPAddress entry: dotted quad, eight uppercase hex groups without
 * zero compression, or "<invalid>" for any other length. */
static PyObject *
ip_to_str(const ASN1_OCTET_STRING *ip)
{
    const unsigned char *p = ip ? ASN1_STRING_get0_data(ip) : NULL;
    int len = ip ? ASN1_STRING_length(ip) : 0;
    char buf[64];

    if (p != NULL && len == 4) {
        PyOS_snprintf(buf, sizeof(buf), "%d.%d.%d.%d", p[0], p[1], p[2], p[3]);
    }
    else if (p != NULL && len == 16) {
        PyOS_snprintf(buf, sizeof(buf), "%X:%X:%X:%X:%X:%X:%X:%X", p[0] << 8 | p[1],
                      p[2] << 8 | p[3], p[4] << 8 | p[5], p[6] << 8 | p[7], p[8] << 8 | p[9],
                      p[10] << 8 | p[11], p[12] << 8 | p[13], p[14] << 8 | p[15]);
    }
    else {
        PyOS_snprintf(buf, sizeof(buf), "<invalid>");
    }
    return PyUnicode_FromString(buf);
}

/* The kinds without a dedicated format (othername, X400Name,
 * EdiPartyName): OpenSSL's own "Kind:value" text, split at the first
 * colon into the pair; each half is decoded on its own. */
static PyObject *
printed_general_name(sslmod_state *st, GENERAL_NAME *gn)
{
    PyObject *res = NULL, *kind = NULL, *value = NULL;
    BIO *bio = NULL;
    char *text = NULL;
    const char *colon;
    long len;

    bio = new_mem_bio(st);
    if (bio == NULL) {
        goto done;
    }
    if (GENERAL_NAME_print(bio, gn) <= 0) {
        SSLMOD_RAISE_QUEUE(st, NULL);
        goto done;
    }
    len = BIO_get_mem_data(bio, &text);
    colon = (text != NULL && len > 0) ? memchr(text, ':', (size_t)len) : NULL;
    if (colon == NULL) {
        PyErr_SetString(PyExc_ValueError, "unexpected format of a subjectAltName entry");
        goto done;
    }
    kind = PyUnicode_DecodeUTF8(text, colon - text, "strict");
    if (kind == NULL) {
        goto done;
    }
    value = PyUnicode_DecodeUTF8(colon + 1, (text + len) - (colon + 1), "strict");
    if (value == NULL) {
        goto done;
    }
    res = PyTuple_Pack(2, kind, value);
done:
    Py_XDECREF(kind);
    Py_XDECREF(value);
    BIO_free(bio);
    return res;
}

/* One GENERAL_NAME as the (kind, value) pair of subjectAltName. */
static PyObject *
general_name_to_pair(sslmod_state *st, GENERAL_NAME *gn)
{
    const char *kind = NULL;
    PyObject *value = NULL, *res = NULL;

    switch (gn->type) {
    case GEN_DIRNAME:
        kind = "DirName";
        value = name_to_tuple(st, gn->d.directoryName);
        break;
    case GEN_EMAIL:
        kind = "email";
        value = asn1_string_to_str(gn->d.rfc822Name);
        break;
    case GEN_DNS:
        kind = "DNS";
        value = asn1_string_to_str(gn->d.dNSName);
        break;
    case GEN_URI:
        kind = "URI";
        value = asn1_string_to_str(gn->d.uniformResourceIdentifier);
        break;
    case GEN_RID:
        kind = "Registered ID";
        value = object_to_str(st, gn->d.registeredID);
        break;
    case GEN_IPADD:
        kind = "IP Address";
        value = ip_to_str(gn->d.iPAddress);
        break;
    default:
        res = printed_general_name(st, gn);
        break;
    }
    if (kind != NULL && value != NULL) {
        res = Py_BuildValue("(sO)", kind, value);
    }
    Py_XDECREF(value);
    return res;
}

/* The subjectAltName tuple, or NULL without an exception when the
 * certificate has no (single, well-formed) SAN extension. */
static PyObject *
subject_alt_names(sslmod_state *st, X509 *cert)
{
    PyObject *list = NULL, *pair = NULL, *res = NULL;
    GENERAL_NAMES *names = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);

    if (names == NULL) {
        ERR_clear_error(); /* absent, repeated or malformed: no key */
        goto done;
    }
    list = PyList_New(0);
    if (list == NULL) {
        goto done;
    }
    for (int i = 0; i < sk_GENERAL_NAME_num(names); i++) {
        GENERAL_NAME *gn = sk_GENERAL_NAME_value(names, i);
        if (gn == NULL) {
            continue;
        }
        pair = general_name_to_pair(st, gn);
        if (pair == NULL || PyList_Append(list, pair) < 0) {
            goto done;
        }
        Py_CLEAR(pair);
    }
    res = PyList_AsTuple(list);
done:
    Py_XDECREF(list);
    Py_XDECREF(pair);
    GENERAL_NAMES_free(names);
    return res;
}

/* ---- AIA and CRL distribution points ------------------------------ */

/* Append GN's URI to LIST if GN is a URI; 0 ok, -1 error. */
static int
append_uri(PyObject *list, const GENERAL_NAME *gn)
{
    int rc = 0;
    PyObject *uri = NULL;
    if (gn != NULL && gn->type == GEN_URI) {
        uri = asn1_string_to_str(gn->d.uniformResourceIdentifier);
        rc = (uri != NULL && PyList_Append(list, uri) == 0) ? 0 : -1;
    }
    Py_XDECREF(uri);
    return rc;
}

/* Set DICT[KEY] = tuple(LIST) when LIST is not empty; 0 ok, -1 error. */
static int
set_if_any(PyObject *dict, const char *key, PyObject *list)
{
    int rc = 0;
    PyObject *tup = NULL;
    if (PyList_GET_SIZE(list) > 0) {
        tup = PyList_AsTuple(list);
        rc = tup ? PyDict_SetItemString(dict, key, tup) : -1;
    }
    Py_XDECREF(tup);
    return rc;
}

/* Add "OCSP" and "caIssuers" (URI locations only) to DICT. */
static int
add_info_access(PyObject *dict, X509 *cert)
{
    int rc = -1;
    PyObject *ocsp = NULL, *issuers = NULL;
    AUTHORITY_INFO_ACCESS *aia = X509_get_ext_d2i(cert, NID_info_access, NULL, NULL);

    if (aia == NULL) {
        ERR_clear_error();
        rc = 0;
        goto done;
    }
    ocsp = PyList_New(0);
    issuers = PyList_New(0);
    if (ocsp == NULL || issuers == NULL) {
        goto done;
    }
    for (int i = 0; i < sk_ACCESS_DESCRIPTION_num(aia); i++) {
        ACCESS_DESCRIPTION *ad = sk_ACCESS_DESCRIPTION_value(aia, i);
        int nid;
        if (ad == NULL || ad->method == NULL) {
            continue;
        }
        nid = OBJ_obj2nid(ad->method);
        if (nid == NID_ad_OCSP && append_uri(ocsp, ad->location) < 0) {
            goto done;
        }
        if (nid == NID_ad_ca_issuers && append_uri(issuers, ad->location) < 0) {
            goto done;
        }
    }
    if (set_if_any(dict, "OCSP", ocsp) < 0 || set_if_any(dict, "caIssuers", issuers) < 0) {
        goto done;
    }
    rc = 0;
done:
    Py_XDECREF(ocsp);
    Py_XDECREF(issuers);
    AUTHORITY_INFO_ACCESS_free(aia);
    return rc;
}

/* Add "crlDistributionPoints": the URIs of every point given by full
 * name; points with only a relative name or no name add nothing. */
static int
add_crl_points(PyObject *dict, X509 *cert)
{
    int rc = -1;
    PyObject *uris = NULL;
    CRL_DIST_POINTS *dps = X509_get_ext_d2i(cert, NID_crl_distribution_points, NULL, NULL);

    if (dps == NULL) {
        ERR_clear_error();
        rc = 0;
        goto done;
    }
    uris = PyList_New(0);
    if (uris == NULL) {
        goto done;
    }
    for (int i = 0; i < sk_DIST_POINT_num(dps); i++) {
        DIST_POINT *dp = sk_DIST_POINT_value(dps, i);
        GENERAL_NAMES *full;
        if (dp == NULL || dp->distpoint == NULL || dp->distpoint->type != 0) {
            continue;
        }
        full = dp->distpoint->name.fullname;
        for (int j = 0; j < sk_GENERAL_NAME_num(full); j++) {
            if (append_uri(uris, sk_GENERAL_NAME_value(full, j)) < 0) {
                goto done;
            }
        }
    }
    if (set_if_any(dict, "crlDistributionPoints", uris) < 0) {
        goto done;
    }
    rc = 0;
done:
    Py_XDECREF(uris);
    CRL_DIST_POINTS_free(dps);
    return rc;
}

/* ---- the certificate dict ----------------------------------------- */

/* DICT[KEY] = VALUE, consuming VALUE; -1 if VALUE is NULL or on error. */
static int
set_steal(PyObject *dict, const char *key, PyObject *value)
{
    int rc = value ? PyDict_SetItemString(dict, key, value) : -1;
    Py_XDECREF(value);
    return rc;
}

/* Print TIME with OpenSSL's "Mon DD HH:MM:SS YYYY GMT" format ("Bad time
 * value" for a malformed one) as str. */
static PyObject *
time_to_str(sslmod_state *st, const ASN1_TIME *time)
{
    PyObject *res = NULL;
    BIO *bio = NULL;
    if (time == NULL) {
        PyErr_SetString(PyExc_ValueError, "certificate has no validity time");
        goto done;
    }
    bio = new_mem_bio(st);
    if (bio == NULL) {
        goto done;
    }
    (void)ASN1_TIME_print(bio, time); /* on failure it prints why */
    ERR_clear_error();
    res = bio_to_str(bio, 0);
done:
    BIO_free(bio);
    return res;
}

/* The serial number in uppercase hex, '-' for negative ones, as OpenSSL
 * prints it: only its first line, which ends in "\\\n" past 35 bytes. */
static PyObject *
serial_to_str(sslmod_state *st, const ASN1_INTEGER *serial)
{
    PyObject *res = NULL;
    BIO *bio = NULL;
    if (serial == NULL) {
        PyErr_SetString(PyExc_ValueError, "certificate has no serial number");
        goto done;
    }
    bio = new_mem_bio(st);
    if (bio == NULL) {
        goto done;
    }
    if (i2a_ASN1_INTEGER(bio, serial) < 0) {
        SSLMOD_RAISE_QUEUE(st, NULL);
        goto done;
    }
    res = bio_to_str(bio, 1);
done:
    BIO_free(bio);
    return res;
}

PyObject *
sslmod_cert_to_dict(sslmod_state *st, X509 *cert)
{
    PyObject *dict = NULL, *san = NULL, *res = NULL;

    if (cert == NULL) {
        PyErr_SetString(PyExc_ValueError, "no certificate");
        goto done;
    }
    dict = PyDict_New();
    if (dict == NULL) {
        goto done;
    }
    /* The keys go in the order the ssl module uses. */
    if (set_steal(dict, "subject", name_to_tuple(st, X509_get_subject_name(cert))) < 0
        || set_steal(dict, "issuer", name_to_tuple(st, X509_get_issuer_name(cert))) < 0
        || set_steal(dict, "version", PyLong_FromLong(X509_get_version(cert) + 1)) < 0
        || set_steal(dict, "serialNumber", serial_to_str(st, X509_get0_serialNumber(cert))) < 0
        || set_steal(dict, "notBefore", time_to_str(st, X509_get0_notBefore(cert))) < 0
        || set_steal(dict, "notAfter", time_to_str(st, X509_get0_notAfter(cert))) < 0) {
        goto done;
    }
    san = subject_alt_names(st, cert);
    if (san == NULL && PyErr_Occurred()) {
        goto done;
    }
    if (san != NULL && PyDict_SetItemString(dict, "subjectAltName", san) < 0) {
        goto done;
    }
    if (add_info_access(dict, cert) < 0 || add_crl_points(dict, cert) < 0) {
        goto done;
    }
    res = Py_NewRef(dict);
done:
    Py_XDECREF(dict);
    Py_XDECREF(san);
    return res;
}

/* ---- DER and PEM encodings ---------------------------------------- */

PyObject *
sslmod_cert_der(X509 *cert)
{
    PyObject *res = NULL;
    unsigned char *der = NULL;
    /* One encoding pass (OpenSSL allocates), then one copy: cheaper than
     * measuring first and encoding again. */
    int len = cert ? i2d_X509(cert, &der) : -1;

    if (len < 0) {
        ERR_clear_error();
        PyErr_SetString(PyExc_ValueError, "the certificate cannot be DER-encoded");
        goto done;
    }
    res = PyBytes_FromStringAndSize((const char *)der, len);
done:
    OPENSSL_free(der);
    return res;
}

static PyObject *
cert_pem(sslmod_state *st, X509 *cert)
{
    PyObject *res = NULL;
    BIO *bio = new_mem_bio(st);
    if (bio == NULL) {
        goto done;
    }
    if (PEM_write_bio_X509(bio, cert) != 1) {
        SSLMOD_RAISE_QUEUE(st, "failed to write the certificate as PEM");
        goto done;
    }
    res = bio_to_str(bio, 0);
done:
    BIO_free(bio);
    return res;
}

/* ---- the Certificate type ----------------------------------------- */

PyObject *
sslmod_cert_new(sslmod_state *st, X509 *cert)
{
    sslmod_cert *self = NULL;
    PyTypeObject *type = st->certificate_type;

    if (cert == NULL) {
        PyErr_SetString(PyExc_ValueError, "no certificate");
        goto done;
    }
    if (X509_up_ref(cert) != 1) {
        SSLMOD_RAISE_QUEUE(st, "failed to reference the certificate");
        goto done;
    }
    self = (sslmod_cert *)type->tp_alloc(type, 0);
    if (self == NULL) {
        X509_free(cert); /* drop the reference just taken */
        goto done;
    }
    self->state = st;
    self->cert = cert; /* owns the reference taken above */
done:
    return (PyObject *)self;
}

PyObject *
sslmod_cert_list(sslmod_state *st, STACK_OF(X509) *chain)
{
    PyObject *list = NULL, *item = NULL, *res = NULL;
    int n = chain ? sk_X509_num(chain) : 0;

    list = PyList_New(0);
    if (list == NULL) {
        goto done;
    }
    for (int i = 0; i < n; i++) {
        item = sslmod_cert_new(st, sk_X509_value(chain, i));
        if (item == NULL || PyList_Append(list, item) < 0) {
            goto done;
        }
        Py_CLEAR(item);
    }
    res = Py_NewRef(list);
done:
    Py_XDECREF(item);
    Py_XDECREF(list);
    return res;
}

static void
cert_dealloc(PyObject *op)
{
    sslmod_cert *self = (sslmod_cert *)op;
    PyTypeObject *tp = Py_TYPE(op);
    X509_free(self->cert);
    tp->tp_free(op);
    Py_DECREF(tp);
}

/* <_ssl.Certificate 'CN=...'>: the subject in RFC 2253 form. */
static PyObject *
cert_repr(PyObject *op)
{
    sslmod_cert *self = (sslmod_cert *)op;
    PyObject *subject = NULL, *res = NULL;
    BIO *bio = new_mem_bio(self->state);

    if (bio == NULL) {
        goto done;
    }
    /* An empty subject prints nothing, which the ssl module reports as an
     * error too. */
    if (X509_NAME_print_ex(bio, X509_get_subject_name(self->cert), 0, XN_FLAG_RFC2253) <= 0) {
        SSLMOD_RAISE_QUEUE(self->state, NULL);
        goto done;
    }
    subject = bio_to_str(bio, 0);
    if (subject == NULL) {
        goto done;
    }
    res = PyUnicode_FromFormat("<%s '%U'>", Py_TYPE(op)->tp_name, subject);
done:
    Py_XDECREF(subject);
    BIO_free(bio);
    return res;
}

static Py_hash_t
cert_hash(PyObject *op)
{
    sslmod_cert *self = (sslmod_cert *)op;
    Py_hash_t h = (Py_hash_t)X509_subject_name_hash(self->cert);
    return h == -1 ? -2 : h;
}

/* Equal when the DER encodings are (X509_cmp compares the digests, then
 * the encodings); there is no ordering. */
static PyObject *
cert_richcompare(PyObject *op, PyObject *other, int cmpop)
{
    sslmod_cert *self = (sslmod_cert *)op;
    PyObject *res = Py_NotImplemented;
    if ((cmpop == Py_EQ || cmpop == Py_NE)
        && PyObject_TypeCheck(other, self->state->certificate_type)) {
        int equal = X509_cmp(self->cert, ((sslmod_cert *)other)->cert) == 0;
        ERR_clear_error();
        res = (equal == (cmpop == Py_EQ)) ? Py_True : Py_False;
    }
    return Py_NewRef(res);
}

static PyObject *
cert_public_bytes(PyObject *op, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"format", NULL};
    sslmod_cert *self = (sslmod_cert *)op;
    PyObject *format_obj = NULL, *index = NULL, *res = NULL;
    int format = 1; /* ENCODING_PEM */

    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "|O:public_bytes", kwlist, &format_obj)) {
        goto done;
    }
    if (format_obj != NULL) {
        index = PyNumber_Index(format_obj);
        if (index == NULL || sslmod_as_int(index, &format) < 0) {
            goto done;
        }
    }
    switch (format) {
    case 1:
        res = cert_pem(self->state, self->cert);
        break;
    case 2:
        res = sslmod_cert_der(self->cert);
        break;
    default:
        PyErr_SetString(PyExc_ValueError, "Unsupported format");
        break;
    }
done:
    Py_XDECREF(index);
    return res;
}

static PyObject *
cert_get_info(PyObject *op, PyObject *Py_UNUSED(ignored))
{
    sslmod_cert *self = (sslmod_cert *)op;
    return sslmod_cert_to_dict(self->state, self->cert);
}

static PyMethodDef cert_methods[] = {
    {"public_bytes", (PyCFunction)(void (*)(void))cert_public_bytes, METH_VARARGS | METH_KEYWORDS,
     "public_bytes($self, /, format=Encoding.PEM)\n--\n\n"
     "The certificate encoded as PEM (a str) or, with ENCODING_DER, as DER bytes."},
    {"get_info", cert_get_info, METH_NOARGS,
     "get_info($self, /)\n--\n\n"
     "The certificate's fields as the dict that getpeercert() returns."},
    {NULL, NULL, 0, NULL},
};

/* One slot per line. */
/* clang-format off */
static PyType_Slot cert_slots[] = {
    {Py_tp_dealloc, cert_dealloc},         {Py_tp_repr, cert_repr},       {Py_tp_hash, cert_hash},
    {Py_tp_richcompare, cert_richcompare}, {Py_tp_methods, cert_methods}, {0, NULL},
};
/* clang-format on */

static PyType_Spec cert_spec = {
    .name = "_ssl.Certificate",
    .basicsize = sizeof(sslmod_cert),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_IMMUTABLETYPE | SSLMOD_TPFLAGS_NO_NEW,
    .slots = cert_slots,
};

int
sslmod_certificate_setup(PyObject *module, sslmod_state *st)
{
    int rc = -1;
    st->certificate_type = (PyTypeObject *)PyType_FromModuleAndSpec(module, &cert_spec, NULL);
    if (st->certificate_type == NULL) {
        goto done;
    }
    /* Certificates only come from connections. */
    sslmod_forbid_instantiation(st->certificate_type);
#if PY_VERSION_HEX < 0x030A0000
    /* The ssl module of 3.9 has no Certificate class: keep it unexported
     * there so the module's namespace matches. */
    rc = 0;
#else
    rc = PyModule_AddType(module, st->certificate_type);
#endif
done:
    return rc;
}

/* ---- _test_decode_cert ------------------------------------------- */

/* Never prompt on the terminal for a PEM pass phrase. */
static int
no_password(char *buf, int size, int rwflag, void *userdata)
{
    (void)buf;
    (void)size;
    (void)rwflag;
    (void)userdata;
    return -1;
}

/* A file BIO reading PATH, opened close-on-exec (BIO_new_file's is not).
 * NULL on failure.  No GIL needed. */
static BIO *
open_for_reading(const char *path)
{
    FILE *fp = fopen(path, "re");
    BIO *bio = NULL;

    if (fp != NULL) {
        bio = BIO_new_fp(fp, BIO_CLOSE); /* owns FP on success */
        if (bio == NULL) {
            fclose(fp);
        }
    }
    return bio;
}

PyObject *
sslmod_test_decode_cert(PyObject *module, PyObject *path)
{
    sslmod_state *st = PyModule_GetState(module);
    PyObject *path_bytes = NULL, *res = NULL;
    BIO *bio = NULL;
    X509 *cert = NULL;
    const char *cpath;

    if (!PyUnicode_FSConverter(path, &path_bytes)) {
        goto done;
    }
    cpath = PyBytes_AS_STRING(path_bytes);
    Py_BEGIN_ALLOW_THREADS
    /* Errors other code left on this thread's queue are not ours to
     * report if the decoding below fails. */
    ERR_clear_error();
    bio = open_for_reading(cpath);
    if (bio != NULL) {
        cert = PEM_read_bio_X509(bio, NULL, no_password, NULL);
    }
    Py_END_ALLOW_THREADS
    /* The ssl module raises these two with a bare message, no library. */
    if (bio == NULL) {
        ERR_clear_error();
        PyErr_SetString(st->SSLError, "Can't open file");
        goto done;
    }
    if (cert == NULL) {
        ERR_clear_error();
        PyErr_SetString(st->SSLError, "Error decoding PEM-encoded file");
        goto done;
    }
    res = sslmod_cert_to_dict(st, cert);
done:
    X509_free(cert);
    BIO_free(bio);
    Py_XDECREF(path_bytes);
    return res;
}
