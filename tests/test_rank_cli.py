"""`chemspace-tui rank` as a user runs it: JSON and file outputs, the evaluation report, one-line errors."""

from __future__ import annotations

import csv
import itertools
import json
import math
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from test_rank import dev_data
from typer.testing import CliRunner

from chemspace.core.composition import Composition, parse_formula
from chemspace.core.known import import_file
from chemspace.core.rank_signals import SIGNAL_NAMES
from chemspace.core.rule import Rule
from chemspace.tui.cli import app

from smact_reference import smact_verdict

runner = CliRunner()


@pytest.fixture(scope="module")
def known_file() -> str:
    return str(dev_data())


def test_rank_system_json(known_file: str) -> None:
    result = runner.invoke(app, ["rank", "--system", "Sn-O-S", "--known", known_file, "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    rows = doc["rows"]
    known = import_file(Path(known_file))
    assert rows and all(parse_formula(r["formula"]) not in known for r in rows)
    assert [r["rank"] for r in rows] == list(range(1, len(rows) + 1))
    assert all(a["score"] >= b["score"] for a, b in itertools.pairwise(rows))
    assert set(SIGNAL_NAMES) <= set(rows[0]) and doc["considered"] == len(rows)


def test_rank_system_top_and_csv(known_file: str, tmp_path: Path) -> None:
    out = tmp_path / "ranked.csv"
    result = runner.invoke(
        app, ["rank", "--system", "Li-Zn-Sn-O", "--known", known_file, "--top", "25", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    with out.open() as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 25
    assert list(rows[0])[:3] == ["formula", "score", "rank"] and set(SIGNAL_NAMES) <= set(rows[0])
    assert not list(tmp_path.glob(".*part"))


def test_rank_arity_parquet_with_elements(known_file: str, tmp_path: Path) -> None:
    out = tmp_path / "ternary.parquet"
    args = ["rank", "--arity", "3", "--elements", "Li,Na,K,O,S,Cl", "--known", known_file, "--top", "40"]
    result = runner.invoke(app, [*args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    table = pq.read_table(out).to_pylist()
    assert len(table) == 40 and all(r["arity"] == 3 for r in table)
    assert all(set(parse_formula(r["formula"]).symbols) <= {"Li", "Na", "K", "O", "S", "Cl"} for r in table)


def test_rank_evaluate_json(known_file: str) -> None:
    args = ["rank", "--evaluate", "--arity", "2", "--known", known_file, "--holdout", "0.1", "--seed", "3", "--json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    methods = {r["method"] for r in doc["results"]}
    assert {"learned", "sum", "random", *SIGNAL_NAMES} <= methods
    assert doc["hidden"] > 0 and doc["by"] == "composition"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["rank"], "exactly one of --system"),
        (["rank", "--system", "Li-O", "--arity", "2"], "exactly one of --system"),
        (["rank", "--system", "Li-Qq"], "unknown element symbol 'Qq'"),
        (["rank", "--system", "Li-O", "--top", "0"], "--top 0"),
        (["rank", "--arity", "9"], "arity 9"),
        (["rank", "--system", "Li-O", "--method", "magic"], "unknown ranking method 'magic'"),
        (["rank", "--system", "Li-O", "--out", "x.txt"], "must end in .csv or .parquet"),
        (["rank", "--system", "Li-O", "--out", "/no/such/dir/x.csv"], "does not exist"),
        (["rank", "--evaluate", "--arity", "2", "--holdout", "1.5"], "--holdout 1.5"),
        (["rank", "--evaluate", "--arity", "2", "--by", "element"], "--by 'element'"),
        (["rank", "--evaluate"], "--evaluate needs --arity"),
        (["rank", "--arity", "3", "--elements", "Li,O"], "arity 3 needs 3"),
        (["rank", "--arity", "2", "--elements", "Li,Oo"], "unknown element symbol 'Oo'"),
        (["rank", "--system", "Li-O", "--known", "no-such-set"], "no-such-set"),
        (["rank", "--evaluate", "--arity", "2", "--alloys"], "needs a known-materials set"),
        (["rank", "--system", "Li-O", "--oxidation-states", "nope"], "nope"),
        (["rank", "--system", "Li-O", "--alloy"], None),
    ],
)
def test_rank_bad_input_one_line(args: list[str], message: str | None) -> None:
    result = runner.invoke(app, [*args, "--known", "none"] if "--known" not in args else args)
    if message is None:  # a misspelt option: typer's usage error
        assert result.exit_code == 2
        return
    assert result.exit_code == 1, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:") and message in lines[0], result.stderr
    assert "Traceback" not in result.output


def _every_composition(system: tuple[str, ...], max_stoich: int = 8) -> list[Composition]:
    """Every reduced composition of 2..n of the system's elements, coefficients 1..max_stoich (by brute force)."""
    out = []
    for n in range(2, len(system) + 1):
        for symbols in itertools.combinations(system, n):
            for counts in itertools.product(range(1, max_stoich + 1), repeat=n):
                if math.gcd(*counts) == 1:
                    out.append(Composition.from_counts(dict(zip(symbols, counts))))
    return out


@pytest.mark.parametrize(
    "switches",
    [["--alloys"], ["--no-pauling"], ["--mixed-valence"], ["--no-pauling", "--alloys", "--mixed-valence"]],
)
def test_rank_system_under_switches_lists_exactly_smact_allowed_missing(known_file: str, switches: list[str]) -> None:
    system = ("Fe", "Cu", "S")
    result = runner.invoke(app, ["rank", "--system", "-".join(system), "--known", known_file, *switches, "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    rule = Rule(pauling="--no-pauling" not in switches, alloys="--alloys" in switches)
    rule = rule.with_switches(mixed_valence="--mixed-valence" in switches)
    assert doc["rule"] == rule.as_dict()
    listed = [parse_formula(r["formula"]) for r in doc["rows"]]
    assert len(set(listed)) == len(listed)
    assert all(math.isfinite(r["score"]) for r in doc["rows"])  # every allowed composition gets a real score
    known = import_file(Path(known_file))
    verdicts = {c: smact_verdict(c, rule) for c in _every_composition(system)}
    decided = {c for c, v in verdicts.items() if v is not None}  # smact gives up on a few mixed-valence ones
    expected = {c for c in decided if verdicts[c] and c not in known}
    assert {c for c in listed if c in decided} == expected
    assert expected - {c for c in listed} == set()


def test_rank_evaluate_honours_a_switch(known_file: str) -> None:
    """--evaluate under --no-pauling ranks the rule's own pool (more than the paper's 13 464 allowed binaries)."""
    args = ["rank", "--evaluate", "--arity", "2", "--known", known_file, "--holdout", "0.1", "--no-pauling", "--json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["rule"] == Rule(pauling=False).as_dict()
    assert doc["candidates"] > 13_464 and doc["hidden"] > 0
    assert {r["method"] for r in doc["results"]} >= {"learned", "random"}


def test_rank_table_prints_top_percent_plainly(known_file: str) -> None:
    """The table's Top column is a plain percentage (no 1e-03), agreeing with the JSON's scores, and the
    best rows, whose scores differ, read differently."""
    args = ["rank", "--system", "Li-Zn-Sn-O", "--known", known_file, "--top", "12"]
    doc = json.loads(runner.invoke(app, [*args, "--json"]).stdout)
    result = runner.invoke(app, args, env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    cells = {}
    for line in result.stdout.splitlines():
        parts = [p.strip() for p in line.split("│")]
        if len(parts) > 4 and parts[1].isdigit():
            cells[parts[2]] = parts[3]
    rows = doc["rows"]
    assert len(cells) == len(rows) == 12
    for row in rows:
        text = cells[row["formula"]]
        assert text.endswith("%") and "e" not in text.lower(), text
        assert float(text[:-1]) == pytest.approx(100 * (1 - row["score"]), rel=0.06), (text, row["score"])
    shown = [cells[r["formula"]] for r in rows]
    for (a, x), (b, y) in itertools.pairwise(zip(shown, rows)):
        assert a != b or x["score"] == y["score"], (a, b)


@pytest.mark.parametrize(
    ("value", "text"), [(0.0042, "0.0042%"), (0.00421, "0.0042%"), (3.14159, "3.1%"), (42.0, "42%"), (100.0, "100%")]
)
def test_percent_text_is_plain(value: float, text: str) -> None:
    from chemspace.tui.formatting import percent_text

    assert percent_text(value) == text


def test_percent_column_adds_digits_until_neighbours_differ() -> None:
    from chemspace.tui.formatting import percent_column

    assert percent_column([0.00421, 0.00424, 0.0051]) == ["0.00421%", "0.00424%", "0.00510%"]
    assert percent_column([0.0042, 0.0042, 0.0051]) == ["0.0042%", "0.0042%", "0.0051%"]


def test_progress_bars_render_before_their_total_is_known(monkeypatch: pytest.MonkeyPatch) -> None:
    """On a terminal, a bar whose total is not known yet (rank --arity, known fetch) counts without a total."""
    from io import StringIO

    from rich.console import Console

    from chemspace.tui import progress as prog

    out = StringIO()
    monkeypatch.setattr(prog, "err_console", Console(file=out, force_terminal=True, width=100))
    with prog.counted_progress("rank binary", "element sets") as bar:
        task = bar.add_task("rank", total=None)
        bar.update(task, completed=12)
        bar.refresh()
        bar.update(task, completed=30, total=100)
        bar.refresh()
    assert "12 element sets" in out.getvalue()
    assert "30/100 element sets" in out.getvalue()


def test_rank_arity_on_a_terminal_shows_its_bar_and_ends_cleanly(tmp_path: Path) -> None:
    """As a user runs it in a terminal (stderr a pty): the bar draws, the table prints, exit 0, no traceback."""
    import os
    import pty
    import subprocess
    import sys
    import threading

    exe = Path(sys.executable).with_name("chemspace-tui")
    leader, follower = pty.openpty()
    chunks: list[bytes] = []

    def drain() -> None:  # read the terminal as it is written: a full pty would block the command
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:
                return
            if not chunk:
                return
            chunks.append(chunk)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    env = dict(os.environ, CHEMSPACE_DATA_DIR=str(tmp_path), COLUMNS="100")
    proc = subprocess.run(
        [str(exe), "rank", "--arity", "2", "--known", "none", "--top", "3"],
        stdout=subprocess.PIPE,
        stderr=follower,
        env=env,
        timeout=600,
        check=False,
    )
    os.close(follower)
    reader.join(timeout=10)
    os.close(leader)
    err = b"".join(chunks)
    assert proc.returncode == 0, err.decode(errors="replace")[-2000:]
    assert b"Traceback" not in err
    assert b"element sets" in err
    assert b"KF" in proc.stdout or b"NaF" in proc.stdout
