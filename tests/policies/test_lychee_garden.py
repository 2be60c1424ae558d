"""Lychee Garden (seed 000 with seed 001 parts 1-2): decisions checked clause by clause."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import complaint_rules
from complaint_rules import ir
from complaint_rules.policy import parse_file

POLICY = Path(__file__).resolve().parents[2] / "policies" / "property" / "lychee-garden.policy"
CST = dt.timezone(dt.timedelta(hours=8))


def at(text: str) -> dt.datetime:
    """A wall-clock time in China Standard Time."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=CST)


@pytest.fixture(scope="module")
def policy():
    return complaint_rules.load(POLICY)


def decide(policy, now: str | None = None, **fields):
    record = {"id": fields.pop("id", "lg-1"), "received_at": at("2026-12-01T10:00")} | fields
    return policy.evaluate(record, now=at(now) if now else None)


def deadline(decision, clock: str):
    found = [d for d in decision.deadlines if d.clock == clock]
    return found[0] if found else None


def due_escalations(decision) -> set[str]:
    return {e.rule for e in decision.escalations if e.status == "due"}


def obligations(decision) -> dict:
    return {o.rule: o for o in decision.obligations}


def percent(rate) -> Decimal:
    """A rate as a number of percent, whether the decision holds a Percent, a number or "30%"."""
    return Decimal(str(getattr(rate, "value", rate)).rstrip("%"))


def fired(decision) -> set[str]:
    return {t.rule for t in decision.trace}


# ---------------------------------------------------------------------------- levels and routing


def test_general_complaint_gets_24_hours_and_a_first_reply_next_working_day(policy):
    # 000 std 1: answered within 24 hours; 001 part 1, 4.1(1): first reply within one working day.
    d = decide(policy, category="service", received_at=at("2026-12-04T17:00"))  # a Friday
    assert (d.level, d.level_label) == ("general", "一般投诉")
    assert d.owner == "customer_service" and set(d.routes) == {"customer_service"}
    assert deadline(d, "response").due_at == at("2026-12-05T17:00")
    # The weekend does not count: Monday.
    assert deadline(d, "first_reply").due_at == at("2026-12-07T17:00")
    assert deadline(d, "first_reply").rule == "first_reply"
    assert {"classify.otherwise", "route.otherwise"} <= fired(d)


def test_complex_complaint_gets_48_hours_and_an_agreed_remedy(policy):
    # 000 std 1: complex complaints within 48 hours; template step 5: agree the remedy with the customer.
    d = decide(policy, category="service", severity="complex")
    assert d.level == "intermediate" and d.level_label == "复杂投诉"
    assert deadline(d, "response").due_at == at("2026-12-03T10:00")
    assert deadline(d, "response").rule == "complex_response"
    assert "agree_remedy" in obligations(d)


@pytest.mark.parametrize(
    "fields, rule",
    [
        # 000 4.3: fire or injury is a serious complaint.
        ({"hazards": ["injury"]}, "hazard"),
        # 000 4.3: taken to the media is serious.
        ({"external": ["media"]}, "went_public"),
        # 000 4.3 with template step 2: judged serious at intake.
        ({"severity": "serious"}, "assessed_serious"),
    ],
)
def test_serious_complaints_are_reported_to_leadership_at_once(policy, fields, rule):
    # 000 4.3: reported at once to company leadership and the heads of the units concerned, who organise the handling.
    d = decide(policy, now="2026-12-01T10:05", category="public_repair", **fields)
    assert d.level == "major" and d.level_label == "重大投诉"
    assert rule in fired(d)
    assert d.owner == "leadership"
    assert set(d.routes) == {"leadership", "customer_service", "engineering"}
    report = next(e for e in d.escalations if e.rule == "serious_report")
    assert set(report.targets) == {"leadership", "unit_heads"}
    assert report.due_at == at("2026-12-01T10:00") and report.status == "due"
    assert d.remedy.approver == "leadership"


@pytest.mark.parametrize(
    "category, owner, routes, duty",
    [
        # 000 4.2(1), 3.2: public-area repairs go to engineering.
        ("public_repair", "engineering", {"engineering", "customer_service"}, "customer_sign_off"),
        # 000 4.2(3), 3.2: damaged facilities are forwarded to engineering.
        ("facility_damage", "engineering", {"engineering", "customer_service"}, "forward_to_unit"),
        # 000 4.2(2): in-home cleaning and greening are paid services arranged by customer service.
        ("in_home_cleaning", "customer_service", {"customer_service"}, "arrange_paid_service"),
        ("in_home_greening", "customer_service", {"customer_service"}, "arrange_paid_service"),
        # 000 4.2(3), 3.4: public cleaning and greening are forwarded to environment.
        ("public_greening", "environment", {"environment", "customer_service"}, "forward_to_unit"),
        # 000 4.2(3), 3.3: renovation noise and intruding salespeople are forwarded to security.
        ("renovation_nuisance", "security", {"security", "customer_service"}, "forward_to_unit"),
        ("intruding_salespeople", "security", {"security", "customer_service"}, "forward_to_unit"),
        # 000 4.2(4): lost or late mail: security checks the mail records and replies.
        ("mail", "security", {"security"}, "check_mail_records"),
    ],
)
def test_routing_by_category(policy, category, owner, routes, duty):
    d = decide(policy, category=category, resolved_at=at("2026-12-01T15:00"))
    assert d.owner == owner
    assert set(d.routes) == routes
    assert duty in obligations(d)


def test_every_complaint_is_taken_in_by_four_clears_one_report(policy):
    # 000 4.1(2): hear, ask, repeat back, record clearly, then report to the supervisor; at once.
    d = decide(policy, category="other")
    intake = obligations(d)["intake_four_clear"]
    assert "customer_service" in intake.by and intake.due_at == at("2026-12-01T10:00")
    assert "investigate" in obligations(d)  # template step 3


# ---------------------------------------------------------------------------- repairs


def test_paid_repair_is_quoted_and_consented_before_dispatch(policy):
    # 000 4.2(1): a paid repair is priced from the tariff and needs the customer's consent before dispatch.
    d = decide(policy, category="in_home_repair", paid=True)
    quote = obligations(d)["quote_and_consent"]
    assert quote.due_at == at("2026-12-01T10:00")
    assert "engineering" == d.owner
    free = decide(policy, category="in_home_repair", paid=False)
    assert "quote_and_consent" not in obligations(free)


def test_dispatch_without_consent_is_flagged(policy):
    # 000 4.2(1): "经认可后…派发至工程部": a dispatched paid repair without consent goes to the lead.
    d = decide(policy, now="2026-12-01T11:00", category="in_home_repair", paid=True,
               dispatched_at=at("2026-12-01T10:30"))
    assert "dispatched_without_consent" in due_escalations(d)
    ok = decide(policy, now="2026-12-01T11:00", category="in_home_repair", paid=True,
                consent_at=at("2026-12-01T10:20"), dispatched_at=at("2026-12-01T10:30"))
    assert "dispatched_without_consent" not in {e.rule for e in ok.escalations if e.status != "inactive"}


def test_unfinished_work_order_is_chased_after_the_appointment(policy):
    # 000 4.2(1)b: customer service chases work orders not finished by the appointed time.
    promised = at("2026-12-02T15:00")
    before = decide(policy, now="2026-12-02T14:00", category="in_home_repair", promised_at=promised)
    assert deadline(before, "completion").due_at == promised
    assert "chase_unfinished" not in due_escalations(before)
    after = decide(policy, now="2026-12-02T16:00", category="in_home_repair", promised_at=promised)
    chase = next(e for e in after.escalations if e.rule == "chase_unfinished")
    assert chase.status == "due" and chase.due_at == promised
    assert set(chase.targets) == {"engineering"}  # `owner` resolves to the repair's owner
    done = decide(policy, now="2026-12-02T16:00", category="in_home_repair", promised_at=promised,
                  resolved_at=at("2026-12-02T14:30"))
    assert "chase_unfinished" not in due_escalations(done)


def test_paid_repair_is_signed_off_and_billed_on_completion(policy):
    # 000 4.2(1): the customer signs off quality and satisfaction; the fee goes on the management-fee bill.
    resolved = at("2026-12-01T16:00")
    d = decide(policy, category="in_home_repair", paid=True, resolved_at=resolved)
    duties = obligations(d)
    assert duties["customer_sign_off"].due_at == resolved and "engineering" in duties["customer_sign_off"].by
    assert duties["bill_fee"].due_at == resolved


# ---------------------------------------------------------------------------- follow-up


@pytest.mark.parametrize(
    "rating, signed",
    [
        ("dissatisfied", True),  # 001 part 1, 4.3(1): the owner was dissatisfied
        ("unrated", True),  # 001 part 1, 4.3(1): the owner gave no rating
        ("satisfied", False),  # 001 part 1, 4.3(1): the owner did not sign
    ],
)
def test_minor_repair_follow_up_is_mandatory_when_not_signed_off_satisfied(policy, rating, signed):
    # 001 part 1, 4.1(4): on the day of the repair or the next, never batched at month end.
    resolved = at("2026-12-01T16:00")
    d = decide(policy, category="in_home_repair", work_order_rating=rating, work_order_signed=signed,
               resolved_at=resolved)
    assert d.follow_up.rule == "repair_mandatory"
    assert d.follow_up.status == "required"
    assert d.follow_up.due_at == resolved + dt.timedelta(days=1)
    assert "customer_service_assistant" in d.follow_up.by


def test_at_least_30_percent_of_satisfied_minor_repairs_are_sampled(policy):
    # 001 part 1, 4.1(5): at least 30% of in-home minor repairs each month; sampled deterministically.
    statuses = []
    for n in range(200):
        d = decide(policy, id=f"repair-{n}", category="in_home_repair", work_order_rating="satisfied",
                   work_order_signed=True, resolved_at=at("2026-12-01T16:00"))
        assert d.follow_up.rule == "repair_sample"
        assert percent(d.follow_up.rate) == 30
        statuses.append(d.follow_up.status)
    assert set(statuses) <= {"required", "not_sampled"}
    assert 0.2 <= statuses.count("required") / len(statuses) <= 0.4
    again = decide(policy, id="repair-7", category="in_home_repair", work_order_rating="satisfied",
                   work_order_signed=True, resolved_at=at("2026-12-01T16:00"))
    assert again.follow_up.status == statuses[7]  # the same record is always sampled the same way


@pytest.mark.parametrize(
    "fields, rule, days, by",
    [
        # 001 part 1, 4.1(2), 4.2(2): a major complaint whose fix cannot be checked at once: lead or PM, within 5 days.
        ({"severity": "serious", "fix_check": "deferred"}, "major_deferred", 5, {"customer_service_lead", "project_manager"}),
        # 001 part 1, 3.1, 4.1(2): a major complaint: lead or project manager, in person, within 3 days.
        ({"severity": "serious"}, "major", 3, {"customer_service_lead", "project_manager"}),
        # 001 part 1, 4.1(7): key customers by the lead or project manager; 3-5 days when not checkable.
        ({"key_customer": True, "fix_check": "recurring"}, "key_customer_deferred", 5, {"customer_service_lead", "project_manager"}),
        ({"key_customer": True}, "key_customer", 3, {"customer_service_lead", "project_manager"}),
        # 001 part 1, 4.2(2): a recurring problem: the window is extended.
        ({"fix_check": "recurring"}, "recurring", 7, {"customer_service_assistant"}),
        # 001 part 1, 4.2(2): a fix that cannot be checked on the spot: three to five days.
        ({"fix_check": "deferred"}, "deferred", 5, {"customer_service_assistant"}),
        # 001 part 1, 4.1(1)-(3): every other complaint within 3 days, by the assistant.
        ({}, "follow_up.otherwise", 3, {"customer_service_assistant"}),
    ],
)
def test_complaint_follow_up_windows_and_who(policy, fields, rule, days, by):
    resolved = at("2026-12-02T10:00")
    d = decide(policy, category="service", resolved_at=resolved, **fields)
    assert d.follow_up.rule == rule
    assert d.follow_up.status == "required"  # 001 part 1, 4.1(3); part 2, 五: 100% of complaints
    assert d.follow_up.due_at == resolved + dt.timedelta(days=days)
    assert set(d.follow_up.by) == by
    if rule.startswith("major"):
        assert list(d.follow_up.via) == ["visit"]  # 001 part 1, 4.1(2): usually in person


def test_anonymous_complaint_is_not_followed_up_but_recorded(policy):
    # 001 part 2, 七: no name or address: no follow-up, the result is written down and kept.
    resolved = at("2026-12-02T10:00")
    d = decide(policy, category="service", anonymous=True, key_customer=True, resolved_at=resolved)
    assert d.follow_up.rule == "anonymous" and d.follow_up.status == "exempt"
    duties = obligations(d)
    assert duties["record_anonymous"].due_at == resolved
    assert "follow_up_record" not in duties and "archive_form" not in duties


def test_routine_visits_cover_every_household_within_a_year(policy):
    # 001 part 1, 4.1(6): 100% of occupied households a year, by phone or in person.
    d = decide(policy, category="routine_visit")
    assert d.follow_up.rule == "routine_visit" and d.follow_up.status == "required"
    assert d.follow_up.due_at == at("2027-12-01T10:00")
    assert set(d.follow_up.via) == {"phone", "visit"}
    assert "follow_up_record" in obligations(d)  # 001 part 1, 4.1(8): appointment and signature


def test_repeat_complaint_is_escalated_to_the_person_in_charge(policy):
    # 001 part 2, 六: the same issue complained about repeatedly is reported to the person in charge.
    d = decide(policy, now="2026-12-01T10:01", category="service", repeat_count=1)
    esc = next(e for e in d.escalations if e.rule == "repeat_complaint")
    assert list(esc.targets) == ["person_in_charge"] and esc.status == "due"
    first = decide(policy, now="2026-12-01T10:01", category="service")
    assert "repeat_complaint" not in {e.rule for e in first.escalations if e.status != "inactive"}


def test_same_issue_from_several_owners_may_be_answered_by_open_letter(policy):
    # 001 part 2, 四: an open letter, filed with the follow-ups.
    assert "open_letter" in obligations(decide(policy, category="public_cleaning", owners_affected=12))
    assert "open_letter" not in obligations(decide(policy, category="public_cleaning"))


def test_new_issue_in_a_follow_up_gets_a_promised_reply_time(policy):
    # 001 part 2, 三: a new issue that cannot be answered at once gets a reply time.
    d = decide(policy, category="service", new_issue_raised=True)
    assert "customer_service_lead" in obligations(d)["promise_reply_time"].by


def test_completed_complaint_is_filed_and_analysed(policy):
    # 001 part 1, 4.2(3), 4.5 and 000 template step 7: the form is signed, filed and analysed.
    resolved = at("2026-12-02T10:00")
    duties = obligations(decide(policy, category="service", resolved_at=resolved))
    assert duties["archive_form"].due_at == resolved
    assert duties["record_and_analyse"].due_at == resolved
    assert "follow_up_record" in duties


# ---------------------------------------------------------------------------- properties and coverage

CATEGORIES = parse_file(POLICY)[1].field("category").type.members

records = st.fixed_dictionaries(
    {
        "category": st.sampled_from(CATEGORIES),
        "severity": st.sampled_from(["simple", "complex", "serious"]),
        "anonymous": st.booleans(),
        "key_customer": st.booleans(),
        "hazards": st.lists(st.sampled_from(["fire", "injury"]), unique=True),
        "repeat_count": st.integers(0, 5),
        "fix_check": st.sampled_from(["on_spot", "deferred", "recurring"]),
        "resolved_at": st.none() | st.just(at("2026-12-03T10:00")),
    }
)


@settings(max_examples=100, deadline=None)
@given(records)
def test_every_complaint_is_routed_answered_and_followed_up_or_exempt(policy, fields):
    fields = {k: v for k, v in fields.items() if v is not None}
    d = decide(policy, **fields)
    assert d.owner in d.routes
    assert deadline(d, "response") is not None and deadline(d, "first_reply") is not None
    if fields["anonymous"]:
        assert d.follow_up.status == "exempt"
    elif fields["category"] != "in_home_repair":
        assert d.follow_up.status == "required"  # 100% of complaints
    if d.level == "major":
        assert "leadership" in d.routes and "serious_report" in {e.rule for e in d.escalations if e.status != "inactive"}
    if fields["repeat_count"] >= 1:
        assert "repeat_complaint" in {e.rule for e in d.escalations if e.status != "inactive"}


def test_embedded_tests_pass(policy):
    from complaint_rules.testing.runner import run_tests

    failures = [m for r in run_tests(policy) for m in r.messages()]
    assert failures == []


COVERAGE_RECORDS = [
    {"category": "service"},
    {"category": "service", "severity": "complex"},
    {"category": "public_repair", "hazards": ["fire"]},
    {"category": "service", "external": ["court"]},
    {"category": "service", "severity": "serious", "resolved_at": at("2026-12-02T10:00")},
    {"category": "service", "severity": "serious", "fix_check": "deferred", "resolved_at": at("2026-12-02T10:00")},
    {"category": "in_home_repair", "paid": True, "dispatched_at": at("2026-12-01T10:30"),
     "promised_at": at("2026-12-01T12:00"), "resolved_at": at("2026-12-01T16:00")},
    {"category": "in_home_repair", "work_order_rating": "satisfied", "work_order_signed": True,
     "resolved_at": at("2026-12-01T16:00")},
    {"category": "in_home_cleaning"},
    {"category": "public_cleaning", "owners_affected": 3, "anonymous": True, "resolved_at": at("2026-12-01T16:00")},
    {"category": "renovation_nuisance", "repeat_count": 2, "new_issue_raised": True},
    {"category": "mail", "key_customer": True, "resolved_at": at("2026-12-01T16:00")},
    {"category": "security", "key_customer": True, "fix_check": "deferred", "resolved_at": at("2026-12-01T16:00")},
    {"category": "service", "fix_check": "recurring", "resolved_at": at("2026-12-01T16:00")},
    {"category": "service", "fix_check": "deferred", "resolved_at": at("2026-12-01T16:00")},
    {"category": "routine_visit"},
]


def test_every_rule_is_exercised(policy):
    # Issue 4: every rule of the policy is exercised by at least one test.
    seen: set[str] = set()
    for n, fields in enumerate(COVERAGE_RECORDS):
        d = decide(policy, now="2026-12-05T10:00", id=f"cov-{n}", **fields)
        seen |= fired(d) | set(obligations(d)) | {e.rule for e in d.escalations if e.status != "inactive"} | {x.rule for x in d.deadlines}
        seen.add(d.follow_up.rule)
    wanted = {r.id for r in ir.all_rules(policy.ir)} | {"classify.otherwise", "route.otherwise"}
    assert wanted - seen == set()


def test_yaml_form_means_the_same(policy):
    # Issue 4: the .policy is the source; its YAML conversion means the same, with the same fingerprint.
    again = complaint_rules.loads(policy.to_yaml(), format="yaml", name="lychee-garden.yaml")
    assert again == policy and again.fingerprint == policy.fingerprint


def test_month_end_rate_below_30_percent_is_topped_up_with_satisfied_owners(policy):
    # 001 part 1, 4.3(4): if the month-end minor-repair rate is below 30%, satisfied owners are sampled to reach it.
    records = []
    for n in range(20):
        day = f"2026-12-{1 + n:02d}"
        record = {"id": f"m-{n}", "category": "in_home_repair", "work_order_rating": "satisfied",
                  "work_order_signed": True, "received_at": f"{day}T10:00+08:00", "resolved_at": f"{day}T16:00+08:00"}
        if n < 2:  # two owners were called back the next morning
            record["follow_ups"] = [{"at": f"2026-12-{2 + n:02d}T10:00+08:00", "method": "phone", "satisfied": True}]
        records.append(record)
    report = policy.follow_up_report(records, "2026-12")
    quota = next(q for q in report.rules if q.rule == "repair_sample")
    assert len(quota.matching) == 20 and set(quota.followed_up) == {"m-0", "m-1"}
    assert quota.required == 6 and quota.shortfall == 4 and not quota.met
    assert len(quota.to_add) >= 4 and not set(quota.to_add) & {"m-0", "m-1"}
