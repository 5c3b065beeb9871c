"""Ground truth from PyTorch autograd, in float64, on CPU or CUDA.

Nothing here comes from `reference/`: every expected value is what autograd says, so the answer key
and the oracle check each other. The course's gradient convention (INTERFACE.md) is applied here once:
`dA` and `dZ` are derivatives of the *summed* loss, `dW` and `db` of the *mean* cost J.
"""

from __future__ import annotations

import numpy as np
import torch

from grader.errors import GraderError

from .cases import LayerCase, NetworkCase, NetworkTruth  # NetworkTruth: NumPy only, so a stored answer needs no torch

_ACTIVATIONS = {"relu": torch.relu, "sigmoid": torch.sigmoid}


def resolve_device(name: str = "auto") -> str:
    """`auto` picks CUDA when it works; asking for CUDA without it is the caller's fault, said plainly."""
    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cpu":
        return "cpu"
    if name == "cuda":
        if not torch.cuda.is_available():
            raise GraderError(
                f"--device cuda was asked for, but CUDA is not available to torch {torch.__version__} on this machine; "
                "use --device cpu or auto"
            )
        return "cuda"
    raise GraderError(f"unknown device {name!r}: use auto, cpu or cuda")


class Oracle:
    """Computes every quantity a check compares, for one device."""

    def __init__(self, device: str = "cpu"):
        self.device = resolve_device(device)

    def _t(self, array, grad: bool = False) -> torch.Tensor:
        return torch.tensor(
            np.asarray(array, dtype=np.float64), dtype=torch.float64, device=self.device, requires_grad=grad
        )

    @staticmethod
    def _np(tensor: torch.Tensor | None) -> np.ndarray:
        """A tensor (a value, or a `.grad` that backward() has filled in) as a NumPy copy."""
        assert tensor is not None, "a gradient autograd did not compute"
        return tensor.detach().cpu().numpy().copy()

    @staticmethod
    def _grad(tensor: torch.Tensor) -> torch.Tensor:
        assert tensor.grad is not None, "a gradient autograd did not compute"
        return tensor.grad

    # --- single layer -------------------------------------------------------------------------
    def linear(self, A_prev, W, b, dZ=None) -> dict[str, np.ndarray]:
        """Z = W A_prev + b and, given an upstream dZ, the course's (dA_prev, dW, db)."""
        A_prev_t, W_t, b_t = self._t(A_prev, True), self._t(W, True), self._t(b, True)
        Z = W_t @ A_prev_t + b_t
        out = {"Z": self._np(Z)}
        if dZ is not None:
            m = A_prev_t.shape[1]
            Z.backward(self._t(dZ))
            out.update(dA_prev=self._np(A_prev_t.grad), dW=self._np(W_t.grad) / m, db=self._np(b_t.grad) / m)
        return out

    def activation(self, Z, activation: str, dA=None) -> dict[str, np.ndarray]:
        """A = g(Z) and, given an upstream dA, dZ = dA * g'(Z), from the cached Z itself."""
        Z_t = self._t(Z, True)
        A = _ACTIVATIONS[activation](Z_t)
        out = {"A": self._np(A)}
        if dA is not None:
            A.backward(self._t(dA))
            out["dZ"] = self._np(Z_t.grad)
        return out

    def layer(self, case: LayerCase) -> dict[str, np.ndarray]:
        """Everything the single-layer functions are checked against, for one LayerCase."""
        lin = self.linear(case.A_prev, case.W, case.b, case.dZ)
        act = self.activation(case.Z, case.activation, case.dA)
        back = self.linear(case.A_prev, case.W, case.b, act["dZ"])
        return {
            "Z": lin["Z"],
            "A": act["A"],
            "linear.dA_prev": lin["dA_prev"],
            "linear.dW": lin["dW"],
            "linear.db": lin["db"],
            "dZ": act["dZ"],
            "dA_prev": back["dA_prev"],
            "dW": back["dW"],
            "db": back["db"],
        }

    # --- whole network ------------------------------------------------------------------------
    def network(self, case: NetworkCase) -> NetworkTruth:
        return self.network_from(case.X, case.Y, case.parameters, case.learning_rate)

    def network_from(self, X, Y, parameters: dict, learning_rate: float) -> NetworkTruth:
        L = len(parameters) // 2
        X_t, Y_t = self._t(X, True), self._t(Y)
        m = X_t.shape[1]
        params = {k: self._t(v, True) for k, v in parameters.items()}
        A, Zs, As = X_t, [], [X_t]  # Zs[l - 1] is layer l's Z
        for l in range(1, L + 1):
            Z = params[f"W{l}"] @ A + params[f"b{l}"]
            A = torch.sigmoid(Z) if l == L else torch.relu(Z)
            Z.retain_grad()
            A.retain_grad()
            Zs.append(Z)
            As.append(A)
        AL = A
        losses = -(Y_t * torch.log(AL) + (1 - Y_t) * torch.log(1 - AL))  # per example L_i
        cost = losses.sum() / m
        losses.sum().backward()  # summed loss: dA, dZ per example; dW, db divided by m below
        grads = {}
        for l in range(1, L + 1):
            grads[f"dA{l - 1}"] = self._np(As[l - 1].grad)
            grads[f"dW{l}"] = self._np(params[f"W{l}"].grad) / m
            grads[f"db{l}"] = self._np(params[f"b{l}"].grad) / m
        with torch.no_grad():  # the step uses the mean-cost gradients dW, db
            updated = {k: self._np(p - learning_rate * self._grad(p) / m) for k, p in params.items()}
        return NetworkTruth(
            Z=[None] + [self._np(Z) for Z in Zs],
            A=[self._np(A) for A in As],
            AL=self._np(AL),
            cost=self._np(cost),
            dZ=[None] + [self._np(Z.grad) for Z in Zs],
            dAL=self._np(AL.grad),
            grads=grads,
            updated=updated,
        )

    def update(self, parameters: dict, grads: dict, learning_rate: float) -> dict[str, np.ndarray]:
        """One gradient-descent step, for update_parameters checked with arbitrary grads."""
        out = {}
        with torch.no_grad():
            for key, value in parameters.items():
                out[key] = self._np(self._t(value) - learning_rate * self._t(grads["d" + key]))
        return out

    def cost(self, AL, Y) -> np.ndarray:
        AL_t, Y_t = self._t(AL), self._t(Y)
        m = AL_t.shape[1]
        return self._np(-(Y_t * torch.log(AL_t) + (1 - Y_t) * torch.log(1 - AL_t)).sum() / m)
