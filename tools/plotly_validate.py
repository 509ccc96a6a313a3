#!/usr/bin/env python3
"""Checks that plotly figure JSON is standard plotly: every trace and layout attribute is one plotly knows.

Usage: plotly_validate.py FILE...   (a figure .json, or an .ipynb whose application/vnd.plotly.v1+json outputs are checked)
Needs Debian's python3-plotly. plotly.graph_objects.Figure validates strictly: an unknown or mistyped attribute raises
ValueError naming it. Prints one line per figure; exits 1 when any figure is invalid.
"""
import json
import sys

import plotly.graph_objects as go

MIME = "application/vnd.plotly.v1+json"


def figures(path):
    with open(path, encoding="utf-8") as f:
        document = json.load(f)
    if path.endswith(".ipynb"):
        for i, cell in enumerate(document.get("cells", [])):
            for j, output in enumerate(cell.get("outputs", []) or []):
                figure = (output.get("data") or {}).get(MIME)
                if figure is not None:
                    yield f"{path}: cells[{i}].outputs[{j}]", figure
    else:
        yield path, document


def main(paths):
    bad = 0
    count = 0
    for path in paths:
        for where, figure in figures(path):
            count += 1
            try:
                go.Figure(data=figure.get("data", []), layout=figure.get("layout", {}))
                unknown = set(figure) - {"data", "layout", "config", "frames"}
                if unknown:
                    raise ValueError(f"unknown top-level keys {sorted(unknown)}")
            except ValueError as e:
                bad += 1
                print(f"{where}: not standard plotly: {str(e).splitlines()[0]}")
    print(f"{count} figures checked, {bad} invalid")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
