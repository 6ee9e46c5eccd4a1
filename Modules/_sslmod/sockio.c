/* sockio.c: everything sslmod knows about sockets: a socket's fd and
 * timeout, a BIO that reads and writes the fd without ever blocking, and
 * waiting on the fd with poll() until a deadline. */
#include "sslmod.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

/* ---- the non-blocking socket BIO ------------------------------------
 * OpenSSL's socket BIO blocks in recv()/send() when the fd is in blocking
 * mode, which is what a Python socket with timeout None has.  A thread
 * blocked there would hold the connection's lock, so the BIO used here asks
 * for MSG_DONTWAIT on every call instead, leaving the fd's own flags (which
 * the Python socket owns) alone; sslmod then waits with poll(), outside the
 * lock.  Otherwise it behaves as OpenSSL's socket BIO: the same errors are
 * retryable, a read of 0 marks end of file, it never closes the fd.
 *
 * Kernel TLS: with OP_ENABLE_KTLS the write BIO also carries OpenSSL's
 * own socket BIO on the same fd (KTLS below) and hands it every control
 * it does not know itself, so that OpenSSL can give the kernel the send
 * keys (setsockopt TCP_ULP "tls") and SSL_sendfile can ask whether it
 * did.  Once the kernel has them, writes go through that BIO, which
 * knows how to send records other than application data; until then
 * (and on kernels without the tls ULP) this BIO writes as always. */

typedef struct {
    int fd;
    BIO *ktls; /* owned: BIO_s_socket() on FD, or NULL */
} sbio_state;

static sbio_state *
sbio_st(BIO *b)
{
    return (sbio_state *)BIO_get_data(b);
}

static int
sbio_fd(BIO *b)
{
    return sbio_st(b)->fd;
}

/* The errno values after which OpenSSL's socket BIO asks to retry. */
static int
sbio_retryable(int err)
{
    switch (err) {
    case EAGAIN:
#if EWOULDBLOCK != EAGAIN
    case EWOULDBLOCK:
#endif
    case EINTR:
    case ENOTCONN:
    case EPROTO:
    case EINPROGRESS:
    case EALREADY:
        return 1;
    default:
        return 0;
    }
}

static int
sbio_read(BIO *b, char *buf, int len)
{
    ssize_t n;

    BIO_clear_retry_flags(b);
    if (buf == NULL || len <= 0) {
        return 0;
    }
    n = recv(sbio_fd(b), buf, (size_t)len, MSG_DONTWAIT);
    if (n == 0) {
        BIO_set_flags(b, BIO_FLAGS_IN_EOF); /* read as EOF by the TLS layer */
    }
    else if (n < 0 && sbio_retryable(errno)) {
        BIO_set_retry_read(b);
    }
    return (int)n;
}

static int
sbio_write(BIO *b, const char *buf, int len)
{
    BIO *ktls = sbio_st(b)->ktls;
    ssize_t n;

    BIO_clear_retry_flags(b);
    if (ktls != NULL && BIO_get_ktls_send(ktls)) {
        n = BIO_write(ktls, buf, len);
        if (n <= 0 && BIO_should_retry(ktls)) {
            BIO_set_retry_write(b);
        }
        return (int)n;
    }
    n = send(sbio_fd(b), buf, (size_t)len, MSG_DONTWAIT);
    if (n <= 0 && sbio_retryable(errno)) {
        BIO_set_retry_write(b);
    }
    return (int)n;
}

static long
sbio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
    (void)num;
    switch (cmd) {
    case BIO_C_SET_FD:
        sbio_st(b)->fd = *(int *)ptr;
        if (sbio_st(b)->ktls != NULL) {
            BIO_set_fd(sbio_st(b)->ktls, *(int *)ptr, BIO_NOCLOSE);
        }
        BIO_clear_flags(b, BIO_FLAGS_IN_EOF);
        BIO_set_init(b, 1);
        return 1;
    case BIO_C_GET_FD:
        if (!BIO_get_init(b)) {
            return -1;
        }
        if (ptr != NULL) {
            *(int *)ptr = sbio_fd(b);
        }
        return sbio_fd(b);
    case BIO_CTRL_EOF:
        return BIO_test_flags(b, BIO_FLAGS_IN_EOF) != 0;
    case BIO_CTRL_FLUSH:
    case BIO_CTRL_DUP:
        return 1;
    default:
        /* The kTLS controls (and only they reach here in practice). */
        return sbio_st(b)->ktls != NULL ? BIO_ctrl(sbio_st(b)->ktls, cmd, num, ptr) : 0;
    }
}

static int
sbio_create(BIO *b)
{
    sbio_state *st = OPENSSL_zalloc(sizeof(*st));
    if (st == NULL) {
        return 0;
    }
    st->fd = -1;
    BIO_set_data(b, st);
    BIO_set_init(b, 0);
    return 1;
}

static int
sbio_destroy(BIO *b)
{
    sbio_state *st = sbio_st(b);
    /* The fd is the Python socket's: never closed here. */
    if (st != NULL) {
        BIO_free(st->ktls);
        OPENSSL_free(st);
        BIO_set_data(b, NULL);
    }
    return 1;
}

/* The method table is immutable once built and shared by every module
 * instance, like OpenSSL's own BIO_s_socket(); it is never freed. */
static BIO_METHOD *sbio_method;
static pthread_once_t sbio_once = PTHREAD_ONCE_INIT;

static void
sbio_method_init(void)
{
    BIO_METHOD *m;
    int type = BIO_get_new_index();

    if (type < 0) {
        return;
    }
    m = BIO_meth_new(type | BIO_TYPE_SOURCE_SINK | BIO_TYPE_DESCRIPTOR,
                     "sslmod non-blocking socket");
    if (m == NULL || !BIO_meth_set_read(m, sbio_read) || !BIO_meth_set_write(m, sbio_write)
        || !BIO_meth_set_ctrl(m, sbio_ctrl) || !BIO_meth_set_create(m, sbio_create)
        || !BIO_meth_set_destroy(m, sbio_destroy)) {
        BIO_meth_free(m);
        return;
    }
    sbio_method = m;
}

BIO *
sslmod_sock_bio_new(int fd, int ktls)
{
    BIO *b;

    if (pthread_once(&sbio_once, sbio_method_init) != 0 || sbio_method == NULL) {
        return NULL;
    }
    b = BIO_new(sbio_method);
    if (b == NULL) {
        return NULL;
    }
    if (ktls) {
        sbio_st(b)->ktls = BIO_new_socket(fd, BIO_NOCLOSE);
        if (sbio_st(b)->ktls == NULL) {
            BIO_free(b);
            return NULL;
        }
    }
    BIO_set_fd(b, fd, BIO_NOCLOSE);
    return b;
}

/* ---- time and waiting ------------------------------------------------ */

long long
sslmod_monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

long long
sslmod_deadline(long long start_ns, long long timeout_ns)
{
    if (timeout_ns < 0) {
        return -1;
    }
    /* A timeout of centuries must not wrap round into the past. */
    if (timeout_ns > LLONG_MAX - start_ns) {
        return -1;
    }
    return start_ns + timeout_ns;
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
            *timeout_ns = LLONG_MAX; /* ~285 years: as good as forever */
        }
        else {
            *timeout_ns = (long long)(secs * 1e9);
            if (*timeout_ns == 0 && secs > 0) {
                *timeout_ns = 1; /* a tiny timeout is still not non-blocking */
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
            return SSLMOD_SOCK_TIMEOUT; /* a deadline ends the wait, ready or not */
        }
        else {
            long long lms = (left + 999999) / 1000000; /* round up */
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

int
sslmod_sock_queued(int fd)
{
    int n = 0;

    if (fd < 0 || ioctl(fd, FIONREAD, &n) < 0) {
        return 0;
    }
    return n;
}
