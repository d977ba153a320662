"""Read a plan file: YAML -> :class:`Plan`, with every mistake located by its YAML path.

Pydantic's error locations are mapped back to the YAML nodes (line numbers from the
parser's marks); unknown keys get the closest allowed key as the fix; checks that need the
data catalogue (known pilots) are added. All problems are raised together as one
:class:`~evaluation.errors.PlanError`.
"""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from evaluation.errors import PlanError, Problem
from evaluation.plans.model import Plan
from evaluation.synthetic import PILOT_NAMES

Loc = tuple[int | str, ...]


def _path_text(loc: Loc) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _node_at(root: yaml.Node | None, loc: Loc) -> tuple[yaml.Node | None, yaml.Node | None]:
    """The value node at ``loc`` (or the deepest existing one) and the key node of its
    last mapping step."""
    node, key_node = root, None
    for part in loc:
        if isinstance(node, yaml.MappingNode) and isinstance(part, str):
            hit = next(((k, v) for k, v in node.value if k.value == part), None)
            if hit is None:
                return node, key_node
            key_node, node = hit
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                return node, key_node
            node, key_node = node.value[part], None
        else:
            return node, key_node
    return node, key_node


def _model_at(loc: Loc) -> type[BaseModel] | None:
    """The plan model class whose field list applies at ``loc``."""
    current: Any = Plan
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
        field = current.model_fields.get(part)
        if field is None:
            return None
        current = _inner_model(field.annotation)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _inner_model(annotation: Any) -> Any:
    """The BaseModel inside ``X | None`` or ``list[X]`` (else the annotation)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType, list):
        for arg in typing.get_args(annotation):
            inner = _inner_model(arg)
            if isinstance(inner, type) and issubclass(inner, BaseModel):
                return inner
    return annotation


def _line(node: yaml.Node | None) -> str:
    return f" (line {node.start_mark.line + 1})" if node is not None else ""


def _problem(source: str, err: ErrorDetails, root: yaml.Node | None) -> Problem:
    loc: Loc = tuple(err["loc"])
    kind = err["type"]
    msg = err["msg"].removeprefix("Value error, ")
    if kind == "extra_forbidden":
        _, key_node = _node_at(root, loc)
        model = _model_at(loc[:-1])
        allowed = sorted(model.model_fields) if model is not None else []
        close = difflib.get_close_matches(str(loc[-1]), allowed, n=1, cutoff=0.5)
        fix = f"did you mean {close[0]!r}?" if close else "remove it"
        fix += f" Allowed keys here: {', '.join(allowed)}" if allowed else ""
        where = f"{source}{_line(key_node)}, key {_path_text(loc)}"
        return Problem(where, f"unknown key {str(loc[-1])!r}", fix)
    if kind == "missing":
        parent, _ = _node_at(root, loc[:-1])
        where = f"{source}{_line(parent)}, {_path_text(loc)}"
        return Problem(where, f"required key {str(loc[-1])!r} is missing", "add it")
    node, key_node = _node_at(root, loc)
    where = f"{source}{_line(key_node or node)}, {_path_text(loc)}"
    value = err.get("input")
    shown = f" (got {value!r})" if not isinstance(value, dict | list) else ""
    fix = "correct the value as the message says; see designs/plan.schema.json"
    if kind == "literal_error":
        fix = f"use {msg.removeprefix('Input should be ')}"
    return Problem(where, f"{msg}{shown}", fix)


def _catalogue_problems(source: str, plan: Plan, root: yaml.Node | None) -> list[Problem]:
    """Checks against the data catalogue that the schema alone cannot express."""
    problems = []
    if plan.data.synthetic is not None:
        for i, name in enumerate(plan.pilots):
            if name not in PILOT_NAMES:
                node, _ = _node_at(root, ("pilots", i))
                close = difflib.get_close_matches(name, PILOT_NAMES, n=1, cutoff=0.5)
                fix = f"did you mean {close[0]!r}?" if close else ""
                problems.append(
                    Problem(
                        f"{source}{_line(node)}, pilots[{i}]",
                        f"unknown pilot {name!r}",
                        f"{fix} Pilots of the synthetic data: {', '.join(PILOT_NAMES)}".strip(),
                    )
                )
    design = plan.design.kind
    if design == "staggered_did" and "rosenbaum_bounds" in plan.sensitivity:
        i = plan.sensitivity.index("rosenbaum_bounds")
        node, _ = _node_at(root, ("sensitivity", i))
        problems.append(
            Problem(
                f"{source}{_line(node)}, sensitivity[{i}]",
                "rosenbaum_bounds needs a matching design",
                "remove it or use design.kind matching or matched_did",
            )
        )
    if design != "staggered_did" and "honest_did" in plan.sensitivity:
        i = plan.sensitivity.index("honest_did")
        node, _ = _node_at(root, ("sensitivity", i))
        problems.append(
            Problem(
                f"{source}{_line(node)}, sensitivity[{i}]",
                "honest_did (sensitivity to parallel trends) needs design.kind staggered_did",
                "remove it or use design.kind staggered_did",
            )
        )
    if design != "staggered_did" and not plan.covariates:
        node, _ = _node_at(root, ("design",))
        problems.append(
            Problem(
                f"{source}{_line(node)}, covariates",
                f"design {design!r} needs covariates to match on",
                "list them under 'covariates', e.g. [age, female, pre_employed]",
            )
        )
    return problems


def parse_plan(text: str, *, source: str = "plan") -> Plan:
    """Parse and validate plan YAML text; raise :class:`PlanError` listing every mistake."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source} (line {mark.line + 1})" if mark is not None else source
        problem = getattr(exc, "problem", None) or str(exc)
        raise PlanError(
            source, [Problem(where, f"not valid YAML: {problem}", "fix the YAML syntax")]
        ) from None
    if not isinstance(raw, dict):
        raise PlanError(
            source,
            [
                Problem(
                    source,
                    "the plan is not a mapping of keys (study, data, pilots, ...)",
                    "start from one of the plans in designs/",
                )
            ],
        )
    try:
        plan = Plan.model_validate(raw)
    except ValidationError as exc:
        raise PlanError(source, [_problem(source, e, root) for e in exc.errors()]) from None
    problems = _catalogue_problems(source, plan, root)
    if problems:
        raise PlanError(source, problems)
    return plan


def load_plan(path: str | Path) -> Plan:
    """Read and validate the plan file at ``path``.

    Raises
    ------
    PlanError
        One :class:`~evaluation.errors.Problem` per mistake, each with the YAML path, the
        line and a fix (the closest key for unknown keys).
    """
    p = Path(path)
    if not p.is_file():
        raise PlanError(
            str(p), [Problem(str(p), "plan file not found", "check the path (designs/*.yaml)")]
        )
    return parse_plan(p.read_text(encoding="utf-8"), source=p.name)


def problems_of(text: str) -> Sequence[Problem]:
    """The problems of plan text (empty when valid); convenient for tests and editors."""
    try:
        parse_plan(text)
    except PlanError as exc:
        return exc.problems
    return ()
