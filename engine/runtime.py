"""A hardened durable-rules runtime: one ruleset per process, one fresh session per evaluation.

Each measure answers a fact about durable-rules 2.0.28 established on this machine (DESIGN.md):

* no background timer thread (it reads freed sessions): :class:`_QuietHost` disables ``Host._run``;
* evaluations are serialised by one lock per process (the C code holds the GIL anyway);
* every evaluation uses a fresh session id and deletes it in ``finally`` (at most 1,024 live sessions,
  and a reused session would mix patients);
* a sentinel fact that an always-matching rule handles is asserted first, so an action always runs
  (deleting a session in which no action ran crashes the process) and a batch is never rejected whole;
* facts go in as one batch through ``durable_rules_engine.assert_facts``; the actions then run in this
  module's loop over durable's own C calls (``start_action_for_state``, ``update_state``,
  ``complete_and_start_action``: the calls ``Ruleset.do_actions`` makes), without the Python objects and
  JSON round trips durable's loop spends per action (about half the runtime's CPU);
* numbers are written without exponents (durable rejects ``1e-05``), and only typed facts are sent;
* exceptions inside actions are collected, every action is still completed, and the first is raised.
"""

from __future__ import annotations

import functools
import itertools
import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from json.encoder import encode_basestring as _encode_string
from typing import Any, NamedTuple

import durable_rules_engine
import msgspec
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


def encode_fields(fact: Mapping[str, bool | int | float | str | None]) -> str:
    """The fields of a flat fact as JSON, without the braces; None values are left out so that they match
    no test."""
    return ",".join([_encode_key(k) + encode_value(v) for k, v in fact.items() if v is not None])


def encode_fact(fact: Mapping[str, bool | int | float | str | None]) -> str:
    """A flat fact as JSON; None values are left out so that they match no test."""
    return "{" + encode_fields(fact) + "}"


class _Plan(NamedTuple):
    rule_id: str
    conclusions: tuple[tuple[str, str], ...]


def _not_called(c: Any) -> None:
    raise EngineError("durable's own action loop is not used: DurableRuntime runs the actions")


class DurableRuntime:
    """Evaluates flat patient facts against a compiled ruleset; safe to call from many threads."""

    def __init__(self, compiled: CompiledRuleset) -> None:
        self._compiled = compiled
        self._lock = threading.Lock()
        self._sessions = itertools.count(1)
        self._fired: list[Firing] = []
        self._errors: list[BaseException] = []
        self._asserted: set[tuple[str, str]] = set()
        self._plans = {name: self._plan(name) for name in compiled.definition}
        # durable's Host wants an action per rule; the actions are run by :meth:`_run_actions` instead.
        definition = {name: {**body, "run": _not_called} for name, body in compiled.definition.items()}
        self._host = _QuietHost({RULESET_NAME: definition})
        self._ruleset = self._host.get_ruleset(RULESET_NAME)
        self._handle = self._ruleset._handle
        self._closed = False
        self.live_sessions = 0

    def _plan(self, name: str) -> _Plan:
        """What the action of durable rule ``name`` does: the rule id it reports, and each conclusion it
        asserts with the start of that fact's JSON (the fact and session ids differ per evaluation)."""
        compiled = self._compiled.rules.get(name)
        if compiled is None:
            return _Plan(name, ())
        scope = "shadow" if compiled.shadow else "active"
        by = json.dumps(compiled.rule_id)
        return _Plan(
            compiled.rule_id,
            tuple(
                (c, f'{{"t":"conclusion","name":{json.dumps(c)},"by":{by},"scope":"{scope}"')
                for c in compiled.concludes
            ),
        )

    def _run_action(self, name: str, sid: str) -> None:
        """The action of one durable rule: record the firing and assert its conclusions (once each)."""
        rule_id, conclusions = self._plans[name]
        self._fired.append(Firing(name, rule_id))
        for conclusion, head in conclusions:
            key = (conclusion, rule_id)
            if key in self._asserted:
                continue
            self._asserted.add(key)
            fact = f'{head},"id":"c{len(self._asserted)}","sid":"{sid}"}}'
            code = durable_rules_engine.assert_fact(self._handle, fact)[0]
            if code in (1, 2):  # durable's Python layer raises for these (not handled, already observed)
                raise EngineError(f"durable-rules refused the conclusion {fact} (code {code})")

    def _action_name(self, message: str) -> str:
        """The rule a pending action belongs to: the first (only) key of durable's action message."""
        # durable writes the message compactly as {"<rule name>":{...}}; our rule names need no escaping.
        end = message.find('"', 2)
        name = message[2:end] if message.startswith('{"') and end > 2 else ""
        if name not in self._plans:
            decoded = msgspec.json.decode(message)
            name = next(iter(decoded)) if isinstance(decoded, dict) and decoded else ""
        if name not in self._plans:
            raise EngineError(f"durable-rules asked for an unknown action: {message[:80]!r}")
        return name

    def _run_actions(self, state_handle: int, sid: str) -> None:
        """Run the pending actions of one session, as durable's ``Ruleset.do_actions`` does, without its
        per-action Python objects and JSON round trips: durable-rules hands out one action at a time
        (``start_action_for_state``, then ``complete_and_start_action``), and an action may assert facts
        that make further rules fire. Exceptions are collected, and every action is completed, so the
        session is always left in a state that can be deleted."""
        handle = self._handle
        started = durable_rules_engine.start_action_for_state(handle, state_handle)
        if not started:
            return
        state, message = started[0], started[1]
        while message:
            try:
                self._run_action(self._action_name(message), sid)
            except BaseException as exc:  # as durable does, finish the action and report afterwards
                self._errors.append(exc)
            # The session state is written back unchanged (our actions never touch it), as durable does.
            durable_rules_engine.update_state(handle, state)
            message = durable_rules_engine.complete_and_start_action(handle, state_handle)

    def evaluate(self, facts: Mapping[str, bool | int | float | str | None]) -> list[Firing]:
        """Run one patient's facts in a fresh session and return the rules that fired, in firing order."""
        with self._lock:
            if self._closed:
                raise EngineError("this durable-rules runtime was closed")
            sid = f"s{next(self._sessions)}"
            self._fired, self._errors, self._asserted = [], [], set()
            fields = encode_fields(facts)
            payload = (
                f'[{{"t":"sentinel","id":"sentinel","sid":"{sid}"}},'
                f'{{"t":"patient","id":"patient","sid":"{sid}"{"," if fields else ""}{fields}}}]'
            )
            self.live_sessions += 1
            try:
                code, state_handle = durable_rules_engine.assert_facts(self._handle, payload)
                if code not in (0, 1):  # 1: some fact matched nothing, which is normal for a patient
                    raise EngineError(f"durable-rules rejected the facts (code {code})")
                self._run_actions(state_handle, sid)
            except EngineError:
                raise
            except Exception as exc:
                raise EngineError(f"durable-rules failed: {exc}") from exc
            finally:
                durable_rules_engine.delete_state(self._handle, sid)
                self.live_sessions -= 1
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
