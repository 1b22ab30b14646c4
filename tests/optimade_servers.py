"""OPTIMADE servers on 127.0.0.1 for the tests: the real reference server and a paging stand-in.

``reference_server`` runs optimade-python-tools' own server (``optimade[server]``: FastAPI, its
bundled test structures, the in-memory mongomock backend) in a subprocess on a free port. Without
aliases its structures carry ``elements`` and ``elements_ratios`` but no ``id`` nor
``chemical_formula_reduced``; with ``aliases=True`` it serves ``task_id`` as ``id`` and
``pretty_formula`` as ``chemical_formula_reduced``, as the package's own example configuration does.

``standin_server`` serves any number of generated structures in pages that follow the spec's
``links.next``/``page_offset`` pagination, and misbehaves on request (transient failures, slow pages,
endless paging, answers that are not OPTIMADE) to test paging, progress, cancel, retries and bounds.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlparse

import requests
from optimade import __api_version__

from local_http import serve

#: The reference server's bundled structures (what it serves, for tests to derive expectations).
REFERENCE_DATA = Path(__import__("optimade.server", fromlist=["x"]).__file__).parent / "data" / "test_structures.json"

_LAUNCH = """
import os, socket, sys, uvicorn
from optimade.server.main import app
sock = socket.socket(); sock.bind(("127.0.0.1", 0))
with open(sys.argv[1] + ".part", "w") as f:
    f.write(str(sock.getsockname()[1]))
os.replace(sys.argv[1] + ".part", sys.argv[1])
uvicorn.Server(uvicorn.Config(app, log_level="warning")).run(sockets=[sock])
"""


@contextmanager
def reference_server(aliases: bool = False, startup_s: float = 180.0) -> Iterator[str]:
    """Run the OPTIMADE reference server on a free port of 127.0.0.1; yield its base URL; stop it."""
    config: dict = {"insert_test_data": True, "database_backend": "mongomock", "debug": False}
    if aliases:
        config["aliases"] = {"structures": {"id": "task_id", "chemical_formula_reduced": "pretty_formula"}}
    with tempfile.TemporaryDirectory() as tmp:
        cfg = Path(tmp) / "optimade_config.json"
        cfg.write_text(json.dumps(config))
        env = dict(os.environ, OPTIMADE_CONFIG_FILE=str(cfg))
        port_file = Path(tmp) / "port"
        proc = subprocess.Popen(
            [sys.executable, "-c", _LAUNCH, str(port_file)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            url = _wait_ready(port_file, proc, startup_s)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _wait_ready(port_file: Path, proc: subprocess.Popen, startup_s: float) -> str:
    """The server's base URL once its ``/v1/info`` answers 200 (generous: the machine may be loaded)."""
    deadline = time.monotonic() + startup_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the reference server exited with status {proc.returncode}")
        if port_file.exists():
            url = f"http://127.0.0.1:{int(port_file.read_text())}"
            try:
                if requests.get(f"{url}/v1/info", timeout=5).status_code == 200:
                    return url
            except requests.RequestException:
                pass
        time.sleep(0.2)
    raise RuntimeError(f"the reference server did not answer within {startup_s} s")


# -- the stand-in -------------------------------------------------------------------------------


@dataclass
class StandIn:
    """What the stand-in serves and how it misbehaves."""

    structures: list[dict]  # resources: {"id", "type", "attributes": {...}}
    max_page: int = 100  # the server's cap on page_limit
    fail_offsets: dict[int, int] = field(default_factory=dict)  # page_offset -> times to fail it
    fail_status: int = 503
    drop_offsets: dict[int, int] = field(default_factory=dict)  # page_offset -> times to cut the answer short
    page_delay: float = 0.0  # seconds each structures page takes
    mode: str = "optimade"  # "html", "json" (JSON, not OPTIMADE), "endless" (next link for ever), "404"
    requests: list[str] = field(default_factory=list)
    api_version: str = __api_version__


def _meta(state: StandIn, representation: str, returned: int, more: bool) -> dict:
    return {
        "query": {"representation": representation},
        "api_version": state.api_version,
        "more_data_available": more,
        "data_returned": returned,
        "data_available": len(state.structures),
        "time_stamp": "2026-11-26T00:00:00Z",
        "provider": {"name": "stand-in", "description": "test stand-in", "prefix": "standin"},
    }


def _info(state: StandIn, base: str) -> dict:
    attributes = {
        "api_version": state.api_version,
        "available_api_versions": [{"url": f"{base}/v1", "version": state.api_version}],
        "formats": ["json"],
        "available_endpoints": ["info", "structures"],
        "entry_types_by_format": {"json": ["structures"]},
        "is_index": False,
    }
    return {"data": {"id": "/", "type": "info", "attributes": attributes}, "meta": _meta(state, "/info", 1, False)}


def _in_filter(doc: dict) -> bool:
    return 2 <= doc["attributes"]["nelements"] <= 6


def _handler(state: StandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def _send(self, code: int, body: bytes, ctype: str = "application/vnd.api+json", headers: dict | None = None):
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(body)

        def _json(self, code: int, doc: dict, headers: dict | None = None) -> None:
            self._send(code, json.dumps(doc).encode(), headers=headers)

        def do_GET(self) -> None:
            state.requests.append(self.path)
            url = urlparse(self.path)
            base = f"http://{self.headers['Host']}"
            if state.mode == "html":
                self._send(200, b"<html><body>Welcome</body></html>", "text/html")
            elif state.mode == "json":
                self._json(200, {"status": "ok", "items": []})
            elif state.mode == "404" or url.path not in ("/v1/info", "/v1/structures"):
                self._send(404, b"Not Found", "text/plain")
            elif url.path == "/v1/info":
                self._json(200, _info(state, base))
            else:
                self._structures(base, {k: v[0] for k, v in parse_qs(url.query).items()})

        def _structures(self, base: str, q: dict[str, str]) -> None:
            if q.get("filter") != "nelements>=2 AND nelements<=6":
                self._json(400, {"errors": [{"status": "400", "detail": f"unexpected filter {q.get('filter')}"}]})
                return
            limit, offset = int(q.get("page_limit", 20)), int(q.get("page_offset", 0))
            if limit > state.max_page:
                detail = f"Max allowed page_limit is {state.max_page}, you requested {limit}"
                self._json(403, {"errors": [{"status": "403", "title": "Forbidden", "detail": detail}], "meta": {}})
                return
            if state.fail_offsets.get(offset, 0) > 0:
                state.fail_offsets[offset] -= 1
                headers = {"Retry-After": "0"} if state.fail_status == 429 else {}
                self._json(
                    state.fail_status, {"errors": [{"status": str(state.fail_status), "detail": "busy"}]}, headers
                )
                return
            if state.drop_offsets.get(offset, 0) > 0:  # the connection drops half-way through the answer
                state.drop_offsets[offset] -= 1
                self.send_response(200)
                self.send_header("Content-Type", "application/vnd.api+json")
                self.send_header("Content-Length", "100000")
                self.end_headers()
                self.wfile.write(b'{"data": [')
                self.close_connection = True
                return
            time.sleep(state.page_delay)
            fields = set(q.get("response_fields", "").split(","))
            matching = [d for d in state.structures if _in_filter(d)]
            start = offset % max(1, len(matching)) if state.mode == "endless" else offset  # endless: data for ever
            page = [
                {
                    "id": d["id"],
                    "type": "structures",
                    "attributes": {k: v for k, v in d["attributes"].items() if k in fields},
                }
                for d in matching[start : start + limit]
            ]
            more = offset + limit < len(matching) or state.mode == "endless"
            nxt = dict(q, page_offset=offset + limit)
            links = {"next": f"{base}/v1/structures?{urlencode(nxt)}" if more else None}
            rep = f"/structures?{urlencode(q)}"
            self._json(200, {"data": page, "meta": _meta(state, rep, len(matching), more), "links": links})

    return Handler


@contextmanager
def standin_server(state: StandIn) -> Iterator[str]:
    """Serve ``state`` on 127.0.0.1 (a free port) and yield its base URL."""
    with serve(_handler(state)) as root:
        yield root


def structure(ident: str, elements: dict[str, float], formula: str | None) -> dict:
    """A structure resource as a provider would hold it (``formula`` None: the provider leaves it out)."""
    symbols = sorted(elements)
    total = sum(elements.values())
    attributes = {
        "elements": symbols,
        "elements_ratios": [elements[s] / total for s in symbols],
        "nelements": len(symbols),
        "chemical_formula_reduced": formula,
    }
    return {"id": ident, "type": "structures", "attributes": attributes}
