"""Correct, in yet another style: helpers called with keyword arguments in their own order,
np.matmul, parameters named after the course's formulas, and its own sigmoid/relu."""

import numpy as np


def _sigmoid(Z):
    return 1.0 / (1.0 + np.exp(-Z)), Z


def _relu(Z):
    return np.maximum(Z, 0), Z


def initialize_parameters(n_x, n_h, n_y):
    np.random.seed(1)
    return {"W1": np.random.randn(n_h, n_x) * 0.01, "b1": np.zeros(shape=(n_h, 1)),
            "W2": np.random.randn(n_y, n_h) * 0.01, "b2": np.zeros(shape=(n_y, 1))}


def initialize_parameters_deep(layer_dims):
    np.random.seed(3)
    parameters = {}
    for l, (n_prev, n) in enumerate(zip(layer_dims[:-1], layer_dims[1:]), start=1):
        parameters[f"W{l}"] = np.random.randn(n, n_prev) * 0.01
        parameters[f"b{l}"] = np.zeros(shape=(n, 1))
    return parameters


def linear_forward(A, W, b):
    return np.matmul(W, A) + b, (A, W, b)


def linear_activation_forward(A_prev, W, b, activation):
    Z, linear_cache = linear_forward(b=b, W=W, A=A_prev)
    A, activation_cache = _sigmoid(Z) if activation == "sigmoid" else _relu(Z)
    return A, (linear_cache, activation_cache)


def L_model_forward(X, parameters):
    caches, A = [], X
    L = len(parameters) // 2
    for l in range(1, L + 1):
        A, cache = linear_activation_forward(activation="sigmoid" if l == L else "relu",
                                             W=parameters[f"W{l}"], b=parameters[f"b{l}"], A_prev=A)
        caches.append(cache)
    return A, caches


def compute_cost(AL, Y):
    m = Y.shape[1]
    logprobs = np.multiply(Y, np.log(AL)) + np.multiply(1 - Y, np.log(1 - AL))
    return np.squeeze(-np.sum(logprobs) / m)


def linear_backward(dZ, cache):
    A_prev, W, b = cache
    m = A_prev.shape[1]
    return np.matmul(W.T, dZ), np.matmul(dZ, A_prev.T) / m, dZ.sum(axis=1, keepdims=True) / m


def linear_activation_backward(dA, cache, activation):
    linear_cache, Z = cache
    if activation == "relu":
        dZ = np.where(Z > 0, dA, 0.0)
    else:
        s = 1.0 / (1.0 + np.exp(-Z))
        dZ = dA * s * (1 - s)
    return linear_backward(cache=linear_cache, dZ=dZ)


def L_model_backward(AL, Y, caches):
    grads = {}
    L = len(caches)
    Y = Y.reshape(AL.shape)
    dA = -(Y / AL - (1 - Y) / (1 - AL))
    for l in reversed(range(1, L + 1)):
        dA, grads[f"dW{l}"], grads[f"db{l}"] = linear_activation_backward(
            activation="sigmoid" if l == L else "relu", cache=caches[l - 1], dA=dA)
        grads[f"dA{l - 1}"] = dA
    return grads


def update_parameters(params, grads, learning_rate):
    return {key: value - learning_rate * grads["d" + key] for key, value in params.items()}
