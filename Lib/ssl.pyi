"""Types of sslmod.ssl (``import sslmod as ssl``): the interpreter's ssl API on
sslmod's C core, with sslmod's additions on every interpreter."""
import enum
import socket
import sys
from _typeshed import ReadableBuffer, StrOrBytesPath, WriteableBuffer
from collections.abc import Callable, Iterable
from typing import Any, Final, Literal, NamedTuple, overload

from typing_extensions import Never, Self, TypeAlias, deprecated

from sslmod._sslmod import (
    HAS_ALPN as HAS_ALPN,
    HAS_ECDH as HAS_ECDH,
    HAS_NPN as HAS_NPN,
    HAS_PHA as HAS_PHA,
    HAS_PSK as HAS_PSK,
    HAS_PSK_TLS13 as HAS_PSK_TLS13,
    HAS_SNI as HAS_SNI,
    HAS_SSLv2 as HAS_SSLv2,
    HAS_SSLv3 as HAS_SSLv3,
    HAS_TLS_UNIQUE as HAS_TLS_UNIQUE,
    HAS_TLSv1 as HAS_TLSv1,
    HAS_TLSv1_1 as HAS_TLSv1_1,
    HAS_TLSv1_2 as HAS_TLSv1_2,
    HAS_TLSv1_3 as HAS_TLSv1_3,
    OPENSSL_VERSION as OPENSSL_VERSION,
    OPENSSL_VERSION_INFO as OPENSSL_VERSION_INFO,
    OPENSSL_VERSION_NUMBER as OPENSSL_VERSION_NUMBER,
    MemoryBIO as MemoryBIO,
    RAND_add as RAND_add,
    RAND_bytes as RAND_bytes,
    RAND_status as RAND_status,
    SSLCertVerificationError as SSLCertVerificationError,
    SSLEOFError as SSLEOFError,
    SSLError as SSLError,
    SSLSession as SSLSession,
    SSLSyscallError as SSLSyscallError,
    SSLWantReadError as SSLWantReadError,
    SSLWantWriteError as SSLWantWriteError,
    SSLZeroReturnError as SSLZeroReturnError,
    _PeerCertDict,
    _SSLContext,
)

_SrvnmeCallback: TypeAlias = Callable[
    ["SSLSocket | SSLObject", str | None, "SSLSocket"], int | None
]
_Address: TypeAlias = tuple[Any, ...] | str | ReadableBuffer

socket_error = OSError
CertificateError = SSLCertVerificationError

HAS_NEVER_CHECK_COMMON_NAME: bool
CHANNEL_BINDING_TYPES: list[str]
PEM_HEADER: Final[str]
PEM_FOOTER: Final[str]

class _SSLMethod(enum.IntEnum):
    PROTOCOL_TLS = 2
    PROTOCOL_TLSv1 = 3
    PROTOCOL_TLSv1_1 = 4
    PROTOCOL_TLSv1_2 = 5
    PROTOCOL_TLS_CLIENT = 16
    PROTOCOL_TLS_SERVER = 17
    PROTOCOL_SSLv23 = 2

class Options(enum.IntFlag):
    OP_NO_SSLv2 = 0
    OP_SINGLE_DH_USE = 0
    OP_SINGLE_ECDH_USE = 0
    OP_LEGACY_SERVER_CONNECT = 4
    OP_ENABLE_KTLS = 8
    OP_IGNORE_UNEXPECTED_EOF = 128
    OP_NO_TICKET = 16384
    OP_NO_COMPRESSION = 131072
    OP_ENABLE_MIDDLEBOX_COMPAT = 1048576
    OP_CIPHER_SERVER_PREFERENCE = 4194304
    OP_NO_SSLv3 = 33554432
    OP_NO_TLSv1 = 67108864
    OP_NO_TLSv1_2 = 134217728
    OP_NO_TLSv1_1 = 268435456
    OP_NO_TLSv1_3 = 536870912
    OP_NO_RENEGOTIATION = 1073741824
    OP_ALL = 2147483728

class AlertDescription(enum.IntEnum):
    ALERT_DESCRIPTION_CLOSE_NOTIFY = 0
    ALERT_DESCRIPTION_UNEXPECTED_MESSAGE = 10
    ALERT_DESCRIPTION_BAD_RECORD_MAC = 20
    ALERT_DESCRIPTION_RECORD_OVERFLOW = 22
    ALERT_DESCRIPTION_DECOMPRESSION_FAILURE = 30
    ALERT_DESCRIPTION_HANDSHAKE_FAILURE = 40
    ALERT_DESCRIPTION_BAD_CERTIFICATE = 42
    ALERT_DESCRIPTION_UNSUPPORTED_CERTIFICATE = 43
    ALERT_DESCRIPTION_CERTIFICATE_REVOKED = 44
    ALERT_DESCRIPTION_CERTIFICATE_EXPIRED = 45
    ALERT_DESCRIPTION_CERTIFICATE_UNKNOWN = 46
    ALERT_DESCRIPTION_ILLEGAL_PARAMETER = 47
    ALERT_DESCRIPTION_UNKNOWN_CA = 48
    ALERT_DESCRIPTION_ACCESS_DENIED = 49
    ALERT_DESCRIPTION_DECODE_ERROR = 50
    ALERT_DESCRIPTION_DECRYPT_ERROR = 51
    ALERT_DESCRIPTION_PROTOCOL_VERSION = 70
    ALERT_DESCRIPTION_INSUFFICIENT_SECURITY = 71
    ALERT_DESCRIPTION_INTERNAL_ERROR = 80
    ALERT_DESCRIPTION_USER_CANCELLED = 90
    ALERT_DESCRIPTION_NO_RENEGOTIATION = 100
    ALERT_DESCRIPTION_UNSUPPORTED_EXTENSION = 110
    ALERT_DESCRIPTION_CERTIFICATE_UNOBTAINABLE = 111
    ALERT_DESCRIPTION_UNRECOGNIZED_NAME = 112
    ALERT_DESCRIPTION_BAD_CERTIFICATE_STATUS_RESPONSE = 113
    ALERT_DESCRIPTION_BAD_CERTIFICATE_HASH_VALUE = 114
    ALERT_DESCRIPTION_UNKNOWN_PSK_IDENTITY = 115

class SSLErrorNumber(enum.IntEnum):
    SSL_ERROR_SSL = 1
    SSL_ERROR_WANT_READ = 2
    SSL_ERROR_WANT_WRITE = 3
    SSL_ERROR_WANT_X509_LOOKUP = 4
    SSL_ERROR_SYSCALL = 5
    SSL_ERROR_ZERO_RETURN = 6
    SSL_ERROR_WANT_CONNECT = 7
    SSL_ERROR_EOF = 8
    SSL_ERROR_INVALID_ERROR_CODE = 10

class VerifyFlags(enum.IntFlag):
    VERIFY_DEFAULT = 0
    VERIFY_CRL_CHECK_LEAF = 4
    VERIFY_CRL_CHECK_CHAIN = 12
    VERIFY_X509_STRICT = 32
    VERIFY_ALLOW_PROXY_CERTS = 64
    VERIFY_X509_TRUSTED_FIRST = 32768
    VERIFY_X509_PARTIAL_CHAIN = 524288

class VerifyMode(enum.IntEnum):
    CERT_NONE = 0
    CERT_OPTIONAL = 1
    CERT_REQUIRED = 2

class TLSVersion(enum.IntEnum):
    MINIMUM_SUPPORTED = -2
    SSLv3 = 768
    TLSv1 = 769
    TLSv1_1 = 770
    TLSv1_2 = 771
    TLSv1_3 = 772
    MAXIMUM_SUPPORTED = -1

class _TLSContentType(enum.IntEnum):
    CHANGE_CIPHER_SPEC = 20
    ALERT = 21
    HANDSHAKE = 22
    APPLICATION_DATA = 23
    HEADER = 256
    INNER_CONTENT_TYPE = 257

class _TLSAlertType(enum.IntEnum):
    CLOSE_NOTIFY = 0
    UNEXPECTED_MESSAGE = 10
    BAD_RECORD_MAC = 20
    DECRYPTION_FAILED = 21
    RECORD_OVERFLOW = 22
    DECOMPRESSION_FAILURE = 30
    HANDSHAKE_FAILURE = 40
    NO_CERTIFICATE = 41
    BAD_CERTIFICATE = 42
    UNSUPPORTED_CERTIFICATE = 43
    CERTIFICATE_REVOKED = 44
    CERTIFICATE_EXPIRED = 45
    CERTIFICATE_UNKNOWN = 46
    ILLEGAL_PARAMETER = 47
    UNKNOWN_CA = 48
    ACCESS_DENIED = 49
    DECODE_ERROR = 50
    DECRYPT_ERROR = 51
    EXPORT_RESTRICTION = 60
    PROTOCOL_VERSION = 70
    INSUFFICIENT_SECURITY = 71
    INTERNAL_ERROR = 80
    INAPPROPRIATE_FALLBACK = 86
    USER_CANCELED = 90
    NO_RENEGOTIATION = 100
    MISSING_EXTENSION = 109
    UNSUPPORTED_EXTENSION = 110
    CERTIFICATE_UNOBTAINABLE = 111
    UNRECOGNIZED_NAME = 112
    BAD_CERTIFICATE_STATUS_RESPONSE = 113
    BAD_CERTIFICATE_HASH_VALUE = 114
    UNKNOWN_PSK_IDENTITY = 115
    CERTIFICATE_REQUIRED = 116
    NO_APPLICATION_PROTOCOL = 120

class _TLSMessageType(enum.IntEnum):
    HELLO_REQUEST = 0
    CLIENT_HELLO = 1
    SERVER_HELLO = 2
    HELLO_VERIFY_REQUEST = 3
    NEWSESSION_TICKET = 4
    END_OF_EARLY_DATA = 5
    HELLO_RETRY_REQUEST = 6
    ENCRYPTED_EXTENSIONS = 8
    CERTIFICATE = 11
    SERVER_KEY_EXCHANGE = 12
    CERTIFICATE_REQUEST = 13
    SERVER_DONE = 14
    CERTIFICATE_VERIFY = 15
    CLIENT_KEY_EXCHANGE = 16
    FINISHED = 20
    CERTIFICATE_URL = 21
    CERTIFICATE_STATUS = 22
    SUPPLEMENTAL_DATA = 23
    KEY_UPDATE = 24
    NEXT_PROTO = 67
    MESSAGE_HASH = 254
    CHANGE_CIPHER_SPEC = 257

# the members as module constants
PROTOCOL_TLS: _SSLMethod
PROTOCOL_TLSv1: _SSLMethod
PROTOCOL_TLSv1_1: _SSLMethod
PROTOCOL_TLSv1_2: _SSLMethod
PROTOCOL_TLS_CLIENT: _SSLMethod
PROTOCOL_TLS_SERVER: _SSLMethod
OP_NO_SSLv2: Options
OP_SINGLE_DH_USE: Options
OP_SINGLE_ECDH_USE: Options
OP_LEGACY_SERVER_CONNECT: Options
OP_ENABLE_KTLS: Options
OP_IGNORE_UNEXPECTED_EOF: Options
OP_NO_TICKET: Options
OP_NO_COMPRESSION: Options
OP_ENABLE_MIDDLEBOX_COMPAT: Options
OP_CIPHER_SERVER_PREFERENCE: Options
OP_NO_SSLv3: Options
OP_NO_TLSv1: Options
OP_NO_TLSv1_2: Options
OP_NO_TLSv1_1: Options
OP_NO_TLSv1_3: Options
OP_NO_RENEGOTIATION: Options
OP_ALL: Options
ALERT_DESCRIPTION_CLOSE_NOTIFY: AlertDescription
ALERT_DESCRIPTION_UNEXPECTED_MESSAGE: AlertDescription
ALERT_DESCRIPTION_BAD_RECORD_MAC: AlertDescription
ALERT_DESCRIPTION_RECORD_OVERFLOW: AlertDescription
ALERT_DESCRIPTION_DECOMPRESSION_FAILURE: AlertDescription
ALERT_DESCRIPTION_HANDSHAKE_FAILURE: AlertDescription
ALERT_DESCRIPTION_BAD_CERTIFICATE: AlertDescription
ALERT_DESCRIPTION_UNSUPPORTED_CERTIFICATE: AlertDescription
ALERT_DESCRIPTION_CERTIFICATE_REVOKED: AlertDescription
ALERT_DESCRIPTION_CERTIFICATE_EXPIRED: AlertDescription
ALERT_DESCRIPTION_CERTIFICATE_UNKNOWN: AlertDescription
ALERT_DESCRIPTION_ILLEGAL_PARAMETER: AlertDescription
ALERT_DESCRIPTION_UNKNOWN_CA: AlertDescription
ALERT_DESCRIPTION_ACCESS_DENIED: AlertDescription
ALERT_DESCRIPTION_DECODE_ERROR: AlertDescription
ALERT_DESCRIPTION_DECRYPT_ERROR: AlertDescription
ALERT_DESCRIPTION_PROTOCOL_VERSION: AlertDescription
ALERT_DESCRIPTION_INSUFFICIENT_SECURITY: AlertDescription
ALERT_DESCRIPTION_INTERNAL_ERROR: AlertDescription
ALERT_DESCRIPTION_USER_CANCELLED: AlertDescription
ALERT_DESCRIPTION_NO_RENEGOTIATION: AlertDescription
ALERT_DESCRIPTION_UNSUPPORTED_EXTENSION: AlertDescription
ALERT_DESCRIPTION_CERTIFICATE_UNOBTAINABLE: AlertDescription
ALERT_DESCRIPTION_UNRECOGNIZED_NAME: AlertDescription
ALERT_DESCRIPTION_BAD_CERTIFICATE_STATUS_RESPONSE: AlertDescription
ALERT_DESCRIPTION_BAD_CERTIFICATE_HASH_VALUE: AlertDescription
ALERT_DESCRIPTION_UNKNOWN_PSK_IDENTITY: AlertDescription
SSL_ERROR_SSL: SSLErrorNumber
SSL_ERROR_WANT_READ: SSLErrorNumber
SSL_ERROR_WANT_WRITE: SSLErrorNumber
SSL_ERROR_WANT_X509_LOOKUP: SSLErrorNumber
SSL_ERROR_SYSCALL: SSLErrorNumber
SSL_ERROR_ZERO_RETURN: SSLErrorNumber
SSL_ERROR_WANT_CONNECT: SSLErrorNumber
SSL_ERROR_EOF: SSLErrorNumber
SSL_ERROR_INVALID_ERROR_CODE: SSLErrorNumber
VERIFY_DEFAULT: VerifyFlags
VERIFY_CRL_CHECK_LEAF: VerifyFlags
VERIFY_CRL_CHECK_CHAIN: VerifyFlags
VERIFY_X509_STRICT: VerifyFlags
VERIFY_ALLOW_PROXY_CERTS: VerifyFlags
VERIFY_X509_TRUSTED_FIRST: VerifyFlags
VERIFY_X509_PARTIAL_CHAIN: VerifyFlags
CERT_NONE: VerifyMode
CERT_OPTIONAL: VerifyMode
CERT_REQUIRED: VerifyMode
PROTOCOL_SSLv23: _SSLMethod

class OCSPMode(enum.IntEnum):
    OCSP_NONE = 0
    OCSP_OPTIONAL = 1
    OCSP_REQUIRED = 2

OCSP_NONE: OCSPMode
OCSP_OPTIONAL: OCSPMode
OCSP_REQUIRED: OCSPMode

# ---- ASN.1 objects and purposes ----

class _ASN1ObjectBase(NamedTuple):
    nid: int
    shortname: str
    longname: str
    oid: str

class _ASN1Object(_ASN1ObjectBase):
    def __new__(cls, oid: str) -> Self: ...
    @classmethod
    def fromnid(cls, nid: int) -> Self: ...
    @classmethod
    def fromname(cls, name: str) -> Self: ...

class Purpose(_ASN1Object, enum.Enum):
    def __new__(cls, value: object) -> Self: ...
    SERVER_AUTH = (129, "serverAuth", "TLS Web Server Authentication", "1.3.6.1.5.5.7.3.1")  # pyright: ignore[reportCallIssue]
    CLIENT_AUTH = (130, "clientAuth", "TLS Web Client Authentication", "1.3.6.1.5.5.7.3.2")  # pyright: ignore[reportCallIssue]

class DefaultVerifyPaths(NamedTuple):
    cafile: str | None
    capath: str | None
    openssl_cafile_env: str
    openssl_cafile: str
    openssl_capath_env: str
    openssl_capath: str

# ---- the context ----

class SSLContext(_SSLContext):
    sslsocket_class: type[SSLSocket]
    sslobject_class: type[SSLObject]
    hostname_checks_common_name: bool
    # Read back as enums; any int of the right value is accepted.
    options: Options
    verify_mode: VerifyMode
    verify_flags: VerifyFlags
    minimum_version: TLSVersion
    maximum_version: TLSVersion
    ocsp_stapling: OCSPMode
    release_buffers: bool
    @property
    def protocol(self) -> _SSLMethod: ...
    if sys.version_info >= (3, 10):
        @overload
        def __new__(cls, protocol: int, *args: Any, **kwargs: Any) -> Self: ...
        @overload
        @deprecated("ssl.SSLContext() without protocol argument is deprecated.")
        def __new__(cls, protocol: None = None, *args: Any, **kwargs: Any) -> Self: ...
    else:
        def __new__(cls, protocol: int = ..., *args: Any, **kwargs: Any) -> Self: ...

    def load_default_certs(self, purpose: Purpose = ...) -> None: ...
    def set_alpn_protocols(self, alpn_protocols: Iterable[str]) -> None: ...
    if sys.version_info >= (3, 10):
        @deprecated("ssl NPN is deprecated, use ALPN instead")
        def set_npn_protocols(self, npn_protocols: Iterable[str]) -> None: ...
    else:
        def set_npn_protocols(self, npn_protocols: Iterable[str]) -> None: ...

    def set_servername_callback(self, server_name_callback: _SrvnmeCallback | None) -> None: ...
    def wrap_socket(
        self,
        sock: socket.socket,
        server_side: bool = False,
        do_handshake_on_connect: bool = True,
        suppress_ragged_eofs: bool = True,
        server_hostname: str | bytes | None = None,
        session: SSLSession | None = None,
    ) -> SSLSocket: ...
    def wrap_bio(
        self,
        incoming: MemoryBIO,
        outgoing: MemoryBIO,
        server_side: bool = False,
        server_hostname: str | bytes | None = None,
        session: SSLSession | None = None,
    ) -> SSLObject: ...
    def _encode_hostname(self, hostname: str | bytes | None) -> str | None: ...

# ---- connections ----

class SSLObject:
    """TLS over a pair of MemoryBIOs (no socket): made by SSLContext.wrap_bio()."""

    context: SSLContext
    @property
    def server_side(self) -> bool: ...
    @property
    def server_hostname(self) -> str | None: ...
    session: SSLSession | None
    @property
    def session_reused(self) -> bool: ...
    def __init__(self, *args: Any, **kwargs: Any) -> None: ...
    @classmethod
    def _create(
        cls, incoming: MemoryBIO, outgoing: MemoryBIO, server_side: bool = False,
        server_hostname: str | bytes | None = None, session: SSLSession | None = None,
        context: SSLContext | None = None,
    ) -> Self: ...
    @overload
    def read(self, len: int = 1024, buffer: None = None) -> bytes: ...
    @overload
    def read(self, len: int, buffer: WriteableBuffer) -> int: ...
    def write(self, data: ReadableBuffer) -> int: ...
    @overload
    def getpeercert(self, binary_form: Literal[False] = False) -> _PeerCertDict | None: ...
    @overload
    def getpeercert(self, binary_form: Literal[True]) -> bytes | None: ...
    @overload
    def getpeercert(self, binary_form: bool) -> _PeerCertDict | bytes | None: ...
    def get_channel_binding(self, cb_type: str = "tls-unique") -> bytes | None: ...
    # sslmod: on every interpreter (the stdlib: 3.13+), as DER bytes
    def get_verified_chain(self) -> list[bytes]: ...
    def get_unverified_chain(self) -> list[bytes]: ...
    def selected_alpn_protocol(self) -> str | None: ...
    if sys.version_info >= (3, 10):
        @deprecated("ssl NPN is deprecated, use ALPN instead")
        def selected_npn_protocol(self) -> None: ...
    else:
        def selected_npn_protocol(self) -> None: ...

    def cipher(self) -> tuple[str, str, int] | None: ...
    def shared_ciphers(self) -> list[tuple[str, str, int]] | None: ...
    def compression(self) -> str | None: ...
    def pending(self) -> int: ...
    def do_handshake(self) -> None: ...
    def unwrap(self) -> None: ...
    # sslmod: beyond the stdlib (3.15's names for the sigalg/group queries)
    def export_keying_material(
        self, label: str | bytes, length: int, context: ReadableBuffer | None = None
    ) -> bytes: ...
    def group(self) -> str | None: ...
    def client_sigalg(self) -> str | None: ...
    def server_sigalg(self) -> str | None: ...
    def ocsp_response(self) -> bytes | None: ...
    def version(self) -> str | None: ...
    def verify_client_post_handshake(self) -> None: ...

class SSLSocket(socket.socket):
    """A socket with TLS on top: made by SSLContext.wrap_socket()."""

    context: SSLContext
    server_side: bool
    server_hostname: str | None
    session: SSLSession | None
    @property
    def session_reused(self) -> bool | None: ...
    def __init__(self, *args: Any, **kwargs: Any) -> None: ...
    @classmethod
    def _create(
        cls, sock: socket.socket, server_side: bool = False, do_handshake_on_connect: bool = True,
        suppress_ragged_eofs: bool = True, server_hostname: str | bytes | None = None,
        context: SSLContext | None = None, session: SSLSession | None = None,
    ) -> Self: ...
    def connect(self, addr: _Address) -> None: ...
    def connect_ex(self, addr: _Address) -> int: ...
    def accept(self) -> tuple[SSLSocket, _Address]: ...
    def dup(self) -> Never: ...
    def recv(self, buflen: int = 1024, flags: int = 0) -> bytes: ...
    def recv_into(
        self, buffer: WriteableBuffer, nbytes: int | None = None, flags: int = 0
    ) -> int: ...
    def recvfrom(self, *args: Any) -> Never: ...
    def recvfrom_into(self, *args: Any) -> Never: ...
    def recvmsg(self, *args: Any, **kwargs: Any) -> Never: ...
    def recvmsg_into(self, *args: Any, **kwargs: Any) -> Never: ...
    def send(self, data: ReadableBuffer, flags: int = 0) -> int: ...
    def sendall(self, data: ReadableBuffer, flags: int = 0) -> None: ...
    def sendto(self, *args: Any) -> Never: ...
    def sendmsg(self, *args: Any, **kwargs: Any) -> Never: ...
    def shutdown(self, how: int) -> None: ...
    @overload
    def read(self, len: int = 1024, buffer: None = None) -> bytes: ...
    @overload
    def read(self, len: int, buffer: WriteableBuffer) -> int: ...
    def readinto(self, buf: WriteableBuffer, nbytes: int | None = None) -> int: ...
    def write(self, data: ReadableBuffer) -> int: ...
    def do_handshake(self, block: bool = False) -> None: ...
    @overload
    def getpeercert(self, binary_form: Literal[False] = False) -> _PeerCertDict | None: ...
    @overload
    def getpeercert(self, binary_form: Literal[True]) -> bytes | None: ...
    @overload
    def getpeercert(self, binary_form: bool) -> _PeerCertDict | bytes | None: ...
    def get_channel_binding(self, cb_type: str = "tls-unique") -> bytes | None: ...
    # sslmod: on every interpreter (the stdlib: 3.13+), as DER bytes
    def get_verified_chain(self) -> list[bytes]: ...
    def get_unverified_chain(self) -> list[bytes]: ...
    def selected_alpn_protocol(self) -> str | None: ...
    if sys.version_info >= (3, 10):
        @deprecated("ssl NPN is deprecated, use ALPN instead")
        def selected_npn_protocol(self) -> None: ...
    else:
        def selected_npn_protocol(self) -> None: ...

    def cipher(self) -> tuple[str, str, int] | None: ...
    def shared_ciphers(self) -> list[tuple[str, str, int]] | None: ...
    def compression(self) -> str | None: ...
    def pending(self) -> int: ...
    def unwrap(self) -> socket.socket: ...
    # sslmod: beyond the stdlib (3.15's names for the sigalg/group queries)
    def export_keying_material(
        self, label: str | bytes, length: int, context: ReadableBuffer | None = None
    ) -> bytes: ...
    def group(self) -> str | None: ...
    def client_sigalg(self) -> str | None: ...
    def server_sigalg(self) -> str | None: ...
    def ocsp_response(self) -> bytes | None: ...
    def version(self) -> str | None: ...
    def verify_client_post_handshake(self) -> None: ...
    def sendfile(self, file: Any, offset: int = 0, count: int | None = None) -> int: ...
    def _checkClosed(self, msg: str | None = None) -> None: ...
    def _check_connected(self) -> None: ...
    def _real_close(self) -> None: ...

# ---- functions ----

def __dir__() -> list[str]: ...

def create_default_context(
    purpose: Purpose = ..., *, cafile: StrOrBytesPath | None = None,
    capath: StrOrBytesPath | None = None, cadata: str | ReadableBuffer | None = None,
) -> SSLContext: ...
def _create_unverified_context(
    protocol: int | None = None, *, cert_reqs: int = ..., check_hostname: bool = False,
    purpose: Purpose = ..., certfile: StrOrBytesPath | None = None,
    keyfile: StrOrBytesPath | None = None, cafile: StrOrBytesPath | None = None,
    capath: StrOrBytesPath | None = None, cadata: str | ReadableBuffer | None = None,
) -> SSLContext: ...

_create_default_https_context = create_default_context
_create_stdlib_context = _create_unverified_context

def get_server_certificate(
    addr: tuple[str, int], ssl_version: int = ..., ca_certs: str | None = None,
    timeout: float | None = ...,
) -> str: ...
def cert_time_to_seconds(cert_time: str) -> int: ...
def DER_cert_to_PEM_cert(der_cert_bytes: ReadableBuffer) -> str: ...
def PEM_cert_to_DER_cert(pem_cert_string: str) -> bytes: ...
def get_default_verify_paths() -> DefaultVerifyPaths: ...
def get_protocol_name(protocol_code: int) -> str: ...
def get_sigalgs() -> list[str]: ...

# Removed from the stdlib (3.12) or never in it; sslmod keeps them (sslmod._legacy).
if sys.version_info >= (3, 10):
    @deprecated("ssl.RAND_pseudo_bytes() is deprecated")
    def RAND_pseudo_bytes(n: int) -> tuple[bytes, bool]: ...
else:
    def RAND_pseudo_bytes(n: int) -> tuple[bytes, bool]: ...

def match_hostname(cert: _PeerCertDict, hostname: str) -> None: ...
def wrap_socket(
    sock: socket.socket,
    keyfile: StrOrBytesPath | None = None,
    certfile: StrOrBytesPath | None = None,
    server_side: bool = False,
    cert_reqs: int = 0,
    ssl_version: int = 2,
    ca_certs: str | None = None,
    do_handshake_on_connect: bool = True,
    suppress_ragged_eofs: bool = True,
    ciphers: str | None = None,
    *,
    key: str | bytes | None = None,
    cert: str | bytes | None = None,
    cadata: str | bytes | None = None,
    server_hostname: str | None = None,
    do_handshake: bool | None = None,
) -> SSLSocket: ...
