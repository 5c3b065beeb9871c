# Week 4, "Building your Deep Neural Network: Step by Step" -- exported with File > Download as > Python.
# The import cell asks dnn_utils_v2 for a name it does not have (load_data lives in dnn_app_utils), so
# that whole import fails while loading; the helpers it would have given come from the grader instead.

import numpy as np
import matplotlib.pyplot as plt
from testCases_v4a import *
from dnn_utils_v2 import load_data, sigmoid, sigmoid_backward, relu, relu_backward

get_ipython().run_line_magic('run', 'my_plot_helpers.py')
get_ipython().run_line_magic('matplotlib', 'inline')

np.random.seed(1)


# GRADED FUNCTION: initialize_parameters
def initialize_parameters(n_x, n_h, n_y):
    np.random.seed(1)
    W1 = np.random.randn(n_h, n_x) * 0.01
    b1 = np.zeros((n_h, 1))
    W2 = np.random.randn(n_y, n_h) * 0.01
    b2 = np.zeros((n_y, 1))
    return {"W1": W1, "b1": b1, "W2": W2, "b2": b2}


# GRADED FUNCTION: initialize_parameters_deep
def initialize_parameters_deep(layer_dims):
    np.random.seed(3)
    params = {}
    for i in range(1, len(layer_dims)):
        params["W%d" % i] = np.random.randn(layer_dims[i], layer_dims[i - 1]) * 0.01
        params["b%d" % i] = np.zeros((layer_dims[i], 1))
    return params


# GRADED FUNCTION: linear_forward
def linear_forward(A, W, b):
    Z = W.dot(A) + b
    return Z, (A, W, b)


# GRADED FUNCTION: linear_activation_forward
def linear_activation_forward(A_prev, W, b, activation):
    Z, linear_cache = linear_forward(A_prev, W, b)
    if activation == "sigmoid":
        A, activation_cache = sigmoid(Z)
    else:
        A, activation_cache = relu(Z)
    return A, (linear_cache, activation_cache)


# GRADED FUNCTION: L_model_forward
def L_model_forward(X, parameters):
    caches = []
    A = X
    L = len(parameters) // 2
    for l in range(1, L):
        A, cache = linear_activation_forward(A, parameters["W%d" % l], parameters["b%d" % l], "relu")
        caches.append(cache)
    AL, cache = linear_activation_forward(A, parameters["W%d" % L], parameters["b%d" % L], "sigmoid")
    caches.append(cache)
    return AL, caches


# GRADED FUNCTION: compute_cost
def compute_cost(AL, Y):
    m = Y.shape[1]
    cost = -np.sum(Y * np.log(AL) + (1 - Y) * np.log(1 - AL)) / m
    return np.squeeze(cost)


# GRADED FUNCTION: linear_backward
def linear_backward(dZ, cache):
    A_prev, W, b = cache
    m = A_prev.shape[1]
    dW = dZ.dot(A_prev.T) / m
    db = dZ.sum(axis=1, keepdims=True) / m
    dA_prev = W.T.dot(dZ)
    return dA_prev, dW, db


# GRADED FUNCTION: linear_activation_backward
def linear_activation_backward(dA, cache, activation):
    linear_cache, activation_cache = cache
    if activation == "relu":
        dZ = relu_backward(dA, activation_cache)
    else:
        dZ = sigmoid_backward(dA, activation_cache)
    return linear_backward(dZ, linear_cache)


# GRADED FUNCTION: L_model_backward
def L_model_backward(AL, Y, caches):
    grads = {}
    L = len(caches)
    Y = Y.reshape(AL.shape)
    dAL = -(np.divide(Y, AL) - np.divide(1 - Y, 1 - AL))
    grads["dA%d" % (L - 1)], grads["dW%d" % L], grads["db%d" % L] = linear_activation_backward(dAL, caches[L - 1], "sigmoid")
    for l in reversed(range(L - 1)):
        dA_prev, dW, db = linear_activation_backward(grads["dA%d" % (l + 1)], caches[l], "relu")
        grads["dA%d" % l] = dA_prev
        grads["dW%d" % (l + 1)] = dW
        grads["db%d" % (l + 1)] = db
    return grads


# GRADED FUNCTION: update_parameters
def update_parameters(parameters, grads, learning_rate):
    L = len(parameters) // 2
    for l in range(1, L + 1):
        parameters["W%d" % l] -= learning_rate * grads["dW%d" % l]
        parameters["b%d" % l] -= learning_rate * grads["db%d" % l]
    return parameters


parameters, grads = update_parameters_test_case()
print_grads(update_parameters(parameters, grads, 0.1))
