"""What the download clients (Materials Project, OPTIMADE) share about retrying a failed request."""

from __future__ import annotations

import requests

RETRY_STATUS = frozenset({429, 500, 502, 503, 504})  # transient: rate limit, server trouble
MAX_RETRY_AFTER = 30.0  # seconds: never wait longer than this on a Retry-After header


def retry_after(resp: requests.Response) -> float:
    """Seconds the server asks us to wait (Retry-After in seconds), capped; 0 if absent or a date."""
    try:
        return min(MAX_RETRY_AFTER, max(0.0, float(resp.headers.get("Retry-After", 0))))
    except ValueError:
        return 0.0
