"""One seed -> one numpy Generator and one seeded Faker, passed explicitly; no global random state."""

from __future__ import annotations

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
    """The random sources of one generation run. Everything random takes one of these."""

    seed: int
    rng: np.random.Generator
    faker: Faker


def seeded(seed: int, *, locale: str = "en_US") -> Seeded:
    """Build the rng and a Faker instance seeded from `seed` (Faker's seed is per instance)."""
    from faker import Faker

    if not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed <= MAX_SEED:
        from datalit.errors import InvalidArgument

        raise InvalidArgument(f"seed must be an integer in [0, {MAX_SEED}], got {seed!r}")
    rng = np.random.default_rng(seed)
    fake = Faker(locale)
    # Seeding the instance (not Faker.seed) keeps Faker's shared random module untouched.
    fake.seed_instance(int(rng.integers(0, 2**32)))
    return Seeded(seed=seed, rng=rng, faker=fake)


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
