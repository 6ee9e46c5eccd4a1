"""Types of sslmod: ``import sslmod as ssl`` gives the whole ssl API."""
# At run time __all__ also lists what sslmod.ssl imports for its own use, as
# the stdlib's ssl module does; they are re-exported here to say so honestly.
import base64 as base64
import errno as errno
import os as os
import sys as sys
import warnings as warnings
from collections import namedtuple as namedtuple
from socket import SO_TYPE as SO_TYPE
from socket import SOCK_STREAM as SOCK_STREAM
from socket import SOL_SOCKET as SOL_SOCKET
from socket import create_connection as create_connection
from socket import socket as socket

from sslmod import _sslmod as _sslmod
from sslmod import ssl as ssl
from sslmod._version import __version__ as __version__
from sslmod.ssl import *  # noqa: F403  (the whole ssl API)
from sslmod.ssl import (
    CertificateError as CertificateError,
    PROTOCOL_SSLv23 as PROTOCOL_SSLv23,
    socket_error as socket_error,
)

def inject() -> None:
    """Make ``import ssl`` / ``import _ssl`` return sslmod everywhere in the process."""

def extract() -> None:
    """Undo inject(): the interpreter's ssl and _ssl come back."""


def __dir__() -> list[str]: ...
