"""asyncio streams and trio over TLS on sslmod, as client and as server,
including a STARTTLS-style upgrade (start_tls).

Both frameworks drive TLS through SSLObject over MemoryBIO.  Each scenario
runs on the interpreter's ssl and then on sslmod, after
``sslmod.inject()`` (undone by ``sslmod.extract()`` in the fixture's
finalizer) or with sslmod contexts passed explicitly, and what the
program observed must be identical (see tests/clientutil.py).  The peer
that is not under test is the interpreter's ssl: a blocking client or
server in a thread.
"""
import asyncio
import sys

import pytest

pytest.register_assert_rewrite("clientutil")
import clientutil  # noqa: E402
import connutil as cu
from clientutil import stdlib_back_afterwards, echo_tls  # noqa: F401  (fixtures)
from clientutil import (
    HOST, TIMEOUT, REF, exc_report, tls_info, EchoServer,
    line_client, require)

LINES = ["hello", "tls over asyncio", "x" * 20000]


@pytest.fixture(params=["inject", "explicit"])
def runner(request):
    return clientutil.make_runner(request)


@pytest.fixture
def echo_starttls():
    with EchoServer(tls_context=cu.server_context(REF.ssl)) as server:
        yield server


def run(coro):
    """Run CORO in a fresh event loop, bounded by TIMEOUT."""
    return asyncio.run(asyncio.wait_for(coro, TIMEOUT))


async def start_tls(reader, writer, context, server_hostname=None):
    """Upgrade a stream connection to TLS: StreamWriter.start_tls on 3.11+,
    loop.start_tls (what it is made of) before that."""
    if hasattr(writer, "start_tls"):
        await writer.start_tls(context, server_hostname=server_hostname)
        return writer
    loop = asyncio.get_running_loop()
    transport = writer.transport
    protocol = transport.get_protocol()
    server_side = server_hostname is None
    new = await loop.start_tls(transport, protocol, context,
                               server_side=server_side,
                               server_hostname=server_hostname)
    return asyncio.StreamWriter(new, protocol, reader, loop)


def _extra(writer):
    """What asyncio tells the program about the TLS connection."""
    sslobj = writer.get_extra_info("ssl_object")
    cipher = writer.get_extra_info("cipher")
    return {"ssl_object": tls_info(sslobj),
            "peercert": writer.get_extra_info("peercert"),
            "cipher": cipher[0] if cipher else None,
            "sslcontext": {"impl": clientutil.impl_of_context(
                writer.get_extra_info("sslcontext"))}}


async def _exchange(reader, writer):
    replies = []
    for line in LINES:
        writer.write(line.encode() + b"\r\n")
        await writer.drain()
        replies.append((await reader.readline()).rstrip(b"\r\n").decode())
    return replies


async def _close(writer):
    writer.close()
    await writer.wait_closed()


# ---- client ---------------------------------------------------------------------

def test_open_connection(runner, echo_tls):
    """asyncio.open_connection(ssl=context) against the reference server."""
    def scenario(env):
        async def main():
            reader, writer = await asyncio.open_connection(
                "localhost", echo_tls.port, ssl=env.client_context())
            try:
                return {"replies": await _exchange(reader, writer),
                        "extra": _extra(writer)}
            finally:
                writer.write(b"QUIT\r\n")
                await _close(writer)
        return run(main())
    result = runner.check(scenario)
    assert result["replies"] == [line.upper() for line in LINES]
    assert echo_tls.errors == []


def test_open_connection_untrusted(runner, echo_tls):
    def scenario(env):
        async def main():
            try:
                await asyncio.open_connection(
                    "localhost", echo_tls.port,
                    ssl=env.client_context("selfsigned.pem"))
            except OSError as exc:
                return exc_report(exc)
            return "no error"
        return run(main())
    result = runner.check(scenario)
    assert result["verify_code"] == 20


def test_open_connection_start_tls(runner, echo_starttls):
    """Plain text first, then STARTTLS upgrades the same stream."""
    def scenario(env):
        async def main():
            reader, writer = await asyncio.open_connection(HOST, echo_starttls.port)
            try:
                plain = await _exchange(reader, writer)
                writer.write(b"STARTTLS\r\n")
                go = await reader.readline()
                writer = await start_tls(reader, writer, env.client_context(),
                                         server_hostname="localhost")
                return {"plain": plain, "go": go,
                        "replies": await _exchange(reader, writer),
                        "extra": _extra(writer)}
            finally:
                writer.write(b"QUIT\r\n")
                await _close(writer)
        return run(main())
    if not _start_tls_needs_inject(runner, scenario):
        runner.check(scenario)
        assert echo_starttls.errors == []


def _start_tls_needs_inject(runner, scenario):
    """asyncio's start_tls checks isinstance(context, ssl.SSLContext) against
    the stdlib class, which sslmod's context cannot pass without inject()
    (documented in README.rst): then the clear TypeError is asyncio's own.
    Returns True when that case was checked."""
    if runner.flavour != "explicit":
        return False
    with pytest.raises(TypeError, match="expected to be an instance of ssl.SSLContext"):
        runner.sslmod(scenario)
    return True


# ---- server ---------------------------------------------------------------------

async def _serve_one(ssl_context, client, starttls_context=None):
    """Start an asyncio server (TLS with SSL_CONTEXT, or plain until
    STARTTLS with STARTTLS_CONTEXT), run the blocking CLIENT(port, sockets)
    in a thread, and return what both sides saw.  A failure on the server
    side is raised as itself, after ending the client's wait."""
    loop = asyncio.get_running_loop()
    seen = {}
    done = loop.create_future()
    sockets = cu.Connections()
    failures = []

    def fail(error):
        failures.append(error)
        sockets.abort()

    async def handle(reader, writer):
        try:
            while True:
                line = (await reader.readline()).rstrip(b"\r\n").decode()
                if line in ("", "QUIT"):
                    break
                if line == "STARTTLS":
                    writer.write(b"GO\r\n")
                    await writer.drain()
                    writer = await start_tls(reader, writer, starttls_context)
                    continue
                writer.write(line.upper().encode() + b"\r\n")
                await writer.drain()
                seen.setdefault("lines", []).append(line)
                seen["extra"] = _extra(writer)
        except Exception as exc:  # noqa: BLE001 - raised below
            fail(exc)
        finally:
            # Also on failure: on 3.12+ server.wait_closed() waits for it.
            await _close(writer)
            if not done.done():
                done.set_result(None)

    # asyncio reports a failure in its own TLS layer (before the handler
    # runs) only to the loop's exception handler, and only in debug mode.
    loop.set_debug(True)
    loop.slow_callback_duration = TIMEOUT
    loop.set_exception_handler(
        lambda loop, context: fail(context.get("exception")
                                   or RuntimeError(context.get("message"))))
    server = await asyncio.start_server(handle, HOST, 0, ssl=ssl_context)
    try:
        port = server.sockets[0].getsockname()[1]
        try:
            client_saw = await loop.run_in_executor(None, client, port, sockets)
            await done
        except Exception:
            if failures:
                raise failures[0]  # noqa: B904 - the first failure is the cause
            raise
    finally:
        server.close()
        await server.wait_closed()
        sockets.close()
    if failures:
        raise failures[0]
    return {"server": seen, "client": client_saw}


def test_start_server(runner):
    """asyncio.start_server(ssl=context) requiring a client certificate;
    the reference client connects from a thread."""
    def scenario(env):
        return run(_serve_one(env.server_context(),
                              lambda port, socks: line_client(port, LINES, sockets=socks)))
    result = runner.check(scenario)
    assert result["server"]["lines"] == LINES
    assert result["server"]["extra"]["peercert"]["subject"]


def test_start_server_start_tls(runner):
    """The server side of a STARTTLS upgrade (start_tls on the server)."""
    def scenario(env):
        return run(_serve_one(
            None, lambda port, socks: line_client(port, LINES, True, socks),
            starttls_context=env.server_context()))
    if _start_tls_needs_inject(runner, scenario):
        return
    result = runner.check(scenario)
    assert result["client"]["replies"] == [line.upper() for line in LINES]


def test_client_and_server(runner):
    """Both ends in one event loop on the ssl under test, with a client
    certificate: the server's and the client's views."""
    def scenario(env):
        async def client(port):
            reader, writer = await asyncio.open_connection(
                "localhost", port, ssl=env.client_context(client_cert=True))
            try:
                return {"replies": await _exchange(reader, writer),
                        "extra": _extra(writer)}
            finally:
                writer.write(b"QUIT\r\n")
                await _close(writer)

        async def main():
            seen = {}
            done = asyncio.get_running_loop().create_future()

            async def handle(reader, writer):
                try:
                    seen["extra"] = _extra(writer)
                    seen["replies"] = []
                    while True:
                        line = (await reader.readline()).rstrip(b"\r\n")
                        if line in (b"", b"QUIT"):
                            break
                        writer.write(line.upper() + b"\r\n")
                        await writer.drain()
                finally:
                    await _close(writer)
                    done.set_result(None)

            server = await asyncio.start_server(handle, HOST, 0,
                                                ssl=env.server_context())
            try:
                port = server.sockets[0].getsockname()[1]
                client_saw = await client(port)
                await done
            finally:
                server.close()
                await server.wait_closed()
            return {"server": seen, "client": client_saw}
        return run(main())
    runner.check(scenario)


# ---- trio (a test extra) ------------------------------------------------------------

def test_trio_client(runner, echo_tls):
    """trio.SSLStream (SSLObject over MemoryBIO) as a client."""
    trio = require("trio")

    def scenario(env):
        async def main():
            with trio.fail_after(TIMEOUT):
                tcp = await trio.open_tcp_stream(HOST, echo_tls.port)
                try:
                    stream = trio.SSLStream(tcp, env.client_context(),
                                            server_hostname="localhost")
                except BaseException:
                    await tcp.aclose()
                    raise
                await stream.do_handshake()
                replies = []
                buf = b""
                for line in LINES:
                    await stream.send_all(line.encode() + b"\r\n")
                    while b"\n" not in buf:
                        buf += await stream.receive_some(65536)
                    reply, buf = buf.split(b"\n", 1)
                    replies.append(reply.rstrip(b"\r").decode())
                info = tls_info(stream)
                await stream.send_all(b"QUIT\r\n")
                await stream.aclose()
                return {"replies": replies, "tls": info}
        return trio.run(main)
    result = runner.check(scenario)
    assert result["replies"] == [line.upper() for line in LINES]


def test_trio_server(runner):
    """trio.SSLStream as a server requiring a client certificate; the
    reference client runs in a worker thread."""
    trio = require("trio")

    def scenario(env):
        async def main():
            with trio.fail_after(TIMEOUT):
                listeners = await trio.open_tcp_listeners(0, host=HOST)
                listener = listeners[0]
                port = listener.socket.getsockname()[1]
                seen = {}
                sockets = cu.Connections()
                async with trio.open_nursery() as nursery:
                    async def client():
                        seen["client"] = await trio.to_thread.run_sync(
                            line_client, port, LINES, False, sockets)
                    nursery.start_soon(client)
                    tcp = await listener.accept()
                    try:
                        stream = trio.SSLStream(tcp, env.server_context(),
                                                server_side=True)
                    except BaseException:
                        # The worker thread cannot be cancelled: end its wait.
                        sockets.abort()
                        await tcp.aclose()
                        raise
                    await stream.do_handshake()
                    seen["tls"] = tls_info(stream)
                    buf = b""
                    lines = []
                    while True:
                        while b"\n" not in buf:
                            data = await stream.receive_some(65536)
                            if not data:
                                break
                            buf += data
                        if b"\n" not in buf:
                            break
                        line, buf = buf.split(b"\n", 1)
                        line = line.rstrip(b"\r")
                        if line == b"QUIT":
                            break
                        lines.append(line.decode())
                        await stream.send_all(line.upper() + b"\r\n")
                    seen["lines"] = lines
                    await stream.aclose()
                await listener.aclose()
                sockets.close()
                return seen
        return trio.run(main)
    result = runner.check(scenario)
    assert result["lines"] == LINES
    assert result["client"]["replies"] == [line.upper() for line in LINES]


def test_python_version_paths():
    """Which upgrade path start_tls() above takes here, so a run on an
    interpreter without StreamWriter.start_tls (3.9, 3.10) says so."""
    assert hasattr(asyncio.StreamWriter, "start_tls") == (sys.version_info >= (3, 11))
