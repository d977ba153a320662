"""``python -m evaluation.checks``: regenerate the expectation suites in ``checks/``."""

from __future__ import annotations

from evaluation.checks.suites import write_suites

for path in write_suites():
    print(path)
