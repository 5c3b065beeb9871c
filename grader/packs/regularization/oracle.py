"""Pack 3's answers: the course's three-layer network and its cost in torch, written once, and the
course's conventions as a table. The only module of the pack that imports torch (through
grader/judge/autograd_answers.py), reached only from `make_oracle`.

LINEAR -> RELU -> DROPOUT -> LINEAR -> RELU -> DROPOUT -> LINEAR -> SIGMOID; L2 regularisation is the
same network with keep_prob 1 (all-True masks) and lambd > 0, dropout the same with lambd 0.
"""

from __future__ import annotations

import numpy as np

from grader.judge.autograd_answers import Grad, resolve_device, run

CACHE = (
    "Z1",
    "D1",
    "A1",
    "W1",
    "b1",
    "Z2",
    "D2",
    "A2",
    "W2",
    "b2",
    "Z3",
    "A3",
    "W3",
    "b3",
)  # forward_propagation_with_dropout's
PLAIN_CACHE = tuple(n for n in CACHE if not n.startswith("D"))  # forward_propagation's (reg_utils), without masks
PARAMETERS = ("W1", "b1", "W2", "b2", "W3", "b3")
# The course's backward quantities: dZ and dA are per example (m times autograd's dJ/d), dW and db are
# dJ/d itself; with dropout, dA is the gradient of the ReLU's output (the mask and 1/keep_prob applied).
GRADIENTS = {
    "dZ3": Grad("Z3", "m"),
    "dW3": Grad("W3"),
    "db3": Grad("b3"),
    "dA2": Grad("R2", "m"),
    "dZ2": Grad("Z2", "m"),
    "dW2": Grad("W2"),
    "db2": Grad("b2"),
    "dA1": Grad("R1", "m"),
    "dZ1": Grad("Z1", "m"),
    "dW1": Grad("W1"),
    "db1": Grad("b1"),
}


def forward(torch, t: dict) -> dict:
    Z1 = t["W1"] @ t["X"] + t["b1"]
    R1 = torch.relu(Z1)
    A1 = R1 * t["D1"] / t["keep_prob"]
    Z2 = t["W2"] @ A1 + t["b2"]
    R2 = torch.relu(Z2)
    A2 = R2 * t["D2"] / t["keep_prob"]
    Z3 = t["W3"] @ A2 + t["b3"]
    return {"Z1": Z1, "R1": R1, "A1": A1, "Z2": Z2, "R2": R2, "A2": A2, "Z3": Z3, "A3": torch.sigmoid(Z3)}


def cost(torch, v: dict):
    """Cross-entropy, mean over the m examples, plus lambd / (2 m) times the sum of every squared weight."""
    Y = v["Y"]
    m = Y.shape[1]
    if "Z3" in v:  # from the logits: exact where sigmoid saturates (A3 == 1.0 has no finite log(1 - A3))
        logits = torch.nn.functional.binary_cross_entropy_with_logits
        cross_entropy = logits(v["Z3"], Y.to(v["Z3"].dtype), reduction="sum") / m
    else:
        cross_entropy = -(Y * torch.log(v["A3"]) + (1 - Y) * torch.log(1 - v["A3"])).sum() / m
    return cross_entropy + v["lambd"] / (2 * m) * sum((v[w] ** 2).sum() for w in ("W1", "W2", "W3"))


def course_masks(seed: int, shapes: list[tuple[int, int]], keep_prob: float) -> list[np.ndarray]:
    """The course's draws: after np.random.seed(seed), D = np.random.rand(*shape) < keep_prob, layer by layer."""
    draws = np.random.RandomState(seed)
    return [draws.rand(*shape) < keep_prob for shape in shapes]


class Oracle:
    def __init__(self, device: str = "cpu"):
        self.device = resolve_device(device)

    def _run(self, X, Y, parameters: dict, masks, keep_prob: float, lambd: float):
        inputs = {
            "X": X,
            "Y": np.zeros((1, X.shape[1])) if Y is None else Y,
            **{k: parameters[k] for k in PARAMETERS},
            "D1": masks[0],
            "D2": masks[1],
            "keep_prob": float(keep_prob),
            "lambd": float(lambd),
        }
        return run(
            inputs,
            forward,
            cost if Y is not None else None,
            GRADIENTS if Y is not None else None,
            X.shape[1],
            self.device,
        )

    def forward(self, X, parameters: dict) -> tuple:
        """reg_utils.forward_propagation's (a3, cache): to build backward_propagation_with_regularization's cases."""
        ones = [np.ones((parameters[w].shape[0], X.shape[1]), dtype=bool) for w in ("W1", "W2")]
        v = self._run(X, None, parameters, ones, 1.0, 0.0).values
        return v["A3"], tuple(v[n] for n in PLAIN_CACHE)

    def answer(self, function: str, args: tuple, seed: int):
        if function == "compute_cost_with_regularization":
            A3, Y, parameters, lambd = args
            inputs = {"A3": A3, "Y": Y, **{w: parameters[w] for w in ("W1", "W2", "W3")}, "lambd": float(lambd)}
            return np.array(run(inputs, None, cost, None, 1, self.device).cost)
        if function == "forward_propagation_with_dropout":
            X, parameters, keep_prob = args
            masks = course_masks(seed, [(parameters[w].shape[0], X.shape[1]) for w in ("W1", "W2")], keep_prob)
            v = self._run(X, None, parameters, masks, keep_prob, 0.0).values
            return v["A3"], tuple(v[n] for n in CACHE)
        X, Y, cache, hyper = args
        if function == "backward_propagation_with_regularization":
            named = dict(zip(PLAIN_CACHE, cache))
            ones = [np.ones(named[a].shape, dtype=bool) for a in ("A1", "A2")]
            return self._run(X, Y, named, ones, 1.0, hyper).grads
        if function == "backward_propagation_with_dropout":
            named = dict(zip(CACHE, cache))
            return self._run(X, Y, named, [named["D1"], named["D2"]], hyper, 0.0).grads
        raise KeyError(function)
