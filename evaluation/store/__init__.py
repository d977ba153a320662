"""The submission store: DuckDB file of every submission, with pseudonymisation on the way in."""

from __future__ import annotations

from evaluation.store.demo import DemoSubmissions, submit_demo_workbooks
from evaluation.store.pseudonym import KEY_ENV, Pseudonymiser, load_pseudonymiser, pseudonymise
from evaluation.store.store import (
    STORE_ENV,
    StoredSubmission,
    SubmissionStore,
    mask_identity_codes,
    store_path,
)
from evaluation.store.submit import SubmitResult, id_columns, submit_file

__all__ = [
    "KEY_ENV",
    "STORE_ENV",
    "DemoSubmissions",
    "Pseudonymiser",
    "StoredSubmission",
    "SubmissionStore",
    "SubmitResult",
    "id_columns",
    "load_pseudonymiser",
    "mask_identity_codes",
    "pseudonymise",
    "store_path",
    "submit_demo_workbooks",
    "submit_file",
]
