"""The submission store: DuckDB file of every submission, with pseudonymisation on the way in."""

from __future__ import annotations

from evaluation.privacy import mask_identity_codes
from evaluation.store.demo import DemoSubmissions, submit_demo_workbooks
from evaluation.store.pseudonym import (
    KEY_ENV,
    KEY_FILE_ENV,
    Pseudonymiser,
    generate_key_file,
    load_pseudonymiser,
    pseudonymise,
)
from evaluation.store.rekey import RekeyResult, rekey_store
from evaluation.store.store import (
    LAYOUT_VERSION,
    STORE_ENV,
    StoredSubmission,
    StoreInfo,
    SubmissionStore,
    store_path,
)
from evaluation.store.submit import SubmitResult, id_columns, submit_file

__all__ = [
    "KEY_ENV",
    "KEY_FILE_ENV",
    "LAYOUT_VERSION",
    "STORE_ENV",
    "DemoSubmissions",
    "Pseudonymiser",
    "RekeyResult",
    "StoreInfo",
    "StoredSubmission",
    "SubmissionStore",
    "SubmitResult",
    "generate_key_file",
    "id_columns",
    "load_pseudonymiser",
    "mask_identity_codes",
    "pseudonymise",
    "rekey_store",
    "store_path",
    "submit_demo_workbooks",
    "submit_file",
]
