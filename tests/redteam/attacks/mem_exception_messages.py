# RED-TEAM ATTACK (issue 20, item 3): huge exception messages, raised and at load.
# Route: L_model_forward raises with a 100 MB message on every case; a class body at load time
#   raises one too (a load error, reported for every check's job).
# Contained when: every message is cut to 2,000 characters in the job and on the trusted side, the
#   report stays small, L_model_forward and the end-to-end check score 0, the rest is graded as
#   correct, and the honest submission graded next is unchanged.
# attacked: L_model_forward
# run: batch


class Loud:
    raise ValueError("at load " * (1 << 20))


def L_model_forward(X, parameters):
    raise ValueError("m" * (100 << 20))


# __HONEST_REST__
