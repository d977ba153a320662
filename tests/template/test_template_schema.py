"""The schema: complete labels, consistent references, and the contract for data checks."""

from __future__ import annotations

import re

import pytest
from pydantic import BaseModel

from evaluation.errors import SchemaError
from evaluation.schema import LANGS, Schema, Text, build_schema, load_schema
from evaluation.schema.load import CONTENT_DIR


def _texts(obj: object) -> list[Text]:
    """Every Text inside a (nested) pydantic model."""
    out: list[Text] = []
    if isinstance(obj, Text):
        return [obj]
    if isinstance(obj, dict):
        for v in obj.values():
            out += _texts(v)
    elif isinstance(obj, list | tuple):
        for v in obj:
            out += _texts(v)
    elif isinstance(obj, BaseModel):
        for name in type(obj).model_fields:
            out += _texts(getattr(obj, name))
    return out


def test_every_text_has_three_nonempty_languages() -> None:
    texts = _texts(load_schema())
    assert len(texts) > 400
    for t in texts:
        for lang in LANGS:
            assert t(lang).strip(), t


def test_finnish_and_swedish_are_not_copies_of_english() -> None:
    schema = load_schema()
    labels = [f.label for s in schema.sections for f in s.fields]
    same_fi = sum(t.fi == t.en for t in labels)
    same_sv = sum(t.sv == t.en for t in labels)
    assert same_fi == 0
    assert same_sv == 0
    # Swedish and Finnish use their own letters somewhere
    assert any("ä" in t.fi or "ö" in t.fi for t in labels)
    assert any("å" in t.sv or "ä" in t.sv for t in labels)


def test_sections_cover_the_issue() -> None:
    schema = load_schema()
    ids = [s.id for s in schema.sections]
    assert ids == [
        "pilot",
        "intervention",
        "target_groups",
        "organisations",
        "logic_model",
        "implementation",
        "mechanisms",
        "context",
        "criteria",
        "indicators",
        "clients",
        "self_assessment",
        "service_dose",
        "service_use",
        "client_goals",
        "integration_model",
        "preconditions",
        "harms",
        "readiness",
        "codebook",
        "excerpts",
        "quality_concepts",
    ]
    # TIDieR: 12 items (item 6 split into mode and detail)
    assert len(schema.section("intervention").fields) == 13
    assert len(schema.codelist("target_group").codes) == 6
    assert len(schema.codelist("organisation").codes) == 7
    crit = schema.codelist("criterion").codes
    assert {c.attrs["theme"] for c in crit} == set(schema.codelist("theme").ids)
    assert {c.attrs["dimension"] for c in crit} == set(schema.codelist("dimension").ids)
    assert schema.codelist("rating").ids[:3] == ("green", "yellow", "red")
    assert schema.codelist("outcome_3m").ids == (
        "work_contract",
        "degree_education",
        "other_employment_service",
        "unemployed",
        "other",
    )


def test_indicator_dictionary_covers_domains_and_esf() -> None:
    schema = load_schema()
    domains = {i.domain for i in schema.indicators}
    assert domains == set(schema.codelist("indicator_domain").ids)
    ids = {i.id for i in schema.indicators}
    for m in (3, 6, 12):
        assert f"employed_{m}m_after_job_coaching" in ids
        assert f"employed_{m}m_after_work_activity" in ids
    esf = {m.code for i in schema.indicators for m in i.esf_plus}
    assert {"EECO01", "EECR04"} <= esf
    for ind in schema.indicators:
        assert ind.unit in ("count", "percent", "mean")
        if ind.unit == "percent":
            assert ind.denominator is not None


def test_instrument_shape() -> None:
    inst = load_schema().instrument("work_ability_functioning")
    scores = {s.id: s for s in inst.scores}
    assert (scores["life_satisfaction"].min, scores["life_satisfaction"].max) == (1, 5)
    assert (scores["perceived_health"].min, scores["perceived_health"].max) == (1, 5)
    for sid in ("functional_capacity", "work_ability", "working_life_relation"):
        assert (scores[sid].min, scores[sid].max) == (0, 10)
    domains = ("social", "psychological", "cognitive", "physical", "everyday")
    for sid in domains:
        assert scores[sid].method == "rescaled_mean"
        assert (scores[sid].min, scores[sid].max) == (0, 100)
    assert scores["overall"].items == domains
    # the instrument's items are columns of the self-assessment sheet
    fields = load_schema().section("self_assessment").field_ids
    assert all(it.id in fields for it in inst.items)


def test_field_table_is_the_contract_for_checks() -> None:
    table = load_schema().field_table()
    assert list(table.columns) == [
        "section",
        "field",
        "type",
        "required",
        "required_if",
        "codes",
        "min",
        "max",
        "max_length",
        "pattern",
        "unique",
        "references",
    ]
    row = table[(table["section"] == "clients") & (table["field"] == "target_group")].iloc[0]
    assert row["required"]
    assert "disabled" in row["codes"]
    wa = table[(table["section"] == "self_assessment") & (table["field"] == "work_ability")]
    assert (wa["min"].iloc[0], wa["max"].iloc[0]) == (0, 10)


def test_sheet_names_are_valid_and_distinct() -> None:
    schema = load_schema()
    for lang in LANGS:
        names = schema.sheet_names(lang)
        assert len(set(names)) == len(names)
        assert all(len(n) <= 31 and not re.search(r"[\[\]:*?/\\]", n) for n in names)


def test_inconsistent_schema_is_refused() -> None:
    raw = load_schema().model_dump()
    raw["sections"][10]["fields"][3]["codelist"] = "no_such_list"
    with pytest.raises(SchemaError, match="no_such_list"):
        Schema.model_validate(raw)


def test_build_schema_reads_the_shipped_content() -> None:
    assert build_schema(CONTENT_DIR) == load_schema()
