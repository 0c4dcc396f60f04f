"""Safe file output: write to a temporary name in the same folder, fsync, then rename.

A killed process therefore leaves either the previous complete file or none, never a file
that looks complete but isn't. Temporary names start with ``.`` and end with ``.part``.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import tempfile
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from .errors import FilesystemError, OutputError, ProductionError


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def shown(path: str | os.PathLike[str]) -> str:
    """A path as printable text: bytes that are not UTF-8 (a folder from an old archive) appear as
    ``\\xNN`` escapes instead of making every print fail."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


NAME_MAX_BYTES = 255  # longest file name on ext4, XFS, Btrfs, tmpfs (NAME_MAX, limits.h)


def explain_os_error(
    err: OSError,
    path: str | os.PathLike[str] | None = None,
    doing: str = "write",
    near: str | os.PathLike[str] | None = None,
) -> FilesystemError:
    """One line for a failed file operation: which path, what went wrong, what to do.

    The path named is ``path``, else the error's own file name, else ``near`` (a failed flush
    names no file)."""
    where = path if path is not None else err.filename if err.filename is not None else near
    name = shown(where) if where is not None else "a file"
    folder = shown(Path(os.fsdecode(where)).parent) if where is not None else "the folder"
    code = err.errno
    if code in (errno.ENOSPC, errno.EDQUOT):
        text = (
            f"disk full while writing {Path(name).name}: free space on {folder} and run again "
            "(earlier outputs were left intact)"
        )
    elif code in (errno.EACCES, errno.EPERM):
        text = (
            f"cannot {doing} {name}: permission denied; make {folder} writable for you "
            f"(chmod u+w) or work on a copy of the episode folder"
        )
    elif code == errno.EROFS:
        text = f"cannot {doing} {name}: the disk is read-only; copy the episode folder to a writable disk and run there"
    elif code == errno.ENAMETOOLONG:
        text = (
            f"cannot {doing} {name}: the name is too long for the file system ({NAME_MAX_BYTES} bytes per name); "
            "give the episode folder (or the output) a shorter name"
        )
    elif code == errno.ENOENT:
        text = (
            f"cannot {doing} {name}: it (or its folder) no longer exists; was the folder moved or deleted "
            "while running? put it back and run again"
        )
    elif code in (errno.EEXIST, errno.ENOTDIR):
        text = (
            f"cannot {doing} {name}: a file or a broken link is in the way where a folder is needed; "
            "move it aside and run again"
        )
    elif code == errno.EISDIR:
        text = f"cannot {doing} {name}: it is a folder; give a file name instead"
    else:
        text = f"cannot {doing} {name}: {err.strerror or err}; check the disk and the folder's permissions"
    return FilesystemError(text)


def _explain_os_error(path: Path, err: OSError) -> ProductionError:
    return explain_os_error(err, path)


def ensure_folder(folder: str | os.PathLike[str], what: str = "output folder") -> Path:
    """Create ``folder`` (and its parents) for outputs; a FilesystemError saying what to do when a
    file or broken link is in its place or it cannot be created."""
    path = Path(folder)
    if path.is_symlink() and not path.exists():
        raise FilesystemError(
            f"the {what} {shown(path)} is a broken link (to {shown(os.readlink(path))}); "
            f"remove it (rm {shown(path)}) and run again"
        )
    if path.exists() and not path.is_dir():
        raise FilesystemError(
            f"the {what} {shown(path)} is a file, not a folder; move the file aside (mv {shown(path)} "
            f"{shown(path)}.old) and run again"
        )
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise explain_os_error(err, path, "create") from err
    return path


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str], suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it is fsynced and renamed onto ``path``.

    ``suffix`` defaults to the target's own suffix so tools that pick a format by extension
    (ffmpeg) still see the right one.
    """
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise explain_os_error(err, target.parent, "create") from err
    suffix = target.suffix if suffix is None else suffix
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=f".part{suffix}", dir=target.parent)
    except OSError as err:
        raise explain_os_error(err, target) from err
    os.close(fd)
    tmp = Path(tmp_name)
    os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; outputs are meant to be shared
    try:
        yield tmp
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, target)
        _fsync_dir(target.parent)
    except OSError as err:
        tmp.unlink(missing_ok=True)
        raise _explain_os_error(target, err) from err
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def write_text(path: str | os.PathLike[str], text: str) -> Path:
    return write_bytes(path, text.encode("utf-8"))


def write_json(path: str | os.PathLike[str], obj: Any) -> Path:
    return write_text(path, json.dumps(obj, ensure_ascii=False, indent=2) + "\n")


# ------------------------------------------------------------------ outputs never overwrite inputs
def same_file(a: str | os.PathLike[str], b: str | os.PathLike[str]) -> bool:
    """True when ``a`` and ``b`` are one file: the same path, a symlink to it or a hard link."""
    try:
        if Path(a).resolve() == Path(b).resolve():
            return True
        return os.path.samefile(a, b)
    except (OSError, RuntimeError):  # one of them missing, or a symlink loop
        return False


def guard_output(
    output: str | os.PathLike[str],
    inputs: Mapping[str, str | os.PathLike[str] | None],
    kind: str,
    is_previous: Callable[[Path], bool],
    overwrite: bool = False,
) -> Path:
    """Refuse an output path that would destroy something the user gave.

    ``inputs`` (label -> path) are never written, whatever ``overwrite`` says, also when the
    output reaches one through a symlink or a hard link. An existing file that ``is_previous``
    does not recognise as an earlier output of this ``kind`` is replaced only with ``overwrite``.
    Call it before any work, so a refusal costs nothing."""
    out = Path(output)
    for label, given in inputs.items():
        if given is not None and same_file(out, given):
            via = " (through a link)" if out.is_symlink() or out.resolve() != Path(given).resolve() else ""
            raise OutputError(
                f"refusing to write the {kind} to {shown(out)}: that is the {label}{via}; choose another output path"
            )
    if out.is_dir():
        raise OutputError(f"the output {shown(out)} is a folder; give a file name for the {kind}")
    if out.exists() and not overwrite and not is_previous(out):
        raise OutputError(
            f"refusing to replace {shown(out)}: it exists and is not a {kind} written by perspective; "
            "choose another output path, or pass --overwrite to replace it"
        )
    return out


def refuse_inputs_in(folder: Path, inputs: Mapping[str, Path | None], what: str) -> None:
    """Refuse an input that lives inside ``folder`` (build/), which a run rewrites."""
    root = folder.resolve()
    for label, given in inputs.items():
        if given is not None and root in Path(given).resolve().parents:
            raise OutputError(
                f"{label} {shown(given)} is inside {shown(folder)}, which {what} rewrites; "
                f"move it out of {folder.name}/ and point episode.toml at the new place"
            )


def require_utf8_name(path: str | os.PathLike[str], what: str) -> None:
    """Refuse a path whose bytes are not UTF-8 (a folder unpacked from an old GBK/Latin-1
    archive): the outputs, the feed and ffmpeg's filter graphs all need text names."""
    try:
        os.fsencode(Path(path).absolute()).decode("utf-8")
    except UnicodeDecodeError:
        raise FilesystemError(
            f"the {what} {shown(Path(path).absolute())} has a name that is not valid UTF-8 text; rename it "
            "(for example with `convmv -f gbk -t utf-8 --notest NAME` or a file manager) and run again"
        ) from None


def prepare_build(build: Path, inputs: Mapping[str, Path | None]) -> Path:
    """Check an episode's paths and create its build/ before a produce takes the lock: names
    must be UTF-8, no input may live in build/, build/ must be (or become) a writable folder."""
    require_utf8_name(build.parent, "episode folder")
    for label, given in inputs.items():
        if given is not None:
            require_utf8_name(given, label)
    refuse_inputs_in(build, inputs, "perspective produce")
    ensure_folder(build, "build folder")
    if not os.access(build, os.W_OK | os.X_OK):
        raise FilesystemError(
            f"the build folder {shown(build)} is read-only; make it writable (chmod u+w {shown(build)}) "
            "or produce a copy of the episode folder"
        )
    return build
