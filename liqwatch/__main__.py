import signal
import sys

# Ctrl-C or SIGTERM while Python imports the CLI (a second or so) is a clean stop, not a traceback;
# `liqwatch run` then takes the signals over for its own phases.
signal.signal(signal.SIGTERM, signal.default_int_handler)
try:
    from liqwatch.cli import main
except KeyboardInterrupt:
    sys.exit(0)
signal.signal(signal.SIGTERM, signal.SIG_DFL)

main()
