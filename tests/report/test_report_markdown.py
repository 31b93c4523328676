"""The Markdown summary: compact, escaped, truncated for big estates."""

from __future__ import annotations

from report.report_cases import HOSTILE_NAME, Case
from ssmreach.report.markdown import MAX_FINDINGS, MAX_INSTANCES, md, render_markdown
from ssmreach.report.text_report import group_findings


def lines(case: Case) -> list[str]:
    return render_markdown(case.result).decode("utf-8").splitlines()


def test_default_sg_trap(default_sg_trap: Case) -> None:
    out = lines(default_sg_trap)
    web = next(r.instance for r in default_sg_trap.result.results if r.name == "web")
    ops = next(r.instance for r in default_sg_trap.result.results if r.name == "ops")
    assert out[0] == "### ssmreach check: 2 instance(s) in 111122223333 / us-east-1"
    assert out[2].startswith(
        "🔴 **5** BLOCKED · 🟣 **0** UNKNOWN · 🟡 **0** INTERNET · 🟢 **5** PRIVATE"
    )
    assert "| core | 1 |  |  | 1 |" in out
    assert "| agent-update | 1 |  |  | 1 |" in out
    matrix = [line for line in out if line.startswith("| web") or line.startswith("| ops")]
    assert matrix == [
        f"| web (`{web}`) | 🔴 | 🔴 | 🔴 | 🔴 | 🔴 |",
        f"| ops (`{ops}`) | 🟢 | 🟢 | 🟢 | 🟢 | 🟢 |",
    ]
    findings = [line for line in out if line.startswith("- **")]
    assert len(findings) == 2
    for line in findings:
        assert line.startswith("- **error** `SG_INGRESS_DENIED` on `sg-")
        assert ", 1 instance: " in line
        assert "**Fix:** Give vpce-" in line
    assert not any("--require-private" in line for line in out)


def test_partly_private(partly_private: Case) -> None:
    out = lines(partly_private)
    assert out[2].startswith(
        "🔴 **0** BLOCKED · 🟣 **0** UNKNOWN · 🟡 **4** INTERNET · 🟢 **1** PRIVATE"
    )
    assert "| core |  |  |  | 1 |" in out
    assert "| run-command |  |  | 1 |  |" in out
    row = next(line for line in out if line.startswith("| web"))
    assert row.endswith("| 🟢 | 🟡 | 🟡 | 🟡 | 🟡 |")
    findings = [line for line in out if line.startswith("- **")]
    assert findings and all("`ENDPOINT_MISSING`" in f and "**Fix:** Create" in f for f in findings)
    assert any("ssmmessages" in f for f in findings)
    assert out[-1].startswith("4 result(s) work only over the internet")


def test_big_estates_stay_short(big_case: Case) -> None:
    out = lines(big_case)
    assert len(out) <= 60
    instances = big_case.result.instances
    findings = group_findings(big_case.result)
    assert len(findings) > MAX_FINDINGS and instances > MAX_INSTANCES
    assert f"…and {instances - MAX_INSTANCES} more instances" in "\n".join(out)
    assert f"- …and {len(findings) - MAX_FINDINGS} more findings." in out
    rows = [line for line in out if line.startswith("| app-")]
    assert len(rows) == MAX_INSTANCES
    assert all("🔴" in row for row in rows)  # worst instances first


def test_hostile_names_are_escaped(spoke_case: Case) -> None:
    text = render_markdown(spoke_case.result).decode("utf-8")
    assert "<script>" not in text and "<img" not in text
    assert "&lt;script&gt;" in text
    row = next(line for line in text.splitlines() if "&lt;script&gt;" in line)
    features = len({r.feature for r in spoke_case.result.results})
    assert row.replace("\\|", "").count("|") == features + 2  # the name's "|" cannot split a cell
    assert HOSTILE_NAME not in text


def test_md_escapes_markup_and_mentions() -> None:
    assert md("a|b") == "a\\|b"
    assert md("*x* _y_ `z` [l](u)") == "\\*x\\* \\_y\\_ \\`z\\` \\[l\\](u)"
    assert md("<b>&") == "&lt;b&gt;&amp;"
    assert md("@team") == "@\u200bteam"
    assert md("two\nlines") == "two lines"
