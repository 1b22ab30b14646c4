"""Download every structure's reduced composition from an OPTIMADE database: known materials, no key.

OPTIMADE is the field's common API: the Materials Project, OQMD, Alexandria, COD, JARVIS, NOMAD and
others serve it without a key. The providers known by name live in ``data/optimade_providers.json``;
any base URL works too.

Responses are checked with the ``optimade`` package's own pydantic models (``InfoResponse`` for
``/info``, ``EntryResponseMany`` for every page, ``ErrorResponse`` for a refusal), so an answer that
is not OPTIMADE is one clear error. Why our own paging loop over ``requests`` and not
``optimade.client.OptimadeClient`` (1.5.0, from its source, ``_get_one``):

- its retry counter is reset on every pass of the paging loop, so a page that keeps failing is
  retried for ever, one second apart, with no backoff and no regard for Retry-After;
- it has no cancel (stopping between pages would mean raising out of a per-page callback, meant
  to change the next URL) and draws its own rich progress bar on stderr, which neither the command
  line's bar nor the app's dialog can follow;
- ``get`` takes no page size (the server's default, 20 on the reference server, means 25 times
  the requests of 500 a page);
- it accumulates every full page (``included`` resources too) in memory before returning.

The loop here follows ``links.next`` (the pagination the spec mandates), reports progress after each
page, stops between pages and during waits when asked, retries transient failures with exponential
backoff, and is bounded: in pages (what ``data_returned`` needs, plus one), in structures
(``max_entries``), in bytes per page and, optionally, in wall time. Each page's compositions go to a
journal (``fetch_journal``) so an interrupted fetch resumes; the set itself is stored only whole.
"""

from __future__ import annotations

import json
import math
import re
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib.resources import files
from urllib.parse import urlencode, urljoin, urlparse

import requests
from pydantic import ValidationError

from chemspace.core.composition import Composition, parse_formula
from chemspace.core.errors import CancelledError, InputError
from chemspace.core.fetch_journal import FetchJournal, Resumed
from chemspace.core.http_retry import RETRY_STATUS, retry_after
from chemspace.core.known import NO_COMPOSITION, KnownEntry, KnownSet, check_name, set_from_compositions
from chemspace.core.rule import MAX_ARITY, MIN_ARITY

#: Only compositions the space can hold are asked for (the filter is OPTIMADE's own language).
STRUCTURE_FILTER = f"nelements>={MIN_ARITY} AND nelements<={MAX_ARITY}"
#: What each structure is asked for: providers differ in which they fill, so the composition comes
#: from ``chemical_formula_reduced`` when present, else from ``elements`` and ``elements_ratios``.
RESPONSE_FIELDS = ("id", "chemical_formula_reduced", "elements", "elements_ratios", "nelements")
DEFAULT_PAGE_LIMIT = 500  # the reference server's maximum; most providers allow at least this
MIN_PAGE_LIMIT = 10  # a server refusing even this many per page is refused in turn
MAX_PAGE_BYTES = 64 * 2**20  # one page larger than this is refused, not read into memory
_VERSIONED = re.compile(r"/v\d+(\.\d+)*$")

ProgressCallback = Callable[[int, int | None], None]

#: optimade 1.5's models read ``model_fields`` off instances, which pydantic 2.11+ deprecates: one
#: warning per validated answer, nothing a user can act on.
warnings.filterwarnings("ignore", message=".*'model_fields' attribute on the instance", module=r"optimade\.")


class PageLimitRefused(InputError):
    """The server refused the page size asked for (its error detail names ``page_limit``)."""


@dataclass(frozen=True)
class Provider:
    """An OPTIMADE database: the name used on the command line and its unversioned base URL."""

    name: str
    title: str
    base_url: str
    page_limit: int = DEFAULT_PAGE_LIMIT
    size: str = ""


def providers() -> dict[str, Provider]:
    """The providers known by name, from the shipped data file."""
    doc = json.loads(files("chemspace.core").joinpath("data", "optimade_providers.json").read_text("utf-8"))
    return {name: Provider(name=name, **fields) for name, fields in doc["providers"].items()}


def resolve_provider(spec: str) -> Provider:
    """A provider by name (``alexandria``) or by base URL (``https://host/optimade``), else InputError."""
    spec = spec.strip()
    known = providers()
    if spec.lower() in known:
        return known[spec.lower()]
    url = urlparse(spec)
    if url.scheme in ("http", "https") and url.netloc:
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", url.hostname or "optimade").strip("_.-")[:64] or "optimade"
        return Provider(name=name, title=url.netloc, base_url=spec.rstrip("/"))
    raise InputError(f"unknown OPTIMADE provider {spec!r}: use one of {', '.join(known)} or an http(s) base URL")


@dataclass(frozen=True)
class FetchLimits:
    """How hard and how long to try.

    retries : attempts per request before giving up (connection errors, timeouts, 429, 5xx).
    backoff : first wait between attempts in seconds, doubled each time (or the server's Retry-After).
    timeout : seconds per request.
    max_entries : structures at most; a database holding more is an error, not a silent cut.
    max_seconds : wall-time budget for the whole fetch (None: unbounded).
    """

    retries: int = 4
    backoff: float = 0.5
    timeout: float = 60.0
    max_entries: int = 10_000_000
    max_seconds: float | None = None


class OptimadeFetcher:
    """Pages through one provider's ``/structures``; one instance per fetch."""

    def __init__(self, provider: Provider, limits: FetchLimits = FetchLimits(), cancel: threading.Event | None = None):
        """Open a session for ``provider``; ``cancel`` stops the fetch between pages and during waits."""
        self.provider = provider
        self.limits = limits
        self.cancel = cancel or threading.Event()
        self.session = requests.Session()
        self.session.headers["Accept"] = "application/vnd.api+json, application/json"
        base = provider.base_url.rstrip("/")
        self.versioned_url = base if _VERSIONED.search(base) else base + "/v1"
        self.page_limit = provider.page_limit
        self._deadline = None if limits.max_seconds is None else time.monotonic() + limits.max_seconds

    # -- one request --------------------------------------------------------------------------

    def _get(self, url: str) -> dict:
        """GET ``url`` as JSON with bounded retries; every failure becomes one InputError line."""
        last_error = ""
        delay = self.limits.backoff
        for attempt in range(max(1, self.limits.retries)):
            self._check_stop()
            try:
                resp = self.session.get(url, timeout=self.limits.timeout, stream=True)
                if resp.status_code == 200:
                    return self._json(self._body(resp, url), url)
            except requests.RequestException as exc:  # no connection, or it dropped mid-answer
                last_error = _connection_problem(exc)
            else:
                if resp.status_code not in RETRY_STATUS:
                    raise self._refusal(resp, url)
                last_error = f"HTTP {resp.status_code}"
                delay = max(delay, retry_after(resp))
                resp.close()
            if attempt + 1 < self.limits.retries:
                self._wait(delay)
                delay *= 2
        raise InputError(f"{url}: gave up after {self.limits.retries} attempts ({last_error})")

    def _body(self, resp: requests.Response, url: str) -> bytes:
        """The answer's bytes, at most MAX_PAGE_BYTES (InputError beyond: never read into memory)."""
        body = bytearray()
        for chunk in resp.iter_content(1 << 16):
            body += chunk
            if len(body) > MAX_PAGE_BYTES:
                resp.close()
                raise InputError(f"{self.provider.name}: {url} answered more than {MAX_PAGE_BYTES >> 20} MiB")
        return bytes(body)

    def _json(self, body: bytes, url: str) -> dict:
        """The body as a JSON object (InputError otherwise)."""
        try:
            doc = json.loads(body)
        except ValueError:
            raise InputError(self._not_optimade(url, "the answer is not JSON")) from None
        if not isinstance(doc, dict):
            raise InputError(self._not_optimade(url, "the answer is not a JSON object"))
        return doc

    def _refusal(self, resp: requests.Response, url: str) -> InputError:
        """The error for a non-retryable HTTP answer: one line, with the OPTIMADE error detail if any."""
        from optimade.models import ErrorResponse

        try:
            body = resp.json()
        except ValueError:
            body = None
        try:
            detail = "; ".join(e.detail for e in ErrorResponse.model_validate(body).errors if e.detail)
        except ValidationError:  # not a spec-conforming error document: still show its details if any
            errors = body.get("errors") if isinstance(body, dict) else None
            detail = (
                "; ".join(str(e["detail"]) for e in errors if isinstance(e, dict) and e.get("detail"))
                if isinstance(errors, list)
                else ""
            )
        if resp.status_code == 404 and not detail:
            return InputError(self._not_optimade(url, "HTTP 404"))
        where = url.split("?", 1)[0]
        status = f"HTTP {resp.status_code}" + (f": {detail}" if detail else "")
        message = f"{self.provider.name} refused {where} ({status})"
        if "page_limit" in detail:
            return PageLimitRefused(message + "; pass a smaller --page-limit")
        return InputError(message)

    def _not_optimade(self, url: str, why: str) -> str:
        return f"{self.provider.base_url} does not answer as an OPTIMADE API ({why} at {url})"

    def _wait(self, seconds: float) -> None:
        """Sleep, waking at once if cancelled."""
        if self.cancel.wait(seconds):
            raise CancelledError("fetch cancelled")

    def _check_stop(self) -> None:
        if self.cancel.is_set():
            raise CancelledError("fetch cancelled")
        if self._deadline is not None and time.monotonic() > self._deadline:
            raise InputError(f"{self.provider.name}: stopped after {self.limits.max_seconds:g} s (time limit)")

    # -- the API ------------------------------------------------------------------------------

    def api_version(self) -> str:
        """The OPTIMADE API version from ``/info`` (InputError if the server is not OPTIMADE)."""
        from optimade.models import InfoResponse

        url = f"{self.versioned_url}/info"
        try:
            info = InfoResponse.model_validate(self._get(url))
        except ValidationError as exc:
            raise InputError(self._not_optimade(url, _first_error(exc))) from None
        return str(info.data.attributes.api_version)

    def first_url(self) -> str:
        """The first page's URL: the filter, the fields and the page size."""
        query = {
            "filter": STRUCTURE_FILTER,
            "response_fields": ",".join(RESPONSE_FIELDS),
            "page_limit": self.page_limit,
        }
        return f"{self.versioned_url}/structures?{urlencode(query)}"

    def pages(
        self, on_progress: ProgressCallback | None = None, start: str | None = None, done: int = 0
    ) -> Iterator[tuple[list[dict], str | None, int]]:
        """Every page of matching structures from ``start`` (default: the first), following ``links.next``.

        Yields (the page's structures, the next page's URL or None, structures so far); ``done``
        counts those fetched before ``start`` (a resumed download). Progress: (done, total).
        """
        from optimade.models import EntryResponseMany

        url: str | None = start or self.first_url()
        seen: set[str] = set()
        before, pages, max_pages = done, 0, None
        while url:
            if url in seen:
                raise InputError(f"{self.provider.name}: the server sent the same page twice ({url})")
            seen.add(url)
            try:
                page = EntryResponseMany.model_validate(self._get(url))
            except PageLimitRefused:
                if url != self.first_url() or self.page_limit <= MIN_PAGE_LIMIT:
                    raise
                # the server allows fewer per page than asked (the spec sets no minimum maximum):
                # halve and ask again, before any structure is in, so nothing is counted twice
                self.page_limit = max(MIN_PAGE_LIMIT, self.page_limit // 2)
                url = self.first_url()
                continue
            except ValidationError as exc:
                raise InputError(self._not_optimade(url, _first_error(exc))) from None
            data = [d if isinstance(d, dict) else d.model_dump() for d in page.data]
            total = page.meta.data_returned
            pages += 1
            done += len(data)
            if max_pages is None and data:
                expected = total - before if total is not None else self.limits.max_entries
                max_pages = math.ceil(max(expected, 1) / len(data)) + 1
            if done > self.limits.max_entries:
                raise InputError(
                    f"{self.provider.name} holds more than {self.limits.max_entries:,} structures "
                    "(raise the limit with --max-entries)"
                )
            if on_progress:
                on_progress(done, total)
            nxt = _next_url(page) if data else None
            url = urljoin(url, nxt) if nxt else None  # a relative link is relative to this page
            yield data, url, done
            if not data or (max_pages is not None and pages >= max_pages and url):
                if url:  # a server that keeps answering cannot loop us
                    raise InputError(f"{self.provider.name}: more pages than the {total} structures announced")
                break


def _next_url(page: object) -> str | None:
    """``links.next`` as a string (the spec allows a string or a link object with ``href``)."""
    links = getattr(page, "links", None)
    nxt = getattr(links, "next", None) if links is not None else None
    if nxt is None:
        return None
    href = getattr(nxt, "href", nxt)
    return str(href) if href else None


def _first_error(exc: ValidationError) -> str:
    """The first pydantic error, in a few words: 'meta: Field required'."""
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err.get("loc", ())) or "answer"
    return f"{where}: {err.get('msg', 'invalid')}"


def _connection_problem(exc: requests.RequestException) -> str:
    """A few words for a connection failure (no URL: the caller names it once)."""
    if isinstance(exc, requests.Timeout):
        return "timed out"
    if isinstance(exc, requests.ConnectionError):
        return "cannot connect"
    return type(exc).__name__


def structure_composition(doc: dict) -> Composition | None:
    """The reduced composition of one structure resource, or None if it has no usable one.

    ``chemical_formula_reduced`` when the provider fills it, else ``elements`` with
    ``elements_ratios`` (the reference server's data carries only those), reduced to integers.
    """
    attrs = doc.get("attributes") or {}
    formula = attrs.get("chemical_formula_reduced")
    if isinstance(formula, str) and formula.strip():
        return _reduced_formula(formula.strip())
    elements, ratios = attrs.get("elements"), attrs.get("elements_ratios")
    if isinstance(elements, list) and isinstance(ratios, list) and elements and len(elements) == len(ratios):
        try:
            return Composition.from_counts(dict(zip(elements, ratios)))
        except (InputError, TypeError):
            return None
    return None


#: OPTIMADE's ``chemical_formula_reduced``: symbols each followed by an optional integer, nothing else.
_STRICT_FORMULA = re.compile(r"(?:[A-Z][a-z]?\d*)+")
_TERM = re.compile(r"([A-Z][a-z]?)(\d*)")


def _reduced_formula(formula: str) -> Composition | None:
    """Parse a reduced formula: the spec's strict form directly, anything else through pymatgen."""
    try:
        if _STRICT_FORMULA.fullmatch(formula):
            terms = _TERM.findall(formula)
            counts = {symbol: int(n or 1) for symbol, n in terms}
            if len(counts) == len(terms):  # a repeated element ("HOH") is not the strict form
                return Composition.from_counts(counts)
        return parse_formula(formula)
    except InputError:
        return None


def fetch_optimade(
    provider: Provider | str,
    name: str | None = None,
    on_progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
    limits: FetchLimits = FetchLimits(),
    keep: Callable[[KnownSet], object] | None = None,
    restart: bool = False,
) -> KnownSet:
    """Download a provider's compositions into a KnownSet, resuming an interrupted download.

    Parameters
    ----------
    provider : a :class:`Provider`, a provider name or a base URL.
    name : the set's name for ``--known`` (default: the provider's name).
    on_progress : called as ``(structures done, structures in total or None)`` after each page
        (and once at the start of a resumed download).
    cancel : set it to stop (raises CancelledError); the pages so far stay in the journal.
    limits : retries, timeouts and size bounds.
    keep : called with the finished set before its journal is removed (``known.save_set``), so a
        failure to store it still leaves the download resumable; None: the caller stores it.
    restart : discard an interrupted download's journal instead of resuming it.
    """
    prov = resolve_provider(provider) if isinstance(provider, str) else provider
    set_name = check_name(name or prov.name)
    fetcher = OptimadeFetcher(prov, limits, cancel)
    api_version = fetcher.api_version()
    journal = FetchJournal(set_name, prov.base_url, api_version)
    resumed = None if restart else journal.resume()
    if resumed is None:
        journal.start()
        resumed = Resumed(next_url=fetcher.first_url(), done=0, without=0)
    elif on_progress:
        on_progress(resumed.done, None)
    pairs, without, done = resumed.pairs, resumed.without, resumed.done
    try:
        if resumed.next_url is not None:
            for page, next_url, done in fetcher.pages(on_progress, resumed.next_url, resumed.done):
                page_pairs, page_without = _page_pairs(page)
                pairs.extend(page_pairs)
                without += page_without
                journal.append(page_pairs, page_without, next_url, done)
    except InputError as exc:
        raise InputError(f"{exc}; {done:,} structures kept: the same command resumes") from None
    known = set_from_compositions(set_name, f"OPTIMADE: {prov.title}", pairs, version=f"OPTIMADE {api_version}")
    known.provider, known.base_url, known.api_version = prov.name, prov.base_url, api_version
    if without:
        known.outside[NO_COMPOSITION] = without  # counted, not silently dropped
    if keep is not None:
        keep(known)
    journal.discard()
    return known


def _page_pairs(page: list[dict]) -> tuple[list[tuple[Composition, KnownEntry]], int]:
    """A page's (composition, entry) pairs and how many of its structures had no usable composition."""
    pairs: list[tuple[Composition, KnownEntry]] = []
    without = 0
    for doc in page:
        comp = structure_composition(doc)
        if comp is None:
            without += 1
            continue
        formula = (doc.get("attributes") or {}).get("chemical_formula_reduced") or comp.formula
        pairs.append((comp, KnownEntry(id=None if doc.get("id") is None else str(doc["id"]), formula=formula)))
    return pairs, without
