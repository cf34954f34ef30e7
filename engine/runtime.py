"""A hardened durable-rules runtime: one ruleset per process, one fresh session per evaluation.

Each measure answers a fact about durable-rules 2.0.28 established on this machine (DESIGN.md):

* no background timer thread (it reads freed sessions): :class:`_QuietHost` disables ``Host._run``;
* evaluations are serialised by one lock per process (the C code holds the GIL anyway);
* every evaluation uses a fresh session id and deletes it in ``finally`` (at most 1,024 live sessions,
  and a reused session would mix patients);
* a sentinel fact that an always-matching rule handles is asserted first, so an action always runs
  (deleting a session in which no action ran crashes the process) and a batch is never rejected whole;
* facts go in as one batch through ``durable_rules_engine.assert_facts``, then ``do_actions``;
* numbers are written without exponents (durable rejects ``1e-05``), and only typed facts are sent;
* exceptions inside actions, which durable swallows, are collected and raised.
"""

from __future__ import annotations

import functools
import itertools
import json
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from json.encoder import encode_basestring as _encode_string
from typing import Any

import durable_rules_engine
from durable import engine as durable_engine

from engine.compiler import CONCLUSION_SINK_RULE, SENTINEL_RULE, CompiledRuleset
from engine.errors import EngineError

RULESET_NAME = "clinrules"


class _QuietHost(durable_engine.Host):  # type: ignore[misc]
    """A durable Host without its background dispatch threads."""

    def _run(self) -> None:
        return None


@dataclass(frozen=True)
class Firing:
    """A durable rule that fired (``<rule id>#<branch>``) and the knowledge-base rule it belongs to."""

    name: str
    rule_id: str


def encode_value(value: bool | int | float | str) -> str:
    """JSON for one fact value, never in exponent form."""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        text = f"{value:.6f}".rstrip("0").rstrip(".")
        return text if text not in ("", "-0") else "0"
    return str(_encode_string(value))


@functools.lru_cache(maxsize=512)
def _encode_key(name: str) -> str:
    return json.dumps(name) + ":"


def encode_fact(fact: Mapping[str, bool | int | float | str | None]) -> str:
    """A flat fact as JSON; None values are left out so that they match no test."""
    parts = [_encode_key(k) + encode_value(v) for k, v in fact.items() if v is not None]
    return "{" + ",".join(parts) + "}"


class DurableRuntime:
    """Evaluates flat patient facts against a compiled ruleset; safe to call from many threads."""

    def __init__(self, compiled: CompiledRuleset) -> None:
        self._compiled = compiled
        self._lock = threading.Lock()
        self._sessions = itertools.count(1)
        self._fired: list[Firing] = []
        self._errors: list[BaseException] = []
        self._asserted: set[tuple[str, str]] = set()
        definition: dict[str, dict[str, Any]] = {}
        for name, body in compiled.definition.items():
            definition[name] = {**body, "run": self._action(name)}
        self._host = _QuietHost({RULESET_NAME: definition})
        self._ruleset = self._host.get_ruleset(RULESET_NAME)
        self._handle = self._ruleset._handle
        self._closed = False
        self.live_sessions = 0

    def _action(self, name: str) -> Callable[[Any], None]:
        compiled = self._compiled.rules.get(name)

        def run(c: Any) -> None:
            try:
                self._fired.append(Firing(name, compiled.rule_id if compiled else name))
                if compiled is None:
                    return
                for conclusion in compiled.concludes:
                    key = (conclusion, compiled.rule_id)
                    if key in self._asserted:
                        continue
                    self._asserted.add(key)
                    c.assert_fact(
                        {
                            "t": "conclusion",
                            "name": conclusion,
                            "by": compiled.rule_id,
                            "scope": "shadow" if compiled.shadow else "active",
                            "id": f"c{len(self._asserted)}",
                            "sid": c.s.sid,
                        }
                    )
            except BaseException as exc:  # durable would swallow it into the session state
                self._errors.append(exc)

        return run

    def evaluate(self, facts: Mapping[str, bool | int | float | str | None]) -> list[Firing]:
        """Run one patient's facts in a fresh session and return the rules that fired, in firing order."""
        with self._lock:
            if self._closed:
                raise EngineError("this durable-rules runtime was closed")
            sid = f"s{next(self._sessions)}"
            self._fired, self._errors, self._asserted = [], [], set()
            patient = {"t": "patient", "id": "patient", "sid": sid, **facts}
            payload = f'[{{"t":"sentinel","id":"sentinel","sid":"{sid}"}},{encode_fact(patient)}]'
            outcome: list[Any] = [None]

            def done(error: Any, _state: Any) -> None:
                outcome[0] = error

            self.live_sessions += 1
            try:
                code, state_handle = durable_rules_engine.assert_facts(self._handle, payload)
                if code not in (0, 1):  # 1: some fact matched nothing, which is normal for a patient
                    raise EngineError(f"durable-rules rejected the facts (code {code})")
                self._ruleset.do_actions(state_handle, done)
            except EngineError:
                raise
            except Exception as exc:
                raise EngineError(f"durable-rules failed: {exc}") from exc
            finally:
                self._ruleset.delete_state(sid)
                self.live_sessions -= 1
            if outcome[0] is not None:
                raise EngineError(f"durable-rules action failed: {outcome[0]}")
            if self._errors:
                raise EngineError(f"a rule action raised: {self._errors[0]!r}") from self._errors[0]
            if not any(f.name == SENTINEL_RULE for f in self._fired):
                raise EngineError("the sentinel rule did not fire: the session is not trustworthy")
            return [f for f in self._fired if f.name not in (SENTINEL_RULE, CONCLUSION_SINK_RULE)]

    def close(self) -> None:
        """Free the compiled ruleset inside durable-rules, which the Host never frees (about 340 KB each):
        a process that compiles many rule sets (mutation testing) closes each when done with it."""
        with self._lock:
            if not self._closed:
                self._closed = True
                durable_rules_engine.delete_ruleset(self._handle)

    def session_exists(self, sid: str) -> bool:
        """Whether durable-rules still holds state for ``sid`` (for tests of session hygiene)."""
        try:
            self._ruleset.get_state(sid)
        except Exception:
            return False
        return True
