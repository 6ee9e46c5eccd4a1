/* sockio.c: everything sslmod knows about sockets: a socket's fd and
 * timeout, and waiting on the fd with poll() until a deadline. */
#include "sslmod.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <time.h>

long long
sslmod_monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

long long
sslmod_deadline(long long timeout_ns)
{
    long long now;
    if (timeout_ns < 0) {
        return -1;
    }
    now = sslmod_monotonic_ns();
    /* A timeout of centuries must not wrap round into the past. */
    if (timeout_ns > LLONG_MAX - now) {
        return -1;
    }
    return now + timeout_ns;
}

int
sslmod_sock_params(sslmod_state *st, PyObject *sock, int *fd, long long *timeout_ns)
{
    int rc = -1;
    PyObject *fileno = NULL, *timeout = NULL;
    long n;
    double secs;

    /* Plain method calls: for socket.socket (and ssl.SSLSocket, which keeps
     * them) both are C methods, so no Python frame runs here. */
    fileno = PyObject_CallMethodNoArgs(sock, st->str_fileno);
    if (fileno == NULL) {
        goto done;
    }
    n = PyLong_AsLong(fileno);
    if (n == -1 && PyErr_Occurred()) {
        goto done;
    }
    if (n < -1 || n > INT_MAX) {
        PyErr_SetString(PyExc_ValueError, "the socket's fileno() is out of range");
        goto done;
    }
    timeout = PyObject_CallMethodNoArgs(sock, st->str_gettimeout);
    if (timeout == NULL) {
        goto done;
    }
    if (timeout == Py_None) {
        *timeout_ns = -1;
    }
    else {
        secs = PyFloat_AsDouble(timeout);
        if (secs == -1.0 && PyErr_Occurred()) {
            goto done;
        }
        if (secs < 0 || isnan(secs)) {
            *timeout_ns = -1;
        }
        else if (secs >= 9.0e9) {
            *timeout_ns = LLONG_MAX;    /* ~285 years: as good as forever */
        }
        else {
            *timeout_ns = (long long)(secs * 1e9);
            if (*timeout_ns == 0 && secs > 0) {
                *timeout_ns = 1;    /* a tiny timeout is still not non-blocking */
            }
        }
    }
    *fd = (int)n;
    rc = 0;
done:
    Py_XDECREF(fileno);
    Py_XDECREF(timeout);
    return rc;
}

sslmod_sock_status
sslmod_sock_wait(int fd, int writing, long long deadline_ns)
{
    struct pollfd pfd;
    int ms = -1, rc;

    if (fd < 0) {
        return SSLMOD_SOCK_CLOSED;
    }
    if (deadline_ns >= 0) {
        long long left = deadline_ns - sslmod_monotonic_ns();
        if (left <= 0) {
            ms = 0;     /* still look once: the fd may be ready right now */
        }
        else {
            long long lms = (left + 999999) / 1000000;   /* round up */
            ms = lms > INT_MAX ? INT_MAX : (int)lms;
        }
    }
    pfd.fd = fd;
    pfd.events = writing ? POLLOUT : POLLIN;
    pfd.revents = 0;
    rc = poll(&pfd, 1, ms);
    if (rc > 0) {
        /* POLLHUP/POLLERR count as ready: the next TLS call reports them. */
        return SSLMOD_SOCK_READY;
    }
    if (rc == 0) {
        return SSLMOD_SOCK_TIMEOUT;
    }
    if (errno == EINTR) {
        /* A signal: let the caller run the handlers, then try again. */
        return SSLMOD_SOCK_READY;
    }
    return SSLMOD_SOCK_ERROR;
}
