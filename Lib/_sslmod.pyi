"""Types of sslmod._sslmod, the C core (a drop-in for the interpreter's _ssl)."""
import socket
import sys
from collections.abc import Callable
from typing import Any, Literal, TypedDict, final, overload

from typing_extensions import Buffer, Self, TypeAlias, disjoint_base

_StrOrBytesPath: TypeAlias = str | bytes
_Password: TypeAlias = Callable[[], str | bytes | bytearray] | str | bytes | bytearray
_NameRDN: TypeAlias = tuple[tuple[str, str], ...]

class _PeerCertDict(TypedDict, total=False):
    """A certificate as getpeercert() / get_info() / _test_decode_cert() show it."""

    subject: tuple[_NameRDN, ...]
    issuer: tuple[_NameRDN, ...]
    version: int
    serialNumber: str
    notBefore: str
    notAfter: str
    subjectAltName: tuple[tuple[str, str], ...]
    OCSP: tuple[str, ...]
    caIssuers: tuple[str, ...]
    crlDistributionPoints: tuple[str, ...]

class _CipherDict(TypedDict):
    id: int
    name: str
    protocol: str
    description: str
    strength_bits: int
    alg_bits: int
    aead: bool
    symmetric: str | None
    digest: str | None
    kea: str
    auth: str

class _CertStoreStats(TypedDict):
    x509: int
    crl: int
    x509_ca: int

class _SessionStats(TypedDict):
    number: int
    connect: int
    connect_good: int
    connect_renegotiate: int
    accept: int
    accept_good: int
    accept_renegotiate: int
    hits: int
    misses: int
    timeouts: int
    cache_full: int

_PskClientCallback: TypeAlias = Callable[[str | None], tuple[str | None, bytes]]
_PskServerCallback: TypeAlias = Callable[[str | None], bytes]
_SniCallback: TypeAlias = Callable[[Any, str | None, Any], int | None]

# ---- exceptions (also subclasses of the interpreter's classes of the same name) ----

class SSLError(OSError):
    library: str | None
    reason: str | None

class SSLZeroReturnError(SSLError): ...
class SSLWantReadError(SSLError): ...
class SSLWantWriteError(SSLError): ...
class SSLSyscallError(SSLError): ...
class SSLEOFError(SSLError): ...

class SSLCertVerificationError(SSLError, ValueError):
    verify_code: int | None
    verify_message: str | None

# ---- types ----

@final
class _Certificate:
    """An X.509 certificate of a peer's chain (the C type)."""

    def get_info(self) -> _PeerCertDict: ...
    @overload
    def public_bytes(self) -> str: ...
    @overload
    def public_bytes(self, format: Literal[1]) -> str: ...
    @overload
    def public_bytes(self, format: Literal[2]) -> bytes: ...
    @overload
    def public_bytes(self, format: int) -> str | bytes: ...

if sys.version_info >= (3, 10):
    Certificate = _Certificate

@final
class MemoryBIO:
    """A buffer of bytes for SSLObject, in place of a socket."""

    @property
    def pending(self) -> int: ...
    @property
    def eof(self) -> bool: ...
    def read(self, size: int = -1, /) -> bytes: ...
    def write(self, b: Buffer, /) -> int: ...
    def write_eof(self) -> None: ...

@final
class SSLSession:
    """A TLS session, reusable for resumption on the same context."""

    @property
    def has_ticket(self) -> bool: ...
    @property
    def id(self) -> bytes: ...
    @property
    def ticket_lifetime_hint(self) -> int: ...
    @property
    def time(self) -> int: ...
    @property
    def timeout(self) -> int: ...
    def __eq__(self, value: object, /) -> bool: ...
    def __ne__(self, value: object, /) -> bool: ...
    __hash__: None  # type: ignore[assignment]

@disjoint_base
class _SSLContext:
    """An SSL_CTX: settings, certificates and callbacks shared by connections."""

    check_hostname: bool
    keylog_filename: str | None
    maximum_version: int
    minimum_version: int
    num_tickets: int
    options: int
    post_handshake_auth: bool
    sni_callback: _SniCallback | None
    verify_flags: int
    verify_mode: int
    _host_flags: int
    _msg_callback: Callable[..., object] | None
    @property
    def protocol(self) -> int: ...
    @property
    def security_level(self) -> int: ...  # sslmod: on every interpreter (the stdlib: 3.10+)
    def __new__(cls, protocol: int) -> Self: ...
    def cert_store_stats(self) -> _CertStoreStats: ...
    @overload
    def get_ca_certs(self, binary_form: Literal[False] = False) -> list[_PeerCertDict]: ...
    @overload
    def get_ca_certs(self, binary_form: Literal[True]) -> list[bytes]: ...
    @overload
    def get_ca_certs(self, binary_form: bool = False) -> list[_PeerCertDict] | list[bytes]: ...
    def get_ciphers(self) -> list[_CipherDict]: ...
    def load_cert_chain(
        self, certfile: _StrOrBytesPath | None = None, keyfile: _StrOrBytesPath | None = None,
        password: _Password | None = None, *, certdata: str | Buffer | None = None,
        keydata: str | Buffer | None = None,
    ) -> None: ...
    # sslmod: beyond the stdlib (3.15's names), on every interpreter
    ocsp_stapling: int
    release_buffers: bool
    def set_groups(self, groups: str, /) -> None: ...
    def get_groups(self, *, include_aliases: bool = False) -> list[str]: ...
    def set_ciphersuites(self, ciphersuites: str, /) -> None: ...
    def set_client_sigalgs(self, sigalgs: str, /) -> None: ...
    def set_server_sigalgs(self, sigalgs: str, /) -> None: ...
    def set_ocsp_response(
        self, response: Buffer | Callable[[Any], Buffer | None] | None, /
    ) -> None: ...
    def load_dh_params(self, path: _StrOrBytesPath, /) -> None: ...
    def load_verify_locations(
        self, cafile: _StrOrBytesPath | None = None, capath: _StrOrBytesPath | None = None,
        cadata: str | Buffer | None = None,
    ) -> None: ...
    def session_stats(self) -> _SessionStats: ...
    def set_ciphers(self, cipherlist: str, /) -> None: ...
    def set_default_verify_paths(self) -> None: ...
    def set_ecdh_curve(self, name: str | bytes, /) -> None: ...
    # sslmod: PSK on every interpreter (the stdlib: 3.13+)
    def set_psk_client_callback(self, callback: _PskClientCallback | None) -> None: ...
    def set_psk_server_callback(
        self, callback: _PskServerCallback | None, identity_hint: str | None = None
    ) -> None: ...
    def _set_alpn_protocols(self, protos: Buffer, /) -> None: ...
    if sys.version_info < (3, 10):
        def _set_npn_protocols(self, protos: Buffer, /) -> None: ...

    def _wrap_bio(
        self, incoming: MemoryBIO, outgoing: MemoryBIO, server_side: bool,
        server_hostname: str | bytes | None = None, *, owner: object = None,
        session: SSLSession | None = None,
    ) -> _SSLSocket: ...
    def _wrap_socket(
        self, sock: socket.socket, server_side: bool, server_hostname: str | bytes | None = None,
        *, owner: object = None, session: SSLSession | None = None,
    ) -> _SSLSocket: ...

@final
class _SSLSocket:
    """An SSL*: one TLS connection, over a socket or a pair of MemoryBIOs."""

    context: _SSLContext
    owner: object
    session: SSLSession | None
    @property
    def server_hostname(self) -> str | None: ...
    @property
    def server_side(self) -> bool: ...
    @property
    def session_reused(self) -> bool: ...
    def cipher(self) -> tuple[str, str, int] | None: ...
    def compression(self) -> str | None: ...
    def do_handshake(self) -> None: ...
    def get_channel_binding(self, cb_type: str = "tls-unique") -> bytes | None: ...
    # sslmod: on every interpreter (the stdlib: 3.10+)
    def get_unverified_chain(self) -> list[_Certificate] | None: ...
    def get_verified_chain(self) -> list[_Certificate] | None: ...
    @overload
    def getpeercert(self, der: Literal[False] = False, /) -> _PeerCertDict | None: ...
    @overload
    def getpeercert(self, der: Literal[True], /) -> bytes | None: ...
    @overload
    def getpeercert(self, der: bool, /) -> _PeerCertDict | bytes | None: ...
    def pending(self) -> int: ...
    @overload
    def read(self, size: int, /) -> bytes: ...
    @overload
    def read(self, size: int, buffer: Buffer, /) -> int: ...
    def selected_alpn_protocol(self) -> str | None: ...
    def shared_ciphers(self) -> list[tuple[str, str, int]] | None: ...
    def shutdown(self) -> socket.socket | None: ...
    def verify_client_post_handshake(self) -> None: ...
    def version(self) -> str | None: ...
    def write(self, b: Buffer, /) -> int: ...
    # sslmod: beyond the stdlib, on every interpreter
    def export_keying_material(
        self, label: str | bytes, length: int, context: Buffer | None = None
    ) -> bytes: ...
    def group(self) -> str | None: ...
    def client_sigalg(self) -> str | None: ...
    def server_sigalg(self) -> str | None: ...
    def ocsp_response(self) -> bytes | None: ...

# ---- functions ----

def RAND_add(string: str | Buffer, entropy: float, /) -> None: ...
def RAND_bytes(n: int, /) -> bytes: ...
def RAND_pseudo_bytes(n: int, /) -> tuple[bytes, bool]: ...
def RAND_status() -> bool: ...
def get_default_verify_paths() -> tuple[str, str, str, str]: ...
def get_sigalgs() -> list[str]: ...
def nid2obj(nid: int, /) -> tuple[int, str, str, str]: ...
def txt2obj(txt: str, name: bool = False) -> tuple[int, str, str, str]: ...
def _test_decode_cert(path: _StrOrBytesPath, /) -> _PeerCertDict: ...

# ---- constants ----

OPENSSL_VERSION: str
OPENSSL_VERSION_INFO: tuple[int, int, int, int, int]
OPENSSL_VERSION_NUMBER: int
_OPENSSL_API_VERSION: tuple[int, int, int, int, int]
_OPENSSL_BUILD_VERSION: str
_DEFAULT_CIPHERS: str
err_codes_to_names: dict[tuple[int, int], str]
err_names_to_codes: dict[str, tuple[int, int]]
lib_codes_to_names: dict[int, str]

ALERT_DESCRIPTION_ACCESS_DENIED: int
ALERT_DESCRIPTION_BAD_CERTIFICATE: int
ALERT_DESCRIPTION_BAD_CERTIFICATE_HASH_VALUE: int
ALERT_DESCRIPTION_BAD_CERTIFICATE_STATUS_RESPONSE: int
ALERT_DESCRIPTION_BAD_RECORD_MAC: int
ALERT_DESCRIPTION_CERTIFICATE_EXPIRED: int
ALERT_DESCRIPTION_CERTIFICATE_REVOKED: int
ALERT_DESCRIPTION_CERTIFICATE_UNKNOWN: int
ALERT_DESCRIPTION_CERTIFICATE_UNOBTAINABLE: int
ALERT_DESCRIPTION_CLOSE_NOTIFY: int
ALERT_DESCRIPTION_DECODE_ERROR: int
ALERT_DESCRIPTION_DECOMPRESSION_FAILURE: int
ALERT_DESCRIPTION_DECRYPT_ERROR: int
ALERT_DESCRIPTION_HANDSHAKE_FAILURE: int
ALERT_DESCRIPTION_ILLEGAL_PARAMETER: int
ALERT_DESCRIPTION_INSUFFICIENT_SECURITY: int
ALERT_DESCRIPTION_INTERNAL_ERROR: int
ALERT_DESCRIPTION_NO_RENEGOTIATION: int
ALERT_DESCRIPTION_PROTOCOL_VERSION: int
ALERT_DESCRIPTION_RECORD_OVERFLOW: int
ALERT_DESCRIPTION_UNEXPECTED_MESSAGE: int
ALERT_DESCRIPTION_UNKNOWN_CA: int
ALERT_DESCRIPTION_UNKNOWN_PSK_IDENTITY: int
ALERT_DESCRIPTION_UNRECOGNIZED_NAME: int
ALERT_DESCRIPTION_UNSUPPORTED_CERTIFICATE: int
ALERT_DESCRIPTION_UNSUPPORTED_EXTENSION: int
ALERT_DESCRIPTION_USER_CANCELLED: int
CERT_NONE: int
CERT_OPTIONAL: int
CERT_REQUIRED: int
ENCODING_DER: int
ENCODING_PEM: int
HAS_ALPN: bool
HAS_ECDH: bool
HAS_NPN: bool
HAS_PHA: bool
HAS_PSK: bool
HAS_PSK_TLS13: bool
HAS_SNI: bool
HAS_SSLv2: bool
HAS_SSLv3: bool
HAS_TLS_UNIQUE: bool
HAS_TLSv1: bool
HAS_TLSv1_1: bool
HAS_TLSv1_2: bool
HAS_TLSv1_3: bool
HOSTFLAG_ALWAYS_CHECK_SUBJECT: int
HOSTFLAG_MULTI_LABEL_WILDCARDS: int
HOSTFLAG_NEVER_CHECK_SUBJECT: int
HOSTFLAG_NO_PARTIAL_WILDCARDS: int
HOSTFLAG_NO_WILDCARDS: int
HOSTFLAG_SINGLE_LABEL_SUBDOMAINS: int
OP_ALL: int
OP_CIPHER_SERVER_PREFERENCE: int
OP_ENABLE_KTLS: int
OP_ENABLE_MIDDLEBOX_COMPAT: int
OP_IGNORE_UNEXPECTED_EOF: int
OP_LEGACY_SERVER_CONNECT: int
OP_NO_COMPRESSION: int
OP_NO_RENEGOTIATION: int
OP_NO_SSLv2: int
OP_NO_SSLv3: int
OP_NO_TICKET: int
OP_NO_TLSv1: int
OP_NO_TLSv1_1: int
OP_NO_TLSv1_2: int
OP_NO_TLSv1_3: int
OP_SINGLE_DH_USE: int
OP_SINGLE_ECDH_USE: int
PROTOCOL_SSLv23: int
PROTOCOL_TLS: int
PROTOCOL_TLS_CLIENT: int
PROTOCOL_TLS_SERVER: int
PROTOCOL_TLSv1: int
PROTOCOL_TLSv1_1: int
PROTOCOL_TLSv1_2: int
PROTO_MAXIMUM_SUPPORTED: int
PROTO_MINIMUM_SUPPORTED: int
PROTO_SSLv3: int
PROTO_TLSv1: int
PROTO_TLSv1_1: int
PROTO_TLSv1_2: int
PROTO_TLSv1_3: int
SSL_ERROR_EOF: int
SSL_ERROR_INVALID_ERROR_CODE: int
SSL_ERROR_SSL: int
SSL_ERROR_SYSCALL: int
SSL_ERROR_WANT_CONNECT: int
SSL_ERROR_WANT_READ: int
SSL_ERROR_WANT_WRITE: int
SSL_ERROR_WANT_X509_LOOKUP: int
SSL_ERROR_ZERO_RETURN: int
VERIFY_ALLOW_PROXY_CERTS: int
VERIFY_CRL_CHECK_CHAIN: int
VERIFY_CRL_CHECK_LEAF: int
VERIFY_DEFAULT: int
VERIFY_X509_PARTIAL_CHAIN: int
VERIFY_X509_STRICT: int
VERIFY_X509_TRUSTED_FIRST: int
OCSP_NONE: int
OCSP_OPTIONAL: int
OCSP_REQUIRED: int
