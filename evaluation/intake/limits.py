"""Limits of the workbook intake, with defaults and ``PILOT_EVAL_MAX_*`` overrides."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace

from evaluation.errors import OptionError

#: Environment variable -> (field of :class:`IntakeLimits`, unit multiplier).
LIMIT_ENV: dict[str, tuple[str, int]] = {
    "PILOT_EVAL_MAX_FILE_MB": ("max_file_bytes", 1_000_000),
    "PILOT_EVAL_MAX_UNPACKED_MB": ("max_unpacked_bytes", 1_000_000),
    "PILOT_EVAL_MAX_RATIO": ("max_ratio", 1),
    "PILOT_EVAL_MAX_PARTS": ("max_parts", 1),
    "PILOT_EVAL_MAX_ROWS": ("max_rows", 1),
    "PILOT_EVAL_MAX_CELL_CHARS": ("max_cell_chars", 1),
}
#: Env var that names each field (for messages that say how to raise a limit).
ENV_OF: dict[str, str] = {f: env for env, (f, _) in LIMIT_ENV.items()}

#: One-paragraph help text of the limits (for ``--help`` of the commands that read files).
LIMITS_HELP = (
    "Files are inspected before they are read: identity codes anywhere (cells of every "
    "sheet, comments, names, document properties, sheet and file names), macros, external "
    "links and size limits refuse the file (exit 2). Limits: PILOT_EVAL_MAX_FILE_MB (20), "
    "PILOT_EVAL_MAX_UNPACKED_MB (200), PILOT_EVAL_MAX_RATIO (200, for parts over 1 MB), "
    "PILOT_EVAL_MAX_PARTS (500), PILOT_EVAL_MAX_ROWS per sheet (100000), "
    "PILOT_EVAL_MAX_CELL_CHARS (32767)."
)


@dataclass(frozen=True)
class IntakeLimits:
    """What a submitted workbook may be at most.

    Attributes
    ----------
    max_file_bytes:
        Size of the file on disk.
    max_unpacked_bytes:
        Total uncompressed size of all parts (as declared and as actually read).
    max_ratio:
        Compression ratio of one part (uncompressed / compressed), for parts larger than
        ``ratio_min_bytes``: a zip bomb compresses far better than any real sheet.
    ratio_min_bytes:
        Parts smaller than this are never refused for their ratio.
    max_parts:
        Number of parts (entries) in the zip container.
    max_rows:
        Rows of one sheet (from its ``<dimension>``, row numbers and a count while reading).
    max_cell_chars:
        Characters of one cell (32,767 is Excel's own limit).
    """

    max_file_bytes: int = 20_000_000
    max_unpacked_bytes: int = 200_000_000
    max_ratio: int = 200
    ratio_min_bytes: int = 1_000_000
    max_parts: int = 500
    max_rows: int = 100_000
    max_cell_chars: int = 32_767

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> IntakeLimits:
        """The defaults with each ``PILOT_EVAL_MAX_*`` variable that is set applied.

        Raises
        ------
        OptionError
            If a variable is not a positive whole number.
        """
        env = os.environ if environ is None else environ
        changes: dict[str, int] = {}
        for name, (attr, unit) in LIMIT_ENV.items():
            raw = env.get(name)
            if raw is None or not raw.strip():
                continue
            try:
                value = int(raw.strip())
            except ValueError:
                value = 0
            if value <= 0:
                raise OptionError(
                    f"{name}={raw!r} is not a positive whole number",
                    where=f"environment variable {name}",
                    fix=f"set it to a number such as {getattr(cls(), attr) // unit}, or unset it",
                )
            changes[attr] = value * unit
        return replace(cls(), **changes)

    def shown(self, attr: str) -> int:
        """The limit ``attr`` in the unit of its environment variable (MB for sizes)."""
        env = ENV_OF[attr]
        return int(getattr(self, attr) // LIMIT_ENV[env][1])


__all__ = ["ENV_OF", "LIMITS_HELP", "LIMIT_ENV", "IntakeLimits"]
