"""The answer key: the model submission, which must itself score 100%.

`reference.deep_nn` imports the course helpers as a notebook does (`from dnn_utils import ...`); the
course ships `dnn_utils` beside the notebook, so importing this package in the trusted process puts the
grader's copy of it under that name, as the sandbox does for student code.
"""

import sys
from pathlib import Path

from grader.packs.step_by_step import dnn_utils

sys.modules.setdefault("dnn_utils", dnn_utils)

from reference import deep_nn  # noqa: E402

SOURCE = Path(deep_nn.__file__)
