"""Evaluate with a 10-entry history against a hand-written function of the same decision, in the same run.

The policy has clocks in time (a first-contact clock that pauses while waiting for the customer and stops at
first contact, a resolution clock that pauses, stops at ``resolved`` and restarts on ``reopened``), a level
ruled by hazards, a route and an escalation the history can mark done. The hand-written function makes the same
decision for those parts (level, owner, both clocks' due times and states at ``now``, the escalation's status)
and is checked against the evaluator on every record before timing. Each round times both over the corpus;
the script prints min/median/max of the ratio (evaluator / hand-written) beside the project's 1.5x target, and
``MISSED`` where the ratio misses it.

    .venv/bin/python bench/bench_lifecycle.py [--records 2000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import time

import complaint_rules as cr

TARGET = 1.5
CN = dt.timezone(dt.timedelta(hours=8))
POLICY = """policy "bench-lifecycle" {
  timezone "Asia/Shanghai"
}
units { desk  boss }
statuses { waiting_customer  in_progress  resolved  reopened }
classify first {
  rule hot: hazards has any {fire} -> major
  otherwise -> general
}
route first {
  rule gm: level == major -> boss
  otherwise -> desk
}
deadlines {
  rule contact: first_contact = 24 hours after received_at pause while {waiting_customer} stop at first_contact_at
  rule handling: resolution = 5 days after received_at pause while {waiting_customer} stop at resolved restart on reopened
}
escalate {
  rule tell: notify boss immediately when level == major
}
"""
STATUSES = ("waiting_customer", "in_progress", "resolved", "reopened")


def corpus(n: int, seed: int = 7) -> list[dict]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        received = dt.datetime(2026, 3, 2, 9, tzinfo=CN) + dt.timedelta(minutes=rng.randrange(0, 60 * 24 * 200))
        t, history = received, []
        for _ in range(10):
            t += dt.timedelta(minutes=rng.choice((5, 30, 90, 240, 600, 1440)))
            if rng.random() < 0.1:
                history.append({"at": t, "rule": "tell"})
            else:
                history.append({"at": t, "status": rng.choice(STATUSES)})
        record = {"id": f"B-{i}", "received_at": received, "history": history,
                  "hazards": ["fire"] if rng.random() < 0.3 else []}  # fmt: skip
        if rng.random() < 0.5:
            record["first_contact_at"] = received + dt.timedelta(minutes=rng.randrange(10, 3000))
        out.append(record)
    return out


def _pauses(history, start, bound, pause):
    out, since = [], None
    for e in history:
        status = e.get("status")
        if status is None:
            continue
        if since is not None and status not in pause:
            out.append((since, e["at"]))
            since = None
        elif since is None and status in pause:
            since = e["at"]
    if since is not None:
        out.append((since, None))
    clipped = []
    for a, b in out:
        a = max(a, start)
        if b is not None and b <= a:
            continue
        if bound is not None:
            if a >= bound:
                continue
            b = bound if b is None or b > bound else b
        clipped.append((a, b))
    return clipped


def _cycle(history, start, end, length, met, now):
    if met is None and end is not None:
        met = end
    due = start + length
    paused_since = None
    for a, b in _pauses(history, start, met if met is not None else end, ("waiting_customer",)):
        if a >= due:
            break
        to = b if b is not None else (now if now > a else a)
        if a <= now and (b is None or b > now):
            paused_since = a
        due += to - a
    if now < start:
        return due, "not_started"
    if met is not None and met <= now:
        return due, "met" if met <= due else "breached"
    if paused_since is not None:
        return due, "paused"
    return due, "breached" if now >= due else "running"


def decide_by_hand(r: dict, now: dt.datetime) -> tuple:
    history = r["history"]
    level = "major" if "fire" in r["hazards"] else "general"
    owner = "boss" if level == "major" else "desk"
    received = r["received_at"]
    contact = r.get("first_contact_at")
    met = max(contact, received) if contact is not None else None
    fc_due, fc_state = _cycle(history, received, None, dt.timedelta(hours=24), met, now)
    starts = [received] + [e["at"] for e in history if e.get("status") == "reopened" and e["at"] > received]
    states = []
    for k, s in enumerate(starts):
        end = starts[k + 1] if k + 1 < len(starts) else None
        stop = next((e["at"] for e in history if e.get("status") == "resolved" and e["at"] >= s
                     and (end is None or e["at"] < end)), None)  # fmt: skip
        states.append(_cycle(history, s, end, dt.timedelta(days=5), stop, now))
    if level != "major":
        tell = "inactive"
    elif any(e.get("rule") == "tell" and e["at"] <= now for e in history):
        tell = "done"
    else:
        tell = "due" if now >= received else "pending"
    return level, owner, fc_due, fc_state, tuple(states), tell


def project(d: cr.Decision) -> tuple:
    fc = d.clock("first_contact")
    states = tuple((c.due_at, c.state) for c in d.clocks if c.clock == "resolution")
    return d.level, d.owner, fc.due_at, fc.state, states, d.escalation("tell").status


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    policy = cr.loads(POLICY, name="bench-lifecycle.policy")
    records = corpus(args.records)
    now = dt.datetime(2026, 9, 1, 12, tzinfo=CN)  # most complaints open before it, some after
    for r in records:  # the same decision, or the comparison means nothing
        assert project(policy.evaluate(r, now=now)) == decide_by_hand(r, now), r["id"]
    ratios, engine_times, hand_times = [], [], []
    for _ in range(max(3, args.rounds)):
        t0 = time.perf_counter()
        for r in records:
            policy.evaluate(r, now=now)
        t1 = time.perf_counter()
        for r in records:
            decide_by_hand(r, now)
        t2 = time.perf_counter()
        engine_times.append((t1 - t0) / len(records) * 1e6)
        hand_times.append((t2 - t1) / len(records) * 1e6)
        ratios.append((t1 - t0) / (t2 - t1))
    print(f"{len(records)} records, 10 history entries each, {len(ratios)} rounds")
    for name, values in (("evaluate (us/record)", engine_times), ("by hand (us/record)", hand_times),
                         ("ratio", ratios)):  # fmt: skip
        print(f"  {name:22} min {min(values):8.2f}  median {statistics.median(values):8.2f}  max {max(values):8.2f}")
    median = statistics.median(ratios)
    verdict = "met" if median <= TARGET else "MISSED"
    print(f"  target {TARGET}x: median ratio {median:.2f}x {verdict}")


if __name__ == "__main__":
    main()
