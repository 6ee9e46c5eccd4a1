/* connection.c: placeholder, being written. */
#include "sslmod.h"

static PyType_Slot slots[] = {
    {0, NULL},
};

static PyType_Spec spec = {
    .name = "_ssl._SSLSocket",
    .basicsize = sizeof(sslmod_conn),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_IMMUTABLETYPE,
    .slots = slots,
};

int
sslmod_conn_setup(PyObject *module, sslmod_state *st)
{
    st->conn_type = (PyTypeObject *)PyType_FromModuleAndSpec(module, &spec, NULL);
    if (st->conn_type == NULL) {
        return -1;
    }
    return PyModule_AddType(module, st->conn_type);
}

PyObject *
sslmod_conn_create(sslmod_context *ctx, PyObject *sock, sslmod_membio *inbio,
                   sslmod_membio *outbio, int server_side, PyObject *hostname,
                   PyObject *owner, PyObject *session)
{
    (void)ctx; (void)sock; (void)inbio; (void)outbio; (void)server_side;
    (void)hostname; (void)owner; (void)session;
    PyErr_SetString(PyExc_NotImplementedError, "connections are not written yet");
    return NULL;
}
