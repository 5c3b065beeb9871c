"""Every graded gradient from one autograd pass, given the forward and the cost in torch and the course's
conventions as data.

A pack writes its forward computation once, as a function of named tensors returning named tensors
(`forward(torch, t) -> {"Z1": ..., "A1": ...}`), and its cost once (`cost(torch, values) -> J`, the
scalar the course calls the cost). The course's backward functions return quantities that are not all
autograd's dJ/dx: `dZ3 = A3 - Y` is m times dJ/dZ3, while `dW3` is dJ/dW3 itself. `Grad(of, scale)`
says which tensor a returned quantity is the gradient of, and at what scale ("m": the number of
examples times autograd's; a number: that multiple). `run` converts the NumPy inputs to float64 tensors
(boolean and integer arrays stay masks, numbers stay numbers), runs forward and cost, backpropagates
once and converts back: the forward's values (caches included) and each named gradient, as NumPy.

Torch is imported here only, and only when `run` is called (from a pack's `make_oracle`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Grad:
    """A returned quantity that is `scale` times autograd's dJ/d(`of`)."""

    of: str  # a named tensor of the forward, or an input
    scale: str | float = 1.0  # "m": the number of examples times autograd's gradient (the course's per-example dZ, dA)


@dataclass(frozen=True)
class Answers:
    values: dict  # every input and every named value of the forward, as NumPy
    cost: float | None  # J, where a cost was given
    grads: dict  # course name -> NumPy array, by the conventions table


def resolve_device(name: str = "cpu") -> str:
    """ "auto": CUDA when torch sees it, else the CPU; "cuda" must be there."""
    import torch

    from grader.errors import GraderError

    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda" and not torch.cuda.is_available():
        raise GraderError("--device cuda was asked for, but torch sees no CUDA device")
    return name


def to_torch(value, device: str = "cpu", grad: bool = True):
    """A float array becomes a float64 leaf that collects its gradient; a boolean or integer array a mask
    (no gradient); a number stays a Python number; a dict or tuple is converted item by item."""
    import torch

    if isinstance(value, dict):
        return {k: to_torch(v, device, grad) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        return type(value)(to_torch(v, device, grad) for v in value)
    if isinstance(value, np.ndarray):
        if value.dtype.kind == "f":
            return torch.tensor(value, dtype=torch.float64, device=device, requires_grad=grad)
        return torch.tensor(value, device=device)
    if isinstance(value, (np.floating, np.integer)):
        return value.item()
    return value


def to_numpy(value):
    """Tensors back to NumPy (float64, or the mask's own dtype), through dicts, tuples and lists."""
    import torch

    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy().copy()
    if isinstance(value, dict):
        return {k: to_numpy(v) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        return type(value)(to_numpy(v) for v in value)
    return value


def run(
    inputs: dict,
    forward: Callable | None = None,
    cost: Callable | None = None,
    grads: dict[str, Grad] | None = None,
    m: int = 1,
    device: str = "cpu",
) -> Answers:
    """One pass: `forward(torch, t)` on the inputs as tensors (None: the inputs are the values), then
    `cost(torch, values)` and its gradients by `grads` (course name -> Grad). `m`: what scale "m" means."""
    import torch

    leaves = {g.of for g in (grads or {}).values()}
    t = {
        name: torch.tensor(float(value), dtype=torch.float64, device=device, requires_grad=True)
        if name in leaves and isinstance(value, (int, float, np.floating, np.integer))
        else to_torch(value, device)
        for name, value in inputs.items()
    }  # a number whose gradient is asked for (a scalar bias b) becomes a 0-d leaf
    values = dict(t)
    with torch.enable_grad():
        if forward is not None:
            values.update(forward(torch, t))
        for value in values.values():
            if isinstance(value, torch.Tensor) and value.requires_grad and not value.is_leaf:
                value.retain_grad()
        J = cost(torch, values) if cost is not None else None
        if J is not None and grads:
            J.backward()
    out = {}
    for name, g in (grads or {}).items():
        tensor = values[g.of]
        got = tensor.grad if tensor.grad is not None else torch.zeros_like(tensor)
        out[name] = to_numpy(got * (m if g.scale == "m" else float(g.scale)))
    return Answers(to_numpy(values), None if J is None else float(J.detach()), out)
