"""Stage 1: a submission's bytes to statements (intake, the loader, Python 2 habits)."""
