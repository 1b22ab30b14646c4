"""A small Materials Project stand-in on 127.0.0.1, answering as the real API does.

Shapes follow mp-api/emmet: ``GET /heartbeat`` (public, no key, as on MP: mp-api calls it without
one) -> ``{"db_version", "version", "access_controlled_batch_ids", ...}``;
``GET /materials/summary/?_fields=..&_limit=..&_skip=..`` -> ``{"data": [...], "meta": {"total_doc",
"max_limit", ...}}``; a wrong ``x-api-key`` gets 401 with ``{"detail": ...}``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlparse

from local_http import serve

GOOD_KEY = "k" * 32


@dataclass
class MPState:
    """What the server holds and how it misbehaves."""

    docs: list[dict]
    fail_skips: dict[int, int] = field(default_factory=dict)  # _skip -> how many times to fail that page
    fail_status: int = 503  # what a failing page answers (429 comes with Retry-After: 0)
    requests: list[str] = field(default_factory=list)
    db_version: str = "2023.11.1"


def make_docs(formulas: list[str]) -> list[dict]:
    """Summary documents in emmet's field names."""
    return [
        {
            "material_id": f"mp-{i + 1}",
            "formula_pretty": f,
            "energy_above_hull": round(0.01 * (i % 7), 3),
            "is_stable": i % 7 == 0,
            "theoretical": i % 3 == 0,
        }
        for i, f in enumerate(formulas)
    ]


def _handler(state: MPState) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:  # keep test output clean
            pass

        def _send(self, code: int, body: dict, headers: dict[str, str] | None = None) -> None:
            raw = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(raw)

        def do_GET(self) -> None:
            url = urlparse(self.path)
            state.requests.append(self.path)
            if url.path == "/heartbeat":
                self._send(
                    200,
                    {
                        "status": "OK",
                        "version": "0.86.3",
                        "db_version": state.db_version,
                        "access_controlled_batch_ids": [],
                    },
                )
                return
            if self.headers.get("x-api-key") != GOOD_KEY:
                self._send(401, {"detail": "Invalid API key"})
                return
            if url.path != "/materials/summary/":
                self._send(404, {"detail": "Not Found"})
                return
            q = {k: v[0] for k, v in parse_qs(url.query).items()}
            limit, skip = min(int(q.get("_limit", 100)), 1000), int(q.get("_skip", 0))
            if state.fail_skips.get(skip, 0) > 0:
                state.fail_skips[skip] -= 1
                detail = "Too Many Requests" if state.fail_status == 429 else "Service Unavailable"
                self._send(
                    state.fail_status, {"detail": detail}, {"Retry-After": "0"} if state.fail_status == 429 else {}
                )
                return
            fields = q.get("_fields", "").split(",")
            page = [{k: d[k] for k in fields if k in d} for d in state.docs[skip : skip + limit]]
            self._send(
                200,
                {
                    "data": page,
                    "meta": {
                        "api_version": "0.86.3",
                        "total_doc": len(state.docs),
                        "max_limit": 1000,
                        "time_stamp": "2026-11-25T00:00:00",
                    },
                },
            )

    return Handler


@contextmanager
def mp_server(state: MPState) -> Iterator[str]:
    """Serve ``state`` on 127.0.0.1 (a free port) and yield the endpoint URL."""
    with serve(_handler(state)) as root:
        yield root + "/"
