# RED-TEAM ATTACK (issue 9): hand in a symbolic link to the answer key instead of a file.
# Route: zip and tar keep symbolic links, so an unpacked submission may be one; graders lay out
#   submissions next to their own checkout (Gradescope: /autograder/submission beside
#   /autograder/source), so a relative link reaches the key: here the campaign's submissions folder
#   sits beside the grader's checkout (src/), and the submission is `-> ../src/reference/deep_nn.py`.
#   The grader, not the sandbox, opens it: no wall inside the sandbox is in the way.
# Contained when: the submission scores 0 (a link is refused, or read only within its own folder).
# symlink: ../src/reference/deep_nn.py
# attacked: initialize_parameters, initialize_parameters_deep, linear_forward, linear_activation_forward, L_model_forward, compute_cost, linear_backward, linear_activation_backward, L_model_backward, update_parameters, end_to_end
# run: batch
