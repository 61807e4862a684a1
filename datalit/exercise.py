"""The exercise model: `exercises/<slug>/exercise.toml`, validated into frozen dataclasses.

An exercise is one folder: exercise.toml (what to generate, the declared outputs, the graded
parts and their points, limits), the release notebook, suite.json (GX) and the README brief.
Its instructor-only half lives in `solutions/<slug>/` (source notebook, naive attempt, truth.py
computing the true answers from the clean tables and the key, reviewer notes).
Points and maxima always come from here, never from a submission.
"""

from __future__ import annotations

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
class Part:
    """One graded part of an exercise. How it is scored is its kind's (`datalit.grading.parts`,
    one module per kind); what only that kind needs sits in `settings`."""

    id: str
    kind: str
    """A registered part kind: suite, rows, ids, numeric, spans, manual (docs/authoring.md)."""
    title: str
    points: float
    """For ``suite`` parts: the sum of the points in suite.json's expectation meta."""
    output: str = ""
    """The declared output it reads (none for ``manual``)."""
    cell: str = ""
    """For parts answered in the notebook (``manual``): the nbgrader grade_id of that cell."""
    anomalies: tuple[str, ...] = ()
    """The planted anomaly types this part is meant to catch (for reports)."""
    settings: Any = None
    """The kind's own settings (e.g. `RowsSettings`, `NumericSettings`), validated at load."""

    @property
    def auto(self) -> bool:
        from datalit.grading.parts import get

        return get(self.kind).auto


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
        """The parts compared with a true table written at release (keys/<c>/<ex>/expected/)."""
        from datalit.grading.parts import get

        return tuple(p for p in self.parts if get(p.kind).true_table)

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
    parts = [
        _part(p, f"{where} parts[{i}]", outputs, names, folder)
        for i, p in enumerate(_need(data, "parts", list, where), start=1)
    ]
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


def _part(p: Any, w: str, outputs: list[Output], names: set[str], folder: Path) -> Part:
    """One `[[parts]]` table: the common fields here, the kind's own by its kind's module."""
    from datalit.grading.parts import COMMON_FIELDS, REGISTRY

    if not isinstance(p, dict):
        raise InvalidArgument(f"{w}: a part must be a table")
    kind_name = _need(p, "kind", str, w)
    if kind_name not in REGISTRY:
        raise InvalidArgument(f"{w}: kind must be one of {tuple(REGISTRY)}")
    kind = REGISTRY[kind_name]
    pid = _need(p, "id", str, w)
    unknown = sorted(set(p) - COMMON_FIELDS - kind.options)
    if unknown:
        allowed = ", ".join(sorted(COMMON_FIELDS | kind.options))
        raise InvalidArgument(
            f"{w}: unknown field{'s' * (len(unknown) > 1)} {', '.join(map(repr, unknown))} for a "
            f"{kind_name} part (its fields: {allowed})"
        )
    if kind.reads is not None:
        if p.get("output") not in names:
            raise InvalidArgument(f"{w}: output must name one of the outputs {sorted(names)}")
        if part_output_kind(outputs, p.get("output")) != kind.reads:
            article = "an" if kind_name[0] in "aeiou" else "a"
            raise InvalidArgument(f"{w}: {article} {kind_name} part reads a {kind.reads} output")
    settings = kind.settings(p, w)
    points = kind.points(p, folder, pid)
    if points <= 0:
        raise InvalidArgument(f"{w}: a part needs points > 0 (suite parts: in suite.json meta)")
    return Part(
        id=pid,
        kind=kind_name,
        title=p.get("title", pid),
        points=points,
        output=p.get("output", "") if kind.reads is not None else "",
        cell=kind.cell(p),
        anomalies=tuple(p.get("anomalies", ())),
        settings=settings,
    )


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
    result.setdefault("tables", {})
    from datalit.grading.parts import kind_of

    for part in exercise.parts:
        kind_of(part).check_truth(part, result, path)
    return result
