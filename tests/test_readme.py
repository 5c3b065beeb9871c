"""Every command README shows is one a test runs or checks, and README starts the grader only safely.

README is the user's guide: a newcomer copies its commands. Each fenced `bash` (and `make`) command is
split into simple commands, and each simple command must match a rule below: the grader's own commands
are parsed by the grader's parser (and the cheap ones on bundled files are run, their exit status or
output compared with what README says beside them), pytest's options must be ones `pytest --help`
lists, pip's pins must be the ones CI and the Dockerfile install, and the few that cannot run in a test
are listed in NOT_RUN with the reason, and checked against the files they rely on instead. A command no
rule knows fails the test, so a new command cannot land unchecked.

`python -m grader` (without -P) puts the working folder first on sys.path, so a student's hashlib.py
next to it runs inside the grader: README, CONTRIBUTING.md and the docs pages (packs.md included) must
never show it.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
TEXT = README.read_text(encoding="utf-8")
FENCE = re.compile(r"^```(\w*)[ \t]*\n(.*?)^```[ \t]*$", re.M | re.S)
OPERATORS = {"&&", "||", ";", "|"}
SAFE_PAGES = [README, ROOT / "CONTRIBUTING.md", *(ROOT / "docs" / name for name in (
    "batch.md", "design.md", "fairness.md", "grading.md", "packs.md", "performance.md", "platforms.md", "pytest.md", "security.md"))]

# Commands that cannot run inside a test, and why; each is checked against what it relies on instead.
NOT_RUN = {
    "venv": "makes a virtual environment, and the test already runs in one",
    "activate": "changes the calling shell, which a test does not have",
    "pip": "installs from a package index; its pins are checked against .ci/run, the Dockerfile and pyproject",
    "docker": "needs a Docker daemon; checked against the Dockerfile (build args, entry point, working folder)",
    "test suite": "is the whole test suite, this test among it; checked to be exactly the command CI runs",
    "quick start": ("grades all the bundled examples (half a minute on 2 cores); its parse is checked here, the "
                    "line and exit status README promises are checked against tests/expected_outcomes.py and "
                    "tests/expected_conv_outcomes.py, which tests/test_submissions.py and test_conv_grading.py grade"),
    "heavy grader command": ("writes platform files, computes autograd's answers or needs a file README only names "
                             "(rubric.toml, a student's notebook); parsed by the grader's own parser"),
}


def fenced(text: str, language: str) -> list[str]:
    return [body for lang, body in FENCE.findall(text) if lang == language]


def command_lines() -> list[str]:
    """README's commands: each line of a bash block, and each recipe line of a make block ($$ is make's $)."""
    lines = [line for body in fenced(TEXT, "bash") for line in body.splitlines() if line.strip()]
    lines += [line.strip().replace("$$", "$") for body in fenced(TEXT, "make") for line in body.splitlines()
              if line.startswith("\t")]
    return lines


def split(line: str) -> tuple[list[list[str]], str]:
    """A command line as simple commands (split at &&, || and ;) and its trailing comment."""
    lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
    lexer.whitespace_split, lexer.commenters = True, ""
    tokens = list(lexer)
    comment = ""
    if "#" in tokens:  # a word of its own: the rest is README's comment on the command
        at = tokens.index("#")
        comment, tokens = line[line.index(" # ") + 3:] if " # " in line else "", tokens[:at]
    parts, current = [], []
    for token in tokens:
        if token in OPERATORS:
            parts.append(current)
            current = []
        else:
            current.append(token)
    return [part for part in parts + [current] if part], comment


def grader_argv(argv: list[str]) -> list[str] | None:
    """The grader's own arguments, when argv starts the grader the safe way; None otherwise."""
    if argv[0] == "backprop-grader":
        return argv[1:]
    if re.fullmatch(r"python3?(\.\d+)?", argv[0]) and argv[1:4] == ["-P", "-m", "grader"]:
        return argv[4:]
    return None


def parse_grader(args: list[str]) -> None:
    from grader.frontends.cli import build_parser

    try:
        build_parser().parse_args(args)
    except SystemExit as stop:
        raise AssertionError(f"the grader's parser refuses README's `{shlex.join(args)}` (exit {stop.code})") from None


def bundled(path: str) -> bool:
    return (ROOT / path).exists() and not Path(path).is_absolute()


def claimed_status(comment: str) -> int | None:
    found = re.search(r"exit status (\d)", comment)
    return int(found.group(1)) if found else None


@pytest.fixture(scope="module")
def pytest_help() -> str:
    done = subprocess.run([sys.executable, "-m", "pytest", "--help", "-p", "no:cacheprovider"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def ci_test_command() -> str:
    lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()]
    return [line for line in lines if line.startswith("python -m pytest")][-1]


def dockerfile() -> str:
    return (ROOT / "Dockerfile").read_text(encoding="utf-8")


def check_pip(args: list[str]) -> str:
    assert args[0] == "install", f"README's pip does {args[0]!r}, not install"
    rest = args[1:]
    if rest == ["-e", ".[test]"]:
        extras = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["optional-dependencies"]
        assert "test" in extras, "README installs the [test] extra, which pyproject.toml does not define"
    elif len(rest) == 1 and rest[0].startswith("torch=="):
        pin = rest[0]
        assert f"pip install --quiet {pin}" in (ROOT / ".ci" / "run").read_text(encoding="utf-8"), f"CI does not install {pin}"
        assert f"ARG TORCH_VERSION={pin.split('==')[1]}" in dockerfile(), f"the Dockerfile does not install {pin}"
    elif rest[:2] == ["torch", "--index-url"] and len(rest) == 3:
        url = rest[2]
        assert f"--index-url {url}" in dockerfile(), "the Dockerfile installs torch from another index"
        setup = (ROOT / "grader" / "platforms" / "templates" / "setup.sh").read_text(encoding="utf-8")
        assert f"--index-url {url}" in setup, "Gradescope's setup.sh installs torch from another index"
    else:
        raise AssertionError(f"no rule for README's `pip {shlex.join(args)}`")
    return f"not run: {NOT_RUN['pip']}"


def check_docker(args: list[str], lines: list[str]) -> str:
    docker = dockerfile()
    if args[0] == "build":
        assert args[-1] == "." and (ROOT / "Dockerfile").is_file()
        for i, word in enumerate(args):
            if word == "--build-arg":
                name = args[i + 1].split("=")[0]
                assert re.search(rf"^ARG {name}\b", docker, re.M), f"the Dockerfile takes no build arg {name}"
        assert "-t" in args
    elif args[0] == "run":
        tags = {shlex.split(line)[shlex.split(line).index("-t") + 1] for line in lines if line.startswith("docker build")}
        workdir = re.findall(r"^WORKDIR (\S+)", docker, re.M)[-1]
        i, mounts = 1, []
        while args[i].startswith("-"):
            if args[i] in ("-v", "--volume"):
                mounts.append(args[i + 1].split(":")[1])
                i += 1
            i += 1
        image, rest = args[i], args[i + 1:]
        assert image in tags, f"README runs image {image!r} but builds {sorted(tags)}"
        assert re.search(r'^ENTRYPOINT \[("python"(, "-[A-Za-z]+")*, "-m", "grader"|"backprop-grader")\]', docker, re.M), \
            "the image's entry point is not the grader"
        for target in mounts:  # the entry point starts the grader in WORKDIR: a handin there is on its sys.path
            assert not (target.rstrip("/") + "/").startswith(workdir.rstrip("/") + "/"), \
                f"README mounts a handin at {target}, inside the folder the grader starts in ({workdir})"
        parse_grader(rest)
    else:
        raise AssertionError(f"no rule for README's `docker {shlex.join(args)}`")
    return f"not run: {NOT_RUN['docker']}"


def check(line: str, lines: list[str], pytest_help: str) -> list[str]:
    """Check one README command line; returns how each of its simple commands was checked."""
    parts, comment = split(line)
    how = []
    for argv in parts:
        args = grader_argv(argv)
        if args is not None:
            parse_grader(args)
            if args[:1] == ["check"] and bundled(args[1]) and claimed_status(comment) is not None:
                script = Path(sys.executable).with_name("backprop-grader")  # the console script itself, where installed
                start = [str(script)] if argv[0] == "backprop-grader" and script.exists() else [sys.executable, "-P", "-m", "grader"]
                done = subprocess.run([*start, *args], cwd=ROOT, capture_output=True, text=True, timeout=300)
                assert done.returncode == claimed_status(comment), (line, done.stdout[-2000:], done.stderr[-2000:])
                how.append("run")
            elif args[:1] == ["grade"] and args[1:2] == ["submissions/"]:
                how.append(f"parsed, not run: {NOT_RUN['quick start']}")
            else:
                how.append(f"parsed, not run: {NOT_RUN['heavy grader command']}")
        elif argv[:3] == ["python", "-m", "pytest"]:
            assert shlex.join(argv) == ci_test_command(), "README's test command is not the one CI runs (.ci/run)"
            how.append(f"not run: {NOT_RUN['test suite']}")
        elif argv[0] == "pytest":
            for word in argv[1:]:
                if word.startswith("-"):
                    option = word.split("=")[0]
                    assert re.search(rf"(^|[\s,]){re.escape(option)}\b", pytest_help, re.M), f"pytest --help lists no {option}"
            paths = [word.split("=", 1)[1] if word.startswith("--submission=") else word
                     for word in argv[1:] if word.startswith("--submission=") or not word.startswith("-")]
            if "Score:" in comment and all(bundled(p) for p in paths):
                done = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *argv[1:]], cwd=ROOT,
                                      capture_output=True, text=True, timeout=300)
                assert comment.strip() in done.stdout, (line, done.stdout[-3000:])
                how.append("run")
            else:
                how.append("options checked against pytest --help")
        elif argv[:3] == ["python3", "-m", "venv"]:
            how.append(f"not run: {NOT_RUN['venv']}")
        elif argv[0] == ".":
            assert argv[1] == ".venv/bin/activate", "README activates a virtual environment it did not make"
            how.append(f"not run: {NOT_RUN['activate']}")
        elif argv[0] == "pip":
            how.append(check_pip(argv[1:]))
        elif argv[0] == "docker":
            how.append(check_docker(argv[1:], lines))
        elif argv[0] == "[":  # the Autolab recipe's `|| [ $? -le 2 ]`: 0, 1 and 2 all wrote the autoresult
            from grader.exits import Exit

            assert argv == ["[", "$?", "-le", str(int(Exit.NOT_GRADED)), "]"], argv
            how.append("checked against grader/exits.py")
        else:
            raise AssertionError(f"no rule for README's command `{shlex.join(argv)}`: run it in this test, or list "
                                 "why it cannot run in NOT_RUN")
    return how


LINES = command_lines()


def test_readme_has_its_two_newcomer_commands():
    assert any("python -P -m grader grade submissions/" in line and "pip install" in line for line in LINES)
    assert ci_test_command() in LINES


@pytest.mark.timeout(600)
@pytest.mark.parametrize("line", LINES, ids=[line[:60] for line in LINES])
def test_every_readme_command_is_run_or_checked(line, pytest_help):
    how = check(line, LINES, pytest_help)
    assert how, line


def test_inline_grader_commands_parse():
    spans = re.findall(r"`((?:python3? -P -m grader|backprop-grader) [^`]+)`", TEXT)
    assert spans, "README names no grader command inline (the rule below would check nothing)"
    for span in spans:
        parse_grader(shlex.split(span)[4 if span.startswith("python") else 1:])


@pytest.mark.parametrize("page", SAFE_PAGES, ids=[p.name for p in SAFE_PAGES])
def test_no_page_starts_the_grader_without_P(page):
    """`python -m grader` (also `python3 -m grader`, with flags other than -P or -I) anywhere on the page fails."""
    text = page.read_text(encoding="utf-8")
    unsafe = [m.group(0) for m in re.finditer(r"\bpython[\d.]*((?:\s+-[A-Za-z]+)*)\s+-m\s+grader\b", text)
              if not re.search(r"-[A-Za-z]*[PI]", m.group(1))]
    assert not unsafe, f"{page.name} starts the grader with the working folder on sys.path: {unsafe}"


def test_the_rule_against_unsafe_start_up_catches_it(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("run `python3 -m grader check x.py`, or `python -P -m grader check x.py`\n", encoding="utf-8")
    with pytest.raises(AssertionError, match="python3 -m grader"):
        test_no_page_starts_the_grader_without_P(page)


def test_the_safe_starts_keep_a_students_module_in_the_working_folder_out(tmp_path):
    """README's claim: -P (and the console script) keep the working folder off sys.path, so a student's
    hashlib.py there does not run. The control shows that the file runs when the folder is on the path."""
    marker = tmp_path / "ran"
    (tmp_path / "hashlib.py").write_text(f"open({str(marker)!r}, 'w').close()\nfrom _hashlib import *\n", encoding="utf-8")
    subprocess.run([sys.executable, "-c", "import hashlib"], cwd=tmp_path, capture_output=True, timeout=60)
    assert marker.exists(), "the control failed: the student's hashlib.py did not run even with the folder on sys.path"
    marker.unlink()
    script = Path(sys.executable).with_name("backprop-grader")
    starts = [[sys.executable, "-P", "-m", "grader", "--version"]] + ([[str(script), "--version"]] if script.exists() else [])
    for start in starts:
        done = subprocess.run(start, cwd=tmp_path, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0 and "grader" in done.stdout, (start, done.stderr[-2000:])
        assert not marker.exists(), f"{start} ran the student's hashlib.py from the working folder"
    minimum = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["requires-python"]
    found = re.fullmatch(r">=\s*(\d+)\.(\d+)", minimum.strip())
    assert found and (int(found.group(1)), int(found.group(2))) >= (3, 11), "-P needs Python 3.11: the project must require it"


def test_the_quick_starts_promised_line_and_status_follow_the_bundled_examples():
    """README says what the quick start ends with and why it exits 1; both follow from the examples'
    expected outcomes (which other tests grade): all graded, some with full marks, some losing points."""
    from grader.exits import Exit, worst
    from grader.pack_testing import expected_outcomes, losing_units

    every = [o for expected in expected_outcomes(ROOT).values() for o in expected.values()]
    assert all(getattr(outcome, "status", "graded") == "graded" for outcome in every)
    total = len(every)
    full = sum(not losing_units(o) for o in every)
    bundled = [p for p in (ROOT / "submissions").iterdir() if p.suffix in (".py", ".ipynb")]
    assert total == len(bundled)
    flat = " ".join(TEXT.split())
    assert f"`{total} submissions: {total} graded ({full} with full marks).`" in flat
    status = worst([Exit.LOST_POINTS if full < total else Exit.FULL_MARKS])
    assert f"It exits with status {int(status)}**" in flat and "grader/exits.py" in flat


def test_the_notebook_and_rubric_examples_hold(tmp_path):
    from inspect import signature

    from grader import check as notebook_check
    from grader.judge.rubric import load_rubric

    (block,) = fenced(TEXT, "python")
    assert block.startswith("from grader import check\n")
    for call in re.findall(r"^check\((.*?)\)\s", block, re.M):
        args = [a.strip() for a in call.split(",")]
        signature(notebook_check).bind(*args)  # a name or a function, then an optional namespace
    for page in (README, ROOT / "docs" / "grading.md"):
        for n, body in enumerate(fenced(page.read_text(encoding="utf-8"), "toml")):
            path = tmp_path / f"{page.stem}-{n}.toml"
            path.write_text(body, encoding="utf-8")
            load_rubric(path)  # a one-line GraderError for any mistake


def slug(heading: str) -> str:
    """GitHub's anchor for a heading."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


@pytest.mark.parametrize("page", SAFE_PAGES, ids=[p.name for p in SAFE_PAGES])
def test_links_between_pages_lead_somewhere(page):
    text = page.read_text(encoding="utf-8")
    for target, anchor in re.findall(r"\]\(([^)#\s]*)(?:#([^)\s]+))?\)", text):
        if target.startswith("http"):
            continue
        linked = (page.parent / target).resolve() if target else page
        assert linked.exists(), f"{page.name} links to {target}, which does not exist"
        if anchor and linked.suffix == ".md":
            headings = re.findall(r"^#+\s+(.*)$", linked.read_text(encoding="utf-8"), re.M)
            assert anchor in {slug(h) for h in headings}, f"{page.name} links to {target}#{anchor}, no such heading"


def test_the_system_packages_readme_names_are_the_ones_ci_installs():
    """README names Debian's packages for the browser tests inline; CI installs exactly those (.ci/run)."""
    named = re.findall(r"`apt-get install ([^`]+)`", " ".join(TEXT.split()))
    assert named, "README no longer says what the browser tests need"
    ci = " ".join((ROOT / ".ci" / "run").read_text(encoding="utf-8").replace("\\\n", " ").split())
    for packages in named:
        installed = re.search(r"apt-get install( -\S+)* ((?:[a-z][\w.-]* ?)+)", ci)
        assert installed and set(packages.split()) <= set(installed.group(2).split()), (packages, ci)
