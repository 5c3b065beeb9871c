"""Pack 2's ground truth: PyTorch in float64, autograd for every gradient. The pack's only torch import.

Nothing here comes from reference/: the answer key and this oracle check each other. The course's
conventions, applied once here (CONTRACT.md says where each was verified):

- Channels last. torch wants (m, C, H, W) and a weight of (n_C, n_C_prev, f, f), so inputs are
  permuted on the way in and outputs on the way out; conv2d is a cross-correlation, as the course's is.
- conv_backward's dA_prev, dW and db are the gradients of sum(Z * dZ): summed over the examples, with
  no 1/m (the course's db_mean of 7.839 is that sum). So are pool_backward's: sum(A * dA).
- The course's max mask sends the gradient to every entry equal to the window's maximum; autograd's
  max_pool2d picks one. Cases without ties use autograd; `ties=True` cases use the course's rule,
  written with unfold/fold (`_course_max_pool_backward`).
- The 2017 notebook ("v1-2017") adds the bias inside conv_single_step's sum, so its Z carries
  f*f*n_C_prev * b; every later version adds b once. Its conv_backward is the same as later ones'.
- create_mask_from_window is the course's definition, x == max(x); distribute_value is the gradient
  of a window's mean, times dz, which is the course's dz / (n_H * n_W) in every entry.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F

from grader.packs.conv_step_by_step.cases import ConvCase, DistributeCase, PadCase, PoolCase, StepCase, WindowCase
from grader.packs.conv_step_by_step.interface import BIAS_IN_SUM_VERSIONS, LATEST, ORDER, VERSIONS


def _to_nchw(x: torch.Tensor) -> torch.Tensor:
    return x.permute(0, 3, 1, 2)


def _to_nhwc(x: torch.Tensor) -> torch.Tensor:
    return x.permute(0, 2, 3, 1)


def conv2d_nhwc(A_prev: torch.Tensor, W: torch.Tensor, b: torch.Tensor, stride: int, pad: int) -> torch.Tensor:
    """The course's conv_forward Z, channels last, by torch's conv2d."""
    # contiguous(): float64 conv2d on CPU (slow_conv2d) refuses a permuted, strided weight in backward
    Z = F.conv2d(
        _to_nchw(A_prev).contiguous(), W.permute(3, 2, 0, 1).contiguous(), b.reshape(-1), stride=stride, padding=pad
    )
    return _to_nhwc(Z)


def pool2d_nhwc(A_prev: torch.Tensor, f: int, stride: int, mode: str) -> torch.Tensor:
    """The course's pool_forward A, channels last, by torch's max_pool2d / avg_pool2d (floor sizes, no pad)."""
    pools: dict[str, Callable[..., torch.Tensor]] = {"max": F.max_pool2d, "average": F.avg_pool2d}
    pool = pools[mode]
    return _to_nhwc(pool(_to_nchw(A_prev), kernel_size=f, stride=stride))


def _course_max_pool_backward(A_prev: torch.Tensor, dA: torch.Tensor, f: int, stride: int) -> torch.Tensor:
    """dA_prev by the course's rule: each window's dA goes, whole, to every entry equal to its maximum."""
    m, n_H_prev, n_W_prev, n_C = A_prev.shape
    planes = _to_nchw(A_prev).reshape(m * n_C, 1, n_H_prev, n_W_prev)
    windows = F.unfold(planes, kernel_size=f, stride=stride)  # (m*n_C, f*f, n_H*n_W), positions row-major
    mask = windows == windows.amax(dim=1, keepdim=True)
    upstream = _to_nchw(dA).reshape(m * n_C, 1, -1)
    summed = F.fold(mask * upstream, output_size=(n_H_prev, n_W_prev), kernel_size=f, stride=stride)  # overlaps add up
    return _to_nhwc(summed.reshape(m, n_C, n_H_prev, n_W_prev))


def resolve_device(name: str = "auto") -> str:
    """`auto` picks CUDA when torch has it; asking for CUDA without it is said plainly."""
    from grader.errors import GraderError

    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda" and not torch.cuda.is_available():
        raise GraderError(
            f"--device cuda was asked for, but CUDA is not available to torch {torch.__version__} on this machine; use "
            "--device cpu or auto"
        )
    if name not in ("cpu", "cuda"):
        raise GraderError(f"unknown device {name!r}: use auto, cpu or cuda")
    return name


class ConvOracle:
    """Every output of every graded function of pack 2, keyed by the course's names."""

    def __init__(self, device: str = "cpu", version: str = LATEST):
        if version not in VERSIONS:
            raise ValueError(f"unknown notebook version {version!r}: one of {', '.join(VERSIONS)}")
        self.device = torch.device(device)
        self.version = version

    def _bias_factor(self, W_shape) -> int:
        """How many times the course's conv_single_step adds b: once, or f*f*n_C_prev times in 2017."""
        return int(np.prod(W_shape[:3])) if self.version in BIAS_IN_SUM_VERSIONS else 1

    def _t(self, array, grad: bool = False) -> torch.Tensor:
        return torch.tensor(
            np.asarray(array, dtype=np.float64), dtype=torch.float64, device=self.device, requires_grad=grad
        )

    @staticmethod
    def _np(tensor: torch.Tensor | None) -> np.ndarray:
        """A tensor (a value, or a `.grad` that backward() has filled in) as a NumPy copy."""
        assert tensor is not None, "a gradient autograd did not compute"
        return tensor.detach().cpu().numpy().copy()

    def zero_pad(self, case: PadCase) -> dict:
        p = case.pad
        return {"X_pad": self._np(F.pad(self._t(case.X), (0, 0, p, p, p, p)))}  # C untouched, then W, then H

    def conv_single_step(self, case: StepCase) -> dict:
        Z = torch.sum(self._t(case.a_slice_prev) * self._t(case.W)) + self._bias_factor(case.W.shape) * self._t(
            case.b
        ).reshape(())
        return {"Z": np.float64(Z.item())}

    def conv_forward(self, case: ConvCase) -> dict:
        b = self._bias_factor(case.W.shape) * self._t(case.b)
        Z = conv2d_nhwc(self._t(case.A_prev), self._t(case.W), b, case.stride, case.pad)
        return {"Z": self._np(Z), "cache": case.cache}

    def conv_backward(self, case: ConvCase) -> dict:
        A_prev, W, b = self._t(case.A_prev, True), self._t(case.W, True), self._t(case.b, True)
        Z = conv2d_nhwc(A_prev, W, b, case.stride, case.pad)
        torch.sum(Z * self._t(case.dZ)).backward()  # summed over examples: no 1/m, as the course
        return {"dA_prev": self._np(A_prev.grad), "dW": self._np(W.grad), "db": self._np(b.grad)}

    def pool_forward(self, case: PoolCase) -> dict:
        A = pool2d_nhwc(self._t(case.A_prev), case.f, case.stride, case.mode)
        return {"A": self._np(A), "cache": case.cache}

    def pool_backward(self, case: PoolCase) -> dict:
        if case.mode == "max" and case.ties:
            return {
                "dA_prev": self._np(
                    _course_max_pool_backward(self._t(case.A_prev), self._t(case.dA), case.f, case.stride)
                )
            }
        A_prev = self._t(case.A_prev, True)
        A = pool2d_nhwc(A_prev, case.f, case.stride, case.mode)
        torch.sum(A * self._t(case.dA)).backward()
        return {"dA_prev": self._np(A_prev.grad)}

    def create_mask_from_window(self, case: WindowCase) -> dict:
        x = self._t(case.x)
        return {"mask": self._np(x == torch.amax(x))}

    def distribute_value(self, case: DistributeCase) -> dict:
        window = torch.zeros(case.shape, dtype=torch.float64, device=self.device, requires_grad=True)
        (torch.mean(window) * float(case.dz)).backward()
        return {"a": self._np(window.grad)}

    def end_to_end(self, case) -> dict:
        """The chain of chain.py: Z, A, then the gradients of sum(A * dA) at Z (dZ) and at the inputs.

        db is the gradient at the bias as Z carries it (the course's conv_backward sums dZ in every
        version): in 2017 Z carries f*f*n_C_prev * b, and its db is still sum(dZ), not that many times it."""
        A_prev, W = self._t(case.A_prev, True), self._t(case.W, True)
        b = self._t(self._bias_factor(case.W.shape) * np.asarray(case.b, dtype=np.float64), True)
        Z = conv2d_nhwc(A_prev, W, b, case.hparameters["stride"], case.hparameters["pad"])
        Z.retain_grad()
        A = pool2d_nhwc(Z, case.hparameters_pool["f"], case.hparameters_pool["stride"], case.mode)
        torch.sum(A * self._t(case.dA)).backward()
        return {
            "Z": self._np(Z),
            "A": self._np(A),
            "dZ": self._np(Z.grad),
            "dA_prev": self._np(A_prev.grad),
            "dW": self._np(W.grad),
            "db": self._np(b.grad),
        }

    def under(self, version: str, function: str, case) -> dict:
        """The answers of `function` ("end_to_end" too) on `case` by another version's contract."""
        return ConvOracle(str(self.device), version).answers(function, case)

    def answers(self, function: str, case) -> dict:
        """The expected outputs of `function` on `case`."""
        if function == "end_to_end":
            return self.end_to_end(case)
        if function not in ORDER:
            raise KeyError(f"pack 2 has no graded function {function!r}")
        return getattr(self, function)(case)
