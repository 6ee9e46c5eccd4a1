"""sslmod.ssl: the interpreter's ``ssl`` API, rebuilt on top of ``sslmod._sslmod``.

The C core does the TLS work; this module adds what the standard ``ssl``
module adds on top of ``_ssl``: the enums and constants, the ``SSLContext``,
``SSLSocket`` and ``SSLObject`` classes, the context factories and a few
helpers.  Behaviour (defaults, deprecation warnings) follows the running
interpreter, while APIs that only newer versions have are offered on all of
them.  The helpers that newer Pythons removed live in ``sslmod._legacy``
and are re-exported at the end.
"""

import base64
import errno
import os
import sys
import warnings
from collections import namedtuple
from enum import Enum as _Enum, IntEnum as _IntEnum, IntFlag as _IntFlag

import socket as _socket
from socket import (socket, create_connection, SOCK_STREAM, SOL_SOCKET,
                    SO_TYPE, _GLOBAL_DEFAULT_TIMEOUT)

from . import _sslmod
from ._sslmod import (
    _SSLContext, MemoryBIO, SSLSession,
    SSLError, SSLZeroReturnError, SSLWantReadError, SSLWantWriteError,
    SSLSyscallError, SSLEOFError, SSLCertVerificationError,
    RAND_add, RAND_bytes, RAND_status,
    OPENSSL_VERSION, OPENSSL_VERSION_INFO, OPENSSL_VERSION_NUMBER,
    _OPENSSL_API_VERSION, _DEFAULT_CIPHERS,
    txt2obj as _txt2obj, nid2obj as _nid2obj,
)

try:
    from enum import _simple_enum  # noqa: F401 - 3.11+; the stdlib exposes it too
except ImportError:
    pass

# Code that reaches for ssl._ssl gets the core that backs this module.
_ssl = _sslmod

# The C halves of SSLObject and SSLSocket (their data path).
_SSLObjectBase, _SSLSocketBase = _sslmod._datapath_bases()

_PY = sys.version_info[:2]

# Feature flags come straight from the core.
from ._sslmod import (  # noqa: E402
    HAS_ALPN, HAS_ECDH, HAS_NPN, HAS_PSK, HAS_SNI, HAS_SSLv2, HAS_SSLv3,
    HAS_TLS_UNIQUE, HAS_TLSv1, HAS_TLSv1_1, HAS_TLSv1_2, HAS_TLSv1_3,
    HAS_PHA, HAS_PSK_TLS13,    # 3.14's and 3.15's, on every interpreter (issue 9)
)
HAS_NEVER_CHECK_COMMON_NAME = hasattr(_sslmod, "HOSTFLAG_NEVER_CHECK_SUBJECT")

socket_error = OSError
CertificateError = SSLCertVerificationError

# "tls-exporter" (RFC 9266) is sslmod's addition (issue 9).
CHANNEL_BINDING_TYPES = ["tls-unique", "tls-exporter"]
PEM_HEADER = "-----BEGIN CERTIFICATE-----"
PEM_FOOTER = "-----END CERTIFICATE-----"
_RESTRICTED_SERVER_CIPHERS = _DEFAULT_CIPHERS


# ---------------------------------------------------------------------------
# Enums.  The ones whose members are core constants are made from the core
# by name prefix with Enum._convert_, as in the stdlib: the members are
# whatever constants this build of the core has, and each member also
# replaces the plain module constant of the same name.  The TLS
# wire-format ones are written out below.
# ---------------------------------------------------------------------------

# The constants this module itself uses; _convert_ below rebinds each to
# its enum member.
from ._sslmod import (  # noqa: E402
    CERT_NONE, CERT_REQUIRED, PROTOCOL_TLS, PROTOCOL_TLS_CLIENT,
    PROTOCOL_TLS_SERVER, SSL_ERROR_EOF, VERIFY_X509_PARTIAL_CHAIN,
    VERIFY_X509_STRICT,
)


def _prefixed(prefix, *left_out):
    """Selects the core's constants named PREFIX..., but not LEFT_OUT."""
    return lambda name: name.startswith(prefix) and name not in left_out


_SSLMethod = _IntEnum._convert_(
    "_SSLMethod", __name__, _prefixed("PROTOCOL_", "PROTOCOL_SSLv23"), source=_sslmod)
Options = _IntFlag._convert_(
    "Options", __name__, _prefixed("OP_"), source=_sslmod)
AlertDescription = _IntEnum._convert_(
    "AlertDescription", __name__, _prefixed("ALERT_DESCRIPTION_"), source=_sslmod)
SSLErrorNumber = _IntEnum._convert_(
    "SSLErrorNumber", __name__, _prefixed("SSL_ERROR_"), source=_sslmod)
VerifyFlags = _IntFlag._convert_(
    "VerifyFlags", __name__, _prefixed("VERIFY_"), source=_sslmod)
VerifyMode = _IntEnum._convert_(
    "VerifyMode", __name__, _prefixed("CERT_"), source=_sslmod)

# PROTOCOL_SSLv23 is the old spelling of PROTOCOL_TLS.
PROTOCOL_SSLv23 = _SSLMethod.PROTOCOL_SSLv23 = _SSLMethod.PROTOCOL_TLS
_PROTOCOL_NAMES = {member: name for name, member in _SSLMethod.__members__.items()}
_SSLv2_IF_EXISTS = getattr(_SSLMethod, "PROTOCOL_SSLv2", None)

# TLS wire-format numbers (RFC 8446 and friends).

class _TLSContentType(_IntEnum):
    """Content types (record layer), RFC 8446 section B.1"""
    CHANGE_CIPHER_SPEC = 20
    ALERT = 21
    HANDSHAKE = 22
    APPLICATION_DATA = 23
    # Pseudo content types, used by the message callback.
    HEADER = 0x100
    INNER_CONTENT_TYPE = 0x101


class _TLSAlertType(_IntEnum):
    """Alert types, RFC 8446 section B.2"""
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


class _TLSMessageType(_IntEnum):
    """Message types (handshake protocol), RFC 8446 section B.3"""
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
    CHANGE_CIPHER_SPEC = 0x0101


class TLSVersion(_IntEnum):
    """TLS/SSL protocol versions, for minimum_version and maximum_version."""
    MINIMUM_SUPPORTED = _sslmod.PROTO_MINIMUM_SUPPORTED
    SSLv3 = _sslmod.PROTO_SSLv3
    TLSv1 = _sslmod.PROTO_TLSv1
    TLSv1_1 = _sslmod.PROTO_TLSv1_1
    TLSv1_2 = _sslmod.PROTO_TLSv1_2
    TLSv1_3 = _sslmod.PROTO_TLSv1_3
    MAXIMUM_SUPPORTED = _sslmod.PROTO_MAXIMUM_SUPPORTED


class OCSPMode(_IntEnum):
    """What a client asks of OCSP stapling (SSLContext.ocsp_stapling): beyond
    the stdlib (issue 9)."""
    OCSP_NONE = _sslmod.OCSP_NONE          # ask for no staple (the default)
    OCSP_OPTIONAL = _sslmod.OCSP_OPTIONAL  # ask; verify a staple if one comes
    OCSP_REQUIRED = _sslmod.OCSP_REQUIRED  # ask; fail without a valid staple


OCSP_NONE = OCSPMode.OCSP_NONE
OCSP_OPTIONAL = OCSPMode.OCSP_OPTIONAL
OCSP_REQUIRED = OCSPMode.OCSP_REQUIRED



# ---------------------------------------------------------------------------
# ASN.1 objects and purposes
# ---------------------------------------------------------------------------

class _ASN1Object(namedtuple("_ASN1Object", "nid shortname longname oid")):
    """An ASN.1 object (nid, short name, long name, dotted OID) known to OpenSSL."""
    __slots__ = ()

    def __new__(cls, oid):
        return cls._make(_txt2obj(oid, name=False))

    @classmethod
    def fromnid(cls, nid):
        """The object with OpenSSL's numeric identifier ``nid``."""
        return cls._make(_nid2obj(nid))

    @classmethod
    def fromname(cls, name):
        """The object called ``name`` (short or long name, or dotted OID)."""
        return cls._make(_txt2obj(name, name=True))


class Purpose(_ASN1Object, _Enum):
    """What a certificate is used for: authenticating servers or clients."""
    SERVER_AUTH = "1.3.6.1.5.5.7.3.1"
    CLIENT_AUTH = "1.3.6.1.5.5.7.3.2"


def _require_purpose(purpose):
    if not isinstance(purpose, _ASN1Object):
        raise TypeError(purpose)


def _hostname_to_ascii(hostname):
    """str -> IDNA A-label str; bytes -> ascii str; None stays None."""
    if hostname is None:
        return None
    if isinstance(hostname, str):
        return hostname.encode("idna").decode("ascii")
    return hostname.decode("ascii")


# ---------------------------------------------------------------------------
# SSLContext
# ---------------------------------------------------------------------------

def _enum_property(name, kind, writable=True, before_set=None):
    """A context attribute that reads back as KIND, stored by the core."""
    raw = vars(_SSLContext).get(name)
    if raw is None:                 # the core lacks it: say so on use
        def fget(self):
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        return property(fget)
    read = raw.__get__

    def fget(self):
        return kind(read(self))
    fget.__name__ = name

    fset = None
    if writable:
        store = raw.__set__

        def fset(self, value):
            if before_set is not None:
                before_set(self, value)
            store(self, value)
        fset.__name__ = name
    return property(fget, fset, None, raw.__doc__)


def _allow_sslv3(context, value):
    # A minimum of SSLv3 is pointless while OP_NO_SSLv3 is still set.
    if value == TLSVersion.SSLv3:
        context.options &= ~Options.OP_NO_SSLv3


class _MessageTap:
    """Wraps a _msg_callback so it sees enum members instead of bare ints."""
    __slots__ = ("user_function",)

    def __init__(self, user_function):
        self.user_function = user_function

    def __call__(self, conn, direction, version, content_type, msg_type, data):
        version = _VERSION_MEMBERS.get(version, version)
        content_type = _CONTENT_MEMBERS.get(content_type, content_type)
        kinds = _MESSAGE_KINDS.get(content_type, _TLSMessageType)
        msg_type = kinds._value2member_map_.get(msg_type, msg_type)
        return self.user_function(conn, direction, version, content_type, msg_type, data)


_VERSION_MEMBERS = TLSVersion._value2member_map_
_CONTENT_MEMBERS = _TLSContentType._value2member_map_
_MESSAGE_KINDS = {_TLSContentType.HEADER: _TLSContentType,
                  _TLSContentType.ALERT: _TLSAlertType}


class _LegacyServerNameCallback:
    """Adapts a set_servername_callback() callable to sni_callback.

    Holds no reference to the context, so it makes no reference cycle."""
    __slots__ = ("callback",)

    def __init__(self, callback):
        self.callback = callback

    def __call__(self, sslobj, servername, sslctx):
        return self.callback(sslobj, _hostname_to_ascii(servername), sslctx)


def _wire_protocols(protocols, label):
    """Protocol names -> length-prefixed wire format (ALPN/NPN)."""
    wire = bytearray()
    for proto in protocols:
        encoded = bytes(proto, "ascii")
        if not 0 < len(encoded) < 256:
            raise SSLError(f"{label} protocols must be 1 to 255 in length")
        wire.append(len(encoded))
        wire += encoded
    return wire


_raw_msg_callback = vars(_SSLContext).get("_msg_callback")


_NO_PROTOCOL = object()


class SSLContext(_SSLContext):
    """Settings and certificates shared by TLS connections.

    Create one per configuration, then make connections with wrap_socket()
    or wrap_bio()."""

    # Filled in once the classes exist; subclasses may point them elsewhere.
    sslsocket_class = None
    sslobject_class = None

    def __new__(cls, protocol=_NO_PROTOCOL, *args, **kwargs):
        # 3.9 defaulted to PROTOCOL_TLS (None is then a bad value); 3.10+
        # take None as "no protocol given" and warn.
        if protocol is _NO_PROTOCOL or (protocol is None and _PY >= (3, 10)):
            if _PY >= (3, 10):
                warnings.warn(
                    "ssl.SSLContext() without protocol argument is deprecated.",
                    category=DeprecationWarning, stacklevel=2)
            protocol = PROTOCOL_TLS
        return _SSLContext.__new__(cls, protocol)

    def _encode_hostname(self, hostname):
        return _hostname_to_ascii(hostname)

    def wrap_socket(self, sock, server_side=False, do_handshake_on_connect=True,
                    suppress_ragged_eofs=True, server_hostname=None, session=None):
        """Wrap the stream socket SOCK in TLS; return an SSLSocket (sslsocket_class)."""
        return self.sslsocket_class._create(
            sock=sock, server_side=server_side,
            do_handshake_on_connect=do_handshake_on_connect,
            suppress_ragged_eofs=suppress_ragged_eofs,
            server_hostname=server_hostname, context=self, session=session)

    def wrap_bio(self, incoming, outgoing, server_side=False,
                 server_hostname=None, session=None):
        """Make a TLS connection over two MemoryBIOs; return an SSLObject (sslobject_class)."""
        return self.sslobject_class._create(
            incoming, outgoing, server_side=server_side,
            server_hostname=_hostname_to_ascii(server_hostname),
            session=session, context=self)

    def set_npn_protocols(self, npn_protocols):
        """Deprecated: NPN was replaced by ALPN (set_alpn_protocols)."""
        if _PY >= (3, 10):
            warnings.warn("ssl NPN is deprecated, use ALPN instead",
                          DeprecationWarning, stacklevel=2)
        wire = _wire_protocols(npn_protocols, "NPN")
        self._set_npn_protocols(wire)

    def set_alpn_protocols(self, alpn_protocols):
        """Offer (client) or accept (server) these ALPN protocol names, in order of preference."""
        wire = _wire_protocols(alpn_protocols, "ALPN")
        self._set_alpn_protocols(wire)

    def set_servername_callback(self, server_name_callback):
        """Older form of sni_callback: CALLBACK(sslobj, servername, context)."""
        if server_name_callback is None:
            self.sni_callback = None
            return
        if not callable(server_name_callback):
            raise TypeError("not a callable object")
        self.sni_callback = _LegacyServerNameCallback(server_name_callback)

    def load_default_certs(self, purpose=Purpose.SERVER_AUTH):
        """Load the system's default trust store for PURPOSE."""
        _require_purpose(purpose)
        self.set_default_verify_paths()

    protocol = _enum_property("protocol", _SSLMethod, writable=False)
    options = _enum_property("options", Options)
    verify_mode = _enum_property("verify_mode", VerifyMode)
    verify_flags = _enum_property("verify_flags", VerifyFlags)
    minimum_version = _enum_property("minimum_version", TLSVersion, before_set=_allow_sslv3)
    maximum_version = _enum_property("maximum_version", TLSVersion)

    @property
    def hostname_checks_common_name(self):
        """Whether a certificate's subject CN is matched when it has no DNS SAN."""
        return not self._host_flags & _sslmod.HOSTFLAG_NEVER_CHECK_SUBJECT

    @hostname_checks_common_name.setter
    def hostname_checks_common_name(self, value):
        never = _sslmod.HOSTFLAG_NEVER_CHECK_SUBJECT
        flags = self._host_flags
        self._host_flags = (flags & ~never) if value else (flags | never)

    # -- beyond the stdlib (issue 9): OCSP stapling, client side ---------------

    @property
    def ocsp_stapling(self):
        """OCSP_NONE (no staple asked for), OCSP_OPTIONAL (a staple is asked for
        and verified if sent) or OCSP_REQUIRED (a verified staple is needed)."""
        return OCSPMode(_SSLContext.ocsp_stapling.__get__(self))

    @ocsp_stapling.setter
    def ocsp_stapling(self, value):
        _SSLContext.ocsp_stapling.__set__(self, value)

    @property
    def _msg_callback(self):
        """Debug hook: CALLBACK(conn, direction, version, content_type, msg_type, data)
        for every TLS message, or None."""
        tap = _raw_msg_callback.__get__(self)
        return getattr(tap, "user_function", tap)

    @_msg_callback.setter
    def _msg_callback(self, callback):
        if callback is not None:
            if not callable(callback):
                raise TypeError(f"{callback} is not callable.")
            callback = _MessageTap(callback)
        _raw_msg_callback.__set__(self, callback)


# ---------------------------------------------------------------------------
# Connection classes.  Simple queries are generated from tables; the data
# path (read/write/recv/send ...) is written out and goes straight to the
# core connection object with as little Python as possible.
# ---------------------------------------------------------------------------

_REQUIRED = object()


def _delegate(name, unwrapped=_REQUIRED, doc=None):
    """A method calling the core connection's NAME; when the owner has no
    connection, return UNWRAPPED (if given)."""
    if unwrapped is _REQUIRED:
        def method(self):
            return getattr(self._sslobj, name)()
    else:
        def method(self):
            sslobj = self._sslobj
            if sslobj is None:
                return unwrapped
            return getattr(sslobj, name)()
    method.__name__ = method.__qualname__ = name
    method.__doc__ = doc
    return method


def _der_chain(chain):
    return [] if chain is None else [cert.public_bytes(_sslmod.ENCODING_DER) for cert in chain]


def _npn_gone(self):
    """Deprecated: NPN is not supported; always None."""
    if _PY >= (3, 10):
        warnings.warn("ssl NPN is deprecated, use ALPN instead",
                      DeprecationWarning, stacklevel=2)
    return None


def _no_public_constructor(factory):
    def __init__(self, *args, **kwargs):
        raise TypeError(
            f"{type(self).__name__} does not have a public constructor. "
            f"Instances are returned by SSLContext.{factory}().")
    return __init__


class SSLObject(_SSLObjectBase):
    """A TLS connection over a pair of MemoryBIOs, with no socket of its own.

    The caller moves the bytes between the BIOs and the network (asyncio
    does this).  Made by SSLContext.wrap_bio().

    The data path (do_handshake, read, write, pending, getpeercert,
    cipher, version, selected_alpn_protocol, session_reused) is the C
    base's: no Python frame per call."""

    __init__ = _no_public_constructor("wrap_bio")

    @classmethod
    def _create(cls, incoming, outgoing, server_side=False,
                server_hostname=None, session=None, context=None):
        bridge = None
        if not (isinstance(incoming, MemoryBIO) and isinstance(outgoing, MemoryBIO)) \
                and _foreign_bio(incoming) and _foreign_bio(outgoing):
            # Another ssl module's BIOs (asyncio and trio make the
            # interpreter's own): run over ours and copy bytes across.
            bridge = _BioBridge(incoming, outgoing)
            incoming, outgoing = bridge.ours_in, bridge.ours_out
        self = cls.__new__(cls)
        sslobj = context._wrap_bio(
            incoming, outgoing, server_side=server_side,
            server_hostname=server_hostname, owner=self, session=session)
        # Only connections over foreign BIOs pay for the copying.
        self._sslobj = sslobj if bridge is None else _BridgedConnection(sslobj, bridge)
        return self

    context = property(lambda self: self._sslobj.context,
                       lambda self, ctx: setattr(self._sslobj, "context", ctx),
                       doc="The SSLContext of this connection.")
    session = property(lambda self: self._sslobj.session,
                       lambda self, sess: setattr(self._sslobj, "session", sess),
                       doc="The SSLSession of this connection.")
    server_side = property(lambda self: self._sslobj.server_side,
                           doc="Whether this is the server end.")
    server_hostname = property(lambda self: self._sslobj.server_hostname,
                               doc="The peer's host name (client side), or None.")

    def get_channel_binding(self, cb_type="tls-unique"):
        """Channel binding data of type CB_TYPE, or None before the handshake."""
        return self._sslobj.get_channel_binding(cb_type)

    def get_verified_chain(self):
        """The verified certificate chain from the peer up to a trust anchor, as DER."""
        return _der_chain(self._sslobj.get_verified_chain())

    def get_unverified_chain(self):
        """The certificate chain the peer sent, as DER."""
        return _der_chain(self._sslobj.get_unverified_chain())

    # -- beyond the stdlib (issue 9) ---------------------------------------

    def export_keying_material(self, label, length, context=None):
        """LENGTH bytes of keying material exported under LABEL (str or bytes)
        and CONTEXT (bytes, or None for none), RFC 5705 / RFC 8446 7.5.
        ValueError before the handshake has completed."""
        return self._sslobj.export_keying_material(label, length, context)

    def group(self):
        """The key-agreement group of the handshake (e.g. "x25519"), or None."""
        return self._sslobj.group()

    def client_sigalg(self):
        """The signature algorithm of the client's certificate authentication, or None."""
        return self._sslobj.client_sigalg()

    def server_sigalg(self):
        """The signature algorithm the server signed the handshake with, or None."""
        return self._sslobj.server_sigalg()

    def ocsp_response(self):
        """The OCSP response stapled to the handshake (DER bytes), or None."""
        return self._sslobj.ocsp_response()

    selected_npn_protocol = _npn_gone
    unwrap = _delegate("shutdown", doc="Start or finish the TLS shutdown (close_notify).")
    verify_client_post_handshake = _delegate(
        "verify_client_post_handshake",
        doc="Ask the client for its certificate after the handshake (TLS 1.3).")

    def shared_ciphers(self):
        """Ciphers offered by the client and usable by us, or None."""
        return self._sslobj.shared_ciphers()

    def compression(self):
        """The compression algorithm in use, or None."""
        return self._sslobj.compression()


def _foreign_bio(obj):
    return all(hasattr(obj, a) for a in ("read", "write", "write_eof", "pending", "eof"))


class _BioBridge:
    """Copies bytes between a pair of foreign MemoryBIOs and a pair of ours."""

    __slots__ = ("theirs_in", "theirs_out", "ours_in", "ours_out")

    def __init__(self, theirs_in, theirs_out):
        self.theirs_in, self.theirs_out = theirs_in, theirs_out
        self.ours_in, self.ours_out = MemoryBIO(), MemoryBIO()

    def pull(self):
        data = self.theirs_in.read()
        if data:
            self.ours_in.write(data)
        if self.theirs_in.eof and not self.ours_in.eof and not self.ours_in.pending:
            self.ours_in.write_eof()

    def push(self):
        data = self.ours_out.read()
        if data:
            self.theirs_out.write(data)


class _BridgedConnection:
    """A core connection over a _BioBridge: the calls that move TLS records
    first pull the foreign input into our BIO, and push our output to the
    foreign BIO afterwards; everything else goes straight to the core."""

    __slots__ = ("_conn", "_bridge")

    def __init__(self, conn, bridge):
        object.__setattr__(self, "_conn", conn)
        object.__setattr__(self, "_bridge", bridge)

    def _run(self, call, *args):
        bridge = self._bridge
        bridge.pull()
        try:
            return call(*args)
        finally:
            bridge.push()

    def do_handshake(self):
        return self._run(self._conn.do_handshake)

    def read(self, *args):
        return self._run(self._conn.read, *args)

    def write(self, data):
        return self._run(self._conn.write, data)

    def shutdown(self):
        return self._run(self._conn.shutdown)

    def verify_client_post_handshake(self):
        return self._run(self._conn.verify_client_post_handshake)

    def __getattr__(self, name):
        return getattr(self._conn, name)

    def __setattr__(self, name, value):
        setattr(self._conn, name, value)


def _byte_size(buffer):
    """How many bytes BUFFER holds (len() counts items, not bytes)."""
    with memoryview(buffer) as view:
        return view.nbytes


def _plain_only(name, defaults=()):
    """A socket method that only works while no TLS layer is active."""
    plain = getattr(socket, name)

    def method(self, *args):
        if self._sslobj is not None:
            raise ValueError(f"{name} not allowed on instances of {self.__class__}")
        return plain(self, *(args or defaults))
    method.__name__ = method.__qualname__ = name
    method.__doc__ = plain.__doc__
    return method


def _never(name):
    """A socket method whose data would bypass TLS: always refused."""
    def method(self, *args, **kwargs):
        raise NotImplementedError(f"{name} not allowed on instances of {self.__class__}")
    method.__name__ = method.__qualname__ = name
    return method


_PRE_HANDSHAKE_DATA = "Closed before TLS handshake with data in recv buffer."


def _pre_handshake_data_error(code):
    error = SSLError(code, _PRE_HANDSHAKE_DATA)
    error.reason = _PRE_HANDSHAKE_DATA
    error.library = None
    return error


def _check_wrap_request(sock, context, server_side, server_hostname, session):
    """Refuse wrap_socket() arguments that cannot work together."""
    if sock.getsockopt(SOL_SOCKET, SO_TYPE) != SOCK_STREAM:
        raise NotImplementedError("only stream sockets are supported")
    if server_side:
        for given, what in ((server_hostname, "server_hostname"),
                            (session is not None, "session")):
            if given:
                raise ValueError(f"{what} can only be specified in client mode")
    if context.check_hostname and not server_hostname:
        raise ValueError("check_hostname requires server_hostname")


class SSLSocket(socket, _SSLSocketBase):
    """A socket.socket carrying TLS.  Made by SSLContext.wrap_socket().

    The data path (read, write, recv, recv_into, send, sendall, pending,
    cipher, version, selected_alpn_protocol) is the C base's, with the
    checks these methods make (closed or unwrapped socket, flags, ragged
    EOF with suppress_ragged_eofs) done there: no Python frame per call."""

    __init__ = _no_public_constructor("wrap_socket")

    @classmethod
    def _create(cls, sock, server_side=False, do_handshake_on_connect=True,
                suppress_ragged_eofs=True, server_hostname=None,
                context=None, session=None):
        _check_wrap_request(sock, context, server_side, server_hostname, session)
        # The new object takes over SOCK's file descriptor; SOCK is detached.
        # From then on the descriptor is ours: whatever goes wrong closes it,
        # as nobody else could.
        fd_owner = {"family": sock.family, "type": sock.type,
                    "proto": sock.proto, "fileno": sock.fileno()}
        timeout = sock.gettimeout()
        self = cls.__new__(cls, **fd_owner)
        super(SSLSocket, self).__init__(**fd_owner)
        sock.detach()
        try:
            self._setup(context, session, server_side, server_hostname,
                        do_handshake_on_connect, suppress_ragged_eofs, timeout)
        except BaseException:
            self.close()
            raise
        return self

    def _setup(self, context, session, server_side, server_hostname,
               do_handshake_on_connect, suppress_ragged_eofs, timeout):
        vars(self).update(
            _context=context, _session=session, _sslobj=None, _connected=False,
            server_side=server_side, server_hostname=None,
            do_handshake_on_connect=do_handshake_on_connect,
            suppress_ragged_eofs=suppress_ragged_eofs)
        self.server_hostname = _hostname_to_ascii(server_hostname)
        self.settimeout(timeout)
        self._connected = self._peer_present()
        if not self._connected:
            return
        self._sslobj = context._wrap_socket(
            self, server_side, self.server_hostname,
            owner=self, session=self._session)
        if do_handshake_on_connect:
            if timeout == 0.0:
                raise ValueError("do_handshake_on_connect should not be "
                                 "specified for non-blocking sockets")
            self.do_handshake()

    def _peer_present(self):
        """True if the socket is connected.  If it is not, refuse bytes a
        peer sent before closing, which must never pass as TLS data."""
        try:
            self.getpeername()
            return True
        except OSError as exc:
            if exc.errno != errno.ENOTCONN:
                raise
            code = exc.errno
        timeout = self.gettimeout()
        self.setblocking(False)
        try:
            stray = socket.recv(self, 1)
        except OSError as exc:
            if exc.errno not in (errno.ENOTCONN, errno.EINVAL):
                raise
            stray = b""
        finally:
            self.settimeout(timeout)
        if stray:
            # Built by a helper, never held in a local: a local would make
            # the cycle exception -> traceback -> this frame -> exception.
            raise _pre_handshake_data_error(code)
        return False

    # -- state -----------------------------------------------------------

    def _replace_context(self, ctx):
        self._context = ctx
        self._sslobj.context = ctx

    def _remember_session(self, session):
        # Kept for a later connect(), and applied now if TLS is up.
        self._session = session
        if self._sslobj is not None:
            self._sslobj.session = session

    context = property(
        lambda self: self._context, _replace_context,
        doc="The SSLContext of this socket; may be replaced (e.g. in an SNI callback).")
    session = property(
        lambda self: getattr(self._sslobj, "session", None), _remember_session,
        doc="The SSLSession of the connection, or the one to resume on connect.")
    session_reused = property(
        lambda self: getattr(self._sslobj, "session_reused", None),
        doc="Whether the session was reused; None without a TLS layer.")

    def _checkClosed(self, msg=None):
        # Kept for subclasses that hook it; nothing to check here.
        pass

    def _check_connected(self):
        if not self._connected:
            # Raises OSError(ENOTCONN) when there is no peer.
            self.getpeername()

    def dup(self):
        raise NotImplementedError(f"Can't dup() {self.__class__.__name__} instances")

    # -- data path ---------------------------------------------------------

    # read/write/recv/recv_into/send/sendall come from _SSLSocketBase.  A
    # transport EOF without close_notify reads as EOF there when
    # suppress_ragged_eofs is set.

    def readinto(self, buf, nbytes=None):
        """Stream-style (MicroPython) read into BUF; return the count, 0 at EOF."""
        return self.read(_byte_size(buf) if nbytes is None else nbytes, buf)

    def sendfile(self, file, offset=0, count=None):
        """Send FILE.  Through TLS this goes by send(), or by SSL_sendfile()
        when OP_ENABLE_KTLS is set and the kernel holds the send keys."""
        if self._sslobj is None:
            return super().sendfile(file, offset, count)
        if self._ktls_send():
            return self._sendfile_ktls(file, offset, count)
        return self._sendfile_use_send(file, offset, count)

    def _sendfile_ktls(self, file, offset, count):
        self._check_sendfile_params(file, offset, count)
        fd = file.fileno()
        sent = 0
        try:
            sent = self._ktls_sendfile(fd, offset, count or 0)
        finally:
            if sent > 0 and hasattr(file, "seek"):
                file.seek(offset + sent)
        return sent

    sendto = _plain_only("sendto")
    recvfrom = _plain_only("recvfrom", (1024,))
    recvfrom_into = _plain_only("recvfrom_into")
    sendmsg = _never("sendmsg")
    recvmsg = _never("recvmsg")
    recvmsg_into = _never("recvmsg_into")

    # -- connection management ---------------------------------------------

    def do_handshake(self, block=False):
        """Run the TLS handshake; BLOCK forces blocking mode on a non-blocking socket."""
        self._check_connected()
        if self._sslobj is None:
            self.getpeername()   # closed: OSError(EBADF), as the stdlib reports
        timeout = self.gettimeout()
        if block and timeout == 0.0:
            self.settimeout(None)
            try:
                self._sslobj.do_handshake()
            finally:
                self.settimeout(timeout)
        else:
            self._sslobj.do_handshake()

    def _real_connect(self, addr, connect_ex):
        if self.server_side:
            raise ValueError("can't connect in server-side mode")
        if self._connected or self._sslobj is not None:
            raise ValueError("attempt to connect already-connected SSLSocket!")
        # The TLS layer exists before the TCP connect; if either step fails
        # the socket goes back to having none.
        self._sslobj = self._context._wrap_socket(
            self, False, self.server_hostname, owner=self, session=self._session)
        plain_connect = super().connect_ex if connect_ex else super().connect
        try:
            status = plain_connect(addr)        # None, or an errno for connect_ex
            if not status:
                self._connected = True
                if self.do_handshake_on_connect:
                    self.do_handshake()
        except (OSError, ValueError):
            self._sslobj = None
            raise
        return status

    def connect(self, addr):
        """Connect to ADDR, then handshake if do_handshake_on_connect."""
        self._real_connect(addr, False)

    def connect_ex(self, addr):
        """Like connect() but return an errno value instead of raising for it."""
        return self._real_connect(addr, True)

    def accept(self):
        """Accept a connection; return (SSLSocket, address), server side."""
        plain, addr = super().accept()
        try:
            conn = self.context.wrap_socket(
                plain, do_handshake_on_connect=self.do_handshake_on_connect,
                suppress_ragged_eofs=self.suppress_ragged_eofs, server_side=True)
        except BaseException:
            plain.close()       # a no-op once the SSLSocket took the fd over
            raise
        return conn, addr

    def unwrap(self):
        """Shut TLS down and return the plain socket underneath."""
        sslobj = self._sslobj
        if sslobj is None:
            raise ValueError("No SSL wrapper around " + str(self))
        plain = sslobj.shutdown()
        self._sslobj = None
        return plain

    def shutdown(self, how):
        self._checkClosed()
        self._sslobj = None
        super().shutdown(how)

    def _real_close(self):
        self._sslobj = None
        super()._real_close()

    # -- peer information ------------------------------------------------

    def getpeercert(self, binary_form=False):
        """The peer's certificate as a dict, or as DER bytes if BINARY_FORM."""
        self._checkClosed()
        self._check_connected()
        return self._sslobj.getpeercert(binary_form)

    def get_channel_binding(self, cb_type="tls-unique"):
        """Channel binding data of type CB_TYPE, or None before the handshake."""
        if self._sslobj is not None:
            return self._sslobj.get_channel_binding(cb_type)
        if cb_type not in CHANNEL_BINDING_TYPES:
            raise ValueError(f"{cb_type} channel binding type not implemented")
        return None

    def verify_client_post_handshake(self):
        """Ask the client for its certificate after the handshake (TLS 1.3)."""
        if self._sslobj is None:
            raise ValueError("No SSL wrapper around " + str(self))
        return self._sslobj.verify_client_post_handshake()

    get_verified_chain = SSLObject.get_verified_chain
    get_unverified_chain = SSLObject.get_unverified_chain

    # -- beyond the stdlib (issue 9) ---------------------------------------

    def export_keying_material(self, label, length, context=None):
        """LENGTH bytes of keying material exported under LABEL (str or bytes)
        and CONTEXT (bytes, or None for none), RFC 5705 / RFC 8446 7.5.
        ValueError before the handshake has completed."""
        self._checkClosed()
        if self._sslobj is None:
            raise ValueError("keying material cannot be exported before the "
                             "handshake has completed")
        return self._sslobj.export_keying_material(label, length, context)

    def group(self):
        """The key-agreement group of the handshake (e.g. "x25519"), or None."""
        self._checkClosed()
        return None if self._sslobj is None else self._sslobj.group()

    def client_sigalg(self):
        """The signature algorithm of the client's certificate authentication, or None."""
        self._checkClosed()
        return None if self._sslobj is None else self._sslobj.client_sigalg()

    def server_sigalg(self):
        """The signature algorithm the server signed the handshake with, or None."""
        self._checkClosed()
        return None if self._sslobj is None else self._sslobj.server_sigalg()

    def ocsp_response(self):
        """The OCSP response stapled to the handshake (DER bytes), or None."""
        self._checkClosed()
        return None if self._sslobj is None else self._sslobj.ocsp_response()
    selected_npn_protocol = _npn_gone

    def shared_ciphers(self):
        """Ciphers offered by the client and usable by us, or None."""
        sslobj = self._sslobj
        return None if sslobj is None else sslobj.shared_ciphers()

    def compression(self):
        """The compression algorithm in use, or None."""
        sslobj = self._sslobj
        return None if sslobj is None else sslobj.compression()



def _sslcopydoc(func):
    """Give FUNC the docstring of the SSLObject method of the same name."""
    func.__doc__ = getattr(SSLObject, func.__name__).__doc__
    return func


SSLContext.sslsocket_class = SSLSocket
SSLContext.sslobject_class = SSLObject


# ---------------------------------------------------------------------------
# Context factories
# ---------------------------------------------------------------------------

def _protocol_for(purpose):
    """The protocol a factory uses for PURPOSE on this interpreter."""
    _require_purpose(purpose)
    if _PY < (3, 10):
        return PROTOCOL_TLS
    if purpose == Purpose.SERVER_AUTH:
        return PROTOCOL_TLS_CLIENT
    if purpose == Purpose.CLIENT_AUTH:
        return PROTOCOL_TLS_SERVER
    raise ValueError(purpose)


def _finish_context(context, purpose, cafile, capath, cadata):
    """Trust store and key log, shared by the factories."""
    if cafile or capath or cadata:
        context.load_verify_locations(cafile, capath, cadata)
    elif context.verify_mode != CERT_NONE:
        context.load_default_certs(purpose)
    keylog = os.environ.get("SSLKEYLOGFILE")
    if keylog and not sys.flags.ignore_environment and hasattr(context, "keylog_filename"):
        context.keylog_filename = keylog
    return context


def create_default_context(purpose=Purpose.SERVER_AUTH, *, cafile=None,
                           capath=None, cadata=None):
    """A context with secure defaults for PURPOSE.

    For SERVER_AUTH (client side) certificates and host names are checked;
    the trust store is CAFILE/CAPATH/CADATA, or the system's by default."""
    context = SSLContext(_protocol_for(purpose))
    if purpose == Purpose.SERVER_AUTH:
        context.verify_mode = CERT_REQUIRED
        context.check_hostname = True
    if _PY >= (3, 13):
        context.verify_flags |= VERIFY_X509_STRICT | VERIFY_X509_PARTIAL_CHAIN
    return _finish_context(context, purpose, cafile, capath, cadata)


def _create_unverified_context(protocol=None, *, cert_reqs=CERT_NONE,
                               check_hostname=False, purpose=Purpose.SERVER_AUTH,
                               certfile=None, keyfile=None, cafile=None,
                               capath=None, cadata=None):
    """A context that by default checks neither certificates nor host names.

    Used by the stdlib's own modules; do not use it for new code."""
    default = _protocol_for(purpose)
    context = SSLContext(default if protocol is None else protocol)
    # Host name checking goes off first so that any verify_mode is accepted,
    # and back on last if asked for (which implies CERT_REQUIRED).
    context.check_hostname = False
    if cert_reqs is not None:
        context.verify_mode = cert_reqs
    context.check_hostname = bool(check_hostname)
    if certfile or keyfile:
        if not certfile:
            raise ValueError("certfile must be specified")
        context.load_cert_chain(certfile, keyfile)
    return _finish_context(context, purpose, cafile, capath, cadata)


_create_default_https_context = create_default_context
_CLIENT_PROTOCOL = PROTOCOL_TLS if _PY < (3, 10) else PROTOCOL_TLS_CLIENT
_create_stdlib_context = _create_unverified_context


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------

def get_server_certificate(addr, ssl_version=_CLIENT_PROTOCOL, ca_certs=None,
                           timeout=_GLOBAL_DEFAULT_TIMEOUT):
    """Fetch the certificate of the server at ADDR=(host, port) as PEM.

    With CA_CERTS the certificate is verified against it."""
    host = addr[0]
    context = _create_stdlib_context(
        ssl_version, cert_reqs=CERT_NONE if ca_certs is None else CERT_REQUIRED,
        cafile=ca_certs)
    with create_connection(addr, timeout=timeout) as plain:
        with context.wrap_socket(plain, server_hostname=host) as tls:
            der = tls.getpeercert(True)
    return DER_cert_to_PEM_cert(der)


_CERT_TIME_TAIL = " %d %H:%M:%S %Y GMT"
_MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()


def cert_time_to_seconds(cert_time):
    """Seconds since the epoch for a certificate time such as
    "May  9 00:00:00 2007 GMT" (notBefore/notAfter), whatever the locale."""
    import calendar
    import time
    abbrev = cert_time[:3].title()
    if abbrev not in _MONTHS:
        raise ValueError(f'time data {cert_time!r} does not match format "%b{_CERT_TIME_TAIL}"')
    parsed = time.strptime(cert_time[3:], _CERT_TIME_TAIL)
    fields = list(parsed[:6])
    fields[1] = _MONTHS.index(abbrev) + 1
    return calendar.timegm(fields)


def DER_cert_to_PEM_cert(der_cert_bytes):
    """A DER-encoded certificate as a PEM string."""
    body = base64.standard_b64encode(der_cert_bytes).decode("ascii")
    lines = [body[at:at + 64] for at in range(0, len(body), 64)]
    return "\n".join([PEM_HEADER, *lines, PEM_FOOTER]) + "\n"


def PEM_cert_to_DER_cert(pem_cert_string):
    """The DER bytes of a PEM certificate string."""
    if not pem_cert_string.startswith(PEM_HEADER):
        raise ValueError(f"Invalid PEM encoding; must start with {PEM_HEADER}")
    text = pem_cert_string.strip()
    if not text.endswith(PEM_FOOTER):
        raise ValueError(f"Invalid PEM encoding; must end with {PEM_FOOTER}")
    return base64.decodebytes(text[len(PEM_HEADER):-len(PEM_FOOTER)].encode("ascii"))


DefaultVerifyPaths = namedtuple(
    "DefaultVerifyPaths",
    "cafile capath openssl_cafile_env openssl_cafile openssl_capath_env openssl_capath")


def get_sigalgs():
    """The TLS signature algorithms OpenSSL implements (needs OpenSSL 3.4;
    NotImplementedError before, as in Python 3.15).  Beyond the stdlib of
    Pythons before 3.15 (issue 9)."""
    return _sslmod.get_sigalgs()


def get_default_verify_paths():
    """Where OpenSSL looks for trusted certificates by default; cafile and
    capath honour the environment variables and are None if missing."""
    raw = _sslmod.get_default_verify_paths()
    cafile = os.environ.get(raw[0], raw[1])
    capath = os.environ.get(raw[2], raw[3])
    return DefaultVerifyPaths(cafile if os.path.isfile(cafile) else None,
                              capath if os.path.isdir(capath) else None,
                              *raw)


def get_protocol_name(protocol_code):
    return _PROTOCOL_NAMES.get(protocol_code, "<unknown>")


# ---------------------------------------------------------------------------
# The APIs newer Pythons removed (wrap_socket, match_hostname, ...) come from
# sslmod._legacy.  Import it last, and fall back to a lazy lookup, so that
# either module may be imported first.
# ---------------------------------------------------------------------------

def _legacy_module():
    try:
        from . import _legacy
    except ImportError:
        return None
    return _legacy


def _legacy_names(module):
    names = getattr(module, "__all__", None)
    if names is None:
        names = [n for n in vars(module) if not n.startswith("_")]
    return names


def __getattr__(name):
    legacy = _legacy_module() if not name.startswith("__") else None
    if legacy is not None and name in _legacy_names(legacy) and hasattr(legacy, name):
        value = getattr(legacy, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    names = set(globals())
    legacy = _legacy_module()
    if legacy is not None:
        names.update(_legacy_names(legacy))
    return sorted(names)


try:
    from ._legacy import *      # noqa: F401,F403
except (ImportError, AttributeError):
    # Not written yet, or mid-import (it imports us): __getattr__ covers it.
    pass

# The host name matching helpers, under the interpreter's private names.
from ._legacy import _dnsname_match, _inet_paton, _ipaddress_match  # noqa: E402,F401
