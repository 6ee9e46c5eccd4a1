/* session.c: placeholder, being written. */
#include "sslmod.h"

static PyType_Slot slots[] = {
    {0, NULL},
};

static PyType_Spec spec = {
    .name = "_ssl.SSLSession",
    .basicsize = sizeof(sslmod_session),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_IMMUTABLETYPE,
    .slots = slots,
};

int
sslmod_session_setup(PyObject *module, sslmod_state *st)
{
    st->session_type = (PyTypeObject *)PyType_FromModuleAndSpec(module, &spec, NULL);
    if (st->session_type == NULL) {
        return -1;
    }
    return PyModule_AddType(module, st->session_type);
}

PyObject *
sslmod_session_new(sslmod_state *st, SSL_SESSION *sess, sslmod_context *ctx)
{
    (void)st; (void)ctx;
    SSL_SESSION_free(sess);
    PyErr_SetString(PyExc_NotImplementedError, "sessions are not written yet");
    return NULL;
}
