"""`python -m config.server` listens with a backlog a reconnect storm does not overflow."""

from __future__ import annotations

from config.server import DrainingServer, endpoint_with_backlog


def test_tcp_endpoints_get_a_backlog_unless_they_name_one():
    assert endpoint_with_backlog("tcp:port=8000:interface=127.0.0.1", 4096) == (
        "tcp:port=8000:interface=127.0.0.1:backlog=4096"
    )
    assert endpoint_with_backlog("tcp:port=8000:backlog=10", 4096) == "tcp:port=8000:backlog=10"
    assert endpoint_with_backlog("unix:/run/cl.sock", 4096) == "unix:/run/cl.sock"


def test_the_server_built_from_daphne_options_listens_with_the_backlog():
    server = DrainingServer(application=object(), endpoints=["tcp:port=0:interface=127.0.0.1"])
    assert server.endpoints == ["tcp:port=0:interface=127.0.0.1:backlog=4096"]
    # Twisted accepts the description (a wrong keyword would fail here, not at deploy time).
    from twisted.internet import reactor
    from twisted.internet.endpoints import serverFromString

    endpoint = serverFromString(reactor, server.endpoints[0])
    assert endpoint._backlog == 4096
