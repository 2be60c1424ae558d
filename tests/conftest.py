"""Shared test settings: hypothesis profiles.

CI runs the default profile. ``HYPOTHESIS_PROFILE=long`` is for campaigns outside CI: it raises every
property test's example budget 50-fold, including tests that set their own ``max_examples``.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "default")
LONG_FACTOR = 50

settings.register_profile("default", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile(
    "long", deadline=None, max_examples=100 * LONG_FACTOR,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(PROFILE)


def pytest_collection_modifyitems(config, items):
    if PROFILE != "long":
        return
    for item in items:
        test = getattr(item, "obj", None)
        own = getattr(test, "_hypothesis_internal_use_settings", None)
        if own is not None:
            test._hypothesis_internal_use_settings = settings(
                own, max_examples=own.max_examples * LONG_FACTOR, deadline=None
            )


def pytest_report_header(config):
    return f"hypothesis profile: {PROFILE}"
