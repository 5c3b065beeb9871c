"""The one exception type for faults in the grader's own use (not in student code), and its one refinement."""


class GraderError(Exception):
    """A problem an instructor can fix: a missing path, a bad rubric, CUDA asked for but absent.

    The command line turns it into a one-line message and the usage-error exit status (4), never a traceback.
    """


class GraderFault(GraderError):
    """The grader itself failed (a sandbox that would not start or died, a batch whose workers all died):
    nothing in the command or the submission to fix, so the command line exits 3, not 4."""
