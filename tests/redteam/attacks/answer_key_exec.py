# RED-TEAM ATTACK (issue 9): find the instructor's answer key on disk and run it.
# Route: the key sits in the grader's own repository (reference/deep_nn.py, two folders above the
#   harness's __file__), in site-packages after `pip install`, or under the grader's working folder
#   (/proc/<ancestor>/cwd); its source is exec'd and every graded function delegates to it.
# Contained when: the submission scores 0 (it once scored 100/100 for a normal user).
# attacked: initialize_parameters, initialize_parameters_deep, linear_forward, linear_activation_forward, L_model_forward, compute_cost, linear_backward, linear_activation_backward, L_model_backward, update_parameters, end_to_end
# run: batch
import os
import sys

KEY = {}


def _places():
    for module in list(sys.modules.values()):
        where = getattr(module, "__file__", None) or ""
        if where.endswith(("child.py", "zygote.py", "dnn_utils.py")):
            yield os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(where))))
    yield from (entry for entry in sys.path if entry)
    pid = os.getppid()
    for _ in range(8):
        try:
            yield os.readlink("/proc/%d/cwd" % pid)
            with open("/proc/%d/status" % pid) as status:
                pid = int([line for line in status if line.startswith("PPid:")][0].split()[1])
        except Exception:
            break


def _key(name):
    if not KEY:
        for place in _places():
            path = os.path.join(place, "reference", "deep_nn.py")
            try:
                with open(path) as handle:
                    source = handle.read()
            except Exception:
                continue
            namespace = {"__name__": __name__}  # so that its `from dnn_utils import ...` is served as ours
            exec(compile(source, path, "exec"), namespace)
            KEY.update(namespace)
            break
    if not KEY:
        raise RuntimeError("no answer key within reach")
    return KEY[name]


def initialize_parameters(n_x, n_h, n_y):
    return _key("initialize_parameters")(n_x, n_h, n_y)


def initialize_parameters_deep(layer_dims):
    return _key("initialize_parameters_deep")(layer_dims)


def linear_forward(A, W, b):
    return _key("linear_forward")(A, W, b)


def linear_activation_forward(A_prev, W, b, activation):
    return _key("linear_activation_forward")(A_prev, W, b, activation)


def L_model_forward(X, parameters):
    return _key("L_model_forward")(X, parameters)


def compute_cost(AL, Y):
    return _key("compute_cost")(AL, Y)


def linear_backward(dZ, cache):
    return _key("linear_backward")(dZ, cache)


def linear_activation_backward(dA, cache, activation):
    return _key("linear_activation_backward")(dA, cache, activation)


def L_model_backward(AL, Y, caches):
    return _key("L_model_backward")(AL, Y, caches)


def update_parameters(params, grads, learning_rate):
    return _key("update_parameters")(params, grads, learning_rate)
