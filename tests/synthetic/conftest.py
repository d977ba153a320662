"""Shared synthetic extracts (generated once per test session)."""

from __future__ import annotations

import pytest

from evaluation.synthetic import SyntheticRegisters, generate_registers

#: Default-size extract used by the contract and truth tests.
SMALL_PERSONS = 20_000
#: Larger extract for the estimator checks (about 1,700 participants; generates in ~2 s).
LARGE_PERSONS = 60_000


@pytest.fixture(scope="session")
def small_reg() -> SyntheticRegisters:
    return generate_registers(persons=SMALL_PERSONS, seed=11)


@pytest.fixture(scope="session")
def large_reg() -> SyntheticRegisters:
    return generate_registers(persons=LARGE_PERSONS, seed=7)
