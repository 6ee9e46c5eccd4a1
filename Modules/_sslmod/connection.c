/* connection.c: the TLS connection type _SSLSocket (an SSL*): handshake,
 * read, write and shutdown over a socket or a pair of MemoryBIOs, and what
 * can be learnt about the peer and the session afterwards. */
#include "sslmod.h"

#include <errno.h>
#include <string.h>
#include <openssl/comp.h>

#define STR_(x) #x
#define STR(x) STR_(x)

/* The messages of socket.timeout, as the stdlib words them.  The handshake
 * one carries a file:line prefix there too. */
#define TIMEOUT_HANDSHAKE "connection.c:" STR(__LINE__) ": The handshake operation timed out"
#define TIMEOUT_READ "The read operation timed out"
#define TIMEOUT_WRITE "The write operation timed out"

/* ---- small helpers ------------------------------------------------- */

/* A callback may leave an exception on SELF while OpenSSL runs.  When the
 * operation succeeds, that exception is raised (take_pending_exc); when it
 * fails, the operation's own error is raised with the callback's as its
 * __context__ (chain_pending_exc), as the stdlib does. */
static int
take_pending_exc(sslmod_conn *self)
{
    PyObject *exc = self->pending_exc;
    if (exc == NULL) {
        return 0;
    }
    self->pending_exc = NULL;
    ERR_clear_error();
    sslmod_exc_restore(exc); /* steals */
    return 1;
}

static void
chain_pending_exc(sslmod_conn *self)
{
    PyObject *exc, *pending = self->pending_exc;
    if (pending == NULL) {
        return;
    }
    self->pending_exc = NULL;
    exc = sslmod_exc_fetch();
    if (exc == NULL) {
        sslmod_exc_restore(pending);
        return;
    }
    PyException_SetContext(exc, pending); /* steals PENDING */
    sslmod_exc_restore(exc);
}

/* ---- the connection lock ------------------------------------------- */

/* Take SELF's lock.  Call WITHOUT the GIL: a thread holding the lock may
 * need the GIL for a callback.  Returns 1 when taken, 0 when this thread
 * holds it already (a callback that calls back into SELF). */
static int
lock_nogil(sslmod_conn *self)
{
    unsigned long me = PyThread_get_thread_ident();

    if (__atomic_load_n(&self->lock_owner, __ATOMIC_RELAXED) == me) {
        return 0;
    }
    pthread_mutex_lock(&self->lock);
    __atomic_store_n(&self->lock_owner, me, __ATOMIC_RELAXED);
    return 1;
}

/* The same with the GIL held: try first; if another thread has the lock,
 * wait for it with the GIL released. */
static int
lock_gil(sslmod_conn *self)
{
    unsigned long me = PyThread_get_thread_ident();

    if (__atomic_load_n(&self->lock_owner, __ATOMIC_RELAXED) == me) {
        return 0;
    }
    if (pthread_mutex_trylock(&self->lock) != 0) {
        Py_BEGIN_ALLOW_THREADS
        pthread_mutex_lock(&self->lock);
        Py_END_ALLOW_THREADS
    }
    __atomic_store_n(&self->lock_owner, me, __ATOMIC_RELAXED);
    return 1;
}

/* Release what lock_nogil/lock_gil returned TAKEN for; GIL or not. */
static void
unlock(sslmod_conn *self, int taken)
{
    if (taken) {
        __atomic_store_n(&self->lock_owner, 0UL, __ATOMIC_RELAXED);
        pthread_mutex_unlock(&self->lock);
    }
}

/* The same three for the files that add connection methods of their own
 * (keymaterial.c, groups.c, ocsp.c). */
int
sslmod_conn_lock_nogil(sslmod_conn *self)
{
    return lock_nogil(self);
}

int
sslmod_conn_lock_gil(sslmod_conn *self)
{
    return lock_gil(self);
}

void
sslmod_conn_unlock(sslmod_conn *self, int taken)
{
    unlock(self, taken);
}

int
sslmod_conn_trylock(sslmod_conn *self)
{
    unsigned long me = PyThread_get_thread_ident();

    if (__atomic_load_n(&self->lock_owner, __ATOMIC_RELAXED) == me) {
        return 0;
    }
    if (pthread_mutex_trylock(&self->lock) != 0) {
        return -1;
    }
    __atomic_store_n(&self->lock_owner, me, __ATOMIC_RELAXED);
    return 1;
}

/* ---- waiting on the socket ----------------------------------------- */

/* A long wait wakes up this often to see whether another thread closed
 * the socket (closing an fd does not wake a poll() on it). */
#define WAIT_SLICE_NS (100LL * 1000000LL)

/* What one socket-mode operation needs to know about its socket. */
typedef struct {
    PyObject *sock; /* strong ref, or NULL in BIO mode */
    int fd;
    long long timeout_ns;  /* -1 blocking, 0 non-blocking */
    long long start_ns;    /* when the operation began */
    long long deadline_ns; /* -1: none */
} conn_io;

#define CONN_IO_INIT {NULL, -1, -1, 0, -1}

static void
io_release(conn_io *io)
{
    Py_CLEAR(io->sock);
}

/* Point the socket BIO at FD: -1 once the socket is closed, so that
 * OpenSSL never touches a descriptor that has been reused. */
static void
io_set_bio_fd(sslmod_conn *self, int fd)
{
    BIO *bio = SSL_get_rbio(self->ssl), *wbio = SSL_get_wbio(self->ssl);
    int cur = -1;

    if (bio != NULL) {
        BIO_get_fd(bio, &cur);
        if (cur != fd) {
            BIO_set_fd(bio, fd, BIO_NOCLOSE);
            if (wbio != NULL && wbio != bio) {
                BIO_set_fd(wbio, fd, BIO_NOCLOSE); /* the kTLS write BIO */
            }
        }
    }
}

/* Fill IO for one operation on SELF and bring the socket BIO up to date
 * with the socket.  0, or -1 with an exception set. */
static int
io_prepare(sslmod_conn *self, conn_io *io)
{
    int rc = -1;

    if (self->sock == NULL) {
        rc = 0; /* BIO mode */
        goto done;
    }
    io->sock = sslmod_weakref_get(self->sock);
    if (io->sock == NULL) {
        SSLMOD_RAISE_MSG(self->state, self->state->SSLError, 0,
                         "Underlying socket connection gone");
        goto done;
    }
    if (sslmod_sock_params(self->state, io->sock, &io->fd, &io->timeout_ns) < 0) {
        goto done;
    }
    io_set_bio_fd(self, io->fd);
    io->start_ns = sslmod_monotonic_ns();
    io->deadline_ns = sslmod_deadline(io->start_ns, io->timeout_ns);
    rc = 0;
done:
    if (rc < 0) {
        io_release(io);
    }
    return rc;
}

/* Look at the socket again after a wait: another thread may have closed
 * it (or given it another fd) or changed its timeout.  A socket that is
 * gone leaves the BIO on fd -1, so the retried call fails as a call on a
 * closed socket does.  0, or -1 with an exception set. */
static int
io_recheck(sslmod_conn *self, conn_io *io)
{
    int fd;
    long long timeout_ns;

    if (sslmod_sock_params(self->state, io->sock, &fd, &timeout_ns) < 0) {
        return -1;
    }
    if (fd != io->fd) {
        io->fd = -1;
        io_set_bio_fd(self, -1);
    }
    if (timeout_ns != io->timeout_ns) {
        io->timeout_ns = timeout_ns;
        io->deadline_ns = sslmod_deadline(io->start_ns, timeout_ns);
    }
    return 0;
}

/* After an OpenSSL call failed with SSL_ERROR, wait for the socket without
 * the GIL and without SELF's lock.  Returns 1 to retry, 0 when the caller
 * must raise the OpenSSL error (BIO mode, non-blocking sockets, real
 * errors), -1 with an exception set (timeout, signal handler, poll()). */
static int
io_wait(sslmod_conn *self, conn_io *io, int ssl_error, const char *timeout_msg)
{
    sslmod_sock_status status;
    long long until;
    int writing;

    if (ssl_error == SSL_ERROR_WANT_READ) {
        writing = 0;
    }
    else if (ssl_error == SSL_ERROR_WANT_WRITE) {
        writing = 1;
    }
    else {
        return 0;
    }
    for (;;) {
        if (io->sock == NULL || io->timeout_ns == 0) {
            return 0;
        }
        if (io->fd < 0) {
            return 0; /* closed, and the call was tried on fd -1 already */
        }
        /* Ctrl-C during a long blocking read lands here. */
        if (PyErr_CheckSignals() < 0) {
            return -1;
        }
        until = sslmod_monotonic_ns() + WAIT_SLICE_NS;
        if (io->deadline_ns >= 0 && io->deadline_ns < until) {
            until = io->deadline_ns;
        }
        Py_BEGIN_ALLOW_THREADS
        status = sslmod_sock_wait(io->fd, writing, until);
        Py_END_ALLOW_THREADS
        if (status == SSLMOD_SOCK_ERROR) {
            PyErr_SetFromErrno(PyExc_OSError);
            return -1;
        }
        if (io_recheck(self, io) < 0) {
            return -1;
        }
        if (io->fd < 0) {
            return 1; /* closed meanwhile: the retry fails as on a closed socket */
        }
        if (status == SSLMOD_SOCK_READY) {
            return PyErr_CheckSignals() < 0 ? -1 : 1;
        }
        if (io->deadline_ns >= 0 && sslmod_monotonic_ns() >= io->deadline_ns) {
            PyErr_SetString(self->state->socket_timeout, timeout_msg);
            return -1;
        }
        /* The slice ended: look at the socket again and go on waiting. */
    }
}

/* The common tail of handshake, read, write and shutdown after their
 * OpenSSL call failed as INFO says: wait and return 1 to try again, or
 * raise (the OpenSSL error, a timeout ...) with any exception a callback
 * left chained to it, and return -1. */
static int
io_retry(sslmod_conn *self, conn_io *io, const sslmod_errinfo *info, const char *read_timeout_msg,
         const char *write_timeout_msg)
{
    int again =
        io_wait(self, io, info->ssl_error,
                info->ssl_error == SSL_ERROR_WANT_WRITE ? write_timeout_msg : read_timeout_msg);
    if (again > 0) {
        return 1;
    }
    if (again == 0) {
        SSLMOD_RAISE(self->state, info, self);
    }
    chain_pending_exc(self);
    return -1;
}

/* The "return value" of an SSL_*_ex call for sslmod_err_capture, which
 * decides between OSError (-1 with errno) and SSLEOFError (0) for a
 * transport failure.  3.10 to 3.12 report every failed read or write of
 * the transport (ECONNRESET too) as SSLEOFError; 3.9 and 3.13 raise the
 * OSError, as the classic int-returning calls would have said. */
static int
ex_ret(int ok)
{
    if (ok) {
        return 1;
    }
#if PY_VERSION_HEX >= 0x030A0000 && PY_VERSION_HEX < 0x030D0000
    return 0;
#else
    return errno != 0 ? -1 : 0;
#endif
}

static PyObject *
cipher_tuple(const SSL_CIPHER *cipher)
{
    return Py_BuildValue("(zzi)", SSL_CIPHER_get_name(cipher), SSL_CIPHER_get_version(cipher),
                         SSL_CIPHER_get_bits(cipher, NULL));
}

/* Whether STACK holds CIPHER.  A linear scan: sk_find would sort (and so
 * reorder) a stack that has a comparison function. */
static int
cipher_in(STACK_OF(SSL_CIPHER) *stack, const SSL_CIPHER *cipher)
{
    uint32_t id = SSL_CIPHER_get_id(cipher);
    for (int i = 0; i < sk_SSL_CIPHER_num(stack); i++) {
        if (SSL_CIPHER_get_id(sk_SSL_CIPHER_value(stack, i)) == id) {
            return 1;
        }
    }
    return 0;
}

/* After a handshake or read that left nothing buffered, give the SSL's read and write
 * buffers back (~16 KiB per idle connection; SSL_MODE_RELEASE_BUFFERS
 * leaves the read buffer allocated after TLS 1.3's post-handshake
 * records).  Called with SELF's lock held, without the GIL. */
static void
release_buffers(sslmod_conn *self)
{
    if (!SSL_has_pending(self->ssl)) {
        SSL_free_buffers(self->ssl); /* 0 (kept) if a record is half-done */
    }
}

/* ---- session ------------------------------------------------------- */

/* Make SESSION the session SELF resumes.  0, or -1 with an exception. */
static int
set_session(sslmod_conn *self, PyObject *value)
{
    int rc = -1;
    sslmod_session *sess;
    SSL_SESSION *copy = NULL;
    unsigned char *der = NULL;
    const unsigned char *p;
    int der_len;

    if (value == NULL) {
        PyErr_SetString(PyExc_AttributeError, "cannot delete attribute");
        goto done;
    }
    if (!PyObject_TypeCheck(value, self->state->session_type)) {
        PyErr_SetString(PyExc_TypeError, "Value is not a SSLSession.");
        goto done;
    }
    sess = (sslmod_session *)value;
    if (sess->ctx == NULL || self->ctx == NULL || sess->ctx->ctx != self->ctx->ctx) {
        PyErr_SetString(PyExc_ValueError, "Session refers to a different SSLContext.");
        goto done;
    }
    if (self->server_side) {
        PyErr_SetString(PyExc_ValueError, "Cannot set session for server-side SSLSocket.");
        goto done;
    }
    if (SSL_is_init_finished(self->ssl)) {
        PyErr_SetString(PyExc_ValueError, "Cannot set session after handshake.");
        goto done;
    }
    /* A session OpenSSL still calls resumable is used as it is. */
    if (SSL_SESSION_is_resumable(sess->session)) {
        if (SSL_set_session(self->ssl, sess->session) != 1) {
            SSLMOD_RAISE_QUEUE(self->state, "SSL_set_session failed");
            goto done;
        }
        rc = 0;
        goto done;
    }
    /* Otherwise resume from a copy: OpenSSL marks a session unresumable
     * once a connection that used it is freed without a shutdown (which
     * is how ssl.py closes sockets), and a serialised copy starts out
     * clean. */
    der_len = i2d_SSL_SESSION(sess->session, &der);
    if (der_len <= 0) {
        SSLMOD_RAISE_QUEUE(self->state, "cannot copy the session");
        goto done;
    }
    p = der;
    copy = d2i_SSL_SESSION(NULL, &p, der_len);
    if (copy == NULL) {
        SSLMOD_RAISE_QUEUE(self->state, "cannot copy the session");
        goto done;
    }
    if (SSL_set_session(self->ssl, copy) != 1) {
        SSLMOD_RAISE_QUEUE(self->state, "SSL_set_session failed");
        goto done;
    }
    rc = 0;
done:
    SSL_SESSION_free(copy); /* the SSL holds its own reference */
    OPENSSL_free(der);
    return rc;
}

/* ---- construction -------------------------------------------------- */

/* Client side: SNI, and hostname (or IP address) verification done by
 * OpenSSL's verify parameters.  0, or -1 with an exception set. */
static int
setup_hostname(sslmod_conn *self, PyObject *hostname)
{
    int rc = -1;
    PyObject *ascii = NULL;
    const char *name;
    Py_ssize_t len;
    ASN1_OCTET_STRING *ip = NULL;
    X509_VERIFY_PARAM *param;

    if (PyUnicode_Check(hostname)) {
        ascii = PyUnicode_AsASCIIString(hostname);
        if (ascii == NULL) {
            goto done;
        }
    }
    else if (PyBytes_Check(hostname)) {
        ascii = Py_NewRef(hostname);
    }
    else {
        PyErr_Format(PyExc_TypeError, "argument must be str, not %.100s",
                     Py_TYPE(hostname)->tp_name);
        goto done;
    }
    name = PyBytes_AS_STRING(ascii);
    len = PyBytes_GET_SIZE(ascii);
    if ((Py_ssize_t)strlen(name) != len) {
        PyErr_SetString(PyExc_TypeError,
                        "argument must be encoded string without null bytes, not str");
        goto done;
    }
    if (len == 0 || name[0] == '.') {
        PyErr_SetString(PyExc_ValueError,
                        "server_hostname cannot be an empty string or start with a "
                        "leading dot.");
        goto done;
    }
    self->server_hostname = PyUnicode_DecodeASCII(name, len, "strict");
    if (self->server_hostname == NULL) {
        goto done;
    }
    ip = a2i_IPADDRESS(name); /* NULL: not an IP literal */
    ERR_clear_error();
    /* RFC 6066: SNI carries host names only, never addresses. */
    if (ip == NULL && SSL_set_tlsext_host_name(self->ssl, name) != 1) {
        SSLMOD_RAISE_QUEUE(self->state, "cannot set the server name");
        goto done;
    }
    if (self->ctx->check_hostname) {
        param = SSL_get0_param(self->ssl);
        if (ip != NULL) {
            if (X509_VERIFY_PARAM_set1_ip(param, ASN1_STRING_get0_data(ip),
                                          (size_t)ASN1_STRING_length(ip))
                != 1) {
                SSLMOD_RAISE_QUEUE(self->state, "cannot set the IP address to verify");
                goto done;
            }
        }
        else {
            X509_VERIFY_PARAM_set_hostflags(param, self->ctx->hostflags);
            if (X509_VERIFY_PARAM_set1_host(param, name, (size_t)len) != 1) {
                SSLMOD_RAISE_QUEUE(self->state, "cannot set the host name to verify");
                goto done;
            }
        }
    }
    rc = 0;
done:
    ASN1_OCTET_STRING_free(ip);
    Py_XDECREF(ascii);
    return rc;
}

/* Server side: ask for a certificate after the handshake only if one may
 * be asked for during it.  Client side: offer post-handshake auth. */
static void
setup_post_handshake_auth(sslmod_conn *self)
{
    if (!self->ctx->post_handshake_auth) {
        return;
    }
    if (self->server_side) {
        int mode = SSL_get_verify_mode(self->ssl);
        if (mode & SSL_VERIFY_PEER) {
            SSL_set_verify(self->ssl, mode | SSL_VERIFY_POST_HANDSHAKE,
                           SSL_get_verify_callback(self->ssl));
        }
    }
    else {
        SSL_set_post_handshake_auth(self->ssl, 1);
    }
}

/* Socket mode: a non-blocking BIO on SOCK's fd, and a weak reference to
 * SOCK.  0, or -1 with an exception set. */
static int
setup_socket(sslmod_conn *self, PyObject *sock)
{
    int fd = -1;
    long long timeout_ns = -1;
    BIO *bio, *wbio;

    if (sslmod_sock_params(self->state, sock, &fd, &timeout_ns) < 0) {
        return -1;
    }
    bio = sslmod_sock_bio_new(fd, 0);
    if (bio == NULL) {
        SSLMOD_RAISE_QUEUE(self->state, "cannot make a socket BIO");
        return -1;
    }
    if (SSL_get_options(self->ssl) & SSL_OP_ENABLE_KTLS) {
        /* Kernel TLS for sending only: a write BIO of its own, so that
         * receiving stays in user space on our never-blocking reads. */
        wbio = sslmod_sock_bio_new(fd, 1);
        if (wbio == NULL) {
            BIO_free(bio);
            SSLMOD_RAISE_QUEUE(self->state, "cannot make a socket BIO");
            return -1;
        }
    }
    else {
        wbio = bio;
    }
    SSL_set_bio(self->ssl, bio, wbio); /* the BIOs belong to the SSL now */
    self->sock = PyWeakref_NewRef(sock, NULL);
    return self->sock != NULL ? 0 : -1;
}

/* BIO mode: SSL_set_bio takes over one reference to each BIO; the
 * MemoryBIO objects keep their own, and SELF keeps the objects. */
static void
setup_membios(sslmod_conn *self, sslmod_membio *inbio, sslmod_membio *outbio)
{
    BIO_up_ref(inbio->bio);
    BIO_up_ref(outbio->bio);
    SSL_set_bio(self->ssl, inbio->bio, outbio->bio);
    self->inbio = (sslmod_membio *)Py_NewRef((PyObject *)inbio);
    self->outbio = (sslmod_membio *)Py_NewRef((PyObject *)outbio);
}

/* The end of the connection this is: SNI and hostname checks for a
 * client.  0, or -1 with an exception set. */
static int
setup_role(sslmod_conn *self, PyObject *hostname)
{
    if (hostname != NULL && hostname != Py_None) {
        if (self->server_side) {
            self->server_hostname = Py_NewRef(hostname);
        }
        else if (setup_hostname(self, hostname) < 0) {
            return -1;
        }
    }
    if (self->server_side) {
        SSL_set_accept_state(self->ssl);
    }
    else {
        /* The context's session id context is for the server's cache; a
         * client keeping it makes OpenSSL refuse the session a TLS 1.3 PSK
         * callback builds ("reuse session in different context"). */
        SSL_set_session_id_context(self->ssl, (const unsigned char *)"", 0);
        SSL_set_connect_state(self->ssl);
    }
    return 0;
}

PyObject *
sslmod_conn_create(sslmod_context *ctx, PyObject *sock, sslmod_membio *inbio, sslmod_membio *outbio,
                   int server_side, PyObject *hostname, PyObject *owner, PyObject *session)
{
    sslmod_state *st = ctx->state;
    PyTypeObject *type = st->conn_type;
    sslmod_conn *self = NULL;

    self = (sslmod_conn *)type->tp_alloc(type, 0);
    if (self == NULL) {
        goto error;
    }
    self->state = st;
    self->server_side = server_side ? 1 : 0;
    self->ctx = (sslmod_context *)Py_NewRef((PyObject *)ctx);
    /* The context's release_buffers, as SSL_new will copy it. */
    self->release_buffers = (SSL_CTX_get_mode(ctx->ctx) & SSL_MODE_RELEASE_BUFFERS) != 0;
    if (pthread_mutex_init(&self->lock, NULL) != 0) {
        PyErr_NoMemory();
        goto error;
    }
    self->lock_ready = 1;
    self->ssl = sslmod_context_new_ssl(ctx);
    if (self->ssl == NULL) {
        SSLMOD_RAISE_QUEUE(st, "SSL_new failed");
        goto error;
    }
    sslmod_context_track(ctx, self);
    SSL_set_app_data(self->ssl, self); /* borrowed: callbacks find us */
    /* A non-blocking write may be retried from another buffer object with
     * the same bytes; renegotiation must not surface as WANT_READ. */
    SSL_set_mode(self->ssl, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_AUTO_RETRY);
    setup_post_handshake_auth(self);
    if (sock != NULL) {
        if (setup_socket(self, sock) < 0) {
            goto error;
        }
    }
    else {
        setup_membios(self, inbio, outbio);
    }
    if (setup_role(self, hostname) < 0) {
        goto error;
    }
    if (owner != NULL && owner != Py_None) {
        self->owner = PyWeakref_NewRef(owner, NULL);
        if (self->owner == NULL) {
            goto error;
        }
    }
    if (session != NULL && session != Py_None && set_session(self, session) < 0) {
        goto error;
    }
    return (PyObject *)self;

error:
    Py_XDECREF(self);
    return NULL;
}

/* ---- the type's life ----------------------------------------------- */

static int
conn_traverse(PyObject *op, visitproc visit, void *arg)
{
    sslmod_conn *self = (sslmod_conn *)op;
    Py_VISIT(Py_TYPE(op));
    Py_VISIT(self->ctx);
    Py_VISIT(self->sock);
    Py_VISIT(self->owner);
    Py_VISIT(self->server_hostname);
    Py_VISIT(self->inbio);
    Py_VISIT(self->outbio);
    Py_VISIT(self->pending_exc);
    return 0;
}

static int
conn_clear(PyObject *op)
{
    sslmod_conn *self = (sslmod_conn *)op;
    Py_CLEAR(self->ctx);
    Py_CLEAR(self->sock);
    Py_CLEAR(self->owner);
    Py_CLEAR(self->server_hostname);
    Py_CLEAR(self->inbio);
    Py_CLEAR(self->outbio);
    Py_CLEAR(self->pending_exc);
    Py_CLEAR(self->peer_der);
    Py_CLEAR(self->peer_dict);
    Py_CLEAR(self->cipher_tuple);
    Py_CLEAR(self->version_str);
    return 0;
}

static void
conn_dealloc(PyObject *op)
{
    sslmod_conn *self = (sslmod_conn *)op;
    PyTypeObject *tp = Py_TYPE(op);

    PyObject_GC_UnTrack(op);
    sslmod_context_untrack(self);
    if (self->ssl != NULL) {
        /* No callback may find a half-freed object through the SSL. */
        SSL_set_app_data(self->ssl, NULL);
        SSL_free(self->ssl); /* frees the BIOs it owns too */
        self->ssl = NULL;
    }
    if (self->lock_ready) {
        pthread_mutex_destroy(&self->lock); /* no method runs: nobody holds it */
        self->lock_ready = 0;
    }
    X509_free(self->peer_cert);
    self->peer_cert = NULL;
    conn_clear(op);
    tp->tp_free(op);
    Py_DECREF(tp);
}

/* ---- handshake, read, write, shutdown ------------------------------ */

/* Each runs its OpenSSL call without the GIL, under SELF's lock, and
 * captures the error state before the lock is let go; waits happen in
 * io_retry, outside both.  An exception a callback left on SELF is
 * raised (success) or chained (failure) before the method returns, so
 * none outlives the call. */

PyObject *
sslmod_conn_do_handshake(PyObject *op, PyObject *Py_UNUSED(ignored))
{
    sslmod_conn *self = (sslmod_conn *)op;
    PyObject *res = NULL;
    conn_io io = CONN_IO_INIT;
    sslmod_errinfo info;
    int ret, taken;

    if (io_prepare(self, &io) < 0) {
        goto done;
    }
    for (;;) {
        Py_BEGIN_ALLOW_THREADS
        taken = lock_nogil(self);
        ret = SSL_do_handshake(self->ssl);
        sslmod_err_capture(&info, self->ssl, ret);
        if (ret == 1 && self->release_buffers) {
            release_buffers(self);
        }
        unlock(self, taken);
        Py_END_ALLOW_THREADS
        if (ret == 1) {
            break;
        }
        if (io_retry(self, &io, &info, TIMEOUT_HANDSHAKE, TIMEOUT_HANDSHAKE) < 0) {
            goto done;
        }
    }
    if (take_pending_exc(self)) {
        goto done;
    }
    self->handshake_done = 1;
    res = Py_NewRef(Py_None);
done:
    io_release(&io);
    return res;
}

/* read()'s SIZE argument, as each interpreter's _ssl converts it. */
static int
read_size(PyObject *arg, Py_ssize_t *len)
{
#ifdef SSLMOD_READ_SIZE_IS_INT
    long v;
    if (PyFloat_Check(arg)) {
        PyErr_SetString(PyExc_TypeError, "integer argument expected, got float");
        return -1;
    }
    v = PyLong_AsLong(arg);
    if (v == -1 && PyErr_Occurred()) {
        return -1;
    }
    if (v > INT_MAX || v < INT_MIN) {
        PyErr_SetString(PyExc_OverflowError, v > INT_MAX ? "signed integer is greater than maximum"
                                                         : "signed integer is less than minimum");
        return -1;
    }
    *len = (Py_ssize_t)v;
    return 0;
#else
    PyObject *index = PyNumber_Index(arg);
    if (index == NULL) {
        return -1;
    }
    *len = PyLong_AsSsize_t(index);
    Py_DECREF(index);
    return *len == -1 && PyErr_Occurred() ? -1 : 0;
#endif
}

/* Parse read(size[, buffer]).  VIEW->obj is set when a buffer was given
 * (the caller releases it).  0, or -1 with an exception set. */
static int
read_args(PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames, Py_ssize_t *len,
          Py_buffer *view)
{
    if (kwnames != NULL && PyTuple_GET_SIZE(kwnames) > 0) {
        PyErr_SetString(PyExc_TypeError, SSLMOD_READ_NO_KEYWORDS);
        return -1;
    }
    if (nargs < 1 || nargs > 2) {
        PyErr_SetString(PyExc_TypeError, "_ssl._SSLSocket.read requires 1 to 2 arguments");
        return -1;
    }
    if (read_size(args[0], len) < 0) {
        return -1;
    }
    if (nargs == 2) {
        if (PyObject_GetBuffer(args[1], view, PyBUF_WRITABLE) < 0) {
            PyErr_Clear();
            PyErr_Format(PyExc_TypeError,
                         "read() argument 2 must be read-write bytes-like object, not %.50s",
                         args[1] == Py_None ? "None" : Py_TYPE(args[1])->tp_name);
            return -1;
        }
        /* Sizes are the buffer's bytes, whatever its item size. */
        if (*len <= 0 || *len > view->len) {
            *len = view->len;
        }
    }
    else if (*len < 0) {
        PyErr_SetString(PyExc_ValueError, "size should not be negative");
        return -1;
    }
    return 0;
}

/* The most plaintext one TLS record carries. */
#define RECORD_MAX 16384

/* After one record has been read into BUF (*COUNT bytes), go on reading
 * records that are already there, without waiting, into the rest of BUF:
 * a big recv_into() then costs one GIL release for many records.  Stops
 * at the first call that would block or fail (that call's state stays in
 * the SSL for the next read to report) or when a callback left an
 * exception.  Lock held, no GIL. */
static void
read_more(sslmod_conn *self, int fd, char *buf, size_t len, size_t *count)
{
    size_t more;

    while (*count < len && self->pending_exc == NULL) {
        if (!SSL_has_pending(self->ssl) && sslmod_sock_queued(fd) <= 0) {
            break;
        }
        errno = 0;
        if (!SSL_read_ex(self->ssl, buf + *count, len - *count, &more)) {
            ERR_clear_error();
            break;
        }
        *count += more;
    }
}

/* Read up to LEN bytes into BUF; *COUNT is how many came.  0, or -1 with
 * an exception set. */
static int
read_into(sslmod_conn *self, conn_io *io, char *buf, Py_ssize_t len, size_t *count)
{
    sslmod_errinfo info;
    int ok, taken, peer_closed;
    /* Only a read bigger than a record over a socket gathers records:
     * a socket, because a MemoryBIO's caller decides what is there; big,
     * so that small reads keep the stdlib's one-record results. */
    int gather = io->sock != NULL && len > RECORD_MAX && io->fd >= 0;

    for (;;) {
        Py_BEGIN_ALLOW_THREADS
        taken = lock_nogil(self);
        errno = 0;
        ok = SSL_read_ex(self->ssl, buf, (size_t)len, count);
        sslmod_err_capture(&info, self->ssl, ex_ret(ok));
        peer_closed = SSL_get_shutdown(self->ssl) == SSL_RECEIVED_SHUTDOWN;
        if (ok && gather) {
            read_more(self, io->fd, buf, (size_t)len, count);
        }
        if (ok && self->release_buffers) {
            /* Only up to the first read that brings application data:
             * that read has taken in TLS 1.3's post-handshake records,
             * which leave the 16 KiB read buffer allocated.  Later reads
             * leave it to SSL_MODE_RELEASE_BUFFERS, for free. */
            release_buffers(self);
            if (*count > 0) {
                self->release_buffers = 0;
            }
        }
        unlock(self, taken);
        Py_END_ALLOW_THREADS
        if (ok) {
            break;
        }
        if (info.ssl_error == SSL_ERROR_ZERO_RETURN && peer_closed) {
            /* The peer's close_notify, and we have not answered yet: a
             * clean end of stream reads as empty. */
            ERR_clear_error();
            *count = 0;
            break;
        }
        if (io_retry(self, io, &info, TIMEOUT_READ, TIMEOUT_READ) < 0) {
            return -1;
        }
    }
    return take_pending_exc(self) ? -1 : 0;
}

PyObject *
sslmod_conn_read(PyObject *op, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    sslmod_conn *self = (sslmod_conn *)op;
    PyObject *res = NULL, *bytes = NULL;
    Py_buffer view = {0};
    conn_io io = CONN_IO_INIT;
    Py_ssize_t len = 0;
    size_t count = 0;
    char *buf;

    if (read_args(args, nargs, kwnames, &len, &view) < 0) {
        goto done;
    }
    if (view.obj != NULL) {
        buf = view.buf;
    }
    else {
        bytes = PyBytes_FromStringAndSize(NULL, len);
        if (bytes == NULL) {
            goto done;
        }
        buf = PyBytes_AS_STRING(bytes);
    }
    if (io_prepare(self, &io) < 0) {
        goto done;
    }
    if (len > 0 && read_into(self, &io, buf, len, &count) < 0) {
        goto done;
    }
    if (view.obj != NULL) {
        res = PyLong_FromSize_t(count);
    }
    else if ((Py_ssize_t)count == len) {
        res = bytes;
        bytes = NULL;
    }
    else {
        /* Resizing in place needs private API; a short copy is cheap. */
        res = PyBytes_FromStringAndSize(buf, (Py_ssize_t)count);
    }
done:
    io_release(&io);
    Py_XDECREF(bytes);
    if (view.obj != NULL) {
        PyBuffer_Release(&view);
    }
    return res;
}

int
sslmod_conn_write_buf(PyObject *op, const char *buf, Py_ssize_t len, size_t *written)
{
    sslmod_conn *self = (sslmod_conn *)op;
    conn_io io = CONN_IO_INIT;
    sslmod_errinfo info;
    int rc = -1, ok, taken;

    *written = 0;
    if (io_prepare(self, &io) < 0) {
        goto done;
    }
    if (io.sock != NULL && io.timeout_ns > 0) {
        /* With a timeout, first make sure the socket can take data at all. */
        if (io.fd < 0) {
            PyErr_SetString(self->state->SSLError, "Underlying socket has been closed.");
            goto done;
        }
        if (io_wait(self, &io, SSL_ERROR_WANT_WRITE, TIMEOUT_WRITE) < 0) {
            goto done;
        }
    }
    for (;;) {
        /* SSL_write_ex sends every record of BUF in this one GIL release
         * unless the socket's send buffer fills up. */
        Py_BEGIN_ALLOW_THREADS
        taken = lock_nogil(self);
        errno = 0;
        ok = SSL_write_ex(self->ssl, buf, (size_t)len, written);
        sslmod_err_capture(&info, self->ssl, ex_ret(ok));
        unlock(self, taken);
        Py_END_ALLOW_THREADS
        if (ok) {
            break;
        }
        if (io_retry(self, &io, &info, TIMEOUT_WRITE, TIMEOUT_WRITE) < 0) {
            goto done;
        }
    }
    if (take_pending_exc(self)) {
        goto done;
    }
    rc = 0;
done:
    io_release(&io);
    return rc;
}

PyObject *
sslmod_conn_write(PyObject *op, PyObject *arg)
{
    PyObject *res = NULL;
    Py_buffer view = {0};
    size_t written = 0;

    /* Lengths are the buffer's bytes, whatever its item size. */
    if (PyObject_GetBuffer(arg, &view, PyBUF_SIMPLE) < 0) {
        goto done;
    }
    if (sslmod_conn_write_buf(op, view.buf, view.len, &written) < 0) {
        goto done;
    }
    res = PyLong_FromSize_t(written);
done:
    if (view.obj != NULL) {
        PyBuffer_Release(&view);
    }
    return res;
}

PyObject *
sslmod_conn_pending(PyObject *op, PyObject *Py_UNUSED(ignored))
{
    sslmod_conn *self = (sslmod_conn *)op;
    int taken = lock_gil(self);
    int n = SSL_pending(self->ssl);
    unlock(self, taken);
    return PyLong_FromLong(n);
}

static PyObject *
conn_shutdown(PyObject *op, PyObject *Py_UNUSED(ignored))
{
    sslmod_conn *self = (sslmod_conn *)op;
    PyObject *res = NULL;
    conn_io io = CONN_IO_INIT;
    sslmod_errinfo info;
    int ret, taken;

    if (io_prepare(self, &io) < 0) {
        goto done;
    }
    if (io.sock != NULL && io.fd < 0) {
        SSLMOD_RAISE_MSG(self->state, self->state->SSLError, 0,
                         "Underlying socket connection gone");
        goto done;
    }
    for (;;) {
        Py_BEGIN_ALLOW_THREADS
        taken = lock_nogil(self);
        ret = SSL_shutdown(self->ssl);
        sslmod_err_capture(&info, self->ssl, ret);
        unlock(self, taken);
        Py_END_ALLOW_THREADS
        if (ret == 1) {
            break;
        }
        if (ret == 0) {
            /* Our close_notify is out.  Call once more to wait for the
             * peer's; a second 0 means there is nothing more to do now. */
            ERR_clear_error();
            if (self->shutdown_seen_zero) {
                break;
            }
            self->shutdown_seen_zero = 1;
            continue;
        }
        if (io_retry(self, &io, &info, TIMEOUT_READ, TIMEOUT_WRITE) < 0) {
            goto done;
        }
    }
    if (take_pending_exc(self)) {
        goto done;
    }
    /* Socket mode hands the socket back for unwrap(); BIO mode has none. */
    res = io.sock != NULL ? Py_NewRef(io.sock) : Py_NewRef(Py_None);
done:
    io_release(&io);
    return res;
}

/* ---- sendfile through kernel TLS ----------------------------------- */

int
sslmod_conn_ktls_send(PyObject *op)
{
    sslmod_conn *self = (sslmod_conn *)op;
    BIO *wbio;
    int on = 0, taken;

    if (self->sock == NULL) {
        return 0;
    }
    taken = lock_gil(self);
    if (SSL_get_options(self->ssl) & SSL_OP_ENABLE_KTLS) {
        wbio = SSL_get_wbio(self->ssl);
        on = wbio != NULL && BIO_get_ktls_send(wbio);
    }
    unlock(self, taken);
    return on;
}

int
sslmod_conn_sendfile(PyObject *op, int fd, long long offset, long long count, long long *sent)
{
    sslmod_conn *self = (sslmod_conn *)op;
    conn_io io = CONN_IO_INIT;
    sslmod_errinfo info;
    ossl_ssize_t n;
    size_t chunk;
    int rc = -1, taken;

    *sent = 0;
    if (io_prepare(self, &io) < 0) {
        goto done;
    }
    while (count == 0 || *sent < count) {
        chunk = count == 0 ? (size_t)1 << 30 : (size_t)(count - *sent);
        Py_BEGIN_ALLOW_THREADS
        taken = lock_nogil(self);
        errno = 0;
        n = SSL_sendfile(self->ssl, fd, (off_t)(offset + *sent), chunk, 0);
        sslmod_err_capture(&info, self->ssl, n > 0 ? 1 : (int)n);
        unlock(self, taken);
        Py_END_ALLOW_THREADS
        if (n > 0) {
            *sent += n;
            continue;
        }
        if (n == 0) {
            break; /* the end of the file */
        }
        /* EAGAIN reads as SSL_ERROR_WANT_WRITE: wait and go on. */
        if (io_retry(self, &io, &info, TIMEOUT_WRITE, TIMEOUT_WRITE) < 0) {
            goto done;
        }
    }
    if (take_pending_exc(self)) {
        goto done;
    }
    rc = 0;
done:
    io_release(&io);
    return rc;
}

/* ---- peer and session information ---------------------------------- */

/* These read (or, for post-handshake auth, change) the SSL, so each holds
 * the connection lock: NOARGS methods run their body through locked(). */
typedef PyObject *(*noargs_body)(sslmod_conn *self);

static PyObject *
locked(PyObject *op, noargs_body body)
{
    sslmod_conn *self = (sslmod_conn *)op;
    int taken = lock_gil(self);
    PyObject *res = body(self);
    unlock(self, taken);
    return res;
}

/* getpeercert(True) or the verified getpeercert() for CERT (the peer's,
 * a reference of the caller's), from what the last call made for the same
 * certificate when it can.  The dict is copied out: callers may change
 * theirs, and its values (tuples, str, int) are immutable. */
static PyObject *
peer_cert_answer(sslmod_conn *self, X509 *cert, int der)
{
    PyObject *made, *res = NULL;

    if (cert != self->peer_cert) {
        Py_CLEAR(self->peer_der);
        Py_CLEAR(self->peer_dict);
        X509_free(self->peer_cert);
        self->peer_cert = X509_up_ref(cert) ? cert : NULL;
    }
    made = Py_XNewRef(der ? self->peer_der : self->peer_dict);
    if (made == NULL) {
        made = der ? sslmod_cert_der(cert) : sslmod_cert_to_dict(self->state, cert);
        if (made == NULL) {
            goto done;
        }
        /* Kept only if nothing (a finalizer run by the allocations above,
         * calling in again) replaced the certificate meanwhile. */
        if (self->peer_cert == cert) {
            Py_XSETREF(*(der ? &self->peer_der : &self->peer_dict), Py_NewRef(made));
        }
    }
    res = der ? Py_NewRef(made) : PyDict_Copy(made);
done:
    Py_XDECREF(made);
    return res;
}

PyObject *
sslmod_conn_getpeercert(PyObject *op, PyObject *const *args, Py_ssize_t nargs)
{
    sslmod_conn *self = (sslmod_conn *)op;
    PyObject *res = NULL;
    X509 *cert = NULL;
    int der = 0, verified = 0, finished, taken;

    if (nargs > 1) {
        PyErr_Format(PyExc_TypeError, "getpeercert expected at most 1 argument, got %zd", nargs);
        goto done;
    }
    if (nargs == 1 && (der = PyObject_IsTrue(args[0])) < 0) {
        goto done;
    }
    taken = lock_gil(self);
    finished = SSL_is_init_finished(self->ssl);
    if (finished) {
        cert = SSL_get1_peer_certificate(self->ssl); /* our own reference */
        verified = (SSL_get_verify_mode(self->ssl) & SSL_VERIFY_PEER) != 0;
    }
    unlock(self, taken);
    if (!finished) {
        PyErr_SetString(PyExc_ValueError, "handshake not done yet");
        goto done;
    }
    if (cert == NULL) {
        res = Py_NewRef(Py_None);
    }
    else if (!der && !verified) {
        res = PyDict_New(); /* not verified: nothing vouches for its content */
    }
    else {
        res = peer_cert_answer(self, cert, der);
    }
done:
    X509_free(cert);
    return res;
}

PyObject *
sslmod_conn_cipher(PyObject *op, PyObject *Py_UNUSED(ignored))
{
    sslmod_conn *self = (sslmod_conn *)op;
    int taken = lock_gil(self);
    const SSL_CIPHER *cipher = SSL_get_current_cipher(self->ssl); /* static table */
    unlock(self, taken);
    if (cipher == NULL) {
        return Py_NewRef(Py_None);
    }
    if (cipher != self->cipher || self->cipher_tuple == NULL) {
        PyObject *made = cipher_tuple(cipher);
        if (made == NULL) {
            return NULL;
        }
        Py_XSETREF(self->cipher_tuple, made);
        self->cipher = cipher;
    }
    return Py_NewRef(self->cipher_tuple);
}

static PyObject *
shared_ciphers_body(sslmod_conn *self)
{
    PyObject *res = NULL, *item = NULL;
    STACK_OF(SSL_CIPHER) *ours = SSL_get_ciphers(self->ssl);
#if PY_VERSION_HEX < 0x030A0000
    /* 3.9's _ssl lists the connection's own cipher list. */
    STACK_OF(SSL_CIPHER) *theirs = NULL;
    if (ours == NULL) {
        res = Py_NewRef(Py_None);
        goto done;
    }
#else
    /* The ciphers both sides offered, in our order; known only to a
     * server that has seen a ClientHello. */
    STACK_OF(SSL_CIPHER) *theirs = SSL_get_client_ciphers(self->ssl);
    if (ours == NULL || theirs == NULL) {
        res = Py_NewRef(Py_None);
        goto done;
    }
#endif
    res = PyList_New(0);
    if (res == NULL) {
        goto done;
    }
    for (int i = 0; i < sk_SSL_CIPHER_num(ours); i++) {
        const SSL_CIPHER *c = sk_SSL_CIPHER_value(ours, i);
        if (theirs != NULL && !cipher_in(theirs, c)) {
            continue;
        }
        item = cipher_tuple(c);
        if (item == NULL || PyList_Append(res, item) < 0) {
            Py_CLEAR(res);
            goto done;
        }
        Py_CLEAR(item);
    }
done:
    Py_XDECREF(item);
    return res;
}

static PyObject *
compression_body(sslmod_conn *self)
{
    const COMP_METHOD *comp = SSL_get_current_compression(self->ssl);
    const char *name;
    if (comp == NULL || COMP_get_type(comp) == NID_undef) {
        return Py_NewRef(Py_None);
    }
    name = OBJ_nid2sn(COMP_get_type(comp));
    if (name == NULL) {
        return Py_NewRef(Py_None);
    }
    return PyUnicode_DecodeFSDefault(name);
}

PyObject *
sslmod_conn_version(PyObject *op, PyObject *Py_UNUSED(ignored))
{
    sslmod_conn *self = (sslmod_conn *)op;
    const char *v = NULL;
    int taken = lock_gil(self);
    /* Nothing is negotiated before the handshake is done. */
    if (SSL_is_init_finished(self->ssl)) {
        v = SSL_get_version(self->ssl); /* a static string */
    }
    unlock(self, taken);
    if (v == NULL || strcmp(v, "unknown") == 0) {
        return Py_NewRef(Py_None);
    }
    if (v != self->version || self->version_str == NULL) {
        PyObject *made = PyUnicode_FromString(v);
        if (made == NULL) {
            return NULL;
        }
        Py_XSETREF(self->version_str, made);
        self->version = v;
    }
    return Py_NewRef(self->version_str);
}

PyObject *
sslmod_conn_selected_alpn_protocol(PyObject *op, PyObject *Py_UNUSED(ignored))
{
    sslmod_conn *self = (sslmod_conn *)op;
    PyObject *res;
    const unsigned char *proto = NULL;
    unsigned int len = 0;
    /* PROTO points into the SSL: copy it before the lock goes. */
    int taken = lock_gil(self);
    SSL_get0_alpn_selected(self->ssl, &proto, &len);
    if (proto == NULL || len == 0) {
        res = Py_NewRef(Py_None);
    }
    else {
        res = PyUnicode_FromStringAndSize((const char *)proto, len);
    }
    unlock(self, taken);
    return res;
}

static PyObject *
conn_get_channel_binding(PyObject *op, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"cb_type", NULL};
    sslmod_conn *self = (sslmod_conn *)op;
    PyObject *cb_type = NULL, *res = NULL;
    unsigned char buf[EVP_MAX_MD_SIZE * 2];
    size_t len;
    const char *name;
    int taken;

    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "|O:get_channel_binding", kwlist, &cb_type)) {
        goto done;
    }
    if (cb_type == NULL) {
        name = "tls-unique";
    }
    else if (!PyUnicode_Check(cb_type)) {
        PyErr_Format(PyExc_TypeError,
                     "get_channel_binding() argument 'cb_type' must be str, not %.50s",
                     cb_type == Py_None ? "None" : Py_TYPE(cb_type)->tp_name);
        goto done;
    }
    else {
        name = PyUnicode_AsUTF8(cb_type);
        if (name == NULL) {
            goto done;
        }
    }
    if (strcmp(name, "tls-exporter") == 0) {
        res = sslmod_keymat_channel_binding(self); /* keymaterial.c */
        goto done;
    }
    if (strcmp(name, "tls-unique") != 0) {
        PyErr_Format(PyExc_ValueError, "'%s' channel binding type not implemented", name);
        goto done;
    }
    /* RFC 5929: tls-unique is the first Finished message of the latest
     * handshake: the client's in a full handshake, the server's in an
     * abbreviated (resumed) one. */
    taken = lock_gil(self);
    if (SSL_session_reused(self->ssl) ^ !self->server_side) {
        len = SSL_get_finished(self->ssl, buf, sizeof(buf));
    }
    else {
        len = SSL_get_peer_finished(self->ssl, buf, sizeof(buf));
    }
    unlock(self, taken);
    if (len == 0) {
        res = Py_NewRef(Py_None);
    }
    else {
        res = PyBytes_FromStringAndSize((const char *)buf,
                                        (Py_ssize_t)(len > sizeof(buf) ? sizeof(buf) : len));
    }
done:
    return res;
}

static PyObject *
verify_client_post_handshake_body(sslmod_conn *self)
{
    if (SSL_verify_client_post_handshake(self->ssl) != 1) {
        return SSLMOD_RAISE_QUEUE(self->state, "post-handshake authentication failed");
    }
    return Py_NewRef(Py_None);
}

/* The chain methods came with 3.10 (public in 3.13); sslmod has them on
 * every interpreter. */
static PyObject *
get_verified_chain_body(sslmod_conn *self)
{
    STACK_OF(X509) *chain = SSL_get0_verified_chain(self->ssl);
    if (chain == NULL) {
        return Py_NewRef(Py_None);
    }
    return sslmod_cert_list(self->state, chain);
}

static PyObject *
get_unverified_chain_body(sslmod_conn *self)
{
    PyObject *res = NULL, *leaf = NULL;
    STACK_OF(X509) *chain = SSL_get_peer_cert_chain(self->ssl);
    X509 *peer = NULL;

    if (chain == NULL) {
        res = Py_NewRef(Py_None);
        goto done;
    }
    res = sslmod_cert_list(self->state, chain);
    if (res == NULL || !self->server_side) {
        goto done;
    }
    /* A server's OpenSSL leaves the client's own certificate out of the
     * chain it sent; put it back in front. */
    peer = SSL_get1_peer_certificate(self->ssl);
    if (peer == NULL) {
        goto done;
    }
    leaf = sslmod_cert_new(self->state, peer);
    if (leaf == NULL || PyList_Insert(res, 0, leaf) < 0) {
        Py_CLEAR(res);
    }
done:
    X509_free(peer);
    Py_XDECREF(leaf);
    return res;
}

static PyObject *
conn_shared_ciphers(PyObject *op, PyObject *Py_UNUSED(ignored))
{
    return locked(op, shared_ciphers_body);
}

static PyObject *
conn_compression(PyObject *op, PyObject *Py_UNUSED(ignored))
{
    return locked(op, compression_body);
}

static PyObject *
conn_verify_client_post_handshake(PyObject *op, PyObject *Py_UNUSED(ignored))
{
    return locked(op, verify_client_post_handshake_body);
}

static PyObject *
conn_get_verified_chain(PyObject *op, PyObject *Py_UNUSED(ignored))
{
    return locked(op, get_verified_chain_body);
}

static PyObject *
conn_get_unverified_chain(PyObject *op, PyObject *Py_UNUSED(ignored))
{
    return locked(op, get_unverified_chain_body);
}

/* ---- attributes ---------------------------------------------------- */

static PyObject *
conn_get_context(PyObject *op, void *Py_UNUSED(closure))
{
    sslmod_conn *self = (sslmod_conn *)op;
    return Py_NewRef(self->ctx ? (PyObject *)self->ctx : Py_None);
}

static int
conn_set_context(PyObject *op, PyObject *value, void *Py_UNUSED(closure))
{
    sslmod_conn *self = (sslmod_conn *)op;
    sslmod_context *old;
    int taken, ok;

    if (value == NULL) {
        PyErr_SetString(PyExc_AttributeError, "cannot delete attribute");
        return -1;
    }
    if (!PyObject_TypeCheck(value, self->state->context_type)) {
        PyErr_SetString(PyExc_TypeError, "The value must be a SSLContext");
        return -1;
    }
    /* Typically called by an SNI callback to serve another certificate. */
    taken = lock_gil(self); /* re-entrant: an SNI callback runs under it */
    ok = sslmod_context_attach((sslmod_context *)value, self);
    unlock(self, taken);
    if (!ok) {
        SSLMOD_RAISE_QUEUE(self->state, "cannot switch the SSLContext");
        return -1;
    }
    old = self->ctx;
    self->ctx = (sslmod_context *)Py_NewRef(value);
    Py_XDECREF(old);
    return 0;
}

static PyObject *
conn_get_owner(PyObject *op, void *Py_UNUSED(closure))
{
    sslmod_conn *self = (sslmod_conn *)op;
    PyObject *owner = sslmod_weakref_get(self->owner);
    return owner != NULL ? owner : Py_NewRef(Py_None);
}

static int
conn_set_owner(PyObject *op, PyObject *value, void *Py_UNUSED(closure))
{
    sslmod_conn *self = (sslmod_conn *)op;
    PyObject *ref;

    if (value == NULL) {
        PyErr_SetString(PyExc_AttributeError, "cannot delete attribute");
        return -1;
    }
    /* Like the stdlib, a value that cannot be referenced weakly still
     * drops the old owner. */
    ref = PyWeakref_NewRef(value, NULL);
    Py_XSETREF(self->owner, ref);
    return ref != NULL ? 0 : -1;
}

static PyObject *
conn_get_server_side(PyObject *op, void *Py_UNUSED(closure))
{
    return PyBool_FromLong(((sslmod_conn *)op)->server_side);
}

static PyObject *
conn_get_server_hostname(PyObject *op, void *Py_UNUSED(closure))
{
    sslmod_conn *self = (sslmod_conn *)op;
    return Py_NewRef(self->server_hostname ? self->server_hostname : Py_None);
}

static PyObject *
conn_get_session(PyObject *op, void *Py_UNUSED(closure))
{
    sslmod_conn *self = (sslmod_conn *)op;
    SSL_SESSION *sess;
    int taken;

    taken = lock_gil(self);
    sess = SSL_get1_session(self->ssl);
    unlock(self, taken);
    if (sess == NULL) {
        return Py_NewRef(Py_None);
    }
    return sslmod_session_new(self->state, sess, self->ctx); /* steals SESS */
}

static int
conn_set_session(PyObject *op, PyObject *value, void *Py_UNUSED(closure))
{
    sslmod_conn *self = (sslmod_conn *)op;
    int taken = lock_gil(self);
    int rc = set_session(self, value);
    unlock(self, taken);
    return rc;
}

PyObject *
sslmod_conn_session_reused(PyObject *op, void *Py_UNUSED(closure))
{
    sslmod_conn *self = (sslmod_conn *)op;
    int taken = lock_gil(self);
    int reused = SSL_session_reused(self->ssl);
    unlock(self, taken);
    return PyBool_FromLong(reused);
}

/* ---- the type ------------------------------------------------------ */

static PyMethodDef conn_methods[] = {
    {"do_handshake", sslmod_conn_do_handshake, METH_NOARGS,
     "do_handshake($self, /)\n--\n\n"
     "Run the TLS handshake; on a non-blocking transport, call again after\n"
     "SSLWantReadError/SSLWantWriteError until it returns."},
    {"read", (PyCFunction)(void (*)(void))sslmod_conn_read, METH_FASTCALL | METH_KEYWORDS,
     "read(size, [buffer])\n"
     "Return up to size bytes of decrypted data; with a writable buffer, fill it\n"
     "(up to size bytes) and return how many bytes were stored."},
    {"write", sslmod_conn_write, METH_O,
     "write($self, b, /)\n--\n\n"
     "Encrypt and send all of the bytes-like object b; return its length."},
    {"pending", sslmod_conn_pending, METH_NOARGS,
     "pending($self, /)\n--\n\n"
     "How many decrypted bytes are buffered and can be read without I/O."},
    {"shutdown", conn_shutdown, METH_NOARGS,
     "shutdown($self, /)\n--\n\n"
     "Send close_notify and wait for the peer's; return the socket (None for\n"
     "a MemoryBIO connection)."},
    {"getpeercert", (PyCFunction)(void (*)(void))sslmod_conn_getpeercert, METH_FASTCALL,
     "getpeercert($self, der=False, /)\n--\n\n"
     "The peer's certificate: a dict (empty when it was not verified), its DER\n"
     "bytes when der is true, or None when the peer sent none."},
    {"cipher", sslmod_conn_cipher, METH_NOARGS,
     "cipher($self, /)\n--\n\n"
     "(name, protocol, secret bits) of the cipher in use, or None."},
    {"shared_ciphers", conn_shared_ciphers, METH_NOARGS,
     "shared_ciphers($self, /)\n--\n\n"
     "The ciphers both ends offered, as cipher() tuples, or None."},
    {"compression", conn_compression, METH_NOARGS,
     "compression($self, /)\n--\n\nThe compression in use, or None."},
    {"version", sslmod_conn_version, METH_NOARGS,
     "version($self, /)\n--\n\n"
     "The negotiated protocol, e.g. 'TLSv1.3', or None before the handshake."},
    {"selected_alpn_protocol", sslmod_conn_selected_alpn_protocol, METH_NOARGS,
     "selected_alpn_protocol($self, /)\n--\n\n"
     "The protocol ALPN agreed on, or None."},
    {"get_channel_binding", (PyCFunction)(void (*)(void))conn_get_channel_binding,
     METH_VARARGS | METH_KEYWORDS,
     "get_channel_binding($self, /, cb_type='tls-unique')\n--\n\n"
     "Channel binding data (RFC 5929) of this connection, or None if there is\n"
     "none yet.  Only 'tls-unique' is known; other types raise ValueError."},
    {"verify_client_post_handshake", conn_verify_client_post_handshake, METH_NOARGS,
     "verify_client_post_handshake($self, /)\n--\n\n"
     "On a TLS 1.3 server, ask the client for its certificate now; it arrives\n"
     "with the next read or write."},
    {"export_keying_material", (PyCFunction)(void (*)(void))sslmod_keymat_export,
     METH_FASTCALL | METH_KEYWORDS,
     "export_keying_material($self, /, label, length, context=None)\n--\n\n"
     "Derive length bytes from the session's secrets under label (str or bytes)\n"
     "and context (bytes, or None for no context), as RFC 5705 and RFC 8446 say."},
    {"group", sslmod_groups_group, METH_NOARGS,
     "group($self, /)\n--\n\n"
     "The key-agreement group of the handshake, or None."},
    {"client_sigalg", sslmod_groups_client_sigalg, METH_NOARGS,
     "client_sigalg($self, /)\n--\n\n"
     "The signature algorithm of the client's certificate authentication, or None."},
    {"server_sigalg", sslmod_groups_server_sigalg, METH_NOARGS,
     "server_sigalg($self, /)\n--\n\n"
     "The signature algorithm the server signed the handshake with, or None."},
    {"ocsp_response", sslmod_ocsp_response, METH_NOARGS,
     "ocsp_response($self, /)\n--\n\n"
     "The stapled OCSP response (DER bytes) of the handshake, or None."},
    {"get_verified_chain", conn_get_verified_chain, METH_NOARGS,
     "get_verified_chain($self, /)\n--\n\n"
     "The peer's chain as verification built it, leaf first, or None."},
    {"get_unverified_chain", conn_get_unverified_chain, METH_NOARGS,
     "get_unverified_chain($self, /)\n--\n\n"
     "The certificates the peer sent, leaf first, or None."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef conn_getset[] = {
    {"context", conn_get_context, conn_set_context,
     "The SSLContext of this connection.  An SNI callback may set another one\n"
     "to change the certificate offered before the handshake goes on.",
     NULL},
    {"owner", conn_get_owner, conn_set_owner,
     "The Python object (SSLSocket or SSLObject) this connection serves; held\n"
     "weakly, and passed to the SNI callback.",
     NULL},
    {"server_side", conn_get_server_side, NULL, "True for the server end of the connection.", NULL},
    {"server_hostname", conn_get_server_hostname, NULL,
     "The host name sent in SNI and verified, or None.", NULL},
    {"session", conn_get_session, conn_set_session,
     "The SSLSession of this connection; set it before the handshake to resume.", NULL},
    {"session_reused", sslmod_conn_session_reused, NULL,
     "True if the handshake resumed an earlier session.", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyType_Slot conn_slots[] = {
    {Py_tp_doc, (void *)"A TLS connection; made by SSLContext._wrap_socket and _wrap_bio."},
    {Py_tp_dealloc, conn_dealloc},
    {Py_tp_traverse, conn_traverse},
    {Py_tp_clear, conn_clear},
    {Py_tp_methods, conn_methods},
    {Py_tp_getset, conn_getset},
    {0, NULL},
};

static PyType_Spec conn_spec = {
    .name = "_ssl._SSLSocket",
    .basicsize = sizeof(sslmod_conn),
    .flags =
        Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_IMMUTABLETYPE | SSLMOD_TPFLAGS_NO_NEW,
    .slots = conn_slots,
};

int
sslmod_conn_setup(PyObject *module, sslmod_state *st)
{
    st->conn_type = (PyTypeObject *)PyType_FromModuleAndSpec(module, &conn_spec, NULL);
    if (st->conn_type == NULL) {
        return -1;
    }
    sslmod_forbid_instantiation(st->conn_type); /* only _wrap_* make these */
    return PyModule_AddType(module, st->conn_type);
}
