"""The data steps on any Ibis engine: in-process DuckDB by default, Apache Spark at scale.

When the registers live in Spark (or another SQL engine Ibis reaches), the person-month
panel and the staggered DiD's cell sums run there, unchanged; only small summaries come
back. The functions mirror the in-process ones:

=========================================  =============================================
in-process (DuckDB, fastest on one machine) any Ibis engine (:mod:`evaluation.scale`)
=========================================  =============================================
``registers.build_person_month_panel``     :func:`person_month_panel`
``impact.did_input``                       :func:`did_input`
``estimators.did.att_gt``                  :func:`att_gt` (no covariates, analytic SEs)
=========================================  =============================================

Tests check that each pair gives the same panel and the same estimates (to 1e-9) on
DuckDB and on local Spark. The plan runner uses them with ``--backend ibis`` (DuckDB
through Ibis) and ``--backend spark``.

Example
-------
>>> from evaluation.registers import validated_panel_inputs
>>> from evaluation.scale import connect, upload, person_month_panel, did_input, att_gt
>>> spells, people = validated_panel_inputs(raw_spells, participants=clients)  # doctest: +SKIP
>>> con = connect("pyspark")                                                  # doctest: +SKIP
>>> panel = person_month_panel(upload(con, spells, kind="spells"),
...                            upload(con, people, kind="people"),
...                            start="2016-01", end="2020-12")               # doctest: +SKIP
>>> res = att_gt(did_input(panel, pilot="Fokus"), outcome="y", time="month_index",
...              unit="person_id", cohort="cohort")                          # doctest: +SKIP
"""

from __future__ import annotations

from evaluation.scale.did import att_gt, did_input, gram_from_sums
from evaluation.scale.engines import ENGINES, Engine, connect, local_spark_session, upload
from evaluation.scale.panel import FLAG_COLUMNS, person_month_panel

__all__ = [
    "ENGINES",
    "FLAG_COLUMNS",
    "Engine",
    "att_gt",
    "connect",
    "did_input",
    "gram_from_sums",
    "local_spark_session",
    "person_month_panel",
    "upload",
]
