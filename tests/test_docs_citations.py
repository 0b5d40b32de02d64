"""Citations of the measure definitions resolve, and nothing cites a file outside the repository.

docs/measures.md is the project's own statement of the measures; models, tests and docs cite its
sections by anchor (`docs/measures.md#exit-routes`), so a renamed heading must fail here.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SEARCHED = ("permanence", "flows", "validations", "dbt_project/models", "dbt_project/macros",
            "dbt_project/seeds", "dbt_project/dbt_project.yml", "tests", "docs", "bench", "README.md")
SUFFIXES = {".py", ".sql", ".yml", ".yaml", ".md", ".html", ".j2", ".csv"}
CITATION = re.compile(r"measures\.md#([a-z0-9-]+)")
# A citation of a document that is not in the repository, or a path of one machine.
OUTSIDE = re.compile(r"\bprimer\b|\.\./shared/domain|/work/", re.IGNORECASE)


def _files() -> list[Path]:
    out = []
    for name in SEARCHED:
        p = ROOT / name
        out += [p] if p.is_file() else [f for f in p.rglob("*") if f.suffix in SUFFIXES and f.is_file()]
    # what the project wrote, not what a run left (bench/.data holds `make bench`'s drops and reports)
    return [f for f in out if f != Path(__file__).resolve()
            and not any(part.startswith(".") for part in f.relative_to(ROOT).parts)]


def _anchor(heading: str) -> str:
    # GitHub's rule: lower case, punctuation dropped, spaces to hyphens.
    return re.sub(r"[^a-z0-9 -]", "", heading.strip().lower()).replace(" ", "-")


def test_every_measures_citation_names_a_section():
    text = (ROOT / "docs" / "measures.md").read_text(encoding="utf-8")
    anchors = {_anchor(h) for h in re.findall(r"^#+ (.+)$", text, flags=re.MULTILINE)}
    cited = {(f.relative_to(ROOT).as_posix(), a) for f in _files()
             for a in CITATION.findall(f.read_text(encoding="utf-8", errors="replace"))}
    assert cited, "no citation of docs/measures.md found: the search is broken"
    assert sorted(c for c in cited if c[1] not in anchors) == []


def test_nothing_cites_a_document_outside_the_repository():
    found = []
    for f in _files():
        for n, line in enumerate(f.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            # The report's own jargon test lists the word to keep it out of the report.
            if OUTSIDE.search(line) and "for jargon in" not in line:
                found.append(f"{f.relative_to(ROOT)}:{n}")
    assert found == []
