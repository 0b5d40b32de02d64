"""The DfE's own 903 rule pack on the loads the nightly runs published, as a flow of its own
(deployment `dfe-rules`, and `permanence dfe-rules`):

    the queue (audit.dfe_queue) -> the DfE's validator on each archived drop -> findings recorded

The nightly run only queues its published loads: the validator takes seconds per thousand rows
(minutes for a region, far longer than the load itself at national scale), so it runs here, without
the warehouse lock, which is taken only to read the queue and to write the findings. A load is done
when its `dfe_rules` step is recorded 'ok'; one the validator could not check stays queued for the
next run. Nothing here changes what was loaded or published.
"""

from __future__ import annotations

from prefect import flow, get_run_logger

from permanence import pipeline
from permanence.config import Settings
from permanence.progress import console, step
from permanence.warehouse import exclusive

LABEL = "DfE rule pack (return readiness)"


def check_queued(settings: Settings, la_code: str | None = None, load_ids: list[str] | None = None,
                 logger=None) -> list:
    """Run the pack on the queued loads (or on `load_ids` again); returns their Readiness results.
    When it cannot run (no validator, an archive gone), it says so in one line and the loads stay
    queued."""
    import logging

    logger = logger or logging.getLogger("permanence.flows")
    loads = pipeline.dfe_queued(settings, la_code, load_ids)
    if not loads:
        console.print("DfE rule pack: nothing queued (every published load has been checked)")
        return []
    gone = [q for q in loads if not q.folder.is_dir()]
    loads = [q for q in loads if q.folder.is_dir()]
    for q in gone:
        logger.warning("load %s: its archived drop is gone (retention), so the DfE pack cannot check it", q.load_id)
    done: list = []
    with step("dfe_rules", LABEL) as timing:
        timing.detail["loads"] = len(loads)
        try:
            if gone and not loads:
                raise FileNotFoundError(f"the archived drops of {len(gone)} queued load(s) are gone (retention)")
            done = pipeline.dfe_readiness_step(settings, loads)
            timing.detail["findings"] = sum(len(r.findings) for r in done)
        except Exception as exc:  # noqa: BLE001  the loads are published: nothing here may undo that
            timing.skip(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
            logger.warning("DfE rule pack not run: %s", exc)
    with exclusive(settings):
        pipeline.record_steps(settings, loads or gone, timing)
    return done


@flow(name="dfe-rules", log_prints=False)
def dfe_rules(warehouse: str | None = None, data_dir: str | None = None, la_code: str | None = None,
              load_ids: list[str] | None = None) -> int:
    """The DfE's rule pack on every published load not yet checked (or on `load_ids` again).
    Returns the number of loads checked."""
    overrides = {k: v for k, v in {"warehouse": warehouse, "data_dir": data_dir}.items() if v}
    return len(check_queued(Settings(**overrides), la_code, load_ids, get_run_logger()))
