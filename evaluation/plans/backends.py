"""Where the data steps of a plan run execute: the :class:`Backend` protocol and registry.

``"local"`` (:class:`~evaluation.plans.local.LocalBackend`: pandas and in-process
DuckDB, the fastest on one machine), ``"ibis"`` and ``"spark"``
(:class:`~evaluation.plans.ibis_backend.IbisBackend`: the panel and the staggered DiD's
cell sums as Ibis expressions on DuckDB or a local Spark session; needs
``pilot-evaluation[spark]`` and Java 17 for Spark). Every backend offers the same four
members, so the runner calls them directly. To add one, implement :class:`Backend` and
add a factory to :data:`BACKENDS`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from evaluation.errors import OptionError
from evaluation.estimators.did.results import AttGtResult
from evaluation.plans.inputs import Inputs
from evaluation.plans.local import LocalBackend
from evaluation.plans.model import Plan
from evaluation.plans.records import DidRequest
from evaluation.registers import PersonMonthPanel
from evaluation.scale.engines import Engine

__all__ = ["BACKENDS", "Backend", "check_backend", "make_backend"]


class Backend(Protocol):
    """Where the data steps run. Implement it and add a factory to :data:`BACKENDS`."""

    name: str

    def load(self, plan: Plan, plan_dir: Path) -> Inputs:
        """Read (or generate) the inputs named by the plan."""
        ...

    def panel(self, inputs: Inputs) -> PersonMonthPanel:
        """Build the person-month panel of the plan's window (in-process DuckDB)."""
        ...

    def did_fit(self, panel: PersonMonthPanel, request: DidRequest) -> AttGtResult:
        """The no-covariate staggered DiD of ``request`` (warnings are the caller's)."""
        ...


def _ibis_backend(engine: Engine) -> Callable[[], Backend]:
    def make() -> Backend:
        from evaluation.plans.ibis_backend import IbisBackend  # imports Ibis: on demand

        return IbisBackend(engine)

    return make


#: Available backends by name (factories: a backend connects to its engine when made).
BACKENDS: dict[str, Callable[[], Backend]] = {
    "local": LocalBackend,
    "ibis": _ibis_backend("duckdb"),
    "spark": _ibis_backend("pyspark"),
}


def check_backend(name: str, *, where: str) -> None:
    """Refuse a backend name not in :data:`BACKENDS`.

    Raises
    ------
    OptionError
        No backend of that name.
    """
    if name not in BACKENDS:
        raise OptionError(
            f"unknown backend {name!r}", where=where, fix=f"use {', '.join(BACKENDS)}"
        )


def make_backend(name: str, *, where: str) -> Backend:
    """The backend ``name`` of :data:`BACKENDS`, connected to its engine.

    Raises
    ------
    OptionError
        No backend of that name.
    """
    check_backend(name, where=where)
    return BACKENDS[name]()
