# RED-TEAM ATTACK (issue 9): NumPy subclasses, object arrays and odd dtypes as return values.
# Route: an ndarray subclass whose tobytes/__array_interface__/shape claim other data, a matrix, a
#   masked array, object arrays that hold arrays (and lying objects), structured and datetime dtypes;
#   whatever decodes or compares them on the trusted side might believe them or run their code.
# Contained when: every one of these functions scores 0 (none computes a right answer).
# attacked: linear_forward, linear_activation_forward, compute_cost, linear_backward, L_model_forward
# run: batch
import numpy as np


class _Forged(np.ndarray):
    def tobytes(self, order="C"):
        return b"\x00" * self.nbytes

    @property
    def __array_interface__(self):
        return {"shape": (1,), "typestr": "<f8", "data": (0, True), "version": 3}

    def __eq__(self, other):
        return np.ones(np.shape(other), bool)

    def __reduce__(self):
        return (print, ("unpickled on the trusted side",))


def linear_forward(A, W, b):
    Z = np.zeros((W.shape[0], A.shape[1])).view(_Forged)
    return Z, (np.ma.masked_array(A, mask=True), np.asmatrix(W), b.view(_Forged))


def linear_activation_forward(A_prev, W, b, activation):
    cache = np.empty(2, dtype=object)
    cache[0], cache[1] = (A_prev, W, b), np.zeros((W.shape[0], A_prev.shape[1]))
    return np.array([np.zeros(1)], dtype=object), cache


def compute_cost(AL, Y):
    return np.array([(0.5, 1)], dtype=[("cost", "f8"), ("ok", "i1")])


def linear_backward(dZ, cache):
    A_prev, W, b = cache
    return (np.zeros(A_prev.shape, "datetime64[s]"), np.zeros(W.shape, "V8"), np.array(b, dtype=object))


def L_model_forward(X, parameters):
    return np.zeros((1, X.shape[1]), dtype=">f8").view(_Forged), [np.empty(0, dtype=object)]
