"""Ibis engines: in-process DuckDB (the default) and Apache Spark (local or a cluster).

The data steps of :mod:`evaluation.scale` are Ibis expressions, so the same code runs on
any Ibis backend. :func:`connect` opens one of the two the toolkit tests: ``"duckdb"``
(no extra packages) and ``"pyspark"`` (``pip install 'pilot-evaluation[spark]'`` and Java
17; a local session by default, or pass your own ``SparkSession``).
"""

from __future__ import annotations

import importlib.util
import tempfile
import uuid
import warnings
from functools import cache
from typing import Any, Literal, TypeAlias, get_args

import pandas as pd
import pyarrow as pa

from evaluation.errors import MissingColumnError, OptionError
from evaluation.registers import DEFAULT_MEMORY_LIMIT, default_temp_directory

#: Engines the toolkit tests.
Engine: TypeAlias = Literal["duckdb", "pyspark"]
ENGINES: tuple[str, ...] = get_args(Engine)

_NEEDS_SPARK = "pip install 'pilot-evaluation[spark]' (pyspark and Java 17), or use 'duckdb'"


@cache
def local_spark_session() -> Any:
    """A local Spark session (one core, no UI, UTC), started once per process.

    Raises
    ------
    evaluation.errors.OptionError
        If pyspark is not installed.
    """
    if importlib.util.find_spec("pyspark") is None:
        raise OptionError("the pyspark engine needs pyspark", where="engine", fix=_NEEDS_SPARK)
    from pyspark.sql import SparkSession  # type: ignore[import-not-found,unused-ignore]

    builder = (
        SparkSession.builder.master("local[1]")
        .appName("pilot-eval")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.driver.memory", "2g")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.warehouse.dir", tempfile.mkdtemp(prefix="pilot_eval_spark_"))
    )
    try:
        session = builder.getOrCreate()
    except Exception as exc:  # Java missing or too old: pyspark raises its own runtime errors
        raise OptionError(
            f"Spark could not start: {str(exc).strip().splitlines()[0][:200]}",
            where="engine='pyspark'",
            fix="install Java 17 (e.g. apt-get install default-jre-headless) and check "
            "JAVA_HOME, or use the duckdb engine (--backend local or ibis)",
        ) from exc
    session.sparkContext.setLogLevel("ERROR")
    return session


def connect(engine: Engine = "duckdb", *, session: Any = None) -> Any:
    """Open an Ibis connection to ``engine``.

    Parameters
    ----------
    engine:
        ``"duckdb"`` (in-process, the default) or ``"pyspark"``.
    session:
        For ``"pyspark"``: an existing ``SparkSession`` (e.g. of a cluster); default a
        local one from :func:`local_spark_session`.

    Returns
    -------
    ibis.BaseBackend
    """
    import ibis

    if engine == "duckdb":  # the same memory limit and spill folder as the in-process path
        return ibis.duckdb.connect(
            memory_limit=DEFAULT_MEMORY_LIMIT, temp_directory=str(default_temp_directory())
        )
    if engine == "pyspark":
        return ibis.pyspark.connect(session if session is not None else local_spark_session())
    raise OptionError(
        f"unknown engine {engine!r}", where="engine", fix=f"use one of {', '.join(ENGINES)}"
    )


def upload(con: Any, frame: pa.Table | pd.DataFrame, *, kind: str) -> Any:
    """Put ``frame`` into the engine of ``con`` as a new temporary table; return it (Ibis)."""
    name = f"_pe_{kind}_{uuid.uuid4().hex[:10]}"
    table = (
        frame if isinstance(frame, pa.Table) else pa.Table.from_pandas(frame, preserve_index=False)
    )
    with warnings.catch_warnings():  # pyspark's notices about pandas and Arrow versions
        warnings.simplefilter("ignore")
        if con.name == "pyspark":  # Ibis makes no temporary tables on Spark: a temp view
            con._session.createDataFrame(table).createOrReplaceTempView(name)
            return con.table(name)
        return con.create_table(name, table, temp=True)


def require_columns(table: Any, columns: tuple[str, ...], *, where: str) -> None:
    """Raise :class:`~evaluation.errors.MissingColumnError` unless ``table`` has ``columns``."""
    have = list(table.columns)
    missing = [c for c in columns if c not in have]
    if missing:
        raise MissingColumnError(missing, where=where, available=have)
