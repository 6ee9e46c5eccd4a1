/* membio_ceiling.c: the MemoryBIO round trip of benchmarks/icount.py done
 * by C straight over OpenSSL, with no Python at all: what any binding can at
 * best reach on that case.
 *
 *   membio_ceiling CERTDIR SIZE N RELEASE
 *
 * Makes a TLS server context (server-rsa-chain.pem, server-rsa.key) and a
 * client context trusting ca.pem, joins one connection of each through
 * four memory BIOs, completes the handshake, then does N round trips of
 * SIZE bytes exactly as the Python case does: the client writes, its
 * outgoing bytes are read out into a fresh buffer and written into the
 * server's incoming BIO, the server reads SIZE, writes back what it got,
 * and the same way back to the client, which reads it.  RELEASE 1 sets
 * SSL_MODE_RELEASE_BUFFERS on both contexts, as Python's ssl does; 0 does
 * not.  benchmarks/icount.py --ceiling builds and counts it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

static void
fail(const char *what)
{
    fprintf(stderr, "membio_ceiling: %s\n", what);
    ERR_print_errors_fp(stderr);
    exit(1);
}

typedef struct {
    SSL *ssl;
    BIO *in;  /* what the peer sent, for us to read */
    BIO *out; /* what we wrote, for the peer */
} end;

static void
join(SSL_CTX *ctx, end *e, int server)
{
    e->ssl = SSL_new(ctx);
    e->in = BIO_new(BIO_s_mem());
    e->out = BIO_new(BIO_s_mem());
    if (e->ssl == NULL || e->in == NULL || e->out == NULL) {
        fail("SSL_new/BIO_new");
    }
    /* Both BIOs say "retry" when empty, as a MemoryBIO does. */
    BIO_set_mem_eof_return(e->in, -1);
    BIO_set_mem_eof_return(e->out, -1);
    SSL_set_bio(e->ssl, e->in, e->out);
    if (server) {
        SSL_set_accept_state(e->ssl);
    }
    else {
        SSL_set_connect_state(e->ssl);
        SSL_set_tlsext_host_name(e->ssl, "localhost");
        SSL_set1_host(e->ssl, "localhost");
    }
}

/* Move what FROM wrote into TO's incoming BIO, through a fresh buffer (the
 * bytes object MemoryBIO.read() returns). */
static void
carry(end *from, end *to)
{
    int n = (int)BIO_pending(from->out);
    char *buf;
    if (n <= 0) {
        return;
    }
    buf = malloc((size_t)n);
    if (buf == NULL || BIO_read(from->out, buf, n) != n || BIO_write(to->in, buf, n) != n) {
        fail("carry");
    }
    free(buf);
}

static void
handshake(end *c, end *s)
{
    int cdone = 0, sdone = 0;
    for (int i = 0; i < 50 && !(cdone && sdone); i++) {
        cdone = cdone || SSL_do_handshake(c->ssl) == 1;
        carry(c, s);
        sdone = sdone || SSL_do_handshake(s->ssl) == 1;
        carry(s, c);
    }
    if (!(cdone && sdone)) {
        fail("handshake");
    }
}

/* Read up to SIZE into a fresh buffer (the bytes object read() returns). */
static char *
read_fresh(end *e, size_t size, size_t *got)
{
    char *buf = malloc(size);
    if (buf == NULL || !SSL_read_ex(e->ssl, buf, size, got)) {
        fail("SSL_read_ex");
    }
    return buf;
}

int
main(int argc, char **argv)
{
    char path[4096];
    SSL_CTX *sctx, *cctx;
    end c, s;
    size_t size, got, written;
    long n;
    char *payload, *buf;

    if (argc != 5) {
        fprintf(stderr, "usage: membio_ceiling CERTDIR SIZE N RELEASE\n");
        return 2;
    }
    size = (size_t)atol(argv[2]);
    n = atol(argv[3]);
    sctx = SSL_CTX_new(TLS_server_method());
    cctx = SSL_CTX_new(TLS_client_method());
    if (sctx == NULL || cctx == NULL) {
        fail("SSL_CTX_new");
    }
    snprintf(path, sizeof(path), "%s/server-rsa-chain.pem", argv[1]);
    if (SSL_CTX_use_certificate_chain_file(sctx, path) != 1) {
        fail(path);
    }
    snprintf(path, sizeof(path), "%s/server-rsa.key", argv[1]);
    if (SSL_CTX_use_PrivateKey_file(sctx, path, SSL_FILETYPE_PEM) != 1) {
        fail(path);
    }
    snprintf(path, sizeof(path), "%s/ca.pem", argv[1]);
    if (SSL_CTX_load_verify_locations(cctx, path, NULL) != 1) {
        fail(path);
    }
    SSL_CTX_set_verify(cctx, SSL_VERIFY_PEER, NULL);
    if (atoi(argv[4])) {
        SSL_CTX_set_mode(sctx, SSL_MODE_RELEASE_BUFFERS);
        SSL_CTX_set_mode(cctx, SSL_MODE_RELEASE_BUFFERS);
    }
    join(sctx, &s, 1);
    join(cctx, &c, 0);
    handshake(&c, &s);

    payload = malloc(size);
    if (payload == NULL) {
        fail("malloc");
    }
    memset(payload, 'r', size);
    for (long i = 0; i < n; i++) {
        if (!SSL_write_ex(c.ssl, payload, size, &written)) {
            fail("client write");
        }
        carry(&c, &s);
        buf = read_fresh(&s, size, &got);
        if (!SSL_write_ex(s.ssl, buf, got, &written)) {
            fail("server write");
        }
        free(buf);
        carry(&s, &c);
        free(read_fresh(&c, size, &got));
    }
    free(payload);
    SSL_free(c.ssl);
    SSL_free(s.ssl);
    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);
    return 0;
}
