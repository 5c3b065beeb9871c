# RED-TEAM ATTACK (issue 20, item 3): long strings in results.
# Route: compute_cost returns a 15 MiB string on every case (under the per-result cap; strings travel
#   in a frame's header); initialize_parameters_deep returns a dict whose keys are 256 KB each, which
#   a naive report quotes whole in every mismatch.
# Contained when: compute_cost's check stops at the cap on a frame's header, the report quotes no key
#   whole and stays small, both score 0 (and the end-to-end check, which uses compute_cost), the rest
#   is graded as correct, and the honest submission graded next is unchanged.
# attacked: compute_cost, initialize_parameters_deep
# run: batch


def compute_cost(AL, Y):
    return "x" * (15 << 20)


def initialize_parameters_deep(layer_dims):
    return {("W%d" % i) * (1 << 17): i for i in range(1, 3)}


# __HONEST_REST__
