"""Fingerprint the grades of every exercise on fixed seeds, to prove a refactor keeps behaviour.

For each exercise, `check-exercise` grades the reference, untouched, naive and careless
attempts (and the copy/constant/shift proofs) on the first SEEDS of its fixed check seeds with
the real grader, in a fixed folder (so paths in messages match between runs). The digest covers
what grading decides: each ledger entry (part points, statuses, totals; without the time it was
recorded) and each reviewer view (every check's result and the observed values; without the run's
duration), plus check-exercise's percentages, anomaly coverage and verdict. Run it before and after a change; the digests must
be equal:

    .venv/bin/python scripts/grades_digest.py --seeds 1 > before.json
    ... change ...
    .venv/bin/python scripts/grades_digest.py --seeds 1 > after.json && diff before.json after.json
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
from pathlib import Path

VOLATILE = {"recorded_at", "duration_s"}


def _stable(value):
    """`value` without the keys that differ between two runs of the same grading."""
    if isinstance(value, dict):
        return {k: _stable(v) for k, v in sorted(value.items()) if k not in VOLATILE}
    if isinstance(value, list):
        return [_stable(v) for v in value]
    return value


def _digest(value) -> str:
    text = json.dumps(_stable(value), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def digest_exercise(slug: str, seeds: int, workdir: Path, jobs: int) -> dict:
    from datalit.exercise import load_exercise
    from datalit.grading.check import check_exercise

    exercise = load_exercise(slug)
    course = workdir / slug
    shutil.rmtree(course, ignore_errors=True)
    report = check_exercise(exercise, seeds=seeds, jobs=jobs, keep=course)
    ledgers, views = {}, {}
    for path in sorted((course / ".datalit").rglob("*.json")):
        if "results" in path.parts:
            ledgers[path.relative_to(course).as_posix()] = json.loads(path.read_text("utf-8"))
    for path in sorted((course / "reports" / slug).glob("*.json")):
        if not path.name.startswith("cohort"):
            views[path.name] = json.loads(path.read_text("utf-8"))
    percents = [{k: round(v, 6) for k, v in sorted(s.percent.items())} for s in report.seeds]
    # Which checks catch each planted anomaly, per seed (as sets: the order is not a result).
    coverage = {c.anomaly: [sorted(set(seed)) for seed in c.caught_by] for c in report.coverage}
    return {
        "exercise": slug,
        "entries": len(ledgers),
        "ledger": _digest(ledgers),
        "views": _digest(views),
        "percent": percents,
        "coverage": coverage,
        "verdict": list(report.failures),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/datalit-grades-digest"))
    parser.add_argument("exercises", nargs="*", help="default: every exercise")
    args = parser.parse_args()
    from datalit.exercise import list_exercises

    slugs = args.exercises or list(list_exercises())
    args.workdir.mkdir(parents=True, exist_ok=True)
    results = []
    for slug in slugs:
        print(f"grading {slug} ...", file=sys.stderr)
        results.append(digest_exercise(slug, args.seeds, args.workdir, args.jobs))
    print(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
