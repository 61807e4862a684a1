"""Pattern violations: emails and phone numbers that break their column's format."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from datalit.errors import InvalidArgument
from datalit.generators.anomalies.patch import pick_rows, replace_cells
from datalit.generators.anomalies.registry import Planted, anomaly
from datalit.generators.text import is_text

# A well-formed address: a local part without spaces or "@", then a domain of dot-separated
# labels (the shape HTML's <input type=email> accepts, with at least one dot in the domain).
EMAIL = r"[^@\s]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+"
# A phone number: digits with the usual separators, an optional "+" and area-code parentheses;
# 7 to 15 digits (E.164 allows at most 15).
PHONE = r"\+?\(?[0-9][0-9 ().\-]*[0-9]"
PHONE_DIGITS = (7, 15)

EMAIL_VIOLATIONS = ("missing_at", "double_at", "space", "trailing_dot", "missing_domain")
PHONE_VIOLATIONS = ("too_few_digits", "too_many_digits", "letter", "wrong_separator")

# Letters a digit is mistaken for when numbers are retyped or scanned (O for 0, l for 1…).
LOOKALIKE = str.maketrans("0123456789", "OlZEASGTBg")


def break_email(text: str, how: str, u: float) -> str:
    """A well-formed email with one violation `how`; `u` in [0, 1) places the space."""
    local, domain = text.split("@")
    if how == "missing_at":
        return local + domain
    if how == "double_at":
        return f"{local}@@{domain}"
    if how == "space":
        i = 1 + int(u * (len(text) - 1))
        return text[:i] + " " + text[i:]
    if how == "trailing_dot":
        return text + "."
    return local + "@"


def break_phone(text: str, how: str, u: float) -> str:
    """A phone number with one violation `how`; `u` in [0, 1) picks the digit changed."""
    digits = [i for i, ch in enumerate(text) if ch.isdigit()]
    i = digits[int(u * len(digits))]
    if how == "too_few_digits":
        return text[:i] + text[i + 1 :]
    if how == "too_many_digits":
        return text[: i + 1] + text[i] + text[i + 1 :]
    if how == "letter":
        return text[:i] + text[i].translate(LOOKALIKE) + text[i + 1 :]
    # A separator some other system uses, which no well-formed number of the column has.
    return "".join("/" if ch in " -." else ch for ch in text)


def shape(text: str) -> str:
    return "".join("#" if ch.isdigit() else ch for ch in text)


def _kind(text: pd.Series, table: str, column: str) -> str:
    present = text.dropna()
    emails = int(present.str.fullmatch(EMAIL).sum())
    phones = int(present.str.fullmatch(PHONE).sum())
    if max(emails, phones) * 2 < len(present) or max(emails, phones) == 0:
        raise InvalidArgument(
            f"anomaly 'pattern_violations': argument 'column' must hold emails or phone numbers; "
            f"{table}.{column} has {emails} emails and {phones} phone numbers "
            f"in {len(present)} values"
        )
    return "email" if emails >= phones else "phone"


@anomaly(
    "pattern_violations",
    examples=[
        ("orders", {"table": "customers", "column": "email"}),
        ("orders", {"table": "customers", "column": "phone"}),
    ],
)
def pattern_violations(tables, *, rng, table, column, fraction=0.03) -> Planted:
    """Emails and phone numbers that break the column's format (no @, a letter in a number…).

    Emails: a missing or doubled @, a space, a trailing dot, or no domain. Phone numbers: a digit
    too few or too many, a digit typed as a look-alike letter, or wrong separators; never a shape
    (digits as #) the column's well-formed numbers have. The column's content decides which:
    most of its values must be well-formed emails or phone numbers. The key's detail names the
    violation.
    """
    df = tables[table]
    col = df[column]
    if not is_text(col):
        raise InvalidArgument(
            f"anomaly 'pattern_violations': argument 'column' must hold emails or phone numbers; "
            f"{table}.{column} holds {col.dtype} values"
        )
    text = col.astype("str")
    kind = _kind(text, table, column)
    if kind == "email":
        eligible = text.str.fullmatch(EMAIL)
    else:
        digits = text.str.count(r"[0-9]").fillna(0)
        eligible = text.str.fullmatch(PHONE) & digits.between(*PHONE_DIGITS)
    eligible = eligible.fillna(False).to_numpy(dtype=bool)
    rows = pick_rows(
        df,
        fraction,
        rng,
        table=table,
        eligible=eligible,
        what=f"with a well-formed {'email' if kind == 'email' else 'phone number'} in {column!r}",
    )
    texts = col.loc[rows].tolist()
    u = rng.random(len(rows))
    if kind == "email":
        hows = [EMAIL_VIOLATIONS[i] for i in rng.integers(0, len(EMAIL_VIOLATIONS), len(rows))]
        values = [break_email(t, h, x) for t, h, x in zip(texts, hows, u, strict=True)]
    else:
        # The column's own shapes (digits as #): a broken number must have none of them, so a
        # digit dropped from a long number cannot pass for a shorter number of the same column.
        shapes = set(text[eligible].str.replace(r"[0-9]", "#", regex=True).unique())
        # Violations are tried in a random order per value; "letter" always gives a new shape,
        # so every value changes.
        tries = rng.permuted(np.tile(np.arange(len(PHONE_VIOLATIONS)), (len(rows), 1)), axis=1)
        hows, values = [], []
        for t, order, x in zip(texts, tries, u, strict=True):
            for j in order:
                broken = break_phone(t, PHONE_VIOLATIONS[j], x)
                if shape(broken) not in shapes:
                    break
            hows.append(PHONE_VIOLATIONS[j])
            values.append(broken)
    detail = [json.dumps({"violation": h}) for h in hows]
    out, key = replace_cells(
        df, table=table, column=column, rows=rows, values=values, detail=detail
    )
    return Planted({table: out}, key)
