/* membio.c: placeholder, being written. */
#include "sslmod.h"

static PyType_Slot slots[] = {
    {0, NULL},
};

static PyType_Spec spec = {
    .name = "_ssl.MemoryBIO",
    .basicsize = sizeof(sslmod_membio),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_IMMUTABLETYPE,
    .slots = slots,
};

int
sslmod_membio_setup(PyObject *module, sslmod_state *st)
{
    st->membio_type = (PyTypeObject *)PyType_FromModuleAndSpec(module, &spec, NULL);
    if (st->membio_type == NULL) {
        return -1;
    }
    return PyModule_AddType(module, st->membio_type);
}
