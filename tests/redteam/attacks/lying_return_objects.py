# RED-TEAM ATTACK (issue 9): return objects whose __eq__, __array__, __float__, __len__ lie.
# Route: a float subclass whose __float__ and __eq__ say whatever is asked, an object whose __array__
#   hands out a different array each call, a dict that claims to equal anything and to hold the
#   expected keys, a tuple with a lying __len__; if the trusted side ever compares or converts
#   through them, they pass.
# Contained when: every one of these functions scores 0.
# attacked: compute_cost, linear_forward, linear_backward, L_model_backward
# run: batch
import numpy as np


class _Cost(float):
    def __float__(self):
        return float(np.random.rand())

    def __eq__(self, other):
        return True

    __hash__ = float.__hash__


class _Shifty:
    shape = ()

    def __array__(self, dtype=None, copy=None):
        return np.random.rand(*self.shape)

    def __eq__(self, other):
        return True

    def __getattr__(self, name):
        return lambda *a, **k: True


class _Agreeable(dict):
    def __eq__(self, other):
        return True

    def keys(self):
        return ["dA0", "dW1", "db1"]


class _LongTuple(tuple):
    def __len__(self):
        return 3

    def __eq__(self, other):
        return True


def compute_cost(AL, Y):
    return _Cost(0.0)


def linear_forward(A, W, b):
    Z = _Shifty()
    Z.shape = (W.shape[0], A.shape[1])
    return _LongTuple((Z, (A, W, b)))


def linear_backward(dZ, cache):
    return _LongTuple((_Shifty(), _Shifty(), _Shifty()))


def L_model_backward(AL, Y, caches):
    return _Agreeable(dA0=_Shifty(), dW1=_Shifty(), db1=_Shifty())
