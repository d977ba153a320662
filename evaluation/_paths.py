"""Where the project's top-level folders are: in the checkout, or bundled into the wheel.

``reports/``, ``designs/`` and ``checks/`` live at the repository root, next to the package
(a source checkout or an editable install uses them there). A built wheel carries copies in
``evaluation/_bundled/`` (``setup.py`` puts them there), so ``pip install pilot-evaluation``
renders reports and runs the shipped plans without the repository.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent

#: Top-level folders a wheel bundles.
BUNDLED_FOLDERS = ("reports", "designs", "checks")


def project_folder(name: str) -> Path:
    """The folder ``name`` at the repository root, else its copy bundled in the package."""
    in_checkout = _PACKAGE.parent / name
    if in_checkout.is_dir():
        return in_checkout
    return _PACKAGE / "_bundled" / name
