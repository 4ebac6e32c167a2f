"""File-system helpers shared by every command that writes files."""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from guidebook_kg.errors import InputError, where


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
