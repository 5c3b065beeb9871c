"""Pack 2's core: "Convolution model: Step by Step" (Deep Learning Specialization, course 4, week 1).

What is here is self-contained and not yet wired into the engine (no check, front end or report uses
it): the course's contract as verified in public copies of the notebook (CONTRACT.md), the graded
functions' interface (interface.py), a seeded case generator (cases.py, NumPy only), PyTorch float64
answers for every output (oracle.py, the only module that imports torch) and the misconceptions, each a
pure function of a case (misconceptions.py). The answer key is reference/conv_model.py, outside every
install. Wiring it in waits for the engine/pack split of issue 12.
"""
