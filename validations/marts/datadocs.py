"""Make a Great Expectations Data Docs site work offline.

GX's pages load jQuery, Bootstrap, Font Awesome and its own scripts from CDNs. On a council network
(or an auditor's laptop) those may be unreachable, and a page that phones out is not evidence. This
post-processes the generated site in place: every <script>/<link>/<img> whose address is http(s)
is dropped, every other absolute http(s) link is neutralised, and a small stylesheet is inlined so
the pages stay readable (and printable) with no network at all. Nothing is downloaded.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

OFFLINE_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;margin:0 auto;max-width:1200px;
  padding:1rem 1.5rem;color:#1b1b1b;line-height:1.4}
a{color:#0b5394} h1,h2,h3,h4{color:#0b2e4f;margin:.8em 0 .4em}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1rem;font-size:.9rem}
th,td{border:1px solid #c8c8c8;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#eef2f6} tr:nth-child(even) td{background:#fafafa}
.card{border:1px solid #d8d8d8;border-radius:4px;margin:.6rem 0;padding:.4rem .8rem}
.card-header{font-weight:600;border-bottom:1px solid #e4e4e4;margin-bottom:.4rem;padding-bottom:.3rem}
.collapse:not(.show){display:block} .d-none{display:none} .nav,.navbar{list-style:none;padding:0}
.text-danger,.fa-times,.status-fail{color:#b00020;font-weight:600}
.text-success,.fa-check-circle,.status-pass{color:#1a7f37;font-weight:600}
.offline-note{background:#fff8e1;border:1px solid #f0d58c;padding:.4rem .8rem;font-size:.85rem}
code,pre{background:#f4f4f4;padding:0 .2rem}
"""

_EXTERNAL_TAG = re.compile(
    r"<(script|link|img|iframe)\b[^>]*\b(?:src|href)\s*=\s*[\"']?(?:https?:)?//[^>]*>(?:\s*</\1>)?",
    re.IGNORECASE | re.DOTALL,
)
_EXTERNAL_ATTR = re.compile(r"\b(src|href|action)\s*=\s*([\"'])(?:https?:)?//[^\"']*\2", re.IGNORECASE)
_CSS_IMPORT = re.compile(r"@import\s+url\([\"']?https?://[^)]*\)\s*;?", re.IGNORECASE)
_CSS_URL = re.compile(r"url\(\s*[\"']?https?://[^)]*\)", re.IGNORECASE)
NOTE = ('<div class="offline-note">Offline copy of the Great Expectations Data Docs: external scripts and '
        'styles removed; results are pass/fail only (no values).</div>')


# GX shows each result's status as a Font Awesome icon alone; with the icon font gone (it came from
# a CDN) the status column would be blank, so the icon becomes words anyone can read and print.
_STATUS_ICON = re.compile(r'<i class="fas (fa-check-circle|fa-times|fa-exclamation-triangle)\b[^"]*"[^>]*>\s*</i>')
_STATUS_TEXT = {"fa-check-circle": '<span class="status-pass">&#10003; pass</span>',
                "fa-times": '<span class="status-fail">&#10007; fail</span>',
                "fa-exclamation-triangle": '<span class="status-fail">&#9888; error</span>'}


def offline_html(html: str) -> str:
    html = _STATUS_ICON.sub(lambda m: _STATUS_TEXT[m.group(1)], html)
    html = _EXTERNAL_TAG.sub("", html)
    html = _EXTERNAL_ATTR.sub(r'\1="#"', html)
    html = _CSS_IMPORT.sub("", html)
    html = _CSS_URL.sub("none", html)
    style = f"<style>{OFFLINE_CSS}</style>"
    if "</head>" in html:
        html = html.replace("</head>", style + "</head>", 1)
    else:
        html = style + html
    html = re.sub(r"(<body[^>]*>)", r"\1" + NOTE, html, count=1, flags=re.IGNORECASE)
    return html


def make_offline(site: Path, results: list | None = None, title: str = "Mart checks",
                 dbt_tests: list | None = None) -> Path:
    """Rewrite every page and stylesheet of the site in place; return the index page.

    GX's index page fills its tables with jQuery from a CDN, so offline it is empty: it is kept as
    gx-index.html and index.html becomes a static page listing every suite, its pass/fail, its
    definition and links to GX's own (static) validation and expectation pages, then the build's dbt
    data tests counted per model (dbt_tests: validations.marts.expectations.DbtTestCount).
    """
    for p in site.rglob("*"):
        if p.suffix in (".html", ".htm"):
            p.write_text(offline_html(p.read_text(encoding="utf-8")), encoding="utf-8")
        elif p.suffix == ".css":
            text = p.read_text(encoding="utf-8")
            p.write_text(_CSS_URL.sub("none", _CSS_IMPORT.sub("", text)), encoding="utf-8")
        elif p.suffix == ".js":
            # GX's own scripts are local files but may fetch from CDNs; they are not needed offline.
            p.write_text("/* removed for the offline copy */\n", encoding="utf-8")
    if results is not None:
        index = site / "index.html"
        if index.exists():
            index.replace(site / "gx-index.html")
        index.write_text(static_index(site, results, title, dbt_tests or []), encoding="utf-8")
    return site / "index.html"


def static_index(site: Path, results: list, title: str, dbt_tests: list | None = None) -> str:
    """A plain HTML index of the checks (results: objects with suite, expectation, columns, success,
    definition; dbt_tests: per-model counts of the build's dbt data tests by status). Pass/fail only:
    no values, no counts of rows."""
    suites: dict[str, list] = {}
    for r in results:
        suites.setdefault(r.suite, []).append(r)
    pages = {p.parent.parent.parent.name: p.relative_to(site).as_posix()
             for p in site.glob("validations/*/*/*/*.html")}
    rows = []
    for suite, rs in suites.items():
        ok = all(r.success for r in rs)
        links = [f'<a href="expectations/{html.escape(suite)}.html">expectations</a>']
        if suite in pages:
            links.append(f'<a href="{html.escape(pages[suite])}">validation result</a>')
        failed = "".join(f"<li>{html.escape(r.expectation)}({html.escape(r.columns)})</li>" for r in rs if not r.success)
        rows.append(
            f"<tr><td>{html.escape(suite)}</td><td class=\"{'text-success' if ok else 'text-danger'}\">"
            f"{'pass' if ok else 'FAIL'}</td><td>{sum(r.success for r in rs)} / {len(rs)}</td>"
            f"<td>{html.escape(rs[0].definition)}{'<ul>' + failed + '</ul>' if failed else ''}</td>"
            f"<td>{' | '.join(links)}</td></tr>")
    overall = all(r.success for r in results)
    return (
        f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{html.escape(title)}</title>"
        f"<style>{OFFLINE_CSS}</style></head><body>{NOTE}<h1>{html.escape(title)}</h1>"
        "<h2>Reconciliations across marts (Great Expectations)</h2>"
        f"<p>Figures two marts each compute, which must agree: <strong class=\"{'text-success' if overall else 'text-danger'}\">"
        f"{'all passed' if overall else 'some failed'}</strong> ({sum(r.success for r in results)} of "
        f"{len(results)} expectations). Results are pass/fail only: result_format BOOLEAN_ONLY keeps "
        "values (child pseudonyms, figures) out of these pages.</p>"
        "<table><thead><tr><th>suite</th><th>result</th><th>expectations passed</th><th>definition</th>"
        f"<th>pages</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
        f"{dbt_section(dbt_tests or [])}"
        '<p><a href="gx-index.html">Great Expectations\' own index</a> (its tables need JavaScript from a CDN '
        "and stay empty offline).</p></body></html>"
    )


def dbt_section(dbt_tests: list) -> str:
    """The build's dbt data tests (the row and column invariants of each mart), counted per model."""
    if not dbt_tests:
        return ("<h2>Invariants of each mart (dbt data tests)</h2><p>No dbt test results were found for this "
                "build; audit.dbt_results holds them when the build recorded any.</p>")
    bad = sum(t.failed + t.errored for t in dbt_tests)
    total = sum(t.tests for t in dbt_tests)
    rows = "".join(
        f"<tr><td>{html.escape(t.model)}</td><td class=\"{'text-danger' if t.failed + t.errored else 'text-success'}\">"
        f"{'FAIL' if t.failed + t.errored else 'pass'}</td><td>{t.passed}</td><td>{t.warned}</td>"
        f"<td>{t.failed}</td><td>{t.errored}</td><td>{t.skipped}</td></tr>" for t in dbt_tests)
    return (
        "<h2>Invariants of each mart (dbt data tests)</h2>"
        f"<p>Keys, not-null columns, accepted values, ranges and subsets, tested by dbt in the build: "
        f"<strong class=\"{'text-danger' if bad else 'text-success'}\">{total - bad} of {total} tests did not fail"
        "</strong>. Tests counted by status only (the auditor's <code>audit --load</code> lists each one, from "
        "audit.dbt_results).</p><table><thead><tr><th>model</th><th>result</th><th>pass</th><th>warn</th>"
        f"<th>fail</th><th>error</th><th>skipped</th></tr></thead><tbody>{rows}</tbody></table>")


def external_references(site: Path) -> list[str]:
    """Every http(s) address still loaded by the site (scripts, styles, images): empty when offline."""
    found = []
    pat = re.compile(r"\b(?:src|href)\s*=\s*[\"']?((?:https?:)?//[^\"'\s>]+)|url\(\s*[\"']?(https?://[^)\"']+)",
                     re.IGNORECASE)
    for p in site.rglob("*"):
        if p.suffix in (".html", ".htm", ".css", ".js"):
            for m in pat.finditer(p.read_text(encoding="utf-8", errors="replace")):
                found.append(f"{p.relative_to(site)}: {m.group(1) or m.group(2)}")
    return found
