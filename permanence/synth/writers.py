"""Writing one LA's tables as a drop folder: CSVs named in the LA's CMS style, or 903 XML."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

from lxml import etree

from permanence.contract import table
from permanence.synth.region import CMS_STYLES

# Every table the generator makes, in a fixed order (Eclipse-style names number them by it).
SSDA903_TABLES = (
    "header", "episodes", "reviews", "uasc", "ad1", "placed_adoption", "prev_perm", "missing",
    "social_worker_episodes",
)
EXTRAS_TABLES = ("cla_care_plan", "permanence", "care_proceedings", "no_parental_responsibility")
TABLE_ORDER = SSDA903_TABLES + EXTRAS_TABLES
# The 903 XML holds these; social worker episodes and the extras stay CSV in XML drops.
XML_TABLES = ("header", "episodes", "reviews", "uasc", "ad1", "placed_adoption", "prev_perm", "missing")


def file_name(cms: str, table_name: str) -> str:
    t = table(table_name)
    pattern = CMS_STYLES[cms]["903" if t.family == "ssda903" else "extras"]
    return pattern.format(title=t.title, name=table_name, n=TABLE_ORDER.index(table_name) + 1)


def prepare_folder(folder: Path) -> None:
    """An earlier drop of ours in the same place is replaced; anything else is left alone."""
    if folder.exists():
        manifest = folder / "manifest.json"
        ours = manifest.exists() and json.loads(manifest.read_text()).get("generator") == "permanence.synth"
        if not ours and any(folder.iterdir()):
            raise FileExistsError(f"{folder} exists and is not a synthetic drop; not overwriting")
        shutil.rmtree(folder)
    folder.mkdir(parents=True)


def write_csv(path: Path, table_name: str, rows: list[tuple]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(table(table_name).column_names)
        w.writerows(rows)


def write_tables(folder: Path, cms: str, rows: dict[str, list[tuple]], tables: tuple[str, ...]) -> None:
    for name in tables:
        write_csv(folder / file_name(cms, name), name, rows.get(name, []))


def _by_child(rows: list[tuple]) -> dict[str, list[tuple]]:
    out: dict[str, list[tuple]] = {}
    for r in rows:
        out.setdefault(r[0], []).append(r)
    return out


def _leaves(parent, names, values) -> None:
    # A blank value is a null: the element is left out, as CMS XML exports do.
    for n, v in zip(names, values):
        if v != "":
            etree.SubElement(parent, n).text = v


def write_xml(path: Path, rows: dict[str, list[tuple]]) -> None:
    """The DfE 903 XML shape read by Data to Insight's validator (see docs/synthetic-data.md)."""
    groups = {name: _by_child(rows.get(name, [])) for name in XML_TABLES if name != "header"}
    with etree.xmlfile(str(path), encoding="utf-8") as xf:
        xf.write_declaration()
        with xf.element("Children"):
            for h in rows.get("header", []):
                cid = h[0]
                child = etree.Element("CHILD")
                _leaves(child, ("CHILDID", "SEX", "DOB", "ETHNIC", "UPN", "MOTHER", "MC_DOB"), h)
                for u in groups["uasc"].get(cid, []):
                    _leaves(child, ("DUC",), u[3:])
                for a in groups["ad1"].get(cid, []):
                    _leaves(child, ("DATE_INT", "DATE_MATCH", "FOSTER_CARE", "NB_ADOPTR", "SEX_ADOPTR", "LS_ADOPTR"), a[2:])
                for e in groups["episodes"].get(cid, []):
                    _leaves(
                        etree.SubElement(child, "EPISODE"),
                        ("DECOM", "RNE", "LS", "CIN", "PL", "PLACE_PROVIDER", "DEC", "REC",
                         "REASON_PLACE_CHANGE", "HOME_POST", "PL_POST", "URN"),
                        e[1:],
                    )
                header = etree.SubElement(child, "HEADER")
                for r in groups["reviews"].get(cid, []):
                    _leaves(etree.SubElement(header, "AREVIEW"), ("REVIEW", "REVIEW_CODE"), r[2:])
                for m in groups["missing"].get(cid, []):
                    _leaves(etree.SubElement(header, "AMISSING"), ("MISSING", "MIS_START", "MIS_END"), m[2:])
                for p in groups["prev_perm"].get(cid, []):
                    _leaves(etree.SubElement(header, "PERMANENCE"), ("PREV_PERM", "LA_PERM", "DATE_PERM"), p[2:])
                for p in groups["placed_adoption"].get(cid, []):
                    _leaves(
                        etree.SubElement(header, "AD_PLACED"),
                        ("DATE_PLACED", "DATE_PLACED_CEASED", "REASON_PLACED_CEASED"),
                        p[2:],
                    )
                xf.write(child, pretty_print=True)


def write_manifest(folder: Path, manifest: dict) -> None:
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
