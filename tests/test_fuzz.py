"""A short, seeded run of tests/fuzz.py: mutated fixtures never crash the engine or break a fix."""
from __future__ import annotations

import fuzz


def test_mutated_fixtures() -> None:
    programs, problems = fuzz.run(seconds=60, seed=20261123, limit=400)
    assert programs >= 100, "the fuzzer must really run programs"
    assert problems == [], problems[0]
