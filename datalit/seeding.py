"""One seed -> one numpy Generator and one seeded Faker, passed explicitly; no global random state."""

from __future__ import annotations

import functools
import hashlib
import hmac
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from faker import Faker

MAX_SEED = 2**63 - 1


@dataclass(frozen=True)
class Seeded:
    """The random sources of one generation run. Everything random takes one of these.

    The Faker instance is built on first use (building one scans Faker's provider packages,
    ~17 ms, and several recipes only read Faker's lists, see `pools.py`); its seed is drawn
    from `rng` when the sources are made, so the rng's stream does not depend on whether Faker
    is ever used.
    """

    seed: int
    rng: np.random.Generator
    faker_seed: int
    locale: str = "en_US"

    @functools.cached_property
    def faker(self) -> Faker:
        """A Faker instance seeded with `faker_seed` (the same values on every access)."""
        from faker import Faker

        fake = Faker(self.locale)
        # Seeding the instance (not Faker.seed) keeps Faker's shared random module untouched.
        fake.seed_instance(self.faker_seed)
        return fake


def seeded(seed: int, *, locale: str = "en_US") -> Seeded:
    """Build the rng and a Faker instance seeded from `seed` (Faker's seed is per instance)."""
    if not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed <= MAX_SEED:
        from datalit.errors import InvalidArgument

        raise InvalidArgument(f"seed must be an integer in [0, {MAX_SEED}], got {seed!r}")
    rng = np.random.default_rng(seed)
    return Seeded(seed=seed, rng=rng, faker_seed=int(rng.integers(0, 2**32)), locale=locale)


def candidate_seed(exercise: str, candidate_id: str, secret: str | bytes) -> int:
    """Derive a candidate's seed with HMAC-SHA256 so nobody without the cohort secret can
    regenerate another candidate's data (or predict their own from their id)."""
    key = secret.encode() if isinstance(secret, str) else secret
    if not key:
        from datalit.errors import InvalidArgument

        raise InvalidArgument("the cohort secret is empty; set one (e.g. 32 random hex characters)")
    msg = f"{exercise}\x00{candidate_id}".encode()
    digest = hmac.new(key, msg, hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big") & MAX_SEED
