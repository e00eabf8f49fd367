import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from tabprep.errors import ArtifactError, ConfigError
from tabprep.handoff import BatchLoader, Checkpoint

HERE = Path(__file__).resolve().parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _data(path: Path, n: int = 3000) -> pl.DataFrame:
    rng = np.random.default_rng(0)
    split = np.where(rng.random(n) < 0.7, "train", "test")
    split[np.flatnonzero(split == "train")[:1]] = "test" if (split == "train").sum() % 2 else "train"
    df = pl.DataFrame({"row": np.arange(n), "a": rng.normal(size=n), "b": rng.normal(size=n),
                       "y": (rng.random(n) < 0.5).astype(np.int64), "split": split})
    df.write_parquet(path, row_group_size=256)
    return df


def test_ddp_two_ranks_see_the_train_split_once(tmp_path):
    torch = pytest.importorskip("torch")
    assert torch.distributed.is_available()
    df = _data(tmp_path / "d.parquet")
    train = set(df.filter(pl.col("split") == "train")["row"].to_list())
    assert len(train) % 2 == 0  # no padding row: each row exactly once
    env = {**os.environ, "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(_free_port()), "WORLD_SIZE": "2",
           "GLOO_SOCKET_IFNAME": "lo", "OMP_NUM_THREADS": "1"}
    out = tmp_path / "seen"
    procs = [subprocess.Popen([sys.executable, str(HERE / "ddp_train.py"), str(tmp_path / "d.parquet"), str(out)],
                              env={**env, "RANK": str(r), "LOCAL_RANK": str(r)}, stderr=subprocess.PIPE, text=True)
             for r in range(2)]
    for p in procs:
        _, err = p.communicate(timeout=240)
        assert p.returncode == 0, err[-3000:]
    ranks = [json.loads(Path(f"{out}.{r}.json").read_text()) for r in range(2)]
    assert ranks[0]["batches"] == ranks[1]["batches"] > 0
    rows0, rows1 = set(ranks[0]["rows"]), set(ranks[1]["rows"])
    assert not rows0 & rows1
    assert sorted(ranks[0]["rows"] + ranks[1]["rows"]) == sorted(train)
    # rank 0's checkpoint restores the model and the loader (at the next epoch)
    model = torch.nn.Sequential(torch.nn.Linear(2, 16), torch.nn.ReLU(), torch.nn.Linear(16, 1))
    loader = BatchLoader(tmp_path / "d.parquet", ["row", "a", "b"], "y", batch_size=64, split="train", rank=0,
                         world_size=2, seed=0, output="torch")
    info = Checkpoint(tmp_path).load(model=model, loader=loader)
    assert info["step"] == 1 and loader.epoch == 1 and loader.state_dict()["batches_done"] == 0


def test_checkpoint_round_trip_without_pickle(tmp_path):
    torch = pytest.importorskip("torch")
    torch.manual_seed(1)
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Linear(4, 1))
    model.half_weight = torch.nn.Parameter(torch.ones(2, dtype=torch.bfloat16))
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    for _ in range(3):
        optimizer.zero_grad()
        model(torch.randn(5, 3)).sum().add(model.half_weight.float().sum()).backward()
        optimizer.step()
    df = pl.DataFrame({"a": np.arange(100.0), "y": np.arange(100) % 2})
    df.write_parquet(tmp_path / "d.parquet")
    loader = BatchLoader(tmp_path / "d.parquet", ["a"], "y", batch_size=7)
    it = iter(loader)
    for _ in range(4):
        next(it)
    ckpt = Checkpoint(tmp_path / "ck", keep=2)
    path = ckpt.save(12, model=model, optimizer=optimizer, loader=loader, extra={"best": (0.5, 3), "n": {1: "x"}})
    assert sorted(os.listdir(path)) == ["arrays.npz", "state.json"]

    model2 = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Linear(4, 1))
    model2.half_weight = torch.nn.Parameter(torch.zeros(2, dtype=torch.bfloat16))
    optimizer2 = torch.optim.Adam(model2.parameters(), lr=0.5)
    loader2 = BatchLoader(tmp_path / "d.parquet", ["a"], "y", batch_size=7)
    info = ckpt.load(model=model2, optimizer=optimizer2, loader=loader2)
    assert info["step"] == 12 and info["extra"] == {"best": (0.5, 3), "n": {1: "x"}}
    for (k1, v1), (k2, v2) in zip(model.state_dict().items(), model2.state_dict().items()):
        assert k1 == k2 and v1.dtype == v2.dtype and torch.equal(v1, v2)
    s1, s2 = optimizer.state_dict(), optimizer2.state_dict()
    assert s1["param_groups"] == s2["param_groups"]
    for key in s1["state"]:
        for name, value in s1["state"][key].items():
            assert torch.equal(value, s2["state"][key][name])
    assert loader2.state_dict() == loader.state_dict()
    # keep the last 2; a re-save of a step replaces it
    ckpt.save(13, loader=loader)
    ckpt.save(14, loader=loader)
    assert [p.name for p in ckpt.list()] == ["step-13", "step-14"]
    with pytest.raises(ArtifactError, match="holds no model state"):
        ckpt.load(model=model2)


def test_checkpoint_refuses_bad_input(tmp_path):
    with pytest.raises(ConfigError, match="no checkpoint to load"):
        Checkpoint(tmp_path).load()
    with pytest.raises(ConfigError, match="cannot save a object"):
        Checkpoint(tmp_path).save(1, extra={"x": object()})
    assert Checkpoint(tmp_path).list() == []  # the failed save left nothing behind
    bad = tmp_path / "step-3"
    bad.mkdir()
    (bad / "state.json").write_text('{"format": "other"}')
    np.savez(bad / "arrays.npz")
    with pytest.raises(ArtifactError, match="not a tabprep checkpoint"):
        Checkpoint(tmp_path).load()
