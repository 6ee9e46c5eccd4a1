/* sslmod.h: the state, object layouts and cross-file interfaces of sslmod._sslmod.
 *
 * Every file of the extension includes this header.  Each section below is
 * owned by one .c file; a function declared here is the only way another
 * file reaches into it.  All cross-file symbols start with "sslmod_".
 */
#ifndef SSLMOD_H
#define SSLMOD_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <pthread.h>
#include "compat.h" /* the C API of 3.9 to 3.13 behind one name */

#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <openssl/bio.h>

#if OPENSSL_VERSION_NUMBER < 0x30000000L
#  error "sslmod needs OpenSSL 3.0 or newer"
#endif

/* ------------------------------------------------------------------ */
/* Module state (_sslmod.c).  Every object keeps a borrowed pointer to  */
/* it: the object holds its type, the type holds the module, so the     */
/* state outlives every object that points at it.                       */
/* ------------------------------------------------------------------ */
typedef struct sslmod_state {
    PyTypeObject *context_type;     /* _SSLContext */
    PyTypeObject *conn_type;        /* _SSLSocket  */
    PyTypeObject *membio_type;      /* MemoryBIO   */
    PyTypeObject *session_type;     /* SSLSession  */
    PyTypeObject *certificate_type; /* Certificate */

    PyObject *SSLError;
    PyObject *SSLCertVerificationError;
    PyObject *SSLZeroReturnError;
    PyObject *SSLWantReadError;
    PyObject *SSLWantWriteError;
    PyObject *SSLSyscallError;
    PyObject *SSLEOFError;

    PyObject *lib_codes_to_names; /* {lib: "SSL"} */
    PyObject *err_codes_to_names; /* {(lib, reason): "NAME"} */
    PyObject *err_names_to_codes; /* {"NAME": (lib, reason)} */

    PyObject *socket_timeout;           /* socket.timeout (TimeoutError on 3.10+) */
    PyObject *socket_type;              /* _socket.socket: what _wrap_socket accepts */
    PyObject *str_fileno;               /* interned "fileno" */
    PyObject *str_gettimeout;           /* interned "gettimeout" */
    PyTypeObject *sslobject_base;       /* _SSLObjectBase (datapath.c) */
    PyTypeObject *sslsocket_base;       /* _SSLSocketBase (datapath.c) */
    PyObject *str_sslobj;               /* interned "_sslobj" */
    PyObject *str_suppress_ragged_eofs; /* interned "suppress_ragged_eofs" */
    PyObject *str_library;              /* interned exception attribute names */
    PyObject *str_reason;
    PyObject *str_verify_code;
    PyObject *str_verify_message;
    /* errors.c: the messages of the fixed-text errors (SSLWantReadError
     * and the like), by call site; a non-blocking program raises them
     * all the time.  TEXT and FILE are static strings. */
    struct {
        const char *text, *file;
        int line;
        PyObject *msg;
    } msg_cache[8];

    struct sslmod_trust_cache *trust; /* parsed trust sources (truststore.c) */
} sslmod_state;

/* The state of the module that defined TYPE or one of its bases; works for
 * Python subclasses and on 3.9 (no PyType_GetModuleByDef there). */
sslmod_state *sslmod_state_from_type(PyTypeObject *type);

/* A Python int as a C int; -1 with an exception set on failure (the
 * stdlib's wording: "Python int too large to convert to C int"). */
static inline int
sslmod_as_int(PyObject *obj, int *out)
{
    int overflow = 0;
    long v;
#if PY_VERSION_HEX < 0x030A0000
    if (PyFloat_Check(obj)) { /* 3.9's wording; later ones use __index__'s */
        PyErr_SetString(PyExc_TypeError, "integer argument expected, got float");
        return -1;
    }
#endif
    v = PyLong_AsLongAndOverflow(obj, &overflow);
    if (v == -1 && PyErr_Occurred()) {
        return -1;
    }
    if (overflow != 0 || v > INT_MAX || v < INT_MIN) {
        PyErr_SetString(PyExc_OverflowError, "Python int too large to convert to C int");
        return -1;
    }
    *out = (int)v;
    return 0;
}

/* The PROTOCOL_* values of the ssl module (ours to define, the stdlib's
 * numbers). */
enum sslmod_protocol {
    SSLMOD_PROTOCOL_TLS = 2,
    SSLMOD_PROTOCOL_TLSv1 = 3,
    SSLMOD_PROTOCOL_TLSv1_1 = 4,
    SSLMOD_PROTOCOL_TLSv1_2 = 5,
    SSLMOD_PROTOCOL_TLS_CLIENT = 16,
    SSLMOD_PROTOCOL_TLS_SERVER = 17,
};

/* PROTO_MINIMUM_SUPPORTED / PROTO_MAXIMUM_SUPPORTED. */
#define SSLMOD_PROTO_MINIMUM_SUPPORTED (-2)
#define SSLMOD_PROTO_MAXIMUM_SUPPORTED (-1)

/* ------------------------------------------------------------------ */
/* Object layouts                                                       */
/* ------------------------------------------------------------------ */

/* _SSLContext (context.c).  SSL_CTX_get_app_data(ctx) is this object,
 * borrowed, so callbacks can find their way back.
 *
 * The SSL_CTX is shared by every thread using the context.  Callback
 * pointers that OpenSSL reads from the SSL_CTX while a handshake runs
 * (servername, keylog) are installed once, on first use, and never reset:
 * the C callback reads the Python state and does nothing when none is set.
 * The msg and PSK callbacks are copied into each SSL by SSL_new, so
 * changing them never affects a connection that is running. */
typedef struct sslmod_context {
    PyObject_HEAD
    sslmod_state *state;
    SSL_CTX *ctx;
    int protocol; /* PROTOCOL_* value given to __new__ */
    int check_hostname;
    int post_handshake_auth;
    unsigned int hostflags;        /* X509_CHECK_FLAG_* used for new connections */
    unsigned char *alpn_protocols; /* wire format, PyMem_Malloc'd, or NULL */
    unsigned int alpn_protocols_len;
    PyObject *sni_callback; /* callable or NULL */
    PyObject *msg_callback; /* callable or NULL */
    /* keylog_bio and keylog_filename change together, with the GIL and
     * keylog_lock held; the keylog callback writes under keylog_lock alone
     * (no GIL).  Nobody waits for the GIL while holding keylog_lock. */
    PyObject *keylog_filename;      /* what the user set, or NULL */
    BIO *keylog_bio;                /* append-mode file BIO, or NULL */
    PyThread_type_lock keylog_lock; /* always allocated */
    /* Serialises load_cert_chain's changes to the certificate and key of
     * the SSL_CTX (made without the GIL) with SSL_new and SSL_set_SSL_CTX,
     * which copy them.  Never held while calling Python or waiting for
     * the GIL, so it may be waited for with the GIL held. */
    PyThread_type_lock keys_lock;
    /* The cipher string in force (bytes), replaced with the GIL.  OpenSSL
     * reads an SSL_CTX's cipher list during every handshake of an SSL
     * without its own, and SSL_CTX_set_cipher_list frees it.  So the
     * connections that read this context's list are TRACKED (a list
     * changed only with the GIL held), and set_ciphers() swaps the list
     * while holding every one's lock; one whose handshake has begun is
     * first given its own copy of this string, so that its handshake ends
     * with the list it began with.  (Building a list per connection
     * instead costs about 270,000 instructions per handshake.) */
    PyObject *ciphers;
    struct sslmod_conn *tracked;
    unsigned int installed;        /* SSLMOD_CB_* installed on ctx (never reset) */
    PyObject *psk_client_callback; /* callable or NULL */
    PyObject *psk_server_callback; /* callable or NULL */
    PyObject *psk_identity_hint;   /* bytes or NULL (server side) */
    PyObject *ocsp_response;       /* ocsp.c: bytes, callable or NULL (server side) */
    int ocsp_mode;                 /* ocsp.c: SSLMOD_OCSP_* (client side) */
    /* The trust store (truststore.c): SSLMOD_STORE_EMPTY as SSL_CTX_new made
     * it, SHARED with other contexts (copy before changing it), or OWN. */
    int store_state;
    int store_kind;              /* SHARED: the sslmod_trust_kind it holds */
    char *store_dir;             /* SHARED: its directory lookup (malloc'd) */
    X509_STORE **retired_stores; /* replaced stores, kept until dealloc: a */
    int n_retired_stores;        /* handshake may still be verifying with one */
} sslmod_context;

enum { SSLMOD_STORE_EMPTY = 0, SSLMOD_STORE_SHARED, SSLMOD_STORE_OWN };

/* A new context's release_buffers (SSL_MODE_RELEASE_BUFFERS); a build may
 * change it, to measure what the setting costs. */
#ifndef SSLMOD_RELEASE_BUFFERS_DEFAULT
#  define SSLMOD_RELEASE_BUFFERS_DEFAULT 1
#endif

/* Bits of sslmod_context.installed. */
#define SSLMOD_CB_SERVERNAME 0x1u
#define SSLMOD_CB_KEYLOG 0x2u
#define SSLMOD_CB_MSG 0x4u

/* X509_STORE_get1_objects() (OpenSSL 3.3+) copies a store's object list
 * under the store's lock; older versions need us to do it. */
#if OPENSSL_VERSION_NUMBER >= 0x30300000L
#  define SSLMOD_HAS_STORE_GET1_OBJECTS 1
#else
#  define SSLMOD_HAS_STORE_GET1_OBJECTS 0
#endif

/* MemoryBIO (membio.c). */
typedef struct sslmod_membio {
    PyObject_HEAD
    sslmod_state *state;
    BIO *bio;        /* owned; a connection using it BIO_up_ref()s */
    int eof_written; /* write_eof() called: empty reads are EOF */
} sslmod_membio;

/* SSLSession (session.c).  Not instantiable from Python; equal when the
 * DER encodings match; unhashable. */
typedef struct sslmod_session {
    PyObject_HEAD
    sslmod_state *state;
    SSL_SESSION *session; /* owned reference */
    sslmod_context *ctx;  /* strong ref: the context it came from */
} sslmod_session;

/* _SSLSocket, the TLS connection (connection.c).  SSL_get_app_data(ssl)
 * is this object, borrowed. */
typedef struct sslmod_conn {
    PyObject_HEAD
    sslmod_state *state;
    SSL *ssl;
    sslmod_context *ctx;       /* strong ref; an SNI callback may swap it */
    PyObject *sock;            /* weakref to the socket, or NULL (BIO mode) */
    PyObject *owner;           /* weakref to the owner, or NULL */
    PyObject *server_hostname; /* str or NULL */
    sslmod_membio *inbio;      /* strong refs in BIO mode, else NULL */
    sslmod_membio *outbio;
    int server_side;
    int handshake_done;
    int shutdown_seen_zero;
    /* Free the SSL's buffers when the handshake, or a read up to the
     * first one that brings application data, leaves nothing buffered
     * (lean idle connections); see release_buffers() and read_into(). */
    int release_buffers;
    /* An exception raised by a Python callback while OpenSSL ran; the
     * OpenSSL call fails, and the caller re-raises this afterwards.  Never
     * outlives the method call that ran the callback. */
    PyObject *pending_exc;
    /* Serialises every OpenSSL call on SSL (an SSL is not thread-safe).
     * Waited for only without the GIL; never held while waiting on the
     * socket.  LOCK_OWNER is the holding thread's ident (0: none), so that
     * a callback running under the lock may call back into this object.
     * A pthread mutex: taking a free one costs a few instructions, where a
     * PyThread lock reads the clock even to try (the data path takes it on
     * every call).  LOCK_READY: initialised (dealloc destroys it). */
    pthread_mutex_t lock;
    int lock_ready;
    unsigned long lock_owner;
    /* ocsp.c: why the stapled OCSP response was refused (a static
     * string), for errors.c's verify_message; NULL if it was not. */
    const char *ocsp_failure;
    /* What the peer queries answered last time, kept while the answer
     * cannot change (a program asks them on every request).  PEER_CERT
     * is a reference of ours, so that its address is never reused while
     * PEER_DER/PEER_DICT (immutable bytes; a dict only ever copied out)
     * describe it; CIPHER points into OpenSSL's static tables. */
    X509 *peer_cert;
    PyObject *peer_der;
    /* context.c's tracking (see sslmod_context.ciphers): TRACKED_BY is the
     * context whose cipher list the SSL reads, or NULL once it has its own
     * (OWN_CIPHERS). */
    struct sslmod_context *tracked_by;
    struct sslmod_conn *tracked_prev, *tracked_next;
    int own_ciphers;
    PyObject *peer_dict;
    const SSL_CIPHER *cipher;
    PyObject *cipher_tuple;
    const char *version;
    PyObject *version_str;
} sslmod_conn;

/* ------------------------------------------------------------------ */
/* errors.c: the exceptions and the ONE place that turns OpenSSL/errno  */
/* state into a Python exception.                                       */
/* ------------------------------------------------------------------ */
int sslmod_errors_setup(PyObject *module, sslmod_state *st);

/* A snapshot of what went wrong, taken right after the failing call,
 * without the GIL if need be. */
typedef struct {
    int ret;       /* what the failing call returned */
    int ssl_error; /* SSL_get_error(), or -1 if there was no SSL* */
    int saved_errno;
    unsigned long code; /* ERR_peek_last_error() */
} sslmod_errinfo;

/* Fill INFO; SSL may be NULL.  Needs no GIL; touches no Python object. */
void sslmod_err_capture(sslmod_errinfo *info, SSL *ssl, int ret);

/* Raise the exception INFO describes.  CONN (may be NULL) supplies the
 * verify result and hostname for certificate errors.  Always returns NULL
 * and leaves the OpenSSL error queue empty. */
PyObject *sslmod_err_raise(sslmod_state *st, const sslmod_errinfo *info, sslmod_conn *conn,
                           const char *file, int line);

/* Raise SSLError from the OpenSSL error queue (for calls without SSL*).
 * If the queue is empty, uses MSG.  Returns NULL, empties the queue. */
PyObject *sslmod_err_raise_queue(sslmod_state *st, const char *msg, const char *file, int line);

/* Raise EXC_TYPE(errcode, "msg (file:line)") like the stdlib does for
 * errors that are ours rather than OpenSSL's.  Returns NULL. */
PyObject *sslmod_err_raise_msg(sslmod_state *st, PyObject *exc_type, int errcode, const char *msg,
                               const char *file, int line);

#define SSLMOD_RAISE(st, info, conn) sslmod_err_raise((st), (info), (conn), __FILE__, __LINE__)
#define SSLMOD_RAISE_QUEUE(st, msg) sslmod_err_raise_queue((st), (msg), __FILE__, __LINE__)
#define SSLMOD_RAISE_MSG(st, type, code, msg)                                                      \
    sslmod_err_raise_msg((st), (type), (code), (msg), __FILE__, __LINE__)

/* sslmod_exc_fetch() / sslmod_exc_restore(): compat.h. */

/* ------------------------------------------------------------------ */
/* certificate.c: X509 -> Python values, and the Certificate type.      */
/* ------------------------------------------------------------------ */
int sslmod_certificate_setup(PyObject *module, sslmod_state *st);
/* The dict getpeercert() returns for CERT (borrowed). New reference, or
 * NULL with an exception (e.g. UnicodeDecodeError for a SAN that is not
 * UTF-8, as the stdlib raises).  Leaves the OpenSSL error queue empty. */
PyObject *sslmod_cert_to_dict(sslmod_state *st, X509 *cert);
/* A Certificate object; takes a new reference on CERT (X509_up_ref). */
PyObject *sslmod_cert_new(sslmod_state *st, X509 *cert);
/* A list of Certificate objects for CHAIN (may be NULL -> empty list);
 * each takes its own reference, CHAIN stays the caller's. */
PyObject *sslmod_cert_list(sslmod_state *st, STACK_OF(X509) *chain);
/* DER bytes of CERT (borrowed); ValueError if it cannot be encoded. */
PyObject *sslmod_cert_der(X509 *cert);
/* _test_decode_cert(path): the module function. */
PyObject *sslmod_test_decode_cert(PyObject *module, PyObject *path);

/* ------------------------------------------------------------------ */
/* context.c: the _SSLContext type.                                     */
/* ------------------------------------------------------------------ */
int sslmod_context_setup(PyObject *module, sslmod_state *st);

/* The cipher string a new context starts with (exported as
 * _DEFAULT_CIPHERS), as each interpreter's own _ssl sets it.  setup.py
 * defines SSLMOD_DEFAULT_SUITES_OPENSSL when the interpreter was built
 * --with-ssl-default-suites=openssl: a new context then keeps the list
 * OpenSSL and the system configuration give it, and the constant names
 * OpenSSL's default; or SSLMOD_DEFAULT_CIPHERS when it was built with a
 * string of its own. */
#if defined(SSLMOD_DEFAULT_SUITES_OPENSSL) && !defined(SSLMOD_DEFAULT_CIPHERS)
#  ifdef SSL_DEFAULT_CIPHER_LIST
#    define SSLMOD_DEFAULT_CIPHERS SSL_DEFAULT_CIPHER_LIST
#  else
#    define SSLMOD_DEFAULT_CIPHERS "ALL:!COMPLEMENTOFDEFAULT:!eNULL"
#  endif
#endif
#ifndef SSLMOD_DEFAULT_CIPHERS
#  if PY_VERSION_HEX >= 0x030A0000
#    define SSLMOD_DEFAULT_CIPHERS                                                                 \
        "@SECLEVEL=2:ECDH+AESGCM:ECDH+CHACHA20:ECDH+AES:DHE+AES:!aNULL:!eNULL:!aDSS:!SHA1:!AESCCM"
#  else
#    define SSLMOD_DEFAULT_CIPHERS                                                                 \
        "DEFAULT:!aNULL:!eNULL:!MD5:!3DES:!DES:!RC4:!IDEA:!SEED:!aDSS:!SRP:!PSK"
#  endif
#endif

/* A new SSL for a connection on CTX.  NULL with the OpenSSL error queue
 * set.  The connection then calls sslmod_context_track() (GIL held). */
SSL *sslmod_context_new_ssl(sslmod_context *ctx);
/* Move CONN (its caller holds the connection's lock and the GIL) to CTX,
 * as an SNI callback does.  1 ok, 0 with the queue set. */
int sslmod_context_attach(sslmod_context *ctx, struct sslmod_conn *conn);
/* Start / stop tracking CONN as a reader of CTX's cipher list (see
 * sslmod_context.ciphers); GIL held.  Untracking an untracked CONN is a
 * no-op. */
void sslmod_context_track(sslmod_context *ctx, struct sslmod_conn *conn);
void sslmod_context_untrack(struct sslmod_conn *conn);

/* ------------------------------------------------------------------ */
/* connection.c: the _SSLSocket type.                                   */
/* ------------------------------------------------------------------ */
int sslmod_conn_setup(PyObject *module, sslmod_state *st);
/* read(size[, buffer]) as each interpreter's _ssl parses it: 3.9 takes
 * SIZE as a C int (PyArg "i" messages) and names the method without its
 * class when refusing keywords. */
#if PY_VERSION_HEX < 0x030A0000
#  define SSLMOD_READ_SIZE_IS_INT 1
#endif
/* 3.9 and 3.10 name the method bare; 3.11+ with its class. */
#if PY_VERSION_HEX < 0x030B0000
#  define SSLMOD_READ_NO_KEYWORDS "read() takes no keyword arguments"
#else
#  define SSLMOD_READ_NO_KEYWORDS "_SSLSocket.read() takes no keyword arguments"
#endif
/* Make a connection for _wrap_socket (SOCK != NULL, INBIO/OUTBIO NULL) or
 * _wrap_bio (SOCK NULL).  HOSTNAME is str or None; OWNER and SESSION may be
 * None.  New reference or NULL. */
PyObject *sslmod_conn_create(sslmod_context *ctx, PyObject *sock, sslmod_membio *inbio,
                             sslmod_membio *outbio, int server_side, PyObject *hostname,
                             PyObject *owner, PyObject *session);
/* The data-path methods of _SSLSocket, for datapath.c to call directly
 * (no method lookup) when it holds a core connection.  Each takes the
 * connection as OP and has the signature of its PyMethodDef entry. */
PyObject *sslmod_conn_read(PyObject *op, PyObject *const *args, Py_ssize_t nargs,
                           PyObject *kwnames);
PyObject *sslmod_conn_write(PyObject *op, PyObject *data);
PyObject *sslmod_conn_do_handshake(PyObject *op, PyObject *ignored);
PyObject *sslmod_conn_pending(PyObject *op, PyObject *ignored);
PyObject *sslmod_conn_getpeercert(PyObject *op, PyObject *const *args, Py_ssize_t nargs);
PyObject *sslmod_conn_cipher(PyObject *op, PyObject *ignored);
PyObject *sslmod_conn_version(PyObject *op, PyObject *ignored);
PyObject *sslmod_conn_selected_alpn_protocol(PyObject *op, PyObject *ignored);
PyObject *sslmod_conn_session_reused(PyObject *op, void *closure);
/* Send LEN bytes at BUF; *WRITTEN is how many went.  0, or -1 with an
 * exception set (after a timeout *WRITTEN may be short of LEN). */
int sslmod_conn_write_buf(PyObject *op, const char *buf, Py_ssize_t len, size_t *written);
/* sendfile() through kernel TLS: 1 when the kernel holds the connection's
 * send keys (OP_ENABLE_KTLS and BIO_get_ktls_send), else 0.  Needs the GIL. */
int sslmod_conn_ktls_send(PyObject *op);
/* Send COUNT bytes (0: to the end) of file FD from OFFSET with
 * SSL_sendfile; *SENT is how many went.  0, or -1 with an exception set. */
int sslmod_conn_sendfile(PyObject *op, int fd, long long offset, long long count, long long *sent);

/* ------------------------------------------------------------------ */
/* datapath.c: the C bases of ssl.SSLObject and ssl.SSLSocket, whose    */
/* data-path methods run without a Python frame.                        */
/* ------------------------------------------------------------------ */
int sslmod_datapath_setup(PyObject *module, sslmod_state *st);
/* 3.10+ name a Python method by its qualified name ("SSLSocket.recv()")
 * in argument errors; 3.9 by its bare name ("recv()"). */
#if PY_VERSION_HEX >= 0x030A0000
#  define SSLMOD_QUALIFIED_ARG_ERRORS 1
#else
#  define SSLMOD_QUALIFIED_ARG_ERRORS 0
#endif

/* ------------------------------------------------------------------ */
/* sockio.c: waiting on a socket fd with a deadline; the only file that */
/* knows about sockets.                                                  */
/* ------------------------------------------------------------------ */
typedef enum {
    SSLMOD_SOCK_READY = 0, /* the fd is ready */
    SSLMOD_SOCK_TIMEOUT,   /* the deadline passed */
    SSLMOD_SOCK_CLOSED,    /* the socket has been closed (fd -1) */
    SSLMOD_SOCK_ERROR      /* poll() failed; errno is set */
} sslmod_sock_status;

/* Monotonic clock in nanoseconds. */
long long sslmod_monotonic_ns(void);
/* The deadline TIMEOUT_NS after START_NS, or -1 (no deadline) if
 * TIMEOUT_NS < 0 or too far away to represent. */
long long sslmod_deadline(long long start_ns, long long timeout_ns);
/* SOCK's fileno() (-1 once closed) and gettimeout() in nanoseconds (-1:
 * blocking, 0: non-blocking).  0, or -1 with an exception set. */
int sslmod_sock_params(sslmod_state *st, PyObject *sock, int *fd, long long *timeout_ns);
/* Wait until FD is readable (WRITING == 0) or writable.  DEADLINE_NS is a
 * sslmod_monotonic_ns() time, or -1 to wait forever; once it has passed,
 * TIMEOUT is returned without looking at the fd.  Call WITHOUT the GIL.
 * A signal (EINTR) returns READY, so the caller runs the handlers and
 * retries. */
sslmod_sock_status sslmod_sock_wait(int fd, int writing, long long deadline_ns);
/* A BIO on FD (not owned: never closed) whose reads and writes never block,
 * whatever the fd's O_NONBLOCK flag; BIO_set_fd/BIO_get_fd work on it.
 * KTLS: a write BIO through which OpenSSL may hand the send keys to the
 * kernel (OP_ENABLE_KTLS); its writes then go through OpenSSL's socket
 * BIO, which blocks on a blocking fd.
 * NULL on failure (OpenSSL error queue set).  Needs no GIL. */
BIO *sslmod_sock_bio_new(int fd, int ktls);
/* How many bytes FD has queued for reading (0 if unknown).  No GIL. */
int sslmod_sock_queued(int fd);

/* ------------------------------------------------------------------ */
/* membio.c / session.c                                                 */
/* ------------------------------------------------------------------ */
int sslmod_membio_setup(PyObject *module, sslmod_state *st);
int sslmod_session_setup(PyObject *module, sslmod_state *st);
/* An SSLSession for SESS; steals the SSL_SESSION reference. */
PyObject *sslmod_session_new(sslmod_state *st, SSL_SESSION *sess, sslmod_context *ctx);

/* ------------------------------------------------------------------ */
/* password.c: the PEM password callback and the password holder used  */
/* by load_cert_chain.                                                   */
/* ------------------------------------------------------------------ */
typedef struct {
    PyObject *callable; /* password callable, or NULL */
    char *data;         /* the password, PyMem_Malloc'd */
    int size;
    PyObject *exc; /* exception from the callable, or NULL */
} sslmod_pwinfo;

/* PEM password callback; USERDATA is an sslmod_pwinfo*. */
int sslmod_cb_password(char *buf, int size, int rwflag, void *userdata);
/* Fill PW from a str/bytes/bytearray/callable password; 0 ok, -1 error. */
int sslmod_pwinfo_init(sslmod_pwinfo *pw, PyObject *password);
void sslmod_pwinfo_clear(sslmod_pwinfo *pw);
/* The first private key of the PEM file PATH, opened close-on-exec and
 * decrypted with PW (NULL: OpenSSL's own prompt).  The password travels
 * with this call only; nothing is stored on a shared SSL_CTX.  Call
 * without the GIL.  NULL on failure, leaving errno and the OpenSSL error
 * queue as SSL_CTX_use_PrivateKey_file() would. */
/* PATH opened for reading (close-on-exec) as a file BIO that owns it; NULL
 * with the OpenSSL queue set and errno kept for an OSError. */
BIO *sslmod_open_file_bio(const char *path);
EVP_PKEY *sslmod_read_private_key(const char *path, sslmod_pwinfo *pw);

/* ------------------------------------------------------------------ */
/* callbacks.c: every OpenSSL -> Python callback of a connection.  Each */
/* takes the GIL with PyGILState_Ensure (so it may be entered with or   */
/* without it), never lets an exception escape into OpenSSL: it stores  */
/* it on the owner (conn->pending_exc) and returns a failure code.      */
/* context.c installs them.                                              */
/* As in the stdlib: the msg and keylog callbacks store their exception */
/* in conn->pending_exc (a later one replaces an earlier one); the SNI  */
/* and PSK callbacks report theirs through sys.unraisablehook and fail  */
/* the handshake.  The keylog callback writes without the GIL, holding  */
/* ctx->keylog_lock; it takes the GIL only to report a failed write.    */
/* The msg callback returns at once, without the GIL, for a connection  */
/* made while the context had no msg callback (its arg is NULL).        */
/* ------------------------------------------------------------------ */

int sslmod_cb_servername(SSL *ssl, int *alert, void *arg);
void sslmod_cb_msg(int write_p, int version, int content_type, const void *buf, size_t len,
                   SSL *ssl, void *arg);
void sslmod_cb_keylog(const SSL *ssl, const char *line);
int sslmod_cb_alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                          const unsigned char *in, unsigned int inlen, void *arg);
unsigned int sslmod_cb_psk_client(SSL *ssl, const char *hint, char *identity,
                                  unsigned int max_identity_len, unsigned char *psk,
                                  unsigned int max_psk_len);
unsigned int sslmod_cb_psk_server(SSL *ssl, const char *identity, unsigned char *psk,
                                  unsigned int max_psk_len);

/* ------------------------------------------------------------------ */
/* truststore.c: trust sources parsed once per module, shared between   */
/* contexts as read-only X509_STOREs.  No GIL needed; no Python object. */
/* ------------------------------------------------------------------ */
typedef enum {
    SSLMOD_TRUST_DEFAULT,   /* set_default_verify_paths() */
    SSLMOD_TRUST_LOCATIONS, /* load_verify_locations(cafile, capath) */
    SSLMOD_TRUST_CADATA     /* load_verify_locations(cadata=...) */
} sslmod_trust_kind;

typedef struct {
    sslmod_trust_kind kind;
    const char *file; /* LOCATIONS: the CA file, or NULL */
    const char *dir;  /* LOCATIONS: the CA directory, or NULL */
    const char *data; /* CADATA: PEM text or DER bytes */
    size_t len;
    int pem;
} sslmod_trust_source;

typedef struct sslmod_trust_cache sslmod_trust_cache;

sslmod_trust_cache *sslmod_trust_cache_new(void);
void sslmod_trust_cache_free(sslmod_trust_cache *cache);
/* The shared store for SRC (a new reference), parsed now if the cache has
 * none or the file changed on disk; NULL if SRC does not load cleanly: the
 * caller then loads it the ordinary way, which reports the error. */
X509_STORE *sslmod_trust_get(sslmod_trust_cache *cache, const sslmod_trust_source *src);
/* Add SHARED's certificates and CRLs, and the lazy lookups of a source of
 * KIND (DIR for LOCATIONS), to DST.  1 ok, 0 failure (OpenSSL queue). */
int sslmod_trust_merge(X509_STORE *dst, X509_STORE *shared, sslmod_trust_kind kind,
                       const char *dir);

/* Add the certificates of cadata to STORE; a certificate STORE already has
 * is skipped.  OK, EMPTY (no certificate at all), or ERROR (a broken
 * certificate after good ones, or no memory: the OpenSSL queue says). */
enum { SSLMOD_CADATA_OK = 0, SSLMOD_CADATA_EMPTY, SSLMOD_CADATA_ERROR };
int sslmod_trust_add_cadata(X509_STORE *store, const char *data, size_t len, int pem);

/* ================================================================== */
/* Beyond the stdlib (issue 9).  Each file below has one job; context.c */
/* and connection.c only list their methods and call a few hooks.       */
/* ================================================================== */

/* Which OpenSSL has what, decided here and nowhere else. */
#ifdef OPENSSL_NO_PSK
#  define SSLMOD_HAS_PSK_TLS13 0 /* HAS_PSK_TLS13 */
#else
#  define SSLMOD_HAS_PSK_TLS13 1
#endif
#if OPENSSL_VERSION_NUMBER >= 0x30200000L
#  define SSLMOD_HAS_GET0_GROUP_NAME 1 /* SSL_get0_group_name */
#endif
#if OPENSSL_VERSION_NUMBER >= 0x30400000L
#  define SSLMOD_HAS_BUILTIN_SIGALGS 1 /* SSL_get1_builtin_sigalgs */
#endif
#if OPENSSL_VERSION_NUMBER >= 0x30500000L
#  define SSLMOD_HAS_SIGNATURE_NAME 1     /* SSL_get0_(peer_)signature_name */
#  define SSLMOD_HAS_IMPLEMENTED_GROUPS 1 /* SSL_CTX_get0_implemented_groups */
#endif

/* connection.c: its connection lock, for the connection methods below
 * (lock_nogil without the GIL, lock_gil with it; both re-entrant: 0 when
 * this thread holds the lock already).  See sslmod_conn.lock. */
int sslmod_conn_lock_nogil(sslmod_conn *self);
int sslmod_conn_lock_gil(sslmod_conn *self);
/* Without waiting, GIL held: 1 taken, 0 held by this thread already,
 * -1 held by another thread (nothing taken). */
int sslmod_conn_trylock(sslmod_conn *self);
void sslmod_conn_unlock(sslmod_conn *self, int taken);

/* certload.c: load_cert_chain() with certdata/keydata (from memory). */
/* The method itself (METH_VARARGS | METH_KEYWORDS); without certdata and
 * keydata it hands the call to the file loader below, unchanged. */
PyObject *sslmod_certload_load_cert_chain(PyObject *self, PyObject *args, PyObject *kwargs);
/* The PEM chain file PATH installed on SELF's SSL_CTX as
 * SSL_CTX_use_certificate_chain_file() does, except that encrypted blocks
 * are decrypted with PW (NULL: OpenSSL's prompt), never with a callback
 * stored on the shared SSL_CTX.  Without the GIL.  1, or 0 with errno (the
 * file could not be opened) or the OpenSSL error queue saying why. */
int sslmod_certload_install_chain_file(sslmod_context *self, const char *path, sslmod_pwinfo *pw);
/* context.c: the file loader (the stdlib's load_cert_chain). */
PyObject *sslmod_context_load_cert_chain_files(sslmod_context *self, PyObject *args,
                                               PyObject *kwargs);

/* keymaterial.c: RFC 5705 / RFC 8446 keying-material export. */
/* _SSLSocket.export_keying_material(label, length, context=None)
 * (METH_FASTCALL | METH_KEYWORDS). */
PyObject *sslmod_keymat_export(PyObject *self, PyObject *const *args, Py_ssize_t nargs,
                               PyObject *kwnames);
/* get_channel_binding("tls-exporter") (RFC 9266): 32 bytes, None before
 * the handshake. */
PyObject *sslmod_keymat_channel_binding(sslmod_conn *self);

/* groups.c: 3.15's group, TLS 1.3 ciphersuite and sigalg controls. */
PyObject *sslmod_groups_set_groups(PyObject *ctx, PyObject *arg);        /* METH_O */
PyObject *sslmod_groups_get_groups(PyObject *ctx, PyObject *const *args, /* FASTCALL|KW */
                                   Py_ssize_t nargs, PyObject *kwnames);
PyObject *sslmod_groups_set_ciphersuites(PyObject *ctx, PyObject *arg);   /* METH_O */
PyObject *sslmod_groups_set_client_sigalgs(PyObject *ctx, PyObject *arg); /* METH_O */
PyObject *sslmod_groups_set_server_sigalgs(PyObject *ctx, PyObject *arg); /* METH_O */
PyObject *sslmod_groups_get_sigalgs(PyObject *module, PyObject *unused);  /* NOARGS */
PyObject *sslmod_groups_group(PyObject *conn, PyObject *unused);          /* NOARGS */
PyObject *sslmod_groups_client_sigalg(PyObject *conn, PyObject *unused);  /* NOARGS */
PyObject *sslmod_groups_server_sigalg(PyObject *conn, PyObject *unused);  /* NOARGS */

/* ocsp.c: OCSP stapling, server and client. */
enum { SSLMOD_OCSP_NONE = 0, SSLMOD_OCSP_OPTIONAL = 1, SSLMOD_OCSP_REQUIRED = 2 };
/* Install the status callback on a new context (once, never reset). */
void sslmod_ocsp_context_init(sslmod_context *self);
PyObject *sslmod_ocsp_set_response(PyObject *ctx, PyObject *arg); /* METH_O */
PyObject *sslmod_ocsp_get_stapling(PyObject *ctx, void *closure);
int sslmod_ocsp_set_stapling(PyObject *ctx, PyObject *value, void *closure);
PyObject *sslmod_ocsp_response(PyObject *conn, PyObject *unused); /* NOARGS */

#endif /* SSLMOD_H */
