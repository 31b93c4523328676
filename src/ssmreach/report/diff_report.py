"""`ssmreach diff` for people: text for a terminal, Markdown for a pull request or a ticket."""

from __future__ import annotations

from ssmreach.analysis.diff import Change, Diff


def _label(c: Change) -> str:
    return f"{c.name} ({c.instance})" if c.name else c.instance


def _why(c: Change) -> list[str]:
    lines = [f"{x.service} {x.step} {x.resource or '-'}: {x.before} -> {x.after}" for x in c.causes]
    if c.codes_added:
        lines.append("new findings: " + ", ".join(c.codes_added))
    if c.codes_removed:
        lines.append("gone: " + ", ".join(c.codes_removed))
    return lines


def render_diff_text(diff: Diff) -> str:
    lines = [
        f"ssmreach diff: {len(diff.worse)} worse, {len(diff.better)} better, "
        f"{len(diff.added)} new, {len(diff.removed)} gone, {diff.unchanged} unchanged"
    ]
    for title, changes in (("WORSE", diff.worse), ("BETTER", diff.better)):
        for c in changes:
            lines.append(
                f"{title:6} {_label(c)} {c.feature}: {c.before.value} -> {c.after.value}"
                f"  ({c.account}/{c.region})"
            )
            lines.extend(f"         {line}" for line in _why(c))
    for key in diff.added:
        lines.append(f"NEW    {key[2]} {key[3]} ({key[0]}/{key[1]})")
    for key in diff.removed:
        lines.append(f"GONE   {key[2]} {key[3]} ({key[0]}/{key[1]})")
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_diff_markdown(diff: Diff) -> str:
    lines = [
        "### ssmreach diff",
        "",
        f"**{len(diff.worse)} worse**, {len(diff.better)} better, {len(diff.added)} new, "
        f"{len(diff.removed)} gone, {diff.unchanged} unchanged.",
    ]
    changes = [("worse", c) for c in diff.worse] + [("better", c) for c in diff.better]
    if changes:
        lines += [
            "",
            "| | instance | feature | before | after | why |",
            "|---|---|---|---|---|---|",
        ]
        for title, c in changes:
            why = "<br>".join(_cell(line) for line in _why(c)) or "-"
            lines.append(
                f"| {title} | {_cell(_label(c))} | {c.feature} | {c.before.value} | "
                f"{c.after.value} | {why} |"
            )
    return "\n".join(lines) + "\n"
