"""What the exercise's suite.json says of its checks: the anomaly each catches and the title a
reviewer reads it by; and the anomaly types the exercise plants."""

from __future__ import annotations

import functools
import json
from pathlib import Path

from datalit.exercise import Exercise


def _planted(exercise: Exercise) -> list[str]:
    plants = exercise.generate.plants or ()
    return list(dict.fromkeys(p.anomaly for p in plants))


@functools.lru_cache(maxsize=32)
def _suite_meta_cached(path: str, mtime_ns: int) -> dict[str, dict[str, str]]:
    """Per expectation id: the anomaly its meta tags and its title (meta.title, else one made
    from its type and column)."""
    try:
        suite = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"tags": {}, "titles": {}}
    tags, titles = {}, {}
    for e in suite.get("expectations", []) if isinstance(suite, dict) else []:
        if not isinstance(e, dict) or not e.get("id"):
            continue
        meta = e.get("meta") if isinstance(e.get("meta"), dict) else {}
        if isinstance(meta.get("anomaly"), str):
            tags[str(e["id"])] = meta["anomaly"]
        kwargs = e.get("kwargs") if isinstance(e.get("kwargs"), dict) else {}
        title = meta.get("title")
        titles[str(e["id"])] = (
            title if isinstance(title, str) and title else _type_title(e.get("type", ""), kwargs)
        )
    return {"tags": tags, "titles": titles}


def _suite_meta(exercise: Exercise) -> dict[str, dict[str, str]]:
    try:
        mtime = exercise.suite_path.stat().st_mtime_ns
    except OSError:
        return {"tags": {}, "titles": {}}
    return _suite_meta_cached(str(exercise.suite_path), mtime)


def _suite_anomaly_tags(exercise: Exercise) -> dict[str, str]:
    """Expectation id -> the anomaly class its suite.json meta says it catches."""
    return _suite_meta(exercise)["tags"]


def _suite_check_titles(exercise: Exercise) -> dict[str, str]:
    """Expectation id -> the title a reviewer reads it by."""
    return _suite_meta(exercise)["titles"]


def _type_title(type_: str, kwargs: dict | None) -> str:
    """A check's title from its GX type and column, for suites whose meta has no title:
    expect_column_values_to_be_unique on order_id -> "order_id: values are unique"."""
    words = str(type_).removeprefix("expect_").removeprefix("column_").replace("_", " ")
    words = words.replace(" to be ", " are ").replace(" to ", " ")
    column = (kwargs or {}).get("column")
    return f"{column}: {words}" if isinstance(column, str) else words
