import re

import polars as pl
import polars.selectors as cs
import pytest

from tabprep.errors import ConfigError
from tabprep.pipeline import Pipeline, make_step, resolve_columns
from tabprep.pipeline._spec import PipelineSpec, parse_spec, read_spec, spec_from_dict, spec_to_toml

SPEC = """
description = "two steps"
target = "y"

[[steps]]
name = "impute"
type = "SimpleImputer"
columns = ["a", "b"]
params = { strategy = "median", add_indicator = true }

[[steps]]
name = "range"
type = "MinMaxScaler"
columns = { regex = "^num_" }
params = { feature_range = [-1, 1] }

[[steps]]
name = "scale"
type = "StandardScaler"
columns = { dtype = "numeric", exclude = ["num_1"] }
"""


@pytest.fixture
def frame():
    return pl.DataFrame({
        "a": [1.0, None, 3.0, 4.0], "b": [1, 2, None, 4], "num_1": [0.5, 1.5, 2.5, 9.0],
        "xnum_2": [1, 2, 3, 4], "s": ["u", "v", "w", "u"], "y": [0, 1, 0, 1],
    })


def test_spec_mirrors_the_python_api(frame):
    from tabprep.clean import SimpleImputer
    from tabprep.scale import MinMaxScaler, StandardScaler

    spec = parse_spec(SPEC)
    assert isinstance(spec, PipelineSpec) and spec.target == "y" and spec.description == "two steps"
    (n1, s1, c1), (n2, s2, c2), (n3, s3, c3) = spec.pipeline.steps
    assert (n1, c1) == ("impute", ["a", "b"])
    assert s1.get_params() == SimpleImputer(strategy="median", add_indicator=True).get_params()
    # a TOML array becomes a tuple where the Python default is one: same params, same fingerprint
    assert s2.feature_range == (-1, 1) and isinstance(s2.feature_range, tuple)
    assert type(s3) is StandardScaler
    python = Pipeline([
        ("impute", SimpleImputer(strategy="median", add_indicator=True), ["a", "b"]),
        ("range", MinMaxScaler(feature_range=(-1, 1)), c2),
        ("scale", StandardScaler(), cs.numeric() - cs.by_name("num_1", require_all=False)),
    ])
    from_spec, from_python = spec.fit(frame), python.fit(frame, target="y")
    assert from_spec.fingerprint == from_python.fingerprint
    assert from_spec.transform(frame).equals(from_python.transform(frame))
    # what each selection resolved to (the target is never picked by a dtype selector)
    assert [cols for _, _, cols in from_spec.steps] == [["a", "b"], ["num_1"], ["a", "b", "xnum_2"]]


def test_regex_table_is_a_search_and_plain_strings_match_whole_names():
    schema = pl.Schema({"num_1": pl.Float64, "xnum_2": pl.Float64, "num": pl.Float64, "y": pl.Int8})

    def cols(columns_toml: str) -> list[str]:
        spec = parse_spec(f'[[steps]]\nname = "s"\ntype = "StandardScaler"\ncolumns = {columns_toml}\n')
        return resolve_columns(spec.pipeline.steps[0][2], schema, target="y")

    assert cols('{ regex = "num_" }') == ["num_1", "xnum_2"]  # re.search, like polars' cs.matches
    assert cols('{ regex = "^num_" }') == ["num_1"]
    assert cols('{ regex = "num", exclude = ["num"] }') == ["num_1", "xnum_2"]
    assert cols('"^num.*$"') == ["num_1", "num"]  # the Python API's whole-name regex string
    assert cols('"num"') == ["num"]
    assert cols('{ dtype = "Float64" }') == ["num_1", "xnum_2", "num"]
    assert cols('{ dtype = ["Int8", "Float64"] }') == ["num_1", "xnum_2", "num"]  # the target is never selected
    assert cols('{ dtype = "float", exclude = ["num"] }') == ["num_1", "xnum_2"]
    for pattern in ("num_", "^num_", "x$", "n.m"):
        spec = parse_spec(f'[[steps]]\nname = "s"\ntype = "StandardScaler"\ncolumns = {{ regex = "{pattern}" }}\n')
        want = [n for n in schema.names() if n != "y" and re.search(pattern, n)]
        assert resolve_columns(spec.pipeline.steps[0][2], schema, target="y") == want


def test_absent_columns_mean_all_but_the_target(frame):
    spec = parse_spec('target = "y"\n[[steps]]\nname = "imp"\ntype = "SimpleImputer"\nparams = { strategy = "most_frequent" }\n')
    assert spec.pipeline.steps[0][2] is None
    fitted = spec.fit(frame)
    assert fitted.steps[0][2] == ["a", "b", "num_1", "xnum_2", "s"]
    assert spec.fit(frame.rename({"y": "z"}), target="z").target == "z"  # --target overrides the spec


def _step_spec(body: str) -> str:
    return f'[[steps]]\nname = "imp"\ntype = "SimpleImputer"\n{body}\n'


def test_invalid_parameter_reads_like_the_library_error():
    from tabprep.clean import SimpleImputer
    from tabprep.pipeline import validate_params

    with pytest.raises(ConfigError) as lib:
        validate_params(SimpleImputer(strategy="avg"))
    with pytest.raises(ConfigError) as cli:
        parse_spec('[[steps]]\nname = "ok"\ntype = "StandardScaler"\n\n' + _step_spec('params = { strategy = "avg" }'),
                   path="conf/spec.toml")
    assert str(cli.value) == f"conf/spec.toml: steps[1] 'imp': {lib.value}"
    assert str(cli.value).endswith(
        "The `strategy` parameter of `SimpleImputer` must be one of {'mean', 'median', 'most_frequent', "
        "'constant'}; got 'avg' instead.")
    assert cli.value.path == "conf/spec.toml"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (_step_spec('params = { strat = "mean" }'),
         r"p\.toml: steps\[0\] 'imp': `SimpleImputer` has no parameter `strat`\. Hint: did you mean `strategy`\?"),
        ('[[steps]]\nname = "imp"\ntype = "SimpleImputr"\n',
         r"p\.toml: steps\[0\] 'imp': unknown step type 'SimpleImputr'\. Hint: did you mean 'SimpleImputer'\?"),
        ('[[steps]]\nname = "imp"\ntype = "os.system"\n', r"unknown step type 'os.system'"),
        ('[[steps]]\nname = "imp"\n', r"steps\[0\] 'imp': `type` must be a step class name"),
        ('[[steps]]\ntype = "SimpleImputer"\n', r"steps\[0\]: `name` must be a non-empty string"),
        (_step_spec('param = { strategy = "mean" }'), r"steps\[0\] 'imp': unknown key 'param'\. Hint: did you mean 'params'\?"),
        (_step_spec('params = "mean"'), r"`params` must be a table"),
        ('targt = "y"\n' + _step_spec(""), r"p\.toml: unknown key 'targt'\. Hint: did you mean 'target'\?"),
        ('target = 3\n' + _step_spec(""), r"`target` must be a column name"),
        ('target = "y"\n', r"a spec needs at least one \[\[steps\]\] table"),
        ('steps = [1]\n', r"steps\[0\]: a step must be a table"),
        (_step_spec("") + _step_spec(""), r"steps\[1\] 'imp': step name 'imp' is used twice \(also steps\[0\]\)"),
        (_step_spec("columns = 3"), r"steps\[0\] 'imp': `columns` must be a name, a list of names or a table"),
        (_step_spec("columns = []"), r"`columns` must be a name or a list of names"),
        (_step_spec('columns = ["a", 1]'), r"`columns` must be a name or a list of names"),
        (_step_spec('columns = { dtype = "numeric", regex = "a" }'), r"needs exactly one of `dtype` or `regex`"),
        (_step_spec('columns = { dtyp = "numeric" }'), r"`columns`: unknown key 'dtyp'\. Hint: did you mean 'dtype'\?"),
        (_step_spec('columns = { dtype = "numerik" }'), r"unknown dtype or dtype group 'numerik'.*dtype groups: numeric"),
        (_step_spec('columns = { regex = "(" }'), r"steps\[0\] 'imp': invalid regular expression '\('"),
        (_step_spec('columns = "^(a$"'), r"invalid regular expression"),
        (_step_spec('columns = { regex = "a", exclude = "b" }') .replace('"b"', "[1]"), r"`exclude` must be a name"),
        ("[[steps]\nname = 1", r"p\.toml: invalid TOML: .*\(at line 1, column 8\)"),
    ],
)
def test_spec_errors_name_the_file_and_the_step(text, message):
    with pytest.raises(ConfigError, match=message):
        parse_spec(text, path="p.toml")


def test_read_spec_file_errors(tmp_path):
    with pytest.raises(ConfigError, match="spec file not found"):
        read_spec(tmp_path / "nope.toml")
    with pytest.raises(ConfigError, match="found a folder"):
        read_spec(tmp_path)
    bad = tmp_path / "bad.toml"
    bad.write_bytes(b"target = '\xff'\n")
    with pytest.raises(ConfigError, match=r"bad\.toml: spec file is not UTF-8"):
        read_spec(bad)
    good = tmp_path / "good.toml"
    good.write_text(_step_spec(""))
    spec = read_spec(good)
    assert spec.path == good and spec.target is None
    with pytest.raises(ConfigError, match="a spec must be a TOML table"):
        spec_from_dict([1])


def test_spec_to_toml_round_trips():
    spec = parse_spec(SPEC)
    text = spec_to_toml(spec.pipeline, spec.target, description=spec.description)
    again = parse_spec(text)
    assert repr(again.pipeline) == repr(spec.pipeline)
    assert again.target == "y" and again.description == "two steps"
    assert 'columns = { regex = "^num_" }' in text
    assert "params = { feature_range = [-1, 1] }" in text
    # every column form of the Python API that TOML can hold
    from tabprep.scale import StandardScaler

    pipe = Pipeline([
        ("a", StandardScaler(), "x"), ("b", StandardScaler(), "^x.*$"), ("c", StandardScaler(), None),
        ("d", StandardScaler(), pl.Float32), ("e", StandardScaler(), {pl.Float32, pl.Int8}),
        ("f", StandardScaler(with_mean=False), cs.numeric()),
    ])
    text = spec_to_toml(pipe)
    back = parse_spec(text).pipeline.steps
    assert [c for _, _, c in back[:4]] == ["x", "^x.*$", None, pl.Float32]
    assert back[4][2] == {pl.Float32, pl.Int8}
    assert back[5][2].meta.eq(cs.numeric()) and back[5][1].with_mean is False
    with pytest.raises(ConfigError, match="cannot write the column selection"):
        spec_to_toml(Pipeline([("g", StandardScaler(), cs.numeric() & cs.matches("x"))]))


def test_special_float_and_string_values_round_trip():
    import math
    import tomllib

    from tabprep.clean import Clipper, SimpleImputer
    from tabprep.pipeline._spec import _toml_value

    for value in (math.inf, -math.inf, 0.1, 1e16, -0.0, 5e-324, 2**63, "tab\there \u0001 é"):
        assert tomllib.loads(f"v = {_toml_value(value)}")["v"] == value
    assert math.isnan(tomllib.loads(f"v = {_toml_value(math.nan)}")["v"])

    pipe = Pipeline([("i", SimpleImputer(strategy="constant", fill_value='quote " and \\ and\nnewline'), ["s"]),
                     ("j", Clipper(method="fixed", lower=float("-inf"), upper=1e300), ["x"]),
                     ("k", SimpleImputer(strategy="constant", fill_value=1e-300), ["z"])])
    back = parse_spec(spec_to_toml(pipe)).pipeline.steps
    assert back[0][1].fill_value == 'quote " and \\ and\nnewline'
    assert (back[1][1].lower, back[1][1].upper) == (float("-inf"), 1e300)
    assert back[2][1].fill_value == 1e-300
    assert make_step("SimpleImputer", {"strategy": "constant"}).fill_value is None


def test_bundled_demo_spec_is_valid():
    from tabprep.cli._cmd_demo import spec_text

    spec = parse_spec(spec_text(), path="flights.toml")
    assert spec.target == "late"
    assert [n for n, _, _ in spec.pipeline.steps] == ["impute", "clip", "scale", "distance_bins", "onehot",
                                                      "target_encode"]


def test_the_string_none_stands_for_none_where_a_parameter_takes_none():
    # TOML has no null: exact quantile bins (subsample=None, issue 10's job) are written "None"
    from tabprep.bin import KBinsDiscretizer

    bins = ('[[steps]]\nname = "bins"\ntype = "KBinsDiscretizer"\ncolumns = ["x"]\n'
            'params = { strategy = "quantile", subsample = "None" }\n')
    spec = parse_spec(bins)
    assert spec.pipeline.steps[0][1].subsample is None
    python = Pipeline([("bins", KBinsDiscretizer(strategy="quantile", subsample=None), ["x"])])
    assert repr(spec.pipeline) == repr(python)
    df = pl.DataFrame({"x": [float(i % 97) for i in range(1_000)]})
    assert spec.pipeline.fit(df).fingerprint == python.fit(df).fingerprint
    text = spec_to_toml(python)
    assert 'subsample = "None"' in text
    assert parse_spec(text).pipeline.steps[0][1].subsample is None
    # where the string is itself a valid value, it stays the string
    imputer = parse_spec('[[steps]]\nname = "i"\ntype = "SimpleImputer"\ncolumns = ["s"]\n'
                         'params = { strategy = "constant", fill_value = "None" }\n')
    assert imputer.pipeline.steps[0][1].fill_value == "None"
    # where the parameter does not take None, the library's error, naming the string
    with pytest.raises(ConfigError, match=r"The `n_bins` parameter of `KBinsDiscretizer` must be .*; got 'None'"):
        parse_spec(bins.replace('subsample = "None"', 'n_bins = "None"'))
