"""The ``judgeforge`` command: ``main(argv) -> int`` registers one module per subcommand."""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import warnings
from typing import Annotated

import typer

from judgeforge.cli._common import console, out
from judgeforge.cli.audit import audit
from judgeforge.cli.bench import bench
from judgeforge.cli.demo import demo
from judgeforge.cli.eval import eval_
from judgeforge.cli.judge import judge
from judgeforge.cli.leaderboard import leaderboard
from judgeforge.cli.prepare import prepare
from judgeforge.cli.serve import serve
from judgeforge.cli.train import train
from judgeforge.errors import JudgeforgeError

try:  # recent typer vendors its own click
    from typer._click.exceptions import ClickException
except ImportError:  # pragma: no cover - older typer on the real click
    from click import ClickException  # type: ignore[assignment]

HELP_WIDTH = 80

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Train, run and evaluate LLM judges.",
    rich_markup_mode=None,  # click's plain layout wraps long option names and help readably at 80 columns
    context_settings={"max_content_width": HELP_WIDTH, "help_option_names": ["-h", "--help"]},
)
app.command()(prepare)
app.command()(judge)
app.command("eval")(eval_)
app.command()(train)
app.command()(demo)
app.command()(bench)
app.command()(leaderboard)
app.command()(audit)
app.command()(serve)

_command: str | None = None
"""The subcommand running (set by the app's callback), for the message when it is stopped."""


def _version(value: bool) -> None:
    if value:
        from judgeforge import __version__

        out.print(f"judgeforge {__version__}", highlight=False)
        raise typer.Exit()


@app.callback()
def _options(
    ctx: typer.Context,
    verbose: Annotated[
        int,
        typer.Option(
            "--verbose", "-v", count=True, show_default=False, help="-v: progress logs; -vv: also the libraries' logs."
        ),
    ] = 0,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Train, run and evaluate LLM judges."""
    global _command
    _command = ctx.invoked_subcommand
    quiet_libraries(verbose)


def quiet_libraries(verbose: int) -> None:
    """judgeforge's own warnings only by default; ``-v`` adds its progress logs, ``-vv`` the libraries'.

    Progress bars (GGUF de-quantisation, downloads) and transformers' hints go to a terminal the
    user did not ask to fill; they come back with ``-vv``.
    """
    logging.getLogger("judgeforge").setLevel(logging.INFO if verbose else logging.WARNING)
    if verbose >= 2:
        logging.getLogger().setLevel(logging.INFO)
        return
    os.environ.setdefault("TQDM_DISABLE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")
    for library in ("transformers", "torch", "peft", "accelerate", "vllm", "ray", "httpx"):
        logging.getLogger(library).setLevel(logging.ERROR)
        warnings.filterwarnings("ignore", module=rf"{library}(\.|$)")
    if "transformers" in sys.modules:  # already imported: its logger level was read from the env then
        import transformers

        transformers.logging.set_verbosity_error()


class _Terminated(BaseException):
    """SIGTERM, raised like Ctrl-C so that a job stops cleanly between writes."""


def _on_sigterm(signum: int, frame: object) -> None:
    raise _Terminated()


_CACHED = "the judgments so far are kept in the output folder: the same command continues from them"
_STOPPED = {
    "judge": "the output so far is kept: finish it with --resume",
    "bench": _CACHED,
    "leaderboard": _CACHED,
    "train": "a reward judge's feature cache and a generative judge's checkpoints are kept in output_dir: "
    "run it again (generative: with --resume); a grade head is refitted from the start",
    "serve": "the server has shut down",
}
"""What a stopped subcommand leaves behind; the others (audit, prepare, eval, demo) leave nothing to continue."""


def _stopped(how: str) -> str:
    """The line printed when a subcommand is stopped (``how``: interrupted or terminated)."""
    return f"{how}; {_STOPPED.get(_command or '', 'nothing to continue: run it again')}"


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and return the exit code (testable without a subprocess).

    Exit codes: 0 success; 1 an error, or a judge run whose records all failed (or more than
    ``--max-failure-rate``); 2 a usage error; 130 interrupted (Ctrl-C); 143 terminated (SIGTERM).
    An interrupted judge run's output is complete up to its last chunk: ``--resume`` finishes it;
    a stopped server has shut down (uvicorn finishes the requests in flight, then re-raises the signal).
    """
    global _command
    _command = None  # main may run several times in one process (tests)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    in_main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _on_sigterm) if in_main_thread else None
    try:
        code = app(args=argv, standalone_mode=False, prog_name="judgeforge")
    except _Terminated:
        console.print(_stopped("terminated"))
        return 143
    except KeyboardInterrupt:
        console.print(_stopped("interrupted"))
        return 130
    except JudgeforgeError as e:
        console.print(f"[red]error:[/red] {e}", highlight=False, soft_wrap=True)
        return 1
    except ClickException as e:  # usage errors: bad option values, missing arguments
        e.show()
        return e.exit_code
    except typer.Exit as e:
        return e.exit_code
    except typer.Abort:
        console.print(_stopped("interrupted"))
        return 130
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    # typer/click return an exit code instead of raising it when not standalone (Ctrl-C gives 130)
    if code == 130:
        console.print(_stopped("interrupted"))
    return code if isinstance(code, int) else 0


def run() -> None:
    sys.exit(main())
