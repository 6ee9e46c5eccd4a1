/* certificate.c: placeholder, being written. */
#include "sslmod.h"

static PyType_Slot slots[] = {
    {0, NULL},
};

static PyType_Spec spec = {
    .name = "_ssl.Certificate",
    .basicsize = sizeof(PyObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_IMMUTABLETYPE,
    .slots = slots,
};

int
sslmod_certificate_setup(PyObject *module, sslmod_state *st)
{
    st->certificate_type = (PyTypeObject *)PyType_FromModuleAndSpec(module, &spec, NULL);
    if (st->certificate_type == NULL) {
        return -1;
    }
    return PyModule_AddType(module, st->certificate_type);
}

PyObject *
sslmod_cert_to_dict(sslmod_state *st, X509 *cert)
{
    (void)st; (void)cert;
    PyErr_SetString(PyExc_NotImplementedError, "not written yet");
    return NULL;
}

PyObject *
sslmod_cert_new(sslmod_state *st, X509 *cert)
{
    return sslmod_cert_to_dict(st, cert);
}

PyObject *
sslmod_cert_list(sslmod_state *st, STACK_OF(X509) *chain)
{
    (void)chain;
    return sslmod_cert_to_dict(st, NULL);
}

PyObject *
sslmod_cert_der(X509 *cert)
{
    return sslmod_cert_to_dict(NULL, cert);
}

PyObject *
sslmod_test_decode_cert(PyObject *module, PyObject *path)
{
    (void)path;
    return sslmod_cert_to_dict(PyModule_GetState(module), NULL);
}
