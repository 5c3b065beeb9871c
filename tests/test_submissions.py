"""Grade every bundled example submission and check exactly where it loses points.

Each submission must lose points in exactly the units its pack's expected outcomes name and keep every
other point (pack 1's `tests/expected_outcomes.py`; every other pack's, found by grader/pack_testing.py,
graded here through the engine); the reference must score 100%; every report must validate against the
shipped schema.
"""

from __future__ import annotations

import pytest

from grader import packs
from grader.pack_testing import expected_outcomes, losing_units
from grader.judge.results import make_report_dict
from grader.report.schema import validate_report
from tests.conftest import REFERENCE, ROOT, SUBMISSIONS

EXPECTATIONS = expected_outcomes(ROOT)  # {pack: EXPECTED}, every pack's
EXPECTED = EXPECTATIONS[packs.DEFAULT]
OTHERS = [(pack, name) for pack, expected in sorted(EXPECTATIONS.items()) if pack != packs.DEFAULT for name in sorted(expected)]

pytestmark = pytest.mark.timeout(300)


def test_every_bundled_submission_has_an_expected_outcome():
    assert set(EXPECTATIONS) == set(packs.names())  # every pack has its expected outcomes
    bundled = {p.name for p in SUBMISSIONS.iterdir() if p.suffix in (".py", ".ipynb")}
    named = [name for expected in EXPECTATIONS.values() for name in expected]
    assert bundled == set(named) and len(named) == len(set(named))  # each example is one pack's


@pytest.fixture(scope="module")
def pack_grader():
    """One engine Grader per pack (its answers computed once), closed at the end."""
    from grader.judge.grade import Grader

    made: dict = {}

    def get(name: str):
        if name not in made:
            made[name] = Grader(seed=0, device="cpu", pack=packs.get(name))
        return made[name]

    yield get
    for grader in made.values():
        grader.close()


@pytest.mark.parametrize("pack, name", OTHERS, ids=[name for _, name in OTHERS])
def test_every_other_packs_example_loses_points_exactly_where_expected(pack_grader, pack, name):
    outcome = EXPECTATIONS[pack][name]
    report = pack_grader(pack).grade(SUBMISSIONS / name)
    assert report.assignment == pack and report.status == "graded"
    assert {t.function for t in report.tests if t.score < t.max_score} == losing_units(outcome), (name, outcome.note)
    if hasattr(outcome, "lost"):
        assert {t.function: round(t.max_score - t.score, 4) for t in report.tests if t.score < t.max_score} == outcome.lost
    if hasattr(outcome, "diagnoses"):
        found = {t.function: sorted(d.code for d in t.diagnoses) for t in report.tests if t.diagnoses}
        assert found == {unit: sorted(codes) for unit, codes in outcome.diagnoses.items()}
    validate_report(make_report_dict(report))


def test_reference_scores_full_marks(graded):
    report = graded(REFERENCE)
    assert report.status == "graded"
    assert report.score == report.max_score == 100
    assert all(test.status == "passed" and test.cases for test in report.tests)
    validate_report(make_report_dict(report))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_submission_loses_points_exactly_where_the_mistake_is(graded, name):
    expected = EXPECTED[name]
    report = graded(SUBMISSIONS / name)
    assert report.status == expected.status
    losing = {test.function for test in report.tests if test.score < test.max_score}
    assert losing == expected.fails, f"{name}: {expected.note}"
    for test in report.tests:
        if test.function not in expected.fails:
            assert test.score == test.max_score and test.status == "passed", (name, test.function, test.feedback)
        else:
            assert test.feedback and "All" not in test.feedback.split("\n")[0], (name, test.function)
    assert report.score == pytest.approx(sum(t.score for t in report.tests))
    validate_report(make_report_dict(report))


def test_hostile_submissions_were_contained(graded):
    """The damage each hostile file attempts is reported where it happened and went no further."""
    flood = graded(SUBMISSIONS / "hostile_print_flood.py").test("compute_cost")
    printed = [case for case in flood.cases if case.output_chars]
    assert printed and all(len(case.output) <= 4000 < case.output_chars for case in printed)

    loop = graded(SUBMISSIONS / "hostile_infinite_loop.py").test("linear_backward")
    assert loop.status == "timeout" and loop.cases[0].status == "timeout"
    assert all(case.status == "not_run" for case in loop.cases[1:])

    hog = graded(SUBMISSIONS / "hostile_memory_hog.py").test("update_parameters")
    assert all(case.error and case.error["type"] == "MemoryError" for case in hog.cases)

    torch_report = graded(SUBMISSIONS / "hostile_imports_torch.py")
    assert any("torch" in p["message"] and "denied" in p["message"] for p in torch_report.load_problems)

    sleeper = graded(SUBMISSIONS / "hostile_sleep_at_import.py")
    assert any(p["message"].startswith("Timeout") for p in sleeper.load_problems)
