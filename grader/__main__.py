"""`python -m grader`: the working folder leaves sys.path before anything else is imported (see
grader/startup.py; `python -P -m grader` and `backprop-grader` never put it there)."""

import sys

from grader import startup  # imports only os and sys, both loaded before the working folder is searched

startup.drop_working_folder()

from grader.frontends.cli import main  # noqa: E402 - only now: nothing from the working folder can be found

sys.exit(main())
