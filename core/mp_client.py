"""Download every Materials Project material's formula and stability fields.

Why not mp-api's ``MPRester.materials.summary.search``: it returns only when all pages are in, draws
its own tqdm bars, has no way to cancel, and called with ``fields`` but no criterion it tries a bulk
download from MP's S3 store (which fails offline). This thin client speaks the same API (the
``x-api-key`` header, ``/heartbeat`` for ``db_version``, ``/materials/summary/`` paged with
``_limit``/``_skip`` and restricted ``_fields``) with a progress callback, cancellation, bounded
retries and MP's request-rate limit. The key is only ever sent in the header: never printed,
logged or written anywhere by us.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import requests

from chemspace.core.errors import CancelledError, InputError
from chemspace.core.known import MP_NAME, KnownEntry, KnownSet, build_set

DEFAULT_ENDPOINT = "https://api.materialsproject.org/"
FIELDS = ("material_id", "formula_pretty", "energy_above_hull", "is_stable", "theoretical")
PAGE_SIZE = 1000  # the API's max_limit
MIN_INTERVAL = 1 / 25  # MP asks for at most 25 requests per second


class MPClient:
    """Pages through ``/materials/summary/`` with retries; one instance per fetch."""

    def __init__(self, api_key: str, endpoint: str = DEFAULT_ENDPOINT, retries: int = 3, backoff: float = 0.5):
        if len(api_key) != 32:
            raise InputError("the Materials Project API key must be 32 characters (see your MP dashboard)")
        self.endpoint = endpoint if endpoint.endswith("/") else endpoint + "/"
        self.session = requests.Session()
        self.session.headers["x-api-key"] = api_key
        self.retries = retries
        self.backoff = backoff
        self._last = 0.0

    def _get(self, path: str, params: dict | None = None) -> dict:
        """GET with rate limiting and retries on connection errors and 5xx; 401/403 fail at once."""
        url = self.endpoint + path
        last_error = ""
        for attempt in range(self.retries):
            wait = self._last + MIN_INTERVAL - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            self._last = time.monotonic()
            try:
                resp = self.session.get(url, params=params, timeout=60)
            except requests.RequestException as exc:
                last_error = type(exc).__name__
            else:
                if resp.status_code in (401, 403):
                    raise InputError(f"the Materials Project rejected the API key (HTTP {resp.status_code})")
                if resp.status_code < 500:
                    if resp.status_code != 200:
                        raise InputError(f"Materials Project answered HTTP {resp.status_code} for {path}")
                    try:
                        return resp.json()
                    except ValueError:
                        last_error = "a response that is not JSON"
                else:
                    last_error = f"HTTP {resp.status_code}"
            time.sleep(self.backoff * 2**attempt)
        raise InputError(f"Materials Project request for {path} failed after {self.retries} attempts ({last_error})")

    def db_version(self) -> str | None:
        """Database version from ``/heartbeat`` (e.g. 2023.11.1)."""
        return self._get("heartbeat").get("db_version")

    def summaries(
        self, on_progress: Callable[[int, int], None] | None = None, cancel: threading.Event | None = None
    ) -> list[dict]:
        """Every non-deprecated material's restricted summary, page by page."""
        docs: list[dict] = []
        total = None
        while total is None or len(docs) < total:
            if cancel is not None and cancel.is_set():
                raise CancelledError("fetch cancelled")
            params = {"deprecated": "false", "_fields": ",".join(FIELDS), "_limit": PAGE_SIZE, "_skip": len(docs)}
            page = self._get("materials/summary/", params)
            data = page.get("data") or []
            total = int(page.get("meta", {}).get("total_doc", len(docs) + len(data)))
            if not data:
                break
            docs.extend(data)
            if on_progress:
                on_progress(len(docs), total)
        return docs


def fetch_materials_project(
    api_key: str,
    endpoint: str = DEFAULT_ENDPOINT,
    on_progress: Callable[[int, int], None] | None = None,
    cancel: threading.Event | None = None,
    retries: int = 3,
    backoff: float = 0.5,
) -> KnownSet:
    """Download MP into a KnownSet named ``mp`` (not yet cached: see ``known.save_set``)."""
    client = MPClient(api_key, endpoint, retries, backoff)
    version = client.db_version()
    docs = client.summaries(on_progress, cancel)
    rows = (
        KnownEntry(
            id=d.get("material_id"),
            formula=d["formula_pretty"],
            energy_above_hull=d.get("energy_above_hull"),
            is_stable=d.get("is_stable"),
            theoretical=d.get("theoretical"),
        )
        for d in docs
        if d.get("formula_pretty")
    )
    return build_set(MP_NAME, f"Materials Project ({client.endpoint})", rows, version=version)
