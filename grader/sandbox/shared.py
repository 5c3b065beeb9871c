"""One walled process serving several checks of one submission: each check starts as a fresh one would.

Why this is safe (issue 24): what a check's data reveals is an answer only to a check not yet graded.
The trusted grader sends a shared process the checks of one submission in an order in which no check's
data (its arguments, its sealed stand-in tables) is, or lets anyone compute, an answer of a check that
comes later (each pack's `SHARED_ORDER`); it sends a check's data only once every result of the check
before is in, and it ends the process whenever a check did not end cleanly. So student code, which may
take over this whole process from its first check on, holds nothing it is still to be graded on. A
check that would break the property (the end-to-end chain, which reruns every earlier computation on
its networks) runs in a process of its own, as before.

What is here is fairness, not a wall: a bug of one function must cost points only where it lives. Each
check gets a fresh namespace (the submission is loaded again, as in a fresh process); NumPy's random
generator and the standard library's are seeded afresh; NumPy's error settings and print options, the recursion limit,
warnings filters, trace and profile functions are put back as they were before any student code ran;
and a change that student code made to the modules it reaches by name (`WATCHED`: a module's names, a
function's code or defaults, a class's attributes; sys.modules, the import hooks) is detected, after which this process
serves no more checks: the next one gets a fresh process. So does a check whose peak memory came near
the limit. Student code that tampers with this module itself only loses what it is given: the trusted
side checks every frame, keeps its own deadlines, and ends the process on any break of the protocol.
Only the standard library and NumPy here.
"""

from __future__ import annotations

import gc
import os
import random
import resource
import sys
import types
import warnings
from collections.abc import Iterable
from contextlib import contextmanager
from itertools import chain
from operator import attrgetter, is_, methodcaller

_IMMUTABLE = 1 << 8  # Py_TPFLAGS_IMMUTABLETYPE: a built-in class, which nobody can change


class _Snapshot:
    """What student code could change in the watched modules, by identity, held as flat lists so that
    comparing again after a check is a few passes in C (`all(map(operator.is_, now, then))`), not a
    Python loop over every value: that loop was a millisecond a check, a tenth of the walled side.

    Held: every module's names and values; for each function among them its code, defaults and keyword
    defaults (and those keyword defaults' values: that dict changes in place); for each class whose
    attributes can change, its attributes. Holding them keeps each alive, so no id is reused. Only
    identity counts: `==` would ask a replaced value's own `__eq__`, which may lie. sys's stdout and
    stderr are the harness's, set for every check: they are compared as the values they had here."""

    def __init__(self, modules: dict):
        self.names = [n for n, m in list(modules.items()) if _watched(n) and isinstance(m, types.ModuleType)]
        self.modules = [modules[n] for n in self.names]
        self.own = (sys.stdout, sys.stderr)
        flat: list = list(chain.from_iterable(map(_VALUES, map(_NAMESPACE, self.modules))))
        self.functions = [v for v in flat if type(v) is types.FunctionType]
        self.classes = [v for v in flat if type(v) is type and not v.__flags__ & _IMMUTABLE]
        self.kwdefaults = [f.__kwdefaults__ for f in self.functions if f.__kwdefaults__ is not None]
        self.lengths, self.objects = self._now(modules)

    def _now(self, modules: dict) -> tuple[list[int], list[list]]:
        """The lengths (of each module's names, keyword defaults, class attributes) and the objects."""
        with self._own_streams():
            lengths, parts = self._parts(modules)
            return lengths, [list(part) for part in parts]

    def _parts(self, modules: dict) -> tuple[list[int], list[Iterable]]:
        """The lengths, and each part's objects as an iterator in C: read while sys's streams are ours."""
        dicts = list(map(_NAMESPACE, self.modules))
        classes = list(map(_NAMESPACE, self.classes))
        lengths = [*map(len, dicts), *map(len, self.kwdefaults), *map(len, classes)]
        return lengths, [
            map(modules.get, self.names),
            chain.from_iterable(dicts),
            chain.from_iterable(map(_VALUES, dicts)),
            map(_CODE, self.functions),
            map(_DEFAULTS, self.functions),
            map(_KWDEFAULTS, self.functions),
            chain.from_iterable(map(_VALUES, self.kwdefaults)),
            chain.from_iterable(map(_VALUES, classes)),
        ]

    @contextmanager
    def _own_streams(self):
        saved = sys.stdout, sys.stderr
        sys.stdout, sys.stderr = self.own
        try:
            yield
        finally:
            sys.stdout, sys.stderr = saved

    def changed(self, modules: dict) -> str:
        """What changed since the snapshot ("" for nothing). No list is built: each part is compared
        object by object as it is read (no Python code runs meanwhile, so nothing changes under it)."""
        with self._own_streams():
            lengths, parts = self._parts(modules)
            if lengths != self.lengths:  # ints of ours: == is exact; and the parts below pair up
                return "a watched module's names, a keyword default or a class attribute came or went"
            for part, now, then in zip(_PARTS, parts, self.objects):
                if not all(map(is_, now, then)):
                    return part
        return ""


_CODE, _DEFAULTS, _KWDEFAULTS = (attrgetter(a) for a in ("__code__", "__defaults__", "__kwdefaults__"))
_VALUES = methodcaller("values")
_NAMESPACE = attrgetter("__dict__")  # vars(): a module's dict, a class's mapping proxy
_PARTS = (
    "a watched entry of sys.modules changed",
    "a watched module's names changed",
    "a watched module's value changed",
    "a watched function's code changed",
    "a watched function's defaults changed",
    "a watched function's keyword defaults changed",
    "a watched function's keyword defaults changed",
    "a watched class's attribute changed",
)


# The modules whose changes are looked for: what a submission reaches by name (NumPy's namespaces and
# the modules that hold what they call, the standard library it imports, builtins) and this harness.
# Not every module: reading a module's every value touches it, and in a process forked from the zygote
# each page so touched is copied; all 330 modules cost 20-35 ms per process, more than a fork.
WATCHED = (
    "builtins",
    "os",
    "posix",
    "sys",
    "math",
    "cmath",
    "random",
    "time",
    "functools",
    "itertools",
    "operator",
    "copy",
    "collections",
    "re",
    "json",
    "warnings",
    "traceback",
    "linecache",
    "gc",
    "numpy",
    "numpy.random",
    "numpy.random.mtrand",
    "numpy.linalg",
    "numpy.fft",
    "numpy.ma",
    "numpy.lib.stride_tricks",
    "numpy._core.numeric",
    "numpy._core.fromnumeric",
    "numpy._core.multiarray",
    "numpy._core.umath",
    "numpy._core._methods",
    "numpy._core.shape_base",
    "numpy._core._ufunc_config",
    "numpy._core.arrayprint",
    "numpy.linalg._linalg",
)
HARNESS = "_backprop_sandbox"  # the sandbox's own package (zygote.py), every module of it watched


def _watched(name: str) -> bool:
    return name in WATCHED or name == HARNESS or name.startswith(HARNESS + ".")


def _peak_kb() -> int:
    try:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    except (OSError, ValueError):  # pragma: no cover - Linux has it
        return 0


class State:
    """Taken once, after the guard is in place and before any student code runs."""

    def __init__(self, np, modules: dict):
        self.np, self.modules = np, modules
        self.err, self.errcall, self.printing = np.geterr(), np.geterrcall(), np.get_printoptions()
        self.recursion, self.filters = sys.getrecursionlimit(), list(warnings.filters)
        self.digits = sys.get_int_max_str_digits() if hasattr(sys, "get_int_max_str_digits") else None
        self.hooks = (list(sys.meta_path), list(sys.path), list(sys.path_hooks), sys.excepthook, sys.displayhook)
        self.snapshot = _Snapshot(modules)
        self.peak = _peak_kb()
        self.gc_callbacks = list(gc.callbacks)
        self.why = ""  # why the last check left this process unfit for another (for tests and diagnosis)

    def reset(self, signal, on_alarm) -> None:
        """Before each check: the global state a fresh job would start with."""
        np = self.np
        np.random.seed(int.from_bytes(os.urandom(4), "little"))  # checks must not share a random state
        random.seed()  # from os.urandom, as the random module reseeds itself in every forked job
        np.seterr(**self.err)
        np.seterrcall(self.errcall)
        np.set_printoptions(**self.printing)
        sys.setrecursionlimit(self.recursion)
        if self.digits is not None:
            sys.set_int_max_str_digits(self.digits)
        warnings.filters[:] = self.filters
        getattr(warnings, "_filters_mutated", lambda: None)()
        sys.settrace(None)
        sys.setprofile(None)
        gc.disable()
        gc.callbacks[:] = self.gc_callbacks  # no student code run by the harness's own collection
        if hasattr(signal, "setitimer"):
            signal.signal(signal.SIGALRM, on_alarm)

    def clean(self, memory_mb: float) -> bool:
        """After a check: may this process serve another? No once student code changed a module it can
        reach, or its peak memory grew by a quarter of the limit (what it kept would count against the
        next check's allowance: the address-space limit is the process's, set once)."""
        gc.callbacks[:] = self.gc_callbacks
        gc.collect()  # a check's cycles, so that the next starts with its memory
        self.why = self._changed() or self._memory(memory_mb)
        return not self.why

    def _changed(self) -> str:
        if (list(sys.meta_path), list(sys.path), list(sys.path_hooks), sys.excepthook, sys.displayhook) != self.hooks:
            return "the import hooks or sys hooks changed"
        return self.snapshot.changed(self.modules)

    def _memory(self, memory_mb: float) -> str:
        grown = _peak_kb() - self.peak
        return f"peak memory grew by {grown} KiB" if grown * 1024 > 0.25 * float(memory_mb) * 2**20 else ""
