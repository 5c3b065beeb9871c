"""The red-team campaign: every attack in attacks/ graded by the real front end, and what it left behind.

Each attack is a small submission (see attacks/*.py: a header says which functions it attacks and
when it runs). One `python -m grader grade -j 1` of one folder grades them all, each followed by a copy
of submissions/correct_student.py, so that an attack that poisons the grader or its sandbox shows in
the honest submission graded next: first the plain attacks, then the "late" ones that try to hang,
kill or outlive the grader, and last the one that edits other submissions' files. The run goes
through run_grade.py, which lists the processes it leaves behind. The campaign runs once per user: as
root, the tests also run it as an unprivileged uid of its own (no account, no other process: an
attack's kill(-1) reaches nothing else), in a private mount namespace that makes the interpreter
under /root reachable.

What an attack may reach is planted for it to find: a secret file and .npy, a secret in the grader's
environment, a canary line in every honest copy (another student's work), a TCP and a UDP listener
on 127.0.0.1, the answer key in the grader's source tree (each run grades from its own copy of
grader/ and reference/, owned by the run's user as an instructor's checkout would be).
"""

from __future__ import annotations

import ast
import csv
import hashlib
import json
import os
import re
import secrets
import shutil
import socket
import stat
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ATTACKS = HERE / "attacks"
REPO = HERE.parents[1]
CORRECT = REPO / "submissions" / "correct_student.py"
REFERENCE = REPO / "reference" / "deep_nn.py"
WRAPPER = HERE / "run_grade.py"
LEAK = "REDTEAM" + "-LEAK: "
WALLS_ENV = "REDTEAM_SANDBOX_WALLS"  # e.g. "none": grade with the sandbox's walls off, to watch attacks succeed
UID_BASE = 61000  # unprivileged runs use UID_BASE + run number: uids no account or other process has
BATCH_SECONDS = 300  # a hung batch is killed after this
ORDER = ("batch", "late", "last")
GRADED = ("initialize_parameters", "initialize_parameters_deep", "linear_forward", "linear_activation_forward",
          "L_model_forward", "compute_cost", "linear_backward", "linear_activation_backward", "L_model_backward",
          "update_parameters")
END_TO_END = "end_to_end"
E2E_USES = frozenset(GRADED) - {"initialize_parameters", "initialize_parameters_deep"}


# --- the attacks -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Attack:
    name: str
    path: Path
    attacked: frozenset[str]
    order: int  # its place in the batch: ORDER's index of its "# run:" line
    honest_rest: bool  # the file asks for correct versions of every function it does not define
    symlink: str | None = None  # the submission is a symbolic link to this path, not the file's text

    def expected(self, unit: str) -> str:
        """'zero' or 'full': what containment means for one unit of this submission's report."""
        if unit in self.attacked or not self.honest_rest:
            return "zero"
        if unit == END_TO_END and self.attacked & E2E_USES:
            return "zero"
        return "full"


def load_attacks() -> list[Attack]:
    found = []
    for path in sorted(ATTACKS.glob("*.py")):
        text = path.read_text()
        attacked = re.search(r"^# attacked: (.+)$", text, re.M)
        run = re.search(r"^# run: (batch|late|last)$", text, re.M)
        if not attacked or not run:
            raise ValueError(f"{path.name}: the header needs '# attacked: ...' and '# run: batch|late|last' lines")
        link = re.search(r"^# symlink: (.+)$", text, re.M)
        found.append(Attack(path.stem, path, frozenset(n.strip() for n in attacked.group(1).split(",")),
                            ORDER.index(run.group(1)), "# __HONEST_REST__" in text, link.group(1) if link else None))
    return sorted(found, key=lambda a: (a.order, a.name))


def honest_rest(defined: set[str]) -> str:
    """Imports and correct functions from submissions/correct_student.py, less those in `defined`."""
    source = CORRECT.read_text()
    keep = [ast.get_source_segment(source, node) for node in ast.parse(source).body
            if isinstance(node, (ast.Import, ast.ImportFrom))
            or (isinstance(node, ast.FunctionDef) and node.name not in defined)]
    return "\n\n\n".join(keep) + "\n"


# --- what is planted ---------------------------------------------------------------------------------
class Listener:
    """A TCP and a UDP socket on 127.0.0.1 that record whatever reaches them."""

    def __init__(self):
        self.heard: list[bytes] = []
        self.tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.tcp.bind(("127.0.0.1", 0))
        self.tcp.listen(64)
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("127.0.0.1", 0))
        self.tcp_port, self.udp_port = self.tcp.getsockname()[1], self.udp.getsockname()[1]
        self._closed = False
        for target in (self._serve_tcp, self._serve_udp):
            threading.Thread(target=target, daemon=True).start()

    def _serve_tcp(self) -> None:
        while not self._closed:
            try:
                connection, _ = self.tcp.accept()
                connection.settimeout(2)
                self.heard.append(b"tcp:" + connection.recv(4096))
                connection.close()
            except OSError:
                continue

    def _serve_udp(self) -> None:
        while not self._closed:
            try:
                self.heard.append(b"udp:" + self.udp.recvfrom(4096)[0])
            except OSError:
                continue

    def close(self) -> None:
        self._closed = True
        for sock in (self.tcp, self.udp):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()


@dataclass
class Secrets:
    """Values an attack must never carry into a report, and where it could find them."""

    base: Path
    file_text: str = field(default_factory=lambda: "REDTEAM-SECRET-FILE-" + secrets.token_hex(8))
    npy_text: str = field(default_factory=lambda: "REDTEAM-SECRET-NPY-" + secrets.token_hex(8))
    env_value: str = field(default_factory=lambda: "env" + secrets.token_hex(10))
    canary: str = field(default_factory=lambda: "cnry" + secrets.token_hex(10))

    def plant(self) -> None:
        import numpy as np

        self.secret_file.write_text(self.file_text + "\n")
        np.save(self.secret_npy, np.frombuffer(self.npy_text.encode(), np.uint8))
        for path in (self.secret_file, self.secret_npy):
            path.chmod(0o644)

    @property
    def secret_file(self) -> Path:
        return self.base / "secret.txt"

    @property
    def secret_npy(self) -> Path:
        return self.base / "secret.npy"

    def needles(self) -> dict[str, str]:
        """What must not appear in an attack's report, by what it would mean."""
        found = {"the secret file's text": self.file_text, "the secret .npy's text": self.npy_text,
                 "the grader's environment (REDTEAM_SECRET)": self.env_value,
                 "another submission's code (its canary line)": self.canary,
                 "the host's /etc/passwd": "root:x:0:0:"}
        student = CORRECT.read_text()
        attacks = "".join(p.read_text() for p in ATTACKS.glob("*.py"))
        for line in REFERENCE.read_text().splitlines():
            line = line.strip()
            if len(line) >= 30 and line not in student and line not in attacks:
                found.setdefault("the answer key's source", line)
                if "--" in line:  # its title line: the most telling one
                    found["the answer key's source"] = line
        return found


# --- runs ----------------------------------------------------------------------------------------------
@dataclass
class Run:
    user: str  # "root", "unprivileged" or "user" (not root: the tests' own uid)
    folder: Path
    uid: int | None  # the uid to drop to, or None to run as ourselves
    attacks: list[Attack] = field(default_factory=list)
    stems: dict[str, str] = field(default_factory=dict)  # attack name -> its file's stem
    honest_after: dict[str, str] = field(default_factory=dict)  # attack name -> stem of the honest copy next
    baseline_stem: str | None = None
    result: dict = field(default_factory=dict)
    hashes_before: dict[str, str] = field(default_factory=dict)
    hashes_after: dict[str, str] = field(default_factory=dict)
    leftover_uid_processes: list[str] = field(default_factory=list)

    @property
    def subs(self) -> Path:
        return self.folder / "submissions"

    @property
    def out(self) -> Path:
        return self.folder / "reports"

    @property
    def src(self) -> Path:
        return self.folder / "src"

    def report(self, stem: str) -> tuple[dict | None, str]:
        path = self.out / f"{stem}.json"
        try:
            text = path.read_text(errors="replace")
            return json.loads(text), text
        except (OSError, ValueError):
            return None, ""

    def summary_row(self, stem: str) -> str:
        try:
            with open(self.out / "summary.csv", newline="") as handle:
                return " ".join(" ".join(row) for row in csv.reader(handle) if row and row[0] == stem)
        except OSError:
            return ""

    def log(self, name: str) -> bytes:
        try:
            return (self.folder / "log" / name).read_bytes()
        except OSError:
            return b""


def tree_hashes(*roots: Path) -> dict[str, str]:
    """Every file under the roots (bytecode caches aside) -> a digest of its bytes."""
    found = {}
    for root in roots:
        for path in sorted(root.rglob("*")):
            if "__pycache__" in path.parts or not path.is_file() or path.is_symlink():
                continue
            try:
                found[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
            except OSError:
                found[str(path)] = "unreadable"
    return found


def normalized(report: dict | None, stem: str = ""):
    """A report without what differs between two gradings of the same code: its path, its file's name
    wherever the feedback quotes it, and timings."""
    def strip(value):
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k not in ("submission", "seconds")}
        if isinstance(value, list):
            return [strip(v) for v in value]
        if isinstance(value, str) and stem:
            return value.replace(stem, "<submission>")
        return value
    return strip(report)


def interpreter_hiding() -> tuple[str, list[str]] | None:
    """(a folder other users cannot enter, [its entries that hold the interpreter and the virtualenv]),
    or None when other users can reach them all."""
    hidden: str | None = None
    keeps: list[str] = []
    for target in (sys.executable, sys.base_prefix, sys.prefix):
        parts = Path(os.path.realpath(target)).parts
        for depth in range(1, len(parts) - 1):
            folder = str(Path(*parts[:depth + 1]))
            if not os.stat(folder).st_mode & stat.S_IXOTH:
                if hidden not in (None, folder):
                    raise RuntimeError(f"the interpreter is behind two closed folders: {hidden}, {folder}")
                hidden = folder
                if parts[depth + 1] not in keeps:
                    keeps.append(parts[depth + 1])
                break
    return (hidden, keeps) if hidden else None


class Campaign:
    def __init__(self, base: Path, users: tuple[str, ...]):
        self.base, self.users = base, users
        self.token = "rt" + secrets.token_hex(6)
        self.attacks = {a.name: a for a in load_attacks()}
        self.secrets = Secrets(base)
        self.listener: Listener | None = None
        self.runs: list[Run] = []
        self.markers: list[str] = []
        self.setup_errors: dict[str, str] = {}

    # -- building -------------------------------------------------------------------------------
    def attack_token(self, user: str, attack: str) -> str:
        return f"{self.token}-{user}.{attack}"

    def render(self, attack: Attack, user: str) -> str:
        text = attack.path.read_text()
        defined = {n.name for n in ast.parse(text).body if isinstance(n, ast.FunctionDef)}
        values = {"__TOKEN__": self.attack_token(user, attack.name), "__SECRET_FILE__": str(self.secrets.secret_file),
                  "__SECRET_NPY__": str(self.secrets.secret_npy), "__TCP_PORT__": str(self.listener.tcp_port),
                  "__UDP_PORT__": str(self.listener.udp_port)}
        if attack.honest_rest:
            text = text.replace("# __HONEST_REST__", honest_rest(defined))
        for key, value in values.items():
            text = text.replace(key, value)
        return text

    def honest(self) -> str:
        return f"# honest-canary-{self.secrets.canary}\n" + CORRECT.read_text()

    def build(self) -> None:
        self.base.chmod(0o755)
        self.secrets.plant()
        self.listener = Listener()
        for number, user in enumerate(self.users):
            run = Run(user, self.base / f"{number}-{user}", UID_BASE + number if user == "unprivileged" else None)
            for folder in (run.subs, run.out, run.folder / "home", run.folder / "log"):
                folder.mkdir(parents=True)
            for name in ("grader", "reference"):  # the run's own checkout, which an attack may try to edit
                shutil.copytree(REPO / name, run.src / name, ignore=shutil.ignore_patterns("__pycache__"))
            run.baseline_stem = "00_honest"
            (run.subs / "00_honest.py").write_text(self.honest())
            for index, attack in enumerate(self.attacks.values(), start=1):
                stem, after = f"{index:02d}a_{attack.name}", f"{index:02d}b_honest"
                if attack.symlink:
                    (run.subs / f"{stem}.py").symlink_to(attack.symlink)
                else:
                    (run.subs / f"{stem}.py").write_text(self.render(attack, user))
                (run.subs / f"{after}.py").write_text(self.honest())
                run.attacks.append(attack)
                run.stems[attack.name], run.honest_after[attack.name] = stem, after
            run.folder.chmod(0o755)
            if run.uid is not None:  # the instructor's own files: the submissions, the reports, the checkout
                for path in [run.folder, *run.folder.rglob("*")]:
                    os.lchown(path, run.uid, run.uid)
            run.hashes_before = tree_hashes(run.subs, run.src)
            self.runs.append(run)

    # -- running ----------------------------------------------------------------------------------
    def _command(self, run: Run) -> list[str]:
        log = run.folder / "log"
        wrapper = [sys.executable, str(WRAPPER), str(log / "result.json"), "--timeout", str(BATCH_SECONDS),
                   "--stdout", str(log / "stdout"), "--stderr", str(log / "stderr")]
        if run.uid is not None:
            wrapper += ["--uid", str(run.uid)]
            hiding = interpreter_hiding()
            if hiding:
                wrapper += ["--hide", hiding[0], "--stash", str(run.folder / "log" / "stash")]
                wrapper += [arg for keep in hiding[1] for arg in ("--keep", keep)]
                (run.folder / "log" / "stash").mkdir(exist_ok=True)
        grade = [sys.executable, "-m", "grader", "grade", str(run.subs), "--out", str(run.out),
                 "-j", "1", "--seed", "0", "--device", "cpu", "--no-progress"]
        if os.environ.get(WALLS_ENV):  # to see the attacks get through: no walls at all
            grade.append("--allow-weak-sandbox")
        return wrapper + ["--", *grade]

    def _env(self, run: Run) -> dict[str, str]:
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", "HOME": str(run.folder / "home"),
               "USER": "redteam", "LOGNAME": "redteam", "REDTEAM_SECRET": self.secrets.env_value,
               "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
        if os.environ.get(WALLS_ENV):
            env["GRADER_SANDBOX_WALLS"] = os.environ[WALLS_ENV]
        return env

    def _execute(self, run: Run) -> None:
        timeout = BATCH_SECONDS + 30
        with open(run.folder / "log" / "supervisor", "wb") as log:
            try:
                subprocess.run(self._command(run), cwd=run.src, env=self._env(run), stdin=subprocess.DEVNULL,
                               stdout=log, stderr=log, timeout=timeout)
            except subprocess.TimeoutExpired:
                pass  # the supervisor itself was stopped: what it would have written is missing, which says so
        if run.uid is not None:
            run.leftover_uid_processes = kill_uid(run.uid)
        try:
            run.result = json.loads((run.folder / "log" / "result.json").read_text())
        except (OSError, ValueError):
            run.result = {}
        if run.result.get("setup_error"):
            self.setup_errors[run.user] = ("cannot run the grader as an unprivileged uid here: "
                                           f"{run.result['setup_error']} (a private mount namespace is needed to "
                                           "reach an interpreter under a folder other users cannot enter)")
        elif run.report(run.baseline_stem)[0] is None and b"--allow-weak-sandbox" in run.log("stderr"):
            refusal = run.log("stderr").decode(errors="replace").strip().splitlines()[-1]
            self.setup_errors[run.user] = f"the kernel offers the grader no wall for student code: {refusal}"
        run.hashes_after = tree_hashes(run.subs, run.src)

    def execute(self) -> None:
        with ThreadPoolExecutor(len(self.runs)) as pool:
            list(pool.map(self._execute, self.runs))
        self.markers = find_markers(self.token, self.base)

    def close(self) -> None:
        if self.listener is not None:
            self.listener.close()
        for path in self.markers:
            remove(Path(path))

    # -- judging ------------------------------------------------------------------------------------
    def run_of(self, user: str) -> Run:
        return next(r for r in self.runs if r.user == user)

    def baseline(self, user: str) -> dict | None:
        run = self.run_of(user)
        return run.report(run.baseline_stem)[0]

    def changed_files(self, run: Run) -> list[str]:
        """Files of the run's submissions and checkout that changed or appeared (markers aside)."""
        return sorted(p for p in set(run.hashes_before) | set(run.hashes_after)
                      if run.hashes_before.get(p) != run.hashes_after.get(p) and self.token not in p)

    def run_problems(self, run: Run) -> list[str]:
        """What went wrong with a run as a whole: it hung, it was killed, it left processes."""
        result = run.result
        if not result:
            return ["the run's supervisor (run_grade.py) was killed or stopped from inside the sandbox, "
                    f"and {len(run.leftover_uid_processes)} processes of the run's uid were left: "
                    f"{run.leftover_uid_processes[:3]}"]
        problems = []
        if result.get("timed_out"):
            problems.append(f"grading hung: killed after {result['seconds']} s; the first submission without "
                            f"a report is {self.first_missing(run)}")
        for survivor in result.get("survivors", []):
            problems.append(f"a process outlived grading: pid {survivor['pid']} uid {survivor['uid']} "
                            f"({survivor['cmdline'][:80]})")
        if run.leftover_uid_processes:
            problems.append(f"processes of the run's uid were left: {run.leftover_uid_processes[:3]}")
        return problems

    def first_missing(self, run: Run) -> str | None:
        stems = sorted(p.stem for p in run.subs.glob("*.py"))
        return next((s for s in stems if run.report(s)[0] is None), None)

    def problems(self, user: str, name: str) -> list[str]:
        """Every way in which this attack was not contained for this user (empty: contained)."""
        attack, run = self.attacks[name], self.run_of(user)
        stem, problems = run.stems[name], []
        report, text = run.report(stem)
        if report is None:
            problems.append(f"no report for {stem} (the batch's first submission without one: "
                            f"{self.first_missing(run)}; the batch: {self.run_problems(run) or 'ended normally'})")
        else:
            scores = {t.get("function"): (t.get("score", 0.0), t.get("max_score", 0.0))
                      for t in report.get("tests", [])}
            for unit in (*GRADED, END_TO_END):
                got, most = scores.get(unit, (0.0, None))
                if attack.expected(unit) == "zero" and got:
                    problems.append(f"{unit} scored {got:g}/{most or 0:g} (it is attacked, or not even defined)")
                elif attack.expected(unit) == "full" and (most is None or got != most):
                    problems.append(f"{unit} scored {got:g}/{most if most is not None else '?'} (that part of the "
                                    "submission is correct: the attack changed its grading)")
            if len(text) > 512 * 1024:
                problems.append(f"the report is {len(text)} bytes long")
        carried = text + run.summary_row(stem)
        for meaning, needle in self.secrets.needles().items():
            if needle in carried:
                problems.append(f"the report carries {meaning}")
        if LEAK in carried:
            at = carried.index(LEAK) + len(LEAK)
            problems.append("the attack reports a gain: " + carried[at:at + 240].split('"')[0])
        if str(run.out) in carried:
            problems.append("the report carries the grader's command line (the reports folder)")
        token = self.attack_token(user, name)
        files = [m for m in self.markers if token + "-" in m]
        if files:
            problems.append(f"files written outside the sandbox: {', '.join(files[:4])}")
        edited = [p for p in self.changed_files(run) if token in _read(p)]
        if edited:
            problems.append(f"files edited on disk: {', '.join(edited[:4])}")
        heard = [h for h in self.listener.heard if token.encode() in h]
        if heard:
            problems.append(f"the listener on 127.0.0.1 heard: {heard[0][:80]!r}")
        script = f'<script>alert("{token}")'
        pages = [str(p) for p in run.out.rglob("*") if p.suffix in (".html", ".md") and script in _read(str(p))]
        if pages:
            problems.append(f"a report page holds the submission's script unescaped: {', '.join(pages[:3])}")
        if name == "output_flood":
            flooded = sum(run.log(n).count(b"flood ") for n in ("stdout", "stderr"))
            if flooded:
                problems.append(f"the grader's own output was flooded ({flooded} words)")
        after = run.honest_after[name]
        honest, _ = run.report(after)
        baseline = self.baseline(user)
        if baseline is not None and normalized(honest, after) != normalized(baseline, run.baseline_stem):
            score = honest.get("score") if honest else None
            problems.append(f"the honest submission graded next ({after}) got a different report (score {score})")
        return problems


def _read(path: str) -> str:
    try:
        return Path(path).read_text(errors="replace")
    except OSError:
        return ""


def kill_uid(uid: int) -> list[str]:
    """Kill every process of `uid` (a uid only one run uses); say what there was."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status") as status:
                fields = dict(line.split(":", 1) for line in status if ":" in line)
            if uid not in (int(fields["Uid"].split()[0]), int(fields["Uid"].split()[1])):
                continue
            with open(f"/proc/{entry}/cmdline", "rb") as handle:
                cmdline = handle.read().replace(b"\0", b" ").decode(errors="replace")[:120]
            found.append(f"pid {entry} ({fields.get('State', '').strip()}, parent {fields.get('PPid', '').strip()}): "
                         f"{cmdline}")
            os.kill(int(entry), 9)
        except (OSError, KeyError, ValueError):
            continue
    return found


def find_markers(token: str, base: Path) -> list[str]:
    """Files whose names carry the campaign's token: in scratch folders, the repository, site-packages."""
    import numpy

    roots = [(Path("/tmp"), 2), (Path("/var/tmp"), 2), (Path("/dev/shm"), 2), (base, 8), (Path.home(), 1),
             (REPO, 1), (REPO / "grader", 2), (REPO / "reference", 1), (REPO / "tests", 2), (REPO / "submissions", 1),
             (Path(numpy.__file__).parent, 1), (Path(numpy.__file__).parents[1], 1)]
    found: set[str] = set()
    for root, depth in roots:
        start = len(root.parts)
        for folder, dirs, files in os.walk(root, onerror=lambda e: None):
            if len(Path(folder).parts) - start >= depth:
                dirs[:] = [d for d in dirs if token in d]
            found.update(os.path.join(folder, n) for n in dirs + files if token in n)
    return sorted(found)


def remove(path: Path) -> None:
    try:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink()
    except OSError:
        pass
