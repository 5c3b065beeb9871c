"""Which sandbox backend runs student code here, and whether its walls are strong enough to grade others.

Linux gets the zygote behind the kernel's walls (client.Sandbox); every other OS gets the portable
backend (portable.PortableSandbox), which GRADER_SANDBOX_WALLS=portable also forces on Linux, for tests.
The trusted side imports this; nothing in the sandbox does.
"""

from __future__ import annotations

import os
import sys

from grader.errors import GraderError
from grader.sandbox.client import WALLS_ENV, WEAK_FLAG, Sandbox, Walls, weak_walls_message

LINUX_MODES = ("namespaces", "landlock", "none")


def make_sandbox(worker: int = 0) -> Sandbox:
    """The sandbox for this OS, or the one GRADER_SANDBOX_WALLS asks for (auto, namespaces, landlock,
    none or portable)."""
    wanted = os.environ.get(WALLS_ENV, "auto")
    if wanted not in ("auto", "portable", *LINUX_MODES):
        raise GraderError(f"{WALLS_ENV} must be auto, namespaces, landlock, none or portable, not {wanted!r}")
    linux = sys.platform.startswith("linux")
    if wanted == "portable" or (wanted == "auto" and not linux):
        from grader.sandbox.portable import PortableSandbox

        return PortableSandbox(
            worker, f"namespaces, Landlock and seccomp: not used ({WALLS_ENV}=portable)" if linux else ""
        )
    if not linux:
        raise GraderError(f"{WALLS_ENV}={wanted} needs Linux; on {sys.platform} only 'portable' (or 'auto') can run")
    return Sandbox(worker, wanted)


def is_weak(walls: Walls) -> bool:
    """Walls too weak to run other people's code behind: the portable backend's, or Linux's with no
    kernel wall at all for a normal user (root still gets a chroot and a private uid)."""
    return walls.mode == "portable" or (walls.mode == "none" and not walls.root)


def weak_message(walls: Walls) -> str:
    """Why these walls are weak, and how to go on anyway."""
    if walls.mode != "portable":
        return weak_walls_message(walls)
    return (
        f"The portable sandbox runs student code as an ordinary process of yours ({', '.join(walls.walls)}), "
        f"able to read your files and use the network: fine for checking your own code, not for grading "
        f"others' ({'; '.join(walls.refused)}). Grade anyway, at your own risk, with {WEAK_FLAG}."
    )
