"""Hooks of the harness's own tests: the mutation score of the planted defects.

``test_planted_defects.py`` records one entry per defect in its test report
(``record_property``), so the entries travel from pytest-xdist workers to the
controller, which prints the score at the end of the run.
"""

_MUTATION_PROPERTY = "mutation_score"  # test_planted_defects.MUTATION_PROPERTY
_results: dict[str, dict] = {}


def pytest_runtest_logreport(report):
    if report.when != "call":
        return
    for name, value in report.user_properties:
        if name == _MUTATION_PROPERTY:
            _results[value["name"]] = value


def pytest_terminal_summary(terminalreporter):
    if not _results:
        return
    caught = sum(r["caught"] for r in _results.values())
    total = len(_results)
    write = terminalreporter.write_line
    terminalreporter.section(
        f"mutation score: {caught}/{total} planted defects caught ({100 * caught / total:.0f}%)")
    for name in sorted(_results):
        r = _results[name]
        verdict = "caught by" if r["caught"] else "ESCAPED"
        write(f"{name:<34} {verdict} {r['property']}")
        write(f"{'':<34}   {r['how']}")
        if not r["caught"]:
            write(f"{'':<34}   reproduce: {r['reproduce']}")
