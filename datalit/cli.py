"""The `datalit` command. Heavy imports happen inside commands so `datalit --help` stays fast."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from datalit.errors import DatalitError


class Group(click.Group):
    """Turns user errors into one clear message (exit 2) instead of a traceback."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except DatalitError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(2)


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="datalit")
def main() -> None:
    """datalit: messy datasets with an exact answer key, notebook exercises, a sandboxed grader."""


def _released_course(ex, course: Path) -> str:
    """The mode `ex` was released in, in COURSE; a clear error if COURSE does not exist or the
    exercise was never released there (a command on it would do nothing)."""
    from datalit.errors import InvalidArgument
    from datalit.grading.course import Course, release_mode

    course = Path(course)
    if not course.exists():
        raise InvalidArgument(
            f"the course folder {course} does not exist; it is made by `datalit release "
            f"{ex.slug} --course {course} --roster ROSTER.csv`"
        )
    if not course.is_dir():
        raise InvalidArgument(f"--course {course} is a file; give the course folder")
    layout = Course(course)
    released = layout.released_candidates(ex.slug)
    if not released:
        raise InvalidArgument(
            f"{ex.slug} was never released in {course}; release it first with `datalit release "
            f"{ex.slug} --course {course} --roster ROSTER.csv`"
        )
    return release_mode(layout.keys_dir(released[0], ex.slug) / "answers.json")


def _parse_plant_options(recipe: str | None, spec: Path | None):
    from datalit.generators.spec import GenerationSpec, load_spec

    if spec is not None:
        loaded = load_spec(spec)
        if recipe is not None and recipe != loaded.recipe:
            raise DatalitError(
                f"NAME {recipe!r} and the spec's recipe {loaded.recipe!r} disagree; "
                "give one of them"
            )
        return loaded
    if recipe is None:
        raise DatalitError("give a recipe NAME (see `datalit recipes`) or --spec FILE")
    return GenerationSpec(recipe=recipe)


@main.command()
@click.argument("name", required=False)
@click.option("--seed", type=int, required=True, help="Seed: same seed and versions, same bytes.")
@click.option(
    "--out", "out", type=click.Path(path_type=Path), required=True, help="Folder to write."
)
@click.option("--rows", type=int, default=None, help="Rows of the recipe's main table.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "parquet"]),
    default="csv",
    show_default=True,
    help="Format of the raw tables.",
)
@click.option(
    "--spec",
    type=click.Path(path_type=Path),
    default=None,
    help="TOML with recipe, rows and [[plants]] (instead of the recipe's defaults).",
)
@click.option("--overwrite", is_flag=True, help="Replace DIR if it holds an earlier dataset.")
def generate(name, seed, out, rows, fmt, spec, overwrite):
    """Generate NAME's raw tables into OUT/data and its answer key into OUT/key. NAME is a recipe
    (with its default plants) or an exercise slug (its data, and its true answers in
    OUT/key/answers.json)."""
    from datalit.exercise import compute_truth, list_exercises, load_exercise
    from datalit.generators.engine import generate as run_generate
    from datalit.generators.output import check_target, write_generated
    from datalit.generators.recipes import REGISTRY
    from datalit.generators.recipes import get as get_recipe
    from datalit.progress import Steps

    exercise = None
    if spec is None and name is not None and name not in REGISTRY:
        if name not in list_exercises():
            raise DatalitError(
                f"unknown name {name!r}: give a recipe ({', '.join(sorted(REGISTRY))}) "
                f"or an exercise ({', '.join(list_exercises())})"
            )
        exercise = load_exercise(name)
        chosen = exercise.generate
    else:
        chosen = _parse_plant_options(name, spec)
    get_recipe(chosen.recipe)  # fail fast on a bad name or folder, before any work
    check_target(out, overwrite=overwrite)
    with Steps("generating") as steps:
        g = run_generate(
            chosen.recipe,
            seed=seed,
            rows=rows if rows is not None else chosen.rows,
            plants=exercise.plants_for(seed) if exercise is not None else chosen.plants,
            on_step=steps.advance,
        )
        answers = None
        if exercise is not None:
            answers = compute_truth(exercise, g.clean, g.raw, g.key)["answers"]
        write_generated(
            g, out, fmt=fmt, overwrite=overwrite, on_file=steps.advance, answers=answers
        )
    _print_summary(g, out)


@main.command()
@click.option("--markdown", is_flag=True, help="Print the reference table of docs/anomalies.md.")
def anomalies(markdown):
    """List every registered anomaly type: name, description, arguments."""
    from datalit.generators.anomalies import REGISTRY
    from datalit.generators.anomalies.registry import markdown_reference

    if markdown:
        click.echo(markdown_reference(), nl=False)
        return
    for name in sorted(REGISTRY):
        a = REGISTRY[name]
        click.echo(f"{name:<22} {a.description}  [{a.signature()}]")


@main.command()
def recipes():
    """List the recipes `datalit generate` can build."""
    from datalit.generators.recipes import REGISTRY

    for name in sorted(REGISTRY):
        r = REGISTRY[name]
        click.echo(f"{name:<14} {r.description} (default {r.default_rows} {r.main_table})")


@main.command("list")
def list_exercises():
    """List the exercise catalog: slug, level, time budget, skills."""
    from datalit.exercise import list_exercises as slugs
    from datalit.exercise import load_exercise

    for slug in slugs():
        e = load_exercise(slug)
        click.echo(
            f"{slug:<24} {e.level:<12} {e.time_budget_minutes:>3} min  {', '.join(e.skills)}"
        )


@main.command()
@click.argument("exercise")
@click.option("--course", type=click.Path(path_type=Path), required=True, help="Course folder.")
@click.option(
    "--roster",
    type=click.Path(path_type=Path),
    required=True,
    help="CSV with an `id` column (optional `name`, `email`).",
)
@click.option(
    "--secret-file",
    type=click.Path(path_type=Path),
    default=None,
    help="Cohort secret for per-candidate seeds (default: COURSE/.datalit/secret).",
)
@click.option(
    "--mode",
    type=click.Choice(["assessment", "practice"]),
    default="assessment",
    show_default=True,
    help="assessment (hiring): no checks shipped, feedback held until `release-feedback`; "
    "practice (courses): public checks with hints in the notebook, feedback at once.",
)
@click.option(
    "--force",
    is_flag=True,
    help="Replace released variants (another mode, secret or exercise version): their previous "
    "release, keys and submissions are first moved to COURSE/backups/.",
)
@click.option(
    "--due",
    metavar="TIME",
    help="When submissions are due: ISO 8601 (2026-12-15T17:00 in this machine's time zone, "
    "2026-12-15T17:00+01:00, or 2026-12-15 for the end of that day). Kept per candidate; "
    "collect and export show late submissions. Without it, a re-release keeps the due time "
    "recorded before.",
)
def release(exercise, course, roster, secret_file, mode, force, due):
    """Give every candidate of ROSTER their own variant of EXERCISE (keys stay in COURSE/keys).

    Releasing again is safe: candidates whose release is already this one (same secret, mode and
    exercise version) are left as they are, new roster entries are released, and a release that
    would change anyone's data or keys is refused (exit 2) unless --force."""
    from datalit.exercise import load_exercise
    from datalit.grading.course import release as run_release
    from datalit.grading.course.handout import parse_due

    summary = run_release(
        exercise=load_exercise(exercise),
        course=course,
        roster=roster,
        secret_file=secret_file,
        mode=mode,
        force=force,
        due=parse_due(due) if due else None,
    )
    click.echo(summary.describe())
    click.echo(f"mode: {mode}")


@main.command("release-feedback")
@click.argument("exercise")
@click.option("--course", type=click.Path(path_type=Path), required=True, help="Course folder.")
@click.option("--candidate", "candidates", multiple=True, help="Only these (repeatable).")
@click.option(
    "--require-manual/--no-require-manual",
    default=True,
    show_default=True,
    help="Refuse while a candidate's manual part (the written finding) is ungraded; with "
    "--no-require-manual, release anyway and list them.",
)
def release_feedback(exercise, course, candidates, require_manual):
    """Assessment mode: give graded candidates their feedback (COURSE/feedback/) once the
    reviewers are done. Run it again after a regrade to release the new feedback.

    By default it refuses while any of them has a manual part nobody has graded in formgrader:
    in assessment mode the released view is the candidate's grade, and released early it would
    show a total missing the finding's points."""
    from datalit.errors import InvalidArgument
    from datalit.exercise import load_exercise
    from datalit.grading.course import feedback_waiting
    from datalit.grading.course import release_feedback as run
    from datalit.grading.manual import ungraded
    from datalit.grading.report import cohort_report, refresh_views

    ex = load_exercise(exercise)
    mode = _released_course(ex, course)
    known = feedback_waiting(exercise=ex, course=course, candidates=list(candidates))
    pending = ungraded(Path(course), ex, known)
    if pending and require_manual:
        raise InvalidArgument(
            f"{len(pending)} candidate(s) have a manual part nobody has graded yet: "
            f"{', '.join(pending)}. Grade them in formgrader (docs/grading.md), or release "
            "anyway with --no-require-manual; nothing was released"
        )
    for candidate in known:  # the views were written before a reviewer graded the finding
        refresh_views(course=Path(course), exercise=ex, candidate=candidate)
    released = run(exercise=ex, course=course, candidates=list(candidates))
    if released:
        cohort_report(course=Path(course), exercise=ex, results=[])  # with the manual grades
    if not released:
        if mode == "practice":
            raise InvalidArgument(
                f"{exercise} was released in practice mode in {course}: candidates got their "
                "feedback when they were graded, so there is nothing to release"
            )
        raise InvalidArgument(
            f"no feedback of {exercise} is waiting in {course}: nobody was graded since the "
            f"last release-feedback (grade first: `datalit grade {exercise} --course {course}`)"
        )
    click.echo(f"released feedback of {exercise} to {len(released)} candidate(s)")
    if pending:
        click.echo(
            f"warning: released without a manual grade (the view says a reviewer grades "
            f"that part): {', '.join(pending)}",
            err=True,
        )


@main.command("build-release")
@click.argument("exercise")
@click.option("--check", is_flag=True, help="Only check that the committed release is current.")
def build_release(exercise, check):
    """Build EXERCISE's release notebook from its nbgrader source in solutions/ (authors)."""
    from datalit.exercise import load_exercise
    from datalit.grading.authoring import check_release_current, write_release_notebook

    ex = load_exercise(exercise)
    if check:
        check_release_current(ex)
        click.echo(f"{ex.slug}: the release notebook is current")
    else:
        click.echo(f"wrote {write_release_notebook(ex)}")


@main.command()
@click.argument("exercise")
@click.argument("source", type=click.Path(path_type=Path))
@click.option("--course", type=click.Path(path_type=Path), required=True, help="Course folder.")
def collect(exercise, source, course):
    """Take submissions (SOURCE: a folder of <candidate>.zip or <candidate>.ipynb) into COURSE."""
    from datalit.errors import InvalidArgument
    from datalit.exercise import load_exercise
    from datalit.grading.course import collect as run_collect

    ex = load_exercise(exercise)
    _released_course(ex, course)
    summary = run_collect(exercise=ex, course=course, source=source)
    click.echo(summary.describe())
    if summary.count == 0:
        found = len(summary.problems)
        raise InvalidArgument(
            f"nothing collected: {source} holds no item"
            if not found
            else f"nothing collected: none of the {found} item(s) in {source} is a submission "
            f"of {exercise} (the reasons are above)"
        )


@main.command()
@click.option("--course", type=click.Path(path_type=Path), required=True, help="Course folder.")
@click.option(
    "--exercise",
    "exercises",
    multiple=True,
    help="Only this exercise (repeatable; default: every exercise released in the course).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "json"]),
    default=None,
    help="csv (spreadsheet-safe) or json  [default: json if --out ends in .json, else csv]",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=None,
    help="The file to write (default: COURSE/exports/scores.csv or scores.json).",
)
def export(course, exercises, fmt, out):
    """Export everyone's scores as CSV or JSON: one row per released candidate and exercise.

    Each row: name, email, status, submission time and lateness, points per part and in total,
    the reviewer's comments, the grader version.

    Reads the course and never changes it (the gradebook is opened read-only); writes one file.
    Statuses: graded, manual pending, not submitted, not graded, or the grader's own failure
    status."""
    from datalit.grading.export import export as run_export

    if fmt is None:
        fmt = "json" if out is not None and out.suffix.lower() == ".json" else "csv"
    exported = run_export(course=course, exercises=exercises, fmt=fmt, out=out)
    click.echo(exported.describe())


@main.command()
@click.argument("exercise")
@click.option("--course", type=click.Path(path_type=Path), required=True, help="Course folder.")
@click.option("--candidate", "candidates", multiple=True, help="Grade only these (repeatable).")
@click.option(
    "--jobs",
    type=click.IntRange(1, 64),
    default=2,
    show_default=True,
    help="Submissions graded in parallel.",
)
@click.option(
    "--regrade", is_flag=True, help="Regrade everything (after an exercise or suite fix)."
)
@click.option(
    "--unsafe-no-sandbox",
    is_flag=True,
    help="Run candidate code without bubblewrap (local practice only; reports say so).",
)
def grade(exercise, course, candidates, jobs, regrade, unsafe_no_sandbox):
    """Grade EXERCISE's submissions in COURSE: sandbox, GX suite, answer key, gradebook, reports."""
    from datalit.exercise import load_exercise

    ex = load_exercise(exercise)
    mode = _released_course(ex, course)
    summary = grade_with_progress(ex, course, candidates, jobs, regrade, not unsafe_no_sandbox)
    print_grades(ex, course, summary, mode)


def grade_with_progress(ex, course, candidates, jobs, regrade, sandbox):
    """Run a batch with a progress bar (on a terminal)."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from datalit.grading.grader import grade_batch

    progress = Progress(
        TextColumn("grading"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.description}"),
        transient=True,
        console=Console(stderr=True),
    )
    with progress:
        task = progress.add_task("", total=None)

        def tick(name, result):
            progress.update(task, advance=1, description=str(name))

        return grade_batch(
            exercise=ex,
            course=course,
            candidates=candidates or None,
            jobs=jobs,
            regrade=regrade,
            sandbox=sandbox,
            on_result=tick,
        )


def print_grades(ex, course: Path, summary, mode: str) -> None:
    """The score table, where the reports are, and any warning."""
    from rich.console import Console
    from rich.table import Table

    console = Console(width=None if sys.stdout.isatty() else 140)
    table = Table(title=f"{ex.slug}: auto-graded points (max {ex.max_auto_points:g})")
    table.add_column("candidate")
    for part in ex.parts:
        table.add_column(part.id, justify="right")
    table.add_column("auto total", justify="right")
    table.add_column("status")
    for r in sorted(summary.graded, key=lambda r: r.candidate):
        cells = [
            "manual" if p.status == "needs_manual" else f"{p.points:g}/{p.max_points:g}"
            for p in r.score.parts
        ]
        table.add_row(r.candidate, *cells, f"{r.score.auto_points:g}", r.status)
    console.print(table)
    if summary.skipped:
        console.print(f"unchanged, not regraded: {', '.join(summary.skipped)} (use --regrade)")
    if getattr(summary, "elsewhere", ()):
        console.print(f"graded meanwhile by another grader run: {', '.join(summary.elsewhere)}")
    if getattr(summary, "again_alone", ()):
        console.print(
            "timed out while another submission was being graded, so graded again alone "
            f"(the second run is the one recorded): {', '.join(summary.again_alone)}"
        )
    if any(r.unsafe_no_sandbox for r in summary.graded):
        console.print("[bold red]warning:[/] graded WITHOUT the sandbox (--unsafe-no-sandbox)")
    held = Path(course) / "reports" / ex.slug / "held"
    if not summary.graded:
        pass  # nothing was written: no paths to point at
    elif mode == "assessment":
        console.print(
            f"candidate reports: held in {held}/ until `datalit release-feedback {ex.slug} "
            f"--course {course}` (assessment mode)"
        )
    else:
        console.print(f"candidate reports: {course}/feedback/<candidate>/{ex.slug}/report.html")
    if summary.graded:
        console.print(f"reviewer reports:  {course}/reports/{ex.slug}/")
    if summary.failed:
        console.print(f"[bold red]grader errors[/] for: {', '.join(summary.failed)}")
        sys.exit(1)


@main.command()
@click.option(
    "--course",
    type=click.Path(path_type=Path),
    default=None,
    help="Course folder to use (default: a new temporary folder).",
)
@click.option("--jobs", type=click.IntRange(1, 64), default=2, show_default=True)
@click.option("--unsafe-no-sandbox", is_flag=True, help="Run without bubblewrap (local practice).")
def demo(course, jobs, unsafe_no_sandbox):
    """The whole loop on `orders-cleanup`: release to three candidates, submit the reference
    solution, a naive attempt and the untouched release, grade them, show the table."""
    from datalit.grading.demo import run_demo

    def grade(ex, c):
        return grade_with_progress(ex, c, (), jobs, True, not unsafe_no_sandbox)

    ex, course, summary = run_demo(course=course, grade=grade)
    print_grades(ex, course, summary, _released_course(ex, course))


@main.command("check-exercise")
@click.argument("exercise")
@click.option("--seeds", type=click.IntRange(1, 500), default=3, show_default=True)
@click.option("--jobs", type=click.IntRange(1, 64), default=2, show_default=True)
@click.option(
    "--keep",
    type=click.Path(path_type=Path),
    default=None,
    help="Grade in this course folder and keep it (reports, autograded notebooks).",
)
@click.option("--unsafe-no-sandbox", is_flag=True, help="Run without bubblewrap (local practice).")
def check_exercise(exercise, seeds, jobs, keep, unsafe_no_sandbox):
    """Prove EXERCISE valid and fair: for SEEDS seeds, grade the reference solution, the untouched
    release, the naive and the careless attempts with the real grader, try a copied, a constant
    and a shifted submission, check that every planted anomaly is caught by a graded check, and
    print a table and a verdict (exit status 1 when it fails)."""
    from rich.console import Console
    from rich.table import Table

    from datalit.exercise import load_exercise
    from datalit.grading.check import ATTEMPTS, PROOFS
    from datalit.grading.check import check_exercise as run_check

    ex = load_exercise(exercise)
    console = Console(stderr=True)
    with console.status("checking") as status:
        report = run_check(
            ex,
            seeds=seeds,
            jobs=jobs,
            sandbox=not unsafe_no_sandbox,
            keep=keep,
            on_step=lambda text: status.update(f"{exercise}: {text}"),
        )
    out = Console(width=None if sys.stdout.isatty() else 120)
    table = Table(title=f"{ex.slug}: % of the auto-graded points (max {ex.max_auto_points:g})")
    shown = [a for a in (*ATTEMPTS, *PROOFS) if any(a in s.percent for s in report.seeds)]
    for col in ("seed", *shown):
        table.add_column(col, justify="right")
    for s in report.seeds:
        table.add_row(
            str(s.seed_number), *(f"{s.percent[a]:.1f}" if a in s.percent else "" for a in shown)
        )
    table.add_section()
    table.add_row("mean", *(f"{report.mean(a):.1f}" for a in shown))
    table.add_row("std", *(f"{report.std(a):.1f}" for a in shown))
    out.print(table)
    for line in report.proof_lines():
        out.print(f"  {line}", markup=False)
    for c in report.coverage:
        catchers = sorted(set().union(*c.caught_by)) if c.caught_by else []
        caught = ", ".join(catchers) if c.caught else "NOTHING on some seed"
        out.print(f"  {c.anomaly:<24} caught by {caught}")
    for failure in report.failures:
        out.print(f"FAIL {failure}", markup=False)
    verdict = "PASS" if report.passed else "FAIL"
    n = len(report.seeds)
    out.print(
        f"check-exercise {ex.slug}: {verdict} ({n} seed{'s' if n != 1 else ''})", markup=False
    )
    if not report.passed:
        sys.exit(1)


def _print_summary(g, out: Path) -> None:
    from rich.console import Console
    from rich.table import Table

    # Off a terminal (CI logs, pipes) rich would wrap at 80 columns and truncate names.
    console = Console(width=None if sys.stdout.isatty() else 120)
    table = Table(title=f"planted in recipe {g.recipe!r}, seed {g.seed}")
    for col in ("plant", "anomaly", "table", "column", "cells", "rows added", "rows removed"):
        table.add_column(col, justify="right" if col.startswith(("cells", "rows")) else "left")
    for i, plant in enumerate(g.plants, start=1):
        k = g.key[g.key["anomaly_id"] == f"p{i:02d}"]
        table.add_row(
            f"p{i:02d}",
            plant.anomaly,
            str(plant.args.get("table", "")),
            str(plant.args.get("column", plant.args.get("columns", ""))),
            str(int((k["change"] == "cell").sum())),
            str(int((k["change"] == "row_added").sum())),
            str(int((k["change"] == "row_removed").sum())),
        )
    console.print(table)
    sizes = ", ".join(f"{name} {len(df)}" for name, df in g.raw.items())
    console.print(f"raw tables: {sizes}")
    console.print(f"wrote {out}/data (candidate) and {out}/key (instructor): {len(g.key)} key rows")


if __name__ == "__main__":
    main()
