"""What a sandbox job is given and what it gives back: its limits, its result, the walls it ran behind.

Plain records shared by both backends (client.py's zygote, portable.py's spawned jobs) and by the judge,
which reads a `JobResult` per check; kept apart from the machinery that fills them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

WALLS_ENV = "GRADER_SANDBOX_WALLS"  # auto (default), namespaces, landlock or none: for tests and diagnosis


@dataclass(frozen=True)
class Limits:
    case_seconds: float = 2.0
    total_seconds: float = 30.0
    load_seconds: float = 5.0
    memory_mb: int = 1024
    output_chars: int = 4000
    result_bytes: int = 16 << 20
    file_bytes: int = 1 << 20
    processes: int = 16

    def as_job(self, uid: int | None = None) -> dict:
        return {**self.__dict__, "uid": uid}


@dataclass
class JobResult:
    """What one job gave back: load errors, a result per case that finished, and how the job ended."""

    load: dict | None = None
    cases: dict[int, dict] = field(default_factory=dict)
    done: dict = field(default_factory=dict)

    @property
    def reason(self) -> str | None:
        """'timeout', 'overflow', 'budget' (budget.py), 'corrupt', 'crash', 'cancelled' (ended by the grader,
        see `_Job.cancel`) or None for a job that ran every case and exited cleanly."""
        if self.done.get("finished"):
            return None
        return self.done.get("reason") or "crash"


@dataclass
class Walls:
    """Which walls the zygote put up around every job, and why stronger ones were refused."""

    mode: str = "none"
    walls: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    root: bool = False

    def as_dict(self) -> dict:
        return {"mode": self.mode, "walls": list(self.walls), "refused": list(self.refused)}


WEAK_FLAG = "--allow-weak-sandbox"


def weak_walls_message(walls: Walls) -> str:
    """Why this machine cannot wall student code in, and how to go on anyway."""
    if any(reason.startswith("forced") for reason in walls.refused):
        return (
            f"{WALLS_ENV} asks for weaker walls ({'; '.join(walls.refused)}), so submitted code would run "
            f"with your user's rights, able to read your files and use the network. Grade anyway, at your "
            f"own risk, with {WEAK_FLAG}, or unset {WALLS_ENV}."
        )
    refused = "; ".join(walls.refused) or "no kernel feature was found"
    return (
        f"No kernel feature here can wall student code in ({refused}): unprivileged user namespaces "
        f"(kernel.unprivileged_userns_clone / user.max_user_namespaces, or an AppArmor or SELinux rule "
        f"against them) and Landlock are both unavailable, so submitted code would run with your "
        f"user's rights, able to read your files and use the network. Grade anyway, at your own risk, "
        f"with {WEAK_FLAG}."
    )


class Collected:
    """A job that has already run to its end (the portable backend runs each one in `submit`)."""

    def __init__(self, result: JobResult):
        self.result = result

    def collect(self) -> JobResult:
        return self.result

    def cancel(self) -> JobResult:
        return self.result
