from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

README = Path(__file__).parents[2] / "README.md"


def test_the_readme_python_example_runs_and_prints_the_visit() -> None:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.DOTALL)
    assert len(blocks) == 1
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        exec(compile(blocks[0], str(README), "exec"), {})  # noqa: S102 - our own README
    assert "url='https://example.com/hello'" in output.getvalue()
    assert "browser='Firefox'" in output.getvalue()
