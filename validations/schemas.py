"""One pandera DataFrameModel per contract table: the per-row rules, readable as the contract.

Each field says the column's kind (child_id, date, code('LS'), ...) and whether it may be
blank; the helpers below turn a kind into its checks, so a kind's rules live in one place.
Code columns name their list, not its codes: the codes for a row come from
permanence.contract.codelists() for the row's collection year at run time (see checks.py).
tests/test_validation.py checks every model against tables.yaml so the two cannot drift.
Values stay strings here: parsing happens inside the checks, which never copy a value out.
"""

from __future__ import annotations

from typing import Any

import pandera.pandas as pa
from pandera.typing import Series

import validations.checks  # noqa: F401  (registers dd_mm_yyyy, codes_in_year, ...)

MODELS: dict[str, type[pa.DataFrameModel]] = {}


def for_table(name: str):
    def register(model: type[pa.DataFrameModel]) -> type[pa.DataFrameModel]:
        MODELS[name] = model
        return model

    return register


def _field(kind: str, nullable: bool, **checks: Any):
    return pa.Field(nullable=nullable, metadata={"kind": kind}, **checks)


def child_id():
    return _field("child_id", False)


def staff_id():
    return _field("staff_id", False)


def date(nullable: bool = False, ahead: bool = False):
    # A date ahead by nature (tables.yaml `ahead: true`) is checked for shape only.
    if ahead:
        return _field("date", nullable, dd_mm_yyyy=())
    return _field("date", nullable, dd_mm_yyyy=(), not_after_extract=())


def dob(nullable: bool = False):
    return _field("dob", nullable, dd_mm_yyyy=(), not_after_extract=())


def code(codes: str, nullable: bool = False):
    return _field("code", nullable, codes_in_year={"codes": codes})


def integer(nullable: bool = False):
    return _field("int", nullable, whole_number=())


def text(nullable: bool = False):
    return _field("text", nullable)


def postcode(nullable: bool = False):
    return _field("postcode", nullable)


def dropped(nullable: bool = False):
    return _field("drop", nullable)


class ContractModel(pa.DataFrameModel):
    class Config:
        strict = False  # ROW and columns the contract marks optional may or may not be present


# ---- SSDA903 -------------------------------------------------------------------------------


@for_table("header")
class Header(ContractModel):
    CHILD: Series[Any] = child_id()
    SEX: Series[Any] = code("SEX")
    DOB: Series[Any] = dob()
    ETHNIC: Series[Any] = code("ETHNIC")
    UPN: Series[Any] = dropped(nullable=True)
    MOTHER: Series[Any] = code("BOOL01", nullable=True)
    MC_DOB: Series[Any] = dob(nullable=True)

    class Config:
        unique = ["CHILD"]


@for_table("episodes")
class Episodes(ContractModel):
    CHILD: Series[Any] = child_id()
    DECOM: Series[Any] = date()
    RNE: Series[Any] = code("RNE")
    LS: Series[Any] = code("LS")
    CIN: Series[Any] = code("CIN")
    PLACE: Series[Any] = code("PLACE")
    PLACE_PROVIDER: Series[Any] = code("PLACE_PROVIDER", nullable=True)
    DEC: Series[Any] = date(nullable=True)
    REC: Series[Any] = code("REC", nullable=True)
    REASON_PLACE_CHANGE: Series[Any] = code("REASON_PLACE_CHANGE", nullable=True)
    HOME_POST: Series[Any] = postcode(nullable=True)
    PL_POST: Series[Any] = postcode(nullable=True)
    URN: Series[Any] = text(nullable=True)

    class Config:
        unique = ["CHILD", "DECOM"]


@for_table("reviews")
class Reviews(ContractModel):
    CHILD: Series[Any] = child_id()
    DOB: Series[Any] = dob()
    REVIEW: Series[Any] = date()
    REVIEW_CODE: Series[Any] = code("REVIEW_CODE", nullable=True)

    class Config:
        unique = ["CHILD", "REVIEW"]


@for_table("uasc")
class UASC(ContractModel):
    CHILD: Series[Any] = child_id()
    SEX: Series[Any] = code("SEX")
    DOB: Series[Any] = dob()
    DUC: Series[Any] = date(nullable=True, ahead=True)  # the 18th birthday

    class Config:
        unique = ["CHILD"]


@for_table("ad1")
class AD1(ContractModel):
    CHILD: Series[Any] = child_id()
    DOB: Series[Any] = dob()
    DATE_INT: Series[Any] = date(nullable=True)
    DATE_MATCH: Series[Any] = date(nullable=True)
    FOSTER_CARE: Series[Any] = code("BOOL01", nullable=True)
    NB_ADOPTR: Series[Any] = code("NB_ADOPTR", nullable=True)
    SEX_ADOPTR: Series[Any] = code("SEX_ADOPTR", nullable=True)
    LS_ADOPTR: Series[Any] = code("LS_ADOPTR", nullable=True)

    class Config:
        unique = ["CHILD"]


@for_table("placed_adoption")
class PlacedAdoption(ContractModel):
    CHILD: Series[Any] = child_id()
    DOB: Series[Any] = dob()
    DATE_PLACED: Series[Any] = date()
    DATE_PLACED_CEASED: Series[Any] = date(nullable=True)
    REASON_PLACED_CEASED: Series[Any] = code("REASON_PLACED_CEASED", nullable=True)

    class Config:
        unique = ["CHILD", "DATE_PLACED"]


@for_table("prev_perm")
class PrevPerm(ContractModel):
    CHILD: Series[Any] = child_id()
    DOB: Series[Any] = dob()
    PREV_PERM: Series[Any] = code("PREV_PERM", nullable=True)
    LA_PERM: Series[Any] = text(nullable=True)
    DATE_PERM: Series[Any] = date(nullable=True)

    class Config:
        unique = ["CHILD"]


@for_table("missing")
class Missing(ContractModel):
    CHILD: Series[Any] = child_id()
    DOB: Series[Any] = dob()
    MISSING: Series[Any] = code("MISSING")
    MIS_START: Series[Any] = date()
    MIS_END: Series[Any] = date(nullable=True)

    class Config:
        unique = ["CHILD", "MIS_START"]


@for_table("oc2")
class OC2(ContractModel):
    CHILD: Series[Any] = child_id()
    DOB: Series[Any] = dob()
    SDQ_SCORE: Series[Any] = integer(nullable=True)
    SDQ_REASON: Series[Any] = code("SDQ_REASON", nullable=True)
    CONVICTED: Series[Any] = code("BOOL01", nullable=True)
    HEALTH_CHECK: Series[Any] = code("BOOL01", nullable=True)
    IMMUNISATIONS: Series[Any] = code("BOOL01", nullable=True)
    TEETH_CHECK: Series[Any] = code("BOOL01", nullable=True)
    HEALTH_ASSESSMENT: Series[Any] = code("BOOL01", nullable=True)
    SUBSTANCE_MISUSE: Series[Any] = code("BOOL01", nullable=True)
    INTERVENTION_RECEIVED: Series[Any] = code("BOOL01", nullable=True)
    INTERVENTION_OFFERED: Series[Any] = code("BOOL01", nullable=True)

    class Config:
        unique = ["CHILD"]


@for_table("oc3")
class OC3(ContractModel):
    CHILD: Series[Any] = child_id()
    DOB: Series[Any] = dob()
    IN_TOUCH: Series[Any] = code("IN_TOUCH", nullable=True)
    ACTIV: Series[Any] = code("ACTIV", nullable=True)
    ACCOM: Series[Any] = code("ACCOM", nullable=True)

    class Config:
        unique = ["CHILD"]


@for_table("social_worker_episodes")
class SWEpisodes(ContractModel):
    CHILD: Series[Any] = child_id()
    SW_ID: Series[Any] = staff_id()
    SW_DECOM: Series[Any] = date()
    SW_DEC: Series[Any] = date(nullable=True)
    SW_REASON: Series[Any] = code("SW_REASON", nullable=True)

    class Config:
        unique = ["CHILD", "SW_DECOM"]


@for_table("dolo")
class DoLO(ContractModel):
    CHILD: Series[Any] = child_id()
    DOB: Series[Any] = dob()
    DOLO_START: Series[Any] = date()
    DOLO_END: Series[Any] = date(nullable=True)

    class Config:
        unique = ["CHILD", "DOLO_START"]


# ---- SSD permanence extras -----------------------------------------------------------------


@for_table("cla_care_plan")
class ClaCarePlan(ContractModel):
    lacp_person_id: Series[Any] = child_id()
    lacp_cla_care_plan_start_date: Series[Any] = date()
    lacp_cla_care_plan_end_date: Series[Any] = date(nullable=True)
    lacp_permanence_plan_code: Series[Any] = code("PERMANENCE_PLAN")

    class Config:
        unique = ["lacp_person_id", "lacp_cla_care_plan_start_date"]


@for_table("permanence")
class Permanence(ContractModel):
    perm_person_id: Series[Any] = child_id()
    perm_adm_decision_date: Series[Any] = date(nullable=True)
    perm_placement_order_date: Series[Any] = date(nullable=True)
    perm_matched_date: Series[Any] = date(nullable=True)
    perm_placed_for_adoption_date: Series[Any] = date(nullable=True)
    perm_permanence_order_date: Series[Any] = date(nullable=True)
    perm_permanence_order_type: Series[Any] = code("PERMANENCE_ORDER", nullable=True)
    perm_decision_reversed_date: Series[Any] = date(nullable=True)
    perm_decision_reversed_reason: Series[Any] = code("DECISION_REVERSED", nullable=True)

    class Config:
        unique = ["perm_person_id", "perm_adm_decision_date"]


@for_table("care_proceedings")
class CareProceedings(ContractModel):
    cpro_person_id: Series[Any] = child_id()
    cpro_issue_date: Series[Any] = date()
    cpro_final_order_date: Series[Any] = date(nullable=True)
    cpro_order_type: Series[Any] = code("PROCEEDINGS_ORDER", nullable=True)

    class Config:
        unique = ["cpro_person_id", "cpro_issue_date"]


@for_table("no_parental_responsibility")
class NoParentalResponsibility(ContractModel):
    nopr_person_id: Series[Any] = child_id()
    nopr_reason: Series[Any] = code("NO_PR_REASON")
    nopr_start_date: Series[Any] = date()
    nopr_end_date: Series[Any] = date(nullable=True)

    class Config:
        unique = ["nopr_person_id", "nopr_start_date"]
