import signal
import sys


def _forget_interrupt() -> None:
    """CPython (3.11, 3.12) marks an interrupt that ended a string exec() as unhandled even when the
    caller caught it, and under `python -m` then ends the process by SIGINT after its clean exit
    (status -2, no message): a Ctrl-C landing in the code dataclasses and namedtuple generate while
    liqwatch imports did that. A later string exec() clears the mark (pythonrun.c run_eval_code_obj)."""
    exec("")


# Ctrl-C or SIGTERM at any moment is a clean stop (exit 0), not a traceback: while Python imports
# the CLI (a second or so), while the command line is parsed, and in any phase a command does not
# handle itself (`liqwatch run` takes the signals over for its own phases and says what it stopped).
signal.signal(signal.SIGTERM, signal.default_int_handler)
code: int | str | None = 0
try:
    from liqwatch.cli import main

    main()
except KeyboardInterrupt:
    code = 0
except SystemExit as stop:
    # Typer turns an interrupt while it parses the command line into exit status 130
    code = 0 if stop.code == 130 else stop.code
_forget_interrupt()
sys.exit(code)
