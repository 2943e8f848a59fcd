"""The HTTP protocol the API processes serve with: uvicorn's h11 protocol with ``TCP_NODELAY`` set on
every connection.

Why: with ``--workers N`` (the multi-process layout in the README) uvicorn binds the listening socket
itself as ``socket.socket(family)``, whose ``proto`` is 0, and asyncio sets ``TCP_NODELAY`` only on
sockets whose ``proto`` is ``IPPROTO_TCP``. So every connection then ran with Nagle's algorithm on:
uvicorn writes the response head and the body separately, the body waited for the client's delayed ACK
of the head, and every keep-alive request of more than one segment took about 40 ms more than its
work (measured on loopback: ``GET /api/v1/homes`` 2.8 ms with one worker, 48 ms with two). Setting the
option on the accepted connection fixes it whatever created the listening socket.

Use: ``uvicorn rcc.app:create_app --factory --http rcc.serving:NoDelayH11Protocol --workers W``
(``rcc serve --workers W`` passes it).
"""

from __future__ import annotations

import asyncio
import socket

from uvicorn.protocols.http.h11_impl import H11Protocol

PROTOCOL = "rcc.serving:NoDelayH11Protocol"


def set_nodelay(transport: asyncio.BaseTransport) -> bool:
    """Turn Nagle's algorithm off on the transport's TCP socket; False when it is not a TCP socket
    (a Unix socket, or a transport without one)."""
    sock = transport.get_extra_info("socket")
    if sock is None or sock.family not in (socket.AF_INET, socket.AF_INET6) or sock.type != socket.SOCK_STREAM:
        return False
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except OSError:  # the peer is already gone: nothing to tune
        return False
    return True


class NoDelayH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, with ``TCP_NODELAY`` on each accepted connection."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        set_nodelay(transport)
        super().connection_made(transport)
