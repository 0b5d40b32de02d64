"""The quarterly scrutiny report for councillors: one self-contained HTML file (PDF when Chromium is there).

    from permanence.report import build_report
    out = build_report(published_db, quarter="2024-Q4", out_dir=Path("reports"), la_code="894",
                       warehouse=writer_db)   # writer_db only for the data-quality section (read-only)

Quarters are calendar (2024-Q4: 1 October to 31 December 2024) or financial (2024-25-Q3, the same
months: April-June is Q1). Every chart is inline SVG drawn by matplotlib, titled with its definition and source, and
sits beside a table of the same numbers; no script, style or font is loaded from the network.
The marts come from the restricted copy (as built, never blocks the nightly build; this module suppresses small numbers); the data-quality summary
reads the audit schema of the writer's file read-only and says "not available" when it is busy.
"""

from __future__ import annotations

import datetime as dt
import html
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from permanence.report import charts, glossary
from permanence.report.disclosure import SUPPRESSED, Suppressor
from permanence.transform.dbt import project_vars, seed_rows

# Written once, in dbt_project.yml and the exit_routes seed: the marts compute with the same figures.
A1_THRESHOLD = int(project_vars()["adoption_a1_threshold_days"])
A2_THRESHOLD = int(project_vars()["adoption_a2_threshold_days"])
SUPPRESSED_NOTE = ("c: suppressed, a count of 1 to 5 children or a figure resting on so few (it could identify "
                   "a child); 0 is shown.")
LA_LABEL = "our council"
SOURCE_LA = "the council's SSDA903 children-in-care records"
SOURCE_BENCHMARK = ("the council's SSDA903 records; statistical neighbours and England from the DfE's published "
                    "statistics")
CSS = """
@page{size:A4;margin:14mm}
body{font-family:"Segoe UI",Arial,Helvetica,sans-serif;color:#1b1b1b;max-width:1050px;margin:0 auto;padding:12px 20px;line-height:1.35}
h1{color:#1f4e79;margin-bottom:2px} h2{color:#1f4e79;border-bottom:2px solid #1f4e79;padding-bottom:2px;margin-top:26px;break-after:avoid}
.sub{color:#555;margin-top:0} figure{margin:8px 0;break-inside:avoid} figcaption{font-size:.85em;color:#444}
.chart-title{font-weight:600;margin:6px 0 2px} .pair{display:flex;gap:18px;align-items:flex-start;flex-wrap:wrap;break-inside:avoid}
.pair figure{flex:1 1 560px} .pair .numbers{flex:1 1 300px}
table{border-collapse:collapse;font-size:.82em;margin:6px 0} th,td{border:1px solid #bfbfbf;padding:2px 6px;text-align:right}
th{background:#deebf7} td:first-child,th:first-child{text-align:left}
.rag{font-weight:700;text-align:center} .green{background:#c6efce;color:#006100} .amber{background:#ffeb9c;color:#7f6000}
.red{background:#ffc7ce;color:#9c0006} .na{color:#777;font-style:italic}
svg{max-width:100%;height:auto} .note{font-size:.85em;color:#444}
caption{text-align:left;font-weight:600;padding:2px 0} .glossary dt{font-weight:600;margin-top:6px} .glossary dd{margin-left:1.2em}
td,th{white-space:nowrap} .text{white-space:normal} td.text{text-align:left}
.partial{border-left:4px solid #bf9000;padding-left:10px;margin:8px 0}
"""


@dataclass
class Quarter:
    label: str
    start: dt.date
    end: dt.date

    @property
    def collection_year(self) -> str:
        y = self.end.year if self.end.month >= 4 else self.end.year - 1
        return f"{y}-{str(y + 1)[2:]}"

    @property
    def both(self) -> str:
        """The calendar and the financial name of the quarter: councils use either."""
        fq = (self.start.month - 4) % 12 // 3 + 1
        return f"calendar {self.start.year}-Q{(self.start.month - 1) // 3 + 1}, financial {self.collection_year}-Q{fq}"


QUARTER_FORMS = ("a calendar quarter YYYY-QN (2024-Q4: October-December 2024) or a financial quarter "
                 "YYYY-YY-QN (2024-25-Q3: the same months)")


def parse_quarter(text: str) -> Quarter:
    """A calendar quarter (2024-Q4) or a financial one (2024-25-Q3: April-June is Q1), both as councils
    write them; any other text is refused naming the accepted forms."""
    t = text.strip().upper()
    cal = re.fullmatch(r"(\d{4})-?Q([1-4])", t)
    fin = re.fullmatch(r"(\d{4})-(\d{2})-?Q([1-4])", t)
    if cal:
        y, q = int(cal.group(1)), int(cal.group(2))
        label = f"{y}-Q{q}"
    elif fin and int(fin.group(2)) == (int(fin.group(1)) + 1) % 100:
        fy, fq = int(fin.group(1)), int(fin.group(3))
        y, q = (fy, fq + 1) if fq < 4 else (fy + 1, 1)
        label = f"{fy}-{fin.group(2)}-Q{fq}"
    else:
        raise ValueError(f"quarter '{text}': expected {QUARTER_FORMS}")
    start = dt.date(y, 3 * q - 2, 1)
    end = (dt.date(y + (q == 4), 1 if q == 4 else 3 * q + 1, 1) - dt.timedelta(days=1))
    return Quarter(label, start, end)


def _e(v) -> str:
    return html.escape("" if v is None else str(v))


def _fmt(v, digits: int = 1) -> str:
    if v is None or (not isinstance(v, str) and pd.isna(v)):
        return '<span class="na">–</span>'
    if isinstance(v, float):
        return f"{v:,.{digits}f}" if not v.is_integer() or digits == 0 else f"{v:,.0f}"
    if isinstance(v, (dt.date, pd.Timestamp)):
        return pd.Timestamp(v).strftime("%d/%m/%Y")
    return _e(v)


def _wrap(v) -> str:
    """Words may wrap; a figure, a year or a date never breaks across lines."""
    return ' class="text"' if isinstance(v, str) and len(v) > 12 else ""


def table(df: pd.DataFrame, digits: int = 1, rag: str | None = None, caption: str = "") -> str:
    """An accessible table: a caption, column headers scoped to their columns and the first cell of
    each row a row header; a footnote explains "c" wherever it is shown."""
    if df.empty:
        return '<p class="na">No rows.</p>'
    head = "".join(f'<th scope="col"{_wrap(c)}>{_e(c)}</th>' for c in df.columns)
    body, suppressed = [], False
    for _, r in df.iterrows():
        cells = []
        for i, c in enumerate(df.columns):
            v = r[c]
            suppressed |= isinstance(v, str) and v == SUPPRESSED
            if i == 0:
                cells.append(f'<th scope="row"{_wrap(v)}>{_fmt(v, digits)}</th>')
            elif c == rag:
                cls = str(v).lower() if str(v).lower() in ("green", "amber", "red") else "na"
                cells.append(f'<td class="rag {cls}">{_e(v)}</td>')
            elif _wrap(v):  # words, not a figure: wrapped, left aligned
                cells.append(f'<td class="text">{_fmt(v, digits)}</td>')
            else:
                cells.append(f"<td>{_fmt(v, digits)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    note = f'<p class="note">{SUPPRESSED_NOTE}</p>' if suppressed else ""
    return (f"<table><caption>{_e(caption)}</caption><thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(body)}</tbody></table>{note}")


def figure(title: str, definition: str, source: str, svg: str, numbers: str) -> str:
    # the chart's text alternative: its title, and where its figures are for a screen reader
    alt = _e(f"Chart: {title}. The same figures are in the table beside it.")
    svg = re.sub(r'aria-label="[^"]*"', f'aria-label="{alt}"', svg, count=1)
    return (f'<div class="pair"><figure><div class="chart-title">{_e(title)}</div>{svg}'
            f"<figcaption>{_e(definition)} Source: {_e(source)}.</figcaption></figure>"
            f'<div class="numbers">{numbers}</div></div>')


def not_available(what: str, why: str) -> str:
    return f'<p class="na">{_e(what)}: not available ({_e(why)}).</p>'


class _Data:
    def __init__(self, db: Path, small_number_threshold: int = 5):
        self.hide = Suppressor(small_number_threshold)
        self.con = duckdb.connect(str(db), read_only=True)
        self.path = Path(db)  # the restricted copy: the SPG actions store sits beside it
        self.used: set[str] = set()  # measure ids shown, for the glossary
        self.reporting_date: dt.date | None = None
        self.marts = {r[0] for r in self.con.execute(
            "select table_name from information_schema.tables where table_schema = 'marts'").fetchall()}

    def df(self, sql: str, params=None) -> pd.DataFrame:
        return self.con.execute(sql, params or []).df()


def _cohorts(d: _Data, la: str, q: Quarter) -> str:
    df = d.df("""select as_at_date, cohort_id, cohort_name, children, incomplete_reason from marts.spg_cohort_summary
                 where la_code = ? and as_at_date <= ? order by as_at_date, cohort_id""", [la, q.end])
    if df.empty:
        return not_available("Cohort sizes", "no cohort summary on or before the quarter end")
    names = df.drop_duplicates("cohort_id").set_index("cohort_id")["cohort_name"]
    # a cohort the LA's extracts cannot count (null children) is said so, never drawn as 0
    unknown = df[df["children"].isna()].drop_duplicates("cohort_id", keep="last").set_index("cohort_id")
    wide = df.dropna(subset=["children"]).pivot_table(index="as_at_date", columns="cohort_id", values="children",
                                                      aggfunc="sum").sort_index()
    if wide.empty:
        return not_available("Cohort sizes", "no cohort could be counted from the LA's extracts")
    shown = d.hide.chart(wide, counts=list(wide.columns))
    series = {f"{c} {names[c]}": shown[c].tolist() for c in shown.columns}
    svg = charts.line_chart("SPG cohort sizes", [pd.Timestamp(x) for x in wide.index], series, "children")
    ends = [x for x in wide.index if pd.Timestamp(x).month in (3, 6, 9, 12)][-5:]
    tab = wide.loc[ends].T
    tab = d.hide.table(tab, counts=list(tab.columns))
    for c, reason in unknown["incomplete_reason"].items():
        tab.loc[c] = str(reason or "not available")
    tab = tab.sort_index()
    tab.columns = [pd.Timestamp(c).strftime("%b %Y") for c in tab.columns]
    tab.insert(0, "Cohort", [f"{c} {names[c]}" for c in tab.index])
    return figure("SPG priority cohorts: children in each cohort at each month end",
                  "Children looked after on the date in each Securing Permanence Group (SPG) cohort; a child can "
                  "be in several cohorts.", SOURCE_LA, svg,
                  table(tab, 0, caption="Children in each SPG cohort at the last five quarter ends"))


def _year_label(year: str, complete, partial) -> str:
    """A whole collection year as shown beside others: one reaching back past the records' coverage
    start is labelled so, never passed off as complete (a partial year is set apart before this)."""
    if complete is not None and not pd.isna(complete) and not bool(complete):
        return f"{year} (incomplete)"
    return year


def _whole_and_partial(df: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Whole collection years, and the year not ended on the reporting date: never shown side by side
    (a few months of a year beside whole years reads as a fall)."""
    partial = df["partial"].map(_flag).astype(bool)
    return df[~partial].copy(), df[partial].copy()


def _partial_label(year: str, d: _Data) -> str:
    to = f" (to {_fmt(d.reporting_date)})" if d.reporting_date else ""
    return f"{year} partial year{to}"


def _apart(table_html: str) -> str:
    return ('<div class="partial"><p class="note">The current collection year has not ended: its figures so far are '
            "shown here, apart from the whole years, and are not comparable with them.</p>" + table_html + "</div>")


def _flag(v) -> bool:
    return v is not None and not pd.isna(v) and bool(v)


YEAR_NOTE = (" Whole collection years only (April to March); '(incomplete)': the figure reaches back before "
             "the records' coverage start, so it is shown but not compared.")


def _exits(d: _Data, la: str, q: Quarter) -> str:
    df = d.df("""select collection_year, exit_route, children, complete, partial from marts.exits_by_year
                 where la_code = ? and collection_year <= ? order by collection_year""", [la, q.collection_year])
    if df.empty:
        return not_available("Exit routes", "no exits recorded")
    df, part = _whole_and_partial(df)
    df["collection_year"] = [_year_label(y, c, p) for y, c, p in zip(df["collection_year"], df["complete"], df["partial"])]
    wide = df.pivot_table(index="collection_year", columns="exit_route", values="children", aggfunc="sum").fillna(0)
    wide = wide.iloc[-5:]
    shown = d.hide.chart(wide, counts=list(wide.columns))
    svg = charts.bar_chart("Exit routes", list(wide.index), {c: shown[c].tolist() for c in shown.columns},
                           "children", stacked=True)
    tab = wide.T.astype(int)
    tab = d.hide.table(tab, counts=list(tab.columns))
    tab.insert(0, "Exit route", tab.index)
    return figure("Children leaving care by exit route and collection year",
                  "Each child counted once a year by the last period of care ended in the year (April-March); "
                  "short breaks left out." + YEAR_NOTE,
                  SOURCE_LA, svg,
                  table(tab, 0, caption="Children leaving care by exit route and collection year")) + _partial_exits(d, part)


def _partial_exits(d: _Data, part: pd.DataFrame) -> str:
    if part.empty:
        return ""
    wide = part.pivot_table(index="exit_route", columns="collection_year", values="children", aggfunc="sum").fillna(0)
    wide = d.hide.table(wide.astype(int), counts=list(wide.columns))
    wide.columns = [_partial_label(c, d) for c in wide.columns]
    wide.insert(0, "Exit route", wide.index)
    return _apart(table(wide, 0, caption="Children leaving care so far in the " + ", ".join(wide.columns[1:])))


def _adoption(d: _Data, la: str, q: Quarter) -> str:
    df = d.df("""select collection_year, children_adopted, a1_mean, a2_mean, a3_share, children_adopted_3yr,
                        a1_mean_3yr, a2_mean_3yr, complete, partial
                 from marts.adoption_scorecard where la_code = ? and collection_year <= ? order by collection_year""",
              [la, q.collection_year]).iloc[-5:]
    if df.empty:
        return not_available("Adoption timeliness", "no adoptions")
    df, part = _whole_and_partial(df)
    df["collection_year"] = [_year_label(y, c, p) for y, c, p in zip(df["collection_year"], df["complete"], df["partial"])]
    df = df.drop(columns=["complete", "partial"])
    part = part.assign(collection_year=[_partial_label(y, d) for y in part["collection_year"]]).drop(
        columns=["complete", "partial"])
    resting = {"a1_mean": ["children_adopted"], "a2_mean": ["children_adopted"], "a3_share": ["children_adopted"],
               "a1_mean_3yr": ["children_adopted_3yr"], "a2_mean_3yr": ["children_adopted_3yr"]}
    shown = d.hide.chart(df, counts=["children_adopted", "children_adopted_3yr"], resting=resting)
    svg = charts.bar_chart("Adoption timeliness", df["collection_year"].tolist(),
                           {"A1 mean days (entry to moving in with adopters)": shown["a1_mean"].tolist(),
                            "A2 mean days (court authority to match)": shown["a2_mean"].tolist()},
                           "days", hlines={f"A1 threshold {A1_THRESHOLD}": A1_THRESHOLD,
                                           f"A2 threshold {A2_THRESHOLD}": A2_THRESHOLD})
    df = d.hide.table(df, counts=["children_adopted", "children_adopted_3yr"], resting=resting)
    part = d.hide.table(part, counts=["children_adopted", "children_adopted_3yr"], resting=resting)
    names = {"collection_year": "Year", "children_adopted": "Adopted",
             "children_adopted_3yr": "Adopted 3-yr", "a1_mean": "A1 mean days",
             "a2_mean": "A2 mean days", "a3_share": f"A3 % under {A1_THRESHOLD} days",
             "a1_mean_3yr": "A1 3-yr", "a2_mean_3yr": "A2 3-yr"}
    apart = _apart(table(part.rename(columns=names), 0, caption="Adoptions so far in the partial year")) if len(part) else ""
    tab = df.rename(columns=names)
    return figure(f"Adoption timeliness against the {A1_THRESHOLD}-day (A1) and {A2_THRESHOLD}-day (A2) thresholds",
                  "A1: days from entering care to moving in with the adoptive family; A2: days from court authority "
                  "to place to the match; means over children adopted in the year; dashed lines are the thresholds."
                  + YEAR_NOTE,
                  SOURCE_LA, svg, table(tab, 0, caption="Adoptions and adoption timeliness by collection year")) + apart


def _stability(d: _Data, la: str, q: Quarter) -> str:
    df = d.df("""select collection_year, cla_at_31_march, three_plus_placements, long_term_eligible, long_term_stable,
                        complete, long_term_complete, partial
                 from marts.placement_stability where la_code = ? and year_end_date <= ? order by collection_year""",
              [la, q.end]).iloc[-5:]
    if df.empty:
        return not_available("Placement stability", "no year end on or before the quarter end")
    df, _part = _whole_and_partial(df)  # measured on 31 March: a year not ended has no figure to show
    # long-term stability reaches 30 months back: a year can be complete for 3+ placements and not for it
    df["collection_year"] = [_year_label(y, bool(c and lt), p) for y, c, lt, p
                             in zip(df["collection_year"], df["complete"], df["long_term_complete"], df["partial"])]
    df = df.drop(columns=["complete", "long_term_complete", "partial"])
    df["3+ placements %"] = 100 * df["three_plus_placements"] / df["cla_at_31_march"].where(df["cla_at_31_march"] > 0)
    df["long-term stable %"] = 100 * df["long_term_stable"] / df["long_term_eligible"].where(df["long_term_eligible"] > 0)
    counts = ["cla_at_31_march", "three_plus_placements", "long_term_eligible", "long_term_stable"]
    resting = {"3+ placements %": ["three_plus_placements", "cla_at_31_march"],
               "long-term stable %": ["long_term_stable", "long_term_eligible"]}
    shown = d.hide.chart(df, counts=counts, resting=resting)
    svg = charts.line_chart("Placement stability", df["collection_year"].tolist(),
                            {"3 or more placements in the year (%)": shown["3+ placements %"].tolist(),
                             "Long-term stable (%)": shown["long-term stable %"].tolist()}, "% of children")
    df = d.hide.table(df, counts=counts, resting=resting)
    tab = df.rename(columns={"collection_year": "Year", "cla_at_31_march": "CLA 31 March",
                             "three_plus_placements": "3+ placements", "long_term_eligible": "LT eligible",
                             "long_term_stable": "LT stable"})
    return figure("Placement stability at 31 March",
                  "Short-term: children looked after at 31 March with 3 or more placements in the year. Long-term: "
                  "children under 16 in care 2.5 years or more, in the same placement for 2 years." + YEAR_NOTE,
                  SOURCE_LA, svg, table(tab, 0, caption="Placement stability at 31 March by collection year"))


EXIT_ROUTES = {r["route_id"]: r["exit_route"] for r in seed_rows("exit_routes") if r["permanence_exit"] == "true"}


def _bases(d: _Data, la: str) -> dict[tuple[str, str], list[float]]:
    """The counts of children each benchmark or target figure rests on, by (measure, period): a share,
    rate or mean over 1-5 children is suppressed like the count itself."""
    out: dict[tuple[str, str], list[float]] = {}
    exits = d.df("select collection_year, exit_route, children from marts.exits_by_year where la_code = ?", [la])
    totals = exits.groupby("collection_year")["children"].sum()
    for year, total in totals.items():
        out[("exits_total", year)] = [total]
        permanence = 0
        for rid, route in EXIT_ROUTES.items():
            n = exits[(exits["collection_year"] == year) & (exits["exit_route"] == route)]["children"].sum()
            permanence += n
            out[(f"exits_{rid}", year)] = [n]
            out[(f"exit_share_{rid}", year)] = [n, total]
        out[("exits_permanence", year)] = [permanence]
    for r in d.df("""select collection_year, cla_at_31_march, three_plus_placements, long_term_eligible, long_term_stable
                     from marts.placement_stability where la_code = ?""", [la]).itertuples():
        out[("cla_at_31_march", r.collection_year)] = out[("cla_rate_per_10k", r.collection_year)] = [r.cla_at_31_march]
        out[("stability_three_plus", r.collection_year)] = [r.three_plus_placements, r.cla_at_31_march]
        out[("stability_long_term", r.collection_year)] = [r.long_term_stable, r.long_term_eligible]
    for r in d.df("select collection_year, children_adopted from marts.adoption_scorecard where la_code = ?", [la]).itertuples():
        for m in ("a1_days", "a2_days", "a10_days", "a3_share"):
            out[(m, r.collection_year)] = [r.children_adopted]
    for r in d.df("select collection_year, periods_ended from marts.duration_in_care where la_code = ?", [la]).itertuples():
        out[("mean_days_in_care", r.collection_year)] = [r.periods_ended]
    return out


def _rests_on_small(d: _Data, bases: dict, measure: str, period: str, value) -> bool:
    """A figure is suppressed when it is a small count or any count it rests on is small; a cohort
    count is its own base."""
    counts = list(bases.get((measure, period), []))
    if measure.startswith("cohort_") and measure.endswith("_children"):
        counts.append(value)
    return bool(d.hide.small(pd.Series(counts, dtype=float)).any()) if counts else False


def _year_ended(period: str, reporting_date: dt.date | None) -> bool:
    """A collection year 'YYYY-YY' has ended when its 31 March is on or before the reporting date."""
    m = re.fullmatch(r"(\d{4})-\d{2}", str(period))
    if not m or reporting_date is None:
        return True
    return dt.date(int(m.group(1)) + 1, 3, 31) <= reporting_date


def _benchmark(d: _Data, la: str, q: Quarter) -> str:
    if "benchmark" not in d.marts:
        return not_available("Comparison with statistical neighbours and England", "the comparison has not been built")
    df = d.df("""select measure, period, source, value, neighbour_mean, england_value, rank_in_group, group_size,
                        incomplete_reason
                 from marts.benchmark where la_code = ? and value is not null and period <= ?
                 order by measure, period desc, case source when 'computed' then 0 else 1 end""",
              [la, q.collection_year])
    # a partial year (one month of 2025-26, say) is never set beside other LAs' whole years
    df = df[[_year_ended(p, d.reporting_date) for p in df["period"]]]
    df = df.drop_duplicates("measure", keep="first")
    if df.empty:
        return not_available("Comparison with statistical neighbours and England", "no whole-year comparison for this LA")
    d.used.update(df["measure"])
    bases = _bases(d, la)
    hidden = pd.Series([_rests_on_small(d, bases, m, p, v) for m, p, v in zip(df["measure"], df["period"], df["value"])],
                       index=df.index)
    df["name"] = [glossary.name(m) for m in df["measure"]]
    idx = df[df["england_value"].notna() & (df["england_value"] != 0) & ~hidden]
    ours = (100 * idx["value"] / idx["england_value"]).where(~hidden[idx.index])
    svg = charts.bar_chart("Our council against its statistical neighbours and England", idx["name"].tolist(),
                           {LA_LABEL: ours.tolist(),
                            "statistical neighbours (mean)": (100 * idx["neighbour_mean"] / idx["england_value"]).tolist()},
                           "index, England = 100", hlines={"England": 100}, horizontal=True) if len(idx) else (
        '<p class="na">No chart: no measure has both an England figure and a figure of ours that can be shown '
        "(see the table).</p>")
    tab = df[["name", "period", "value", "neighbour_mean", "england_value", "rank_in_group", "group_size",
              "incomplete_reason"]].astype(object)
    tab.loc[hidden, "value"] = SUPPRESSED
    tab.loc[hidden, ["rank_in_group"]] = None  # a rank would tell the suppressed figure's place
    tab["source"] = df["source"].map({"computed": "our records", "published": "DfE published"}).fillna(df["source"])
    tab = tab.rename(columns={"name": "Measure", "period": "Year", "value": "Our council", "neighbour_mean":
                              "Neighbours (mean)", "england_value": "England", "rank_in_group": "Rank",
                              "group_size": "Of", "incomplete_reason": "Not ranked because", "source": "Source"})
    return figure("Our council against its statistical neighbours and England",
                  "Latest whole collection year of each measure, indexed to England = 100 (the table gives the "
                  "values). Rank 1 is best among the council and its neighbours; a measure that describes a mix "
                  "rather than a performance is not ranked, nor is a figure that reaches back before the records' "
                  "coverage (the reason is given). A year not yet ended is never compared.",
                  SOURCE_BENCHMARK, svg,
                  table(tab, 1, caption="Our council, its statistical neighbours and England: latest whole year"))


def _targets(d: _Data, la: str, q: Quarter) -> str:
    if "targets" not in d.marts:
        return not_available("Targets", "the targets have not been built")
    df = d.df("""select measure, period, direction, target, actual, gap, status, note from marts.targets
                 where la_code = ? order by measure, period""", [la])
    if df.empty:
        return not_available("Targets", "no targets set for this LA")
    d.used.update(df["measure"])
    bases = _bases(d, la)
    # a count of children, or a share or mean resting on few children, is a small number like any other
    hidden = [_rests_on_small(d, bases, m, p, v) for m, p, v in zip(df["measure"], df["period"], df["actual"])]
    df = df.astype({"actual": object, "gap": object})
    df.loc[hidden, ["actual", "gap"]] = SUPPRESSED
    df["measure"] = [glossary.name(m) for m in df["measure"]]
    df["direction"] = df["direction"].map({"at_least": "at least", "at_most": "at most"}).fillna(df["direction"])
    df = df.rename(columns={"measure": "Measure", "period": "Period", "direction": "Aim", "target": "Target",
                            "actual": "Actual", "gap": "Gap", "status": "RAG", "note": "Note"})
    counts = df["RAG"].value_counts().to_dict()
    line = ", ".join(f"{k}: {v}" for k, v in counts.items())
    return (f'<p>{_e(line)}. Green: met; amber: missed by no more than 10% of the target; red: missed by more; '
            f'no data: no actual yet; incomplete: the only actual reaches back before the records\' coverage '
            f'or is a year not yet ended, so it is not judged. Targets as set by the council; actuals from {SOURCE_LA}.</p>'
            + table(df, 1, rag="RAG", caption="Targets set by the council, with the latest actual and RAG status"))


def _quality(warehouse: Path | None, la: str, q: Quarter) -> str:
    if warehouse is None or not Path(warehouse).exists():
        return not_available("Data-quality summary", "the warehouse's audit tables were not given")
    try:
        con = duckdb.connect(str(warehouse), read_only=True)
    except duckdb.Error:
        return not_available("Data-quality summary", "the warehouse is busy with a nightly run; try again later")
    with con:
        params = [la, q.start, q.end]
        loads = con.execute("""
            with latest as (select * from audit.loads qualify row_number() over (partition by load_id order by finished_at desc) = 1)
            select status, count(*) as loads, sum(rows_in) as rows_in, sum(rows_loaded) as rows_loaded,
                   sum(rows_rejected) as rows_rejected
            from latest where la_code = ? and cast(started_at as date) between ? and ? group by status order by status""",
            params).df()
        rules = con.execute("""
            with fired as (
                select coalesce(v.source, 'ours') as source, v.severity, v.rule_code, v.rule, count(*) as findings,
                       sum(coalesce(v.count, 1)) as rows
                from audit.validation_results v
                join (select distinct load_id, la_code, started_at from audit.loads) l using (load_id)
                where l.la_code = ? and cast(l.started_at as date) between ? and ?
                group by 1, 2, 3, 4)
            select * from fired
            qualify row_number() over (partition by source order by rows desc, rule_code) <= 10  -- ten of each
            order by source desc, rows desc""", params).df()
        audit_tables = {r[0] for r in con.execute("select table_name from information_schema.tables "
                                                  "where table_schema = 'audit'").fetchall()}
        # the two check layers: each mart's invariants (dbt tests in the build), then the reconciliations across marts
        checks = [(t, label, ok) for t, label, ok in (
            ("dbt_results", "Each table's own rules", "e.status = 'pass'"),
            ("expectation_results", "Figures two tables both give, which must agree", "e.success"))
            if t in audit_tables]
        exp = pd.concat([con.execute(f"""
                select ? as "check", count(distinct e.load_id) as loads_checked, count(*) as checks_run,
                       sum(case when {ok} then 1 else 0 end) as passed
                from audit.{t} e join (select distinct load_id, la_code, started_at from audit.loads) l using (load_id)
                where l.la_code = ? and cast(l.started_at as date) between ? and ?""", [label, *params]).df()
            for t, label, ok in checks]) if checks else pd.DataFrame()
    out = [f"<p>Loads of the quarter ({_fmt(q.start)} to {_fmt(q.end)}) by final status. Source: the pipeline's load log.</p>",
           table(loads, 0, caption="Loads of the quarter by final status") if not loads.empty else '<p class="na">No loads in the quarter.</p>',
           "<p>Validation rules that fired most, ten of each source (rows rejected or warned; no values): ours, acted on at load, and the "
           "DfE's own rule pack (source dfe), run after each publish for return readiness. Source: "
           "the pipeline's validation log.</p>",
           table(rules, 0, caption="Validation rules that fired most") if not rules.empty else '<p class="na">No validation findings in the quarter.</p>']
    if not exp.empty and exp["checks_run"].sum():
        out += ["<p>Automatic checks on the published figures after each build: each table's own rules, then the figures "
                "two tables both give, which must agree. Source: the pipeline's check log.</p>",
                table(exp, 0, caption="Automatic checks on the published figures")]
    return "".join(out)


FIXED_MEASURES = {"cohort_children", "exits_total", "a1_days", "a2_days", "a3_share", "stability_three_plus",
                  "stability_long_term"}  # shown by the fixed sections


def _la_name(d: _Data, la: str) -> str | None:
    """The LA's name from the reference data loaded with the copy (the benchmark, else the DfE/ONS
    lookup); None when the reference flow has not loaded it."""
    queries = [("benchmark", "select max(la_name) from marts.benchmark where la_code = ?"),
               ("las", "select max(la_name) from reference.las where la_code = ?"),
               ("la_regions", "select max(la_name) from reference.la_regions where la_code = ?")]
    for _table, sql in queries:
        try:
            found = d.con.execute(sql, [la]).fetchone()[0]
        except duckdb.Error:  # a copy without that table: try the next
            continue
        if found:
            return str(found)
    return None


def _glossary(measures: set[str]) -> str:
    entries = {glossary.entry(m) for m in measures} - {None}
    items = "".join(f"<dt>{_e(n)}</dt><dd>{_e(t)}</dd>" for n, t in sorted(entries))
    return ('<dl class="glossary">' + items + "<dt>c</dt><dd>" + _e(SUPPRESSED_NOTE[3:]) + "</dd>"
            "<dt>Collection year</dt><dd>1 April to 31 March, as the DfE collects the figures; 2024-25 ends on "
            "31 March 2025.</dd><dt>Statistical neighbours</dt><dd>The ten councils the DfE judges most like ours "
            "in their population.</dd></dl>")


def render_html(published: Path, quarter: str, la_code: str | None = None, warehouse: Path | None = None,
                la_name: str | None = None, small_number_threshold: int = 5) -> tuple[str, str]:
    q = parse_quarter(quarter)
    d = _Data(published, small_number_threshold)
    try:
        las = [r[0] for r in d.con.execute("select distinct la_code from marts.spg_cohort_summary order by 1").fetchall()]
        if la_code is None:
            if len(las) != 1:
                raise ValueError(f"the warehouse holds LAs {', '.join(las)}: choose one with --la")
            la_code = las[0]
        if la_code not in las:
            raise ValueError(f"LA {la_code} is not in the published marts (LAs: {', '.join(las)})")
        la_name = la_name or _la_name(d, la_code)
        d.reporting_date = d.con.execute("select max(as_at_date) from marts.spg_cohort_summary where la_code = ?",
                                         [la_code]).fetchone()[0]
        from permanence.report import spg  # the SPG's sections (issue 17); imports this module's helpers

        sections = [
            ("Children in the SPG priority cohorts", _cohorts(d, la_code, q)),
            ("Movement between the SPG cohorts", spg.movement(d, la_code, q)),
            ("Drift watchlist", spg.watchlist(d, la_code, q)),
            ("SPG actions overdue", spg.actions_overdue(d, la_code, q)),
            ("Placement cost and cost avoided (budget scrutiny)", spg.cost(d, la_code, q)),
            ("How children leave care", _exits(d, la_code, q)),
            ("Adoption timeliness", _adoption(d, la_code, q)),
            ("Placement stability", _stability(d, la_code, q)),
            ("Our council against statistical neighbours and England", _benchmark(d, la_code, q)),
            ("Targets", _targets(d, la_code, q)),
            ("Data quality of the quarter's loads", _quality(warehouse, la_code, q)),
        ]
    finally:
        d.con.close()
    title = f"{la_name or 'LA ' + la_code}: permanence for children in care, quarterly report {q.label}"
    who = f"{la_name} ({la_code})" if la_name else f"LA {la_code} (name not loaded: run the reference flow)"
    sections.append(("Glossary", _glossary(d.used | FIXED_MEASURES)))
    body = "".join(f"<section><h2>{_e(h)}</h2>{s}</section>" for h, s in sections)
    page = (f'<!doctype html><html lang="en-GB"><head><meta charset="utf-8"><title>{_e(title)}</title>'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"><style>{CSS}</style></head><body>'
            f"<h1>{_e(title)}</h1><p class=sub>{_e(who)}. Quarter {_fmt(q.start)} to {_fmt(q.end)} ({q.both}; collection "
            f"year {q.collection_year}). Generated {dt.datetime.now():%d/%m/%Y %H:%M} from the council's children-in-care records.</p>"
            '<p class="note">Each measure is defined in the glossary at the end (full definitions: docs/measures.md in the '
            "permanence repository). Figures "
            "describe children looked after by the council; small numbers can move a lot from quarter to quarter. "
            f'Counts from 1 to {d.hide.threshold}, and percentages and means resting on them, are shown as "c" '
            "(suppressed, as the DfE marks them); percentages and mean days are rounded to whole numbers.</p>"
            f"{body}</body></html>")
    return page, la_code


def find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def chromium(args: list[str], timeout: int = 120) -> None:
    exe = find_chromium()
    if exe is None:
        raise FileNotFoundError("no Chromium found (apt-get install chromium)")
    with tempfile.TemporaryDirectory() as profile:
        cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--disable-extensions", "--hide-scrollbars",
               f"--user-data-dir={profile}", *args]
        subprocess.run(cmd, check=True, timeout=timeout, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def to_pdf(html_path: Path, pdf_path: Path) -> Path:
    chromium(["--no-pdf-header-footer", f"--print-to-pdf={pdf_path}", html_path.resolve().as_uri()])
    return pdf_path


def screenshot(html_path: Path, png_path: Path, width: int = 1200, height: int = 4000) -> Path:
    chromium([f"--window-size={width},{height}", f"--screenshot={png_path}", html_path.resolve().as_uri()])
    return png_path


def build_report(published: Path, quarter: str, out_dir: Path, la_code: str | None = None,
                 warehouse: Path | None = None, pdf: bool = True,
                 small_number_threshold: int = 5) -> tuple[Path, Path | None]:
    """Write report-<LA>-<quarter>.html (and .pdf when Chromium is installed and pdf=True)."""
    page, la = render_html(published, quarter, la_code, warehouse, small_number_threshold=small_number_threshold)
    out_dir.mkdir(parents=True, exist_ok=True)
    q = parse_quarter(quarter)
    html_path = out_dir / f"report-{la}-{q.label}.html"
    html_path.write_text(page, encoding="utf-8")
    pdf_path = None
    if pdf and find_chromium():
        pdf_path = to_pdf(html_path, out_dir / f"report-{la}-{q.label}.pdf")
    return html_path, pdf_path
