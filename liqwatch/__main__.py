import signal
import sys

# Ctrl-C or SIGTERM at any moment is a clean stop (exit 0), not a traceback: while Python imports
# the CLI (a second or so), while the command line is parsed, and in any phase a command does not
# handle itself (`liqwatch run` takes the signals over for its own phases and says what it stopped).
signal.signal(signal.SIGTERM, signal.default_int_handler)
try:
    from liqwatch.cli import main

    main()
except KeyboardInterrupt:
    sys.exit(0)
except SystemExit as stop:
    # Typer turns an interrupt while it parses the command line into exit status 130
    sys.exit(0 if stop.code == 130 else stop.code)
