"""Small pools of realistic values built once per seed, and vectorized sampling from them.

Faker is called only to fill pools (a few hundred calls); numpy draws row codes and Arrow
`take` turns codes into strings, so a million rows cost milliseconds, not Faker calls.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from faker import Faker


def unique_pool(make, size: int, *, attempts: int = 20) -> list[str]:
    """Up to `size` distinct values from `make()` (a seeded Faker method), in first-seen order."""
    seen: dict[str, None] = {}
    for _ in range(size * attempts):
        seen.setdefault(make(), None)
        if len(seen) == size:
            break
    return list(seen)


def name_pools(
    locale: str | Faker, rng: np.random.Generator, size: int = 300
) -> tuple[list[str], list[str]]:
    """`size` first and last names drawn from the Faker locale's name lists (which cite their
    census sources), by frequency where Faker gives weights. Reading the lists is far cheaper
    than calling `fake.first_name()` hundreds of times, and the draw stays on our seeded rng."""
    if not isinstance(locale, str):
        locale = locale.locales[0]  # a Faker instance: its (first) locale
    person = importlib.import_module(f"faker.providers.person.{locale}").Provider

    def draw(names_or_weights) -> list[str]:
        names = list(names_or_weights)
        if isinstance(names_or_weights, Mapping):
            p = np.fromiter(names_or_weights.values(), dtype=float, count=len(names))
        else:
            p = np.ones(len(names))
        # Faker's lists can repeat a name (e.g. male and female lists merged): draw distinct ones,
        # in first-seen order, each weighing the sum of its entries (added in list order).
        codes, distinct = pd.factorize(np.array(names, dtype=object))
        p = np.bincount(codes, weights=p, minlength=len(distinct))
        names = distinct.tolist()
        picked = rng.choice(len(names), size=min(size, len(names)), replace=False, p=p / p.sum())
        return [names[i] for i in picked]

    return draw(person.first_names), draw(person.last_names)


def weighted_codes(
    weights: np.ndarray, n: int, rng: np.random.Generator, *, dtype=np.int32
) -> np.ndarray:
    """n draws of indices 0..len(weights)-1 with probability ∝ weights, as `dtype`.

    A lookup table (2**16 slots for a few categories, 2**20 for many) indexed by one random
    integer per row: much faster than `rng.choice(p=...)` for millions of draws. Probabilities are
    quantized to 1/slots; every category with a weight keeps at least one slot. A small `dtype`
    (int8 for a status) makes the million-row result that much smaller to allocate."""
    return weighted_codes_later(weights, n, rng, dtype=dtype)()


def weighted_codes_later(
    weights: np.ndarray, n: int, rng: np.random.Generator, *, dtype=np.int32
) -> Callable[[], np.ndarray]:
    """`weighted_codes` in two halves: the random integers are drawn now (in the rng's order);
    the returned function builds the lookup table and reads it, using no randomness, so it may
    run on a worker thread (`parallel.in_background`). Same result as `weighted_codes`."""
    weights = np.asarray(weights, dtype=float)
    slots = 1 << 16 if len(weights) <= 256 else 1 << 20
    draw_type = np.uint16 if slots == 1 << 16 else np.uint32
    drawn = rng.integers(0, slots, n, dtype=draw_type)

    def codes() -> np.ndarray:
        share = weights / weights.sum() * slots
        counts = np.maximum(np.floor(share).astype(np.int64), (weights > 0).astype(np.int64))
        # Hand the slots lost to rounding to the categories with the largest remainders (or
        # take the excess from the largest categories), deterministically. argpartition finds
        # them without sorting 100 000 customers.
        short = int(slots - counts.sum())
        if short > 0:
            counts[np.argpartition(np.floor(share) - share, short - 1)[:short]] += 1
        elif short < 0:
            counts[np.argpartition(-counts, -short - 1)[:-short]] -= 1
        lut = np.repeat(np.arange(len(weights), dtype=dtype), counts)
        # np.take reads small-integer codes faster than fancy indexing does.
        return np.take(lut, drawn)

    return codes


def text_array(values: Sequence[str] | pa.Array) -> pa.Array:
    arr = values if isinstance(values, pa.Array) else pa.array(list(values), type=pa.large_string())
    return arr.cast(pa.large_string())


def take(values: Sequence[str] | pa.Array, codes: np.ndarray) -> pa.Array:
    """values[codes] as an Arrow string array."""
    return text_array(values).take(pa.array(codes))


def join(*parts: pa.Array | str) -> pa.Array:
    """Element-wise string concatenation of Arrow arrays and literal strings."""
    typed = [pa.scalar(p, pa.large_string()) if isinstance(p, str) else p for p in parts]
    return pc.binary_join_element_wise(*typed, pa.scalar("", pa.large_string()))


def series(arr: pa.Array) -> pd.Series:
    """An Arrow string array as a pandas `str` column (no copy)."""
    return pd.Series(pd.array(arr, dtype="str"))


def categorical(
    codes: np.ndarray, categories: Sequence[str] | pd.Index | pd.Series | pd.CategoricalDtype
) -> pd.Series:
    """A text column stored as `codes` into the distinct strings `categories` (-1 = missing),
    given as such or as a CategoricalDtype (checking 100 000 categories are distinct takes
    a few milliseconds: a dtype built once can serve several columns).

    For columns of few distinct values (a status, a currency, a city) and for foreign keys (codes
    into the parent's ids): building or copying the column moves one small integer per row
    instead of a string, which matters at a million rows. The column reads exactly like the
    strings (`text.to_text` decodes it), and the anomalies treat it as text. Give `codes` the
    smallest integer type that holds len(categories) (int8 up to 127), or pandas converts them.
    """
    if isinstance(categories, pd.CategoricalDtype):
        dtype = categories
    else:
        dtype = pd.CategoricalDtype(pd.Index(categories, dtype="str"))
    return pd.Series(pd.Categorical.from_codes(codes, dtype=dtype), copy=False)


def distinct_dtype(categories: pd.Index) -> pd.CategoricalDtype:
    """A CategoricalDtype over `categories`, which the caller guarantees are distinct strings
    with none missing (ids made from distinct numbers; a parent's categories and new strings
    not among them). It skips pandas' check, a hash of every category: some 7 ms for 100 000
    ids. (`_from_fastpath` is how pandas itself builds a dtype from known-good categories.)"""
    fastpath = getattr(pd.CategoricalDtype, "_from_fastpath", None)
    if fastpath is None:  # a pandas without it: the checked constructor
        return pd.CategoricalDtype(categories)
    return fastpath(categories, False)


def fill_digits(template: str, rng: np.random.Generator, n: int) -> pa.Array:
    """n strings from `template`: each '#' becomes a random digit, each '%' a digit 2-9.

    Built as one fixed-width byte buffer, so no per-row formatting.
    """
    raw = np.frombuffer(template.encode("ascii"), dtype=np.uint8)
    slots = np.flatnonzero(raw == ord("#"))
    buf = np.tile(raw, (n, 1))
    buf[:, slots] = rng.integers(ord("0"), ord("9") + 1, size=(n, len(slots)), dtype=np.uint8)
    high = np.flatnonzero(raw == ord("%"))
    buf[:, high] = rng.integers(ord("2"), ord("9") + 1, size=(n, len(high)), dtype=np.uint8)
    return fixed_width(buf)


def fixed_width(buf: np.ndarray) -> pa.Array:
    """An (n, width) uint8 array of ASCII as an Arrow string array, without Python strings."""
    n, width = buf.shape
    offsets = np.arange(0, (n + 1) * width, width, dtype=np.int64)
    return pa.LargeStringArray.from_buffers(
        n, pa.py_buffer(offsets), pa.py_buffer(np.ascontiguousarray(buf))
    )


# "000".."999" as bytes: ids are assembled from 3-digit chunks with one gather per chunk.
_THREE_DIGITS = np.frombuffer("".join(f"{i:03d}" for i in range(1000)).encode(), np.uint8).reshape(
    1000, 3
)


def zero_padded(numbers: np.ndarray, width: int, prefix: str = "") -> pa.Array:
    """Integers as fixed-width zero-padded strings with a prefix (ids like C000123)."""
    return fixed_width(zero_padded_bytes(numbers, width, prefix))


def zero_padded_bytes(numbers: np.ndarray, width: int, prefix: str = "") -> np.ndarray:
    """`zero_padded` as an (n, len(prefix) + width) uint8 array: gathering rows of it (a foreign
    key column drawn from a parent's ids) is cheaper than formatting the ids again."""
    numbers = np.asarray(numbers, dtype=np.int64)
    chunks = -(-width // 3)
    head = np.frombuffer(prefix.encode("ascii"), dtype=np.uint8)
    buf = np.empty((len(numbers), len(head) + chunks * 3), dtype=np.uint8)
    buf[:, : len(head)] = head
    rest = numbers
    for c in range(chunks - 1, -1, -1):
        start = len(head) + 3 * c
        rest, low = np.divmod(rest, 1000)
        # take(axis=0) copies whole 3-byte rows; fancy indexing goes element by element.
        buf[:, start : start + 3] = _THREE_DIGITS.take(low, axis=0)
    # Drop the padding digits beyond `width` (the chunks cover a multiple of 3 digits).
    extra = chunks * 3 - width
    if extra:
        buf = np.delete(buf, np.s_[len(head) : len(head) + extra], axis=1)
    return buf


def positions(values: pd.Series, keys: pd.Series) -> np.ndarray:
    """For each value, the position of the equal key (-1 where none): Arrow's hash lookup, much
    faster than Series.map or Index.get_indexer on millions of strings."""
    found = pc.index_in(pa.array(values), value_set=pa.array(keys))
    return found.fill_null(-1).to_numpy(zero_copy_only=False)
