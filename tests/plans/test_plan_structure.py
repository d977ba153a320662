"""The plans package split by concern: short functions, no import cycle, a complete backend
protocol (checked on the source with ``ast``; no plan is run here)."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest

from evaluation.plans import backends, ibis_backend, local
from evaluation.plans.runner import DESIGN_RUNNERS

PLANS = Path(backends.__file__).parent
#: Longest function allowed in evaluation/plans (issue 18: "no function over ~80 lines").
MAX_FUNCTION_LINES = 80


def _modules() -> dict[str, ast.Module]:
    return {p.stem: ast.parse(p.read_text(encoding="utf-8")) for p in PLANS.glob("*.py")}


def test_no_function_in_plans_is_longer_than_80_lines() -> None:
    long = [
        f"{name}.{node.name}: {node.end_lineno - node.lineno + 1} lines"
        for name, tree in _modules().items()
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno is not None
        and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES
    ]
    assert long == []


def _plan_imports(tree: ast.Module) -> set[str]:
    """Modules of evaluation.plans imported anywhere in ``tree`` (also inside functions)."""
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module.startswith("evaluation.plans."):
                out.add(node.module.removeprefix("evaluation.plans."))
            elif node.module == "evaluation.plans":
                out.update(a.name for a in node.names)
    return out


def test_plans_modules_import_no_cycle() -> None:
    graph = {name: _plan_imports(tree) & set(_modules()) for name, tree in _modules().items()}
    graph.pop("__init__")
    done: set[str] = set()

    def visit(name: str, path: tuple[str, ...]) -> None:
        assert name not in path, f"import cycle: {' -> '.join((*path, name))}"
        if name in done:
            return
        for dep in graph.get(name, set()):
            visit(dep, (*path, name))
        done.add(name)

    for name in graph:
        visit(name, ())
    assert "runner" not in graph["ibis_backend"]


def test_runner_finds_no_backend_member_by_getattr() -> None:
    for name in ("runner", "did", "matching", "matched_did", "outputs"):
        source = (PLANS / f"{name}.py").read_text(encoding="utf-8")
        assert "getattr(" not in source, name


@pytest.mark.parametrize("cls", [local.LocalBackend, ibis_backend.IbisBackend])
def test_backends_offer_every_protocol_member(cls: type) -> None:
    members = {"load", "panel", "did_fit"}
    declared = {n for n, _ in inspect.getmembers(backends.Backend) if n in members}
    assert declared == members
    for name in members:
        got = inspect.signature(getattr(cls, name)).parameters
        want = inspect.signature(getattr(backends.Backend, name)).parameters
        assert list(got) == list(want), (cls.__name__, name)
    assert {"local", "ibis", "spark"} <= set(backends.BACKENDS)


def test_one_design_module_per_design_kind() -> None:
    from typing import get_args

    from evaluation.plans.model import Design

    assert set(DESIGN_RUNNERS) == set(get_args(Design))
    modules = {fn.__module__ for fn in DESIGN_RUNNERS.values()}
    assert modules == {
        "evaluation.plans.did",
        "evaluation.plans.matching",
        "evaluation.plans.matched_did",
    }
