"""Issue 9's red team: each attack in tests/redteam/attacks/ is a small submission written to cheat, and
each test asserts that the real front end (`python -m grader grade -j 1`) contained it.

Contained means: the attacked functions score 0 and the rest of the submission exactly what it
earns honestly; nothing it read (a secret file, the grader's environment, another submission's code,
the answer key, /etc/passwd) reaches its report; no file it wrote is left outside the sandbox; no
process of it outlives grading; the listeners on 127.0.0.1 hear nothing; the grader neither hangs nor
dies; and the honest submission graded right after it gets the same report as an honest one alone.

The campaign runs once for the whole module (tests/redteam/campaign.py) and the tests read its
results. As root (CI), it runs twice: as root, and dropped to unprivileged uids (a normal user's
walls). As a normal user it runs once, as that user, without the three attacks that signal other
processes (nothing would keep an uncontained one from hitting the test run itself).

An attack that today's sandbox does not contain is marked `xfail(strict=True)` with the wall it
lacks: when the wall lands, the test passes, the strict mark fails it, and the mark must go.

To watch the tests fail, grade without walls: REDTEAM_SANDBOX_WALLS=none (or landlock, to red-team
the fallback) sets GRADER_SANDBOX_WALLS for the campaign. REDTEAM_KEEP=1 keeps its folder in /tmp.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from redteam.campaign import LEAK, Campaign, load_attacks, normalized

pytestmark = pytest.mark.timeout(600)  # the first test pays for the whole campaign (a hung run is cut at 5 min)

AS_ROOT = os.geteuid() == 0
USERS = ("root", "unprivileged") if AS_ROOT else ("user",)
SIGNALLERS = {"sig_kill_ancestors", "sig_stop_ancestors", "sig_kill_everyone"}
ATTACKS = {attack.name: attack for attack in load_attacks()}

# What the sandbox does not contain, and why. "root" is the grader run as root; "normal" is the grader
# run by a normal user (the unprivileged runs, or this user's own). A known limit, not an open hole:
# student code owns its whole job process, so it can rewrite the harness there (any check the job does
# on itself, such as whether the function changed its own arguments, is only as honest as the student).
# What it gains is the in-place penalty of its own function; every returned value is still judged by
# the trusted side against autograd.
_BOTH = {
    "harness_plain_imports": "known limit: the in-place check runs inside the job, where student code can "
                             "replace it (the harness's modules are in sys.modules under a private name)",
}
MISSING = {(name, walls): reason for name, reason in _BOTH.items() for walls in ("root", "normal")}


def _walls(user: str) -> str:
    return "root" if user == "root" else "normal"


def _params():
    for user in USERS:
        for name in sorted(ATTACKS):
            marks = []
            reason = MISSING.get((name, _walls(user)))
            if reason:
                marks.append(pytest.mark.xfail(strict=True, reason=f"issue 9: {reason}"))
            yield pytest.param(user, name, marks=marks, id=f"{user}-{name}")


@pytest.fixture(scope="module")
def campaign():
    base = Path(tempfile.mkdtemp(prefix="redteam-", dir="/tmp"))  # pytest's tmp_path is closed to other uids
    run = Campaign(base, USERS)
    if not AS_ROOT:
        for name in SIGNALLERS:
            run.attacks.pop(name)
    try:
        run.build()
        run.execute()
        yield run
    finally:
        run.close()
        if not os.environ.get("REDTEAM_KEEP"):
            shutil.rmtree(base, ignore_errors=True)


def _skip_if_unusable(campaign: Campaign, user: str) -> None:
    if user in campaign.setup_errors:
        pytest.skip(campaign.setup_errors[user])


def test_there_are_enough_attacks():
    """Issue 9 asks for at least 25 of them; each names what it attacks and how it runs."""
    assert len(ATTACKS) >= 25
    assert all(attack.attacked for attack in ATTACKS.values())


@pytest.mark.parametrize(("user", "attack"), list(_params()))
def test_attack_is_contained(campaign, user, attack):
    _skip_if_unusable(campaign, user)
    if attack not in campaign.attacks:
        pytest.skip("not root: an uncontained signal to other processes would hit this test run itself")
    problems = campaign.problems(user, attack)
    assert not problems, f"{attack} as {user}:\n  " + "\n  ".join(problems)


@pytest.mark.parametrize("user", USERS)
def test_honest_submission_alone_gets_full_marks(campaign, user):
    """The baseline every 'graded next' comparison uses: the first submission of the batch."""
    _skip_if_unusable(campaign, user)
    baseline = campaign.baseline(user)
    assert baseline is not None, "no report for the honest submission graded first"
    assert baseline["status"] == "graded" and baseline["score"] == baseline["max_score"] == 100.0
    assert LEAK not in str(baseline)


@pytest.mark.parametrize("user", USERS)
def test_batch_finishes_and_leaves_nothing(campaign, user):
    """The shared batch as a whole: it ends, no process outlives it, the grader's source is untouched."""
    _skip_if_unusable(campaign, user)
    batch = campaign.run_of(user)
    problems = campaign.run_problems(batch)
    changed = campaign.changed_files(batch)
    if changed:
        problems.append(f"files changed on disk: {', '.join(changed[:4])}")
    assert not problems, "\n".join(problems)


@pytest.mark.skipif(not AS_ROOT, reason="only root can drop to another uid")
def test_unprivileged_runs_really_run_unprivileged(campaign):
    """Reports of the unprivileged runs are written by their own uid, not by root."""
    _skip_if_unusable(campaign, "unprivileged")
    runs = [r for r in campaign.runs if r.user == "unprivileged"]
    owners = {(r.uid, (r.out / "summary.csv").stat().st_uid) for r in runs if (r.out / "summary.csv").exists()}
    assert owners and all(uid == owner and uid != 0 for uid, owner in owners)


def test_normalized_reports_ignore_only_paths_and_timings():
    """The comparison of honest reports must still see a changed score."""
    a = {"submission": "/a.py", "seconds": 1.0, "score": 100.0, "tests": [{"seconds": 0.1, "score": 5.0}]}
    b = {"submission": "/b.py", "seconds": 2.0, "score": 100.0, "tests": [{"seconds": 0.2, "score": 5.0}]}
    assert normalized(a) == normalized(b)
    assert normalized(a) != normalized({**b, "score": 95.0})
