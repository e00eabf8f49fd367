import hashlib
import io
import json
import tokenize
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

import tabprep
from tabprep.errors import ArtifactError, ConfigError
from tabprep._base import lineage as _lineage
from tabprep._base import step as _step
from tabprep.pipeline import Pipeline, Step, _artifact, _load
from tabprep._base.lineage import data_fingerprint
from tabprep.pipeline import load
from tabprep.pipeline._artifact import fingerprint, save
from tabprep.scale import MinMaxScaler, StandardScaler


class ArtifactTestStats(Step):
    """A throwaway step whose state lives in an Arrow table (built-in steps with tables come later)."""

    _parameter_constraints = {"offset": [float]}

    def __init__(self, offset=0.0):
        self.offset = offset

    def fit_exprs(self, schema, columns, target):
        return {**{f"count:{c}": pl.col(c).count() for c in columns},
                **{f"sum:{c}": pl.col(c).cast(pl.Float64).sum() for c in columns}}

    def _finalize(self, stats, schema, columns):
        self.stats_ = pa.table({
            "column": pa.array([*columns, None], pa.string()),  # a null, to check determinism
            "count": pa.array([stats[f"count:{c}"] for c in columns] + [0], pa.int64()),
            "sum": pa.array([stats[f"sum:{c}"] for c in columns] + [None], pa.float64()),
        })

    def transform_exprs(self, schema):
        sums = dict(zip(self.stats_["column"].to_pylist(), self.stats_["sum"].to_pylist()))
        return [(pl.col(c).cast(pl.Float64) - sums[c] + self.offset).alias(c) for c in self._input_names()]

    def _get_tables(self):
        return {"stats": self.stats_}

    def _set_state(self, state, tables):
        self.stats_ = tables["stats"]


@pytest.fixture
def table_step(monkeypatch):
    monkeypatch.setitem(_step._REGISTRY, "ArtifactTestStats", ArtifactTestStats)
    return ArtifactTestStats


@pytest.fixture
def frame():
    rng = np.random.default_rng(0)
    n = 2_000
    return pl.DataFrame({
        "a": rng.normal(size=n),
        "b": rng.integers(0, 100, n),
        "c": pl.Series(rng.random(n)).scatter([1, 5], None),
        "s": rng.choice(["x", "y"], n),
        "y": rng.integers(0, 2, n),
    })


def _pipeline(table_step=None):
    steps = [("scale", StandardScaler(), ["a", "b"]), ("mm", MinMaxScaler(feature_range=(-1, 1)), "^c$")]
    if table_step is not None:
        steps.append(("stats", table_step(offset=0.5), ["a", "c"]))
    return Pipeline(steps)


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _rewrite(root: Path, edit, refingerprint: bool = True) -> None:
    """Edit the manifest; by default recompute its fingerprint so only the edit itself is wrong."""
    path = root / "manifest.json"
    manifest = json.loads(path.read_text())
    edit(manifest)
    if refingerprint:
        manifest["fingerprint"] = _artifact._fingerprint_of(manifest)
    path.write_text(json.dumps(manifest, indent=1, sort_keys=True))


@pytest.fixture
def saved(tmp_path, frame, table_step):
    fitted = _pipeline(table_step).fit(frame, target="y")
    return fitted, fitted.save(tmp_path / "model")


def test_round_trip_transform_fingerprint_and_lineage(saved, frame):
    fitted, root = saved
    again = tabprep.load(root)
    assert again.fingerprint == fitted.fingerprint == json.loads((root / "manifest.json").read_text())["fingerprint"]
    assert again.feature_names_out == fitted.feature_names_out
    assert again.output_schema == fitted.output_schema
    assert again.target == "y" and again.lineage == fitted.lineage
    assert [(n, type(s).__name__, c) for n, s, c in again.steps] == [
        ("scale", "StandardScaler", ["a", "b"]), ("mm", "MinMaxScaler", ["c"]), ("stats", "ArtifactTestStats", ["a", "c"])
    ]
    assert again.transform(frame).equals(fitted.transform(frame))
    assert again.named_steps["stats"].stats_.equals(fitted.named_steps["stats"].stats_)


def test_manifest_contents(saved, frame):
    fitted, root = saved
    m = json.loads((root / "manifest.json").read_text())
    assert m["format"] == "tabprep.pipeline" and m["format_version"] == 1
    assert m["versions"] == {"tabprep": tabprep.__version__, "polars": pl.__version__, "pyarrow": pa.__version__}
    assert m["input_schema"] == [["a", "Float64"], ["b", "Int64"], ["c", "Float64"], ["s", "String"]]
    assert m["output_schema"] == [["a", "Float64"], ["b", "Float64"], ["c", "Float64"], ["s", "String"]]
    assert m["target"] == "y" and m["seed"] is None
    assert m["lineage"]["rows"] == frame.height and m["lineage"]["paths"] == []
    assert m["lineage"]["data_fingerprint"] == data_fingerprint(frame)["data_fingerprint"]
    step = m["steps"][2]
    assert step["type"] == "ArtifactTestStats" and step["params"] == {"offset": 0.5}
    entry = step["tables"]["stats"]
    data = (root / entry["file"]).read_bytes()
    assert entry["bytes"] == len(data) and entry["sha256"] == hashlib.sha256(data).hexdigest()
    assert entry["rows"] == 3
    # any Arrow reader opens the table files
    assert pa.ipc.open_file(root / entry["file"]).read_all().column("column").to_pylist() == ["a", "c", None]
    # the scaler's state is repr-exact JSON
    assert m["steps"][0]["state"]["mean"] == fitted.named_steps["scale"].mean_.tolist()
    assert sorted(p.name for p in root.iterdir()) == ["manifest.json", "tables"]


def test_fitting_twice_gives_byte_identical_artifacts_but_the_time(tmp_path, frame, table_step):
    one = _pipeline(table_step).fit(frame, target="y").save(tmp_path / "one")
    two = _pipeline(table_step).fit(frame.lazy(), target="y").save(tmp_path / "two")
    a, b = _files(one), _files(two)
    assert a.keys() == b.keys() and len(a) == 2
    for name in a:
        if name != "manifest.json":
            assert a[name] == b[name], name
    lines_a = a["manifest.json"].decode().splitlines()
    lines_b = b["manifest.json"].decode().splitlines()
    differ = [(x, y) for x, y in zip(lines_a, lines_b) if x != y]
    assert len(lines_a) == len(lines_b)
    assert all(x.strip().startswith('"created"') for x, _ in differ)
    # with a fixed creation time (reproducible builds) even the manifest is identical
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SOURCE_DATE_EPOCH", "1700000000")
        three = _pipeline(table_step).fit(frame, target="y").save(tmp_path / "three")
        four = _pipeline(table_step).fit(frame, target="y").save(tmp_path / "four")
    assert _files(three) == _files(four)
    assert '"created": "2023-11-14T22:13:20Z"' in (three / "manifest.json").read_text()


def test_file_data_gives_identical_artifacts_and_file_lineage(tmp_path, frame):
    data = tmp_path / "train.parquet"
    frame.write_parquet(data)
    one = _pipeline().fit(str(data), target="y")
    two = _pipeline().fit(str(data), target="y")
    assert one.fingerprint == two.fingerprint
    assert one.lineage == {"data_fingerprint": hashlib.sha256(data.read_bytes()).hexdigest(), "kind": "parquet",
                           "paths": [str(data)], "rows": frame.height}
    a, b = _files(one.save(tmp_path / "a")), _files(two.save(tmp_path / "b"))
    assert a.keys() == b.keys()

    def without_created(data: bytes) -> list[bytes]:
        return [line for line in data.splitlines() if not line.strip().startswith(b'"created"')]

    assert without_created(a["manifest.json"]) == without_created(b["manifest.json"])


def test_fingerprint_tracks_content(frame, table_step):
    base = _pipeline(table_step).fit(frame, target="y")
    assert fingerprint(base) == base.fingerprint and len(base.fingerprint) == 64
    other_data = _pipeline(table_step).fit(frame.with_columns(pl.col("a") * 2), target="y")
    other_param = Pipeline([*_pipeline().steps, ("stats", table_step(offset=1.5), ["a", "c"])]).fit(frame, target="y")
    other_target = _pipeline(table_step).fit(frame.drop("y"))
    prints = {base.fingerprint, other_data.fingerprint, other_param.fingerprint, other_target.fingerprint}
    assert len(prints) == 4


def test_table_chunking_does_not_change_bytes(table_step, frame):
    fitted = _pipeline(table_step).fit(frame, target="y")
    stats = fitted.named_steps["stats"]
    before = fitted.fingerprint
    stats.stats_ = pa.concat_tables([stats.stats_.slice(0, 1), stats.stats_.slice(1)])
    assert stats.stats_.column(0).num_chunks == 2
    assert fitted.fingerprint == before


def test_save_replaces_an_artifact_but_refuses_other_paths(tmp_path, frame):
    fitted = _pipeline().fit(frame)
    root = fitted.save(tmp_path / "model")
    other = _pipeline().fit(frame.with_columns(pl.col("a") + 1))
    other.save(root)
    assert load(root).fingerprint == other.fingerprint
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]  # no temp folders left behind
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "keep.csv").write_text("x\n1\n")
    with pytest.raises(ConfigError, match="exists and is not a tabprep artifact"):
        fitted.save(tmp_path / "data")
    assert (tmp_path / "data" / "keep.csv").exists()
    (tmp_path / "file").write_text("x")
    with pytest.raises(ConfigError, match="exists and is not a tabprep artifact"):
        save(fitted, tmp_path / "file")
    (tmp_path / "empty").mkdir()
    assert load(save(fitted, tmp_path / "empty")).fingerprint == fitted.fingerprint
    with pytest.raises(ConfigError, match="output folder does not exist"):
        save(fitted, tmp_path / "no" / "such" / "model")


def test_save_never_replaces_a_folder_holding_anything_but_an_artifact(tmp_path, frame):
    fitted = _pipeline().fit(frame)
    # someone else's manifest.json: not ours, so the folder (and its other files) must survive
    proj = tmp_path / "proj"
    (proj / "src").mkdir(parents=True)
    (proj / "manifest.json").write_text('{"name": "my-web-app"}')
    (proj / "src" / "code.js").write_text("important")
    with pytest.raises(ConfigError, match="not a tabprep artifact"):
        fitted.save(proj)
    assert (proj / "src" / "code.js").read_text() == "important"
    # our artifact plus a file of the user's: replacing it would delete that file
    root = fitted.save(tmp_path / "model")
    (root / "README.txt").write_text("notes")
    with pytest.raises(ConfigError, match="holds other files"):
        fitted.save(root)
    assert (root / "README.txt").read_text() == "notes"


def test_fingerprint_does_not_depend_on_how_the_data_path_is_written(tmp_path, frame, monkeypatch):
    data = tmp_path / "train.parquet"
    frame.write_parquet(data)
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")
    prints = {_pipeline().fit(p, target="y").fingerprint for p in (str(data), "../train.parquet", "./../train.parquet")}
    assert len(prints) == 1
    moved = tmp_path / "elsewhere.parquet"
    data.rename(moved)
    assert _pipeline().fit(str(moved), target="y").fingerprint in prints  # same bytes, other place


def test_malformed_artifact_layouts_are_artifact_errors(saved):
    _, saved = saved
    deep = saved.parent / "deep"
    deep.mkdir()
    (deep / "manifest.json").write_text("[" * 100_000)
    with pytest.raises(ArtifactError, match="malformed JSON"):
        load(deep)
    tables = saved / "tables"
    for f in tables.iterdir():
        f.unlink()
    tables.rmdir()
    tables.write_text("not a folder")
    with pytest.raises(ArtifactError, match="missing"):
        load(saved)


# ------------------------------------------------------------------ tampering
def _table_file(root: Path) -> Path:
    return next((root / "tables").iterdir())


def test_edited_manifest_is_refused(saved):
    _, root = saved
    _rewrite(root, lambda m: m["steps"][0]["state"]["mean"].__setitem__(0, 1.0), refingerprint=False)
    with pytest.raises(ArtifactError, match=r"manifest\.json: manifest checksum mismatch: manifest\.json was edited"):
        load(root)


def test_edited_created_time_is_fine(saved):
    fitted, root = saved
    _rewrite(root, lambda m: m.__setitem__("created", "1999-01-01T00:00:00Z"), refingerprint=False)
    assert load(root).fingerprint == fitted.fingerprint


def test_edited_table_file_is_refused(saved):
    _, root = saved
    path = _table_file(root)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ArtifactError, match=r"steps\[2\] 'stats': table file checksum mismatch: it was edited") as info:
        load(root)
    assert info.value.path == str(path)


def test_truncated_table_file_is_refused(saved):
    _, root = saved
    path = _table_file(root)
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(ArtifactError, match=r"steps\[2\] 'stats': table file is truncated or was changed; found"):
        load(root)


def test_missing_table_file_is_refused(saved):
    _, root = saved
    _table_file(root).unlink()
    with pytest.raises(ArtifactError, match=r"steps\[2\] 'stats': table file tables/2-0\.arrow is missing"):
        load(root)


def test_table_file_with_valid_checksum_but_not_arrow(saved):
    _, root = saved
    path = _table_file(root)
    path.write_bytes(b"not arrow at all")

    def fix(m):
        m["steps"][2]["tables"]["stats"].update(bytes=16, sha256=hashlib.sha256(b"not arrow at all").hexdigest())

    _rewrite(root, fix)
    with pytest.raises(ArtifactError, match="table file is not valid Arrow IPC"):
        load(root)


def test_table_file_name_cannot_leave_the_folder(saved, tmp_path):
    _, root = saved
    _rewrite(root, lambda m: m["steps"][2]["tables"]["stats"].__setitem__("file", "../../etc/passwd"))
    with pytest.raises(ArtifactError, match=r"steps\[2\] 'stats': invalid table file name; found '\.\./\.\./etc/passwd'"):
        load(root)


def test_missing_and_malformed_manifest(saved, tmp_path):
    _, root = saved
    text = (root / "manifest.json").read_text()
    (root / "manifest.json").write_text(text[: len(text) // 2])
    with pytest.raises(ArtifactError, match=r"manifest\.json is malformed JSON \(.* at line \d+, column \d+\)"):
        load(root)
    (root / "manifest.json").write_text(text.replace('"seed": null', '"seed": NaN'))
    with pytest.raises(ArtifactError, match="malformed JSON .*NaN"):
        load(root)
    (root / "manifest.json").write_text("[1, 2]")
    with pytest.raises(ArtifactError, match="must hold a JSON object"):
        load(root)
    (root / "manifest.json").write_bytes(b"\xff\xfe{}")
    with pytest.raises(ArtifactError, match="not UTF-8"):
        load(root)
    (root / "manifest.json").unlink()
    with pytest.raises(ArtifactError, match="manifest.json is missing"):
        load(root)
    with pytest.raises(ArtifactError, match="artifact not found"):
        load(tmp_path / "nope")
    (tmp_path / "f.json").write_text("{}")
    with pytest.raises(ArtifactError, match="expected a folder holding manifest.json"):
        load(tmp_path / "f.json")


def test_unknown_format_and_newer_version(saved):
    _, root = saved
    _rewrite(root, lambda m: m.__setitem__("format_version", 2), refingerprint=False)
    with pytest.raises(ArtifactError, match=r"format version 2 is newer than this tabprep supports \(1\). Hint: upgrade"):
        load(root)
    _rewrite(root, lambda m: m.update(format="sklearn.pickle", format_version=1), refingerprint=False)
    with pytest.raises(ArtifactError, match=r"unknown artifact format; expected 'tabprep.pipeline'; found 'sklearn.pickle'"):
        load(root)
    _rewrite(root, lambda m: m.update(format="tabprep.pipeline", format_version="1"), refingerprint=False)
    with pytest.raises(ArtifactError, match="invalid format_version"):
        load(root)


def test_unknown_step_type(saved):
    _, root = saved
    _rewrite(root, lambda m: m["steps"][1].__setitem__("type", "os.system"))
    with pytest.raises(ArtifactError, match=r"steps\[1\] 'mm': unknown step type 'os.system'.*known steps: .*StandardScaler"):
        load(root)


def test_bad_state_version_keys_and_schema(saved):
    _, root = saved
    manifest = (root / "manifest.json").read_text()

    def reset():
        (root / "manifest.json").write_text(manifest)

    _rewrite(root, lambda m: m["steps"][0].__setitem__("version", 99))
    with pytest.raises(ArtifactError, match=r"steps\[0\] 'scale': unsupported StandardScaler state version 99"):
        load(root)
    reset()
    _rewrite(root, lambda m: m["steps"][0]["state"].pop("mean"))
    with pytest.raises(ArtifactError, match=r"steps\[0\] 'scale': invalid state for StandardScaler"):
        load(root)
    reset()
    _rewrite(root, lambda m: m["steps"][0]["params"].__setitem__("with_mean", "yes"))
    with pytest.raises(ArtifactError, match=r"steps\[0\] 'scale': invalid parameters for StandardScaler: The `with_mean`"):
        load(root)
    reset()
    _rewrite(root, lambda m: m["steps"][0].pop("columns"))
    with pytest.raises(ArtifactError, match=r"steps\[0\] 'scale': a step needs the keys"):
        load(root)
    reset()
    _rewrite(root, lambda m: m.pop("lineage"))
    with pytest.raises(ArtifactError, match="lacks required keys; found lineage"):
        load(root)
    reset()
    _rewrite(root, lambda m: m["input_schema"][0].__setitem__(1, "__import__('os')"))
    with pytest.raises(ArtifactError, match="invalid schema in the manifest"):
        load(root)
    reset()
    _rewrite(root, lambda m: m["output_schema"].pop())
    with pytest.raises(ArtifactError, match="output columns differ from the ones recorded"):
        load(root)
    reset()
    assert load(root).feature_names_out == ["a", "b", "c", "s"]


@pytest.mark.parametrize("module", [_artifact, _load], ids=["format", "load"])
def test_artifact_module_runs_no_code_from_files(module):
    source = Path(module.__file__).read_text()
    tokens = [t for t in tokenize.generate_tokens(io.StringIO(source).readline)
              if t.type in (tokenize.NAME, tokenize.OP)]
    modules = {"pickle", "cloudpickle", "dill", "joblib", "marshal", "shelve", "importlib", "runpy"}
    builtins = {"eval", "exec", "compile", "__import__", "getattr", "import_module", "globals", "locals"}
    used = set()
    for prev, tok in zip([None, *tokens], tokens):
        after_dot = prev is not None and prev.string == "."
        if tok.type == tokenize.NAME and (tok.string in modules or (tok.string in builtins and not after_dot)):
            used.add(tok.string)
    assert not used
    assert "allow_pickle" not in source


# ------------------------------------------------------------------ data fingerprints
def test_data_fingerprint_of_files_folders_and_globs(tmp_path, frame):
    one = tmp_path / "one.csv"
    frame.write_csv(one)
    fp = data_fingerprint(str(one))
    assert fp == {"data_fingerprint": hashlib.sha256(one.read_bytes()).hexdigest(), "kind": "csv",
                  "paths": [str(one)], "rows": frame.height}
    folder = tmp_path / "parts"
    (folder / "sub").mkdir(parents=True)
    frame[:700].write_parquet(folder / "b.parquet")
    frame[700:].write_parquet(folder / "sub" / "a.parquet")
    (folder / ".hidden.parquet.tmp").write_bytes(b"in progress")  # skipped, as tabprep.io.scan skips it
    fp_folder = data_fingerprint(folder)
    assert fp_folder["paths"] == ["b.parquet", "sub/a.parquet"] and fp_folder["rows"] == frame.height
    h = hashlib.sha256()
    for rel in fp_folder["paths"]:
        data = (folder / rel).read_bytes()
        h.update(rel.encode() + b"\0" + str(len(data)).encode() + b"\0" + data)
    assert fp_folder["data_fingerprint"] == h.hexdigest()
    assert data_fingerprint(str(folder / "**" / "*.parquet"))["data_fingerprint"] == fp_folder["data_fingerprint"]
    # a renamed file changes the fingerprint, even with the same bytes
    (folder / "b.parquet").rename(folder / "c.parquet")
    assert data_fingerprint(folder)["data_fingerprint"] != fp_folder["data_fingerprint"]
    with pytest.raises(ConfigError):
        data_fingerprint(tmp_path / "missing.parquet")


def test_data_fingerprint_of_frames_ignores_chunking(frame, monkeypatch):
    monkeypatch.setattr(_lineage, "_BATCH_ROWS", 300)  # several canonical batches at this size
    ref = data_fingerprint(frame)
    assert ref["rows"] == frame.height and ref["paths"] == [] and ref["kind"] == "frame"
    chunked = pl.concat([frame[:123], frame[123:1000], frame[1000:]], rechunk=False)
    assert chunked.n_chunks() == 3
    assert data_fingerprint(chunked) == ref
    assert data_fingerprint(chunked.lazy()) == ref
    assert data_fingerprint(frame.to_arrow()) == ref
    assert data_fingerprint(frame.with_columns(pl.col("a").reverse())) != ref
    assert data_fingerprint(frame.head(0))["rows"] == 0
    assert data_fingerprint(frame.lazy().head(0)) == data_fingerprint(frame.head(0))
    pdf = pd.DataFrame({"a": [1.0, 2.0]})
    assert data_fingerprint(pdf) == data_fingerprint(pl.from_pandas(pdf))
    arr = np.arange(6.0).reshape(3, 2)
    fp = data_fingerprint(arr)
    assert fp["rows"] == 3 and fp == data_fingerprint(np.asfortranarray(arr))
    assert fp != data_fingerprint(arr.astype(np.float32))
    with pytest.raises(ConfigError, match="cannot fingerprint a set"):
        data_fingerprint({1, 2})


def test_data_fingerprint_ignores_layout_but_not_values():
    # the value under a null slot is undefined in Arrow: it must not matter
    a = pl.Series("a", [1.0, 2.0, 3.0]).scatter([1], None).to_frame()
    b = pl.Series("a", [1.0, 99.0, 3.0]).scatter([1], None).to_frame()
    assert data_fingerprint(a) == data_fingerprint(b)
    assert data_fingerprint(a) != data_fingerprint(pl.DataFrame({"a": [1.0, 0.0, 3.0]}))  # 0.0 is not null
    strings = pl.DataFrame({"t": ["a", "bb", None, "a"]})
    assert data_fingerprint(strings) == data_fingerprint(strings.with_columns(pl.col("t").cast(pl.Categorical)))
    assert data_fingerprint(strings) == data_fingerprint(strings.to_arrow())  # large_string in, views in Polars
    assert data_fingerprint(strings) != data_fingerprint(pl.DataFrame({"t": ["a", "b", "b", None, "a"]}).slice(1))
    # where the string boundaries lie matters, not just the concatenated bytes
    assert data_fingerprint(pl.DataFrame({"t": ["ab", "c"]})) != data_fingerprint(pl.DataFrame({"t": ["a", "bc"]}))
    # names and dtypes are part of it
    assert data_fingerprint(pl.DataFrame({"x": [1]})) != data_fingerprint(pl.DataFrame({"y": [1]}))
    assert data_fingerprint(pl.DataFrame({"x": [1]})) != data_fingerprint(pl.DataFrame({"x": [1]}, schema={"x": pl.Int32}))
    booleans = pl.Series("b", [True, False, True]).scatter([2], None).to_frame()
    assert data_fingerprint(booleans) == data_fingerprint(pl.DataFrame({"b": [True, False, None]}))
    nested = pl.DataFrame({"l": [[1, 2], None, [3]]})
    assert data_fingerprint(nested) == data_fingerprint(pl.concat([nested[:1], nested[1:]], rechunk=False))
