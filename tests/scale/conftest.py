"""Engines of the Ibis tests: DuckDB (fast) and a local Spark session (slow: a JVM)."""

from __future__ import annotations

from typing import Any

import pytest

from evaluation.scale import connect


@pytest.fixture(
    scope="module",
    params=["duckdb", pytest.param("pyspark", marks=pytest.mark.slow)],
)
def con(request: pytest.FixtureRequest) -> Any:
    """An Ibis connection to each tested engine."""
    return connect(request.param)
