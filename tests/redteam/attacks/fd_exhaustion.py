# RED-TEAM ATTACK (issue 9): use up file descriptors, then see what still works.
# Route: raise RLIMIT_NOFILE to its hard limit (sys.modules['resource']), then posix.open /dev/null
#   and posix.pipe() until the kernel refuses; the child keeps them all, so any fd the harness still
#   needs (a new pipe, a file to write) is gone.
# Contained when: grading goes on (the rest of the batch unchanged), and initialize_parameters scores 0.
# attacked: initialize_parameters
# run: batch
import sys


def initialize_parameters(n_x, n_h, n_y):
    posix = sys.modules.get("posix") or __import__("posix")
    resource = sys.modules.get("resource")
    if resource is not None and "setrlimit" in vars(resource):
        try:
            soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
            resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 1 << 16), hard))
        except Exception:
            pass
    held = []
    try:
        while len(held) < 1 << 16:
            held.append(posix.open("/dev/null", posix.O_RDONLY))
            held.extend(posix.pipe())
    except OSError:
        pass
    raise RuntimeError("holding %d descriptors" % len(held))
