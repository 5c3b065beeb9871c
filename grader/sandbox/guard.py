"""What the sandboxed child may import and call.

Student code imports through `guarded_import`: denied modules raise an ImportError that names the
rule; the course's helpers come from the assignment pack's module (sent with the job); course test
modules, plotting and data packages, and anything not installed get a harmless stand-in so that they
never stop a submission from loading. Process-level escapes (fork, exec, signals, exit) raise instead of acting.

This is the first line only: the OS limits set by the child (its own session, rlimits, an unprivileged
uid when run as root) and the parent's kill of the whole group are what contain a hostile submission.
Only the standard library and NumPy here.
"""

from __future__ import annotations

import builtins
import os
import sys
import types

DEFAULT_DENIED = (
    "torch",
    "grader",
    "reference",
    "jax",
    "tensorflow",
    "subprocess",
    "multiprocessing",
    "concurrent",
    "threading",
    "_thread",
    "asyncio",
    "socket",
    "ssl",
    "http",
    "urllib",
    "requests",
    "ctypes",
    "_ctypes",
    "cffi",
    "_posixsubprocess",
    "pty",
    "signal",
    "resource",
    "importlib",
)
# Plotting, data and notebook modules that any course notebook imports; an assignment pack adds its own
# course test modules (`Pack.stand_in_modules`) and the names its helper module is imported by.
STAND_INS = ("matplotlib", "pylab", "seaborn", "h5py", "PIL", "imageio", "cv2", "IPython", "ipywidgets", "tqdm")


class SandboxViolation(PermissionError):
    """Raised in the child when submission code does what grading forbids."""


class SubmissionExit(BaseException):
    """sys.exit() or os._exit() called by submission code: ends the case, not the grading."""


class _Dummy:
    """Anything at all: call it, index it, iterate it, take attributes of it; it stays harmless."""

    def __getattr__(self, name):
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return self

    def __call__(self, *args, **kwargs):
        return self

    def __getitem__(self, key):
        return self

    def __iter__(self):
        return iter(())

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def __repr__(self):
        return "<stand-in>"


class StandInModule(types.ModuleType):
    """A module that provides every name as a harmless `_Dummy`."""

    def __init__(self, name: str, why: str):
        super().__init__(name, f"stand-in for {name!r} while grading: {why}")
        self.__all__: list[str] = []
        self.__path__ = []  # so that `import matplotlib.pyplot` finds a package

    def __getattr__(self, name):
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return _Dummy()


def _deny(what: str):
    def denied(*args, **kwargs):
        raise SandboxViolation(f"{what} is not allowed while grading")

    denied.__name__ = what.rsplit(".", 1)[-1]
    return denied


def _exit(code=0, *rest):
    raise SubmissionExit(code)


class DeniedFinder:
    """First on sys.meta_path: a denied module that is not loaded yet cannot be loaded by any route
    (importlib.import_module, __import__ with forged globals, ...)."""

    def __init__(self, denied):
        self.denied = frozenset(denied)

    def find_spec(self, name, path=None, target=None):
        top = name.partition(".")[0]
        if top in self.denied:
            raise ImportError(f"import of {name!r} is denied while grading (rule: no {top!r} in the sandbox)")
        return None


class ImportGuard:
    """The __import__ that submission code sees."""

    def __init__(
        self,
        denied,
        helpers: types.ModuleType | None,
        submission_name: str,
        helper_names: tuple[str, ...] = (),
        stand_ins: tuple[str, ...] = (),
    ):
        self.denied = frozenset(denied)
        self.helpers = helpers
        self.helper_names = frozenset(
            helper_names
        )  # answered by `helpers` while there is one (a shared process sets it per check)
        self.stand_in_names = frozenset(STAND_INS) | frozenset(stand_ins)
        self.submission_name = submission_name
        self.real_import = builtins.__import__
        self.stand_ins: dict[str, StandInModule] = {}

    def _stand_in(self, top: str, why: str) -> StandInModule:
        if top not in self.stand_ins:
            self.stand_ins[top] = StandInModule(top, why)
        return self.stand_ins[top]

    def __call__(self, name, globals=None, locals=None, fromlist=(), level=0):
        importer = (globals or {}).get("__name__")
        if importer != self.submission_name:  # NumPy's own lazy imports, our runtime
            return self.real_import(name, globals, locals, fromlist, level)
        if level:
            raise ImportError(f"relative import of {name!r}: a submission is a single file")
        top = name.partition(".")[0]
        if top in self.denied:
            raise ImportError(f"import of {name!r} is denied while grading (rule: no {top!r} in the sandbox)")
        if top in self.helper_names and self.helpers is not None:
            return self.helpers
        if top in self.stand_in_names:
            return self._stand_in(top, "course test, plotting and data modules are not needed to grade")
        try:
            return self.real_import(name, globals, locals, fromlist, level)
        except ModuleNotFoundError as error:
            if error.name and error.name.partition(".")[0] == top:
                return self._stand_in(top, "not installed where the grader runs")
            raise


def install(
    denied,
    helpers: types.ModuleType | None,
    submission_name: str,
    helper_names: tuple[str, ...] = (),
    stand_ins: tuple[str, ...] = (),
) -> ImportGuard:
    """Put the guard in place for the rest of this (child) process's life."""
    guard = ImportGuard(denied, helpers, submission_name, helper_names, stand_ins)
    builtins.__import__ = guard
    sys.meta_path.insert(0, DeniedFinder(denied))
    for name in (
        "fork",
        "forkpty",
        "system",
        "popen",
        "kill",
        "killpg",
        "setsid",
        "setpgid",
        "setuid",
        "setgid",
        "abort",
        "register_at_fork",
        "posix_spawn",
        "posix_spawnp",
        "execv",
        "execve",
        "execl",
        "execle",
        "execlp",
        "execlpe",
        "execvp",
        "execvpe",
        "spawnl",
        "spawnle",
        "spawnlp",
        "spawnlpe",
        "spawnv",
        "spawnve",
        "spawnvp",
        "spawnvpe",
    ):
        if hasattr(os, name):
            setattr(os, name, _deny(f"os.{name}"))
    os._exit = _exit
    sys.exit = _exit
    # typeshed types these as site.Quitter; the guard replaces them with the plain function on purpose
    builtins.exit = builtins.quit = _exit  # type: ignore[assignment]
    return guard
