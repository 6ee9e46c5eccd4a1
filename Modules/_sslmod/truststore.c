/* truststore.c: trust sources (the default verify paths, a CA file and
 * directory, cadata) parsed once per module and shared between contexts as
 * read-only X509_STOREs.
 *
 * Parsing a CA bundle is most of what a new client context costs on
 * OpenSSL 3 (CPython gh-95031), and every context used to parse its own
 * copy.  Here the first load of a source builds an X509_STORE, with the very
 * OpenSSL calls a context would have made, and keeps it.  A context whose
 * store is still empty simply takes that store (SSL_CTX_set1_cert_store);
 * OpenSSL reference-counts stores and certificates.  Before anything would
 * change a shared store (another source, cadata, CRLs), context.c asks for
 * a private copy (sslmod_trust_make_private): copy on write.
 *
 * A CA file is identified by its path and by what stat() says of it (device,
 * inode, size, modification time), so a file rewritten on disk is parsed
 * again.  A directory is never read ahead: it stays a lazy hash-directory
 * lookup, as OpenSSL does it.
 *
 * Everything here runs without the GIL and touches no Python object; the
 * cache has its own lock. */
#include "sslmod.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/pem.h>

/* At most this many sources are remembered; the oldest goes first. */
#define TRUST_CACHE_MAX 32

/* What stat() said of a file when it was parsed (all zero: no such file). */
typedef struct {
    dev_t dev;
    ino_t ino;
    off_t size;
    long long mtime_ns;
    long long ctime_ns;
} file_id;

typedef struct trust_entry {
    struct trust_entry *next;
    sslmod_trust_kind kind;
    char *file;          /* the CA file, the resolved default one for DEFAULT */
    char *dir;           /* the CA directory, or NULL */
    file_id id;          /* of FILE when it was parsed */
    unsigned char *data; /* CADATA: a copy of the bytes */
    size_t len;
    int pem;
    X509_STORE *store; /* one reference, held by the cache */
} trust_entry;

struct sslmod_trust_cache {
    PyThread_type_lock lock;
    trust_entry *head; /* most recently built first */
    int count;
};

/* ---- small helpers ------------------------------------------------- */

static char *
dup_or_null(const char *s)
{
    char *copy;
    size_t n;
    if (s == NULL) {
        return NULL;
    }
    n = strlen(s) + 1;
    copy = malloc(n);
    if (copy != NULL) {
        memcpy(copy, s, n);
    }
    return copy;
}

static int
same_str(const char *a, const char *b)
{
    if (a == NULL || b == NULL) {
        return a == b;
    }
    return strcmp(a, b) == 0;
}

static void
identify(const char *path, file_id *id)
{
    struct stat sb;
    memset(id, 0, sizeof(*id));
    if (path == NULL || stat(path, &sb) != 0) {
        return;
    }
    id->dev = sb.st_dev;
    id->ino = sb.st_ino;
    id->size = sb.st_size;
    id->mtime_ns = (long long)sb.st_mtim.tv_sec * 1000000000LL + sb.st_mtim.tv_nsec;
    id->ctime_ns = (long long)sb.st_ctim.tv_sec * 1000000000LL + sb.st_ctim.tv_nsec;
}

static int
same_id(const file_id *a, const file_id *b)
{
    return a->dev == b->dev && a->ino == b->ino && a->size == b->size && a->mtime_ns == b->mtime_ns
           && a->ctime_ns == b->ctime_ns;
}

/* The environment as OpenSSL reads it: not at all in a setuid program. */
static const char *
openssl_env(const char *name)
{
#if defined(__GLIBC__)
    return secure_getenv(name);
#else
    return getenv(name);
#endif
}

static void
entry_free(trust_entry *e)
{
    if (e == NULL) {
        return;
    }
    X509_STORE_free(e->store);
    free(e->file);
    free(e->dir);
    free(e->data);
    free(e);
}

/* ---- what a source is ---------------------------------------------- */

/* Fill the parts of E that name SRC: the files and directories it stands
 * for, as they are now.  0, or -1 out of memory. */
static int
describe(trust_entry *e, const sslmod_trust_source *src)
{
    const char *file = src->file, *dir = src->dir;
    e->kind = src->kind;
    if (src->kind == SSLMOD_TRUST_DEFAULT) {
        file = openssl_env(X509_get_default_cert_file_env());
        if (file == NULL) {
            file = X509_get_default_cert_file();
        }
        dir = openssl_env(X509_get_default_cert_dir_env());
        if (dir == NULL) {
            dir = X509_get_default_cert_dir();
        }
    }
    if (src->kind == SSLMOD_TRUST_CADATA) {
        e->len = src->len;
        e->pem = src->pem;
        e->data = malloc(src->len ? src->len : 1);
        if (e->data == NULL) {
            return -1;
        }
        memcpy(e->data, src->data, src->len);
        return 0;
    }
    e->file = dup_or_null(file);
    e->dir = dup_or_null(dir);
    if ((file != NULL && e->file == NULL) || (dir != NULL && e->dir == NULL)) {
        return -1;
    }
    identify(e->file, &e->id);
    return 0;
}

/* Whether the cached entry E stands for the source KEY describes. */
static int
matches(const trust_entry *e, const trust_entry *key)
{
    if (e->kind != key->kind) {
        return 0;
    }
    if (e->kind == SSLMOD_TRUST_CADATA) {
        return e->pem == key->pem && e->len == key->len && memcmp(e->data, key->data, e->len) == 0;
    }
    return same_str(e->file, key->file) && same_str(e->dir, key->dir) && same_id(&e->id, &key->id);
}

/* ---- building a shared store --------------------------------------- */

/* Whether ERR, after d2i_X509_bio() failed, only means "no more input".
 * 3.12+ accept only a clean end; older interpreters also shrug off a stray
 * byte or two (a header that cannot be read). */
static int
der_at_end(unsigned long err)
{
    if (err == 0) {
        return 1;
    }
#if PY_VERSION_HEX < 0x030C0000
    if (ERR_GET_LIB(err) == ERR_LIB_ASN1 && ERR_GET_REASON(err) == ASN1_R_HEADER_TOO_LONG) {
        return 1;
    }
#endif
    return 0;
}

/* Whether the error queue, once a certificate could not be read, says only
 * that the input ran out. */
static int
clean_stop(int pem)
{
    unsigned long err = ERR_peek_last_error();
    if (err == 0) {
        return 1; /* nothing queued: OpenSSL saw no certificate to report on */
    }
    if (pem) {
        return ERR_GET_LIB(err) == ERR_LIB_PEM && ERR_GET_REASON(err) == PEM_R_NO_START_LINE;
    }
    return der_at_end(err);
}

int
sslmod_trust_add_cadata(X509_STORE *store, const char *data, size_t len, int pem)
{
    BIO *bio = NULL;
    X509 *cert = NULL;
    int loaded = 0, rc = SSLMOD_CADATA_ERROR;

    if (len > INT_MAX) {
        goto done;
    }
    bio = BIO_new_mem_buf(data, (int)len);
    if (bio == NULL) {
        goto done;
    }
    for (;;) {
        cert = pem ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : d2i_X509_bio(bio, NULL);
        if (cert == NULL) {
            if (loaded == 0) {
                rc = SSLMOD_CADATA_EMPTY;
            }
            else if (clean_stop(pem)) {
                ERR_clear_error();
                rc = SSLMOD_CADATA_OK;
            }
            /* else a broken or truncated certificate: the queue says how */
            goto done;
        }
        /* OpenSSL 3 skips a certificate the store already has. */
        if (!X509_STORE_add_cert(store, cert)) {
            goto done;
        }
        X509_free(cert);
        cert = NULL;
        loaded++;
    }
done:
    X509_free(cert);
    BIO_free(bio);
    return rc;
}

/* A new store with SRC loaded exactly as a context would load it, or NULL
 * if loading failed (the caller then loads the source the ordinary way,
 * which raises the ordinary error). */
static X509_STORE *
build(const trust_entry *key, const sslmod_trust_source *src)
{
    X509_STORE *store = X509_STORE_new();
    int ok = 0;

    if (store == NULL) {
        goto done;
    }
    switch (key->kind) {
    case SSLMOD_TRUST_DEFAULT:
        ok = X509_STORE_set_default_paths(store);
        break;
    case SSLMOD_TRUST_LOCATIONS:
        ok = X509_STORE_load_locations(store, src->file, src->dir);
        break;
    case SSLMOD_TRUST_CADATA:
        ok = sslmod_trust_add_cadata(store, src->data, src->len, src->pem) == SSLMOD_CADATA_OK;
        break;
    }
done:
    ERR_clear_error();
    if (!ok) {
        X509_STORE_free(store);
        store = NULL;
    }
    return store;
}

/* ---- the cache ----------------------------------------------------- */

sslmod_trust_cache *
sslmod_trust_cache_new(void)
{
    sslmod_trust_cache *cache = calloc(1, sizeof(*cache));
    if (cache == NULL) {
        return NULL;
    }
    cache->lock = PyThread_allocate_lock();
    if (cache->lock == NULL) {
        free(cache);
        return NULL;
    }
    return cache;
}

void
sslmod_trust_cache_free(sslmod_trust_cache *cache)
{
    trust_entry *e, *next;
    if (cache == NULL) {
        return;
    }
    for (e = cache->head; e != NULL; e = next) {
        next = e->next;
        entry_free(e);
    }
    PyThread_free_lock(cache->lock);
    free(cache);
}

/* Put E first, dropping an older entry for the same source and the oldest
 * one beyond the limit.  Holds the cache lock. */
static void
remember(sslmod_trust_cache *cache, trust_entry *e)
{
    trust_entry **link, *old;
    for (link = &cache->head; *link != NULL;) {
        old = *link;
        if (old->kind == e->kind && same_str(old->file, e->file) && same_str(old->dir, e->dir)
            && old->kind != SSLMOD_TRUST_CADATA) {
            *link = old->next; /* the file changed: forget the stale copy */
            entry_free(old);
            cache->count--;
            continue;
        }
        link = &old->next;
    }
    e->next = cache->head;
    cache->head = e;
    cache->count++;
    if (cache->count > TRUST_CACHE_MAX) {
        for (link = &cache->head; (*link)->next != NULL; link = &(*link)->next) {
        }
        entry_free(*link);
        *link = NULL;
        cache->count--;
    }
}

X509_STORE *
sslmod_trust_get(sslmod_trust_cache *cache, const sslmod_trust_source *src)
{
    trust_entry key = {0}, *e, *fresh = NULL;
    X509_STORE *res = NULL;

    if (describe(&key, src) < 0) {
        goto cleanup;
    }
    PyThread_acquire_lock(cache->lock, WAIT_LOCK);
    for (e = cache->head; e != NULL; e = e->next) {
        if (matches(e, &key)) {
            X509_STORE_up_ref(e->store);
            res = e->store;
            break;
        }
    }
    if (res == NULL) {
        /* Built under the lock: two threads asking at once parse once. */
        X509_STORE *store = build(&key, src);
        fresh = store ? malloc(sizeof(*fresh)) : NULL;
        if (fresh != NULL) {
            *fresh = key; /* takes over KEY's strings */
            memset(&key, 0, sizeof(key));
            fresh->store = store;
            X509_STORE_up_ref(store);
            res = store;
            remember(cache, fresh);
        }
        else {
            X509_STORE_free(store);
        }
    }
    PyThread_release_lock(cache->lock);
cleanup:
    free(key.file);
    free(key.dir);
    free(key.data);
    return res;
}

/* ---- copy on write ------------------------------------------------- */

/* Give STORE the lazy lookups a source of KIND installs (the certificates
 * themselves are copied separately).  1 ok, 0 failure. */
static int
add_lookups(X509_STORE *store, sslmod_trust_kind kind, const char *dir)
{
    X509_LOOKUP *lookup;
    if (kind == SSLMOD_TRUST_DEFAULT) {
        lookup = X509_STORE_add_lookup(store, X509_LOOKUP_hash_dir());
        if (lookup == NULL) {
            return 0;
        }
        X509_LOOKUP_add_dir(lookup, NULL, X509_FILETYPE_DEFAULT);
        lookup = X509_STORE_add_lookup(store, X509_LOOKUP_store());
        if (lookup == NULL) {
            return 0;
        }
        X509_LOOKUP_add_store(lookup, NULL);
        ERR_clear_error();
        return 1;
    }
    if (kind == SSLMOD_TRUST_LOCATIONS && dir != NULL) {
        return X509_STORE_load_path(store, dir);
    }
    return 1;
}

int
sslmod_trust_merge(X509_STORE *dst, X509_STORE *shared, sslmod_trust_kind kind, const char *dir)
{
    STACK_OF(X509_OBJECT) *objs;
    int ok = 1;

    /* The shared store may be growing under us (a hash-directory lookup
     * adds what it finds): walk it under its lock. */
    X509_STORE_lock(shared);
    objs = X509_STORE_get0_objects(shared);
    for (int i = 0; ok && i < sk_X509_OBJECT_num(objs); i++) {
        X509_OBJECT *obj = sk_X509_OBJECT_value(objs, i);
        X509 *cert = X509_OBJECT_get0_X509(obj);
        X509_CRL *crl = X509_OBJECT_get0_X509_CRL(obj);
        if (cert != NULL) {
            ok = X509_STORE_add_cert(dst, cert);
        }
        else if (crl != NULL) {
            ok = X509_STORE_add_crl(dst, crl);
        }
    }
    X509_STORE_unlock(shared);
    return ok && add_lookups(dst, kind, dir);
}
