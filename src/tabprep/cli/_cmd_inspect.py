"""``tabprep inspect ARTIFACT``: steps, features, fingerprint and lineage of a saved pipeline.

Also holds the small text helpers the fit/transform/demo commands share (standard library only).
"""

from __future__ import annotations

import argparse

NAME = "inspect"


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        NAME,
        help="show the steps, features, fingerprint and lineage of a fitted pipeline artifact",
        description="Load ARTIFACT (verifying every checksum; nothing in it is executed) and print its "
        "steps with their parameters, the input and output columns, the fingerprint, the library "
        "versions that wrote it and the lineage of the training data.",
    )
    p.add_argument("artifact", metavar="ARTIFACT", help="artifact folder written by 'tabprep fit'")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    return p


def plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def short_list(names, limit: int = 8) -> str:
    names = list(names)
    shown = ", ".join(names[:limit])
    return shown + (f", ... (+{len(names) - limit} more)" if len(names) > limit else "")


def params_text(params: dict) -> str:
    """``strategy='median', add_indicator=True`` from a step's parameters."""
    return ", ".join(f"{k}={v!r}" for k, v in sorted(params.items()))


def describe(manifest: dict, path: str) -> dict:
    """The JSON-able summary ``inspect --json`` prints (also used by ``fit --json``)."""
    return {
        "artifact": path,
        "fingerprint": manifest["fingerprint"],
        "format": manifest["format"],
        "format_version": manifest["format_version"],
        "created": manifest.get("created"),
        "versions": manifest["versions"],
        "target": manifest["target"],
        "seed": manifest.get("seed"),
        "steps": [
            {"name": s["name"], "type": s["type"], "columns": s["columns"], "params": s["params"],
             "tables": {t: e.get("rows") for t, e in sorted(s["tables"].items())}}
            for s in manifest["steps"]
        ],
        "input_schema": manifest["input_schema"],
        "output_schema": manifest["output_schema"],
        "lineage": manifest["lineage"],
    }


def lineage_text(lineage: dict) -> str:
    if not lineage:
        return "(none recorded)"
    kind = lineage.get("kind", "?")
    paths = lineage.get("paths") or []
    rows = lineage.get("rows")
    where = ("in-memory " + kind) if not paths else f"{kind} {paths[0]}" + (
        f" (+{len(paths) - 1} more files)" if len(paths) > 1 else "")
    text = where + (f", {rows:,} rows" if isinstance(rows, int) else "")
    fp = lineage.get("data_fingerprint")
    return text + (f", sha256 {fp}" if fp else "")


def text_report(info: dict, params: list[dict]) -> str:
    """The terminal report of ``describe``'s ``info``; ``params`` are the steps' parameters."""
    versions = ", ".join(f"{k} {v}" for k, v in sorted(info["versions"].items()))
    lines = [
        f"artifact     {info['artifact']}  ({info['format']} v{info['format_version']}, created {info['created']})",
        f"fingerprint  {info['fingerprint']}",
        f"written by   {versions}",
        f"trained on   {lineage_text(info['lineage'])}",
        f"target       {info['target'] if info['target'] is not None else '(none)'}",
        f"steps        {len(info['steps'])}",
    ]
    width = max(len(s["name"]) for s in info["steps"])
    for i, s in enumerate(info["steps"], 1):
        tables = "".join(f"; table {t}: {plural(r or 0, 'row')}" for t, r in s["tables"].items())
        lines.append(f"  {i}. {s['name']:<{width}}  {s['type']}({params_text(params[i - 1])})")
        lines.append(f"     {'':<{width}}  on {plural(len(s['columns']), 'column')}: {short_list(s['columns'])}{tables}")
    inputs, outputs = info["input_schema"], info["output_schema"]
    lines.append(f"input        {plural(len(inputs), 'column')}: " + short_list(f"{n} {t}" for n, t in inputs))
    lines.append(f"output       {plural(len(outputs), 'feature')}: " + short_list(f"{n} {t}" for n, t in outputs))
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    import json

    from tabprep.pipeline import load, read_manifest

    fitted = load(args.artifact)  # verifies every checksum and that the steps rebuild
    info = describe(read_manifest(args.artifact), str(args.artifact))
    if args.json:
        print(json.dumps(info, indent=2, ensure_ascii=False))
    else:
        print(text_report(info, [step.get_params(deep=False) for _, step, _ in fitted.steps]))
    return 0
