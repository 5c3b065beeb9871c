"""Start-up that no file of a student can reach: the working folder off sys.path, and a refusal when a
module of the working folder or of a graded folder was imported anyway.

`python -m grader` puts the working folder first on sys.path. Started in a folder of submissions, a
student's `hashlib.py` (or `csv.py`, `argparse.py`, ...) would then be imported by the grader itself,
outside the sandbox, with the instructor's rights. So the very first lines of grader/__main__.py and of
`grader.frontends.cli.main` call `drop_working_folder()`, before anything else is imported, and then `problems()`
looks at what was imported before they ran: a module found in the working folder, or any file of a
graded folder, that is neither one of the grader's own files nor the interpreter's, or a graded folder
on sys.path, is a usage error (exit 4), said before the command line's own modules are imported.

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


_FOLDERS: dict[str, str] = {}


def _found_at(file: str) -> str:
    """Where a module's file was found: its folder resolved (once per folder, for speed), then its name.
    A file that is a link out of a graded folder still counts as found in it."""
    folder, name = os.path.split(os.path.abspath(file))
    if folder not in _FOLDERS:
        _FOLDERS[folder] = _real(folder)
    return os.path.join(_FOLDERS[folder], name)


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def _interpreter_dirs() -> set[str]:
    """The interpreter's and the virtualenv's own module folders: their standard library and
    site-packages (the user's too, where the interpreter reads it). Call only once the working folder is
    off sys.path: `site` and `sysconfig` are imported from wherever sys.path says."""
    import site
    import sysconfig

    found: set[str] = set()
    for base, platbase in {(sys.prefix, sys.exec_prefix), (sys.base_prefix, sys.base_exec_prefix)}:
        paths = sysconfig.get_paths(
            vars={"base": base, "platbase": platbase, "installed_base": base, "installed_platbase": platbase}
        )
        found.update(paths[key] for key in ("stdlib", "platstdlib", "purelib", "platlib"))
    found.update(getattr(site, "getsitepackages", list)())
    if getattr(site, "ENABLE_USER_SITE", False):
        found.add(site.getusersitepackages())
    return {_real(folder) for folder in found}


def _trusted(path: str, interpreter: set[str]) -> bool:
    """A file of the grader's package, or of the interpreter's own module folders."""
    return _inside(path, PACKAGE) or any(_inside(path, folder) for folder in interpreter)


def drop_working_folder() -> list[str]:
    """Take the working folder off sys.path: '' and '.' wherever they are, and the first entry where it
    is the working folder (what `python -m` and `python -c` put there; the same folder further down was
    put there on purpose, by site-packages or PYTHONPATH, and is judged by `problems`). Imports nothing.
    Returns what was removed; safe to call again."""
    removed = [entry for entry in sys.path if entry in ("", os.curdir)]
    sys.path[:] = [entry for entry in sys.path if entry not in ("", os.curdir)]
    if sys.path and getattr(sys.flags, "safe_path", False) is False and _real(sys.path[0]) == _real(os.curdir):
        removed.append(sys.path.pop(0))
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
    found, interpreter = [], _interpreter_dirs()
    for name, module in list(sys.modules.items()):
        file = getattr(module, "__file__", None)
        if not isinstance(file, str) or not (os.path.isabs(file) or os.path.exists(file)):
            continue  # not a file's path (some extension modules name themselves there)
        path = _found_at(file)
        if _trusted(path, interpreter) or name == "__main__":
            continue
        if any(_inside(path, folder) for folder in graded) or (cwd is not None and _import_root(name, path) == cwd):
            found.append((name, path))
    return sorted(found)


def on_path(folders: list[str]) -> list[str]:
    """sys.path entries that are, or lie inside, one of `folders` (the interpreter's own excepted)."""
    interpreter = _interpreter_dirs()
    return [
        entry
        for entry in sys.path
        if os.path.exists(entry or os.curdir)  # not a path hook's token
        and any(_inside(_real(entry), folder) for folder in folders)
        and not _trusted(_real(entry), interpreter)
    ]


def problems(graded: list[str], check_cwd: bool) -> list[str]:
    """What makes this start unsafe, in sentences; empty when it is safe. `check_cwd`: the process was
    started by our own entry point (a library caller's working folder is its own business)."""
    folders = graded_folders(graded)
    found = [
        f"module {name!r} was imported from {path}, a folder of student files or the working folder"
        for name, path in shadows(folders, _real(os.curdir) if check_cwd else None)
    ]
    found += [
        f"{entry!r} is on sys.path (PYTHONPATH?) and holds graded files: a student's module could "
        f"replace one of the grader's imports"
        for entry in on_path(graded_folders(graded))
    ]
    return found


def refusal(found: list[str], safe: str = SAFE_COMMANDS) -> str:
    """The usage error's one message."""
    return (
        "refusing to run: "
        + "; ".join(found[:3])
        + (f" (and {len(found) - 3} more)" if len(found) > 3 else "")
        + f". Start the grader with {safe}, which keeps the working folder off sys.path, and keep "
        "submissions' folders off PYTHONPATH"
    )


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
