"""Mojibake: UTF-8 text decoded as Windows-1252 ("Zoë" -> "ZoÃ«", "it’s" -> "itâ€™s")."""

from __future__ import annotations

from datalit.generators.anomalies.patch import pick_rows, replace_cells
from datalit.generators.anomalies.registry import Planted, anomaly
from datalit.generators.anomalies.values import text_rows

NBSP = "\u00a0"
RIGHT_QUOTE = "\u2019"


def _cp1252(byte: int) -> str:
    try:
        return bytes([byte]).decode("cp1252")
    except UnicodeDecodeError:
        return chr(byte)


# Windows-1252 as browsers decode it (the WHATWG Encoding Standard's "windows-1252", which is
# also what the labels "latin1" and "iso-8859-1" mean there): Latin-1, except that
# bytes 0x80-0x9F are typographic characters (€ ‚ … ’ “ ” – — ™ …) and the five bytes
# Windows-1252 leaves undefined (0x81 0x8D 0x8F 0x90 0x9D) pass through as control characters.
# Python's own cp1252 codec rejects those five, which would make names like "Ávila" ineligible.
_LATIN1_AS_CP1252 = str.maketrans({b: _cp1252(b) for b in range(0x80, 0xA0)})

# Non-ASCII text is damaged as it is; ASCII text is damaged through the typographic characters
# that word processors and web pages store in place of an apostrophe or a space.
_DAMAGEABLE = r"[^\x00-\x7f]|'|\S \S"


def misdecode(text: str) -> str:
    """`text` encoded as UTF-8 and decoded as Windows-1252."""
    return text.encode("utf-8").decode("latin-1").translate(_LATIN1_AS_CP1252)


def as_stored(text: str, u: float) -> str:
    """`text` as a word processor or web form would store it: apostrophes as ’ (autocorrect's
    smart quotes), otherwise one inner space (picked by `u` in [0, 1)) as a non-breaking space.
    Text that already holds non-ASCII characters is returned unchanged."""
    if not text.isascii():
        return text
    if "'" in text:
        return text.replace("'", RIGHT_QUOTE)
    spaces = [
        i
        for i in range(1, len(text) - 1)
        if text[i] == " " and text[i - 1] != " " and text[i + 1] != " "
    ]
    i = spaces[int(u * len(spaces))]
    return text[:i] + NBSP + text[i + 1 :]


@anomaly(
    "mojibake",
    examples=[
        ("orders", {"table": "customers", "column": "name"}),
        ("orders", {"table": "customers", "column": "street"}),
        ("orders", {"table": "products", "column": "name"}),
    ],
)
def mojibake(tables, *, rng, table, column, fraction=0.05) -> Planted:
    """Encoding damage: UTF-8 text read as Windows-1252 ("Zoë" -> "ZoÃ«", "it’s" -> "itâ€™s").

    Text with non-ASCII characters is damaged as it is. ASCII text is damaged as it would have
    been stored by a word processor or web form: apostrophes as curly ones (showing as "â€™"),
    otherwise one inner space as a non-breaking space (showing as "Â "); see `as_stored`.
    Eligible: text with a non-ASCII character, an apostrophe or a space between two words.
    """
    df = tables[table]
    col = df[column]
    eligible = text_rows(col, lambda text: text.str.contains(_DAMAGEABLE, regex=True))
    rows = pick_rows(
        df,
        fraction,
        rng,
        table=table,
        eligible=eligible,
        what=f"with non-ASCII characters, an apostrophe or an inner space in {column!r}",
    )
    u = rng.random(len(rows))
    values = [misdecode(as_stored(t, x)) for t, x in zip(col.loc[rows].tolist(), u, strict=True)]
    out, key = replace_cells(df, table=table, column=column, rows=rows, values=values)
    return Planted({table: out}, key)
