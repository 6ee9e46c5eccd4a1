"""sslmod: TLS/SSL for CPython over OpenSSL 3, a drop-in for ssl and _ssl."""
__version__ = "0.1.0"
