"""`python -m summarizer`: the command line (summarizer.cli.main)."""

import sys

from summarizer.cli.main import main

if __name__ == "__main__":
    sys.exit(main())
