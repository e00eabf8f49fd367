"""Real processes: `python -m tabprep`, and that `import tabprep` / `--help` stay free of heavy imports."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import polars as pl
import pytest

HEAVY = ("polars", "numpy", "pyarrow", "numba", "sklearn", "pandas", "scipy", "tqdm")


def run_python(code: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120)


def run_tabprep(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tabprep", *args], capture_output=True, text=True, timeout=120)


_PROBE = """
import contextlib, io, json, sys
{body}
print(json.dumps(sorted(m for m in {heavy!r} if m in sys.modules)))
"""


def heavy_modules_after(body: str) -> list[str]:
    proc = run_python(_PROBE.format(body=body, heavy=HEAVY))
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_import_tabprep_is_light():
    assert heavy_modules_after("import tabprep") == []


def test_help_and_version_are_light():
    body = (
        "from tabprep.cli import COMMANDS, main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    assert main(['--help']) == 0\n"
        "    assert main(['--version']) == 0\n"
        "    for name in COMMANDS:  # every command, including ones added later\n"
        "        assert main([name, '--help']) == 0\n"
    )
    assert heavy_modules_after(body) == []


def test_python_m_tabprep_convert(tmp_path):
    inp, out = tmp_path / "in.csv", tmp_path / "out.parquet"
    inp.write_text("a,b\n1,x\n2,y\n")
    proc = run_tabprep("convert", str(inp), str(out))
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")
    assert pl.read_parquet(out).to_dict(as_series=False) == {"a": [1, 2], "b": ["x", "y"]}
    proc = run_tabprep("schema", str(out), "--json")
    assert proc.returncode == 0 and json.loads(proc.stdout)["row_count"] == 2


def test_python_m_tabprep_bad_input(tmp_path):
    inp, out = tmp_path / "in.csv", tmp_path / "out.parquet"
    inp.write_text("a\n1\nx\n")
    proc = run_tabprep("convert", str(inp), str(out), "--schema-overrides", "a=Int64")
    assert proc.returncode == 3
    assert proc.stderr.startswith("tabprep: error: ") and proc.stderr.count("\n") == 1
    assert sorted(os.listdir(tmp_path)) == ["in.csv"]
    proc = run_tabprep("--debug", "convert", str(inp), str(out), "--schema-overrides", "a=Int64")
    assert proc.returncode == 3 and "Traceback" in proc.stderr


def test_version_in_subprocess():
    import tabprep

    proc = run_tabprep("--version")
    assert (proc.returncode, proc.stdout.strip()) == (0, f"tabprep {tabprep.__version__}")


def _interrupt_while_writing(tmp_path, inp, out, signum):
    """Start ``convert`` and deliver ``signum`` while its hidden temp file exists; returns the
    finished process, or None when the writer got past the temp file before it was frozen.

    The process is frozen (SIGSTOP) the moment the temp file shows up and the file is looked
    for again while nothing moves, so the signal provably lands before the rename.
    """
    import signal
    import time

    proc = subprocess.Popen([sys.executable, "-m", "tabprep", "convert", str(inp), str(out)],
                            stderr=subprocess.PIPE, text=True)

    def temp_exists():
        return any(p.name.startswith(f".{out.name}.") for p in tmp_path.iterdir())

    deadline = time.monotonic() + 60
    while not temp_exists():
        if proc.poll() is not None:
            proc.communicate()
            return None
        assert time.monotonic() < deadline
        time.sleep(0.002)
    proc.send_signal(signal.SIGSTOP)
    in_time = temp_exists()
    if in_time:
        proc.send_signal(signum)
    proc.send_signal(signal.SIGCONT)
    if not in_time:
        proc.communicate(timeout=60)
        return None
    return proc


@pytest.mark.parametrize(("signame", "code", "message"), [("SIGINT", 130, "interrupted"), ("SIGTERM", 143, "terminated")])
def test_signal_mid_convert_leaves_nothing(tmp_path, signame, code, message):
    import signal

    inp = tmp_path / "in.csv"
    n = 3_000_000
    pl.DataFrame({"a": range(n), "b": pl.int_range(n, eager=True).cast(pl.String)}).write_csv(inp)
    out = tmp_path / "out.parquet"
    for _attempt in range(5):  # a run that outpaced the freeze is not a verdict: try again
        out.write_bytes(b"previous")
        proc = _interrupt_while_writing(tmp_path, inp, out, getattr(signal, signame))
        if proc is not None:
            break
    else:
        pytest.fail("convert finished before it could be interrupted, five times")
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == code and err == f"tabprep: {message}\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv", "out.parquet"]
    assert out.read_bytes() == b"previous"
