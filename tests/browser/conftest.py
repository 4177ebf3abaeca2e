"""Collects the axe-core results of the browser test and prints them after the run.

Only violations of "serious" or "critical" impact fail a page; the summary lists
every violation (any impact), so the report can quote the full axe results.
"""

from __future__ import annotations

import collections

import pytest

AXE_RESULTS = pytest.StashKey[dict]()
PAGE_WEIGHTS = pytest.StashKey[dict]()


@pytest.fixture(scope="session")
def page_weights(request):
    """``{page: (own bytes, bytes with shared assets)}``, filled in by the page test."""
    return request.config.stash.setdefault(PAGE_WEIGHTS, {})


@pytest.fixture(scope="session")
def axe_results(request):
    """``{page: [violation, ...]}``, filled in by the page test, printed at the end."""
    return request.config.stash.setdefault(AXE_RESULTS, {})


def summarise(results: dict) -> list[str]:
    """Lines of text: violations counted by impact, then one line per rule."""
    by_impact = collections.Counter()
    by_rule = {}
    for page, violations in results.items():
        for violation in violations:
            impact = violation.get("impact") or "unknown"
            nodes = len(violation.get("nodes", []))
            by_impact[impact] += nodes
            rule = by_rule.setdefault(
                violation["id"], {"impact": impact, "help": violation["help"], "pages": {}}
            )
            rule["pages"][page] = nodes
    order = ["critical", "serious", "moderate", "minor", "unknown"]
    lines = [
        f"axe-core on {len(results)} pages: "
        + ", ".join(f"{impact} {by_impact[impact]}" for impact in order if impact != "unknown")
        + " (elements in violation, by impact)"
    ]
    for rule_id, rule in sorted(by_rule.items(), key=lambda item: order.index(item[1]["impact"])):
        pages = ", ".join(f"{page} ({n})" for page, n in sorted(rule["pages"].items()))
        lines.append(f"  [{rule['impact']}] {rule_id}: {rule['help']} -- {pages}")
    return lines


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    weights = config.stash.get(PAGE_WEIGHTS, None)
    if weights:
        terminalreporter.section("page weights, cold load: own, with shared assets")
        for page, (own, total) in sorted(weights.items(), key=lambda item: -item[1][0]):
            terminalreporter.write_line(f"{own / 1e6:6.2f} MB  {total / 1e6:6.2f} MB  {page}")
    results = config.stash.get(AXE_RESULTS, None)
    if not results:
        return
    terminalreporter.section("axe-core accessibility summary")
    for line in summarise(results):
        terminalreporter.write_line(line)
