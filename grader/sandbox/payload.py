"""How a job travels to its process: its data encoded once per submission, its cases in a sealed memfd.

`JobPayloads` is the part of `Sandbox` (client.py) that turns a job, as the judge builds it, into the
bytes sent down the job's pipe; portable.py's backend inherits it with the rest of `Sandbox`.
"""

from __future__ import annotations

import fcntl
import marshal
import os

from grader.sandbox import wire

MAP_AT_LEAST = 64 * 1024  # cases smaller than a pipe's buffer go through the pipe as before
SHARED = ("program", "denied", "helpers", "chain", "stand_in_modules")  # alike in every check of a submission


class JobPayloads:
    """The sandbox's encoding of its jobs, with what it keeps between them (see `Sandbox.__init__`)."""

    uid: int | None
    _compiled: tuple[list, list]  # the last program, compiled: a submission's checks come in a row
    _shared: tuple  # (key, the objects it names, kept alive, their encoding): see _payload
    _mapped: dict[int, tuple[bytes, int]]  # id(encoded cases) -> (them, their sealed memfd)

    def _mapped_job(self, job: dict) -> tuple[dict, int | None]:
        """The job as it travels when its cases go in a sealed memfd (see `_cases_fd`), and that memfd."""
        mapped = self._cases_fd(job.get("cases"))
        if mapped is None:
            return job, None
        count = job.get("case_count")
        if count is None:
            count = self._payload(job)[1]
        return {**job, "cases": {"mapped": len(job["cases"])}, "case_count": count}, mapped

    def _payload(self, job: dict) -> tuple[dict, int, bytes]:
        """The job as it travels (shared with the portable backend): its limits, its case count, its bytes.

        What every check of one submission carries alike (the program, the denied modules, the pack's
        helper module and chain) is encoded once, at the submission's first check, and sent inside each
        job as one opaque blob ("shared") that the job decodes: encoding the program's source eleven
        times was a twentieth of the trusted side's time per submission."""
        limits = {**job["limits"], "uid": self.uid}
        count = job.get("case_count")
        if count is None:
            cases = wire.decode(job["cases"]) if isinstance(job["cases"], bytes) else job["cases"]
            count = len(cases["cases"] if isinstance(cases, dict) else cases)
        program = self._compile(job["program"])
        held = (job.get("helpers"), job.get("chain"))  # the pack's, made once per grader: known by identity
        key = (
            self._compiled[0],
            tuple(job.get("denied") or ()),
            tuple(job.get("stand_in_modules") or ()),
            tuple(map(id, held)),
        )
        if self._shared[0] != key:
            shared = {"program": program, **{k: job[k] for k in SHARED[1:] if job.get(k) is not None}}
            self._shared = (key, held, wire.encode(shared))
        rest = {k: v for k, v in job.items() if k not in SHARED and k != "cases_key"}
        return limits, count, wire.encode({**rest, "limits": limits, "shared": self._shared[2]})

    def _compile(self, program: list[dict]) -> list[dict]:
        """Each statement with its code compiled here, once per submission, and marshalled: the job only
        unmarshals it (compiling runs none of it; marshal goes from us to the job, never back)."""
        from grader.sandbox.child import compile_statement

        key = [(s["filename"], s["lineno"], s["source"]) for s in program]  # equal strings: the same program
        if self._compiled[0] != key:
            compiled = []
            for statement in program:
                try:
                    compiled.append({**statement, "code": marshal.dumps(compile_statement(statement))})
                except Exception:  # noqa: BLE001 - the job compiles it again and reports the error
                    compiled.append(statement)
            self._compiled = (key, compiled)
        return self._compiled[1]

    def _cases_fd(self, cases) -> int | None:
        """A sealed memfd holding a case set's encoded cases, made once per case set and function.

        A job used to read its cases through a pipe and decode copies of them: in a fresh process that
        is a page fault for every 4 KiB, 9 ms for L_model_forward's 2.6 MB. Mapped read-only from a
        memfd sealed against any change (write, grow, shrink, new seals), the pages come from memory
        already there. The memfd holds the same bytes the pipe carried (no answers: stand-in answers are
        sealed inside them), and no job can change it for the next one."""
        if not isinstance(cases, bytes) or len(cases) < MAP_AT_LEAST or not hasattr(os, "memfd_create"):
            return None
        held = self._mapped.get(id(cases))
        if held is not None and held[0] is cases:
            return held[1]
        try:
            fd = os.memfd_create("backprop-grader-cases", os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
        except OSError:
            return None
        try:
            view = memoryview(cases)
            while view:
                view = view[os.write(fd, view) :]
            fcntl.fcntl(
                fd, fcntl.F_ADD_SEALS, fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_GROW | fcntl.F_SEAL_WRITE | fcntl.F_SEAL_SEAL
            )
        except OSError:
            os.close(fd)
            return None
        self._mapped[id(cases)] = (cases, fd)
        return fd
