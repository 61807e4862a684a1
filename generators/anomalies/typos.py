"""Keyboard typos: one inserted, deleted, swapped or mistyped letter per value."""

from __future__ import annotations

from collections.abc import Sequence

from datalit.generators.anomalies.patch import pick_rows, replace_cells, row_positions
from datalit.generators.anomalies.registry import Planted, anomaly
from datalit.generators.anomalies.values import ascii_letter_counts, text_rows

# Keys touching each letter key on the standard US (ANSI) QWERTY layout: the keys either side
# in the same row, and the keys of the rows above and below that overlap it. Derived from the
# layout's rows (QWERTYUIOP / ASDFGHJKL / ZXCVBNM) and their stagger (the rows start 1.5, 1.75
# and 2.25 key widths from the left edge, behind Tab, Caps Lock and Shift); punctuation keys
# are left out so a typo never introduces a symbol.
QWERTY_NEIGHBOURS = {
    "a": "qwsz",
    "b": "ghvn",
    "c": "dfxv",
    "d": "ersfxc",
    "e": "wrsd",
    "f": "rtdgcv",
    "g": "tyfhvb",
    "h": "yugjbn",
    "i": "uojk",
    "j": "uihknm",
    "k": "iojlm",
    "l": "opk",
    "m": "jkn",
    "n": "hjbm",
    "o": "ipkl",
    "p": "ol",
    "q": "wa",
    "r": "etdf",
    "s": "weadzx",
    "t": "ryfg",
    "u": "yihj",
    "v": "fgcb",
    "w": "qeas",
    "x": "sdzc",
    "y": "tugh",
    "z": "asx",
}

INSERT, DELETE, SWAP, SUBSTITUTE = range(4)
_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


def _neighbour(letter: str, u: float) -> str:
    """A key next to `letter`, in the same case (the shift state does not change mid-word)."""
    keys = QWERTY_NEIGHBOURS[letter.lower()]
    key = keys[int(u * len(keys))]
    return key.upper() if letter.isupper() else key


def mistype(text: str, how: int, u: Sequence[float]) -> str:
    """`text` with one typo of kind `how`, placed and chosen by the uniform numbers `u` (3).

    Only ASCII letters are touched; `text` must hold at least two. A swap needs two different
    adjacent letters and falls back to a substitution without them, so the result always
    differs from `text` by one Damerau edit.
    """
    letters = [i for i, ch in enumerate(text) if ch in _LETTERS]
    if how == SWAP:
        pairs = [
            i
            for i in letters
            if i + 1 < len(text) and text[i + 1] in _LETTERS and text[i] != text[i + 1]
        ]
        if not pairs:
            how = SUBSTITUTE
        else:
            i = pairs[int(u[0] * len(pairs))]
            return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    i = letters[int(u[0] * len(letters))]
    if how == DELETE:
        return text[:i] + text[i + 1 :]
    typed = _neighbour(text[i], u[1])
    if how == INSERT:
        # A finger catches a neighbouring key just before or just after the intended one.
        return text[:i] + typed + text[i:] if u[2] < 0.5 else text[: i + 1] + typed + text[i + 1 :]
    return text[:i] + typed + text[i + 1 :]


@anomaly(
    "typos",
    examples=[
        ("orders", {"table": "customers", "column": "name"}),
        ("orders", {"table": "customers", "column": "city"}),
        ("orders", {"table": "products", "column": "name"}),
        ("orders", {"table": "customers", "column": "email"}),
    ],
)
def typos(tables, *, rng, table, column, fraction=0.02) -> Planted:
    """Keyboard typos in text: a letter inserted, deleted, swapped or hit as a QWERTY neighbour.

    One typo per changed value, on ASCII letters only, in values with at least two letters; the
    mistyped or inserted letter is a key next to the intended one on a US QWERTY keyboard.
    """
    df = tables[table]
    col = df[column]
    # Deleting from a one-letter value would leave no word; two letters keep every typo real.
    eligible = text_rows(col, lambda text: ascii_letter_counts(text) >= 2)
    rows = pick_rows(
        df,
        fraction,
        rng,
        table=table,
        eligible=eligible,
        what=f"with text of two or more letters in {column!r}",
    )
    how = rng.integers(0, 4, len(rows))
    u = rng.random((len(rows), 3))
    texts = col.iloc[row_positions(df, rows)].tolist()
    # As Python numbers: the same doubles, without a numpy scalar per use.
    values = [mistype(t, h, r) for t, h, r in zip(texts, how.tolist(), u.tolist(), strict=True)]
    out, key = replace_cells(df, table=table, column=column, rows=rows, values=values)
    return Planted({table: out}, key)
