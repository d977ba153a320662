"""No module imports a private name from another package (issue 18, item 5).

A name is private when it, or any module on its dotted path, starts with one underscore.
It belongs to the package (directory) that defines it: ``evaluation.registers._duck`` and
everything in it belong to ``evaluation/registers``; ``_result`` in
``evaluation/estimators/did/api.py`` belongs to ``evaluation/estimators/did``. Only modules of
that same directory may import it. Private modules of the root package (``evaluation._paths``)
are shared by the whole package, as Python's convention for a package's private names has it.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "evaluation"


@dataclass(frozen=True)
class Crossing:
    """One import of a private name from another package."""

    importer: str
    line: int
    name: str

    def __str__(self) -> str:
        return f"{self.importer}:{self.line} imports {self.name}"


def _is_private(part: str) -> bool:
    return part.startswith("_") and not part.startswith("__")


def _module_of(path: Path) -> list[str]:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return parts[:-1] if parts[-1] == "__init__" else parts


def _owner(dotted: list[str], modules: set[tuple[str, ...]]) -> list[str] | None:
    """The package owning the first private part of ``dotted``, or None if all are public."""
    for index, part in enumerate(dotted):
        if not _is_private(part):
            continue
        owner = dotted[:index]
        if tuple(owner) not in modules or (ROOT.joinpath(*owner) / "__init__.py").exists():
            return owner
        return owner[:-1]  # a private name inside a plain module belongs to its directory
    return None


def _absolute(node: ast.ImportFrom, package: list[str]) -> list[str]:
    base = package[: len(package) - (node.level - 1)] if node.level else []
    return base + (node.module.split(".") if node.module else [])


def _crossings(path: Path, modules: set[tuple[str, ...]]) -> list[Crossing]:
    module = _module_of(path)
    package = module if path.name == "__init__.py" else module[:-1]
    found: list[Crossing] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        targets: list[list[str]] = []
        if isinstance(node, ast.Import):
            targets = [alias.name.split(".") for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            source = _absolute(node, package)
            targets = [[*source, alias.name] for alias in node.names]
        for dotted in targets:
            owner = _owner(dotted, modules)
            if owner is None or owner == package or owner == ["evaluation"]:
                continue
            found.append(Crossing(str(path.relative_to(ROOT)), node.lineno, ".".join(dotted)))
    return found


def test_no_module_imports_a_private_name_from_another_package() -> None:
    files = sorted(PACKAGE.rglob("*.py"))
    modules = {tuple(_module_of(path)) for path in files}
    crossings = [crossing for path in files for crossing in _crossings(path, modules)]
    assert not crossings, "private names imported across packages:\n" + "\n".join(
        map(str, crossings)
    )


def test_the_checker_sees_a_crossing_and_allows_a_sibling(tmp_path: Path) -> None:
    """The rule itself: a sibling may import ``_x``, another package may not."""
    modules = {("evaluation", "registers", "_duck"), ("evaluation", "scale", "engines")}
    assert _owner(["evaluation", "registers", "_duck", "connect"], modules) == [
        "evaluation",
        "registers",
    ]
    assert _owner(["evaluation", "scale", "engines", "_x"], modules) == ["evaluation", "scale"]
    assert _owner(["evaluation", "scale", "engines", "run"], modules) is None
