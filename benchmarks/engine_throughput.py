"""In-process throughput: the engine beside its durable-rules floor and its plain-Python floor, in one run.

    python benchmarks/engine_throughput.py [--n 4000] [--rounds 3] [--seed 7] [--cpu-calls 3000]

Every mode evaluates the same realistic mix of patients (ART starts, IRIS, thalidomide, POEMS, pain, TB,
IL-2, routine follow-up; ``tests/reliability/scenario_gen.py``):

* ``full``      JSON dict -> ``Scenario`` (pydantic) -> derive -> durable-rules -> findings;
* ``evaluate``  ``Evaluator.evaluate(scenario)``: derive -> durable-rules -> findings;
* ``facts``     ``Evaluator.evaluate_facts(facts)``: durable-rules -> Python safety check -> findings;
* ``runtime``   ``DurableRuntime.evaluate(facts)``: the engine's durable-rules part alone;
* ``bare``      the same compiled ruleset JSON (``engine.compiler.compile_ruleset``) in a bare durable loop:
                trivial actions (chaining rules still assert their conclusion), a fresh session, a sentinel
                fact and a delete per evaluation -- the floor the engine's runtime sits on;
* ``python``    the same conditions in plain Python (``engine.conditions``), with fixed-point chaining.

Then the CPU time (``time.process_time``) of one ``Evaluator.evaluate(scenario, now)`` on a few named
patients (``_patients.py``): the 40-resource patient of the patient-view benchmarks, read through the FHIR
intake, and patients that take other paths. Target on the 40-resource patient: at most 250 µs.

Before timing, the four rule-firing paths are checked to agree on every patient. Rounds (at least 3)
alternate the modes so that drift on the machine touches them all alike; each figure is the median of the
rounds' figures, with their range in brackets (ratios too: one per round).
"""

from __future__ import annotations

import argparse
import gc
import itertools
import json
import random
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import _patients
import durable_rules_engine
from _common import Timing, machine, spread, table, write_section
from durable import engine as durable_engine

from engine.compiler import CONCLUSION_SINK_RULE, SENTINEL_RULE, compile_ruleset
from engine.conditions import Conjunction, test_holds, to_dnf
from engine.evaluator import Evaluator
from engine.knowledge import KnowledgeBase, load_knowledge_base
from engine.scenario import Scenario
from tests.reliability.scenario_gen import scenario_batch

Facts = dict[str, Any]
EVALUATE_TARGET_US = 250


class _QuietHost(durable_engine.Host):  # type: ignore[misc]
    """durable's Host without its timer threads (they read freed sessions and crash)."""

    def _run(self) -> None:
        return None


class BareDurable:
    """The compiled ruleset in the plainest durable loop that is safe: nothing of the engine's runtime.

    durable's own C calls, as ``Ruleset.do_actions`` makes them (and as the engine's runtime does, without
    durable's per-action Python objects): the action is named by the first key of durable's message.
    """

    def __init__(self, kb: KnowledgeBase) -> None:
        compiled = compile_ruleset(kb)
        self.fired: list[str] = []
        self._concludes: dict[str, tuple[tuple[str, str], ...]] = {}
        for name in compiled.definition:
            rule = compiled.rules.get(name)
            scope = "shadow" if rule and rule.shadow else "active"  # as engine/runtime.py asserts them
            self._concludes[name] = tuple(
                (f"{name}{i}", json.dumps({"t": "conclusion", "name": c, "scope": scope})[:-1])
                for i, c in enumerate(rule.concludes if rule else ())
            )
        definition = {name: {**body, "run": lambda c: None} for name, body in compiled.definition.items()}
        host = _QuietHost({"bare": definition})
        self._ruleset = host.get_ruleset("bare")
        self._handle = self._ruleset._handle
        self._rule_of = {name: r.rule_id for name, r in compiled.rules.items()}
        self._sids = itertools.count(1)

    def evaluate(self, facts: Mapping[str, Any]) -> list[str]:
        """One patient in a fresh session: sentinel + patient in one batch, actions, delete."""
        sid = f"b{next(self._sids)}"
        self.fired.clear()
        patient = {k: v for k, v in facts.items() if v is not None}
        payload = json.dumps(
            [{"t": "sentinel", "id": "s", "sid": sid}, {"t": "patient", "id": "p", "sid": sid, **patient}]
        )
        handle = self._handle
        try:
            _code, state_handle = durable_rules_engine.assert_facts(handle, payload)
            started = durable_rules_engine.start_action_for_state(handle, state_handle)
            state, message = started if started else (None, None)
            while message:
                name = message[2 : message.index('"', 2)]
                self.fired.append(name)
                for fact_id, head in self._concludes[name]:
                    durable_rules_engine.assert_fact(handle, f'{head}, "id": "{fact_id}", "sid": "{sid}"}}')
                durable_rules_engine.update_state(handle, state)
                message = durable_rules_engine.complete_and_start_action(handle, state_handle)
        finally:
            durable_rules_engine.delete_state(handle, sid)
        return [self._rule_of[n] for n in self.fired if n not in (SENTINEL_RULE, CONCLUSION_SINK_RULE)]


class PlainPython:
    """The same conditions (DNF from ``engine.conditions``) evaluated in Python, chaining to a fixed point."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self._rules: list[tuple[str, list[Conjunction], dict[str, float], tuple[str, ...]]] = [
            (r.id, to_dnf(r.condition), kb.params(r.id), tuple(r.concludes)) for r in kb.active_rules
        ]

    def evaluate(self, facts: Mapping[str, Any]) -> list[str]:
        """The ids of the rules whose condition holds, in rule order."""
        concluded: set[str] = set()
        while True:
            fired = [
                rid
                for rid, dnf, params, _ in self._rules
                if any(
                    all(c.name in concluded for c in conc)
                    and all(test_holds(t, facts, params) for t in tests)
                    for tests, conc in dnf
                )
            ]
            more = {c for rid, _, _, concludes in self._rules if rid in fired for c in concludes}
            if more <= concluded:
                return fired
            concluded |= more


def _time(fn: Callable[[Any], object], inputs: Sequence[Any]) -> Timing:
    clock = time.perf_counter
    samples = []
    start = clock()
    for item in inputs:
        t0 = clock()
        fn(item)
        samples.append(clock() - t0)
    return Timing(samples, clock() - start)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=4000, help="patients per mode per round (default 4000)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds, alternating the modes (default 3)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--cpu-calls", type=int, default=3000, help="evaluations per named patient per round (default 3000)"
    )
    parser.add_argument("--no-write", action="store_true", help="print only; leave RESULTS.md alone")
    args = parser.parse_args(argv)

    kb = load_knowledge_base()
    evaluator = Evaluator(kb)
    bare = BareDurable(kb)
    plain = PlainPython(kb)

    raw = scenario_batch(args.n, args.seed, "realistic")
    scenarios = [Scenario.model_validate(s) for s in raw]
    evaluations = [evaluator.evaluate(s) for s in scenarios]
    facts_models = [e.facts for e in evaluations]
    facts = [f.model_dump() for f in facts_models]

    # The floors must compute the same thing, or the comparison means nothing.
    for i, f in enumerate(facts):
        engine_ids = sorted(set(evaluator.fired_rule_ids(facts_models[i])))
        if not (engine_ids == sorted(set(bare.evaluate(f))) == sorted(plain.evaluate(f))):
            raise SystemExit(f"patient {i}: engine, bare durable and plain Python disagree")
    firing = sum(1 for e in evaluations if e.findings) / len(evaluations)
    per_patient = sum(len(e.findings) for e in evaluations) / len(evaluations)

    modes: dict[str, tuple[str, Callable[[Any], object], Sequence[Any]]] = {
        "full": ("JSON -> Scenario -> derive -> durable -> findings", _full(evaluator), raw),
        "evaluate": ("Evaluator.evaluate(scenario)", evaluator.evaluate, scenarios),
        "facts": ("Evaluator.evaluate_facts(facts)", evaluator.evaluate_facts, facts_models),
        "runtime": ("engine runtime: DurableRuntime.evaluate(facts)", evaluator.runtime.evaluate, facts),
        "bare": ("bare durable-rules loop, same ruleset", bare.evaluate, facts),
        "python": ("plain Python, same conditions", plain.evaluate, facts),
    }
    for _, fn, inputs in modes.values():  # warm-up
        for item in inputs[:300]:
            fn(item)
    runs: dict[str, list[Timing]] = {k: [] for k in modes}
    order = list(modes)
    shuffle = random.Random(args.seed)
    rounds = max(3, args.rounds)
    for _ in range(rounds):
        shuffle.shuffle(order)
        for key in order:
            _, fn, inputs = modes[key]
            gc.collect()
            runs[key].append(_time(fn, inputs))
    rows = [
        [
            key,
            label,
            spread([t.rate for t in runs[key]], "{:,.0f}"),
            spread([t.median_us for t in runs[key]], "{:,.1f}"),
            spread([t.p99_us for t in runs[key]], "{:,.1f}"),
        ]
        for key, (label, _, _) in modes.items()
    ]
    results = table(["mode", "what is timed", "evaluations/s", "median µs", "p99 µs"], rows)

    def ratios_of(a: str, b: str) -> list[float]:
        return [x.median_us / y.median_us for x, y in zip(runs[a], runs[b], strict=True)]

    def ratio(a: str, b: str) -> str:
        throughput = [y.rate / x.rate for x, y in zip(runs[a], runs[b], strict=True)]
        return f"{spread(ratios_of(a, b), '{:.2f}')}× (median), {spread(throughput, '{:.2f}')}× (throughput)"

    ratio_rows = [
        ["engine runtime / bare durable (target ≤ 1.5×)", ratio("runtime", "bare")],
        ["evaluate_facts / bare durable", ratio("facts", "bare")],
        ["evaluate(scenario) / bare durable", ratio("evaluate", "bare")],
        ["full (JSON in) / bare durable", ratio("full", "bare")],
        ["bare durable / plain Python", ratio("bare", "python")],
    ]
    ratios = table(["ratio", "value"], ratio_rows)
    verdict = sorted(ratios_of("runtime", "bare"))[rounds // 2] <= 1.5
    head = (
        f"Machine: {machine()}\n\n"
        f"Command: `python benchmarks/engine_throughput.py --n {args.n} --rounds {rounds} "
        f"--seed {args.seed} --cpu-calls {args.cpu_calls}`\n\n"
        f"{args.n:,} realistic patients (seed {args.seed}), {rounds} rounds per mode; each figure is the "
        "median of the rounds with their range in brackets; "
        f"{firing:.0%} of patients get at least one finding, "
        f"{per_patient:.2f} findings per patient on average. All four rule paths fired the same rules "
        f"for every patient.\n"
    )
    cpu = cpu_per_evaluate(evaluator, args.cpu_calls, rounds, args.seed)
    body = (
        f"{head}\n{results}\n\n{ratios}\n\n"
        f"Durable part within 1.5× of the bare loop: **{'yes' if verdict else 'NO'}**.\n\n{cpu}"
    )
    print(body)
    if not args.no_write:
        write_section("engine_throughput", "In-process throughput (engine_throughput.py)", body)
    return 0


def cpu_per_evaluate(evaluator: Evaluator, calls: int, rounds: int, seed: int) -> str:
    """CPU time of ``Evaluator.evaluate(scenario, now)`` on each named patient: ``calls`` evaluations per
    patient per round, the patients in a new order each round; the median of the rounds and their range."""
    now = datetime.now(UTC)
    patients = _patients.build(now)
    topics = {label: evaluator.evaluate(s, now).topics for label, s in patients.items()}
    for scenario in patients.values():  # warm-up
        for _ in range(min(calls, 300)):
            evaluator.evaluate(scenario, now)
    per_call: dict[str, list[float]] = {label: [] for label in patients}
    order = list(patients)
    shuffle = random.Random(seed)
    for _ in range(rounds):
        shuffle.shuffle(order)
        for label in order:
            scenario = patients[label]
            gc.collect()
            started = time.process_time()
            for _ in range(calls):
                evaluator.evaluate(scenario, now)
            per_call[label].append((time.process_time() - started) / calls * 1e6)
    rows = [[label, str(len(topics[label])), spread(per_call[label], "{:,.0f}")] for label in patients]
    first = next(iter(patients))
    held = sorted(per_call[first])[rounds // 2] <= EVALUATE_TARGET_US
    return (
        f"CPU per `Evaluator.evaluate(scenario, now)` (`time.process_time`, {calls:,} calls per patient "
        f"per round, {rounds} rounds; median with range; patients from `benchmarks/_patients.py`):\n\n"
        f"{table(['patient', 'findings', 'CPU µs per evaluate'], rows)}\n\n"
        f"40-resource patient within {EVALUATE_TARGET_US} µs: **{'yes' if held else 'NO'}**.\n"
    )


def _full(evaluator: Evaluator) -> Callable[[Any], object]:
    def run(data: Any) -> object:
        return evaluator.evaluate(Scenario.model_validate(data))

    return run


if __name__ == "__main__":
    raise SystemExit(main())
