"""The property seeds 000 and 001 parts 1-2, one policy per organisation, checked clause by clause:
Lychee Garden (000 荔园物业), the generic template (000 模板/标准), the follow-up work instruction (001 part 1) and the
follow-up rules (001 part 2). Until issue 20 these were one merged `lychee-garden.policy`."""

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

PROPERTY = Path(__file__).resolve().parents[2] / "policies" / "property"
POLICY = PROPERTY / "lychee-garden.policy"
TEMPLATE = PROPERTY / "complaint-template.policy"
GUIDE = PROPERTY / "follow-up-guide.policy"
RULES = PROPERTY / "follow-up-rules.policy"
CST = dt.timezone(dt.timedelta(hours=8))


def at(text: str) -> dt.datetime:
    """A wall-clock time in China Standard Time."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=CST)


@pytest.fixture(scope="module")
def policy():
    return complaint_rules.load(POLICY)


@pytest.fixture(scope="module")
def template():
    return complaint_rules.load(TEMPLATE)


@pytest.fixture(scope="module")
def guide():
    return complaint_rules.load(GUIDE)


@pytest.fixture(scope="module")
def rules():
    return complaint_rules.load(RULES)


def decide(policy, now: str | None = None, **fields):
    record = {"id": fields.pop("id", "lg-1"), "received_at": at("2026-12-01T10:00")} | fields
    return policy.evaluate(record, now=at(now) if now else None)


def deadline(decision, clock: str):
    found = [d for d in decision.deadlines if d.clock == clock]
    return found[0] if found else None


def due_escalations(decision) -> set[str]:
    return {e.rule for e in decision.escalations if e.status == "due"}


def active_escalations(decision) -> set[str]:
    return {e.rule for e in decision.escalations if e.status != "inactive"}


def obligations(decision) -> dict:
    return {o.rule: o for o in decision.obligations}


def percent(rate) -> Decimal:
    """A rate as a number of percent, whether the decision holds a Percent, a number or "30%"."""
    return Decimal(str(getattr(rate, "value", rate)).rstrip("%"))


def fired(decision) -> set[str]:
    return {t.rule for t in decision.trace}


# ---------------------------------------------------------------------------- the template (000 模板, 标准)


def test_template_answers_in_24_hours_and_48_for_complex(template):
    # 000 标准 1: answered within 24 hours, complex complaints within 48; calendar hours, the weekend counts.
    d = decide(template, received_at=at("2026-12-04T17:00"))  # a Friday
    assert (d.level, d.level_label) == ("general", "一般投诉")
    assert deadline(d, "response").due_at == at("2026-12-05T17:00")
    complex_ = decide(template, severity="complex")
    assert complex_.level == "intermediate" and deadline(complex_, "response").rule == "complex_response"
    assert deadline(complex_, "response").due_at == at("2026-12-03T10:00")


def test_template_agrees_every_remedy_and_explains_a_refusal(template):
    # 000 模板 5 (T-5): every remedy is agreed with the customer, not only complex ones; 模板 2 (T-2): out of scope.
    assert "agree_remedy" in obligations(decide(template))
    refused = decide(template, in_scope=False, resolved_at=at("2026-12-01T11:00"))
    duties = obligations(refused)
    assert "explain_not_accepted" in duties and "agree_remedy" not in duties and "investigate" not in duties
    assert refused.follow_up.status == "exempt"
    assert "explain_not_accepted" not in obligations(decide(template))


def test_template_prevents_recurrence_and_considers_a_recall(template):
    # 000 模板 6 (T-8): track to prevent recurrence; 模板 4 (T-4): a product defect: consider a recall.
    resolved = at("2026-12-02T10:00")
    duties = obligations(decide(template, product_defect=True, resolved_at=resolved))
    assert duties["prevent_recurrence"].due_at == resolved and duties["archive_record"].due_at == resolved
    assert "consider_recall" in duties
    assert "consider_recall" not in obligations(decide(template))


def test_template_money_needs_an_explicit_decision(template):
    # 000 模板 5 (T-6): the template names no amount: placeholder caps of 0, any claim is beyond them.
    d = decide(template, claimed_amount="100 CNY")
    assert d.remedy.cap is not None and d.remedy.cap.amount == 0
    assert list(d.remedy.options) == ["replacement", "refund", "compensation"]


# ---------------------------------------------------------------------------- Lychee Garden (000 荔园物业)


def test_lychee_garden_has_no_response_clock_or_follow_up_of_its_own(policy):
    # 000: 荔园物业's text gives no response time, and it stops inside 4.3 (no follow-up rule survives).
    d = decide(policy, category="service", resolved_at=at("2026-12-02T10:00"))
    assert (d.level, d.level_label) == ("general", "一般投诉")
    assert deadline(d, "response") is None and deadline(d, "first_reply") is None
    assert d.follow_up.status == "exempt"
    assert d.owner == "customer_service" and set(d.routes) == {"customer_service"}
    assert {"classify.otherwise", "route.otherwise"} <= fired(d)


@pytest.mark.parametrize(
    "fields, rule",
    [
        # 000 4.3: fire or injury is a serious complaint.
        ({"hazards": ["injury"]}, "hazard"),
        # 000 4.3: taken to the media is serious.
        ({"external": ["media"]}, "went_public"),
        # 000 4.3: judged serious at intake.
        ({"severity": "serious"}, "assessed_serious"),
    ],
)
def test_serious_complaints_are_reported_to_leadership_at_once(policy, fields, rule):
    # 000 4.3: reported at once to company leadership and the heads of the units concerned, who organise the handling.
    d = decide(policy, now="2026-12-01T10:05", category="public_repair", **fields)
    assert d.level == "major" and d.level_label == "严重投诉"
    assert rule in fired(d)
    assert d.owner == "leadership"
    assert set(d.routes) == {"leadership", "customer_service", "engineering"}
    report = next(e for e in d.escalations if e.rule == "serious_report")
    assert set(report.targets) == {"leadership", "unit_heads"}
    assert report.due_at == at("2026-12-01T10:00") and report.status == "due"


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


def test_every_complaint_is_taken_in_by_four_clears_one_report_and_dispatched_at_once(policy):
    # 000 4.1(2): hear, ask, repeat back, record clearly, then report; 3.5 (LG-6): every employee passes it on;
    # 4.2 (LG-9): analysed and dispatched at once.
    d = decide(policy, category="other")
    intake = obligations(d)["intake_four_clear"]
    assert "customer_service" in intake.by and intake.due_at == at("2026-12-01T10:00")
    assert list(obligations(d)["pass_on_promptly"].by) == ["all_staff"]
    assert deadline(d, "dispatch").due_at == at("2026-12-01T10:00") and deadline(d, "dispatch").rule == "dispatch_at_once"


def test_paid_repair_is_quoted_and_consented_before_dispatch(policy):
    # 000 4.2(1): a paid repair is priced from the tariff and needs the customer's consent before dispatch.
    d = decide(policy, category="in_home_repair", paid=True)
    quote = obligations(d)["quote_and_consent"]
    assert quote.due_at == at("2026-12-01T10:00")
    assert "engineering" == d.owner
    assert deadline(d, "dispatch") is None  # not before the consent
    consented = decide(policy, category="in_home_repair", paid=True, consent_at=at("2026-12-01T11:00"))
    assert deadline(consented, "dispatch").due_at == at("2026-12-01T11:00")
    free = decide(policy, category="in_home_repair", paid=False)
    assert "quote_and_consent" not in obligations(free)
    assert deadline(free, "dispatch").rule == "dispatch_at_once"


def test_dispatch_without_consent_is_flagged(policy):
    # 000 4.2(1): "经认可后…派发至工程部": a dispatched paid repair without consent goes to the lead.
    d = decide(policy, now="2026-12-01T11:00", category="in_home_repair", paid=True,
               dispatched_at=at("2026-12-01T10:30"))
    assert "dispatched_without_consent" in due_escalations(d)
    ok = decide(policy, now="2026-12-01T11:00", category="in_home_repair", paid=True,
                consent_at=at("2026-12-01T10:20"), dispatched_at=at("2026-12-01T10:30"))
    assert "dispatched_without_consent" not in active_escalations(ok)


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


def test_work_order_is_assigned_at_once_kept_in_contact_and_its_copy_returned(policy):
    # 000 4.2(1)a (LG-14): assigned to a team at once, the signed copy back to customer service;
    # 4.2(1)c (LG-16): customer service keeps in contact while the repair is open.
    dispatched, resolved = at("2026-12-01T10:30"), at("2026-12-01T16:00")
    open_ = obligations(decide(policy, category="public_repair", dispatched_at=dispatched))
    assert open_["assign_work_order"].due_at == dispatched and "engineering" in open_["assign_work_order"].by
    assert "keep_in_contact" in open_
    done = obligations(decide(policy, category="public_repair", dispatched_at=dispatched, resolved_at=resolved))
    assert done["return_signed_copy"].due_at == resolved and "keep_in_contact" not in done
    assert "assign_work_order" not in obligations(decide(policy, category="mail"))


def test_paid_repair_is_signed_off_and_billed_on_completion(policy):
    # 000 4.2(1): the customer signs off quality and satisfaction; the fee goes on the management-fee bill.
    resolved = at("2026-12-01T16:00")
    d = decide(policy, category="in_home_repair", paid=True, resolved_at=resolved)
    duties = obligations(d)
    assert duties["customer_sign_off"].due_at == resolved and "engineering" in duties["customer_sign_off"].by
    assert duties["bill_fee"].due_at == resolved


# ---------------------------------------------------------------------------- 001 part 1: the work instruction


def test_first_reply_within_one_working_day(guide):
    # 001 part 1, 4.1(1): every complaint gets a first reply within one working day, solved or not.
    d = decide(guide, received_at=at("2026-12-04T17:00"))  # a Friday: the weekend does not count
    assert deadline(d, "first_reply").due_at == at("2026-12-07T17:00")
    assert deadline(decide(guide, category="routine_visit"), "first_reply") is None


@pytest.mark.parametrize(
    "rating, signed",
    [
        ("dissatisfied", True),  # 001 part 1, 4.3(1): the owner was dissatisfied
        ("unrated", True),  # 001 part 1, 4.3(1): the owner gave no rating
        ("satisfied", False),  # 001 part 1, 4.3(1): the owner did not sign
    ],
)
def test_minor_repair_follow_up_is_mandatory_when_not_signed_off_satisfied(guide, rating, signed):
    # 001 part 1, 4.1(4) (P1-7): on the day of the repair or the next: by the close of the next working day.
    d = decide(guide, category="in_home_repair", work_order_rating=rating, work_order_signed=signed,
               resolved_at=at("2026-12-01T16:00"))  # a Tuesday
    assert d.follow_up.rule == "repair_mandatory"
    assert d.follow_up.status == "required"
    assert d.follow_up.due_at == at("2026-12-02T18:00")
    assert "customer_service_assistant" in d.follow_up.by
    late = decide(guide, category="in_home_repair", resolved_at=at("2026-12-04T17:00"))  # a Friday
    assert late.follow_up.due_at == at("2026-12-07T18:00")


def test_at_least_30_percent_of_satisfied_minor_repairs_are_sampled(guide):
    # 001 part 1, 4.1(5): at least 30% of in-home minor repairs each month; sampled deterministically.
    statuses = []
    for n in range(200):
        d = decide(guide, id=f"repair-{n}", category="in_home_repair", work_order_rating="satisfied",
                   work_order_signed=True, resolved_at=at("2026-12-01T16:00"))
        assert d.follow_up.rule == "repair_sample"
        assert percent(d.follow_up.rate) == 30
        statuses.append(d.follow_up.status)
    assert set(statuses) <= {"required", "not_sampled"}
    assert 0.2 <= statuses.count("required") / len(statuses) <= 0.4
    again = decide(guide, id="repair-7", category="in_home_repair", work_order_rating="satisfied",
                   work_order_signed=True, resolved_at=at("2026-12-01T16:00"))
    assert again.follow_up.status == statuses[7]  # the same record is always sampled the same way


@pytest.mark.parametrize(
    "fields, rule, days, by",
    [
        # 001 part 1, 4.1(2), 4.2(2): a major complaint whose fix cannot be checked at once: lead or PM, within 5 days.
        ({"severity": "major", "fix_check": "deferred"}, "major_deferred", 5, {"customer_service_lead", "project_manager"}),
        # 001 part 1, 3.1, 4.1(2): a major complaint: lead or project manager, in person, within 3 days.
        ({"severity": "major"}, "major", 3, {"customer_service_lead", "project_manager"}),
        # 001 part 1, 4.2(4): a complaint made to the company: the company's 客服组.
        ({"intake": "company"}, "company_follow_up", 3, {"company_service_team"}),
        # 001 part 1, 4.1(7): key customers by the lead or project manager; 3-5 days when not checkable.
        ({"key_customer": True, "fix_check": "recurring"}, "key_customer_deferred", 5, {"customer_service_lead", "project_manager"}),
        ({"key_customer": True}, "key_customer", 3, {"customer_service_lead", "project_manager"}),
        # 001 part 1, 4.2(2): a recurring problem: the window is extended (placeholder 7 days).
        ({"fix_check": "recurring"}, "recurring", 7, {"customer_service_assistant"}),
        # 001 part 1, 4.2(2): a fix that cannot be checked on the spot: three to five days.
        ({"fix_check": "deferred"}, "deferred", 5, {"customer_service_assistant"}),
        # 001 part 1, 4.1(1)-(3): every other complaint within 3 days, by the assistant.
        ({}, "follow_up.otherwise", 3, {"customer_service_assistant"}),
    ],
)
def test_complaint_follow_up_windows_and_who(guide, fields, rule, days, by):
    resolved = at("2026-12-02T10:00")
    d = decide(guide, resolved_at=resolved, **fields)
    assert d.follow_up.rule == rule
    assert d.follow_up.status == "required"  # 001 part 1, 4.1(3): 100% of complaints
    assert d.follow_up.due_at == resolved + dt.timedelta(days=days)
    assert set(d.follow_up.by) == by
    if rule.startswith("major"):
        assert list(d.follow_up.via) == ["visit"]  # 001 part 1, 4.1(2): usually in person


def test_company_intake_is_arranged_by_the_project_manager(guide):
    # 001 part 1, 4.2(4) (P1-15): the company 客服组 passes it to the project manager, who arranges the handling.
    d = decide(guide, intake="company")
    assert d.owner == "project_manager" and set(d.routes) == {"project_manager", "company_service_team"}
    assert decide(guide).owner == "customer_service_team"


def test_routine_visits_are_done_within_the_month(guide):
    # 001 part 1, 4.1(6), 4.4(2) (P1-9): the assistant visits monthly; each visit is a record, due within the month.
    d = decide(guide, category="routine_visit")
    assert d.follow_up.rule == "routine_visit" and d.follow_up.status == "required"
    assert d.follow_up.due_at == at("2027-01-01T10:00")
    assert set(d.follow_up.via) == {"phone", "visit"}
    duties = obligations(d)
    assert "follow_up_record" in duties and "routine_visit_content" in duties  # 4.1(8), 4.4(1)
    assert "review_visit_issues" not in duties


def test_issues_found_in_follow_ups_become_complaints(guide):
    # 001 part 1, 4.3(3), 4.4(5) (P1-18): a problem found goes to the departments; 4.4(4)-(6) (P1-22): reviewed by the lead.
    duties = obligations(decide(guide, category="routine_visit", issue_found=True))
    assert "refer_found_issue" in duties and "customer_service_lead" in duties["review_visit_issues"].by
    assert "review_visit_issues" not in obligations(decide(guide, issue_found=True))


def test_completed_complaint_is_signed_by_the_owner_and_filed(guide):
    # 001 part 1, 4.2(1) (P1-12): the owner signs 满意/不满意; 4.2(3), 4.5: the form is signed and filed.
    resolved = at("2026-12-02T10:00")
    duties = obligations(decide(guide, resolved_at=resolved))
    assert duties["archive_form"].due_at == resolved and duties["owner_sign_off"].due_at == resolved
    assert "owner_sign_off" not in obligations(decide(guide, category="in_home_repair", resolved_at=resolved))


def test_dissatisfied_owner_brings_the_managers_review(guide):
    # 001 part 1, 4.6(5) (P1-23): great dissatisfaction: review the service and set corrective measures.
    unhappy = [{"at": at("2026-12-03T10:00"), "method": "phone", "satisfied": False}]
    assert "manager_review" in obligations(decide(guide, resolved_at=at("2026-12-02T10:00"), follow_ups=unhappy))
    happy = [{"at": at("2026-12-03T10:00"), "method": "phone", "satisfied": True}]
    assert "manager_review" not in obligations(decide(guide, resolved_at=at("2026-12-02T10:00"), follow_ups=happy))


def test_month_end_rate_below_30_percent_is_topped_up_with_satisfied_owners(guide):
    # 001 part 1, 4.3(4): if the month-end minor-repair rate is below 30%, satisfied owners are sampled to reach it.
    records = []
    for n in range(20):
        day = f"2026-12-{1 + n:02d}"
        record = {"id": f"m-{n}", "category": "in_home_repair", "work_order_rating": "satisfied",
                  "work_order_signed": True, "received_at": f"{day}T10:00+08:00", "resolved_at": f"{day}T16:00+08:00"}
        if n < 2:  # two owners were called back the next morning
            record["follow_ups"] = [{"at": f"2026-12-{2 + n:02d}T10:00+08:00", "method": "phone", "satisfied": True}]
        records.append(record)
    report = guide.follow_up_report(records, "2026-12")
    quota = next(q for q in report.rules if q.rule == "repair_sample")
    assert len(quota.matching) == 20 and set(quota.followed_up) == {"m-0", "m-1"}
    assert quota.required == 6 and quota.shortfall == 4 and not quota.met
    assert len(quota.to_add) >= 4 and not set(quota.to_add) & {"m-0", "m-1"}


# ---------------------------------------------------------------------------- 001 part 2: the follow-up rules


def test_follow_up_owner_is_the_customer_service_supervisor(rules):
    # 001 part 2, 一 (P2-1): the one follow-up owner is the 客户服务部主管; 五: 100%.
    resolved = at("2026-12-02T10:00")
    d = decide(rules, resolved_at=resolved)
    assert d.follow_up.status == "required" and list(d.follow_up.by) == ["customer_service_supervisor"]
    assert d.follow_up.due_at == resolved + dt.timedelta(days=3)  # the placeholder window
    assert set(obligations(d)["check_follow_up_work"].by) == {"customer_service_director", "person_in_charge"}


def test_anonymous_complaint_is_not_followed_up_but_recorded(rules):
    # 001 part 2, 七: no name or address: no follow-up, the result is written down and kept.
    resolved = at("2026-12-02T10:00")
    d = decide(rules, anonymous=True, resolved_at=resolved)
    assert d.follow_up.rule == "anonymous" and d.follow_up.status == "exempt"
    duties = obligations(d)
    assert duties["record_anonymous"].due_at == resolved
    assert "follow_up_record" not in duties and "check_follow_up_work" not in duties


def test_repeat_complaint_is_escalated_to_the_person_in_charge(rules):
    # 001 part 2, 六: the same issue complained about repeatedly is reported to the person in charge.
    d = decide(rules, now="2026-12-01T10:01", repeat_count=1)
    esc = next(e for e in d.escalations if e.rule == "repeat_complaint")
    assert list(esc.targets) == ["person_in_charge"] and esc.status == "due"
    assert "repeat_complaint" not in active_escalations(decide(rules, now="2026-12-01T10:01"))


def test_same_issue_from_several_owners_may_be_answered_by_open_letter(rules):
    # 001 part 2, 四 (P2-5): "可以": the office decides whether to answer by an open letter.
    letter = obligations(decide(rules, owners_affected=12))["consider_open_letter"]
    assert "可以" in letter.label and list(letter.by) == ["management_office"]
    assert "consider_open_letter" not in obligations(decide(rules))


def test_new_issue_in_a_follow_up_gets_a_promised_reply_time(rules):
    # 001 part 2, 三: a new issue that cannot be answered at once gets a reply time.
    d = decide(rules, new_issue_raised=True)
    assert "customer_service_supervisor" in obligations(d)["promise_reply_time"].by


# ---------------------------------------------------------------------------- properties and coverage

CATEGORIES = parse_file(POLICY)[1].field("category").type.members

records = st.fixed_dictionaries(
    {
        "category": st.sampled_from(CATEGORIES),
        "severity": st.sampled_from(["simple", "serious"]),
        "paid": st.booleans(),
        "hazards": st.lists(st.sampled_from(["fire", "injury"]), unique=True),
        "consent_at": st.none() | st.just(at("2026-12-01T11:00")),
        "resolved_at": st.none() | st.just(at("2026-12-03T10:00")),
    }
)


@settings(max_examples=100, deadline=None)
@given(records)
def test_every_lychee_garden_complaint_is_routed_and_dispatched(policy, fields):
    fields = {k: v for k, v in fields.items() if v is not None}
    d = decide(policy, **fields)
    assert d.owner in d.routes
    waiting = fields["paid"] and fields["category"] == "in_home_repair" and "consent_at" not in fields
    assert (deadline(d, "dispatch") is None) == waiting  # dispatched at once, a paid repair after the consent
    if d.level == "major":
        assert "leadership" in d.routes and "serious_report" in active_escalations(d)


@pytest.mark.parametrize("path", [POLICY, TEMPLATE, GUIDE, RULES], ids=lambda p: p.stem)
def test_embedded_tests_pass_and_the_yaml_form_means_the_same(path):
    from complaint_rules.testing.runner import run_tests

    policy = complaint_rules.load(path)
    failures = [m for r in run_tests(policy) for m in r.messages()]
    assert failures == []
    # Issue 4: the .policy is the source; its YAML conversion means the same, with the same fingerprint.
    again = complaint_rules.loads(policy.to_yaml(), format="yaml", name=f"{path.stem}.yaml")
    assert again == policy and again.fingerprint == policy.fingerprint


def test_the_four_policies_share_no_rule_they_do_not_both_have_in_the_seed(policy, template, guide, rules):
    # Issue 20: one organisation per policy: 荔园物业 has neither the template's clocks nor 001's follow-ups.
    ids = {name: {r.id for r in ir.all_rules(p.ir)} for name, p in
           {"lychee": policy, "template": template, "guide": guide, "rules": rules}.items()}
    assert not ids["lychee"] & {"response", "complex_response", "first_reply", "repair_sample", "open_letter"}
    assert "response" in ids["template"] and "first_reply" in ids["guide"] and "repeat_complaint" in ids["rules"]
    assert "anonymous" not in ids["guide"]  # part 1 exempts no one; part 2's anonymous rule is part 2's
