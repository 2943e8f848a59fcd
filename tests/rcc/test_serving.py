"""rcc.serving: every accepted API connection has TCP_NODELAY, also on the listening socket uvicorn
binds itself for ``--workers N`` (proto 0, which asyncio does not tune)."""

from __future__ import annotations

import asyncio
import socket
import threading
import time

import httpx
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from rcc.serving import NoDelayH11Protocol, set_nodelay


async def _app(scope, receive, send):  # a minimal ASGI app with a body bigger than one segment
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"x" * 20_000})


def _nodelay_seen(protocol: type[H11Protocol]) -> list[int]:
    """Serve with ``protocol`` on a socket bound as uvicorn's ``--workers`` binds it; return the
    TCP_NODELAY value of each accepted connection once the protocol has taken it."""
    seen: list[int] = []

    class Recording(protocol):  # type: ignore[misc, valid-type]
        def connection_made(self, transport: asyncio.Transport) -> None:
            super().connection_made(transport)
            sock = transport.get_extra_info("socket")
            seen.append(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))

    config = uvicorn.Config(_app, host="127.0.0.1", port=0, http=Recording, lifespan="off", log_level="warning")
    sock = config.bind_socket()
    assert sock.proto == 0  # the case asyncio leaves alone
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.02)
        port = sock.getsockname()[1]
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
            for _ in range(2):
                r = client.get("/")
                assert r.status_code == 200 and len(r.content) == 20_000
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
    return seen


def test_api_connections_have_nodelay_on_a_workers_socket() -> None:
    seen = _nodelay_seen(NoDelayH11Protocol)
    assert seen and all(v != 0 for v in seen)


def test_plain_uvicorn_protocol_leaves_nagle_on_there() -> None:
    """Why rcc.serving exists: if this starts failing, uvicorn sets the option itself and the
    protocol class can go."""
    seen = _nodelay_seen(H11Protocol)
    assert seen and all(v == 0 for v in seen)


def test_set_nodelay_ignores_a_unix_socket() -> None:
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)

    class T(asyncio.BaseTransport):
        def get_extra_info(self, name, default=None):
            return a if name == "socket" else default

    try:
        assert set_nodelay(T()) is False
    finally:
        a.close()
        b.close()


def test_set_nodelay_sets_it_on_tcp() -> None:
    s = socket.socket(socket.AF_INET)  # proto 0, as uvicorn binds it

    class T(asyncio.BaseTransport):
        def get_extra_info(self, name, default=None):
            return s if name == "socket" else default

    try:
        assert set_nodelay(T()) is True
        assert s.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
    finally:
        s.close()
