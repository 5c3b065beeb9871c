"""Deep L-layer network from scratch (course 1, week 4).

My own take on the assignment: matrix products with @, the activations written out inline instead of
the dnn_utils helpers, and nothing that silently upcasts: every step keeps the dtype it is given, so the
same code runs on float32 batches.
"""
import numpy as np

ACTIVATIONS = ("relu", "sigmoid")


def _sigmoid(Z):
    # 0.5 * (1 + tanh(Z / 2)) is the logistic function without exp overflow for large |Z| (float32!)
    return 0.5 * (1.0 + np.tanh(0.5 * Z))


def _relu(Z):
    return np.maximum(Z, 0)


# ---------------------------------------------------------------------------- initialization
def initialize_parameters(n_x, n_h, n_y):
    dims = [n_x, n_h, n_y]
    params = {}
    for l in (1, 2):
        params[f"W{l}"] = np.random.randn(dims[l], dims[l - 1]) * 0.01
        params[f"b{l}"] = np.zeros((dims[l], 1))
    return params


def initialize_parameters_deep(layer_dims):
    params = {}
    for l, (n_prev, n) in enumerate(zip(layer_dims[:-1], layer_dims[1:]), start=1):
        params[f"W{l}"] = np.random.randn(n, n_prev) * 0.01
        params[f"b{l}"] = np.zeros((n, 1))
    return params


# ---------------------------------------------------------------------------- forward
def linear_forward(A, W, b):
    Z = W @ A + b
    return Z, (A, W, b)


def linear_activation_forward(A_prev, W, b, activation):
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {ACTIVATIONS}, got {activation!r}")
    Z, linear_cache = linear_forward(A_prev, W, b)
    A = _relu(Z) if activation == "relu" else _sigmoid(Z)
    return A, (linear_cache, Z)


def L_model_forward(X, parameters):
    L = len(parameters) // 2
    activations = ["sigmoid" if l == L else "relu" for l in range(1, L + 1)]
    A, caches = X, []
    for l, activation in enumerate(activations, start=1):
        A, cache = linear_activation_forward(A, parameters[f"W{l}"], parameters[f"b{l}"], activation)
        caches.append(cache)
    return A, caches


# ---------------------------------------------------------------------------- cost
def compute_cost(AL, Y):
    m = Y.shape[1]
    log_likelihood = Y * np.log(AL) + (1 - Y) * np.log1p(-AL)
    return np.squeeze(-log_likelihood.sum(axis=1, keepdims=True) / m)


# ---------------------------------------------------------------------------- backward
def linear_backward(dZ, cache):
    A_prev, W, _ = cache
    m = A_prev.shape[1]
    dW = (dZ @ A_prev.T) / m
    db = np.sum(dZ, axis=1, keepdims=True) / m
    dA_prev = W.T @ dZ
    return dA_prev, dW, db


def linear_activation_backward(dA, cache, activation):
    linear_cache, Z = cache
    if activation == "relu":
        dZ = dA * (Z > 0)
    elif activation == "sigmoid":
        s = _sigmoid(Z)
        dZ = dA * s * (1 - s)
    else:
        raise ValueError(f"activation must be one of {ACTIVATIONS}, got {activation!r}")
    return linear_backward(dZ, linear_cache)


def L_model_backward(AL, Y, caches):
    L = len(caches)
    Y = Y.reshape(AL.shape)
    dA = -(Y / AL - (1 - Y) / (1 - AL))
    grads = {}
    for l in range(L, 0, -1):  # layer l uses caches[l - 1]
        activation = "sigmoid" if l == L else "relu"
        dA, grads[f"dW{l}"], grads[f"db{l}"] = linear_activation_backward(dA, caches[l - 1], activation)
        grads[f"dA{l - 1}"] = dA
    return grads


# ---------------------------------------------------------------------------- update
def update_parameters(params, grads, learning_rate):
    return {name: value - learning_rate * grads[f"d{name}"] for name, value in params.items()}
