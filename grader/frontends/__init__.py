"""Stage 5: the ways in: the command line, a class's batch, the pytest plugin and the notebook's check()."""
