"""`known fetch` against hostile servers on 127.0.0.1: where the key goes, bounds on time, pages and
bytes, and odd JSON, each failing as one line (exit 1, no traceback, the key never shown)."""

from __future__ import annotations

from collections.abc import Callable
from http.server import BaseHTTPRequestHandler

import pytest
from hostile_server import Hostile, docs, flood, heartbeat_or, hostile_server, page, redirect, send_json, trickle
from typer.testing import CliRunner

from chemspace.core.known import cached_names, load_set
from chemspace.tui.cli import app

from mp_server import GOOD_KEY

MP = "chemspace.core.mp_client"


def _fetch(url: str) -> object:
    return CliRunner().invoke(app, ["known", "fetch", "--endpoint", url], env={"MP_API_KEY": GOOD_KEY})


def _one_line_error(result: object, fragment: str) -> None:
    """Exit 1, one 'error:' line containing ``fragment``, no traceback, no key, nothing cached."""
    lines = [line for line in result.stderr.splitlines() if line.strip()]  # type: ignore[attr-defined]
    assert result.exit_code == 1, result.output  # type: ignore[attr-defined]
    assert len(lines) == 1 and lines[0].startswith("error:") and fragment in lines[0], lines
    assert "Traceback" not in result.output and GOOD_KEY not in result.output  # type: ignore[attr-defined]
    assert cached_names() == []


def _normal(handler: BaseHTTPRequestHandler, query: dict[str, str]) -> None:
    skip = int(query.get("_skip", 0))
    send_json(handler, page(docs(skip, min(1000, 2500 - skip)), 2500))


def test_heartbeat_gets_no_key_and_summaries_do() -> None:
    state = Hostile(heartbeat_or(_normal))
    with hostile_server(state) as url:
        result = _fetch(url)
    assert result.exit_code == 0, result.output
    keys = {s.path.split("?")[0]: s.headers.get("x-api-key") for s in state.seen}
    assert keys == {"/heartbeat": None, "/materials/summary/": GOOD_KEY}
    assert load_set("mp").entry_count == 2500


@pytest.mark.parametrize("target_host", ["127.0.0.1", "localhost"])
def test_redirect_to_another_port_or_host_is_not_followed(target_host: str) -> None:
    """The audit's finding: a 302 to another port received x-api-key on /heartbeat and both pages."""
    elsewhere = Hostile(heartbeat_or(_normal))
    with hostile_server(elsewhere) as other:
        port = other.rsplit(":", 1)[1].rstrip("/")

        def answer(handler: BaseHTTPRequestHandler, path: str, query: dict[str, str]) -> None:
            redirect(handler, f"http://{target_host}:{port}{handler.path}")

        with hostile_server(Hostile(answer)) as url:
            result = _fetch(url.replace("127.0.0.1", "localhost") if target_host == "127.0.0.1" else url)
    _one_line_error(result, "redirected")
    assert all("x-api-key" not in seen.headers for seen in elsewhere.seen)


def test_same_origin_redirect_is_followed() -> None:
    def answer(handler: BaseHTTPRequestHandler, path: str, query: dict[str, str]) -> None:
        if path.startswith("/v2/"):
            _normal(handler, query)
        elif path == "/heartbeat":
            send_json(handler, {"db_version": "2099.1.1"})
        else:
            redirect(handler, "/v2" + handler.path)

    state = Hostile(answer)
    with hostile_server(state) as url:
        result = _fetch(url)
    assert result.exit_code == 0, result.output
    assert load_set("mp").entry_count == 2500


@pytest.mark.parametrize(
    ("endpoint", "fragment"),
    [("http://api.example.invalid/", "plain http"), ("ftp://127.0.0.1/", "https"), ("nonsense", "https")],
)
def test_key_never_goes_over_plain_http_to_a_remote_host(endpoint: str, fragment: str) -> None:
    _one_line_error(_fetch(endpoint), fragment)


def test_trickling_server_is_cut_off(monkeypatch: pytest.MonkeyPatch) -> None:
    """One byte every 0.3 s never trips a per-read timeout; the whole response gets RESPONSE_SECONDS."""
    monkeypatch.setattr(f"{MP}.RESPONSE_SECONDS", 1.0)
    state = Hostile(lambda *a: None)
    state.answer = trickle(state)
    with hostile_server(state) as url:
        result = _fetch(url)
    _one_line_error(result, "slower than 1 s")


def test_whole_download_is_bounded_in_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(f"{MP}.TOTAL_SECONDS", 1.5)
    state = Hostile(lambda *a: None)
    state.answer = trickle(state)
    with hostile_server(state) as url:
        result = _fetch(url)
    _one_line_error(result, "ran out of time")


def test_absurd_total_is_refused_at_once() -> None:
    state = Hostile(heartbeat_or(lambda h, q: send_json(h, page(docs(int(q["_skip"]), 1000), 10**12))))
    with hostile_server(state) as url:
        result = _fetch(url)
    _one_line_error(result, "1,000,000,000,000 materials")
    assert sum(s.path.startswith("/materials") for s in state.seen) == 1


def test_repeated_page_stops_the_download() -> None:
    state = Hostile(heartbeat_or(lambda h, q: send_json(h, page(docs(0, 1000), 5000))))
    with hostile_server(state) as url:
        result = _fetch(url)
    _one_line_error(result, "repeated a page")
    assert sum(s.path.startswith("/materials") for s in state.seen) == 2


def test_new_ids_forever_stop_at_the_first_reported_total() -> None:
    """Pages of new ids, the claimed total growing each time: the first total bounds the pages."""
    state = Hostile(heartbeat_or(lambda h, q: send_json(h, page(docs(int(q["_skip"]), 1000), int(q["_skip"]) + 3000))))
    with hostile_server(state) as url:
        result = _fetch(url)
    assert result.exit_code == 0, result.output
    assert sum(s.path.startswith("/materials") for s in state.seen) == 3
    assert load_set("mp").entry_count == 3000


def test_declared_huge_response_is_refused_unread() -> None:
    state = Hostile(lambda *a: None)
    state.answer = flood(state, declare=1_500_000_000)
    with hostile_server(state) as url:
        result = _fetch(url)
    _one_line_error(result, "1,500,000,000 bytes")


def test_endless_response_is_cut_at_the_byte_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(f"{MP}.MAX_RESPONSE_BYTES", 1 << 20)
    state = Hostile(lambda *a: None)
    state.answer = flood(state)
    with hostile_server(state) as url:
        result = _fetch(url)
    _one_line_error(result, "more than 1,048,576 bytes")


def _summary_body(body: object = None, raw: bytes | None = None) -> Callable:
    return heartbeat_or(lambda h, q: send_json(h, body, raw=raw))


ODD: dict[str, tuple[Callable, str]] = {
    "total_doc as text": (_summary_body({"data": docs(0, 3), "meta": {"total_doc": "many"}}), 'total_doc "many"'),
    "total_doc negative": (_summary_body({"data": docs(0, 3), "meta": {"total_doc": -5}}), "total_doc -5"),
    "body a list": (_summary_body([1, 2, 3]), "JSON list"),
    "body a string": (_summary_body("hello"), "JSON string"),
    "data null": (_summary_body({"data": None}), "without a data list"),
    "data of odd items": (_summary_body(page([1, "x"], 2)), "sent 1 as document 1"),
    "meta a list": (_summary_body({"data": docs(0, 1), "meta": [1]}), "meta [1]"),
    "formula a number": (_summary_body(page([{"material_id": "a", "formula_pretty": 5}], 1)), "formula_pretty 5"),
    "id a list": (_summary_body(page([{"material_id": [1], "formula_pretty": "NaCl"}], 1)), "material_id [1]"),
    "energy as text": (_summary_body(page([{"formula_pretty": "NaCl", "energy_above_hull": "0.1"}], 1)), "energy"),
    "energy NaN": (
        _summary_body(raw=b'{"data":[{"formula_pretty":"NaCl","energy_above_hull":NaN}],"meta":{"total_doc":1}}'),
        "energy_above_hull NaN",
    ),
    "stability as text": (_summary_body(page([{"formula_pretty": "NaCl", "is_stable": "yes"}], 1)), "is_stable"),
    "deep nesting": (_summary_body(raw=b"[" * 100_000 + b"]" * 100_000), "not JSON"),
    "not JSON": (_summary_body(raw=b"<html>hello</html>"), "not JSON"),
}


def _heartbeat(body: object) -> Callable:
    def answer(handler: BaseHTTPRequestHandler, path: str, query: dict[str, str]) -> None:
        send_json(handler, body)

    return answer


ODD_HEARTBEAT = {
    "heartbeat a list": ([1, 2], "/heartbeat with a JSON list"),
    "version a number": ({"db_version": 5}, "db_version 5"),
}


@pytest.mark.parametrize("case", list(ODD) + list(ODD_HEARTBEAT))
def test_odd_json_is_one_line_naming_what_was_sent(case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(f"{MP}.MIN_INTERVAL", 0.0)
    answer, fragment = ODD[case] if case in ODD else (_heartbeat(ODD_HEARTBEAT[case][0]), ODD_HEARTBEAT[case][1])
    with hostile_server(Hostile(answer)) as url:
        result = _fetch(url)
    _one_line_error(result, fragment)


def test_unreadable_formulas_are_counted_not_fatal() -> None:
    body = page([*docs(0, 3), {"material_id": "x", "formula_pretty": "Xx9Q"}, {"material_id": "y"}], 5)
    with hostile_server(Hostile(_summary_body(body))) as url:
        result = _fetch(url)
    assert result.exit_code == 0, result.output
    known = load_set("mp")
    assert known.entry_count == 3 and known.outside == {"unreadable formula": 1, "no formula": 1}
