"""Atomic writes: a temp path in the destination folder, fsync, then rename over the destination.

Pure Python (no Polars) so any writer can use it: the Parquet/CSV sinks here, artifact manifests,
split files. Readers never see a half-written file, and a failed or interrupted write leaves the
previous file (if any) untouched and no temp file behind.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tabprep.errors import ConfigError, TabprepError

__all__ = ["atomic_path"]

# Keep temp names well under NAME_MAX (255) whatever the destination's name length.
_MAX_STEM = 120


def _temp_sibling(path: Path, tag: str) -> Path:
    # A leading '.' hides in-progress files from folder scans (tabprep.io.scan skips them).
    return path.with_name(f".{path.name[:_MAX_STEM]}.{secrets.token_hex(6)}.{tag}")


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:  # some platforms/filesystems cannot open folders; the rename is still atomic
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _fsync_tree(path: Path) -> None:
    if path.is_dir():
        for root, _dirs, files in os.walk(path):
            for name in files:
                _fsync_file(Path(root, name))
            _fsync_dir(Path(root))
    else:
        _fsync_file(path)


def _remove(path: Path) -> None:
    try:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
    except OSError:
        pass


def _replace(tmp: Path, dest: Path) -> None:
    tmp_is_dir = tmp.is_dir()
    dest_is_dir = dest.is_dir() and not dest.is_symlink()
    if tmp_is_dir != dest_is_dir and dest.exists():
        kind = "folder" if dest_is_dir else "file"
        raise ConfigError(
            f"the output path is an existing {kind}",
            path=dest,
            hint=f"remove it or choose another output path (a {'folder' if tmp_is_dir else 'file'} was written)",
        )
    if not tmp_is_dir or not dest.exists():
        os.replace(tmp, dest)
        return
    # A folder cannot replace a non-empty folder in one rename: move the old one aside first, then
    # swap; if the swap fails, put the old one back so the destination is never lost.
    old = _temp_sibling(dest, "old")
    os.replace(dest, old)
    try:
        os.replace(tmp, dest)
    except BaseException:
        os.replace(old, dest)
        raise
    _remove(old)


@contextmanager
def atomic_path(path: str | os.PathLike[str], *, fsync: bool = True, keep_extension: bool = False) -> Iterator[Path]:
    """Yield a temp path next to ``path``; on success move it over ``path`` atomically.

    The block writes a file (or a folder) at the yielded path. When the block ends without an
    exception, the temp path is fsynced and renamed over ``path`` (``os.replace``: atomic on POSIX
    and Windows for files; a folder replaces an existing folder with two renames). On any
    exception, ``KeyboardInterrupt`` included, the temp path is removed and ``path`` is untouched.

    Parameters
    ----------
    path : str or os.PathLike
        The final destination. Its folder must exist.
    fsync : bool, default True
        Flush the written data (and the folder entry) to disk before/after the rename, so a crash
        cannot leave a renamed-but-empty file.
    keep_extension : bool, default False
        End the temp name with the destination's extension(s) (``.tmp.csv.gz``), so code that
        infers a format or compression from a name (``tabprep.io.write``/``scan``) reads it right.

    Yields
    ------
    pathlib.Path
        A not-yet-existing path in the same folder, named ``.<name>.<random>.tmp`` (hidden, so
        folder scans skip it).

    Raises
    ------
    ConfigError
        If the destination folder does not exist, or a folder would replace a file (or vice versa).

    Examples
    --------
    >>> import os, tempfile
    >>> from pathlib import Path
    >>> from tabprep.io import atomic_path
    >>> folder = tempfile.mkdtemp()
    >>> target = Path(folder, "manifest.json")
    >>> with atomic_path(target) as tmp:
    ...     _ = tmp.write_text('{"version": 1}')
    >>> target.read_text()
    '{"version": 1}'
    >>> os.listdir(folder)
    ['manifest.json']
    """
    # absolute (not resolved: a symlink stays the thing replaced), so "." and "x/.." have a name
    dest = Path(os.path.abspath(path))
    parent = dest.parent
    if not parent.is_dir():
        raise ConfigError("the output folder does not exist", path=parent, hint="create it first")
    extension = "".join(dest.suffixes[-2:] if dest.suffix in (".gz", ".zst") else dest.suffixes[-1:])
    tmp = _temp_sibling(dest, "tmp" + extension if keep_extension else "tmp")
    try:
        yield tmp
        if not tmp.exists():
            raise TabprepError("nothing was written", path=dest, hint="the writer produced no output file")
        if fsync:
            _fsync_tree(tmp)
        _replace(tmp, dest)
    except BaseException:
        _remove(tmp)
        raise
    if fsync:
        _fsync_dir(parent)
