"""The exercise model: `exercises/<slug>/exercise.toml`, validated into frozen dataclasses.

An exercise is one folder: exercise.toml (what to generate, the declared outputs, the graded
parts and their points, limits), the release notebook, suite.json (GX) and the README brief.
Its instructor-only half lives in `solutions/<slug>/` (source notebook, naive attempt, truth.py
computing the true answers from the clean tables and the key, reviewer notes).
Points and maxima always come from here, never from a submission.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from datalit.errors import InvalidArgument, UnknownName
from datalit.generators.spec import GenerationSpec, Plant, spec_from_dict, varied_plants

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
OUTPUT_KINDS = ("table", "json")
PART_KINDS = ("suite", "rows", "ids", "numeric", "spans", "manual")
COMPARE_KINDS = ("text", "number", "instant")
"""How a `rows` part compares a column: stripped text, a number within a tolerance, or a point
in time (any ISO 8601 form; without an offset it is read as UTC) within a number of seconds."""
TABLE_FORMATS = (".csv", ".parquet")


def repo_root() -> Path:
    """The checkout holding exercises/ and solutions/ (overridable with DATALIT_HOME)."""
    env = os.environ.get("DATALIT_HOME")
    return Path(env) if env else Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Output:
    """A file the candidate's notebook must write (relative to the notebook's folder)."""

    name: str
    path: str
    """Relative path inside the work dir, e.g. outputs/orders_clean.csv."""
    kind: str
    """``table`` (CSV or Parquet, by extension) or ``json``."""
    columns: tuple[str, ...] = ()
    """For tables: the columns the output must have (checked by the release's self-check)."""
    max_bytes: int = 50 * 1024**2
    """Largest file read back (`max_mb` in exercise.toml): 50 MB for a table, 1 MB for JSON."""
    max_rows: int = 2_000_000
    max_items: int = 100_000
    """For JSON: most values (objects, lists, numbers, strings) the file may hold (`max_items`).
    Parsing JSON costs the trusted grader ~60 bytes of memory per value whatever their size, so
    millions of `{}` under an ignored key would otherwise cost gigabytes."""
    source_table: str = ""
    """For tables: the raw table this output is the cleaned version of. `check-exercise` runs the
    suite on it to prove that each planted anomaly makes some expectation fail."""


@dataclass(frozen=True)
class RowColumn:
    """A column a `rows` part compares with the candidate's own true table, row by row."""

    name: str
    compare: str = "text"
    """One of COMPARE_KINDS."""
    tolerance: float = 0.0
    """``number``: relative tolerance."""
    abs_tolerance: float = 0.0
    """``number``: absolute tolerance; ``instant``: seconds."""


@dataclass(frozen=True)
class Part:
    """One graded part of an exercise."""

    id: str
    kind: str
    """``suite`` (GX expectations on a table), ``rows`` (a table compared row by row with the
    candidate's own true table, joined on a key), ``ids`` (a flagged-ids list scored by F1 against
    the key), ``numeric`` (numbers within a tolerance), ``manual`` (a written finding)."""
    title: str
    points: float
    """For ``suite`` parts: the sum of the points in suite.json's expectation meta."""
    output: str = ""
    field: str = ""
    """For ``ids``/``numeric``: the key inside the JSON output. For ``spans``: the id column of
    the table output (its other columns are ``start`` and ``end``)."""
    truth: str = ""
    """For ``ids``/``numeric``: the key inside the true answers (key/answers.json)."""
    tolerance: float = 0.0
    """For ``numeric``: relative tolerance."""
    abs_tolerance: float = 0.0
    """For ``numeric``: absolute tolerance; a value passes within either tolerance (rates and
    coefficients near 0 need an absolute one)."""
    beta: float = 2.0
    """For ``spans``: the F-beta weight; 2 counts recall (redacting what must go) more."""
    cell: str = ""
    """For ``manual``: the nbgrader grade_id of the markdown cell holding the answer."""
    anomalies: tuple[str, ...] = ()
    """The planted anomaly types this part is meant to catch (for reports)."""
    key: str = ""
    """For ``rows``: the column that identifies a row (order_id, event_id, …), or the key's
    columns joined by ", " when several columns together identify a row."""
    key_columns: tuple[str, ...] = ()
    """For ``rows``: the column(s) that together identify a row."""
    columns: tuple[RowColumn, ...] = ()
    """For ``rows``: the columns compared with the true table, row by row."""
    key_share: float = 0.25
    """For ``rows``: the share of the points for keeping exactly the right rows; the rest is
    shared equally by the compared columns."""

    @property
    def auto(self) -> bool:
        return self.kind != "manual"

    @property
    def row_key(self) -> tuple[str, ...]:
        """For ``rows``: the key's columns (`key_columns`, or `key` alone)."""
        return self.key_columns or ((self.key,) if self.key else ())


@dataclass(frozen=True)
class ExerciseLimits:
    """Sandbox limits (defaults close to PrairieLearn's grader)."""

    memory_mb: int = 2048
    cell_timeout_s: float = 60.0
    total_timeout_s: float = 600.0


@dataclass(frozen=True)
class Exercise:
    """A validated exercise."""

    slug: str
    title: str
    level: str
    time_budget_minutes: int
    skills: tuple[str, ...]
    folder: Path
    notebook: str
    generate: GenerationSpec
    outputs: tuple[Output, ...]
    parts: tuple[Part, ...]
    limits: ExerciseLimits = field(default_factory=ExerciseLimits)
    vary_fraction: float = 0.0
    """Each plant's fraction is scaled by a per-variant factor in [1 - v, 1 + v], so counts that
    decide points differ between candidates (see `varied_plants`)."""

    def plants_for(self, seed: int) -> tuple[Plant, ...] | None:
        """The plants of the variant with this seed (fractions varied by `vary_fraction`)."""
        if self.generate.plants is None:
            return None
        return varied_plants(self.generate.plants, seed=seed, spread=self.vary_fraction)

    @property
    def row_parts(self) -> tuple[Part, ...]:
        return tuple(p for p in self.parts if p.kind == "rows")

    @property
    def suite_path(self) -> Path:
        return self.folder / "suite.json"

    @property
    def solution_folder(self) -> Path:
        return self.folder.parent.parent / "solutions" / self.slug

    def output(self, name: str) -> Output:
        return next(o for o in self.outputs if o.name == name)

    def part(self, part_id: str) -> Part:
        return next(p for p in self.parts if p.id == part_id)

    @property
    def max_auto_points(self) -> float:
        return sum(p.points for p in self.parts if p.auto)

    @property
    def max_points(self) -> float:
        return sum(p.points for p in self.parts)


def _suite_points(folder: Path, part_id: str) -> float:
    suite = json.loads((folder / "suite.json").read_text(encoding="utf-8"))
    return float(
        sum(
            e.get("meta", {}).get("points", 0)
            for e in suite.get("expectations", [])
            if e.get("meta", {}).get("part") == part_id
        )
    )


DEFAULT_MAX_MB = {"table": 50, "json": 1}
"""Output size limits: a table of a few hundred thousand rows fits in 50 MB; the JSON answers
the exercises ask for are a few KB (a list of ids, a handful of numbers)."""


def _limit(data: dict, key: str, default: float, where: str, scale: int = 1) -> int:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise InvalidArgument(f"{where}: {key} must be a positive number, got {value!r}")
    return int(value * scale)


def _need(data: dict, key: str, kind: type | tuple, where: str) -> Any:
    if key not in data:
        raise InvalidArgument(f"{where}: missing {key!r}")
    value = data[key]
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise InvalidArgument(f"{where}: {key!r} has the wrong type ({type(value).__name__})")
    return value


def part_output_kind(outputs: list[Output], name: Any) -> str:
    return next((o.kind for o in outputs if o.name == name), "")


def list_exercises(root: Path | None = None) -> list[str]:
    """Slugs of the exercises under `root`/exercises (folders with an exercise.toml)."""
    base = (root or repo_root()) / "exercises"
    return sorted(p.parent.name for p in base.glob("*/exercise.toml"))


def load_exercise(slug: str, root: Path | None = None) -> Exercise:
    """Read and validate `exercises/<slug>/exercise.toml`."""
    if not isinstance(slug, str) or not SLUG.match(slug):
        raise InvalidArgument(f"exercise name {slug!r} is not a valid slug (lowercase, digits, -)")
    folder = (root or repo_root()) / "exercises" / slug
    path = folder / "exercise.toml"
    if not path.is_file():
        raise UnknownName("exercise", slug, list_exercises(root))
    where = f"exercises/{slug}/exercise.toml"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise InvalidArgument(f"{where} is not valid TOML: {exc}") from None
    outputs = []
    for i, o in enumerate(_need(data, "outputs", list, where), start=1):
        w = f"{where} outputs[{i}]"
        kind = _need(o, "kind", str, w)
        opath = _need(o, "path", str, w)
        if kind not in OUTPUT_KINDS:
            raise InvalidArgument(f"{w}: kind must be one of {OUTPUT_KINDS}")
        if opath.startswith("/") or ".." in Path(opath).parts:
            raise InvalidArgument(f"{w}: path must be relative and stay inside the work dir")
        if kind == "table" and Path(opath).suffix not in TABLE_FORMATS:
            raise InvalidArgument(f"{w}: a table must be .csv or .parquet")
        if kind == "json" and Path(opath).suffix != ".json":
            raise InvalidArgument(f"{w}: a json output must end in .json")
        outputs.append(
            Output(
                name=_need(o, "name", str, w),
                path=opath,
                kind=kind,
                columns=tuple(o.get("columns", ())),
                max_bytes=_limit(o, "max_mb", DEFAULT_MAX_MB[kind], w, scale=1024**2),
                max_rows=_limit(o, "max_rows", 2_000_000, w),
                max_items=_limit(o, "max_items", 100_000, w),
                source_table=str(o.get("source_table", "")),
            )
        )
    names = {o.name for o in outputs}
    parts = []
    for i, p in enumerate(_need(data, "parts", list, where), start=1):
        w = f"{where} parts[{i}]"
        kind = _need(p, "kind", str, w)
        if kind not in PART_KINDS:
            raise InvalidArgument(f"{w}: kind must be one of {PART_KINDS}")
        pid = _need(p, "id", str, w)
        if kind != "manual" and p.get("output") not in names:
            raise InvalidArgument(f"{w}: output must name one of the outputs {sorted(names)}")
        if (
            kind in ("suite", "spans", "rows")
            and part_output_kind(outputs, p.get("output")) != "table"
        ):
            raise InvalidArgument(f"{w}: a {kind} part reads a table output")
        if kind in ("ids", "numeric") and part_output_kind(outputs, p.get("output")) != "json":
            raise InvalidArgument(f"{w}: an {kind} part reads a json output")
        if kind in ("ids", "numeric", "spans") and not (p.get("field") and p.get("truth")):
            raise InvalidArgument(f"{w}: an {kind} part needs `field` and `truth`")
        if any(float(p.get(k, 0)) < 0 for k in ("tolerance", "abs_tolerance")):
            raise InvalidArgument(f"{w}: tolerances must be >= 0")
        if float(p.get("beta", 2.0)) <= 0:
            raise InvalidArgument(f"{w}: beta must be > 0")
        key_columns, columns, key_share = _row_settings(p, w) if kind == "rows" else ((), (), 0.25)
        points = _suite_points(folder, pid) if kind == "suite" else float(p.get("points", 0))
        if points <= 0:
            raise InvalidArgument(f"{w}: a part needs points > 0 (suite parts: in suite.json meta)")
        parts.append(
            Part(
                id=pid,
                kind=kind,
                title=p.get("title", pid),
                points=points,
                output=p.get("output", ""),
                field=p.get("field", ""),
                truth=p.get("truth", ""),
                tolerance=float(p.get("tolerance", 0.0)),
                abs_tolerance=float(p.get("abs_tolerance", 0.0)),
                beta=float(p.get("beta", 2.0)),
                cell=p.get("cell", ""),
                anomalies=tuple(p.get("anomalies", ())),
                key=", ".join(key_columns),
                key_columns=key_columns,
                columns=columns,
                key_share=key_share,
            )
        )
    limits = data.get("limits", {})
    vary = data.get("vary_fraction", 0.0)
    if not isinstance(vary, int | float) or isinstance(vary, bool) or not 0 <= vary < 0.5:
        raise InvalidArgument(f"{where}: vary_fraction must be a number in [0, 0.5)")
    return Exercise(
        slug=slug,
        title=_need(data, "title", str, where),
        level=_need(data, "level", str, where),
        time_budget_minutes=int(_need(data, "time_budget_minutes", int, where)),
        skills=tuple(data.get("skills", ())),
        folder=folder,
        notebook=data.get("notebook", f"{slug}.ipynb"),
        generate=spec_from_dict(_need(data, "generate", dict, where), source=where),
        outputs=tuple(outputs),
        parts=tuple(parts),
        limits=ExerciseLimits(
            memory_mb=int(limits.get("memory_mb", 2048)),
            cell_timeout_s=float(limits.get("cell_timeout_s", 60)),
            total_timeout_s=float(limits.get("total_timeout_s", 600)),
        ),
        vary_fraction=float(vary),
    )


def _row_settings(p: dict, where: str) -> tuple[tuple[str, ...], tuple[RowColumn, ...], float]:
    """`key`, `columns` and `key_share` of a rows part.

    ```toml
    key = "order_id"
    columns = { status = "text", quantity = { compare = "number", tolerance = 0.001 } }
    ```
    """
    key = p.get("key")
    names = [key] if isinstance(key, str) else key
    if (
        not isinstance(names, list)
        or not names
        or not all(isinstance(k, str) and k for k in names)
        or len(set(names)) != len(names)
    ):
        raise InvalidArgument(
            f"{where}: a rows part needs `key`, the column identifying a row (or a list of the "
            "columns that together identify one)"
        )
    raw = p.get("columns")
    if not isinstance(raw, dict) or not raw:
        raise InvalidArgument(
            f'{where}: a rows part needs `columns`, e.g. columns = {{ status = "text" }}'
        )
    columns = []
    for name, setting in raw.items():
        spec = {"compare": setting} if isinstance(setting, str) else setting
        if not isinstance(spec, dict) or spec.get("compare", "text") not in COMPARE_KINDS:
            raise InvalidArgument(
                f"{where}: column {name!r} must be compared as one of {COMPARE_KINDS}"
            )
        unknown = set(spec) - {"compare", "tolerance", "abs_tolerance"}
        if unknown:
            raise InvalidArgument(f"{where}: column {name!r} has unknown setting {sorted(unknown)}")
        tolerances = [spec.get(k, 0.0) for k in ("tolerance", "abs_tolerance")]
        if any(not isinstance(t, int | float) or isinstance(t, bool) or t < 0 for t in tolerances):
            raise InvalidArgument(f"{where}: column {name!r}: tolerances must be numbers >= 0")
        if name in names:
            raise InvalidArgument(f"{where}: the key column {name!r} is not also a compared column")
        columns.append(RowColumn(name, spec.get("compare", "text"), *map(float, tolerances)))
    share = p.get("key_share", 0.25)
    if not isinstance(share, int | float) or isinstance(share, bool) or not 0 <= share < 1:
        raise InvalidArgument(f"{where}: key_share must be a number in [0, 1)")
    return tuple(names), tuple(columns), float(share)


def compute_truth(exercise: Exercise, clean, raw, key) -> dict[str, Any]:
    """Run `solutions/<slug>/truth.py`'s `truth(clean, raw, key)`: the true answers and the suite
    parameters for one generated variant. Instructor-only code, run at release time."""
    import importlib.util

    path = exercise.solution_folder / "truth.py"
    if not path.is_file():
        raise InvalidArgument(
            f"{path} is missing: an exercise's true answers come from solutions/<slug>/truth.py"
        )
    spec = importlib.util.spec_from_file_location(f"datalit_truth_{exercise.slug}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    result = module.truth(clean, raw, key)
    if (
        not {"answers", "suite_parameters"}
        <= set(result)
        <= {"answers", "suite_parameters", "tables"}
    ):
        raise InvalidArgument(
            f"{path}: truth() must return {{'answers': …, 'suite_parameters': …}} and, for "
            "rows parts, 'tables': {output name: the true table}"
        )
    tables = result.setdefault("tables", {})
    for part in exercise.row_parts:
        table = tables.get(part.output)
        needed = [*part.row_key, *(c.name for c in part.columns)]
        if table is None or any(c not in table.columns for c in needed):
            raise InvalidArgument(
                f"{path}: truth() must return tables[{part.output!r}] with the columns {needed} "
                f"(rows part {part.id!r})"
            )
        if table[list(part.row_key)].astype(str).duplicated().any():
            raise InvalidArgument(
                f"{path}: tables[{part.output!r}] repeats a {part.key!r}: the key of a rows part "
                "must identify one row"
            )
    return result
