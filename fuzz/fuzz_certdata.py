"""Fuzz load_cert_chain(certdata=..., keydata=..., password=...), the
chain and key loaded from memory (Modules/_sslmod/certload.c).

Input: three header bytes, then the payload.
  byte 0  bit 0     str (payload decoded as latin-1) instead of bytes
          bit 1     the key is separate: keydata is the payload from the
                    split point on, certdata what comes before it;
                    otherwise keydata is not given (the key is in certdata)
          bits 2-4  password: None, str, bytes, bytearray, a callable
                    returning a str, a callable returning bytes, a callable
                    raising, a callable returning an int (TypeError)
          bits 5-6  the password's value: the test keys' "somepass", a
                    wrong one (not ASCII), "" and one longer than OpenSSL's
                    1024-byte buffer
          bit 7     after a successful load, handshake over MemoryBIO with
                    a client that does not verify
  bytes 1-2 the split point (little-endian, modulo the payload's length+1)

Differential where it means something: when certdata and keydata, str or
bytes, each hold a "-----BEGIN " line (the test certload.c uses for PEM;
data without one, even a str, is read as DER), the interpreter's _ssl
loads the same bytes from files with load_cert_chain(certfile, keyfile,
password) and must give the same outcome, then the same get_ca_certs()
and cert_store_stats().  sslmod's own file loader gets the same files and
must give the stdlib's outcome exactly (its chain reader is certload.c's).
DER has no file counterpart in the stdlib: it only has to load or fail
with an ordinary exception.  Always: no SystemError, and no OpenSSL error
left queued by any sslmod call (common.outcome checks the queue after
each one, step() during the handshake).

Normalisations, each a documented difference between the paths:
- the stdlib without a password lets OpenSSL prompt on the terminal for
  an encrypted PEM block; memory data never prompts and fails as with a
  wrong password (test_certdata.py::test_encrypted_without_password_never_prompts).
  The file loaders here get a callable raising NeedPassword instead of
  None: when the stdlib raises that, sslmod's memory path must raise
  SSLError;
- messages are compared as they are (less the "(file.c:NNN)" tail),
  except when the stdlib asked for a password sslmod had none to give
  (above): there is no stdlib message to compare with, only the class;
- no memory-against-file comparison when the data holds a NUL byte
  (file against file still): OpenSSL reads a PEM file's lines with
  fgets() and takes strlen() of each, so a file ends for the certificate
  reader at a line that starts with NUL, and loses the rest of a line
  after one; a memory BIO returns every byte.  Seen: a key block, a line
  starting with NUL, then the certificate: the file has no certificate,
  the memory data has one;
- a str that is not ASCII is refused with UnicodeEncodeError before
  anything is parsed (certdata must be PEM text); the file path has no
  such case, so that input is checked alone."""
import atheris

with atheris.instrument_imports(include=["sslmod"]):
    from common import (check_error_queue, compare, core, fuzz_main, outcome, scratch_path,
                        std_core)

CERT_PATH = scratch_path(".pem")
KEY_PATH = scratch_path(".key")
HEADER = 3
PEM_MARK = b"-----BEGIN "
PASSWORDS = ["somepass", "wr\u00f6ng", "", "x" * 1100]


class PasswordRaised(Exception):
    """What the raising password callable raises."""


class NeedPassword(Exception):
    """The stdlib asked for a password where sslmod had none."""


def _need_password():
    raise NeedPassword("the stdlib asked for a password")


def passwords(kind, value):
    """(sslmod's password, the stdlib's) for KIND and VALUE (the header)."""
    text = PASSWORDS[value]
    if kind == 0:
        return None, _need_password
    if kind == 1:
        pw = text
    elif kind == 2:
        pw = text.encode()
    elif kind == 3:
        pw = bytearray(text.encode())
    elif kind == 4:
        pw = lambda: text                                   # noqa: E731
    elif kind == 5:
        pw = lambda: text.encode()                          # noqa: E731
    elif kind == 6:
        def pw():
            raise PasswordRaised("fuzz: password callable raising")
    else:
        pw = lambda: 42                                     # noqa: E731
    return pw, pw


def split(data):
    """(mode byte, certificate bytes, key bytes or None)."""
    mode = data[0]
    payload = data[HEADER:]
    if not mode & 2:
        return mode, payload, None
    at = int.from_bytes(data[1:HEADER], "little") % (len(payload) + 1)
    return mode, payload[:at], payload[at:]


_client = None


def client_context():
    global _client
    if _client is None:
        _client = core._SSLContext(core.PROTOCOL_TLS_CLIENT)
        _client.check_hostname = False
        _client.verify_mode = core.CERT_NONE
    return _client


def step(fn, *args):
    """One call on a connection: its result, or the SSLError it raised;
    nothing queued afterwards."""
    try:
        return fn(*args)
    except core.SSLError as exc:
        return exc
    finally:
        check_error_queue(getattr(fn, "__qualname__", repr(fn)))


def handshake(server_ctx):
    """Drive a client (CERT_NONE) and a server of SERVER_CTX to the end of
    their handshake; look at what the client received."""
    c_in, c_out, s_in, s_out = (core.MemoryBIO() for _ in range(4))
    client = client_context()._wrap_bio(c_in, c_out, False, "localhost")
    server = server_ctx._wrap_bio(s_in, s_out, True)
    done = set()
    for _ in range(6):
        for name, obj in (("c", client), ("s", server)):
            if name in done:
                continue
            res = step(obj.do_handshake)
            if res is None:
                done.add(name)
            elif not isinstance(res, core.SSLWantReadError):
                return
        s_in.write(c_out.read())
        c_in.write(s_out.read())
        if done == {"c", "s"}:
            break
    step(client.getpeercert, True)
    step(client.get_unverified_chain)
    step(client.cipher)
    step(server.version)


def write_files(cert, key):
    with open(CERT_PATH, "wb") as f:
        f.write(cert)
    if key is not None:
        with open(KEY_PATH, "wb") as f:
            f.write(key)


def load_files(mod, separate_key, password):
    """MOD's context and its load_cert_chain(certfile, keyfile, password)
    outcome on the files write_files() wrote."""
    ctx = mod._SSLContext(mod.PROTOCOL_TLS_SERVER)
    return ctx, outcome(ctx.load_cert_chain, CERT_PATH, KEY_PATH if separate_key else None,
                        password)


def test_one_input(data):
    if len(data) < HEADER:
        return
    mode, cert, key = split(data)
    ours_pw, std_pw = passwords((mode >> 2) & 7, (mode >> 5) & 3)
    as_text = bool(mode & 1)
    if as_text:
        certdata = cert.decode("latin-1")
        keydata = None if key is None else key.decode("latin-1")
    else:
        certdata, keydata = cert, key
    ctx = core._SSLContext(core.PROTOCOL_TLS_SERVER)
    kwargs = {"certdata": certdata}
    if keydata is not None:
        kwargs["keydata"] = keydata
    ours = outcome(ctx.load_cert_chain, password=ours_pw, **kwargs)
    compare(ours, None)

    blobs = [b for b in (cert, key) if b is not None]
    pem = std_core is not None and all(PEM_MARK in b for b in blobs)
    std_ctx = None
    if pem:
        write_files(cert, key)
        std_ctx, theirs = load_files(std_core, key is not None, std_pw)
        # sslmod's own file loader (its chain reader is certload.c's) on
        # the same files: file against file, NUL bytes and all.
        compare(load_files(core, key is not None, std_pw)[1], theirs)

    if as_text and not all(b.isascii() for b in blobs):
        if ours[:2] != ("raise", "UnicodeEncodeError"):
            raise AssertionError("non-ASCII str loaded: %r" % (ours,))
        return
    if pem and any(b"\0" in b for b in blobs):
        std_ctx = None   # a file is read differently (the docstring)
    elif pem:
        if theirs[:2] == ("raise", "NeedPassword"):
            # The stdlib would have prompted; memory data fails instead.
            if ours[:2] != ("raise", "SSLError"):
                raise AssertionError("encrypted without a password: sslmod %r" % (ours,))
        else:
            compare(ours, theirs)

    if ours[0] != "ok":
        return
    after = (outcome(ctx.get_ca_certs), outcome(ctx.get_ca_certs, True),
             outcome(ctx.cert_store_stats))
    compare(after, (outcome(std_ctx.get_ca_certs), outcome(std_ctx.get_ca_certs, True),
                    outcome(std_ctx.cert_store_stats)) if std_ctx is not None else None)
    if mode & 0x80:
        handshake(ctx)


if __name__ == "__main__":
    fuzz_main(test_one_input)
