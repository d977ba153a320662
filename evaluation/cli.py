"""The ``pilot-eval`` command line: a thin face over the library.

Every command validates its input through the library; any :class:`PilotEvalError` is
printed as one clear message with exit code 2 (``--debug`` shows the traceback).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.text import Text

from evaluation.errors import PilotEvalError
from evaluation.privacy import mask_identity_codes
from evaluation.reporting.i18n import cli_language, translator

app = typer.Typer(
    name="pilot-eval",
    help=(
        "Evaluate employment and inclusion pilots: fill and read the common self-evaluation "
        "template, check submissions, build register panels, estimate impacts and render "
        "reports.\n\nStart with `pilot-eval demo --out demo-output` and open "
        "demo-output/index.html."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

_err = Console(stderr=True)
_state: dict[str, bool] = {"debug": False}


@app.callback()
def _global(
    debug: Annotated[
        bool, typer.Option("--debug", help="Show full tracebacks instead of one-line errors.")
    ] = False,
) -> None:
    _state["debug"] = debug


@app.command()
def demo(
    out: Annotated[
        Path, typer.Option("--out", help="Folder to write the demo output into.")
    ] = Path("demo-output"),
    persons: Annotated[
        int,
        typer.Option(help="Persons in the synthetic national register extract.", min=1000),
    ] = 20_000,
    seed: Annotated[int, typer.Option(help="Seed of the synthetic data generator.")] = 2024,
    serve: Annotated[
        bool,
        typer.Option(
            "--serve", help="Then serve the web portal on the demo's store (prints demo logins)."
        ),
    ] = False,
    port: Annotated[int, typer.Option("--port", help="Port of the portal (--serve).")] = 8000,
) -> None:
    """Run the whole toolkit on built-in synthetic OTE 4 pilots and write DIR/index.html.

    Generates a synthetic national register extract with six pilots that start in different
    months, builds the person-month panel, fills and reads each pilot's self-evaluation
    workbook (one has mistakes), checks and stores the submissions, estimates each pilot's
    effect on employment (staggered DiD and matching) beside the known truth, and renders
    the comparison, impact and pilot reports. Open DIR/index.html to see it all.
    """
    from evaluation.demo import run_demo

    index = run_demo(out, persons=persons, seed=seed)
    Console().print(f"[green]Demo written.[/green] Open {index}")
    if serve:
        from evaluation.portal.commands import serve_demo

        serve_demo(out, port=port)


def _mount_subcommands() -> None:
    from evaluation.checks.commands import check_command
    from evaluation.plans.commands import plan_app, power_command, run_command
    from evaluation.portal.commands import serve_command, users_app
    from evaluation.process.commands import app as process_app
    from evaluation.registers.commands import app as registers_app
    from evaluation.reporting.commands import app as report_app
    from evaluation.reporting.disclosure_commands import app as disclosure_app
    from evaluation.store.commands import store_app, submissions_command, submit_command
    from evaluation.synthetic.extract_commands import app as synthetic_app
    from evaluation.workbook.commands import app as template_app

    app.command("check")(check_command)
    app.command("submit")(submit_command)
    app.command("submissions")(submissions_command)
    app.add_typer(store_app, name="store")
    app.add_typer(template_app, name="template")
    app.add_typer(plan_app, name="plan")
    app.command("run")(run_command)
    app.command("power")(power_command)
    app.add_typer(process_app, name="process")
    app.add_typer(registers_app, name="registers")
    app.add_typer(report_app, name="report")
    app.add_typer(disclosure_app, name="disclosure")
    app.add_typer(synthetic_app, name="synthetic")
    app.command("serve")(serve_command)
    app.add_typer(users_app, name="users")


_mount_subcommands()


def main() -> None:
    """Entry point of the ``pilot-eval`` console script.

    Usage errors are reported by typer itself (exit 2). Our named errors are shown as one
    message (exit 2); anything else is a bug and says how to report it (exit 3). ``--debug``
    shows the traceback instead. Identity codes in any message are masked as a last line
    of defence (the intake refuses them long before).
    """
    debug = "--debug" in sys.argv[1:]
    try:
        app()
    except PilotEvalError as exc:
        if debug:
            raise
        label = translator(cli_language(getattr(exc, "lang", None)))("cli.error")
        _err.print(Text.assemble((f"{label}: ", "bold red"), mask_identity_codes(exc.message)))
        sys.exit(2)
    except KeyboardInterrupt:
        _err.print("Interrupted.")
        sys.exit(130)
    except Exception as exc:
        if debug:
            raise
        _err.print(
            Text.assemble(
                ("Unexpected error: ", "bold red"),
                f"{type(exc).__name__}: {mask_identity_codes(str(exc))}\nThis is a bug in "
                "pilot-evaluation; run again with --debug and report the traceback.",
            )
        )
        sys.exit(3)
