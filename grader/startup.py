"""Start-up that no file of a student can reach: the working folder off sys.path, and a refusal when a
module of the working folder or of a graded folder was imported anyway.

`python -m grader` puts the working folder first on sys.path. Started in a folder of submissions, a
student's `hashlib.py` (or `csv.py`, `argparse.py`, ...) would then be imported by the grader itself,
outside the sandbox, with the instructor's rights. So the very first lines of grader/__main__.py and of
`grader.cli.main` call `drop_working_folder()`, before anything else is imported, and then `refuse_shadows()`
looks at what was imported before they ran: a module loaded from the working folder or a graded folder
that is neither one of the grader's own files nor the interpreter's is a usage error (exit 4).

What this cannot catch: a folder named `grader/` in the working folder replaces the whole grader under
`python -m grader` (ours never runs). The console script `backprop-grader` and `python -P -m grader`
never put the working folder on sys.path, which is why every documented command uses one of them.

Only `os` and `sys` at import time: both are loaded before the working folder is searched.
"""


import os
import sys

PACKAGE = os.path.dirname(os.path.realpath(__file__))  # the grader's own files: the only ones trusted in cwd
SAFE_COMMANDS = "backprop-grader ... or python -P -m grader ..."


def _real(path: str) -> str:
    return os.path.realpath(path or os.curdir)


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def _interpreter_dirs() -> set[str]:
    """The interpreter's and the virtualenv's own folders (their standard library and site-packages), and
    the user's site-packages where the interpreter reads it."""
    found = {_real(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix) if p}
    site = sys.modules.get("site")  # imported at start-up unless -S; never imported here
    if site is not None and getattr(site, "ENABLE_USER_SITE", False) and getattr(site, "USER_SITE", None):
        found.add(os.path.dirname(_real(site.USER_SITE)))
    return found


def _interpreter_owns(path: str) -> bool:
    """Strictly inside the interpreter's or virtualenv's prefix (its standard library, its site-packages)."""
    return any(_inside(path, d) and path != d for d in _interpreter_dirs())


def _trusted(path: str) -> bool:
    """A file of the grader's package, or the interpreter's."""
    return _inside(path, PACKAGE) or _interpreter_owns(path)


def drop_working_folder() -> list[str]:
    """Take '' and the working folder off sys.path (an entry inside the interpreter's own folders stays).
    Returns what was removed. Safe to call again."""
    cwd = _real(os.curdir)
    removed = []
    for entry in list(sys.path):
        if entry in ("", os.curdir) or (_real(entry) == cwd and not _interpreter_owns(cwd)):
            sys.path.remove(entry)
            removed.append(entry)
    return removed


def graded_folders(paths: list[str]) -> list[str]:
    """The folders a grading run reads student files from: each path's own folder, or the path if one."""
    return [_real(p) if os.path.isdir(p) or p.endswith(os.sep) else os.path.dirname(_real(p)) for p in paths]


def _import_root(name: str, path: str) -> str:
    """The sys.path entry a module was found in: its file's folder, one up per dot of its name (and one
    more for a package's __init__)."""
    root = os.path.dirname(path)
    for _ in range(name.count(".") + os.path.basename(path).startswith("__init__.")):
        root = os.path.dirname(root)
    return root


def shadows(graded: list[str], cwd: str | None = None) -> list[tuple[str, str]]:
    """(module, file) for each imported module that is neither the grader's own nor the interpreter's and
    whose file lies in one of the `graded` folders, or was found in `cwd` as a sys.path entry (a module
    of a folder below the working folder, such as an instructor's PYTHONPATH, is not one)."""
    found = []
    for name, module in list(sys.modules.items()):
        file = getattr(module, "__file__", None)
        if not isinstance(file, str) or not (os.path.isabs(file) or os.path.exists(file)):
            continue  # not a file's path (some extension modules name themselves there)
        path = _real(file)
        if _trusted(path) or name == "__main__":
            continue
        if any(_inside(path, folder) for folder in graded) or (cwd is not None and _import_root(name, path) == cwd):
            found.append((name, path))
    return sorted(found)


def on_path(folders: list[str]) -> list[str]:
    """sys.path entries that are, or lie inside, one of `folders` (the interpreter's own excepted)."""
    return [entry for entry in sys.path if os.path.exists(entry or os.curdir)  # not a path hook's token
            and any(_inside(_real(entry), folder) for folder in folders) and not _trusted(_real(entry))]


def problems(graded: list[str], check_cwd: bool) -> list[str]:
    """What makes this start unsafe, in sentences; empty when it is safe. `check_cwd`: the process was
    started by our own entry point (a library caller's working folder is its own business)."""
    folders = graded_folders(graded)
    found = [f"module {name!r} was imported from {path}, a folder of student files or the working folder"
             for name, path in shadows(folders, _real(os.curdir) if check_cwd else None)]
    found += [f"{entry!r} is on sys.path (PYTHONPATH?) and holds graded files: a student's module could "
              f"replace one of the grader's imports" for entry in on_path(graded_folders(graded))]
    return found


def refusal(found: list[str], safe: str = SAFE_COMMANDS) -> str:
    """The usage error's one message."""
    return ("refusing to run: " + "; ".join(found[:3]) + (f" (and {len(found) - 3} more)" if len(found) > 3 else "")
            + f". Start the grader with {safe}, which keeps the working folder off sys.path, and keep "
              "submissions' folders off PYTHONPATH")


def named_paths(argv: list[str]) -> list[str]:
    """The words of a command line that look like submissions, before it is parsed (so that the check can
    run before the parser's modules are imported): existing files or folders, not an option's value."""
    found, previous = [], ""
    for word in argv:
        if not word.startswith("-") and not (previous.startswith("-") and "=" not in previous) and os.path.exists(word):
            found.append(word)
        previous = word
    return found


def graded_paths(args) -> list[str]:
    """The submission paths a parsed command line grades (check, grade, autolab run, gradescope run)."""
    paths = list(getattr(args, "paths", None) or [])
    if isinstance(getattr(args, "path", None), str):
        paths.append(args.path)
    if isinstance(getattr(args, "root", None), str):  # gradescope run --root: ROOT/submission holds it
        paths.append(os.path.join(args.root, "submission", ""))
    return paths
