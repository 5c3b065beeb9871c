"""Where an error enters the backward chain: a per-layer map, L down to 1, and one line that reads it.

Row l says whether dA[l] (the gradient that enters layer l's backward step; dAL for l = L), dZ[l],
dW[l] and db[l] are right (None: not known, or never computed). `step` says whether layer l's own
step was right given the dA it received, which separates the layer where a mistake happens from the
layers that only inherit it through dA_prev; `codes` names the diagnosed mistakes seen in that step;
`case` is the case the map was drawn from.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

CELLS = ("dA", "dZ", "dW", "db")
_TOP = ("DAL_SIGN", "DAL_DIVIDED_BY_M", "DAL_IS_DZ")


def choose(readings: dict, fired: Sequence[str] = ()) -> tuple[int, Any] | None:
    """The case to show: a failing one with a few layers (2 to 5) if there is one, else the first."""
    usable = [(index, reading) for index, reading in sorted(readings.items()) if reading.rows]
    if not usable:
        return None
    wrong = [u for u in usable if any(row.get(c) is False for row in u[1].rows for c in CELLS)]
    good = [u for u in wrong if 2 <= len(u[1].rows) <= 5]
    read = [u for u in good if set(fired) & set().union(*u[1].codes.values())]  # a recognised mistake says most
    return (read or good or wrong or usable)[0]


def annotate(index: int, reading, fired: Sequence[str]) -> list[dict]:
    """The rows as the report stores them: the four cells, the layer's own step, its mistakes, the case."""
    rows = []
    for row in reading.rows:
        layer = row["layer"]
        codes = sorted(set(fired) & reading.codes.get(layer, set()), key=fired.index)
        rows.append(
            {
                "layer": layer,
                **{cell: row.get(cell) for cell in CELLS},
                "step": reading.own_step_right.get(layer),
                "codes": codes,
                "case": index,
            }
        )
    return rows


def name(cell: str, layer: int, L: int) -> str:
    return "dAL" if (cell == "dA" and layer == L) else f"{cell}{layer}"


def _where(row: dict, cell: str, rows: list[dict], L: int) -> str:
    l, codes = row["layer"], row.get("codes") or []
    dA = name("dA", l, L)
    if any(code in _TOP for code in codes) or (cell == "dA" and l == L and row.get("dA") is False):
        return (
            "The error enters at the top: dAL, the gradient that starts the backward pass, is already wrong, "
            "so every layer below inherits it. Look at how you compute dAL."
        )
    if "DAL_EVERY_LAYER" in codes:
        return (
            f"The error enters at layer {l}: its step was fed dAL instead of {dA}, the dA_prev that layer {l + 1} "
            "returned."
        )
    if "WRONG_LAYER_CACHE" in codes:
        return (
            f"The error enters at layer {l}: {dA} is right, but its step was given the cache of another layer instead "
            f"of caches[{l - 1}]."
        )
    refused = row.get("step") is False and all(row.get(c) is None for c in ("dZ", "dW", "db"))
    if refused and "WRONG_ACTIVATION_BACKWARD" in codes:
        return f"The error enters at layer {l}: its step was given the wrong activation string."
    if refused:  # a stand-in refused the call: say which argument is known to be right or wrong
        if row.get("dA") is False:
            return (
                f"The error enters at layer {l}: the dA your L_model_backward passed to it is not {dA} "
                f"(grads['dA{l}'], the dA_prev that layer {l + 1} returned)."
            )
        if row.get("dA") is True:
            return (
                f"The error enters at layer {l}: the dA passed to it is right, so look at the cache and the activation "
                "passed with it."
            )
        return (
            f"The error enters at layer {l}: your L_model_backward called its step with arguments a correct one does "
            "not pass."
        )
    if cell == "dA":
        above = next((r for r in rows if r["layer"] == l + 1), {})
        fine = [name(c, l + 1, L) for c in ("dZ", "dW", "db") if above.get(c) is True]
        because = f" although {', '.join(fine)} are right" if fine else ""
        return (
            f"The error enters between layers {l + 1} and {l}: {dA} (the dA_prev of layer {l + 1}) is wrong{because}. "
            f"Look at how dA_prev = W.T dZ is computed and stored in grads['dA{l}'], and at whether a later step "
            "changes it in place."
        )
    known = f"{dA} is right but " if row.get("dA") is True else ""
    if cell == "dZ":
        look = (
            f"how you compute dAL and how dZ{l} = dAL * g'(Z{l})"
            if l == L and row.get("dA") is not True
            else f"how dZ{l} = {dA} * g'(Z{l})"
        )
        return (
            f"The error enters at layer {l}: {known}dZ{l} is wrong, so dW{l}, db{l} and dA{l - 1} are too. "
            f"Look at {look} is computed (the activation's backward step)."
        )
    wrong = [name(c, l, L) for c in ("dW", "db") if row.get(c) is False]
    right = [q for q, ok in ((dA, row.get("dA")), (f"dZ{l}", row.get("dZ"))) if ok is True]
    known = f"{' and '.join(right)} {'is' if len(right) == 1 else 'are'} right but " if right else ""
    return (
        f"The error enters at layer {l}: {known}{' and '.join(wrong)} {'is' if len(wrong) == 1 else 'are'} wrong. "
        f"Look at how linear_backward computes {' and '.join(c[:2] for c in wrong)}."
    )


def explain(rows: list[dict] | None, codes: Sequence[str] = ()) -> str:
    """One line on where the error enters and how it flows down, read from the map."""
    if not rows:
        return ""
    L = rows[0]["layer"]
    first = next(((row, cell) for row in rows for cell in CELLS if row.get(cell) is False), None)
    if first is None:
        first = next(((row, "dA") for row in rows if row.get("codes") or row.get("step") is False), None)
    if first is None:
        if all(row.get(c) is True for row in rows for c in CELLS):
            if "LEGACY_GRADS_KEYS" in codes:
                return (
                    "Every dA, dZ, dW and db is right once the keys are read the pre-2019 way: only the names in grads "
                    "are off."
                )
            if "OUTPUT_DA_PREV_KEY" in codes:
                return (
                    "Every dA, dZ, dW and db is right once grads['dA1'] is read as grads['dA0']: only the key of the "
                    "output layer's dA_prev is off (see above)."
                )
            if codes:
                return "Every dA, dZ, dW and db in this map is right: what is wrong is elsewhere (see above)."
            return (
                "Every dA, dZ, dW and db in this map is right: what is wrong is not in these values (see the failing "
                "case below)."
            )
        return ""
    row, cell = first
    l = row["layer"]
    where = _where(row, cell, rows, L)
    below = [r for r in rows if r["layer"] < l]
    if not below:
        return where
    if all(r.get(c) is True for r in rows for c in ("dZ", "dW", "db")):
        return where + " Every dZ, dW and db is right: only dA arrays stored in grads are off."
    if all(r.get(c) is None for r in below for c in CELLS):
        return where + f" Nothing below layer {l} was computed: the grader's stand-in refuses a wrong call."
    if all(r.get("step") is True for r in below) and any(r.get(c) is False for r in below for c in CELLS):
        return (
            where
            + f" Below layer {l} the mistake only flows down through dA_prev: each lower layer's own step is right for "
            "the dA it received."
        )
    faulty = [str(r["layer"]) for r in below if r.get("step") is False]
    if faulty:
        many = len(faulty) > 1
        return (
            where + f" Layer{'s' if many else ''} {', '.join(faulty)} also {'go' if many else 'goes'} wrong in "
            f"{'their' if many else 'its'} own step."
        )
    return where
