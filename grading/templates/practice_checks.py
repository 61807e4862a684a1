"""Practice checks: run the public checks of this exercise on your outputs.

These are the same Great Expectations checks the grader runs (its public ones), on your table
typed exactly as the grader types it (table_typing.py is the grader's own module). Hidden checks
and the answer key are not here: passing every public check is not full marks.

Run it from the notebook (the last cell does) or as `python practice/checks.py` from the folder
holding your notebook. A check that keeps failing shows a more specific hint each run.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
STATE = HERE / ".hints-seen.json"


def _load_table(path: Path):
    import pandas as pd

    if path.suffix == ".parquet":
        frame = pd.read_parquet(path)
        return frame.astype("string").fillna("").astype(str)
    return pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False, encoding="utf-8")


def _validate(checks: dict, frame):
    os.environ["GX_ANALYTICS_ENABLED"] = "false"
    import great_expectations as gx

    context = gx.get_context(mode="ephemeral")
    batch = (
        context.data_sources.add_pandas(name="practice")
        .add_dataframe_asset(name="output")
        .add_batch_definition_whole_dataframe(name="whole")
        .get_batch(batch_parameters={"dataframe": frame})
    )
    suite = gx.ExpectationSuite(name=checks["name"], expectations=checks["expectations"])
    outcome = batch.validate(suite, expectation_parameters=checks["parameters"])
    return {str(r.expectation_config.id): r for r in outcome.results}


def run_checks(folder: str | os.PathLike = ".") -> bool:
    """Run the public checks on the table output in `folder`; True when all pass."""
    sys.path.insert(0, str(HERE))
    from table_typing import text_columns, typed_for_checks

    checks = json.loads((HERE / "public_checks.json").read_text(encoding="utf-8"))
    path = Path(folder) / checks["table_path"]
    if not path.is_file():
        print(f"{checks['table_path']} does not exist yet: write it, then run the checks again.")
        return False
    table = _load_table(path)
    frame = typed_for_checks(table, text_columns(checks, checks["parameters"]))
    results = _validate(checks, frame)
    seen = json.loads(STATE.read_text(encoding="utf-8")) if STATE.is_file() else {}
    passed = 0
    for entry in checks["expectations"]:
        meta = entry.get("meta") or {}
        result = results.get(entry["id"])
        ok = bool(result is not None and result.success)
        passed += ok
        if ok:
            print(f"PASS  {meta.get('feedback', entry['type'])}")
            continue
        print(f"FAIL  {meta.get('feedback', entry['type'])}")
        hints = meta.get("hints") or []
        runs = seen.get(entry["id"], 0)
        if hints:
            shown = min(runs, len(hints) - 1)
            print(f"      hint {shown + 1} of {len(hints)}: {hints[shown]}")
        seen[entry["id"]] = runs + 1
    STATE.write_text(json.dumps(seen), encoding="utf-8")
    total = len(checks["expectations"])
    print(f"{passed} of {total} public checks passed (hidden checks and other parts not shown).")
    return passed == total


if __name__ == "__main__":
    sys.exit(0 if run_checks() else 1)
