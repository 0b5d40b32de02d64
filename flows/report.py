"""The quarterly scrutiny report as a Prefect flow (own deployment, after each quarter ends).

Reads the restricted copy of the marts only (the report suppresses small numbers itself), so it never waits for or blocks the nightly build.
"""

from __future__ import annotations

import datetime as dt

from prefect import flow, get_run_logger

from permanence.ops import notify
from permanence.config import Settings


def previous_quarter(today: dt.date) -> str:
    """The calendar quarter that ended most recently before `today`, e.g. '2024-Q4' in January 2025."""
    q = (today.month - 1) // 3  # 0 for January-March: the previous quarter is last year's Q4
    return f"{today.year - 1}-Q4" if q == 0 else f"{today.year}-Q{q}"


@flow(name="quarterly-report", log_prints=False, on_failure=[notify.on_failure], on_crashed=[notify.on_crashed])
def quarterly_report(
    la_code: str,
    quarter: str | None = None,
    data_dir: str | None = None,
    warehouse: str | None = None,
) -> list[str]:
    """Write the report for `quarter` (default: the quarter just ended) from the restricted copy."""
    from permanence.report import build_report

    settings = Settings(**{k: v for k, v in {"warehouse": warehouse, "data_dir": data_dir}.items() if v})
    quarter = quarter or previous_quarter(dt.date.today())
    # the restricted copy: the report suppresses small numbers itself, so it reads them as built
    restricted = settings.restricted_dir / settings.warehouse_path.name
    if not restricted.exists():
        raise FileNotFoundError(f"{restricted}: no restricted copy yet; run the nightly load first")
    html_path, pdf_path = build_report(restricted, quarter, settings.reports_dir / "quarterly", la_code=la_code,
                                       warehouse=settings.warehouse_path,
                                       small_number_threshold=settings.small_number_threshold)
    get_run_logger().info("quarterly report %s for LA %s: %s", quarter, la_code, html_path)
    return [str(p) for p in (html_path, pdf_path) if p]
