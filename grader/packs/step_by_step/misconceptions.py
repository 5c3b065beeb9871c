"""The catalogue of known ways students get this assignment wrong: text only, no evidence tests.

Each entry has a stable code (reports and class statistics count them), a title, a one-paragraph
explanation in the course's notation that answers the question a student asks next ("why is that
wrong?"), and the formula the course expects. The evidence that recognises each one from a case's
own numbers lives in grader/evidence*.py; grader/diagnose.py joins the two.
"""

from __future__ import annotations

from dataclasses import dataclass

from grader.judge.results import Diagnosis


@dataclass(frozen=True)
class Misconception:
    code: str
    title: str
    explanation: str
    expected: str


_ENTRIES = (
    # --- factors of m ----------------------------------------------------------------------------
    Misconception(
        "DW_MISSING_1_OVER_M",
        "dW is missing the factor 1/m",
        "dW[l] is the gradient of the cost J = (1/m) Σ L(a, y), the mean over the m examples, so the "
        "product dZ[l] A[l-1].T, which adds up the contributions of all m examples, must be divided by m. "
        "Without 1/m your dW is m times too large, and the learning rate that works for one batch size "
        "diverges for a larger one.",
        "dW = (1/m) * np.dot(dZ, A_prev.T)",
    ),
    Misconception(
        "DB_MISSING_1_OVER_M",
        "db is missing the factor 1/m",
        "db[l] is the gradient of the mean cost J, so the sum of dZ[l] over the m examples (the columns) "
        "must be divided by m, exactly as for dW[l]. Without 1/m your db is m times too large.",
        "db = (1/m) * np.sum(dZ, axis=1, keepdims=True)",
    ),
    Misconception(
        "DA_PREV_DIVIDED_BY_M",
        "dA_prev is divided by m",
        "Only dW and db, the gradients of the mean cost J, carry 1/m. dA[l-1] = W[l].T dZ[l] is passed "
        "down to layer l-1 and, like dAL and dZ, is per example (the gradient of the summed loss). "
        "Dividing it by m shrinks the gradients of every layer below by another factor of m per layer, "
        "so the lower layers of a deep network barely learn.",
        "dA_prev = np.dot(W.T, dZ)",
    ),
    Misconception(
        "DAL_DIVIDED_BY_M",
        "dAL is divided by m",
        "dAL = -(Y/AL - (1-Y)/(1-AL)) is the derivative of each example's own loss with respect to its "
        "output, with no 1/m: the 1/m of the mean cost is applied once, in dW and db, by "
        "linear_backward. With 1/m in dAL as well, every dW and db comes out m times too small.",
        "dAL = - (np.divide(Y, AL) - np.divide(1 - Y, 1 - AL))",
    ),
    Misconception(
        "COST_MISSING_1_OVER_M",
        "The cost is a sum, not a mean",
        "The cross-entropy cost is the mean loss over the m examples, J = -(1/m) Σ [y log a + (1-y) log(1-a)]. "
        "Your cost is m times that: the factor 1/m is missing, so the cost grows with the batch size and "
        "cannot be compared between batches.",
        "cost = -(1/m) * np.sum(Y * np.log(AL) + (1 - Y) * np.log(1 - AL))",
    ),
    Misconception(
        "COST_EXTRA_1_OVER_M",
        "The cost is divided by m twice",
        "J = -(1/m) Σ [y log a + (1-y) log(1-a)] divides the summed loss by m once. Yours is m times "
        "smaller than that: 1/m was applied twice (np.mean already divides by m).",
        "cost = -(1/m) * np.sum(Y * np.log(AL) + (1 - Y) * np.log(1 - AL))",
    ),
    # --- shapes and axes -------------------------------------------------------------------------
    Misconception(
        "DB_WRONG_AXIS",
        "db is summed over the wrong axis",
        "Examples are the columns (axis 1) of dZ[l], which has shape (n[l], m); db[l] adds up each unit's "
        "row over the examples and has one entry per unit, shape (n[l], 1). Summing over axis 0 adds up the "
        "units of one example instead (and np.sum without an axis adds up everything).",
        "db = (1/m) * np.sum(dZ, axis=1, keepdims=True)",
    ),
    Misconception(
        "DB_NO_KEEPDIMS",
        "db has lost its second dimension",
        "np.sum(dZ, axis=1) returns shape (n[l],), a 1-d array, while b[l] and db[l] have shape (n[l], 1) "
        "(and np.squeeze, or a layer of one unit summed without keepdims, leaves shape ()). The values are "
        "right, but in b - learning_rate * db a (n,) array broadcasts against (n, 1) into an (n, n) matrix. "
        "keepdims=True keeps the column shape.",
        "db = (1/m) * np.sum(dZ, axis=1, keepdims=True)",
    ),
    Misconception(
        "DW_TRANSPOSED",
        "dW is a transposed product",
        "dW[l] must have the shape of W[l], (n[l], n[l-1]): dZ[l] is (n[l], m) and A[l-1] is (n[l-1], m), so "
        "the product is dZ[l] A[l-1].T. np.dot(A_prev, dZ.T) computes the transpose of the right answer.",
        "dW = (1/m) * np.dot(dZ, A_prev.T)",
    ),
    Misconception(
        "DA_PREV_TRANSPOSED",
        "dA_prev is a transposed product",
        "dA[l-1] must have the shape of A[l-1], (n[l-1], m): W[l].T is (n[l-1], n[l]) and dZ[l] is (n[l], m), "
        "so the product is W[l].T dZ[l]. np.dot(dZ.T, W) computes its transpose, one row per example.",
        "dA_prev = np.dot(W.T, dZ)",
    ),
    Misconception(
        "COST_NOT_0D",
        "The cost is not a 0-d value",
        "A product such as np.dot(Y, np.log(AL).T) has shape (1, 1), so the cost comes out as [[J]] instead of the "
        "number J. "
        "The course asks for np.squeeze(cost), which turns [[17]] into 17 (shape ()), so that the cost can be "
        "printed, plotted and compared as a number.",
        "cost = np.squeeze(cost)  # shape ()",
    ),
    # --- signs -----------------------------------------------------------------------------------
    Misconception(
        "DAL_SIGN",
        "dAL has the wrong sign",
        "The loss is L(a, y) = -(y log a + (1-y) log(1-a)), with a minus sign in front, so its derivative is "
        "dAL = -(y/a - (1-y)/(1-a)). Without the leading minus, every gradient below flips sign and gradient "
        "descent climbs the cost instead of descending it.",
        "dAL = - (np.divide(Y, AL) - np.divide(1 - Y, 1 - AL))",
    ),
    Misconception(
        "DAL_IS_DZ",
        "dAL is set to AL - Y",
        "AL - Y is dZ[L], the gradient after the sigmoid, not dAL, the gradient before it. "
        "linear_activation_backward(dAL, cache, 'sigmoid') applies sigmoid's derivative itself, so "
        "passing it AL - Y applies the derivative twice.",
        "dAL = - (np.divide(Y, AL) - np.divide(1 - Y, 1 - AL))",
    ),
    Misconception(
        "COST_SIGN",
        "The cost has the wrong sign",
        "log a is negative for 0 < a < 1, so the cross-entropy needs the minus sign in front to be a "
        "positive number that falls as the predictions improve: J = -(1/m) Σ [y log a + (1-y) log(1-a)].",
        "cost = -(1/m) * np.sum(Y * np.log(AL) + (1 - Y) * np.log(1 - AL))",
    ),
    Misconception(
        "COST_MISSING_TERM",
        "The cost misses one of its two terms",
        "The cross-entropy has a term for each label: y log a counts the examples with y = 1 and "
        "(1-y) log(1-a) those with y = 0. Your cost keeps only one of them, so half of the examples do not "
        "count.",
        "cost = -(1/m) * np.sum(Y * np.log(AL) + (1 - Y) * np.log(1 - AL))",
    ),
    Misconception(
        "UPDATE_SIGN",
        "The update step goes uphill",
        "Gradient descent moves against the gradient: W[l] = W[l] - α dW[l] and b[l] = b[l] - α db[l]. "
        "Adding α dW moves the parameters in the direction that increases the cost.",
        "parameters['W' + str(l)] = parameters['W' + str(l)] - learning_rate * grads['dW' + str(l)]",
    ),
    Misconception(
        "UPDATE_SKIPS_LAYER",
        "Some layers are not updated",
        "The network has L = len(parameters) // 2 layers, numbered 1 to L, and each needs its W[l] and b[l] "
        "updated. A loop over range(1, L) or range(L - 1) stops one layer early; for l in range(L) the "
        "keys are 'W' + str(l + 1).",
        "for l in range(L): parameters['W' + str(l+1)] = parameters['W' + str(l+1)] - learning_rate * grads['dW' + "
        "str(l+1)] (and b)",
    ),
    # --- activations -----------------------------------------------------------------------------
    Misconception(
        "RELU_MASK_FROM_DA",
        "The ReLU mask is taken from dA instead of Z",
        "ReLU's derivative is 1 where Z > 0 and 0 elsewhere, so dZ = dA where Z[l] > 0 and 0 where Z[l] <= 0: "
        "the mask comes from the unit's input Z[l] in the forward pass (the activation cache), not from the "
        "sign of the gradient dA[l]. A unit that was active passes its gradient back whatever its sign.",
        "dZ = np.array(dA, copy=True); dZ[Z <= 0] = 0",
    ),
    Misconception(
        "RELU_MASK_FROM_A",
        "The ReLU mask is taken from A_prev instead of Z",
        "The linear cache holds A[l-1], the input of layer l, and the activation cache holds Z[l]. ReLU's "
        "derivative belongs to this layer's own output unit: dZ[l] = dA[l] * (Z[l] > 0). A[l-1] is the "
        "previous layer's activation and has nothing to do with which units of layer l were active.",
        "dZ = np.array(dA, copy=True); dZ[Z <= 0] = 0",
    ),
    Misconception(
        "SIGMOID_DERIVATIVE_OF_CACHE",
        "sigmoid's derivative treats the cache as A",
        "The activation cache holds Z[l], not A[l] = σ(Z[l]). The derivative is σ'(Z) = s (1 - s) with "
        "s = σ(Z), so s must be computed from the cache first; cache * (1 - cache) is Z (1 - Z).",
        "s = 1 / (1 + np.exp(-Z)); dZ = dA * s * (1 - s)",
    ),
    Misconception(
        "WRONG_ACTIVATION_BACKWARD",
        "A layer is backpropagated through the wrong activation",
        "Hidden layers use ReLU and the output layer uses sigmoid, so dZ[l] = dA[l] * g'(Z[l]) must use "
        "relu_backward for layers 1..L-1 and sigmoid_backward for layer L. Check both that "
        "linear_activation_backward calls the helper that matches its activation argument and that "
        "L_model_backward passes 'sigmoid' for layer L and 'relu' below.",
        "dZ = relu_backward(dA, Z) if activation == 'relu' else sigmoid_backward(dA, Z)",
    ),
    Misconception(
        "ACTIVATION_DERIVATIVE_MISSING",
        "dZ skips the activation's derivative",
        "Between dA[l] and dZ[l] stands the activation: Z[l] -> A[l] = g(Z[l]), so by the chain rule "
        "dZ[l] = dA[l] * g'(Z[l]). Passing dA[l] on unchanged as dZ[l] treats g as the identity.",
        "dZ = relu_backward(dA, activation_cache)  # or sigmoid_backward",
    ),
    Misconception(
        "WRONG_ACTIVATION_FORWARD",
        "A layer uses the wrong activation in the forward pass",
        "The network is [LINEAR -> RELU] x (L-1) -> LINEAR -> SIGMOID: ReLU for layers 1..L-1 and sigmoid "
        "only for layer L, whose output AL is a probability. Check both the activation string "
        "L_model_forward passes and which helper linear_activation_forward calls for it.",
        "A, cache = linear_activation_forward(A_prev, W, b, 'relu' if l < L else 'sigmoid')",
    ),
    # --- the chain -------------------------------------------------------------------------------
    Misconception(
        "DAL_EVERY_LAYER",
        "dAL is fed to every layer",
        "Why do we need dA[l] if we only update W and b? Because dW[l] and db[l] come from dZ[l] = "
        "dA[l] * g'(Z[l]), and dA[l] is the only way the layers above tell layer l how its output changes "
        "the cost. Layer L starts from dAL; every layer l < L must start from grads['dA' + str(l)], the "
        "dA_prev that layer l+1 returned, not from dAL again.",
        "linear_activation_backward(grads['dA' + str(l + 1)], caches[l], 'relu')",
    ),
    Misconception(
        "WRONG_LAYER_CACHE",
        "A layer is given the cache of another layer",
        "caches[0] holds layer 1's cache and caches[L-1] layer L's: layer l's backward step needs caches[l-1], "
        "the A[l-1], W[l], b[l] and Z[l] saved when layer l ran forward. In the loop "
        "for l in reversed(range(L-1)) that is caches[l] for layer l+1.",
        "current_cache = caches[l]  # inside for l in reversed(range(L - 1))",
    ),
    Misconception(
        "LEGACY_GRADS_KEYS",
        "grads uses the pre-2019 keys, shifted by one",
        "Today's notebook stores the gradient of A[l] as grads['dA' + str(l)], so layer l's backward step "
        "writes its dA_prev to grads['dA' + str(l - 1)] and the keys run dA0..dA{L-1}. The 2017-2018 notebooks "
        "(v3 to v5) named the same arrays dA1..dAL. Your numbers are right; only the keys are shifted.",
        "grads['dA' + str(L - 1)], grads['dW' + str(L)], grads['db' + str(L)] = linear_activation_backward(dAL, "
        "caches[L - 1], 'sigmoid')",
    ),
    Misconception(
        "OUTPUT_DA_PREV_KEY",
        "The output layer's dA_prev is stored under grads['dA' + str(L)]",
        "The output layer's backward step returns dA_prev, the gradient of A[L-1]: it belongs in "
        "grads['dA' + str(L - 1)], which the loop then reads as grads['dA' + str(l + 1)] for l = L-2. Stored "
        "as grads['dA' + str(L)], the loop finds no grads['dA' + str(L - 1)] (a KeyError) and, with one "
        "layer, grads has dA1 where dA0 belongs. The values are right; the key is one too high.",
        "grads['dA' + str(L - 1)] = dA_prev_temp",
    ),
    Misconception(
        "FORWARD_MISSING_BIAS",
        "The forward pass leaves out the bias",
        "The linear step is Z[l] = W[l] A[l-1] + b[l]; b[l] has shape (n[l], 1) and broadcasts over the m "
        "columns. Without + b every unit's decision boundary passes through the origin.",
        "Z = np.dot(W, A) + b",
    ),
    Misconception(
        "LAST_LAYER_LOOP_INDEX",
        "The output layer is computed with the loop index",
        "After for l in range(1, L) the variable l is L-1, so parameters['W' + str(l)] after the loop is "
        "layer L-1's W again. The output layer needs W[L] and b[L]: use str(L), not str(l). "
        "With L = 1 the loop does not run at all and l is not even defined.",
        "AL, cache = linear_activation_forward(A, parameters['W' + str(L)], parameters['b' + str(L)], 'sigmoid')",
    ),
    Misconception(
        "INPUT_MODIFIED_IN_PLACE",
        "An input is modified in place",
        "Your function writes into an argument it was given: an array changed with x -= ... or x[mask] = 0 "
        "where x is the argument itself (dZ = dA makes dZ another name for dA, not a copy), or an item of a "
        "cache, list or dict it was passed. It looks right when tested alone, but the caller still holds those "
        "values: in the full chain the cache or grads['dA' + str(l)] it keeps are silently overwritten. "
        "Work on a copy. (update_parameters is the exception: it may update the parameters it was given.)",
        "work on copies: dZ = np.array(dA, copy=True) (not dZ = dA), dA = dA * s (not dA *= s)",
    ),
    # --- initialisation --------------------------------------------------------------------------
    Misconception(
        "INIT_WEIGHTS_ZERO",
        "The weights start at zero",
        "With W[l] = 0 every unit of a layer computes the same output and receives the same gradient, so "
        "the units stay identical however long you train (the symmetry is never broken). Only b[l] "
        "starts at zero; W[l] starts small and random.",
        "parameters['W' + str(l)] = np.random.randn(layer_dims[l], layer_dims[l-1]) * 0.01",
    ),
    Misconception(
        "INIT_UNIFORM",
        "The weights are drawn from a uniform distribution",
        "np.random.rand draws uniformly from [0, 1), so np.random.rand(...) * 0.01 gives weights that are all "
        "positive, with mean 0.005: every unit of a layer starts out pushing its inputs the same way. The course "
        "draws from the standard normal distribution with np.random.randn (mean 0, both signs) and scales the "
        "draws by 0.01 to keep them small.",
        "parameters['W' + str(l)] = np.random.randn(layer_dims[l], layer_dims[l-1]) * 0.01",
    ),
    Misconception(
        "INIT_SHAPE_TRANSPOSED",
        "W has its dimensions swapped",
        "W[l] maps the n[l-1] activations of the previous layer to the n[l] units of this one, so "
        "Z[l] = W[l] A[l-1] needs W[l] of shape (n[l], n[l-1]): rows are this layer's units.",
        "np.random.randn(layer_dims[l], layer_dims[l-1]) * 0.01",
    ),
)

CATALOGUE: dict[str, Misconception] = {m.code: m for m in _ENTRIES}


def make_diagnosis(code: str, evidence: str) -> Diagnosis:
    """The explanation a student reads, followed by the numbers that show it applies to them."""
    entry = CATALOGUE[code]
    message = entry.explanation + (f" Evidence: {evidence}" if evidence else "")
    return Diagnosis(code, entry.title, message, entry.expected)
