"""The lines of the text report, each as rich's `Console.print` writes it.

Without colour (a file, a pipe) a line that fits the width is written as it is, the way
rich would write it: control codes taken out, nothing else changed. Only a line that rich
would change (one to wrap, one with a tab to expand) goes through a rich console, and so
does every line in colour. So the report costs string joins, not a rich rendering of
every cell, and reads the same.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence

from rich.cells import cell_len
from rich.console import Console
from rich.control import strip_control_codes
from rich.text import Text

Span = tuple[str, str | None]
"""A piece of a line and its rich style (None: unstyled)."""


class Lines:
    """Writes styled lines as a `Console(width=width, highlight=False)` prints them."""

    def __init__(self, *, color: bool, width: int) -> None:
        self.color = color
        self.width = width
        self._buffer = io.StringIO()
        self._rich: Console | None = None

    def _console(self) -> Console:
        if self._rich is None:
            self._rich = Console(
                file=self._buffer,
                force_terminal=self.color,
                no_color=not self.color,
                width=self.width,
                highlight=False,
            )
        return self._rich

    def _taken(self) -> str:
        out = self._buffer.getvalue()
        self._buffer.seek(0)
        self._buffer.truncate()
        return out

    def _fits(self, plain: str) -> bool:
        if "\t" in plain:
            return False
        if "\n" not in plain:
            return cell_len(plain) <= self.width
        return all(cell_len(part) <= self.width for part in plain.split("\n"))

    @staticmethod
    def _text(spans: Sequence[Span], style: str) -> Text:
        out = Text(style=style)
        for piece, piece_style in spans:
            out.append(piece, style=piece_style)
        return out

    def text(self, *spans: Span, style: str = "") -> str:
        """`console.print(Text(...))`: `style` is the style of the whole line."""
        if not self.color:
            plain = strip_control_codes("".join(piece for piece, _ in spans))
            if self._fits(plain):
                return plain + "\n"
        self._console().print(self._text(spans, style))
        return self._taken()

    def markup(self, line: str) -> str:
        """`console.print(line, soft_wrap=False)`: rich markup and emoji codes apply."""
        if not self.color:
            plain = self._console().render_str(line).plain
            if self._fits(plain):
                return plain + "\n"
        self._console().print(line, soft_wrap=False)
        return self._taken()

    def block(self, rows: Iterable[Sequence[Span]]) -> Iterable[str]:
        """One text of many lines, printed with `crop=False, soft_wrap=True` (never wrapped)."""
        if self.color:
            whole = Text()
            for n, row in enumerate(rows):
                if n:
                    whole.append("\n")
                for piece, piece_style in row:
                    whole.append(piece, style=piece_style)
            self._console().print(whole, crop=False, soft_wrap=True)
            yield self._taken()
            return
        for row in rows:
            plain = strip_control_codes("".join(piece for piece, _ in row))
            if "\t" in plain:
                self._console().print(self._text(row, ""), crop=False, soft_wrap=True)
                yield self._taken()
            else:
                yield plain + "\n"
