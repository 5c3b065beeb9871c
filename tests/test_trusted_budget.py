"""Issue 20, items 3 and 5: the trusted side's memory and report size are bounded, and every field of
every frame a job sends is checked for its type and range.

One batch (`python -m grader grade -j 2`, the real front end) grades the memory attacks of the red team
(tests/redteam/attacks/mem_*.py and frame_field_types.py), each followed by an honest copy, a file of a
million `x=1` lines, and one submission per forged frame field; the tests read its reports. What each
asserts is what was contained: the report says which budget was hit (grader/judge/budget.py), the report file
stays small, the honest submissions of the same batch are graded unchanged, the batch's exit status is
the documented one. The peak memory of such a batch is a figure, not a test: benchmarks/trusted_memory.py.
"""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from grader.judge import budget
from grader.exits import Exit, for_report_dict, worst
from grader.sandbox import frames, wire
from redteam.campaign import CORRECT, load_attacks, normalized, honest_rest

pytestmark = pytest.mark.timeout(600)

MEMORY = {a.name: a for a in load_attacks() if a.name.startswith("mem_") or a.name == "frame_field_types"}
REPORT_LIMIT = 512 * 1024  # what the red team allows a report (its campaign's check): well under REPORT_BYTES

# Forged frames, one field wrong in each: (name, kind, the frame's fields as wire nodes, what the reason says).
_ERROR = {"~": "dict", "v": [["type", "E"], ["message", "m"], ["traceback", {"~": "list", "v": []}]]}


def _with(node: dict, key: str, value) -> dict:
    return {"~": "dict", "v": [[k, value if k == key else v] for k, v in node["v"]]}


def _float(x: float) -> dict:
    return {"~": "float", "v": repr(x)}


_RESULT = {"~": "dict", "v": [["i", 0], ["status", "ok"], ["seconds", _float(0.0)], ["value", None],
                              ["calls", {"~": "list", "v": []}], ["output", ""], ["output_chars", 0]]}
_QUESTION = {"~": "dict", "v": [["i", 0], ["helper", "linear_forward"], ["args", {"~": "tuple", "v": []}]]}
_LOAD = {"~": "dict", "v": [["errors", {"~": "list", "v": []}], ["functions", {"~": "list", "v": ["initialize_parameters"]}],
                            ["output", ""], ["output_chars", 0]]}
_ERRORED = _with(_with(_RESULT, "status", "error"), "value", None)
_ERRORED = {"~": "dict", "v": _ERRORED["v"] + [["error", _ERROR]]}
_CALL = {"~": "dict", "v": [["helper", "linear_forward"], ["matched", None]]}
_LOAD_ERROR = {"~": "dict", "v": [["filename", "f.py"], ["lineno", 1], *_ERROR["v"]]}

FORGED = {
    "result_i_text": (b"C", _with(_RESULT, "i", "0"), "its case number is not a whole number"),
    "result_i_negative": (b"C", _with(_RESULT, "i", -1), "its case number is not a whole number"),
    "result_status_number": (b"C", _with(_RESULT, "status", 5), "its status is not one of"),
    "result_status_unknown": (b"C", _with(_RESULT, "status", "done"), "its status is not one of"),
    "result_seconds_text": (b"C", _with(_RESULT, "seconds", "abc"), "its seconds is not a finite"),
    "result_seconds_negative": (b"C", _with(_RESULT, "seconds", _float(-1.0)), "its seconds is not a finite"),
    "result_seconds_nan": (b"C", _with(_RESULT, "seconds", _float(math.nan)), "its seconds is not a finite"),
    "result_seconds_inf": (b"C", _with(_RESULT, "seconds", _float(math.inf)), "its seconds is not a finite"),
    "result_output_number": (b"C", _with(_RESULT, "output", 5), "its output is not text"),
    "result_output_chars_text": (b"C", _with(_RESULT, "output_chars", "many"), "its output's length is not a whole number"),
    "result_calls_record": (b"C", _with(_RESULT, "calls", {"~": "dict", "v": []}), "its stand-in calls is not a list"),
    "result_call_not_record": (b"C", _with(_RESULT, "calls", {"~": "list", "v": ["x"]}), "a stand-in call is not a record"),
    "result_call_helper_number": (b"C", _with(_RESULT, "calls", {"~": "list", "v": [_with(_CALL, "helper", 7)]}),
                                  "a stand-in call's helper is not text"),
    "result_call_matched_list": (b"C", _with(_RESULT, "calls", {"~": "list", "v": [_with(_CALL, "matched", {"~": "list", "v": []})]}),
                                 "a stand-in call's match is not text"),
    "error_not_record": (b"C", _with(_ERRORED, "error", {"~": "list", "v": [1]}), "its error is not a record"),
    "error_type_number": (b"C", _with(_ERRORED, "error", _with(_ERROR, "type", 7)), "the error's type is not text"),
    "error_message_list": (b"C", _with(_ERRORED, "error", _with(_ERROR, "message", {"~": "list", "v": []})), "the error's message is not text"),
    "error_traceback_number": (b"C", _with(_ERRORED, "error", _with(_ERROR, "traceback", 7)), "the error's traceback is not a list"),
    "error_traceback_entry_short": (b"C", _with(_ERRORED, "error", _with(_ERROR, "traceback", {"~": "list", "v": [{"~": "list", "v": ["f"]}]})),
                                    "a traceback entry is not [file, line, function, text]"),
    "error_traceback_line_text": (b"C", _with(_ERRORED, "error", _with(_ERROR, "traceback", {"~": "list", "v": [{"~": "list", "v": ["f", "1", "g", "t"]}]})),
                                  "a traceback's line is not a whole number"),
    "question_i_text": (b"Q", _with(_QUESTION, "i", "0"), "its question's case number is not a whole number"),
    "question_helper_number": (b"Q", _with(_QUESTION, "helper", 7), "its question's helper is not text"),
    "question_args_list": (b"Q", _with(_QUESTION, "args", {"~": "list", "v": []}), "its question's arguments are not a tuple"),
    "load_errors_text": (b"L", _with(_LOAD, "errors", "x"), "the load errors is not a list"),
    "load_error_lineno_text": (b"L", _with(_LOAD, "errors", {"~": "list", "v": [_with(_LOAD_ERROR, "lineno", "1")]}),
                               "a load error's line is not a whole number"),
    "load_functions_number": (b"L", _with(_LOAD, "functions", 7), "the loaded functions is not a list"),
    "load_function_name_number": (b"L", _with(_LOAD, "functions", {"~": "list", "v": [7]}), "a loaded function's name is not text"),
    "load_output_chars_negative": (b"L", _with(_LOAD, "output_chars", -1), "its output's length is not a whole number"),
}

_FORGER = '''import json
import stat
import struct
import sys

HEADER = {header!r}
KIND = {kind!r}


def _send():
    raw = json.dumps(HEADER, separators=(",", ":")).encode()
    payload = struct.pack(">I", len(raw)) + raw
    data = KIND + struct.pack(">I", len(payload)) + payload
    posix = sys.modules.get("posix") or __import__("posix")
    for fd in range(3, 256):
        try:
            if stat.S_ISFIFO(posix.fstat(fd).st_mode):
                posix.write(fd, data)
        except OSError:
            pass

'''


def _forgery(kind: bytes, header: dict) -> str:
    """A submission that forges one frame: a load report from a class body (run while loading, before
    the job's own), a result or a question from inside initialize_parameters; the rest is correct."""
    text = _FORGER.format(header=header, kind=kind)
    if kind == b"L":
        return text + "\nclass Forge:\n    _send()\n\n\n" + CORRECT.read_text()
    return text + "\ndef initialize_parameters(n_x, n_h, n_y):\n    _send()\n\n\n" + honest_rest({"initialize_parameters"})


class Batch:
    def __init__(self, base: Path):
        self.base, self.subs, self.out = base, base / "submissions", base / "reports"
        self.subs.mkdir()
        self.honest: list[str] = ["00_honest"]
        (self.subs / "00_honest.py").write_text(CORRECT.read_text())
        for n, attack in enumerate(MEMORY.values(), start=1):
            text = attack.path.read_text()
            defined = {line.split("(")[0][4:] for line in text.splitlines() if line.startswith("def ")}
            (self.subs / f"{n:02d}a_{attack.name}.py").write_text(text.replace("# __HONEST_REST__", honest_rest(defined)))
            (self.subs / f"{n:02d}b_honest.py").write_text(CORRECT.read_text())
            self.honest.append(f"{n:02d}b_honest")
        (self.subs / "50_million_lines.py").write_text("x=1\n" * 1_000_000 + CORRECT.read_text())
        for name, (kind, header, _) in FORGED.items():
            (self.subs / f"60_{name}.py").write_text(_forgery(kind, header))
        (self.subs / "99_honest.py").write_text(CORRECT.read_text())
        self.honest.append("99_honest")
        command = [sys.executable, "-m", "grader", "grade", str(self.subs), "--out", str(self.out), "-j", "2",
                   "--seed", "0", "--device", "cpu", "--no-progress"]
        self.run = subprocess.run(command, capture_output=True, text=True, timeout=540)

    def report(self, stem: str) -> dict:
        return json.loads((self.out / f"{stem}.json").read_text())

    def stem(self, attack: str) -> str:
        return next(p.stem for p in self.subs.glob(f"*a_{attack}.py"))

    def scores(self, stem: str) -> dict[str, tuple[float, float]]:
        return {t["function"]: (t["score"], t["max_score"]) for t in self.report(stem)["tests"]}


@pytest.fixture(scope="module")
def batch():
    base = Path(tempfile.mkdtemp(prefix="trusted-budget-"))
    try:
        yield Batch(base)
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _notes(report: dict, function: str) -> list[str]:
    test = next(t for t in report["tests"] if t["function"] == function)
    return [c.get("note", "") for c in test["failed_cases"]] + [test["feedback"]]


# --- the batch as a whole --------------------------------------------------------------------------
def test_the_batch_ends_with_the_documented_status(batch):
    """Every submission gets a report; the batch exits with the worst of theirs: 2, the million-line file
    (could not be graded), not 3 (the grader failed)."""
    stems = sorted(p.stem for p in batch.subs.glob("*.py"))
    missing = [s for s in stems if not (batch.out / f"{s}.json").exists()]
    assert not missing, f"no report for {missing[:5]}; stderr: {batch.run.stderr[-2000:]}"
    codes = {s: for_report_dict(batch.report(s)) for s in stems}
    assert Exit.GRADER_FAULT not in codes.values(), [s for s, c in codes.items() if c == Exit.GRADER_FAULT]
    assert batch.run.returncode == worst(codes.values()) == Exit.NOT_GRADED


def test_every_report_file_stays_small(batch):
    sizes = {p.name: p.stat().st_size for p in batch.out.glob("*.json")}
    assert sizes and max(sizes.values()) < REPORT_LIMIT, sorted(sizes.items(), key=lambda kv: -kv[1])[:3]


def test_honest_submissions_of_the_batch_are_graded_unchanged(batch):
    baseline = batch.report("00_honest")
    assert baseline["score"] == baseline["max_score"] and "budget" not in baseline
    for stem in batch.honest[1:]:
        assert normalized(batch.report(stem), stem) == normalized(baseline, "00_honest"), stem


# --- the memory attacks ----------------------------------------------------------------------------
# What the report must say, function by function, in the notes of its cases (and then the report has
# a `budget` field); nothing where no budget is the wall (the job's own caps, or the trusted side's cuts
# of each string, which leave the report whole).
SAYS = {
    "mem_arrays_one_check": {"linear_backward": "for one check"},
    "mem_arrays_every_check": {"initialize_parameters": "for one check", "L_model_forward": "for one submission"},
    "mem_dict_of_ints": {"L_model_backward": "more data than the grader accepts",
                         "linear_activation_backward": "200,000 list, tuple and dict elements"},
    "mem_nested_lists": {"linear_activation_forward": "list, tuple and dict elements"},
    "mem_long_strings": {"compute_cost": "more data than the grader accepts"},
    "mem_questions_flood": {"L_model_forward": "for one check"},
    "mem_exception_names": {"linear_activation_backward": "more data than the grader accepts"},
    "mem_exception_messages": {},
    "mem_printed_output": {},
    "frame_field_types": {},
}


def test_every_memory_attack_has_an_expectation():
    assert set(SAYS) == set(MEMORY) and len(MEMORY) >= 10


@pytest.mark.parametrize("attack", sorted(MEMORY))
def test_memory_attack_is_contained(batch, attack):
    stem, spec = batch.stem(attack), MEMORY[attack]
    report = batch.report(stem)
    assert report["status"] == "graded" and for_report_dict(report) == Exit.LOST_POINTS
    for function, (score, most) in batch.scores(stem).items():
        if spec.expected(function) == "zero":
            assert score == 0, f"{function} scored {score}"
        else:
            assert score == most, f"{function} scored {score}/{most}: the attack changed the rest's grading"
    for function, words in SAYS[attack].items():
        assert any(words in note for note in _notes(report, function)), (function, _notes(report, function)[:2])
    assert ("budget" in report) == bool(SAYS[attack]), report.get("budget")


def test_a_spent_submission_budget_stops_its_later_checks(batch):
    report = batch.report(batch.stem("mem_arrays_every_check"))
    skipped = [t for t in report["tests"] if t["total_cases"] == 0]
    assert skipped and all("for one submission" in t["feedback"] for t in skipped), [t["feedback"] for t in skipped]
    ran = len(report["tests"]) - len(skipped)  # each check keeps at least its job's budget less one result
    assert 0 < ran <= budget.SUBMISSION_BYTES // (budget.JOB_BYTES - (16 << 20)) + 1


def test_exception_names_messages_and_tracebacks_are_capped(batch):
    for attack, function in (("mem_exception_names", "linear_backward"), ("mem_exception_messages", "L_model_forward")):
        report = batch.report(batch.stem(attack))
        test = next(t for t in report["tests"] if t["function"] == function)
        errors = [c["error"] for c in test["failed_cases"] if "error" in c]
        assert errors, test["failed_cases"][:1]
        for error in errors:
            assert len(error["type"]) <= frames.NAME_CHARS and len(error["message"]) <= frames.MESSAGE_CHARS
            assert len(error["traceback"]) <= frames.TRACEBACK_FRAMES
            assert all(len(line[3]) <= frames.LINE_CHARS for line in error["traceback"])
    loads = batch.report(batch.stem("mem_exception_messages"))["load_problems"]
    assert loads and all(len(p["message"]) <= frames.NAME_CHARS + frames.MESSAGE_CHARS + 2 for p in loads)


def test_printed_output_is_cut_to_the_rubric(batch):
    report = batch.report(batch.stem("mem_printed_output"))
    test = next(t for t in report["tests"] if t["function"] == "update_parameters")
    outputs = [c["output"] for c in test["failed_cases"] if "output" in c]
    assert outputs and all(len(o) <= 4000 for o in outputs)


def test_a_million_line_file_is_refused_before_it_is_parsed(batch):
    report = batch.report("50_million_lines")
    assert report["status"] == "error" and for_report_dict(report) == Exit.NOT_GRADED
    # refused by the first cap it passes: the characters read (intake.py), else the tokens parsed (loader.py)
    assert "over the limit of 2,000,000" in report["feedback"] or "tokens" in report["feedback"]


# --- forged frames, field by field -----------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(FORGED))
def test_a_forged_field_ends_only_its_check(batch, name):
    kind, _, reason = FORGED[name]
    report = batch.report(f"60_{name}")
    assert report["status"] == "graded"
    scores = batch.scores(f"60_{name}")
    if kind == b"L":  # the class body forges a load report in every check's job: each ends, saying why
        assert all(score == 0 for score, _ in scores.values())
        functions = [f for f in scores if f != "end_to_end"]
    else:
        assert scores["initialize_parameters"][0] == 0
        assert all(score == most for f, (score, most) in scores.items() if f != "initialize_parameters"), scores
        functions = ["initialize_parameters"]
    for function in functions:
        assert any(reason in note for note in _notes(report, function)), (function, _notes(report, function)[:2])


# --- the pieces, without a sandbox -----------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(FORGED))
def test_frames_rejects_each_wrong_field(name):
    kind, header, reason = FORGED[name]
    message = wire.decode(wire._LEN.pack(len(raw := json.dumps(header).encode())) + raw)
    check = {b"C": lambda m: frames.case_result(m, 4000), b"Q": frames.question, b"L": lambda m: frames.load_report(m, 4000)}[kind]
    with pytest.raises(frames.FrameError, match=reason.replace("[", r"\[").replace("]", r"\]")):
        check(message)


def test_frames_take_a_right_frame_and_cap_its_strings():
    taken = frames.case_result({**wire.decode(_raw(_ERRORED)), "error": {"type": "T" * 10**6, "message": "m" * 10**6,
                                                                          "traceback": [["f", 1, "g", "t" * 10**5]] * 1000}}, 4000)
    assert taken["status"] == "error" and len(taken["error"]["type"]) == frames.NAME_CHARS
    assert len(taken["error"]["message"]) == frames.MESSAGE_CHARS and len(taken["error"]["traceback"]) == frames.TRACEBACK_FRAMES
    assert frames.question(wire.decode(_raw(_QUESTION)))["helper"] == "linear_forward"


def _raw(header: dict) -> bytes:
    raw = json.dumps(header).encode()
    return wire._LEN.pack(len(raw)) + raw


def test_decoding_counts_elements_before_building_them():
    message = wire.encode({"k%d" % i: i for i in range(1000)})
    assert wire.decode_counted(message, max_elements=1000)[1] == 1000
    with pytest.raises(wire.WireTooLarge) as caught:
        wire.decode(message, max_elements=999)
    assert caught.value.elements
    with pytest.raises(wire.WireTooLarge):
        wire.decode(message, max_header=100)
    with pytest.raises(wire.WireTooLarge):
        wire.encode(list(range(1001)), max_elements=1000)


def test_an_oversized_report_is_trimmed_and_says_so():
    from grader.judge.results import CaseResult, Report, TestResult, make_report_dict

    report = Report("s.py", 0, "cpu", {}, 10.0)
    test = TestResult("f", "f", 10.0)
    test.cases = [CaseResult(i, "c", "d", "error", error={"type": "E" * 200, "message": "m" * 2000, "traceback": []},
                             output="o" * 4000, output_chars=4000, note="n" * 10**6) for i in range(5)]
    test.cases.append(CaseResult(5, "c", "d", "passed"))
    report.tests.append(test)
    out = make_report_dict(report)
    assert len(json.dumps(out, indent=2)) <= budget.REPORT_BYTES
    assert "was over the" in out["budget"] and out["score"] == report.score > 0 and out["tests"][0]["passed_cases"] == 1
