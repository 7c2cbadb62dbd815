"""The served tracking script is what the pinned minifier makes of its readable source."""

from __future__ import annotations

import json
import shlex
import subprocess
from pathlib import Path

import pytest

from entrypoints.web.tracker_script import SCRIPT_FILE

JS = Path(__file__).resolve().parents[2] / "js"
TERSER = JS / "node_modules" / ".bin" / "terser"


def test_the_served_script_is_built_from_the_current_source() -> None:
    if not TERSER.exists():
        pytest.skip("terser is not installed: run `make tracker-js` (Node.js and npm) to check")
    command = shlex.split(json.loads((JS / "package.json").read_text())["scripts"]["build"])
    assert command[0] == "terser"
    output = command.index("--output")
    del command[output : output + 2]  # to stdout instead of over the served file
    built = subprocess.run(
        [str(TERSER), *command[1:]], cwd=JS, capture_output=True, check=True, timeout=60
    ).stdout
    assert built.strip() == SCRIPT_FILE.read_bytes().strip(), (
        "src/entrypoints/web/static/tracker.js is stale: run `make tracker-js` and commit it"
    )
