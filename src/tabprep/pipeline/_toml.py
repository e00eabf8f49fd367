"""Writing TOML values (tomllib only reads): the pipeline spec and the contract writers share it."""

from __future__ import annotations

import datetime as _dt
import difflib
import math
import re
from pathlib import Path

from tabprep.errors import ConfigError

__all__ = ["toml_value", "toml_key"]


def toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        text = repr(value)
        return text if any(c in text for c in ".eE") else text + ".0"
    if isinstance(value, (_dt.date, _dt.time)):  # TOML's own date, time and (offset) datetime literals
        return value.isoformat()
    if isinstance(value, str):
        out = ['"']
        for ch in value:
            if ch in '"\\':
                out.append("\\" + ch)
            elif ch == "\n":
                out.append("\\n")
            elif ch == "\t":
                out.append("\\t")
            elif ord(ch) < 0x20 or ord(ch) == 0x7F:
                out.append(f"\\u{ord(ch):04x}")
            else:
                out.append(ch)
        out.append('"')
        return "".join(out)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{toml_key(k)} = {toml_value(v)}" for k, v in value.items()) + " }"
    raise ConfigError(f"cannot write {value!r} ({type(value).__name__}) in a TOML spec")


def toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else toml_value(key)


# ---------------------------------------------------------------------------------------------
# reading: the spec and contract loaders word their errors alike


def toml_error(message: str, path, *, found=None, hint=None) -> ConfigError:
    """A loader's error, naming the file."""
    return ConfigError(message, path=path, found=found, hint=hint)


def unknown_keys(keys, allowed, where: str, path) -> None:
    """Refuse a key not in ``allowed`` (the closest allowed one suggested)."""
    for key in keys:
        if key not in allowed:
            close = difflib.get_close_matches(str(key), allowed, n=1)
            raise toml_error(f"{where}unknown key {key!r}", path,
                             hint=(f"did you mean {close[0]!r}? " if close else "") + "allowed keys: " + ", ".join(allowed))


def read_toml_text(path, what: str) -> str:
    """The text of the TOML file ``path`` (``what``: "spec", "contract"), or a ConfigError naming it."""
    p = Path(path)
    try:
        return p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise toml_error(f"{what} file not found", p, hint="check the path") from None
    except IsADirectoryError:
        raise toml_error(f"expected a TOML {what} file, found a folder", p) from None
    except UnicodeDecodeError as exc:
        raise toml_error(f"{what} file is not UTF-8 text ({exc.reason} at byte {exc.start})", p) from None


def parse_toml(text: str, path, what: str) -> dict:
    """``text`` parsed (``what``: "spec", "contract"), or a ConfigError naming ``path`` (or
    ``<what>`` for text not from a file)."""
    import tomllib

    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise toml_error(f"invalid TOML: {exc}", f"<{what}>" if path is None else path) from None
