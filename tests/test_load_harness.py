"""The arithmetic of `make load` (tests/load/run.py): the order of the phases and how repeated
runs of a phase are pooled. The runs themselves are `make load`'s."""

from __future__ import annotations

from tests.load.run import Measures, Phase, Row, checks, phase_order, pooled


def run(name: str, times: dict[float, int], *, failures: int = 0, cpu: float = 10) -> Phase:
    rows = [Row("read: page", sum(times.values()), failures, times, {"200": 1}, "GET")]
    return Phase(name, 300, rows, Measures([(5, 1.0)], {"gunicorn": cpu}), 0.5, [100.0])


def test_rounds_alternate_the_order_of_the_phases() -> None:
    assert phase_order(["baseline", "abuse"], 1) == ["baseline", "abuse"]
    assert phase_order(["baseline", "abuse"], 2) == ["baseline", "abuse", "abuse", "baseline"]
    assert phase_order(["abuse"], 3) == ["abuse", "abuse", "abuse"]


def test_pooled_runs_count_every_response_of_every_run() -> None:
    fast = run("baseline", {100: 95, 200: 5})
    slow = run("baseline", {100: 50, 300: 50}, failures=2, cpu=20)
    both = pooled([fast, slow])
    read = both.group("read")
    assert read.requests == 200 and read.failures == 2
    assert read.times == {100: 145, 200: 5, 300: 50}
    assert read.percentile(0.5) == 100 and read.percentile(0.95) == 300
    assert both.seconds == 600 and both.measures.cpu == {"gunicorn": 30}
    assert pooled([fast]) is fast


def test_the_abuse_target_compares_pooled_p95s() -> None:
    baseline = pooled([run("baseline", {100: 100}), run("baseline", {120: 100})])
    abuse = pooled([run("abuse", {110: 100}), run("abuse", {130: 100})])
    verdicts = dict(checks({"baseline": baseline, "abuse": abuse}))
    assert verdicts["abuse: read p95 130 ms vs 120 ms (<= 132, +10%)"] is True
    slower = pooled([run("abuse", {140: 100}), run("abuse", {100: 100})])
    assert (
        dict(checks({"baseline": baseline, "abuse": slower}))[
            "abuse: read p95 140 ms vs 120 ms (<= 132, +10%)"
        ]
        is False
    )
