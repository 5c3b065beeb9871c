# A small image of backprop-grader for graders that run containers (Autolab/Tango, Coursera, CI).
# CPU-only torch: grading needs no GPU, and the default (CUDA) wheels are gigabytes.
#
#   docker build -t backprop-grader .
#   docker run --rm -v "$PWD/submissions:/work:ro" backprop-grader check /work/correct_student.py
#   docker run --rm -v "$PWD/handin:/work:ro" backprop-grader autolab run /work/handin.py --seed 1234
#
# The entry point is the console script `backprop-grader`, not `python -m grader`: the working folder
# (/work, the student's files) never goes on sys.path, so no file there can replace a module the grader
# imports, nor the grader itself (grader/startup.py).
#
# The grader runs as root inside the container so that the sandbox can give student code an
# unprivileged uid of its own; run as another user, student code runs with the grader's uid.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# First, so that nothing later can pull a CUDA build to satisfy "torch>=2.1".
ARG TORCH_VERSION=2.13.0
RUN pip install "torch==${TORCH_VERSION}" --index-url https://download.pytorch.org/whl/cpu

WORKDIR /opt/backprop-grader
COPY pyproject.toml README.md ./
COPY grader ./grader
RUN pip install . \
    && cd / && rm -rf /opt/backprop-grader \
    && backprop-grader --version

# Autograd's answers for the seeds this image grades with, computed once here, so that a run reads them
# back (verified) instead of importing torch: docker build --build-arg GRADER_SEEDS="0 1234" .
# (Root's folder, 0700; a run with another rubric's case counts or seed computes its own.)
ENV GRADER_ANSWERS_CACHE=/opt/backprop-grader-answers
ARG GRADER_SEEDS=0
RUN for seed in ${GRADER_SEEDS}; do backprop-grader prepare --seed "$seed" --device cpu || exit 1; done

WORKDIR /work
ENTRYPOINT ["backprop-grader"]
CMD ["--help"]
