"""Issue 24: one walled process serves several checks of a submission. Each test attacks the new boundary.

The property: no student code ever holds an answer it is still to be graded on. A shared process gets
the checks in the pack's SHARED_ORDER, each check's data only once the check before has ended, and a
fresh process after any check that hung, crashed, broke the protocol or changed a watched module. Each
test grades a hostile submission with the shared process (GRADER_CHECKS_PER_PROCESS=0) and proves the
containment: the same report as one process per check gives, the scores of an honest twin, a fresh
process where one was due; and, where it can, that the attack does work once the boundary is broken.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from grader import END_TO_END
from grader.judge.results import make_report_dict
from grader.sandbox import client

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = (ROOT / "reference" / "deep_nn.py").read_text(encoding="utf-8")
pytestmark = pytest.mark.timeout(300)


def _mode(monkeypatch, shared: bool) -> None:
    monkeypatch.setenv(client.PER_PROCESS_ENV, "0" if shared else "1")


@pytest.fixture
def forks(monkeypatch):
    """How many walled processes the grading forked (each `_fork_job`), in order of the check they began."""
    started: list[str] = []
    real = client.Sandbox._fork_job

    def counted(self, job, answer, share):
        started.append(job.get("function") or job.get("kind"))
        return real(self, job, answer, share)

    monkeypatch.setattr(client.Sandbox, "_fork_job", counted)
    return started


def _grade(grader, tmp_path: Path, source: str, folder: str = "attack"):
    """Grade `source` as <folder>/attack.py: a twin in another folder has the same file name in its tracebacks."""
    getattr(grader.case_set, "complete", lambda: None)()  # no early jobs: every check in its place
    (tmp_path / folder).mkdir(exist_ok=True)
    path = tmp_path / folder / "attack.py"
    path.write_text(source, encoding="utf-8")
    return grader.grade(path)


def _scores(report) -> dict[str, float]:
    return {t.name: t.score for t in report.tests}


def _comparable(report) -> dict:
    """The report without wall times, which differ between any two runs."""
    def strip(value):
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k != "seconds"}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value
    return strip(json.loads(json.dumps(make_report_dict(report), default=str)))


def _with(overrides: str) -> str:
    """The model solution with some functions redefined after it (the last definition wins)."""
    return REFERENCE + "\n\n" + textwrap.dedent(overrides)


# --- record everything, replay it later ---------------------------------------------------------
RECORDER = '''
import string as _stash_module
import numpy as _np

REPLAY = True


def _loot():
    """Kept in a module that no check watches: it survives from check to check of a shared process."""
    return _stash_module.__dict__.setdefault("_loot", [])


def _close(a, b):
    if isinstance(a, _np.ndarray) or isinstance(b, _np.ndarray):
        try:
            return _np.shape(a) == _np.shape(b) and _np.allclose(a, b, rtol=1e-6, atol=1e-9)
        except Exception:
            return False
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


def _copy(value):
    if isinstance(value, _np.ndarray):
        return value.copy()
    if isinstance(value, (tuple, list)):
        return type(value)(_copy(v) for v in value)
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    return value


def _replay(name, args):
    """What any earlier check answered for this very call, whoever made it."""
    if REPLAY:
        for recorded, given, answer in _loot():
            if recorded == name and _close(given, args):
                return True, answer
    return False, None


def _recorded(name):
    """The function of this name as it is now (a stand-in in another function's check), recording every answer."""
    function = globals()[name]

    def call(*args):
        answer = function(*args)
        _loot().append((name, _copy(args), _copy(answer)))
        return answer
    return call


def linear_activation_forward(A_prev, W, b, activation):
    _loot().append(("args", _copy((A_prev, W, b, activation)), None))
    hit, answer = _replay("linear_activation_forward", (A_prev, W, b, activation))
    if hit:
        return answer
    Z, linear_cache = linear_forward(A_prev, W, b)
    return Z, (linear_cache, Z)  # wrong: no activation at all


def linear_activation_backward(dA, cache, activation):
    _loot().append(("args", _copy((dA, cache, activation)), None))
    hit, answer = _replay("linear_activation_backward", (dA, cache, activation))
    if hit:
        return answer
    return linear_backward(dA, cache[0])  # wrong: no activation derivative


def L_model_forward(X, parameters):
    caches, A, L = [], X, len(parameters) // 2
    forward = _recorded("linear_activation_forward")
    for l in range(1, L):
        A, cache = forward(A, parameters["W" + str(l)], parameters["b" + str(l)], "relu")
        caches.append(cache)
    AL, cache = forward(A, parameters["W" + str(L)], parameters["b" + str(L)], "sigmoid")
    caches.append(cache)
    return AL, caches


def L_model_backward(AL, Y, caches):
    grads, L = {}, len(caches)
    Y = Y.reshape(AL.shape)
    backward = _recorded("linear_activation_backward")
    dAL = -(_np.divide(Y, AL) - _np.divide(1 - Y, 1 - AL))
    grads["dA" + str(L - 1)], grads["dW" + str(L)], grads["db" + str(L)] = backward(dAL, caches[L - 1], "sigmoid")
    for l in reversed(range(L - 1)):
        dA_prev, dW, db = backward(grads["dA" + str(l + 1)], caches[l], "relu")
        grads["dA" + str(l)], grads["dW" + str(l + 1)], grads["db" + str(l + 1)] = dA_prev, dW, db
    return grads
'''


def test_a_recorder_replaying_earlier_checks_scores_what_its_honest_twin_earns(grader, tmp_path, monkeypatch, forks):
    """Every argument and every stand-in answer of every check, kept where no check looks and replayed in
    every later call, earns nothing: the broken activations score 0, the end-to-end chain fails, exactly
    as the same code with the replay switched off."""
    _mode(monkeypatch, shared=True)
    attack = _grade(grader, tmp_path, _with(RECORDER))
    honest = _grade(grader, tmp_path, _with(RECORDER.replace("REPLAY = True", "REPLAY = False")), "twin")
    assert _scores(attack) == _scores(honest)
    assert _comparable(attack)["tests"] == _comparable(honest)["tests"]
    assert _scores(attack)["linear_activation_forward"] == 0 and _scores(attack)["linear_activation_backward"] == 0
    assert _scores(attack)[END_TO_END] == 0
    assert _scores(attack)["L_model_forward"] > 0 and _scores(attack)["L_model_backward"] > 0  # its stand-ins answered
    assert forks.count(END_TO_END) == 2 and len(forks) == 4  # a shared process and the chain's own, twice


def test_the_recorder_does_win_the_end_to_end_check_once_it_shares_the_process(grader, tmp_path, monkeypatch):
    """The control: put the end-to-end check at the end of the shared order (the boundary the property
    forbids) and the very same replay passes it. So the test above can fail."""
    _mode(monkeypatch, shared=True)
    monkeypatch.setattr(grader, "shared_order", grader.shared_order + (END_TO_END,))
    attack = _grade(grader, tmp_path, _with(RECORDER))
    honest = _grade(grader, tmp_path, _with(RECORDER.replace("REPLAY = True", "REPLAY = False")), "twin")
    assert _scores(honest)[END_TO_END] == 0
    assert _scores(attack)[END_TO_END] > 0


# --- one check's process dies, hangs or lies -----------------------------------------------------
BREAKERS = '''
import os as _os
import sys as _sys


def linear_forward(A, W, b):
    while True:  # hangs: the case's alarm, then a fresh process for the next check
        pass


def compute_cost(AL, Y):
    _sys.setrecursionlimit(10 ** 7)

    def deeper(n):
        return deeper(n + 1) + 1
    return deeper(0)  # the C stack runs out: the process dies of SIGSEGV


def linear_backward(dZ, cache):
    for fd in range(3, 40):  # forged frames down every descriptor: a result for a case not running
        try:
            _os.write(fd, b"C\\x00\\x00\\x00\\x05hello")
        except OSError:
            pass
    A_prev, W, b = cache
    m = A_prev.shape[1]
    return W.T @ dZ, dZ @ A_prev.T / m, dZ.sum(axis=1, keepdims=True) / m
'''


def test_a_check_that_hangs_crashes_or_forges_frames_loses_only_itself(grader, tmp_path, monkeypatch, forks):
    source = _with(BREAKERS)
    _mode(monkeypatch, shared=False)
    alone = _grade(grader, tmp_path, source)
    _mode(monkeypatch, shared=True)
    forks.clear()
    shared = _grade(grader, tmp_path, source)
    assert _comparable(shared) == _comparable(alone)
    scores = _scores(shared)
    assert scores["linear_forward"] == scores["compute_cost"] == scores["linear_backward"] == 0
    for name in ("initialize_parameters", "initialize_parameters_deep", "linear_activation_forward", "L_model_forward",
                 "linear_activation_backward", "L_model_backward", "update_parameters"):
        assert scores[name] == grader.rubric.units[name].points, name
    # a fresh process after each broken check: linear_forward's, compute_cost's, linear_backward's
    assert forks == ["initialize_parameters", "linear_activation_forward", "linear_backward",
                     "linear_activation_backward", END_TO_END]


# --- one check's changes to modules do not reach another's ---------------------------------------
PATCHER = '''
import builtins as _builtins
import numpy as _np

_initialize_parameters = initialize_parameters


def initialize_parameters(n_x, n_h, n_y):
    parameters = _initialize_parameters(n_x, n_h, n_y)
    _np.dot = lambda *args, **kwargs: 0.0  # the model solution's linear_forward computes with it
    _np.sum = lambda *args, **kwargs: 0.0  # its backward functions too
    _builtins.sorted = lambda *args, **kwargs: []  # the harness lists the loaded functions with it
    _np.seterr(all="raise")
    _np.set_printoptions(precision=1)
    return parameters
'''


def test_a_check_that_monkeypatches_numpy_or_builtins_changes_no_other_check(grader, tmp_path, monkeypatch, forks):
    _mode(monkeypatch, shared=True)
    report = _grade(grader, tmp_path, _with(PATCHER))
    assert all(t.score == t.max_score for t in report.tests), _scores(report)
    assert forks == ["initialize_parameters", "initialize_parameters_deep", END_TO_END]  # detected: a fresh process


def test_numpy_error_settings_and_print_options_are_reset_without_a_new_process(grader, tmp_path, monkeypatch, forks):
    """State that is put back, not detected: the shared process goes on, and the next check sees none of it."""
    source = _with('''
        import numpy as _np
        _linear_forward = linear_forward

        def linear_forward(A, W, b):
            _np.seterr(all="raise")
            _np.set_printoptions(precision=1)
            return _linear_forward(A, W, b)

        def compute_cost(AL, Y):
            print("settings", _np.geterr()["divide"], _np.get_printoptions()["precision"])
            m = Y.shape[1]
            return _np.squeeze(-(Y @ _np.log(AL).T + (1 - Y) @ _np.log(1 - AL).T) / m)
        ''')
    _mode(monkeypatch, shared=True)
    report = _grade(grader, tmp_path, source)
    outputs = {c.output.strip() for t in report.tests if t.name == "compute_cost" for c in t.cases}
    assert outputs == {"settings warn 8"}
    assert forks == ["initialize_parameters", END_TO_END]


# --- one function's draws do not change another's ------------------------------------------------
SEEDER = '''
import random as _random
import numpy as _np
_linear_forward, _compute_cost = linear_forward, compute_cost


def linear_forward(A, W, b):
    _np.random.seed(1)
    _random.seed(1)
    return _linear_forward(A, W, b)


def compute_cost(AL, Y):
    print("draws", _np.random.rand(), _random.random())
    return _compute_cost(AL, Y)
'''


def test_seeding_in_one_function_does_not_fix_the_draws_of_another(grader, tmp_path, monkeypatch, forks):
    import numpy as np
    import random

    np.random.seed(1)
    random.seed(1)
    seeded = f"draws {np.random.rand()} {random.random()}"
    for shared in (False, True):
        _mode(monkeypatch, shared)
        forks.clear()
        report = _grade(grader, tmp_path, _with(SEEDER))
        lines = [c.output.strip().split() for t in report.tests if t.name == "compute_cost" for c in t.cases]
        assert len(lines) == len(grader.case_set.inputs["compute_cost"])
        assert not any(line[1] == seeded.split()[1] or line[2] == seeded.split()[2] for line in lines)  # both reseeded
        assert all(t.score == t.max_score for t in report.tests)
    assert forks == ["initialize_parameters", END_TO_END]  # the shared run kept its process: nothing was changed for good


def test_a_check_that_used_much_memory_leaves_the_next_one_a_fresh_process(grader, tmp_path, monkeypatch, forks):
    """The address-space limit is the process's: a check whose peak grew by a quarter of it hands the rest on."""
    source = _with('''
        import numpy as _np
        _linear_forward = linear_forward

        def linear_forward(A, W, b, _once=[]):
            if not _once:
                _once.append(_np.ones(40_000_000).sum())  # 320 MB, touched: within the limit, over a quarter of it
            return _linear_forward(A, W, b)
        ''')
    _mode(monkeypatch, shared=True)
    report = _grade(grader, tmp_path, source)
    assert all(t.score == t.max_score for t in report.tests), [c.note or c.error for t in report.tests for c in t.cases if c.status != "passed"][:3]
    assert forks == ["initialize_parameters", "linear_activation_forward", END_TO_END]


def test_student_code_that_runs_after_its_checks_last_result_breaks_only_the_process(grader, tmp_path, monkeypatch, forks):
    """A finaliser on a cycle runs when the harness collects after the check, past the last result: what it
    writes breaks the protocol, so the process is ended, the check keeps its results, and the next forks."""
    source = _with('''
        import os as _os
        _linear_forward = linear_forward

        class _Late:
            def __del__(self):
                for fd in range(3, 40):
                    try:
                        _os.write(fd, b"C\\x00\\x00\\x00\\x05hello")
                    except OSError:
                        pass

        def linear_forward(A, W, b):
            late = _Late()
            late.cycle = late  # collected only by the harness's collection after the check
            return _linear_forward(A, W, b)
        ''')
    _mode(monkeypatch, shared=False)
    alone = _grade(grader, tmp_path, source)
    _mode(monkeypatch, shared=True)
    forks.clear()
    shared = _grade(grader, tmp_path, source)
    assert _comparable(shared) == _comparable(alone)
    assert all(t.score == t.max_score for t in shared.tests), _scores(shared)
    assert forks == ["initialize_parameters", "linear_activation_forward", END_TO_END]


# --- the snapshot of the watched modules, at the level of shared.State ----------------------------
class _Liar:
    """A replacement that claims to equal anything: only identity can tell it from what it replaced."""

    def __eq__(self, other):
        return True

    __hash__ = object.__hash__


def _state():
    import sys

    import numpy as np

    from grader.sandbox import shared

    return shared.State(np, sys.modules)


def test_a_replaced_value_that_claims_to_be_equal_is_still_seen():
    import numpy as np

    state, real = _state(), np.dot
    assert state.clean(1024), state.why
    np.dot = _Liar()
    try:
        assert not state.clean(1024)
        assert "value" in state.why
    finally:
        np.dot = real
    assert state.clean(1024), state.why


def test_a_keyword_default_changed_in_place_is_seen():
    import collections

    state = _state()
    defaults = collections.namedtuple.__kwdefaults__
    was = defaults["rename"]
    defaults["rename"] = _Liar()  # the same dict, one value changed: no name in any module changed
    try:
        assert not state.clean(1024)
        assert "keyword defaults" in state.why
    finally:
        defaults["rename"] = was
    assert state.clean(1024), state.why


def test_a_code_swap_and_a_class_attribute_are_seen_and_the_harness_streams_are_not():
    import collections
    import sys

    state = _state()
    function = collections.namedtuple
    code = function.__code__
    function.__code__ = (lambda typename, field_names, *, rename=False, defaults=None, module=None: None).__code__
    try:
        assert not state.clean(1024) and "code" in state.why
    finally:
        function.__code__ = code
    saved = sys.stdout
    sys.stdout = _Liar()  # the harness sets sys.stdout for every check: not a change of the student's
    try:
        assert state.clean(1024), state.why
    finally:
        sys.stdout = saved
    collections.Counter.extra = 1  # a class attribute added
    try:
        assert not state.clean(1024) and "came or went" in state.why
    finally:
        del collections.Counter.extra
    assert state.clean(1024), state.why
