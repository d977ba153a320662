"""The submission step of ``pilot-eval demo``: submit the synthetic pilots' workbooks."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from evaluation.checks.report import ValidationReport
from evaluation.store.pseudonym import KEY_ENV, KEY_FILE_ENV, generate_key_file
from evaluation.store.store import SubmissionStore
from evaluation.store.submit import submit_file

#: The demo store, relative to the demo's folder (a folder of its own: the key is elsewhere).
DEMO_STORE = Path("store") / "submissions.duckdb"
#: The demo key file's name inside its ``keys/`` folder.
DEMO_KEY_NAME = "pilot-eval.key"


@dataclass(frozen=True)
class DemoSubmissions:
    """What :func:`submit_demo_workbooks` did.

    Attributes
    ----------
    store:
        The store the workbooks went into.
    key_file:
        The pseudonymisation key file used (``None`` when the key came from the
        environment).
    listing:
        :meth:`SubmissionStore.submissions` after the run.
    faulty_report:
        The validation report of the first rejected workbook (``None`` if all passed).
    report_html:
        Where that report was written as HTML (``None`` if all passed).
    """

    store: SubmissionStore
    key_file: Path | None
    listing: pd.DataFrame
    faulty_report: ValidationReport | None
    report_html: Path | None

    def summary(self) -> str:
        """Counts of accepted and rejected submissions and the faulty report's summary."""
        counts = self.listing["status"].value_counts().to_dict()
        head = (
            f"{len(self.listing)} submissions stored in {self.store.path}: "
            f"{counts.get('accepted', 0)} accepted, {counts.get('rejected', 0)} rejected."
        )
        if self.faulty_report is None:
            return head
        return f"{head}\n{self.faulty_report.summary()}"


def demo_key_file(keys: Path) -> Path | None:
    """The demo's key file: ``None`` if a key is set in the environment, else
    ``keys/pilot-eval.key`` (made once, mode 0600).

    The key lives in its own ``keys/`` folder, never in the store's folder: whoever copies
    the store folder (a backup, a shared drive) must not get the key with it, or every
    pseudonym could be reversed by hashing candidate ids.
    """
    if os.environ.get(KEY_ENV) or os.environ.get(KEY_FILE_ENV):
        return None
    path = keys / DEMO_KEY_NAME
    return path if path.exists() else generate_key_file(path)


def submit_workbooks(
    paths: list[Path],
    *,
    store_path: Path,
    report_path: Path,
    key_file: Path | None,
    submitter: str = "demo",
) -> DemoSubmissions:
    """Submit each workbook to the store at ``store_path`` with the key in ``key_file``
    (``None``: from the environment) and write the first rejected workbook's validation
    report to ``report_path`` (HTML)."""
    store = SubmissionStore(store_path)
    faulty: ValidationReport | None = None
    for path in paths:
        result = submit_file(path, store=store, submitter=submitter, key_file=key_file)
        if faulty is None and not result.report.ok:
            faulty = result.report
    html = faulty.write_html(report_path) if faulty is not None else None
    return DemoSubmissions(store, key_file, store.submissions(), faulty, html)


def submit_demo_workbooks(
    out: str | Path, *, seed: int = 2024, lang: str = "fi", submitter: str = "demo"
) -> DemoSubmissions:
    """Write the six synthetic pilots' workbooks into ``out/workbooks``, submit each to
    ``out/store/submissions.duckdb`` with the key ``out/keys/pilot-eval.key`` (see
    :func:`demo_key_file`) and write the faulty one's report to
    ``out/validation-report.html``.
    """
    from evaluation.synthetic.filled_workbooks import write_filled_workbooks

    folder = Path(out)
    paths = write_filled_workbooks(folder / "workbooks", seed=seed, lang=lang)
    return submit_workbooks(
        paths,
        store_path=folder / DEMO_STORE,
        report_path=folder / "validation-report.html",
        key_file=demo_key_file(folder / "keys"),
        submitter=submitter,
    )
