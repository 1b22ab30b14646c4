"""Download every Materials Project material's formula and stability fields.

Why a thin client over ``requests`` and not mp-api's ``MPRester.materials.summary.search`` (0.46.5,
tried against the stand-in server of the tests, which mp-api itself reads correctly):

- ``search`` returns only when every page is in, so the progress bar could not move and Ctrl-C
  could not stop it between pages; its own progress is a tqdm bar on stderr.
- its retries (urllib3 ``Retry``) cover 429/502/504 only: a 503 or a dropped connection mid-way
  aborts the whole download with an error message that carries the request URL.
- called with ``fields`` but no criterion it ignores the fields and tries a bulk download from
  MP's S3 store, which fails offline (hence ``deprecated=false`` below).
- ``import mp_api.client`` alone costs about 6 s (emmet, pydantic models); this module, ~0.

This client speaks the same API as mp-api (``x-api-key`` header, a public ``/heartbeat`` with
``db_version``, ``/materials/summary/`` paged with ``_limit``/``_skip`` and restricted ``_fields``,
answers ``{"data": [...], "meta": {"total_doc": N}}``), with a progress callback, cancellation,
bounded retries and MP's request-rate limit. The key is only ever sent in the header: never
printed, logged or written anywhere by us, and no error message quotes a URL or header.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import requests

from chemspace.core.errors import CancelledError, InputError
from chemspace.core.http_retry import RETRY_STATUS, retry_after
from chemspace.core.known import MP_NAME, KnownEntry, KnownSet, build_set

DEFAULT_ENDPOINT = "https://api.materialsproject.org/"
FIELDS = ("material_id", "formula_pretty", "energy_above_hull", "is_stable", "theoretical")
PAGE_SIZE = 1000  # the API's max_limit
MIN_INTERVAL = 1 / 25  # MP asks for at most 25 requests per second


class MPClient:
    """Pages through ``/materials/summary/`` with retries; one instance per fetch."""

    def __init__(
        self,
        api_key: str,
        endpoint: str = DEFAULT_ENDPOINT,
        retries: int = 3,
        backoff: float = 0.5,
        timeout: float = 60.0,
    ):
        """Check the key's shape and open a session that sends it.

        Parameters
        ----------
        api_key : the user's MP key (32 characters); only ever put in the ``x-api-key`` header.
        endpoint : API root (``--endpoint``; a mirror or the tests' stand-in server).
        retries : attempts per request before giving up.
        backoff : first wait between attempts in seconds, doubled each time.
        timeout : per-request timeout in seconds.
        """
        api_key = api_key.strip()
        if len(api_key) != 32:
            raise InputError("the Materials Project API key must be 32 characters (see your MP dashboard)")
        self.endpoint = endpoint if endpoint.endswith("/") else endpoint + "/"
        self.session = requests.Session()
        self.session.headers["x-api-key"] = api_key
        self.retries = max(1, retries)
        self.backoff = backoff
        self.timeout = timeout
        self._last = 0.0

    def _get(self, path: str, params: dict | None = None) -> dict:
        """GET ``path`` as JSON, with rate limiting and bounded retries.

        Connection errors, timeouts, 429 and 5xx answers and non-JSON bodies are retried
        ``retries`` times in all with exponential backoff (or the server's Retry-After); 401/403
        fail at once (the key is wrong, retrying cannot help), as does any other non-200 answer.
        """
        url = self.endpoint + path
        last_error = ""
        for attempt in range(self.retries):
            self._pace()
            delay = self.backoff * 2**attempt
            try:
                resp = self.session.get(url, params=params, timeout=self.timeout)
            except requests.RequestException as exc:
                last_error = type(exc).__name__  # not str(exc): it can quote the URL
            else:
                if resp.status_code == 200:
                    try:
                        return resp.json()
                    except ValueError:
                        last_error = "a response that is not JSON"
                elif resp.status_code in (401, 403):
                    raise InputError(f"the Materials Project rejected the API key (HTTP {resp.status_code})")
                elif resp.status_code in RETRY_STATUS:
                    last_error = f"HTTP {resp.status_code}"
                    delay = max(delay, retry_after(resp))
                else:
                    raise InputError(f"Materials Project answered HTTP {resp.status_code} for /{path}")
            if attempt + 1 < self.retries:
                time.sleep(delay)
        raise InputError(f"Materials Project request for /{path} failed after {self.retries} attempts ({last_error})")

    def _pace(self) -> None:
        """Sleep as needed to keep under MP's 25 requests per second."""
        wait = self._last + MIN_INTERVAL - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        self._last = time.monotonic()

    def db_version(self) -> str | None:
        """Database version from ``/heartbeat`` (e.g. 2023.11.1)."""
        return self._get("heartbeat").get("db_version")

    def summaries(
        self, on_progress: Callable[[int, int], None] | None = None, cancel: threading.Event | None = None
    ) -> list[dict]:
        """Every non-deprecated material's restricted summary, page by page.

        The loop is bounded: it stops at ``total_doc`` documents, on an empty page, or after
        one page more than ``total_doc`` needs (a server that keeps answering cannot loop it).
        Documents repeated across pages (the database changing mid-download) are kept once.
        """
        docs: dict[str, dict] = {}
        skip, total, pages, max_pages = 0, None, 0, 1
        while pages < max_pages and (total is None or skip < total):
            if cancel is not None and cancel.is_set():
                raise CancelledError("fetch cancelled")
            params = {"deprecated": "false", "_fields": ",".join(FIELDS), "_limit": PAGE_SIZE, "_skip": skip}
            page = self._get("materials/summary/", params)
            data = page.get("data")
            if not isinstance(data, list):
                raise InputError("Materials Project answered without a data list: is --endpoint an MP API?")
            total = int((page.get("meta") or {}).get("total_doc", skip + len(data)))
            max_pages = -(-total // PAGE_SIZE) + 1
            pages += 1
            if not data:
                break
            for doc in data:
                docs.setdefault(str(doc.get("material_id", f"#{len(docs)}")), doc)
            skip += len(data)
            if on_progress:
                on_progress(min(skip, total), total)
        return list(docs.values())


def fetch_materials_project(
    api_key: str,
    endpoint: str = DEFAULT_ENDPOINT,
    on_progress: Callable[[int, int], None] | None = None,
    cancel: threading.Event | None = None,
    retries: int = 3,
    backoff: float = 0.5,
) -> KnownSet:
    """Download MP into a KnownSet named ``mp`` (not yet cached: see ``known.save_set``).

    Parameters
    ----------
    api_key : the user's MP key; never printed, logged or stored.
    endpoint : API root.
    on_progress : called as ``(materials done, materials in total)`` after each page.
    cancel : set it to stop between pages (raises CancelledError).
    retries, backoff : see :class:`MPClient`.
    """
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
    known = build_set(MP_NAME, f"Materials Project ({client.endpoint})", rows, version=version)
    if without := sum(1 for d in docs if not d.get("formula_pretty")):
        known.outside["no formula"] = without  # counted, not silently dropped
    return known
