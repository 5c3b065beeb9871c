"""Stage 3: the sandbox's answers judged against autograd's: grading one submission, the comparison, stand-ins, the
kept answers, the trusted side's budget, the rubric and the results model.
"""
