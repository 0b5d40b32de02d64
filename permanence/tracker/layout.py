"""The SPG tracker workbook's shape: its cohort sheets and columns, the group's editable columns
among them. Written once here because two modules read it: the writer (permanence.tracker.workbook) and the
import that reads an edited workbook back (permanence.tracker.actions)."""

from __future__ import annotations

# (header, store column, writer kind, width): the columns the SPG edits, in the tracker's order
EDITABLE = [
    ("Barrier", "barrier", "text", 24),
    ("Next action", "next_action", "text", 28),
    ("Owner", "owner", "text", 12),
    ("Due date", "due_date", "date", 11),
    ("Status", "status", "text", 11),
    ("Notes", "notes", "text", 30),
]
FIELDS = [c for _h, c, _k, _w in EDITABLE]
STATUSES = ("open", "in progress", "done", "dropped")

COHORT_SHEETS = {
    1: "1 No one holds PR",
    2: "2 Placement order 9m+",
    3: "3 LTF plan no match",
    4: "4 Foster carers 12m+",
    5: "5 Home with parents 12m+",
    6: "6 External resi 12m+",
}

# (header, column in spg_cohort_children or computed, kind, width); kind "label:<code list>" is the
# label of the code in that column (contract labels.yaml)
COLUMNS = [
    ("Child", "display_id", "text", 11),
    ("LA", "la_code", "text", 6),
    ("As at", "as_at_date", "date", 11),
    ("Legal status", "legal_status", "text", 8),
    ("Legal status (label)", "legal_status", "label:LS", 26),
    ("Placement", "placement_type", "text", 9),
    ("Placement (label)", "placement_type", "label:PLACE", 34),
    ("Provider", "placement_provider", "text", 8),
    ("Provider (label)", "placement_provider", "label:PLACE_PROVIDER", 26),
    ("Detail", "cohort_detail", "text", 26),
    ("In condition since", "condition_start", "date", 12),
    ("Days in condition", "days_in_condition", "int", 10),
    ("Months in condition", "months_in_condition", "int", 10),
    ("Age", "age_on_as_at_date", "int", 5),
    ("Period of care start", "period_start", "date", 12),
    ("Placement start", "placement_start", "date", 12),
    ("Legal status since", "legal_status_span_start", "date", 12),
    ("Permanence plan", "permanence_plan", "text", 12),
    ("Permanence plan (label)", "permanence_plan", "label:PERMANENCE_PLAN", 26),
    ("Plan date", "care_plan_start_date", "date", 12),
    ("ADM decision", "adm_decision_date", "date", 12),
    ("Placement order", "placement_order_date", "date", 12),
    ("Matched", "matched_date", "date", 12),
    ("Placed for adoption", "placed_for_adoption_date", "date", 12),
    ("Decision reversed", "decision_reversed_date", "date", 12),
    ("Last review", "latest_review_date", "date", 12),
    ("Reviews this period", "reviews_this_period", "int", 9),
    # blank unless the history starts after the condition may have (docs/measures.md#coverage)
    ("History note", "incomplete_reason", "text", 30),
    # the SPG's own columns, carried forward from the actions store (permanence.tracker.actions)
    *EDITABLE,
    # hidden: the display id is for reading, this is for matching with other pseudonymous outputs
    ("Pseudonym (full)", "child_id", "text", 20),
]
HIDDEN = {"Pseudonym (full)"}
# the columns a chair filters a cohort by: a slicer each beside every cohort table (permanence.tracker.workbook)
SLICER_COLUMNS = ("Placement (label)", "Legal status (label)", "Provider (label)", "Status")
