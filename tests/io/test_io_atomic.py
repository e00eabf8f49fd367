"""Atomic writes: a failed or interrupted write leaves no partial file, no temp file, and keeps the old file."""

from __future__ import annotations

import os
from pathlib import Path

import polars as pl
import pytest

from tabprep.errors import ConfigError, DataError, TabprepError
from tabprep.io import atomic_path, convert, scan, write


def listing(folder) -> list[str]:
    return sorted(os.listdir(folder))


@pytest.fixture
def bad_csv(tmp_path):
    """A CSV whose 'a' column is inferred Int64 but holds text far into the file (fails mid-stream)."""
    path = tmp_path / "bad.csv"
    rows = [f"{i},x{i}" for i in range(300_000)] + ["oops,y"] + [f"{i},z" for i in range(1000)]
    path.write_text("a,b\n" + "\n".join(rows) + "\n")
    return path


@pytest.fixture
def sink_spy(monkeypatch):
    """Record, for every real Polars sink call that fails, whether it had left a file on disk."""
    leftovers: list[bool] = []
    real = pl.LazyFrame.sink_parquet

    def spy(self, path, *args, **kwargs):
        try:
            return real(self, path, *args, **kwargs)
        except BaseException:
            leftovers.append(os.path.exists(path))
            raise

    monkeypatch.setattr(pl.LazyFrame, "sink_parquet", spy)
    return leftovers


def test_mid_stream_failure_leaves_nothing(tmp_path, bad_csv, sink_spy):
    out = tmp_path / "out.parquet"
    with pytest.raises(DataError) as info:
        convert(bad_csv, out)
    assert "bad.csv" in str(info.value) and info.value.column == "a"
    assert info.value.row == 300_000  # located by the second read on the error path
    assert sink_spy == [True]  # Polars itself had left a partial file: cleanup is what removed it
    assert listing(tmp_path) == ["bad.csv"]


def test_mid_stream_failure_keeps_existing_file(tmp_path, bad_csv):
    out = tmp_path / "out.parquet"
    pl.DataFrame({"old": [1, 2, 3]}).write_parquet(out)
    before = out.read_bytes()
    with pytest.raises(DataError):
        write(scan(bad_csv), out)
    assert out.read_bytes() == before
    assert listing(tmp_path) == ["bad.csv", "out.parquet"]


@pytest.mark.parametrize("exc_type", [RuntimeError, KeyboardInterrupt])
def test_failing_sink_removes_temp_file(tmp_path, monkeypatch, exc_type):
    out = tmp_path / "out.parquet"
    out.write_bytes(b"previous content")
    seen = []

    def failing_sink(self, path, *args, **kwargs):
        with open(path, "wb") as fh:  # a partial file, as a crashing writer would leave
            fh.write(b"PAR1 half written")
        seen.append(path)
        raise exc_type("boom")

    monkeypatch.setattr(pl.LazyFrame, "sink_parquet", failing_sink)
    with pytest.raises(exc_type):
        write(pl.DataFrame({"a": [1]}), out)
    # the sink writes in a hidden folder of its own inside the destination's folder (same file
    # system: the final rename is atomic; hidden from folder scans)
    assert len(seen) == 1 and Path(seen[0]).parent.parent == tmp_path
    assert Path(seen[0]).parent.name.startswith(".out.parquet.") and Path(seen[0]).name.startswith(".out.parquet.")
    assert listing(tmp_path) == ["out.parquet"]
    assert out.read_bytes() == b"previous content"


def test_success_replaces_existing_file_and_fsyncs(tmp_path, monkeypatch):
    out = tmp_path / "out.csv"
    out.write_text("old\n")
    synced = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(fd), real_fsync(fd)))
    write(pl.DataFrame({"a": [1, 2]}), out)
    assert out.read_text() == "a\n1\n2\n"
    assert len(synced) >= 2  # the file before the rename, the folder after it
    assert listing(tmp_path) == ["out.csv"]


def test_fsync_can_be_skipped(tmp_path, monkeypatch):
    synced = []
    monkeypatch.setattr(os, "fsync", lambda fd: synced.append(fd))
    write(pl.DataFrame({"a": [1]}), tmp_path / "x.parquet", fsync=False)
    assert synced == []


def test_atomic_path_file(tmp_path):
    target = tmp_path / "m.json"
    with atomic_path(target) as tmp:
        assert tmp.parent == tmp_path and not tmp.exists()
        tmp.write_text("{}")
        assert not target.exists()  # invisible until the block succeeds
    assert target.read_text() == "{}"
    assert listing(tmp_path) == ["m.json"]


def test_atomic_path_error_in_block(tmp_path):
    target = tmp_path / "m.json"
    target.write_text("keep")
    with pytest.raises(ValueError):
        with atomic_path(target) as tmp:
            tmp.write_text("new")
            raise ValueError("fail")
    assert target.read_text() == "keep"
    assert listing(tmp_path) == ["m.json"]


def test_atomic_path_nothing_written(tmp_path):
    with pytest.raises(TabprepError, match="nothing was written"):
        with atomic_path(tmp_path / "x.bin"):
            pass
    assert listing(tmp_path) == []


def test_atomic_path_folder_replaces_folder(tmp_path):
    target = tmp_path / "artifact"
    target.mkdir()
    (target / "old.json").write_text("old")
    with atomic_path(target) as tmp:
        tmp.mkdir()
        (tmp / "manifest.json").write_text("new")
        (tmp / "sub").mkdir()
        (tmp / "sub" / "state.arrow").write_bytes(b"x")
    assert sorted(p.name for p in target.iterdir()) == ["manifest.json", "sub"]
    assert listing(tmp_path) == ["artifact"]  # the old folder moved aside was removed


def test_atomic_path_folder_failure_keeps_old_folder(tmp_path):
    target = tmp_path / "artifact"
    target.mkdir()
    (target / "old.json").write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.mkdir()
            (tmp / "half.json").write_text("x")
            raise RuntimeError("crash")
    assert [p.name for p in target.iterdir()] == ["old.json"]
    assert listing(tmp_path) == ["artifact"]


def test_atomic_path_kind_mismatch(tmp_path):
    target = tmp_path / "thing"
    target.mkdir()
    with pytest.raises(ConfigError, match="existing folder"):
        with atomic_path(target) as tmp:
            tmp.write_text("file")
    assert target.is_dir() and listing(tmp_path) == ["thing"]


def test_atomic_path_missing_folder(tmp_path):
    with pytest.raises(ConfigError, match="output folder does not exist"):
        with atomic_path(tmp_path / "nope" / "x.json"):
            pass


def test_long_file_name(tmp_path):
    out = tmp_path / ("n" * 240 + ".csv")
    write(pl.DataFrame({"a": [1]}), out)
    assert out.read_text() == "a\n1\n"


def test_convert_onto_its_own_input_is_refused(tmp_path):
    # Atomic writes would make it safe from corruption, but it still destroys the raw data
    # (`convert p.csv p.csv --limit 3` truncated the input): refused, also through a symlink.
    path = tmp_path / "same.parquet"
    pl.DataFrame({"a": [3, 1, 2]}).write_parquet(path)
    (tmp_path / "link.parquet").symlink_to(path)
    for dest in (path, tmp_path / "." / "same.parquet", tmp_path / "link.parquet"):
        with pytest.raises(ConfigError, match="would overwrite an input file"):
            convert(path, dest, limit=2)
    with pytest.raises(ConfigError, match="would overwrite an input file"):
        convert(tmp_path / "*.parquet", path)
    assert pl.read_parquet(path)["a"].to_list() == [3, 1, 2]


@pytest.mark.parametrize(
    "error",
    [OSError(28, "No space left on device"), OSError("No space left on device (os error 28)")],
    ids=["errno", "polars-style"],
)
def test_disk_full_is_reported_against_the_output(tmp_path, monkeypatch, error):
    out = tmp_path / "out.parquet"

    def full_disk(self, path, *args, **kwargs):
        with open(path, "wb") as fh:
            fh.write(b"partial")
        raise error

    monkeypatch.setattr(pl.LazyFrame, "sink_parquet", full_disk)
    with pytest.raises(TabprepError) as info:
        write(pl.DataFrame({"a": [1]}), out)
    assert type(info.value) is TabprepError and info.value.path == str(out)
    assert "cannot write the output" in str(info.value) and "No space left" in str(info.value)
    assert listing(tmp_path) == []
