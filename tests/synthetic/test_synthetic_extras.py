"""Synthetic jobseeker, care and payment extracts (issue 20, item 3)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from evaluation.registers import CODES, register_outcomes
from evaluation.synthetic import generate_registers
from evaluation.synthetic.extras import MONTHLY_EUR

PERSONS = 3000


def test_extras_carry_the_columns_register_outcomes_reads(tmp_path: Path) -> None:
    data = generate_registers(persons=PERSONS, seed=5)
    ex = data.extras
    assert list(ex.jobseeker.columns) == ["person_id", "status", "start", "end"]
    assert list(ex.care.columns) == ["person_id", "date", "kind"]
    assert list(ex.payments.columns) == ["person_id", "month", "code", "amount_eur"]
    # Every unemployment-benefit spell is an unemployed-jobseeker spell; some jobseekers
    # have no unemployment benefit (registered unemployment is not benefit months).
    unemp = data.spells[data.spells["code"].map(lambda c: CODES[c].is_unemployment_benefit)]
    js = ex.jobseeker[ex.jobseeker["status"] == "unemployed"]
    assert len(js) > len(unemp)

    def spans(frame: pd.DataFrame) -> set[tuple[str, object, object]]:
        return set(zip(frame["person_id"], frame["start"], frame["end"].astype(str), strict=True))

    assert spans(unemp) <= spans(js)
    anchors = pd.DataFrame(
        {
            "person_id": data.participants["person_id"],
            "group": "participants",
            "anchor_month": data.participants["entry_date"],
        }
    )
    res = register_outcomes(anchors, jobseeker=ex.jobseeker, care=ex.care, payments=ex.payments)
    assert res.measures == ("unemployment_months", "care_contacts", "benefit_eur")
    out = data.write(tmp_path, extras=True)
    assert (out / "payments.parquet").is_file() and (out / "care.parquet").is_file()


def test_payments_are_the_monthly_rate_for_every_benefit_month_in_the_window() -> None:
    data = generate_registers(persons=PERSONS, seed=5)
    pay = data.extras.payments
    person = pay["person_id"].value_counts().index[0]
    spells = data.spells[(data.spells["person_id"] == person)]
    lo, hi = data.months[0], data.months[-1]
    expected = 0.0
    for s in spells.itertuples(index=False):
        spec = CODES[s.code]
        if spec.kind != "benefit":
            continue
        end = hi if pd.isna(s.end) else min(pd.Timestamp(s.end), hi)
        start = max(pd.Timestamp(s.start), lo)
        months = (end.year - start.year) * 12 + end.month - start.month + 1
        factor = 2.0 if s.code.endswith("earnings_related") else 1.0
        expected += max(months, 0) * MONTHLY_EUR[str(spec.benefit_group)] * factor
    got = pay.loc[pay["person_id"] == person, "amount_eur"].sum()
    assert np.isclose(got, expected)
    # The extras do not disturb the generator's other draws.
    again = generate_registers(persons=PERSONS, seed=5)
    pd.testing.assert_frame_equal(again.spells, data.spells)
