"""``Checkpoint``: model + optimizer + loader state saved atomically, the last k kept, no pickle.

A checkpoint is a folder ``step-<n>/`` holding ``state.json`` (the structure of every state dict,
the loader state and the caller's extra values) and ``arrays.npz`` (the tensors, as NumPy arrays,
read back with ``allow_pickle=False``). ``torch.save`` pickles; a loaded checkpoint here runs no
code. The folder is written under a temp name and renamed, so a crash mid-save leaves the previous
checkpoints intact and no half-written one.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import numpy as np

from tabprep._constraints import Interval, check_param
from tabprep.errors import ArtifactError, ConfigError
from tabprep.io import atomic_path

__all__ = ["Checkpoint"]

_FORMAT = "tabprep-checkpoint"
_VERSION = 1
_NAME = re.compile(r"^step-(\d+)$")


def _is_tensor(value: Any) -> bool:
    return type(value).__module__.startswith("torch") and hasattr(value, "detach")


class _Encoder:
    """Nested state (dicts with int or str keys, lists, tuples, numbers, tensors, arrays) → JSON + arrays."""

    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}

    def encode(self, value: Any) -> Any:
        if value is None or isinstance(value, (bool, int, float, str)):
            return value
        if isinstance(value, dict):
            return {"$dict": [[self.encode(k), self.encode(v)] for k, v in value.items()]}
        if isinstance(value, tuple):
            return {"$tuple": [self.encode(v) for v in value]}
        if isinstance(value, list):
            return [self.encode(v) for v in value]
        if isinstance(value, np.generic):
            return value.item()
        key = f"a{len(self.arrays)}"
        if _is_tensor(value):
            import torch

            tensor = value.detach().cpu().contiguous()
            if tensor.dtype == torch.bfloat16:  # NumPy has no bfloat16: keep its bits
                self.arrays[key] = tensor.view(torch.int16).numpy().copy()
                return {"$tensor": key, "dtype": "bfloat16"}
            self.arrays[key] = tensor.numpy().copy()
            return {"$tensor": key}
        if isinstance(value, np.ndarray) and value.dtype.kind in "biufc":
            self.arrays[key] = value
            return {"$array": key}
        raise ConfigError(f"cannot save a {type(value).__name__} in a checkpoint",
                          hint="state dicts may hold numbers, strings, lists, dicts, tensors and numeric arrays")


def _decode(value: Any, arrays) -> Any:
    if isinstance(value, list):
        return [_decode(v, arrays) for v in value]
    if not isinstance(value, dict):
        return value
    if "$dict" in value:
        return {_decode(k, arrays): _decode(v, arrays) for k, v in value["$dict"]}
    if "$tuple" in value:
        return tuple(_decode(v, arrays) for v in value["$tuple"])
    if "$array" in value:
        return arrays[value["$array"]]
    if "$tensor" in value:
        import torch

        tensor = torch.from_numpy(arrays[value["$tensor"]])
        return tensor.view(torch.bfloat16) if value.get("dtype") == "bfloat16" else tensor
    raise ArtifactError("unknown entry in a checkpoint", found=repr(value)[:100])


class Checkpoint:
    """Save and restore training state in ``directory``, keeping the last ``keep`` checkpoints.

    Parameters
    ----------
    directory : path
        Created if missing. Checkpoints are its sub-folders ``step-<n>``.
    keep : int, default 3
        After a save, older checkpoints beyond the newest ``keep`` are removed.

    Examples
    --------
    >>> import tempfile
    >>> ckpt = Checkpoint(tempfile.mkdtemp(), keep=2)
    >>> for step in (10, 20, 30):
    ...     _ = ckpt.save(step, extra={"loss": 1.0 / step})
    >>> [p.name for p in ckpt.list()]
    ['step-20', 'step-30']
    >>> ckpt.load()["extra"]["loss"] == 1.0 / 30
    True
    """

    def __init__(self, directory: str | os.PathLike, *, keep: int = 3) -> None:
        check_param(keep, [Interval(int, 1, None)], "keep", "Checkpoint")
        self.directory = Path(directory)
        self.keep = keep

    def list(self) -> list[Path]:
        """The checkpoints, oldest first (by step)."""
        if not self.directory.is_dir():
            return []
        found = [(int(m.group(1)), p) for p in self.directory.iterdir() if (m := _NAME.match(p.name)) and p.is_dir()]
        return [p for _, p in sorted(found)]

    def latest(self) -> Path | None:
        """The newest checkpoint, or None."""
        saved = self.list()
        return saved[-1] if saved else None

    def save(self, step: int, *, model: Any = None, optimizer: Any = None, loader: Any = None,
             extra: dict | None = None) -> Path:
        """Write checkpoint ``step`` (anything with ``state_dict()`` as model/optimizer/loader)."""
        check_param(step, [Interval(int, 0, None)], "step", "Checkpoint.save")
        enc = _Encoder()
        states = {name: enc.encode(obj.state_dict()) for name, obj in
                  (("model", model), ("optimizer", optimizer), ("loader", loader)) if obj is not None}
        doc = {"format": _FORMAT, "version": _VERSION, "step": step, "states": states,
               "extra": enc.encode(extra or {})}
        self.directory.mkdir(parents=True, exist_ok=True)
        dest = self.directory / f"step-{step}"
        with atomic_path(dest) as tmp:
            tmp.mkdir()
            with open(tmp / "arrays.npz", "wb") as fh:
                np.savez(fh, **enc.arrays)
            (tmp / "state.json").write_text(json.dumps(doc, sort_keys=True))
        for old in self.list()[:-self.keep]:
            import shutil

            shutil.rmtree(old, ignore_errors=True)
        return dest

    def load(self, path: str | os.PathLike | None = None, *, model: Any = None, optimizer: Any = None,
             loader: Any = None) -> dict:
        """Restore the given objects from ``path`` (default: the newest checkpoint).

        Returns ``{"step": n, "extra": {...}, "path": Path}``. Nothing in the checkpoint runs code:
        JSON and arrays read with ``allow_pickle=False``.
        """
        path = self.latest() if path is None else Path(path)
        if path is None:
            raise ConfigError("no checkpoint to load", path=self.directory, hint="save one first, or start fresh")
        try:
            doc = json.loads((path / "state.json").read_text())
            with np.load(path / "arrays.npz", allow_pickle=False) as npz:
                arrays = {k: npz[k] for k in npz.files}
        except (OSError, ValueError) as exc:
            raise ArtifactError("cannot read the checkpoint", path=path, found=str(exc)) from None
        if doc.get("format") != _FORMAT or doc.get("version") != _VERSION:
            raise ArtifactError("not a tabprep checkpoint (or of another version)", path=path)
        for name, obj in (("model", model), ("optimizer", optimizer), ("loader", loader)):
            if obj is None:
                continue
            if name not in doc["states"]:
                raise ArtifactError(f"the checkpoint holds no {name} state", path=path)
            obj.load_state_dict(_decode(doc["states"][name], arrays))
        return {"step": doc["step"], "extra": _decode(doc["extra"], arrays), "path": path}
