"""A submission's bytes, read under limits before anything else looks at them.

Everything the grader reads of a submission (the loader's code, the batch's digest, `check`, the
platform commands, an instructor's class archive) comes through here, because a submission is not only
its text: it is also what its entries are. A folder can hold a FIFO (an open() that never returns), a
link to /dev/zero (a read that never ends), a 3 GB sparse file, a link out of the submission to the
answer key, or folders nested past any recursion limit. So: entries are classified by lstat and never
followed; only regular files are opened, with O_NOFOLLOW|O_NONBLOCK, and checked again by fstat (the same
file the walk saw, still a regular file) before one byte is read; sizes, entry counts and depth are
capped; the walk is a loop over a list, never a recursion. Whatever breaks a limit is `Refused`, which
the loader turns into "could not be graded" (the student's to fix, exit 2), naming the limit.

Archives (a learning-management system's "download all") are unpacked with the standard library's
zipfile and tarfile (tarfile's "data" filter), under limits of our own on top: member count, unpacked
size, compression ratio, no absolute paths, no "..", no links or devices, nothing outside the folder.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
import tarfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

MiB = 1024 * 1024
ARCHIVE_SUFFIXES = (".zip", ".tar.gz", ".tgz", ".tar")
_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_NOCTTY", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)
_CHUNK = MiB


@dataclass(frozen=True)
class Limits:
    """What one submission (or one class archive) may be; each figure is named in the refusal it causes."""

    file_bytes: int = 16 * MiB  # one file: a notebook with its plots' outputs fits many times over
    total_bytes: int = 64 * MiB  # every file of one folder submission together
    entries: int = 5_000  # files, folders and anything else in one folder submission
    depth: int = 32  # folders inside folders
    code_chars: int = 2_000_000  # the code the loader parses (a .py file's text, a notebook's code cells)
    archive_members: int = 20_000  # a class archive's members
    archive_bytes: int = 2048 * MiB  # a class archive, unpacked
    ratio: int = 200  # unpacked over packed size, of each member and of the whole archive


LIMITS = Limits()


class Refused(Exception):
    """The submission cannot be read within the limits, or is not made of files: the student's to fix."""


def size_text(count: int) -> str:
    for unit, scale in (("GB", 1024 * MiB), ("MB", MiB), ("KB", 1024)):
        if count >= scale:
            return f"{count / scale:.1f} {unit}"
    return f"{count} bytes"


def is_archive(name: str) -> bool:
    return name.lower().endswith(ARCHIVE_SUFFIXES)


# --- what an entry is -----------------------------------------------------------------------------
def _kind(mode: int) -> str:
    if stat.S_ISREG(mode):
        return "a file"
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a file"


def what(path: Path) -> str | None:
    """None for a regular file or a folder; else what the entry is ("a FIFO", "a link to a device", "a link
    loop", "a broken link", "a link to a file", ...) without opening it or following it further than stat."""
    try:
        st = os.lstat(path)
    except OSError as error:
        return f"unreadable ({error.strerror})"
    if not stat.S_ISLNK(st.st_mode):
        kind = _kind(st.st_mode)
        return None if kind in ("a file", "a folder") else kind
    try:
        target = os.stat(path)  # stat, never open: a link to a FIFO or a device costs nothing here
    except OSError as error:
        return "a link loop" if error.errno == errno.ELOOP else "a broken link"
    return "a link to " + _kind(target.st_mode)


def _open_regular(path: Path, limit: int, seen: os.stat_result | None = None) -> tuple[int, int]:
    """(fd, size) of a regular file no larger than `limit`; Refused for anything else.

    Opened without following a link and without blocking (a FIFO swapped in after the walk), then checked
    by fstat: a regular file, the one the walk saw (`seen`), no larger than the limit."""
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise Refused(f"{path.name} is a symbolic link, not a file; submit the file itself") from None
        raise Refused(f"{path.name} cannot be read ({error.strerror})") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise Refused(f"{path.name} is {_kind(st.st_mode)}, not a file")
        if seen is not None and (st.st_dev, st.st_ino) != (seen.st_dev, seen.st_ino):
            raise Refused(f"{path.name} changed while it was being read")
        if st.st_size > limit:
            raise Refused(f"{path.name} is {size_text(st.st_size)}, over the limit of {size_text(limit)} for one file")
        return fd, st.st_size
    except BaseException:
        os.close(fd)
        raise


def read_file(path: Path, limit: int = LIMITS.file_bytes, seen: os.stat_result | None = None) -> bytes:
    """The bytes of a regular file, at most `limit` of them; Refused for anything else (see _open_regular)."""
    fd, _size = _open_regular(path, limit, seen)
    try:
        chunks, total = [], 0
        while True:
            chunk = os.read(fd, min(_CHUNK, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:  # it grew after the fstat
                raise Refused(f"{path.name} is over the limit of {size_text(limit)} for one file")
        return b"".join(chunks)
    except OSError as error:
        raise Refused(f"{path.name} cannot be read ({error.strerror})") from None
    finally:
        os.close(fd)


# --- a folder -------------------------------------------------------------------------------------
@dataclass
class Tree:
    """A folder submission as the walk found it: its regular files and what else it holds (not followed)."""

    root: Path
    files: dict[str, os.stat_result] = field(default_factory=dict)  # relative POSIX path -> lstat
    ignored: list[tuple[str, str]] = field(default_factory=list)  # (relative path, what it is), in walk order

    def read(self, rel: str, limits: Limits = LIMITS) -> bytes:
        return read_file(self.root / rel, limits.file_bytes, self.files[rel])

    def ignored_note(self, shown: int = 5) -> str | None:
        """One line naming what was left alone, or None."""
        if not self.ignored:
            return None
        names = ", ".join(f"{rel} ({kind})" for rel, kind in self.ignored[:shown])
        more = f" and {len(self.ignored) - shown} more" if len(self.ignored) > shown else ""
        return f"left alone, being neither files nor folders (links are never followed): {names}{more}"


def _names(scan, room: int, limit: int) -> list[str]:
    """The names of a scan, sorted; Refused past `room` of them (a folder of millions is never listed whole)."""
    names = []
    for entry in scan:
        names.append(entry.name)
        if len(names) > room:
            raise Refused(f"the submission holds more than {limit:,} files and folders, the limit")
    return sorted(names)


def _list(
    path: Path, seen: os.stat_result, shown: str, room: int = LIMITS.entries, limit: int = LIMITS.entries
) -> list[tuple[str, os.stat_result | None]]:
    """(name, lstat or None when unreadable) of a folder's entries, by name, from the folder the walk saw:
    opened without following a link and checked by fstat, so a folder swapped for a link (to anywhere)
    after it was listed is refused; each entry is lstat'ed through that folder's descriptor."""
    flags = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)

    def lstat(name: str, **where) -> os.stat_result | None:
        try:
            return os.stat(name, follow_symlinks=False, **where)
        except OSError:
            return None

    try:
        if os.scandir not in os.supports_fd or os.stat not in os.supports_dir_fd:  # Windows: by path
            with os.scandir(path) as scan:
                names = _names(scan, room, limit)
            return [(name, lstat(str(path / name))) for name in names]
        fd = os.open(path, flags)
        try:
            st = os.fstat(fd)
            if (st.st_dev, st.st_ino) != (seen.st_dev, seen.st_ino):
                raise Refused(f"the folder {shown} changed while it was being read")
            with os.scandir(fd) as scan:
                names = _names(scan, room, limit)
            return [(name, lstat(name, dir_fd=fd)) for name in names]
        finally:
            os.close(fd)
    except OSError as error:
        raise Refused(f"the folder {shown} cannot be read ({error.strerror})") from None


def survey(folder: Path, limits: Limits = LIMITS, skip: Path | None = None) -> Tree:
    """Walk `folder` by lstat, in a loop (no recursion, however deep), within the limits; Refused beyond them.

    `skip` (the output folder, should it sit inside the submission) is left out."""
    try:
        skipped = os.stat(skip) if skip is not None and os.path.isdir(skip) else None
    except OSError:
        skipped = None
    tree = Tree(folder)
    total, count = 0, 0
    try:
        root = os.lstat(folder)
    except OSError as error:
        raise Refused(f"the folder {folder.name} cannot be read ({error.strerror})") from None
    pending: list[tuple[str, int, os.stat_result]] = [("", 0, root)]  # (relative path, depth, its lstat), a stack
    while pending:
        rel, depth, seen = pending.pop()
        entries = _list(
            folder / rel if rel else folder, seen, rel or folder.name, limits.entries - count, limits.entries
        )
        folders = []
        for name, st in entries:
            count += 1
            if count > limits.entries:
                raise Refused(f"the submission holds more than {limits.entries:,} files and folders, the limit")
            child = f"{rel}/{name}" if rel else name
            if st is None:
                tree.ignored.append((child, "unreadable"))
                continue
            if stat.S_ISDIR(st.st_mode):
                if skipped is not None and (st.st_dev, st.st_ino) == (skipped.st_dev, skipped.st_ino):
                    continue
                if depth + 1 > limits.depth:
                    raise Refused(f"the submission's folders are nested more than {limits.depth} deep, the limit")
                folders.append((child, st))
            elif stat.S_ISREG(st.st_mode):
                if st.st_size > limits.file_bytes:
                    raise Refused(
                        f"{child} is {size_text(st.st_size)}, "
                        f"over the limit of {size_text(limits.file_bytes)} for one file"
                    )
                total += st.st_size
                if total > limits.total_bytes:
                    raise Refused(
                        f"the submission's files come to more than {size_text(limits.total_bytes)}, the limit"
                    )
                tree.files[child] = st
            else:
                tree.ignored.append((child, what(folder / child) or _kind(st.st_mode)))
        pending += [(f, depth + 1, st) for f, st in reversed(folders)]
    tree.files = dict(sorted(tree.files.items()))
    return tree


def digest(path: Path, skip: Path | None = None, limits: Limits = LIMITS) -> str:
    """'sha256:...' of a submission: a file's bytes, or a folder's files with their relative paths (and
    what its other entries are, and where its links point). "" when it cannot be read within the limits."""
    sha = hashlib.sha256()
    try:
        if not os.path.lexists(path):
            return ""
        kind = what(path)
        if kind is not None:  # a FIFO, a link...: what it is, never what it holds
            target = os.readlink(path) if os.path.islink(path) else ""
            sha.update(f"entry\0{kind}\0{target}".encode("utf-8", "surrogateescape"))
            return f"sha256:{sha.hexdigest()}"
        if path.is_file():
            sha.update(b"file\0" + read_file(path, limits.file_bytes))
            return f"sha256:{sha.hexdigest()}"
        tree = survey(path, limits, skip)
        sha.update(b"folder\0")
        for rel in tree.files:
            data = tree.read(rel, limits)
            sha.update(f"{rel}\0{len(data)}\0".encode("utf-8", "surrogateescape") + data)
        for rel, kind in tree.ignored:
            target = os.readlink(path / rel) if os.path.islink(path / rel) else ""
            sha.update(f"{rel}\0{kind}\0{target}\0".encode("utf-8", "surrogateescape"))
        return f"sha256:{sha.hexdigest()}"
    except (Refused, OSError):
        return ""


# --- archives -------------------------------------------------------------------------------------
def _member_path(name: str) -> PurePosixPath:
    """A member's path, relative and inside the archive's folder; Refused otherwise (zip-slip)."""
    path = PurePosixPath(name.replace("\\", "/"))
    if path.is_absolute() or name.startswith(("/", "\\")) or (path.parts and ":" in path.parts[0]):
        raise Refused(f"the archive holds a member with an absolute path ({name!r})")
    if ".." in path.parts:
        raise Refused(f"the archive holds a member whose path leaves its folder ({name!r})")
    return path


def _check_sizes(count: int, unpacked: int, packed: int, limits: Limits) -> None:
    if count > limits.archive_members:
        raise Refused(f"the archive holds more than {limits.archive_members:,} members, the limit")
    if unpacked > limits.archive_bytes:
        raise Refused(f"the archive unpacks to more than {size_text(limits.archive_bytes)}, the limit")
    if unpacked > max(packed, 1) * limits.ratio and unpacked > MiB:
        raise Refused(f"the archive unpacks to more than {limits.ratio} times its size (a zip bomb?), the limit")


def unpack(archive: Path, dest: Path, limits: Limits = LIMITS) -> None:
    """Unpack `archive` (.zip, .tar, .tar.gz, .tgz) into the empty folder `dest`, within the limits.

    Every member is checked before anything is written; sizes are counted again while writing (a zip's
    header may lie about its size), so a bomb stops at the limit, not at the disk's end."""
    fd, packed = _open_regular(archive, limits.archive_bytes)  # a regular file, not followed, bounded
    with os.fdopen(fd, "rb") as handle:
        if archive.name.lower().endswith(".zip"):
            _unzip(handle, archive, dest, limits, packed)
        else:
            _untar(handle, archive, dest, limits, packed)


def _unzip(handle, archive: Path, dest: Path, limits: Limits, packed: int) -> None:
    try:
        with zipfile.ZipFile(handle) as zipped:
            members = zipped.infolist()
            _check_sizes(len(members), sum(m.file_size for m in members), packed, limits)
            for member in members:
                _member_path(member.filename)
                mode = member.external_attr >> 16  # Unix's st_mode, where the zip was made on Unix
                if stat.S_IFMT(mode) and not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
                    raise Refused(
                        f"the archive holds {_kind(mode) if not stat.S_ISLNK(mode) else 'a link'} "
                        f"({member.filename!r}), not a file"
                    )
                if member.file_size > max(member.compress_size, 1) * limits.ratio and member.file_size > MiB:
                    raise Refused(
                        f"{member.filename!r} unpacks to more than {limits.ratio} times its size "
                        "(a zip bomb?), the limit"
                    )
            written = 0
            for member in members:
                target = dest.joinpath(*_member_path(member.filename).parts)
                if member.is_dir():
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                with zipped.open(member) as source, open(target, "xb") as sink:
                    while chunk := source.read(_CHUNK):
                        written += len(chunk)
                        if written > min(limits.archive_bytes, max(packed, 1) * limits.ratio + MiB):
                            raise Refused("the archive unpacks to more than its limits allow (a zip bomb?)")
                        sink.write(chunk)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError, ValueError) as error:
        raise Refused(f"{archive.name} is not a readable zip archive ({error})") from None
    except OSError as error:  # a member named twice, a file where a folder is meant
        raise Refused(
            f"{archive.name} cannot be unpacked ({error.strerror}: {Path(error.filename or '').name!r})"
        ) from None


def _untar(handle, archive: Path, dest: Path, limits: Limits, packed: int) -> None:
    try:
        with tarfile.open(fileobj=handle) as tar:
            members, unpacked = [], 0
            for member in tar:  # one header at a time: a count or a size past the limit stops here, unread
                members.append(member)
                unpacked += member.size
                _check_sizes(len(members), unpacked, packed, limits)
                _member_path(member.name)
                if not (member.isfile() or member.isdir()):
                    kind = "a link" if member.issym() or member.islnk() else "a device or FIFO"
                    raise Refused(f"the archive holds {kind} ({member.name!r}), not a file")
            safe: dict[str, Any] = (
                {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
            )  # the standard library's own check too
            for member in members:
                tar.extract(member, dest, set_attrs=False, **safe)
    except (tarfile.TarError, EOFError, OSError, ValueError) as error:  # tarfile's FilterError is a TarError
        raise Refused(f"{archive.name} is not a readable tar archive, or holds a member it may not ({error})") from None
