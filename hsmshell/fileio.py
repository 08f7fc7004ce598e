"""Every file the shell reads for a user or writes anywhere goes through here.

Writing (`write_file`):
- the target must be a regular file or not exist: a device, FIFO, folder or symbolic link is
  refused and left as it was (replacing `/dev/null` or a FIFO with a file of key material, or
  writing through a planted link, is what a path given to the shell must never cause);
- `atomic` writes (key material, state keys, configuration) go to a temporary file in the
  target's folder, created exclusively (O_CREAT|O_EXCL|O_NOFOLLOW) under a random name with its
  final mode from the start, fsynced, then renamed over the target (rename replaces a link,
  never writes through it); `exclusive` ones refuse an existing target instead (a cluster's
  keys are made once, never again in place);
- other writes (a signature, a public key, a token: public data, written in a batch thousands
  of times) open the target itself with O_NOFOLLOW|O_NONBLOCK and check it is a regular file
  before writing;
- modes are explicit (fchmod), so no umask can make a state file readable by others.

Reading (`read_regular`): only a regular file, never more than a stated size, opened
O_NONBLOCK so a FIFO cannot hang the shell. Failures are `InvalidArgument` (or what the
caller names) with one line naming the path as the user wrote it and why, never its content.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from hsmshell.errors import BackendUnavailable, HsmshellError, InvalidArgument

PRIVATE = 0o600
PUBLIC = 0o644
FOLDER = 0o700

_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_CHUNK = 64 * 1024


class FileRefused(InvalidArgument):
    """A path the shell will not write to or read from (what it is, and why, in the message)."""
    reference = "invalid-argument"


def shown(text: str | os.PathLike, limit: int = 60) -> str:
    """A user-written value, quoted and cut short, for a one-line message."""
    text = os.fspath(text)
    return repr(text if len(text) <= limit else text[:limit] + "...")


def shown_path(path: str | os.PathLike, limit: int = 80) -> str:
    """A path for a one-line message: its end is what tells files apart."""
    text = os.fspath(path)
    return repr(text if len(text) <= limit else "..." + text[-limit:])


def _why(error: OSError, path: str) -> str:
    if error.errno == errno.ELOOP:
        return "it is a symbolic link (refused: files are never written through links)"
    return error.strerror or str(error)


def refusal(doing: str, path, why: str, error: type[HsmshellError] = FileRefused) -> HsmshellError:
    return error(f"{doing} {shown_path(path)}: {why}")


# -- writing ------------------------------------------------------------------------------------
def check_target(target: str, doing: str, path, error=FileRefused) -> int | None:
    """The size of an existing regular file at `target`, None when nothing is there; refuses
    anything else (without following a link)."""
    try:
        info = os.lstat(target)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise refusal(doing, path, _why(exc, target), error) from None
    except ValueError:
        raise refusal(doing, path, "not a valid path", error) from None
    if stat.S_ISLNK(info.st_mode):
        raise refusal(doing, path, "it is a symbolic link (refused: files are never written through links)",
                      error)
    if not stat.S_ISREG(info.st_mode):
        raise refusal(doing, path, f"it is {_kind(info.st_mode)}, not a regular file", error)
    return info.st_size


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a device"),
                       (stat.S_ISBLK, "a device"), (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a regular file"


def write_file(target: str | os.PathLike, data: bytes, *, mode: int = PUBLIC, atomic: bool = False,
               exclusive: bool = False, what: str = "file", shown_as: str | os.PathLike | None = None,
               error: type[HsmshellError] = FileRefused) -> None:
    """Write `data` to `target` (see the module docstring). `shown_as`: the path as the user
    wrote it (messages); `exclusive` implies `atomic` and refuses an existing target."""
    target = os.fspath(target)
    path = target if shown_as is None else shown_as
    doing = f"cannot write the {what}"
    if atomic or exclusive:
        _write_atomic(target, data, mode, exclusive, doing, path, error)
    else:
        _write_in_place(target, data, mode, doing, path, error)


def _write_in_place(target: str, data: bytes, mode: int, doing: str, path, error) -> None:
    check_target(target, doing, path, error)    # says what it is; the checks below still hold
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | _NONBLOCK | _NOFOLLOW | _CLOEXEC, mode)
    except OSError as exc:
        raise refusal(doing, path, _why(exc, target), error) from None
    except ValueError:
        raise refusal(doing, path, "not a valid path", error) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise refusal(doing, path, f"it is {_kind(info.st_mode)}, not a regular file", error)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        # Cut the old content after writing: ext4 flushes a file truncated to 0 on close
        # (~2.5 ms per signature file); only a longer old file needs cutting.
        if info.st_size > len(data):
            os.ftruncate(fd, len(data))
    except OSError as exc:
        raise refusal(doing, path, exc.strerror or str(exc), error) from None
    finally:
        os.close(fd)


def _write_atomic(target: str, data: bytes, mode: int, exclusive: bool, doing: str, path, error) -> None:
    existing = check_target(target, doing, path, error)
    if exclusive and existing is not None:
        raise refusal(doing, path, "it exists already (refused: it is never replaced)", error)
    folder, name = os.path.split(target)
    tmp = os.path.join(folder, f".{name[:100]}.{os.urandom(8).hex()}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC, mode)
    except OSError as exc:
        raise refusal(doing, path, exc.strerror or str(exc), error) from None
    try:
        try:
            os.fchmod(fd, mode)             # the mode asked for, whatever the umask
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        finally:
            os.close(fd)
        check_target(target, doing, path, error)   # again: refuse what appeared meanwhile
        if exclusive:
            os.link(tmp, target)            # fails if the target appeared: never replaced
        else:
            os.replace(tmp, target)         # replaces a name, never writes through a link
    except OSError as exc:
        raise refusal(doing, path, exc.strerror or str(exc), error) from None
    finally:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass


def make_folder(folder: str | os.PathLike, mode: int = FOLDER) -> Path:
    """Create `folder` (mode `mode`, whatever the umask; missing parents too) if missing;
    refuses a non-folder."""
    folder = Path(folder)
    if not os.path.lexists(folder.parent) and folder.parent != folder:
        make_folder(folder.parent, mode)
    try:
        folder.mkdir(mode=mode)
        os.chmod(folder, mode)
    except FileExistsError:
        if not folder.is_dir() or folder.is_symlink():
            raise refusal("cannot use the folder", folder, "it exists and is not a folder",
                          error=BackendUnavailable) from None
    except OSError as exc:
        raise refusal("cannot create the folder", folder, exc.strerror or str(exc),
                      error=BackendUnavailable) from None
    return folder


def ensure_private_file(path: str | os.PathLike, error: type[HsmshellError] = FileRefused) -> None:
    """Make `path` an empty 0600 file unless something is there already. Called before
    sqlite3.connect: SQLite would create the file 0644 & ~umask (0666 under umask 000), and
    gives its -wal and -shm files the mode of the database file."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC, PRIVATE)
    except FileExistsError:
        return
    except OSError as exc:
        raise refusal("cannot create", path, exc.strerror or str(exc), error) from None
    try:
        os.fchmod(fd, PRIVATE)
    finally:
        os.close(fd)


# -- reading -------------------------------------------------------------------------------------
def open_regular(path: str, flags: int, doing: str, shown_as, error=FileRefused) -> tuple[int, int]:
    """(descriptor, size) of a regular file at `path`, for the caller to close. O_NONBLOCK:
    opening a FIFO must not wait for a writer."""
    try:
        fd = os.open(path, flags | _NONBLOCK | _CLOEXEC, 0o644)
    except OSError as exc:
        raise refusal(doing, shown_as, _why(exc, path), error) from None
    except ValueError:                      # a NUL in the path
        raise refusal(doing, shown_as, "not a valid path", error) from None
    try:
        info = os.fstat(fd)
    except OSError as exc:
        os.close(fd)
        raise refusal(doing, shown_as, exc.strerror, error) from None
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise refusal(doing, shown_as, f"it is {_kind(info.st_mode)}, not a regular file", error)
    return fd, info.st_size


def read_regular(path: str | os.PathLike, max_bytes: int, what: str = "file",
                 shown_as: str | os.PathLike | None = None, error=FileRefused,
                 no_follow: bool = False) -> bytes:
    """At most `max_bytes` of a regular file; larger, or not a regular file: refused.
    `no_follow`: a symbolic link is refused too (key material)."""
    path = os.fspath(path)
    shown_as = path if shown_as is None else shown_as
    flags = os.O_RDONLY | (_NOFOLLOW if no_follow else 0)
    doing = "cannot read" if what == "file" else f"cannot read the {what}"
    fd, expected = open_regular(path, flags, doing, shown_as, error)
    try:
        data = read_prefix(fd, max_bytes + 1, expected)
    except OSError as exc:
        raise refusal(doing, shown_as, exc.strerror, error) from None
    finally:
        os.close(fd)
    if len(data) > max_bytes:
        raise error(f"the {what} {shown_path(shown_as)} is larger than {max_bytes} bytes")
    return data


def read_prefix(fd: int, n: int, expected: int) -> bytes:
    """At most `n` bytes from `fd`. Asks for what fstat promised (+1, to see EOF or growth),
    never for all `n` at once: a read of n bytes allocates n bytes first."""
    chunks, size = [], 0
    while size < n and (chunk := os.read(fd, min(n - size, max(expected - size + 1, _CHUNK)))):
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)
