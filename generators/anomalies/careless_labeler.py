"""Careless labeler: one annotator whose labels are often flipped, so they contradict themselves."""

from __future__ import annotations

import numpy as np
import pandas as pd

from datalit.errors import InvalidArgument
from datalit.generators.anomalies.label_noise import flip_labels
from datalit.generators.anomalies.patch import pick_rows
from datalit.generators.anomalies.registry import Planted, anomaly
from datalit.generators.anomalies.values import text_rows

# A label column names one of a few classes (pass/fail, a verdict), like label_noise's.
MAX_LABELS = 20


@anomaly(
    "careless_labeler",
    examples=[
        ("eval_runs", {"table": "runs", "column": "human_label", "depends_on": "labeler"}),
    ],
)
def careless_labeler(tables, *, rng, table, column, depends_on, fraction=0.3) -> Planted:
    """One annotator labels carelessly: a share (`fraction`) of the labels in `column` given by
    one value of `depends_on` (a labeler, chosen at random) flipped to another class.

    Annotation work that was rushed or misunderstood: that labeler's verdicts on the same item
    disagree with each other and with everyone else, while the other labelers are untouched.
    The chosen labeler is the `depends_on` value of every key row.
    """
    df = tables[table]
    col = df[column]
    present = col.notna().to_numpy()
    codes, labels = pd.factorize(col[present])
    if not 2 <= len(labels) <= MAX_LABELS:
        raise InvalidArgument(
            f"anomaly 'careless_labeler': argument 'column' must be a label column of 2 to "
            f"{MAX_LABELS} different values; {table}.{column} holds {len(labels)}"
        )
    who = df[depends_on]
    named = np.asarray(text_rows(who), dtype=bool) & present
    if not named.any():
        raise InvalidArgument(
            f"anomaly 'careless_labeler': table {table!r} has no rows with both a label in "
            f"{column!r} and a labeler in {depends_on!r}"
        )
    # Every labeler who labelled something is equally likely to be the careless one.
    candidates = sorted(pd.unique(who[named].astype(str)))
    careless = candidates[int(rng.integers(0, len(candidates)))]
    eligible = named & (who.astype(str) == careless).to_numpy()
    rows = pick_rows(
        df,
        fraction,
        rng,
        table=table,
        eligible=eligible,
        what=f"labelled by {careless!r} in {column!r}",
    )
    out, key = flip_labels(
        df,
        table=table,
        column=column,
        rows=rows,
        present=present,
        codes=codes,
        labels=labels,
        rng=rng,
    )
    return Planted({table: out}, key)
