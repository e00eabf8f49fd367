"""Issue 11 item 11 through the real command: a progress bar with rows done / total and rows/s,
on a terminal only (a pseudo-terminal here), never with --quiet or into a pipe."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import numpy as np
import polars as pl
import pytest

pty = pytest.importorskip("pty")

N = 300_000
# tqdm's bar with a known total: "label:  40%|####      | 120k/300k [00:01<00:01, 98.7k rows/s]"
DONE_OF_TOTAL = re.compile(r"(\d+(\.\d+)?k?)/300k \[[^\]]*, +\d+(\.\d+)?[kM]? rows/s\]")


def run_in_terminal(*args: str) -> tuple[int, str, str]:
    """``python -m tabprep ARGS`` with stderr on a pseudo-terminal; (code, stdout, terminal text)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "tabprep", *args], stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=slave)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # the terminal closed: the process is done with it
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    out = proc.stdout.read().decode()
    proc.stdout.close()
    return proc.wait(timeout=120), out, b"".join(chunks).decode(errors="replace")


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    folder = tmp_path_factory.mktemp("progress")
    rng = np.random.default_rng(0)
    df = pl.DataFrame({"a": rng.normal(size=N), "c": rng.integers(0, 100, N).astype(str),
                       "y": rng.integers(0, 2, N)})
    df.write_parquet(folder / "d.parquet")
    df.write_csv(folder / "d.csv")
    (folder / "spec.toml").write_text('target = "y"\n\n[[steps]]\nname = "s"\ntype = "StandardScaler"\n'
                                      'columns = ["a"]\n')
    return folder


@pytest.mark.parametrize("source", ["d.parquet", "d.csv"])
def test_convert_shows_rows_done_of_total_and_rows_per_second(data, tmp_path, source):
    code, _, term = run_in_terminal("convert", str(data / source), str(tmp_path / "out.arrow"))
    assert code == 0, term
    frames = term.split("\r")
    assert any(f.startswith("converting /") for f in frames)  # a long label is shortened in its middle
    final = [m.group(1) for f in frames for m in [DONE_OF_TOTAL.search(f)] if m]
    assert final and final[-1] == "300k", term  # the last frame drawn: every row of the total
    assert re.search(rf"\rwrote {N:,} rows to {re.escape(str(tmp_path / 'out.arrow'))} in \d+\.\ds\r\n$", term)


def test_fit_and_its_outputs_show_rows(data, tmp_path):
    code, _, term = run_in_terminal("fit", str(data / "spec.toml"), str(data / "d.parquet"), "-o",
                                    str(tmp_path / "model"), "--transform-out", str(tmp_path / "t.parquet"),
                                    "--numpy", str(tmp_path / "X.npy"))
    assert code == 0, term
    for label, end in (("fitting /", ".parquet"), ("writing /", ".parquet"), ("writing /", "X.npy")):
        drawn = [f for f in term.split("\r") if f.startswith(label) and f.split(": ")[0].endswith(end)]
        assert any(DONE_OF_TOTAL.search(f) and "300k/300k" in f for f in drawn), (label, term)


def test_no_bar_with_quiet_or_off_a_terminal(data, tmp_path):
    code, _, term = run_in_terminal("convert", str(data / "d.parquet"), str(tmp_path / "o.arrow"), "--quiet")
    assert (code, term) == (0, "")
    proc = subprocess.run([sys.executable, "-m", "tabprep", "convert", str(data / "d.parquet"),
                           str(tmp_path / "o2.arrow")], capture_output=True, text=True, timeout=120)
    assert (proc.returncode, proc.stderr) == (0, "")
