"""A hostile or broken Materials Project server on 127.0.0.1, for the client's bounds and checks.

Each behaviour is one the audit met: redirects to another port, a body trickled byte by byte, a
claimed 10^12 documents, a page repeated forever, new ids forever, a huge body, and odd but valid
JSON. Every request's path and headers are recorded (to prove where the key went). Whatever it
does, the server stops itself: long answers end after ``max_seconds`` or when the test ends.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse


@dataclass
class Seen:
    """One request as the server received it."""

    path: str
    headers: dict[str, str]


@dataclass
class Hostile:
    """What the server does: ``answer(handler, path, query)`` writes the response."""

    answer: Callable[[BaseHTTPRequestHandler, str, dict[str, str]], None]
    seen: list[Seen] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    max_seconds: float = 20.0


def send_json(handler: BaseHTTPRequestHandler, body: object, code: int = 200, raw: bytes | None = None) -> None:
    """A complete JSON answer."""
    data = raw if raw is not None else json.dumps(body).encode()
    handler.send_response(code)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)


def redirect(handler: BaseHTTPRequestHandler, location: str) -> None:
    handler.send_response(302)
    handler.send_header("Location", location)
    handler.send_header("Content-Length", "0")
    handler.end_headers()


def page(docs: list[dict], total: object) -> dict:
    """A summary page in MP's shape."""
    return {"data": docs, "meta": {"total_doc": total, "max_limit": 1000}}


def docs(start: int, n: int, formula: str = "NaCl") -> list[dict]:
    """``n`` well-formed summaries with ids from ``start``."""
    return [
        {"material_id": f"mp-{i}", "formula_pretty": formula, "energy_above_hull": 0.0} for i in range(start, start + n)
    ]


def heartbeat_or(summary: Callable[[BaseHTTPRequestHandler, dict[str, str]], None]) -> Callable:
    """An answer that serves a normal heartbeat and ``summary`` for everything else."""

    def answer(handler: BaseHTTPRequestHandler, path: str, query: dict[str, str]) -> None:
        if path == "/heartbeat":
            send_json(handler, {"db_version": "2099.1.1"})
        else:
            summary(handler, query)

    return answer


def trickle(state: Hostile, chunk: bytes = b" ", every: float = 0.3) -> Callable:
    """Headers promising a 10 kB body, then one byte every ``every`` seconds until the client gives up."""

    def summary(handler: BaseHTTPRequestHandler, query: dict[str, str]) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", "10000")
        handler.end_headers()
        _stream(state, handler, lambda: chunk, every)

    return heartbeat_or(summary)


def flood(state: Hostile, chunk_size: int = 1 << 16, declare: int | None = None) -> Callable:
    """A body without end (chunks of spaces), or a huge declared Content-Length."""

    def summary(handler: BaseHTTPRequestHandler, query: dict[str, str]) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        if declare is not None:
            handler.send_header("Content-Length", str(declare))
        handler.end_headers()
        handler.wfile.write(b"[")
        _stream(state, handler, lambda: b" " * chunk_size, 0.0)

    return heartbeat_or(summary)


def _stream(state: Hostile, handler: BaseHTTPRequestHandler, chunk: Callable[[], bytes], every: float) -> None:
    """Write chunks until the client hangs up, the test ends or max_seconds pass."""
    end = time.monotonic() + state.max_seconds
    try:
        while not state.stop.is_set() and time.monotonic() < end:
            handler.wfile.write(chunk())
            handler.wfile.flush()
            if every:
                state.stop.wait(every)
    except OSError:
        pass  # the client gave up: what the test wants


def _handler(state: Hostile) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            url = urlparse(self.path)
            state.seen.append(Seen(self.path, {k.lower(): v for k, v in self.headers.items()}))
            state.answer(self, url.path, {k: v[0] for k, v in parse_qs(url.query).items()})

    return Handler


@contextmanager
def hostile_server(state: Hostile) -> Iterator[str]:
    """Serve ``state`` on 127.0.0.1 (a free port), yield its URL, then stop it and every answer in progress."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        state.stop.set()
        server.shutdown()
        server.server_close()
