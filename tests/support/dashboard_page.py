"""Reading the numbers off a dashboard page, as a person would see them."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import attrs

_CAPTURED = ("metric-label", "metric-value", "footnote")


@attrs.define
class DashboardPage:
    #: Headline label -> the value shown ("Unique visitors" -> "42").
    metrics: dict[str, str] = attrs.field(factory=dict)
    #: Panel (its ``panel-...`` id without the prefix) -> rows of cell texts.
    panels: dict[str, list[list[str]]] = attrs.field(factory=dict)
    #: The chart's table: rows of (day or hour, visitors, page views).
    series: list[list[str]] = attrs.field(factory=list)
    footnote: str = ""

    @property
    def bots(self) -> int:
        match = re.match(r"([\d,]+) requests from bots", self.footnote)
        assert match, self.footnote
        return int(match.group(1).replace(",", ""))


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = DashboardPage()
        self._open: list[tuple[str, list[str]]] = []
        self._panel: str | None = None
        self._chart_table = False
        self._body = False
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._hidden = 0  # inside text for screen readers only
        self._capture: str | None = None
        self._text: list[str] = []
        self._label = ""

    def handle_starttag(self, tag: str, attributes: list[tuple[str, str | None]]) -> None:
        found = dict(attributes)
        classes = (found.get("class") or "").split()
        if tag == "span" and _decoration(found, classes):
            classes.append("counted")
        self._open.append((tag, classes))
        labelled = found.get("aria-labelledby") or ""
        if tag == "section" and labelled.startswith("panel-"):
            self._panel = labelled.removeprefix("panel-")
            self.page.panels[self._panel] = []
        elif tag == "table" and "visually-hidden" in classes:
            self._chart_table = True
        elif tag == "tbody":
            self._body = True
        elif tag == "tr" and self._body and (self._panel or self._chart_table):
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
        elif tag == "span" and _decoration(found, classes):
            self._hidden += 1
        for name in _CAPTURED:
            if name in classes:
                self._capture, self._text = name, []

    def handle_endtag(self, tag: str) -> None:
        opened, classes = self._open.pop() if self._open else ("", [])
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            if self._chart_table:
                self.page.series.append(self._row)
            elif self._panel:
                self.page.panels[self._panel].append(self._row)
            self._row = None
        elif tag == "tbody":
            self._body = False
        elif tag == "table":
            self._chart_table = False
        elif tag == "section":
            self._panel = None
        elif tag == "span" and opened == "span" and "counted" in classes:
            self._hidden -= 1
        if self._capture and self._capture in classes:
            text = " ".join("".join(self._text).split())
            if self._capture == "metric-label":
                self._label = text
            elif self._capture == "metric-value":
                self.page.metrics[self._label] = text
            else:
                self.page.footnote = text
            self._capture = None

    def handle_data(self, data: str) -> None:
        if self._hidden:
            return
        if self._cell is not None:
            self._cell.append(data)
        if self._capture:
            self._text.append(data)


def _decoration(found: dict[str, str | None], classes: list[str]) -> bool:
    """Text that is not the number or name itself: for screen readers only, hidden from
    them (an arrow), or a source's kind beside its name."""
    return "visually-hidden" in classes or "tag" in classes or found.get("aria-hidden") == "true"


def read_dashboard(html: str) -> DashboardPage:
    reader = _Reader()
    reader.feed(html)
    return reader.page
