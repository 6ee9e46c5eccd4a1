/* context.c: placeholder, being written. */
#include "sslmod.h"

static PyType_Slot slots[] = {
    {0, NULL},
};

static PyType_Spec spec = {
    .name = "_ssl._SSLContext",
    .basicsize = sizeof(sslmod_context),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_IMMUTABLETYPE,
    .slots = slots,
};

int
sslmod_context_setup(PyObject *module, sslmod_state *st)
{
    st->context_type = (PyTypeObject *)PyType_FromModuleAndSpec(module, &spec, NULL);
    if (st->context_type == NULL) {
        return -1;
    }
    return PyModule_AddType(module, st->context_type);
}
