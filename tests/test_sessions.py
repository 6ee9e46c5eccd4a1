"""SSLSession: its attributes and equality, resumption on TLS 1.2 and 1.3
over sockets and memory BIOs, and the errors for setting a session at the
wrong time, all as the stdlib has them."""
import socket

import pytest
import ssl as STD

import connutil as cu


def session_facts(sess):
    """What does not change from one run to the next."""
    return {
        "type": type(sess).__name__,
        "id_len": len(sess.id),
        "id_type": type(sess.id).__name__,
        "time_type": type(sess.time).__name__,
        "timeout": sess.timeout,
        "ticket_lifetime_hint": sess.ticket_lifetime_hint,
        "has_ticket": sess.has_ticket,
        "equal_self": sess == sess,
        "not_equal_other": sess != object(),
        "hashable": _hashable(sess),
    }


def _hashable(obj):
    try:
        hash(obj)
        return True
    except TypeError:
        return False


def resumption(mod, version, *, server_mod=None, tickets=True):
    """Two connections of one MOD client context to one server context, the
    second offering the first's session."""
    server_mod = server_mod or mod
    sctx = cu.server_context(server_mod, maximum=cu.tls(server_mod, version))
    if not tickets:
        sctx.options |= server_mod.OP_NO_TICKET
    cctx = cu.client_context(mod, maximum=cu.tls(mod, version))
    out = {}
    with cu.Server(sctx, cu.echo_once, count=2) as srv:
        with cu.connect(cctx, srv.addr) as s:
            before = s.session_reused
            cu.ping(s)           # on TLS 1.3 the tickets come after the handshake
            first = s.session
            out["first"] = session_facts(first)
            out["first_reused"] = before
        with cu.connect(cctx, srv.addr, session=first) as s:
            cu.ping(s)
            out["second_reused"] = s.session_reused
            out["same_session_object_equal"] = (s.session == first)
            out["second_id_equal"] = (s.session.id == first.id)
    out["server"] = srv.outcomes
    stats = sctx.session_stats()
    out["server_hits"] = stats["hits"]
    out["client_stats"] = cctx.session_stats()
    return out


@pytest.mark.parametrize("version", ["TLSv1_2", "TLSv1_3"])
@pytest.mark.parametrize("tickets", [True, False], ids=["tickets", "no-tickets"])
def test_resumption(std, impl, version, tickets):
    def scenario(mod):
        return resumption(mod, version, tickets=tickets)
    ref = cu.check_same(scenario, std, impl)
    assert ref[0] == "ok", ref
    # Without tickets the stdlib's server offers no stateful resumption.
    assert ref[1]["second_reused"] is tickets
    assert ref[1]["first_reused"] is False


@pytest.mark.parametrize("version", ["TLSv1_2", "TLSv1_3"])
def test_resumption_against_stdlib_server(std, impl, version):
    def scenario(mod):
        return resumption(mod, version, server_mod=STD)
    ref = cu.check_same(scenario, std, impl)
    assert ref[1]["second_reused"] is True


def test_session_over_memory_bio(std, impl):
    def scenario(mod):
        sctx = cu.server_context(mod, maximum=mod.TLSVersion.TLSv1_2)
        cctx = cu.client_context(mod)
        first = cu.BioPair(mod, cctx, mod, sctx)
        assert first.handshake() == (("ok", None), ("ok", None))
        sess = first.client.session
        second = cu.BioPair(mod, cctx, mod, sctx, session=sess)
        hs = second.handshake()
        return (session_facts(sess), hs, second.client.session_reused,
                second.server.session_reused, second.client.session == sess,
                first.server.session is not None)
    ref = cu.check_same(scenario, std, impl)
    assert ref[1][2] is True


def test_session_before_handshake_is_none(std, impl):
    def scenario(mod):
        cctx = cu.client_context(mod)
        obj = cctx.wrap_bio(mod.MemoryBIO(), mod.MemoryBIO(), server_hostname="localhost")
        return obj.session, obj.session_reused
    cu.check_same(scenario, std, impl)


def _first_session(mod, cctx, sctx):
    pair = cu.BioPair(mod, cctx, mod, sctx)
    pair.handshake()
    return pair


def test_session_set_at_wrong_times(std, impl):
    def scenario(mod):
        sctx = cu.server_context(mod, maximum=mod.TLSVersion.TLSv1_2)
        cctx = cu.client_context(mod)
        done = _first_session(mod, cctx, sctx)
        sess = done.client.session
        results = {}

        def set_session(obj, value):
            obj.session = value

        # After the handshake.
        results["after_handshake"] = cu.capture(set_session, done.client, sess)
        # On the server side.
        fresh_server = sctx.wrap_bio(mod.MemoryBIO(), mod.MemoryBIO(), server_side=True)
        results["server_side"] = cu.capture(set_session, fresh_server, sess)
        # Not a session.
        fresh = cctx.wrap_bio(mod.MemoryBIO(), mod.MemoryBIO(), server_hostname="localhost")
        results["wrong_type"] = cu.capture(set_session, fresh, b"session")
        results["none"] = cu.capture(set_session, fresh, None)
        # A session of another context.
        other = cu.client_context(mod)
        other_obj = other.wrap_bio(mod.MemoryBIO(), mod.MemoryBIO(), server_hostname="localhost")
        results["other_context"] = cu.capture(set_session, other_obj, sess)
        results["wrap_other_context"] = cu.capture(
            other.wrap_bio, mod.MemoryBIO(), mod.MemoryBIO(),
            server_hostname="localhost", session=sess)
        results["wrap_wrong_type"] = cu.capture(
            cctx.wrap_bio, mod.MemoryBIO(), mod.MemoryBIO(),
            server_hostname="localhost", session="nope")
        # Before the handshake, on the right side: fine.
        results["before_handshake"] = cu.capture(set_session, fresh, sess)
        results["read_back_equal"] = fresh.session == sess
        return results
    ref = cu.check_same(scenario, std, impl)
    assert ref[1]["after_handshake"][1] == "ValueError"
    assert ref[1]["before_handshake"] == ("ok", None)


def test_session_on_socket_wrong_times(std, impl):
    def scenario(mod):
        sctx = cu.server_context(mod, maximum=mod.TLSVersion.TLSv1_2)
        cctx = cu.client_context(mod)
        with cu.Server(sctx, cu.echo_once, count=1) as srv:
            with cu.connect(cctx, srv.addr) as s:
                cu.ping(s)
                sess = s.session

                def set_session(value):
                    s.session = value
                after = cu.capture(set_session, sess)
        with socket.socket() as raw:
            unconnected = cctx.wrap_socket(raw, server_hostname="localhost",
                                           do_handshake_on_connect=False)
            unconnected_session = unconnected.session
        return after, unconnected_session
    ref = cu.check_same(scenario, std, impl)
    assert ref[1][0][1] == "ValueError"


def test_session_type_cannot_be_instantiated(std, impl):
    def scenario(mod):
        return cu.capture(mod.SSLSession)
    ref = cu.check_same(scenario, std, impl)
    assert ref[1][1] == "TypeError"
