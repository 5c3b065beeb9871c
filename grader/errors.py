"""The one exception type for faults in the grader's own use (not in student code)."""


class GraderError(Exception):
    """A problem an instructor can fix: a missing path, a bad rubric, CUDA asked for but absent.

    The command line turns it into a one-line message and a non-zero exit, never a traceback.
    """
