"""One comparison helper: type, then exact shape, then dtype, then finiteness, then values.

Every difference becomes a `Mismatch` labelled with the path of the quantity in the course's notation
(`dW`, `cache[0][1]`, `grads['dA1']`), so feedback can say exactly what is wrong. The tolerance accepts
float32 arithmetic and rejects any conceptual error (a factor of m, a sign, a transpose, an axis).
"""

from __future__ import annotations

import functools
import weakref
from dataclasses import asdict, dataclass

import numpy as np

from grader.sandbox.wire import Opaque, same


@dataclass(frozen=True)
class Tolerance:
    rtol: float = 1e-4
    atol_scale: float = 1e-5  # absolute slack, relative to the largest expected magnitude
    atol: float = 1e-9

    def slack(self, expected: np.ndarray) -> np.ndarray:
        """How far each returned entry may be from `expected`: cached, since the answers are graded against
        many times."""
        key = (id(expected), self)
        hit = _SLACK.get(key)
        if hit is not None and hit[0]() is expected:
            return hit[1]
        magnitude = np.abs(expected)
        scale = float(magnitude.max()) if expected.size else 0.0
        slack = (self.atol + self.atol_scale * scale) + self.rtol * magnitude
        _SLACK[key] = (weakref.ref(expected, functools.partial(_forget, key)), slack)
        return slack


_SLACK: dict = {}


def _forget(key: tuple, _gone: object) -> None:
    """An expected array was freed: its slack goes with it (its id may name another array next)."""
    _SLACK.pop(key, None)


@dataclass(frozen=True)
class Mismatch:
    path: str
    kind: str  # type, length, keys, shape, dtype, nonfinite, value, mutated, call, distribution (initialisation)
    message: str
    expected_shape: list | None = None
    got_shape: list | None = None
    max_abs_error: float | None = None
    max_rel_error: float | None = None
    index: list | None = None
    expected_excerpt: list | None = None
    got_excerpt: list | None = None

    def to_dict(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v is not None}


def clip(text: str, limit: int = 60) -> str:
    """A student-made string, short enough to quote (a key or a value may be megabytes long)."""
    return text if len(text) <= limit else f"{text[: limit - 3]}... ({len(text)} characters)"


def names(keys, shown: int = 8) -> str:
    """Keys to quote in feedback: a few, each clipped, and how many more there are."""
    keys = list(keys)
    listed = ", ".join(clip(str(k), 40) for k in keys[:shown])
    return listed + (f" and {len(keys) - shown} more" if len(keys) > shown else "")


def describe(value) -> str:
    """A value's type and shape in a few words, for 'expected ..., got ...'."""
    if isinstance(value, np.ndarray):
        return f"an array of shape {tuple(value.shape)} and dtype {value.dtype}"
    if isinstance(value, np.generic):
        return f"a NumPy {value.dtype} scalar"
    if isinstance(value, Opaque):
        if value.type_name == "ndarray":  # an array that did not travel: its entries are not numbers
            return "a NumPy array whose entries are not numbers (dtype object, such as np.squeeze(None))"
        return f"an object of type {value.type_name}"
    if isinstance(value, (tuple, list)):
        return f"a {type(value).__name__} of length {len(value)}"
    if isinstance(value, dict):
        return f"a dict with {len(value)} keys"
    return f"a {type(value).__name__}" if value is not None else "None"


def _excerpt(array: np.ndarray, flat_index: int, width: int = 3) -> list:
    flat = array.reshape(-1)
    lo = max(0, flat_index - width)
    return [float(x) for x in flat[lo : lo + 2 * width + 1]]


def compare_array(path: str, got, expected: np.ndarray, tol: Tolerance) -> Mismatch | None:
    shape = list(expected.shape)
    if expected.ndim == 0:  # a 0-d value such as the cost: a float, a NumPy scalar or a 0-d array
        if isinstance(got, (float, np.floating)) and not isinstance(got, np.ndarray):
            got = np.asarray(got, dtype=np.float64)
        elif isinstance(got, np.ndarray) and got.shape != ():
            return Mismatch(
                path,
                "shape",
                f"{path} must be 0-d (shape ()), got shape {tuple(got.shape)}: use np.squeeze",
                shape,
                list(got.shape),
            )
    if not isinstance(got, np.ndarray):
        return Mismatch(path, "type", f"{path} should be {describe(expected)}, got {describe(got)}", shape)
    if got.shape != expected.shape:
        return Mismatch(
            path,
            "shape",
            f"{path} should have shape {tuple(expected.shape)}, got {tuple(got.shape)}",
            shape,
            list(got.shape),
        )
    if got.dtype.kind != "f":
        return Mismatch(path, "dtype", f"{path} should hold floats, got dtype {got.dtype}", shape, shape)
    got64 = got.astype(np.float64, copy=False)
    error = np.abs(got64 - expected)
    if (error <= tol.slack(expected)).all():  # NaN and inf never pass this
        return None
    if not np.all(np.isfinite(got64)):
        bad = np.argwhere(~np.isfinite(got64))
        where = [int(i) for i in bad[0]] if bad.size else None
        return Mismatch(
            path,
            "nonfinite",
            f"{path} contains NaN or inf (first at index {tuple(where) if where else '()'})",
            shape,
            shape,
            index=where,
        )
    flat = int(np.argmax(error))
    index = [int(i) for i in np.unravel_index(flat, expected.shape)] if expected.ndim else []
    magnitude = np.abs(expected)  # relative to the entry, or to the array's scale where the entry is ~0
    rel = error / np.maximum(magnitude, max(tol.atol, tol.atol_scale * float(magnitude.max())))
    return Mismatch(
        path,
        "value",
        f"{path} has wrong values: largest error {float(error.reshape(-1)[flat]):.3g} at index {tuple(index)}",
        shape,
        shape,
        float(error.max()),
        float(rel.max()),
        index,
        _excerpt(expected, flat),
        _excerpt(got64, flat),
    )


def compare_mask(path: str, got, expected: np.ndarray) -> Mismatch | None:
    """A boolean or integer array (a dropout mask, an index array), compared exactly: any dtype that holds
    the same numbers passes (`D1 < keep_prob` and `(D1 < keep_prob).astype(int)` are the same mask)."""
    shape = list(expected.shape)
    if not isinstance(got, np.ndarray):
        return Mismatch(path, "type", f"{path} should be {describe(expected)}, got {describe(got)}", shape)
    if got.shape != expected.shape:
        return Mismatch(
            path,
            "shape",
            f"{path} should have shape {tuple(expected.shape)}, got {tuple(got.shape)}",
            shape,
            list(got.shape),
        )
    if got.dtype.kind not in "biuf":
        return Mismatch(
            path, "dtype", f"{path} should hold {expected.dtype} values, got dtype {got.dtype}", shape, shape
        )
    wrong = np.argwhere(got != expected)
    if not wrong.size:
        return None
    index = [int(i) for i in wrong[0]]
    return Mismatch(
        path,
        "value",
        f"{path} is wrong at {len(wrong)} of its {expected.size} entries (first at index {tuple(index)})",
        shape,
        shape,
        index=index,
    )


def compare(path: str, got, expected, tol: Tolerance = Tolerance(), masks: frozenset = frozenset()) -> list[Mismatch]:
    """All the differences between what came back and what autograd expects.

    `masks`: the paths (as they are labelled here: "cache[1]", "gradients['D1']") whose expected value is
    a boolean or integer array, compared exactly by `compare_mask`; a check names them, since elsewhere
    an integer array where floats are expected is a mistake."""
    if not masks and _all_close(got, expected, tol):
        return []  # the same answer `_compare` gives, found with a few NumPy calls instead of six per array
    return _compare(path, got, expected, tol, masks)


_FAST_DTYPES = frozenset("efd")  # float16, float32, float64: exactly widened to float64 by both paths
_FLAT: dict = {}  # id(expected) -> (expected, tolerance, its float arrays flattened, their slack flattened)
_FLAT_BYTES = 32 << 20  # a bound on what it holds: a check may build its expected value afresh on every call
_held = [0]  # bytes held in _FLAT now


def _all_close(got, expected, tol: Tolerance) -> bool:
    """True only where `_compare` finds no difference: every float array of `got` within the slack of
    `expected`'s, checked at once on the arrays laid end to end (the same elementwise float64 arithmetic
    as `compare_array`, so the same verdict). Anything else (a 0-d value, another type, a difference,
    an error) says False, and `_compare` looks again, to say what is wrong."""
    try:
        leaves: list = []
        if not _leaves(got, expected, leaves) or not leaves:
            return False
        if len(leaves) == 1 and type(expected) is np.ndarray:  # one array: as compare_array does it
            error = np.subtract(leaves[0].astype(np.float64, copy=False), expected)
            return bool(np.less_equal(np.abs(error, out=error), tol.slack(expected)).all())
        hit = _FLAT.get(id(expected))
        if hit is None or hit[0] is not expected or hit[1] != tol:
            arrays = _expected_arrays(expected)
            flat = np.concatenate(arrays, axis=None)
            slack = np.concatenate([tol.slack(a) for a in arrays], axis=None)
            size = 2 * flat.nbytes + sum(a.nbytes for a in arrays)  # with `expected` itself, held here
            if _held[0] + size > _FLAT_BYTES:
                _FLAT.clear()
                _held[0] = 0
            _held[0] += size
            hit = _FLAT[id(expected)] = (expected, tol, flat, slack)  # holds `expected`: its id names nothing else
        error = np.concatenate(leaves, axis=None, dtype=np.float64)  # a copy of ours: worked on in place
        if error.shape != hit[2].shape:
            return False
        np.subtract(error, hit[2], out=error)
        return bool(np.less_equal(np.abs(error, out=error), hit[3]).all())
    except Exception:  # noqa: BLE001 - whatever it is, the full comparison meets it and says so
        return False


def _leaves(got, expected, leaves: list) -> bool:
    """Walk `got` beside `expected` as `_compare` does, collecting the float arrays to check; False at
    the first place where `_compare` would look closer (a 0-d value, a type, shape, key or length)."""
    if type(expected) is np.ndarray:
        if (
            type(got) is not np.ndarray
            or expected.ndim == 0
            or got.shape != expected.shape
            or got.dtype.char not in _FAST_DTYPES
            or expected.dtype.kind != "f"
        ):
            return False
        leaves.append(got)
        return True
    if isinstance(expected, (tuple, list)):
        if not isinstance(got, (tuple, list)) or len(got) != len(expected):
            return False
        return all(_leaves(g, e, leaves) for g, e in zip(got, expected))
    if isinstance(expected, dict):
        if not isinstance(got, dict) or got.keys() != expected.keys():
            return False
        return all(_leaves(got[k], e, leaves) for k, e in expected.items())
    if isinstance(expected, np.ndarray):
        return False  # a subclass: the full comparison's business
    return not (got != expected)


def _expected_arrays(expected) -> list[np.ndarray]:
    """`expected`'s arrays in `_leaves`' order (tuple and list items in turn, a dict's in its order)."""
    if isinstance(expected, np.ndarray):
        return [expected]
    if isinstance(expected, (tuple, list)):
        return [a for e in expected for a in _expected_arrays(e)]
    if isinstance(expected, dict):
        return [a for e in expected.values() for a in _expected_arrays(e)]
    return []


def _compare(path: str, got, expected, tol: Tolerance, masks: frozenset) -> list[Mismatch]:
    """`compare` in full: every difference, each labelled with its path."""
    if isinstance(expected, np.ndarray):
        if path in masks and expected.dtype.kind in "biu":
            found = compare_mask(path, got, expected)
        else:
            found = compare_array(path, got, expected, tol)
        return [found] if found else []
    if isinstance(expected, (tuple, list)):
        if not isinstance(got, (tuple, list)):
            return [Mismatch(path, "type", f"{path} should be {describe(expected)}, got {describe(got)}")]
        if len(got) != len(expected):
            return [Mismatch(path, "length", f"{path} should have {len(expected)} items, got {len(got)}")]
        return [m for i, (g, e) in enumerate(zip(got, expected)) for m in _compare(f"{path}[{i}]", g, e, tol, masks)]
    if isinstance(expected, dict):
        if not isinstance(got, dict):
            return [Mismatch(path, "type", f"{path} should be {describe(expected)}, got {describe(got)}")]
        missing, extra = sorted(expected.keys() - got.keys()), sorted(got.keys() - expected.keys())
        if missing or extra:
            parts = ([f"missing {names(missing)}"] if missing else []) + (
                [f"unexpected {names(extra)}"] if extra else []
            )
            return [
                Mismatch(path, "keys", f"{path} should have exactly the keys {', '.join(expected)}; {'; '.join(parts)}")
            ]
        return [m for k in expected for m in _compare(f"{path}[{k!r}]", got[k], expected[k], tol, masks)]
    if got != expected:
        return [Mismatch(path, "value", f"{path} should be {clip(repr(expected))}, got {clip(repr(got))}")]
    return []


def changed_inputs(names: tuple[str, ...], before: tuple, after) -> list[Mismatch]:
    """Arguments the function modified in place (the caller's arrays, caches or dicts), and what changed in them."""
    found: list[Mismatch] = []
    if not isinstance(after, (tuple, list)) or len(after) != len(before):
        return found
    for name, b, a in zip(names, before, after):
        if not same(b, a):
            what = "; ".join(_changes(name, b, a)[:3])
            found.append(
                Mismatch(
                    name,
                    "mutated",
                    f"the function changed its argument {name} in place"
                    + (f" ({what})" if what else "")
                    + "; the caller's values must stay as they were (work on a copy)",
                )
            )
    return found


def _changes(path: str, before, after) -> list[str]:
    """What is different in `after`, said as facts: which entries, keys or items changed."""
    if isinstance(before, np.ndarray):
        if not isinstance(after, np.ndarray) or after.shape != before.shape:
            return [f"{path} became {describe(after)}"]
        try:
            differ = int(np.count_nonzero(~((after == before) | (np.isnan(after) & np.isnan(before)))))
        except TypeError:
            return [f"{path} changed"]
        return (
            [f"{differ} of the {before.size} entries of {path} were overwritten"]
            if differ
            else [f"{path} changed dtype"]
        )
    if isinstance(before, dict) and isinstance(after, dict):
        added, removed = sorted(after.keys() - before.keys()), sorted(before.keys() - after.keys())
        out = [f"{'key' if len(added) == 1 else 'keys'} {names(added)} added to {path}"] if added else []
        out += [f"{'key' if len(removed) == 1 else 'keys'} {names(removed)} removed from {path}"] if removed else []
        changed = [k for k in before if k in after and not same(before[k], after[k])]
        if changed:
            shown = ", ".join(f"{path}[{k!r}]" for k in changed[:4]) + (", ..." if len(changed) > 4 else "")
            out.append(f"{shown} {'holds' if len(changed) == 1 else 'hold'} different values after the call")
        return out
    if isinstance(before, (tuple, list)) and isinstance(after, (tuple, list)) and len(before) == len(after):
        return [
            c for i, (b, a) in enumerate(zip(before, after)) if not same(b, a) for c in _changes(f"{path}[{i}]", b, a)
        ]
    return [f"{path} changed"]
