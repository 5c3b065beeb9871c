# HOSTILE EXAMPLE SUBMISSION -- do not run outside the grader's sandbox.
# Attack: a top-level `import torch`, and an L_model_backward that does no work: it tries to import the answer
#   key (`reference.deep_nn`) or the grader's autograd oracle (`grader.oracle`) and return their answer, by a
#   plain import statement, by calling __import__ directly (no globals), and through importlib found in
#   sys.modules. Only if all of that fails does it raise.
# The grader must contain: imports -- neither the answer key nor the grader itself may be importable from
#   submission code, by any route; `import torch` must not stop the module from loading.
# Still graded: every other function is correct and must get full credit (none of them uses torch). Fails:
#   L_model_backward (it cannot reach the answers, so it raises) and end_to_end (which calls it).

import sys
import numpy as np
import torch
from dnn_utils import sigmoid, sigmoid_backward, relu, relu_backward


# GRADED FUNCTION: initialize_parameters
def initialize_parameters(n_x, n_h, n_y):
    W1 = np.random.randn(n_h, n_x) * 0.01
    b1 = np.zeros((n_h, 1))
    W2 = np.random.randn(n_y, n_h) * 0.01
    b2 = np.zeros((n_y, 1))
    parameters = {"W1": W1, "b1": b1, "W2": W2, "b2": b2}
    return parameters


# GRADED FUNCTION: initialize_parameters_deep
def initialize_parameters_deep(layer_dims):
    parameters = {}
    L = len(layer_dims)  # number of layers in the network
    for l in range(1, L):
        parameters['W' + str(l)] = np.random.randn(layer_dims[l], layer_dims[l - 1]) * 0.01
        parameters['b' + str(l)] = np.zeros((layer_dims[l], 1))
    return parameters


# GRADED FUNCTION: linear_forward
def linear_forward(A, W, b):
    Z = np.dot(W, A) + b
    cache = (A, W, b)
    return Z, cache


# GRADED FUNCTION: linear_activation_forward
def linear_activation_forward(A_prev, W, b, activation):
    if activation == "sigmoid":
        Z, linear_cache = linear_forward(A_prev, W, b)
        A, activation_cache = sigmoid(Z)
    elif activation == "relu":
        Z, linear_cache = linear_forward(A_prev, W, b)
        A, activation_cache = relu(Z)
    cache = (linear_cache, activation_cache)
    return A, cache


# GRADED FUNCTION: L_model_forward
def L_model_forward(X, parameters):
    caches = []
    A = X
    L = len(parameters) // 2  # number of layers in the neural network

    # [LINEAR -> RELU]*(L-1)
    for l in range(1, L):
        A_prev = A
        A, cache = linear_activation_forward(A_prev, parameters['W' + str(l)], parameters['b' + str(l)], "relu")
        caches.append(cache)

    # LINEAR -> SIGMOID
    AL, cache = linear_activation_forward(A, parameters['W' + str(L)], parameters['b' + str(L)], "sigmoid")
    caches.append(cache)
    return AL, caches


# GRADED FUNCTION: compute_cost
def compute_cost(AL, Y):
    m = Y.shape[1]
    logprobs = np.multiply(Y, np.log(AL)) + np.multiply(1 - Y, np.log(1 - AL))
    cost = -1 / m * np.sum(logprobs)
    cost = np.squeeze(cost)  # e.g. turns [[17]] into 17
    return cost


# GRADED FUNCTION: linear_backward
def linear_backward(dZ, cache):
    A_prev, W, b = cache
    m = A_prev.shape[1]
    dW = 1 / m * np.dot(dZ, A_prev.T)
    db = 1 / m * np.sum(dZ, axis=1, keepdims=True)
    dA_prev = np.dot(W.T, dZ)
    return dA_prev, dW, db


# GRADED FUNCTION: linear_activation_backward
def linear_activation_backward(dA, cache, activation):
    linear_cache, activation_cache = cache
    if activation == "relu":
        dZ = relu_backward(dA, activation_cache)
        dA_prev, dW, db = linear_backward(dZ, linear_cache)
    elif activation == "sigmoid":
        dZ = sigmoid_backward(dA, activation_cache)
        dA_prev, dW, db = linear_backward(dZ, linear_cache)
    return dA_prev, dW, db


# GRADED FUNCTION: L_model_backward
def L_model_backward(AL, Y, caches):
    # why derive it when the answer key is right there
    try:
        from reference.deep_nn import L_model_backward as answer
        return answer(AL, Y, caches)
    except Exception:
        pass
    for name in ("reference.deep_nn", "deep_nn"):
        try:
            return __import__(name, None, None, ["L_model_backward"]).L_model_backward(AL, Y, caches)
        except Exception:
            pass
        try:
            return sys.modules["importlib"].import_module(name).L_model_backward(AL, Y, caches)
        except Exception:
            pass
    try:
        import grader.oracle
        oracle = grader.oracle
    except Exception:
        try:
            oracle = __import__("grader.oracle", None, None, ["Oracle"])
        except Exception:
            oracle = None
    if oracle is not None:
        L = len(caches)
        parameters = {}
        for l in range(1, L + 1):
            (A_prev, W, b), Z = caches[l - 1]
            parameters["W" + str(l)], parameters["b" + str(l)] = W, b
        truth = oracle.Oracle("cpu").network_from(caches[0][0][0], Y.reshape(AL.shape), parameters, 0.0)
        return truth.grads
    raise RuntimeError("no answer key to copy from")


# GRADED FUNCTION: update_parameters
def update_parameters(params, grads, learning_rate):
    parameters = params.copy()
    L = len(parameters) // 2  # number of layers in the neural network
    for l in range(L):
        parameters["W" + str(l + 1)] = parameters["W" + str(l + 1)] - learning_rate * grads["dW" + str(l + 1)]
        parameters["b" + str(l + 1)] = parameters["b" + str(l + 1)] - learning_rate * grads["db" + str(l + 1)]
    return parameters
