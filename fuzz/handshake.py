"""The two handshake harnesses' shared body: the fuzzer is the peer.  The
input's first byte picks the local configuration (common.py), the rest is
everything the peer sends, fed to the incoming MemoryBIO in the record
chunks the fuzzer chose; the local end runs its handshake, then reads,
writes and shuts down, and every query a program makes is asked."""
from common import (check_error_queue, check_unraisable, clear_error_queue, client_context,
                    client_hostname, inspect, server_context, ssl)

# What a handshake step may raise: TLS errors, and what the fuzz callbacks
# raise on purpose (re-raised by the handshake).
FAILURES = (ssl.SSLError, RuntimeError)


def chunks(stream):
    """Split the peer's bytes at TLS record boundaries (5-byte headers);
    a truncated tail is one last chunk."""
    at = 0
    while at < len(stream):
        size = 5 + int.from_bytes(stream[at + 3:at + 5], "big")
        yield stream[at:at + size]
        at += size


def step(fn, *args):
    try:
        return fn(*args)
    except FAILURES:
        return None
    except ValueError as exc:
        # Only what a closed or unfinished connection says.
        if "closed" not in str(exc) and "handshake" not in str(exc):
            raise
        return None


def run(data, server_side):
    if not data:
        return
    config, stream = data[0], data[1:]
    clear_error_queue()
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    if server_side:
        obj = server_context(config).wrap_bio(incoming, outgoing, server_side=True)
    else:
        obj = client_context(config).wrap_bio(incoming, outgoing,
                                              server_hostname=client_hostname(config))
    done = False
    try:
        obj.do_handshake()   # the client's hello; a server wants to read
        done = True
    except ssl.SSLWantReadError:
        pass
    except FAILURES:
        pass
    for chunk in chunks(stream):
        incoming.write(chunk)
        outgoing.read()
        if done:
            if step(obj.read, 4096) is None:
                break
            continue
        try:
            obj.do_handshake()
            done = True
        except ssl.SSLWantReadError:
            continue
        except FAILURES:
            break
    inspect(obj)
    if done:
        step(obj.write, b"fuzz")
        incoming.write_eof()
        step(obj.read, 4096)
        step(obj.unwrap)
    obj.session   # noqa: B018 - the session getter, after whatever happened
    outgoing.read()
    del obj
    check_unraisable()
    check_error_queue("a handshake run")
