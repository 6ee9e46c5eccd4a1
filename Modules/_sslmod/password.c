/* password.c: placeholder, being written. */
#include "sslmod.h"

int sslmod_cb_password(char *buf, int size, int rwflag, void *userdata)
{ (void)buf; (void)size; (void)rwflag; (void)userdata; return -1; }
int sslmod_pwinfo_init(sslmod_pwinfo *pw, PyObject *password)
{ (void)pw; (void)password; PyErr_SetString(PyExc_NotImplementedError, "x"); return -1; }
void sslmod_pwinfo_clear(sslmod_pwinfo *pw) { (void)pw; }
