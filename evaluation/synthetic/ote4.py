"""The six OTE 4 pilots: the single table of pilot facts and synthetic assumptions.

OTE 4 ("Models for employment and inclusion", 2016-2018) ran six regional pilots (seed
report ``002_…``, digest section "The pilots"). Three were *general* pilots with a broad target
group (partial work ability, long-term unemployed, disabled, mental-health and substance-use
rehabilitees, students needing special support), three were *targeted* pilots with a narrow
target group (disability-service clients, or students and young people needing special
support).

The name, town, regions (Finnish maakunta names, as in the ``region`` column of the register
``persons`` table), organisers, kind and target groups are facts from the seeds. The start
month, the enrolment period, the expected number of participants and the true-effect profile
are **synthetic assumptions** of :func:`evaluation.synthetic.generate_registers`: the real
pilots' monthly start dates and effects are unknown, and the generator needs a staggered
rollout with known truth.

Everything else in the toolkit that needs the list of pilots (demo, workbooks, reports) should
import it from here: :data:`OTE4_PILOTS`, :data:`PILOT_NAMES`, :func:`pilots_frame`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from evaluation.errors import OptionError

PilotKind = Literal["general", "targeted"]

#: Target group codes (ids of the schema's ``target_group`` code list,
#: ``evaluation/schema/content/codes.yaml``), used in the ``target_group`` column of
#: synthetic participants.
TARGET_PARTIAL_WORK_ABILITY = "partial_work_ability"
TARGET_LONG_TERM_UNEMPLOYED = "long_term_unemployed"
TARGET_DISABLED = "disabled"
TARGET_MENTAL_HEALTH = "mental_health_substance"
TARGET_STUDENT = "youth_special_support"

#: All target group codes of the OTE 4 pilots, in display order.
TARGET_GROUPS: tuple[str, ...] = (
    TARGET_PARTIAL_WORK_ABILITY,
    TARGET_LONG_TERM_UNEMPLOYED,
    TARGET_DISABLED,
    TARGET_MENTAL_HEALTH,
    TARGET_STUDENT,
)

#: English labels of the target group codes (the schema holds fi/sv/en labels).
TARGET_GROUP_LABELS: dict[str, str] = {
    TARGET_PARTIAL_WORK_ABILITY: "People with partial work ability",
    TARGET_LONG_TERM_UNEMPLOYED: "Long-term unemployed",
    TARGET_DISABLED: "Disabled and intellectually disabled people",
    TARGET_MENTAL_HEALTH: "Mental health and substance-use rehabilitees",
    TARGET_STUDENT: "Young people and students needing special support",
}

_GENERAL_GROUPS = TARGET_GROUPS


@dataclass(frozen=True)
class Ote4Pilot:
    """One OTE 4 pilot: seed facts plus the synthetic generator's assumptions.

    Attributes
    ----------
    name:
        Pilot name exactly as used in participant sheets (e.g. ``"Yhdessä hyvä Ote"``).
    town:
        Town of the lead organisation.
    regions:
        Finnish maakunta names of the pilot area (values of the ``region`` column).
    organisers:
        Lead organisations named in the seeds.
    kind:
        ``"general"`` (broad target group) or ``"targeted"`` (narrow target group).
    target_groups:
        Target group codes (subset of :data:`TARGET_GROUPS`).
    start_month:
        Synthetic start month ``"YYYY-MM"`` (staggered rollout; an assumption).
    enrolment_months:
        Synthetic length of the enrolment period: participants enter uniformly in the
        ``enrolment_months`` months from ``start_month`` on.
    participants_per_20k:
        Expected number of participants per 20,000 persons in the synthetic extract.
    effect_max:
        Synthetic true effect: the long-run increase in the monthly employment probability.
    effect_months:
        Time constant (months) of the effect's growth:
        ``delta(k) = effect_max * (1 - exp(-(k + 1) / effect_months))`` for ``k >= 0`` months
        since entry.
    """

    name: str
    town: str
    regions: tuple[str, ...]
    organisers: tuple[str, ...]
    kind: PilotKind
    target_groups: tuple[str, ...]
    start_month: str
    enrolment_months: int
    participants_per_20k: int
    effect_max: float
    effect_months: float

    @property
    def start(self) -> pd.Timestamp:
        """Start month as a timestamp (first day of the month)."""
        return pd.Timestamp(f"{self.start_month}-01")

    @property
    def start_month_index(self) -> int:
        """Start month as ``year * 12 + (month - 1)``."""
        ts = self.start
        return ts.year * 12 + ts.month - 1

    def true_effect(self, months_since_entry: npt.ArrayLike) -> npt.NDArray[np.float64]:
        """True effect ``delta(k)`` on the monthly employment probability.

        Parameters
        ----------
        months_since_entry:
            ``k`` (0 = the entry month). Negative ``k`` (before entry) gives 0.
        """
        k = np.asarray(months_since_entry, dtype=np.float64)
        effect = self.effect_max * (1.0 - np.exp(-(k + 1.0) / self.effect_months))
        return np.where(k >= 0, effect, 0.0)


#: The six pilots, ordered by synthetic start month.
OTE4_PILOTS: tuple[Ote4Pilot, ...] = (
    Ote4Pilot(
        name="Yhdessä hyvä Ote",
        town="Lappeenranta",
        regions=("Etelä-Karjala", "Kymenlaakso"),
        organisers=("Eksote", "Carea", "municipalities"),
        kind="general",
        target_groups=_GENERAL_GROUPS,
        start_month="2016-09",
        enrolment_months=9,
        participants_per_20k=160,
        effect_max=0.10,
        effect_months=6.0,
    ),
    Ote4Pilot(
        name="Sataosaa",
        town="Pori",
        regions=("Satakunta",),
        organisers=("Satasote",),
        kind="general",
        target_groups=_GENERAL_GROUPS,
        start_month="2016-11",
        enrolment_months=9,
        participants_per_20k=140,
        effect_max=0.06,
        effect_months=4.0,
    ),
    Ote4Pilot(
        name="KP Ote",
        town="Kokkola",
        regions=("Keski-Pohjanmaa",),
        organisers=("Soite",),
        kind="general",
        target_groups=_GENERAL_GROUPS,
        start_month="2017-01",
        enrolment_months=9,
        participants_per_20k=80,
        effect_max=0.08,
        effect_months=8.0,
    ),
    Ote4Pilot(
        name="Pähee Ote",
        town="Lahti",
        regions=("Päijät-Häme",),
        organisers=("PHHYKY", "Heinola"),
        kind="targeted",
        target_groups=(TARGET_DISABLED,),
        start_month="2017-03",
        enrolment_months=9,
        participants_per_20k=40,
        effect_max=0.05,
        effect_months=10.0,
    ),
    Ote4Pilot(
        name="Fokus",
        town="Järvenpää",
        regions=("Uusimaa",),
        organisers=("Spesia",),
        kind="targeted",
        target_groups=(TARGET_STUDENT,),
        start_month="2017-06",
        enrolment_months=9,
        participants_per_20k=100,
        effect_max=0.14,
        effect_months=6.0,
    ),
    Ote4Pilot(
        name="Savon Ote",
        town="Vaalijala",
        regions=("Etelä-Savo", "Pohjois-Savo"),
        organisers=("Vaalijala",),
        kind="targeted",
        target_groups=(TARGET_DISABLED,),
        start_month="2017-09",
        enrolment_months=9,
        participants_per_20k=50,
        effect_max=0.03,
        effect_months=12.0,
    ),
)

#: Pilot names in the order of :data:`OTE4_PILOTS`.
PILOT_NAMES: tuple[str, ...] = tuple(p.name for p in OTE4_PILOTS)

#: Pilots by name.
PILOTS_BY_NAME: dict[str, Ote4Pilot] = {p.name: p for p in OTE4_PILOTS}


def get_pilot(name: str) -> Ote4Pilot:
    """Return the pilot called ``name``.

    Raises
    ------
    evaluation.errors.OptionError
        If ``name`` is not one of the six pilots.
    """
    try:
        return PILOTS_BY_NAME[name]
    except KeyError:
        raise OptionError(
            f"unknown OTE 4 pilot {name!r}",
            fix=f"use one of: {', '.join(PILOT_NAMES)}",
        ) from None


#: Column order of :func:`pilots_frame`.
PILOT_COLUMNS: tuple[str, ...] = (
    "pilot",
    "town",
    "regions",
    "organisers",
    "kind",
    "target_groups",
    "start_month",
    "start_month_index",
    "enrolment_months",
    "participants_per_20k",
    "effect_max",
    "effect_months",
)


def pilots_frame(pilots: tuple[Ote4Pilot, ...] = OTE4_PILOTS) -> pd.DataFrame:
    """Return the pilot table as a DataFrame, one row per pilot.

    Returns
    -------
    pandas.DataFrame
        Columns ``pilot, town, regions, organisers, kind, target_groups`` (lists joined by
        ``"; "``), ``start_month`` (datetime64, first day of the month), ``start_month_index``
        (``year * 12 + month - 1``), ``enrolment_months, participants_per_20k, effect_max,
        effect_months``.
    """
    rows = [
        {
            "pilot": p.name,
            "town": p.town,
            "regions": "; ".join(p.regions),
            "organisers": "; ".join(p.organisers),
            "kind": p.kind,
            "target_groups": "; ".join(p.target_groups),
            "start_month": p.start,
            "start_month_index": p.start_month_index,
            "enrolment_months": p.enrolment_months,
            "participants_per_20k": p.participants_per_20k,
            "effect_max": p.effect_max,
            "effect_months": p.effect_months,
        }
        for p in pilots
    ]
    frame = pd.DataFrame(rows, columns=list(PILOT_COLUMNS))
    frame["start_month"] = frame["start_month"].astype("datetime64[us]")
    return frame.astype({"start_month_index": "int64", "enrolment_months": "int64"})
