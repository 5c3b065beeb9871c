"""Pack 2's notes on a graded unit, after its cases are judged: which edition's contract was applied, and
where the real mistake is when the end-to-end chain shows it somewhere else.

- conv_single_step and end_to_end say the edition they were graded as when it is the 2017 one (bias inside
  the sum), and, when the edition could not be told and the values follow the 2017 rule, that a rubric can
  pin it (`[grading] version = "v1-2017"`).
- end_to_end names conv_single_step when the chain read a one-element array it returned as its one value
  (end_to_end.py: NumPy 1.x's rule); names the stage that made a cache when a backward stage raised on it;
  and says what NumPy 2 changed when a stage raised "setting an array element with a sequence".
"""

from __future__ import annotations

from grader import END_TO_END
from grader.judge.compare import Tolerance, compare
from grader.judge.results import TestResult
from grader.pack import CaseInput, Check
from grader.packs.conv_step_by_step.case_inputs import VersionedInput, under
from grader.packs.conv_step_by_step.checks import CACHE_OF, expected_caches
from grader.packs.conv_step_by_step.interface import BIAS_IN_SUM

SEQUENCE = "setting an array element with a sequence"
RAGGED = "inhomogeneous"


def _follows_2017(inputs: list[CaseInput], test: TestResult) -> int:
    """How many failing conv_single_step cases returned exactly the 2017 notebook's answer."""
    count = 0
    for inp, case in zip(inputs, test.cases):
        if case.status != "failed" or not isinstance(inp, VersionedInput) or BIAS_IN_SUM not in inp.by_rule:
            continue
        try:
            if not compare("Z", case.value, inp.by_rule[BIAS_IN_SUM], Tolerance()):
                count += 1
        except (TypeError, ValueError):
            continue
    return count


def version_notices(check: Check, inputs: list[CaseInput], test: TestResult, version) -> list[str]:
    if check.unit not in ("conv_single_step", END_TO_END) or not hasattr(version, "bias_in_sum"):
        return []
    if version.bias_in_sum:
        return [
            f"Graded as the {version.name} notebook ({version.because(brief=True)}): {version.contract()}, so its "
            "Z carries f*f*n_C_prev times b, and so do conv_forward's Z and the chain's."
        ]
    if check.unit == "conv_single_step" and version.source != "rubric" and "v1-2017" in version.candidates:
        n = _follows_2017(inputs, test)
        if n:
            return [
                f"On {n} failing case(s) your conv_single_step returned the 2017 notebook's answer (the bias added "
                "inside the sum, Z = sum(a_slice_prev * W + b)). Nothing in the submission says it is the 2017 "
                "notebook, so it was graded by the later one (b added once); if it is the 2017 notebook, "
                'a rubric can say so: [grading] version = "v1-2017".'
            ]
    return []


def _wrong_cache_before(value: dict, stage: str, inp: CaseInput) -> tuple[str, str] | None:
    """(which cache, what is wrong in it) for the cache a backward stage raised on, where it is not what
    a correct forward stage returns."""
    for key, maker, reader, form in CACHE_OF.values():
        if reader == stage and key in value:
            found = compare(key, value[key], expected_caches(inp, value)[key], Tolerance())
            if found:
                return (f"{reader} raised on the cache that {maker} returned, which is not {form}", found[0].message)
    return None


def chain_notices(inputs: list[CaseInput], test: TestResult) -> list[str]:
    out: list[str] = []
    shapes = {
        tuple(c.value["step_returned"])
        for c in test.cases
        if isinstance(c.value, dict) and c.value.get("step_returned")
    }
    if shapes:
        shape = sorted(shapes)[0]
        out.append(
            f"Your conv_single_step returns an array of shape {shape}, not a scalar; conv_forward stores it into "
            "one element of Z. The course's NumPy 1.x did that (with a DeprecationWarning), NumPy 2 refuses "
            '("setting an array element with a sequence"), so the chain read it as its one value, as NumPy 1.x '
            "did. conv_single_step loses its points for the shape in its own check; return a scalar "
            "(np.sum(s) + b.item(), or float(b))."
        )
    caches: dict[str, list[str]] = {}
    for inp, case in zip(inputs, test.cases):
        if case.status != "error" or not isinstance(case.value, dict) or not case.error:
            continue
        stage = case.value.get("stage")
        found = _wrong_cache_before(case.value, stage, inp) if isinstance(stage, str) else None
        if found:
            caches.setdefault(found[0], []).append(found[1])
    for words, details in caches.items():
        maker = words.split(" returned")[0].rsplit(" ", 1)[-1]
        out.append(f"{words} (on {len(details)} case(s); the first: {details[0]}). Fix {maker}'s cache first.")
    return out


def numpy2_notices(check: Check, test: TestResult) -> list[str]:
    """What NumPy 2 changed, where a case raised one of the errors it brought: storing a one-element array
    into one element, or making an array of a ragged list (both worked under the course's NumPy 1.x)."""
    seen: list[tuple[str, str]] = []
    for case in test.cases:
        message = str((case.error or {}).get("message", "")) if case.status == "error" else ""
        if SEQUENCE not in message:
            continue
        stage = case.value.get("stage") if check.unit == END_TO_END and isinstance(case.value, dict) else check.function
        kind = "ragged" if RAGGED in message else "store"
        if isinstance(stage, str) and (stage, kind) not in seen:
            seen.append((stage, kind))
    out = []
    for stage, kind in seen:
        if kind == "ragged":
            out.append(
                f'{stage} raised "{SEQUENCE}" on an inhomogeneous list: NumPy 1.24 and later refuse to make '
                "an array of a ragged list (such as [Z, b] with b of shape (1, 1, 1)), which the course's NumPy "
                "made into an object array; add the values themselves (Z + b.item())."
            )
        else:
            out.append(
                f'{stage} raised "{SEQUENCE}": NumPy 2 refuses to store an array of more than zero dimensions '
                "(such as b[:, :, :, c], of shape (1, 1, 1), or a (1, 1, 1) result) into one element, which the "
                "course's NumPy 1.x accepted with a DeprecationWarning; store its value (.item() or float())."
            )
    return out


def notices(check: Check, inputs: list[CaseInput], test: TestResult, version) -> list[str]:
    out = version_notices(check, inputs, test, version)
    if check.unit == END_TO_END:
        out += chain_notices(under(inputs, version.grads_keys), test)
    out += numpy2_notices(check, test)
    return out
