/* callbacks.c: placeholder, being written. */
#include "sslmod.h"

int sslmod_cb_servername(SSL *ssl, int *alert, void *arg)
{ (void)ssl; (void)alert; (void)arg; return SSL_TLSEXT_ERR_NOACK; }
void sslmod_cb_msg(int write_p, int version, int content_type, const void *buf,
                   size_t len, SSL *ssl, void *arg)
{ (void)write_p; (void)version; (void)content_type; (void)buf; (void)len; (void)ssl; (void)arg; }
void sslmod_cb_keylog(const SSL *ssl, const char *line) { (void)ssl; (void)line; }
int sslmod_cb_alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                          const unsigned char *in, unsigned int inlen, void *arg)
{ (void)ssl; (void)out; (void)outlen; (void)in; (void)inlen; (void)arg; return SSL_TLSEXT_ERR_NOACK; }
int sslmod_cb_npn_advertise(SSL *ssl, const unsigned char **data, unsigned int *len, void *arg)
{ (void)ssl; (void)data; (void)len; (void)arg; return SSL_TLSEXT_ERR_NOACK; }
int sslmod_cb_npn_select(SSL *ssl, unsigned char **out, unsigned char *outlen,
                         const unsigned char *in, unsigned int inlen, void *arg)
{ (void)ssl; (void)out; (void)outlen; (void)in; (void)inlen; (void)arg; return SSL_TLSEXT_ERR_NOACK; }
unsigned int sslmod_cb_psk_client(SSL *ssl, const char *hint, char *identity,
                                  unsigned int max_identity_len, unsigned char *psk,
                                  unsigned int max_psk_len)
{ (void)ssl; (void)hint; (void)identity; (void)max_identity_len; (void)psk; (void)max_psk_len; return 0; }
unsigned int sslmod_cb_psk_server(SSL *ssl, const char *identity, unsigned char *psk,
                                  unsigned int max_psk_len)
{ (void)ssl; (void)identity; (void)psk; (void)max_psk_len; return 0; }
