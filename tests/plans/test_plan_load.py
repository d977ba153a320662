"""Plan files: schema, validation messages located by YAML path and line, CLI check."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from evaluation.errors import PlanError
from evaluation.plans.commands import plan_app
from evaluation.plans.load import load_plan, parse_plan
from evaluation.plans.model import plan_schema, schema_text

ROOT = Path(__file__).resolve().parents[2]
DESIGNS = ROOT / "designs"
PLANS = sorted(DESIGNS.glob("*.yaml"))

VALID = """\
version: 1
study:
  id: test-plan
  title: Test plan
data:
  synthetic: {persons: 20000, seed: 1}
pilots: [Sataosaa]
outcomes: [employed]
design:
  kind: staggered_did
"""


def _problems(text: str) -> list[str]:
    with pytest.raises(PlanError) as info:
        parse_plan(text, source="plan.yaml")
    return [str(p) for p in info.value.problems]


def test_published_schema_equals_generated() -> None:
    assert (DESIGNS / "plan.schema.json").read_text(encoding="utf-8") == schema_text()
    schema = plan_schema()
    assert schema["additionalProperties"] is False
    assert {"version", "study", "data", "pilots", "outcomes", "design"} <= set(schema["required"])


def test_six_shipped_plans_one_per_pilot() -> None:
    from evaluation.plans import DESIGNS_DIR
    from evaluation.synthetic import PILOT_NAMES

    assert DESIGNS_DIR == DESIGNS
    assert len(PLANS) == 6
    assert all(p.name.isascii() for p in PLANS)
    plans = [load_plan(p) for p in PLANS]
    assert sorted(q for p in plans for q in p.pilots) == sorted(PILOT_NAMES)
    assert {p.design.kind for p in plans} == {"staggered_did", "matched_did"}


def test_valid_minimal_plan_has_defaults() -> None:
    plan = parse_plan(VALID)
    assert plan.design.control_group == "nevertreated"
    assert plan.follow_up.event_window == [-12, 18]


# (name, edit of VALID, expected fragments of one problem: YAML path and a message / fix)
MISTAKES = [
    (
        "unknown top-level key with suggestion",
        VALID.replace("outcomes:", "outcome:"),
        ["line 8", "key outcome", "did you mean 'outcomes'"],
    ),
    (
        "unknown nested key with suggestion",
        VALID.replace("kind: staggered_did", "kind: staggered_did\n  contol_group: nevertreated"),
        ["line 11", "key design.contol_group", "did you mean 'control_group'"],
    ),
    ("missing required key", VALID.replace("pilots: [Sataosaa]\n", ""), ["pilots", "missing"]),
    (
        "value outside the allowed set",
        VALID.replace("staggered_did", "synthetic_control"),
        ["line 10", "design.kind", "'staggered_did', 'matching' or 'matched_did'"],
    ),
    (
        "unknown outcome from the register catalogue",
        VALID.replace("[employed]", "[employd]"),
        ["line 8", "outcomes", "did you mean 'employed'"],
    ),
    (
        "unknown pilot",
        VALID.replace("[Sataosaa]", "[Satasaa]"),
        ["line 7", "pilots[0]", "did you mean 'Sataosaa'"],
    ),
    (
        "wrong type (strict: no coercion)",
        VALID.replace("persons: 20000", "persons: '20000'"),
        ["line 6", "data.synthetic.persons", "valid integer"],
    ),
    (
        "malformed event window",
        VALID + "follow_up:\n  event_window: [3, 18]\n",
        ["line 12", "follow_up.event_window", "first < 0 <= last"],
    ),
    (
        "two data sources",
        VALID.replace(
            "data:\n",
            "data:\n  files: {spells: s.csv, participants: p.csv, persons: q.csv}\n",
        ),
        ["line 5", "data", "exactly one data source"],
    ),
    (
        "bad month in the window",
        VALID.replace("data:\n", "data:\n  window: {start: 2014-13, end: 2018-12}\n"),
        ["data.window.start", "pattern"],
    ),
    (
        "matching without covariates",
        VALID.replace("staggered_did", "matching"),
        ["covariates", "needs covariates"],
    ),
    (
        "unknown matching covariate",
        VALID + "covariates: [agee]\n",
        ["line 11", "covariates", "did you mean 'age'"],
    ),
    (
        "unknown subgroup covariate",
        VALID + "subgroups:\n  - {name: women, covariate: femal}\n",
        ["line 12", "subgroups[0].covariate", "did you mean 'female'"],
    ),
    ("not YAML", VALID + "pilots: [unclosed\n", ["line", "not valid YAML"]),
    ("not a mapping", "- just\n- a list\n", ["not a mapping"]),
]


@pytest.mark.parametrize(("name", "text", "fragments"), MISTAKES, ids=[m[0] for m in MISTAKES])
def test_each_mistake_is_located_with_a_fix(name: str, text: str, fragments: list[str]) -> None:
    problems = _problems(text)
    hits = [p for p in problems if all(f in p for f in fragments)]
    assert hits, f"{name}: no problem with {fragments} in {problems}"
    assert all(p.startswith("plan.yaml") and "Fix:" in p for p in problems)


def test_all_problems_reported_at_once() -> None:
    text = VALID.replace("outcomes:", "outcome:").replace("staggered_did", "did")
    problems = _problems(text)
    assert len(problems) == 3  # unknown 'outcome', missing 'outcomes', bad design.kind


def test_renamed_top_level_keys_rejected_by_cli(tmp_path: Path) -> None:
    # The acceptance script's mutation: every top-level key gets the suffix _typo.
    text = re.sub(r"(?m)^([a-z_]*):", r"\1_typo:", PLANS[0].read_text(encoding="utf-8"))
    bad = tmp_path / "typo.yaml"
    bad.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(plan_app, ["check", str(bad)])
    assert result.exit_code != 0
    assert isinstance(result.exception, PlanError)
    message = result.exception.message
    assert "unknown key 'version_typo'" in message and "did you mean 'version'" in message
    assert "required key 'study' is missing" in message


@pytest.mark.parametrize("path", PLANS, ids=[p.name for p in PLANS])
def test_cli_check_accepts_shipped_plans(path: Path) -> None:
    result = CliRunner().invoke(plan_app, ["check", str(path)])
    assert result.exit_code == 0, result.output
    assert "Plan OK" in result.output


def test_missing_file_is_a_plan_error(tmp_path: Path) -> None:
    with pytest.raises(PlanError, match="plan file not found"):
        load_plan(tmp_path / "nope.yaml")


def test_schema_is_valid_json_with_descriptions() -> None:
    schema = json.loads(schema_text())
    assert schema["properties"]["outcomes"]["description"].startswith("Outcomes")
