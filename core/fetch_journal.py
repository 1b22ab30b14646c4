"""A resumable download's journal: the pages fetched so far, one JSON line each, with the next URL.

A large OPTIMADE database is thousands of pages (Alexandria: about 9 000 of 500). The fetch appends
each page's compositions to ``known/.partial/NAME.jsonl`` as it arrives, so a cancelled or failed
fetch resumes where it stopped instead of starting again. The finished set is still written
atomically (``known.save_set``) and the journal then removed; the set in the store is never partial.
A line cut short by an interruption is ignored (its page is simply fetched again).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from chemspace.core.atomic import atomic_path
from chemspace.core.composition import Composition
from chemspace.core.known import KnownEntry, check_name, data_dir

Pair = tuple[Composition, KnownEntry]


@dataclass
class Resumed:
    """What a journal holds: where to go on from, how many structures were seen, and their rows."""

    next_url: str | None
    done: int
    without: int
    pairs: list[Pair] = field(default_factory=list)


class FetchJournal:
    """The journal of one named set's download from one base URL."""

    def __init__(self, name: str, base_url: str, api_version: str):
        """Journal for set ``name`` fetched from ``base_url`` (a journal of another source is discarded)."""
        self.path = journal_path(name)
        self.header = {"base_url": base_url, "api_version": api_version}

    def resume(self) -> Resumed | None:
        """The journal's content, or None if there is none for this source (a stale one is removed)."""
        if not self.path.exists():
            return None
        lines = self.path.read_text(encoding="utf-8").splitlines()
        try:
            header = json.loads(lines[0]) if lines else None
        except ValueError:
            header = None
        if header != self.header:
            self.discard()
            return None
        state = Resumed(next_url=None, done=0, without=0)
        for line in lines[1:]:
            try:
                page = json.loads(line)
                rows = [
                    (Composition(tuple(symbols), tuple(counts)), KnownEntry(id=ident, formula=formula))
                    for ident, formula, symbols, counts in page["rows"]
                ]
                nxt, done, without = page["next"], int(page["done"]), int(page["without"])
            except (ValueError, KeyError, TypeError):
                break  # cut short by an interruption: that page is fetched again
            state.pairs.extend(rows)
            state.next_url, state.done, state.without = nxt, done, state.without + without
        return state if state.done else None

    def start(self) -> None:
        """Begin a new journal (replacing any other, atomically); pages are then appended line by line."""
        with atomic_path(self.path, make_parents=True) as tmp:
            tmp.write_text(json.dumps(self.header) + "\n", encoding="utf-8")

    def append(self, pairs: list[Pair], without: int, next_url: str | None, done: int) -> None:
        """Record one page: its rows, how many structures it had without a composition, and what follows."""
        rows = [[e.id, e.formula, list(c.symbols), list(c.counts)] for c, e in pairs]
        line = json.dumps({"next": next_url, "done": done, "without": without, "rows": rows}, separators=(",", ":"))
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write(line + "\n")

    def discard(self) -> None:
        """Remove the journal (the set is complete, or the user asked to restart)."""
        self.path.unlink(missing_ok=True)


def journal_path(name: str) -> Path:
    """Where the journal of set ``name`` would be (for messages and tests)."""
    return data_dir() / "known" / ".partial" / f"{check_name(name)}.jsonl"


def interrupted_downloads() -> list[str]:
    """Names of the sets whose download was interrupted and can resume."""
    folder = data_dir() / "known" / ".partial"
    return sorted(p.stem for p in folder.glob("*.jsonl")) if folder.exists() else []
