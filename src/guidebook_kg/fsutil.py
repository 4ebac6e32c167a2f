"""File-system helpers shared by every command that writes files."""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import shutil
import stat
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from guidebook_kg.errors import InputError, UsageError, where


@contextlib.contextmanager
def atomic_write(path: Path) -> Iterator[BinaryIO]:
    """Yield a binary file that replaces ``path`` only if the block succeeds.

    Readers see either the old file or the complete new one: the data goes to a temporary
    file in the same directory (so ``os.replace`` is a rename on one file system), is
    fsynced, then renamed over the target. On any error the temporary file is removed and
    an existing target is left untouched.
    """
    path = Path(path)
    directory = path.parent
    fd, tmp = _create_temp(directory, path.name)
    try:
        with os.fdopen(fd, "wb") as handle:
            with contextlib.suppress(FileNotFoundError):
                # Overwriting keeps the permissions the user gave the file.
                os.chmod(handle.fileno(), stat.S_IMODE(path.stat().st_mode))
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    _fsync_directory(directory)


def write_output(path: Path, write: Callable[[BinaryIO], object]) -> None:
    """Write a command's output file atomically (see :func:`atomic_write`); a path that
    cannot be a file, or a write that fails (a full disk, no permission), is an
    :class:`InputError` and leaves any earlier file as it was."""
    path = Path(path)
    if str(path) in ("", ".") or path.name in ("", ".", "..") or path.is_dir():
        raise InputError(
            f"--output {str(path)!r}: not a file name",
            hint="give the path of the file to write, e.g. -o page.html",
        )
    try:
        with atomic_write(path) as handle:
            write(handle)
    except OSError as err:
        raise InputError(
            f"{where(path)}: cannot write: {err.strerror or err}",
            hint="check that the folder exists and is writable and the disk is not full",
        ) from None


def _create_temp(directory: Path, name: str) -> tuple[int, Path]:
    # Not tempfile.mkstemp: it creates mode 0600, while the finished file should get the
    # usual umask-derived permissions, which os.open applies to 0o666.
    while True:
        tmp = directory / f".{name}.{secrets.token_hex(4)}.tmp"
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), tmp
        except FileExistsError:
            continue


def _fsync_directory(directory: Path) -> None:
    # Makes the rename itself durable; not possible on every platform, so best effort.
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# ------------------------------------------------------------------ replacing a folder
#
# A build is written to a private sibling folder (.NAME.building-<random>) and swapped in
# whole. On Linux the swap is one step (renameat2 with RENAME_EXCHANGE); elsewhere it is
# two renames (the old folder aside to .NAME.old-<random>, the new one in), and a crash
# between them is repaired by the next run (tidy_leftovers). A lock file beside the folder
# keeps two builds from swapping into it at once.

_BUILDING = "building"
_OLD = "old"


def staging_folder(out: Path) -> Path:
    """A new, private sibling folder to write the next version of ``out`` into."""
    path = out.parent / f".{out.name}.{_BUILDING}-{secrets.token_hex(4)}"
    path.mkdir()
    return path


@contextlib.contextmanager
def folder_lock(out: Path) -> Iterator[None]:
    """Hold ``.NAME.lock`` beside ``out`` while replacing it; a second holder is refused."""
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock, as before
        yield
        return
    lock = out.parent / f".{out.name}.lock"
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise UsageError(
                f"{where(out)}: another build is writing this folder right now",
                hint="wait for it to finish, or choose another --out",
            ) from None
        try:
            yield
        finally:
            with contextlib.suppress(OSError):
                os.unlink(lock)
    finally:
        os.close(fd)


def tidy_leftovers(out: Path) -> list[str]:
    """Repair and clean what builds that stopped part-way left beside ``out``; return
    what was done, in words (nothing when there was nothing to do)."""
    def ours(kind: str) -> list[Path]:
        prefix = f".{out.name}.{kind}-"
        found = [p for p in out.parent.iterdir() if p.name.startswith(prefix) and p.is_dir()]
        return sorted(found, key=lambda p: p.stat().st_mtime)

    notes = []
    old = ours(_OLD)
    if old and not out.exists():
        # Stopped between the two renames: the previous version is complete; put it back.
        os.replace(old[-1], out)
        notes.append(f"restored {where(out)} from {old[-1].name}, where a build that "
                     "stopped while swapping it in had left it")
        old = old[:-1]
    leftovers = [*ours(_BUILDING), *old]
    for path in leftovers:
        shutil.rmtree(path)
    if leftovers:
        names = ", ".join(p.name for p in leftovers[:3])
        more = f" and {len(leftovers) - 3} more" if len(leftovers) > 3 else ""
        notes.append(f"removed {len(leftovers)} folder(s) left by builds that stopped: "
                     f"{names}{more}")
    return notes


def swap_in(staging: Path, out: Path) -> None:
    """Put the folder ``staging`` in the place of ``out`` (which may not exist yet), so
    that readers see the old folder or the new one, never a mix or nothing."""
    if not out.exists():
        os.replace(staging, out)
        return
    if _exchange(staging, out):
        shutil.rmtree(staging)  # now the previous version
        return
    old = out.parent / f".{out.name}.{_OLD}-{secrets.token_hex(4)}"
    os.replace(out, old)
    try:
        os.replace(staging, out)
    except OSError:
        os.replace(old, out)
        raise
    shutil.rmtree(old, ignore_errors=True)


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(first: Path, second: Path) -> bool:
    """Swap two paths in one atomic step (Linux renameat2); False where not supported."""
    import ctypes
    import sys

    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):  # an old C library
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
                          ctypes.c_uint]
    result = renameat2(_AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second),
                       _RENAME_EXCHANGE)
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP):  # not on this file system
        return False
    raise OSError(code, os.strerror(code), str(second))
