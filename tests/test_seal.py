"""Sealed stand-in answers: only the exact arguments open one, and an answer that holds an argument
travels as a reference to it, put back as a copy of the caller's own argument."""

from __future__ import annotations

import numpy as np

from grader.pack import CaseInput
from grader.sandbox import seal, wire
from grader.sandbox.child import StandIn


def _forward_table():
    rng = np.random.default_rng(0)
    A_prev, W, b = rng.standard_normal((4, 3)), rng.standard_normal((2, 4)), rng.standard_normal((2, 1))
    Z = W @ A_prev + b
    args = (A_prev, W, b)
    return args, (Z, args)  # linear_forward's answer: Z and the cache, which *is* the arguments


def test_fold_replaces_the_arguments_themselves_and_nothing_equal_to_them():
    args, answer = _forward_table()
    folded = seal.fold(answer, args)
    assert isinstance(folded[0], np.ndarray)  # Z: not an argument
    assert folded[1] == ({seal.ARGUMENT: 0}, {seal.ARGUMENT: 1}, {seal.ARGUMENT: 2})
    look_alike = (answer[0], tuple(a.copy() for a in args))  # equal values, other objects: kept whole
    assert all(isinstance(v, np.ndarray) for v in seal.fold(look_alike, args)[1])


def test_unfold_gives_fresh_c_ordered_copies_of_the_callers_arguments():
    args, answer = _forward_table()
    caller = (np.asfortranarray(args[0]), args[1].copy(), args[2].copy())
    opened = seal.unfold(wire.decode(wire.encode(seal.fold(answer, args))), caller)
    for got, want, passed in zip(opened[1], args, caller):
        assert type(got) is np.ndarray and got.flags.c_contiguous and got.flags.writeable
        assert got is not passed and not np.shares_memory(got, passed)
        assert got.tobytes() == want.tobytes()
    assert opened[0].tobytes() == answer[0].tobytes()


def test_a_sealed_answer_opens_to_the_whole_answer_and_only_for_the_exact_arguments():
    args, answer = _forward_table()
    salt = b"0123456789abcdef"
    case = CaseInput(0, "random", "", args, answer, {"linear_forward": [(args, answer, "this layer")]})
    sealed = wire.decode(wire.encode(case.to_job(salt)))["sealed"]["linear_forward"]
    (blob,) = sealed.values()
    assert len(blob) < len(wire.encode(("this layer", answer))) - sum(a.nbytes for a in args)  # the cache travelled as references
    log: list = []
    stand_in = StandIn("linear_forward", 0, (-1, -1), ("A", "W", "b"), sealed, salt, log)
    Z, cache = stand_in(*(a.copy() for a in args))
    assert Z.tobytes() == answer[0].tobytes() and all(g.tobytes() == w.tobytes() for g, w in zip(cache, args))
    assert log == [{"helper": "linear_forward", "matched": "this layer"}]
    off = (args[0] + 1e-12, args[1], args[2])  # close, but not the exact arguments: no key opens
    key = seal.key_for(salt, wire.encode(off))
    assert seal.lookup_id(key) not in sealed
