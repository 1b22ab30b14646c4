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

Hostile or broken servers. The key goes only to the ``--endpoint`` host, only over https (plain
http only to this machine, for mirrors and tests), never to the public ``/heartbeat``; redirects
are followed only within the endpoint's own origin (requests would carry a custom header to any
host). Every response is bounded in bytes and in time (a server trickling a byte every few seconds
never trips requests' per-read timeout), the whole download in time and in pages (against the
total the server first reported), and a page that adds no new material stops it. Answers are
checked field by field; a malformed one is one line naming what the server sent.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Callable
from urllib.parse import urljoin, urlsplit

import requests
import urllib3

from chemspace.core.errors import CancelledError, InputError
from chemspace.core.http_retry import RETRY_STATUS, retry_after
from chemspace.core.known import MP_NAME, KnownEntry, KnownSet, build_set

DEFAULT_ENDPOINT = "https://api.materialsproject.org/"
FIELDS = ("material_id", "formula_pretty", "energy_above_hull", "is_stable", "theoretical")
PAGE_SIZE = 1000  # the API's max_limit
MIN_INTERVAL = 1 / 25  # MP asks for at most 25 requests per second
#: Bytes one response may hold: a page of 1 000 restricted summaries is about 150 kB.
MAX_RESPONSE_BYTES = 64 * 2**20
#: Seconds one response may take to arrive whole (a trickling server is cut off here).
RESPONSE_SECONDS = 120.0
#: Seconds the whole download may take (MP's ~160 pages take a few minutes).
TOTAL_SECONDS = 3600.0
#: Most materials accepted (MP holds about 160 000; 10^12 claimed is a broken server).
MAX_DOCS = 2_000_000
#: Same-origin redirects followed per request.
MAX_REDIRECTS = 3
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
HEARTBEAT = "heartbeat"


class _Transient(Exception):
    """A failure worth retrying (connection trouble, timeout, 429/5xx, a body that is not JSON)."""


class MPClient:
    """Pages through ``/materials/summary/`` with retries; one instance per fetch."""

    def __init__(
        self,
        api_key: str,
        endpoint: str = DEFAULT_ENDPOINT,
        retries: int = 3,
        backoff: float = 0.5,
        timeout: float = 60.0,
        total_seconds: float | None = None,
    ):
        """Check the key's shape and the endpoint, and open a session (the key is added per request).

        Parameters
        ----------
        api_key : the user's MP key (32 characters); only ever put in the ``x-api-key`` header.
        endpoint : API root (``--endpoint``; a mirror or the tests' stand-in server): https, or
            http to this machine only.
        retries : attempts per request before giving up.
        backoff : first wait between attempts in seconds, doubled each time.
        timeout : per-read socket timeout in seconds (a whole response gets RESPONSE_SECONDS).
        total_seconds : bound on the whole download (default TOTAL_SECONDS).
        """
        api_key = api_key.strip()
        if len(api_key) != 32:
            raise InputError("the Materials Project API key must be 32 characters (see your MP dashboard)")
        self.endpoint = endpoint if endpoint.endswith("/") else endpoint + "/"
        self.origin = _origin(self.endpoint)
        self._api_key = api_key
        self.session = requests.Session()
        self.retries = max(1, retries)
        self.backoff = backoff
        self.timeout = timeout
        self.deadline = time.monotonic() + (TOTAL_SECONDS if total_seconds is None else total_seconds)
        self._last = 0.0

    def _get(self, path: str, params: dict | None = None) -> dict:
        """GET ``path`` as a JSON object, with rate limiting, bounded retries and bounded size and time.

        Connection errors, timeouts, 429 and 5xx answers and non-JSON bodies are retried
        ``retries`` times in all with exponential backoff (or the server's Retry-After); 401/403
        fail at once (the key is wrong, retrying cannot help), as does any other non-200 answer, a
        redirect off the endpoint's origin, an oversized body or valid JSON that is not an object.
        """
        last_error = ""
        for attempt in range(self.retries):
            self._pace()
            delay = self.backoff * 2**attempt
            try:
                return self._get_once(path, params)
            except _Transient as exc:
                last_error = str(exc)
                delay = max(delay, getattr(exc, "retry_after", 0.0))
            if attempt + 1 < self.retries:
                self._check_deadline(path, delay)
                time.sleep(delay)
        raise InputError(f"Materials Project request for /{path} failed after {self.retries} attempts ({last_error})")

    def _get_once(self, path: str, params: dict | None) -> dict:
        """One request (following same-origin redirects), its body read within the bounds."""
        url = self.endpoint + path
        headers = {} if path == HEARTBEAT else {"x-api-key": self._api_key}  # /heartbeat is public
        for _ in range(MAX_REDIRECTS + 1):
            self._check_deadline(path)
            try:
                resp = self.session.get(
                    url,
                    params=params,
                    headers=headers,
                    timeout=self._read_timeout(),
                    stream=True,
                    allow_redirects=False,
                )
            except requests.RequestException as exc:
                raise _Transient(type(exc).__name__) from None  # not str(exc): it can quote the URL
            with resp:
                if resp.is_redirect:
                    url, params = self._redirect_target(resp, path), None
                    continue
                return self._answer(resp, path)
        raise InputError(f"Materials Project redirected /{path} more than {MAX_REDIRECTS} times")

    def _redirect_target(self, resp: requests.Response, path: str) -> str:
        """Where a redirect points, if it stays on the endpoint's origin (else InputError: the key stays home)."""
        target = urljoin(resp.url, resp.headers.get("Location", ""))
        if _origin(target, check=False) != self.origin:
            host = urlsplit(target).hostname or "?"
            raise InputError(
                f"the server redirected /{path} to another host or port ({host}); not followed, "
                "so the API key is only ever sent to --endpoint"
            )
        return target

    def _answer(self, resp: requests.Response, path: str) -> dict:
        """The body of a final response as a JSON object, or the error its status calls for."""
        if resp.status_code in (401, 403):
            raise InputError(f"the Materials Project rejected the API key (HTTP {resp.status_code})")
        if resp.status_code in RETRY_STATUS:
            error = _Transient(f"HTTP {resp.status_code}")
            error.retry_after = retry_after(resp)  # type: ignore[attr-defined]
            raise error
        if resp.status_code != 200:
            raise InputError(f"Materials Project answered HTTP {resp.status_code} for /{path}")
        raw = self._read_body(resp, path)
        try:
            body = json.loads(raw)
        except (ValueError, RecursionError):
            raise _Transient("a response that is not JSON") from None
        if not isinstance(body, dict):
            raise InputError(f"the server answered /{path} with a JSON {_kind(body)}, expected an object")
        return body

    def _read_body(self, resp: requests.Response, path: str) -> bytes:
        """The whole body, refusing more than MAX_RESPONSE_BYTES or slower than RESPONSE_SECONDS."""
        declared = resp.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > MAX_RESPONSE_BYTES:
            raise InputError(f"the server sent {int(declared):,} bytes for /{path}; at most {MAX_RESPONSE_BYTES:,}")
        cutoff = min(time.monotonic() + RESPONSE_SECONDS, self.deadline)
        chunks, size = [], 0
        try:
            # read1, not iter_content: iter_content waits for each whole chunk, so a byte every few
            # seconds would never reach the clock check (and never trip the per-read timeout).
            while chunk := resp.raw.read1(64 * 1024, decode_content=True):
                size += len(chunk)
                if size > MAX_RESPONSE_BYTES:
                    raise InputError(f"the server sent more than {MAX_RESPONSE_BYTES:,} bytes for /{path}")
                if time.monotonic() > cutoff:
                    self._check_deadline(path)
                    raise _Transient(f"a response slower than {RESPONSE_SECONDS:g} s")
                chunks.append(chunk)
        except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
            raise _Transient(type(exc).__name__) from None
        return b"".join(chunks)

    def _read_timeout(self) -> tuple[float, float]:
        """(connect, read) socket timeouts, never past the download's deadline."""
        left = max(0.1, self.deadline - time.monotonic())
        return (min(self.timeout, left), min(self.timeout, RESPONSE_SECONDS, left))

    def _check_deadline(self, path: str, wait: float = 0.0) -> None:
        """InputError once the whole download has run (or would, after ``wait``) past its bound."""
        if time.monotonic() + wait > self.deadline:
            raise InputError(f"the Materials Project download ran out of time at /{path}; try again later")

    def _pace(self) -> None:
        """Sleep as needed to keep under MP's 25 requests per second."""
        wait = self._last + MIN_INTERVAL - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        self._last = time.monotonic()

    def db_version(self) -> str | None:
        """Database version from ``/heartbeat`` (e.g. 2023.11.1)."""
        version = self._get(HEARTBEAT).get("db_version")
        if version is not None and not isinstance(version, str):
            raise InputError(f"the server's /heartbeat sent db_version {_shown(version)}, expected a version string")
        return version

    def summaries(
        self, on_progress: Callable[[int, int], None] | None = None, cancel: threading.Event | None = None
    ) -> list[dict]:
        """Every non-deprecated material's restricted summary, page by page.

        The loop is bounded: it stops at the ``total_doc`` the server first reported, on an empty
        page, or after one page more than that total needs; a total above MAX_DOCS, or a page
        that adds no new material before the total is reached, is an error (nothing is cached).
        Documents repeated across pages (the database changing mid-download) are kept once.
        """
        docs: dict[str, dict] = {}
        skip, total, pages, max_pages = 0, None, 0, 1
        while pages < max_pages and (total is None or skip < total):
            if cancel is not None and cancel.is_set():
                raise CancelledError("fetch cancelled")
            params = {"deprecated": "false", "_fields": ",".join(FIELDS), "_limit": PAGE_SIZE, "_skip": skip}
            data, reported = _page(self._get("materials/summary/", params), skip)
            if total is None:
                total = reported if reported is not None else len(data)
                if total > MAX_DOCS:
                    raise InputError(f"the server reports {total:,} materials, more than the {MAX_DOCS:,} accepted")
                max_pages = -(-total // PAGE_SIZE) + 1
            pages += 1
            if not data:
                break
            before = len(docs)
            for doc in data:
                docs.setdefault(doc.get("material_id") or f"#{len(docs)}", doc)
            if len(docs) == before:
                raise InputError(f"the server repeated a page (nothing new at _skip={skip} of {total:,}); stopping")
            skip += len(data)
            if on_progress:
                on_progress(min(skip, total), total)
        return list(docs.values())


def _origin(url: str, check: bool = True) -> tuple[str, str, int | None]:
    """(scheme, host, port) of ``url``; with ``check``, InputError unless https or http to this machine."""
    parts = urlsplit(url)
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    try:
        port = parts.port or {"https": 443, "http": 80}.get(scheme)
    except ValueError:
        raise InputError("--endpoint has an invalid port") from None
    if check:
        if scheme not in ("https", "http") or not host:
            raise InputError("--endpoint must be an https:// URL")
        if scheme == "http" and host not in LOOPBACK_HOSTS:
            raise InputError(f"--endpoint http://{host}/ is plain http: the API key is only sent over https")
    return scheme, host, port


def _page(body: dict, skip: int) -> tuple[list[dict], int | None]:
    """A summary page's documents, checked, and the total it reports (None if absent)."""
    data = body.get("data")
    if not isinstance(data, list):
        raise InputError(f"the server answered without a data list (data: {_shown(data)}): is --endpoint an MP API?")
    meta = body.get("meta") or {}
    if not isinstance(meta, dict):
        raise InputError(f"the server sent meta {_shown(meta)}, expected an object")
    total = meta.get("total_doc")
    if total is not None and (type(total) is not int or total < 0):
        raise InputError(f"the server sent total_doc {_shown(total)}, expected a count of materials")
    for i, doc in enumerate(data):
        _check_doc(doc, f"document {skip + i + 1}")
    return data, total


#: Each field and what it may hold (None always allowed: MP leaves fields empty).
_FIELD_TYPES: dict[str, tuple[type, ...]] = {
    "material_id": (str,),
    "formula_pretty": (str,),
    "energy_above_hull": (int, float),
    "is_stable": (bool,),
    "theoretical": (bool,),
}


_EXPECTED = {str: "a string", float: "a finite number", bool: "true, false or null"}


def _check_doc(doc: object, where: str) -> None:
    """InputError naming the field unless ``doc`` is a summary with fields of the expected types."""
    if not isinstance(doc, dict):
        raise InputError(f"the server sent {_shown(doc)} as {where}, expected an object")
    for name, types in _FIELD_TYPES.items():
        value = doc.get(name)
        if value is None:
            continue
        ok = isinstance(value, types) and (bool not in types or type(value) is bool)
        if ok and types == (int, float):
            ok = type(value) is not bool and math.isfinite(value)
        if not ok:
            raise InputError(f"the server sent {name} {_shown(value)} in {where}, expected {_EXPECTED[types[-1]]}")


def _kind(value: object) -> str:
    return {list: "list", str: "string", int: "number", float: "number", bool: "boolean"}.get(type(value), "null")


def _shown(value: object) -> str:
    """A value the server sent, short enough for one line."""
    text = json.dumps(value)
    return text if len(text) <= 40 else text[:37] + "..."


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
    unreadable: list[str] = []
    known = build_set(MP_NAME, f"Materials Project ({client.endpoint})", rows, version=version, invalid=unreadable)
    if without := sum(1 for d in docs if not d.get("formula_pretty")):
        known.outside["no formula"] = without  # counted, not silently dropped
    if unreadable:
        known.outside["unreadable formula"] = len(unreadable)
    return known
