"""Finding the resources in a request, in one place: Bundle entries (nested too), ``contained`` resources,
``medicationReference`` targets (contained, elsewhere in the request, or fetched into it), and the parts of an
Observation (itself and its ``component``s)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from engine.fhir.bundles import MAX_BUNDLE_DEPTH, matches, next_link, short_of_total
from engine.fhir.medication_refs import same_drug
from engine.fhir.models import BundleShell, CodeableConcept, ObservationHead
from engine.fhir.report import Report
from engine.fhir.resource_types import RESOURCE_TYPES

# The resource types a rule reads; any other (valid) type is skipped without a look, except a Medication (an
# order's drug) and an OperationOutcome (the server's word on the data: its errors and warnings are noted).
# Other types (Encounter, Practitioner, AllergyIntolerance, ...) hold nothing any rule reads, and the
# prefetch templates ask for none of them, so skipping them is silent.
READ_TYPES = frozenset({"Patient", "Observation", "Condition", "MedicationRequest", "MedicationStatement"})
_ISSUE_CODE = re.compile(r"[a-z][a-z-]{0,39}")  # an OperationOutcome issue type (IssueType codes are so)


def looks_like_fhir(data: Any) -> bool:
    """True for a dict with a ``resourceType`` (a Bundle or a single resource), as FHIR JSON always has."""
    return isinstance(data, dict) and isinstance(data.get("resourceType"), str)


@dataclass(slots=True)
class Found:
    """One resource found in the input: the JSON, a label for messages, its Bundle fullUrl, and whether it is
    a draft order (from ``draftOrders``)."""

    raw: dict[str, Any]
    label: str
    full_url: str | None
    draft: bool
    type: str  # the resource type
    rid: str | None  # the resource id, when it has one
    # A Medication's code once read (several orders may point at one Medication: it is read once).
    code: CodeableConcept | None = None
    code_read: bool = False
    # The resource read whole (engine.fhir.wholes), once read: None when it is not valid throughout.
    whole: Any = None
    whole_read: bool = False


@dataclass
class Gathered:
    """Every resource a rule may read, deduplicated, and the Medications orders may point at."""

    found: list[Found]
    medications: dict[str, Found] = field(default_factory=dict)
    # Every MedicationRequest with an id, by id, before deduplication: (its JSON, whether a draft order).
    requests: dict[str, list[tuple[dict[str, Any], bool]]] = field(default_factory=dict)


class Gatherer:
    """Walks resources and Bundles; unknown resource types and malformed Bundles are problems."""

    def __init__(self, report: Report) -> None:
        self.report = report
        self.medications: dict[str, Found] = {}
        self._count = 0

    def gather(
        self, resources: Iterable[Any] | Mapping[str, Any], draft_orders: Iterable[Any] | dict[str, Any]
    ) -> Gathered:
        """The resources of the prefetch and the draft orders (only MedicationRequests are orders).

        ``resources`` may be the prefetch by template key: a prefetched Bundle or OperationOutcome is then
        named by its key in notes (``prefetch.conditions``), which is what an integrator can look up.

        ``draft_orders`` is a list of resources, or the ``draftOrders`` Bundle itself: then its entries are
        the draft resources, each with its ``fullUrl`` (a ``urn:uuid:`` reference to a Medication there
        resolves)."""
        orders: list[Found] = []
        if isinstance(draft_orders, dict) and draft_orders.get("resourceType") == "Bundle":
            self._entries(draft_orders.get("entry", []), "draftOrders", 0, True, orders)
        else:
            self._walk(_as_list(draft_orders), None, 0, True, orders)
        found = [f for f in orders if f.type == "MedicationRequest"]
        if isinstance(resources, Mapping) and not looks_like_fhir(resources):
            for key, value in resources.items():
                self._one(value, None, 0, False, found, f"prefetch.{key}")
        else:
            self._walk(_as_list(resources), None, 0, False, found)
        requests: dict[str, list[tuple[dict[str, Any], bool]]] = {}
        for item in found:
            if item.type == "MedicationRequest" and item.rid is not None:
                requests.setdefault(item.rid, []).append((item.raw, item.draft))
        return Gathered(self._deduplicate(found), self.medications, requests)

    def _walk(
        self, items: Iterable[Any], full_url: str | None, depth: int, draft: bool, out: list[Found]
    ) -> None:
        """Append to ``out`` every resource a rule reads in ``items`` (and the Bundles among them)."""
        for item in items:
            self._one(item, full_url, depth, draft, out)

    def _one(
        self, item: Any, full_url: str | None, depth: int, draft: bool, out: list[Found], key: str = ""
    ) -> None:
        self._count += 1
        kind = item.get("resourceType") if isinstance(item, dict) else None
        if not isinstance(kind, str):
            self.report.invalid(key or f"item {self._count}", "not a FHIR resource (no resourceType)")
            return
        self._typed(item, kind, full_url, depth, draft, out, key)

    def _typed(
        self,
        item: dict[str, Any],
        kind: str,
        full_url: str | None,
        depth: int,
        draft: bool,
        out: list[Found],
        key: str = "",
    ) -> None:
        """A resource whose ``resourceType`` is known to be a string (the ``_count``-th item; ``key`` names
        a prefetched one)."""
        rid = item.get("id")
        if not isinstance(rid, str) or not rid:
            rid = None
        label = f"{kind}/{rid}" if rid else f"{kind} (item {self._count})"
        if key and kind in ("Bundle", "OperationOutcome"):  # a rule's resource keeps "Type/id": it dedupes
            label = f"{key} ({kind}/{rid})" if rid else key
        if kind in READ_TYPES:
            out.append(Found(item, label, full_url, draft, kind, rid))
        elif kind == "Bundle":
            if depth >= MAX_BUNDLE_DEPTH:
                self.report.note(f"{label}: Bundles nested more than {MAX_BUNDLE_DEPTH} deep; left out")
                return
            self._bundle(item, label, depth, draft, out)
        elif kind == "Medication":
            found = Found(item, label, full_url, draft, kind, rid)
            if rid:
                self.medications[f"Medication/{rid}"] = found
            if full_url:
                self.medications[full_url] = found
        elif kind == "OperationOutcome":
            self._outcome(item, label, draft)
        elif kind not in RESOURCE_TYPES:
            self.report.invalid(label, f"'{kind[:64]}' is not an R4 resource type")

    def _outcome(self, outcome: dict[str, Any], where: str, draft: bool) -> None:
        """An OperationOutcome among the data (a search Bundle's ``outcome`` entry): an error or a warning is
        noted, since the data may be incomplete; information is not. ``where`` is the Bundle that holds it
        (else the OperationOutcome itself). Only the severity and the issue ``code`` (a fixed FHIR code) are
        said: the server's ``diagnostics`` and ``details`` are free text that may name another patient or
        carry a token, so they are never quoted."""
        issues = outcome.get("issue")
        source = "the FHIR server that gave this data sent"
        if draft:
            source = "the draft orders from the EHR hold an OperationOutcome with"
        for issue in issues if isinstance(issues, list) else []:
            if not isinstance(issue, dict):
                continue
            severity = issue.get("severity")
            if severity not in ("fatal", "error", "warning"):
                continue
            code = issue.get("code")
            said = f" (issue code '{code}')" if isinstance(code, str) and _ISSUE_CODE.fullmatch(code) else ""
            if severity == "warning":
                self.report.note(f"{where}: {source} a warning{said}")
            else:
                self.report.note(
                    f"{where}: {source} {'a fatal error' if severity == 'fatal' else 'an error'}{said}; "
                    "the data may be incomplete, so an alert may be missing"
                )

    def _bundle(self, bundle: dict[str, Any], label: str, depth: int, draft: bool, out: list[Found]) -> None:
        if next_link(bundle) is not None:
            self.report.next_links.append(label)
            self.report.note(
                f"{label}: only this page of the search result was given (it has a next link); "
                "the other pages were not read, so an alert may be missing"
            )
        elif short_of_total(bundle):
            self.report.note(
                f"{label}: the search result counts {bundle['total']} matches (Bundle.total) but holds "
                f"{matches(bundle)}; the others were not given, so an alert may be missing"
            )
        self._entries(bundle.get("entry", []), label, depth + 1, draft, out)

    def _entries(self, entries: Any, label: str, depth: int, draft: bool, out: list[Found]) -> None:
        """The resources of a Bundle's entries (the Bundle named ``label``), each with its ``fullUrl``."""
        if not _plain_entries(entries):  # the shell's validation names what is wrong
            shell = self.report.validate(BundleShell, {"entry": entries}, label)
            if shell is None:
                return
            entries = [{"fullUrl": e.fullUrl, "resource": e.resource} for e in shell.entry]
        typed = self._typed
        for index, entry in enumerate(entries):
            resource = entry.get("resource")
            if resource is None:
                continue  # an entry without a resource (a search link, a deleted resource) carries no data
            kind = resource.get("resourceType")
            if not isinstance(kind, str):
                self.report.invalid(
                    f"{label}.entry.{index}.resource", "not a FHIR resource (no resourceType)"
                )
                continue
            self._count += 1
            if kind == "OperationOutcome":  # named by the Bundle it came with: which search it is about
                self._outcome(resource, label, draft)
                continue
            typed(resource, kind, entry.get("fullUrl"), depth, draft, out)

    def _deduplicate(self, found: list[Found]) -> list[Found]:
        """Each resource once. A copy that differs from the first of its type and id is dropped with a note,
        except a medication (an order or statement): both are kept, so that which one came first never
        decides whether an alert appears. A prefetch copy of a draft order naming the same drug is the
        order before this edit: the draft wins, silently."""
        seen: dict[str, Found] = {}
        kept: list[Found] = []
        for item in found:
            if item.rid is None:
                kept.append(item)
                continue
            first = seen.setdefault(item.label, item)  # "Type/id": one label per type and id
            if first is item:
                kept.append(item)
            elif first.raw == item.raw:
                continue
            elif item.type not in _MEDICATION_TYPES:
                if first.draft == item.draft:
                    self.report.note(f"{item.label}: given twice with different content; the first is used")
            elif first.draft != item.draft and same_drug(first.raw, item.raw):
                continue
            else:
                self.report.note(f"{item.label}: given twice with different content; both are used")
                kept.append(item)
        return kept


_MEDICATION_TYPES = frozenset({"MedicationRequest", "MedicationStatement"})


def observation_parts(
    found: Found, head: ObservationHead
) -> list[tuple[str, dict[str, Any], CodeableConcept]]:
    """The coded parts of an Observation: itself, then each ``component`` (a CD4 count inside a panel).

    Each as (path prefix for messages, the part's JSON, its code); the head has checked each component is
    an object.
    """
    parts = [("", found.raw, head.code)] if head.code is not None else []
    components = found.raw.get("component") or []
    parts.extend(
        (f"component.{i}.", components[i], c.code) for i, c in enumerate(head.component) if c.code is not None
    )
    return parts


def _plain_entries(entries: Any) -> bool:
    """True when ``entries`` is what :class:`BundleShell` accepts unchanged (a list of objects whose
    ``fullUrl`` is a string and whose ``resource`` an object, each absent or null): read without a copy."""
    if not isinstance(entries, list):
        return False
    for entry in entries:
        if not isinstance(entry, dict):
            return False
        full_url, resource = entry.get("fullUrl"), entry.get("resource")
        if not (full_url is None or isinstance(full_url, str)) or not (
            resource is None or isinstance(resource, dict)
        ):
            return False
    return True


def _as_list(items: Iterable[Any]) -> list[Any]:
    # A single resource passed where a list is expected is read as a list of one, not as its keys.
    return [items] if looks_like_fhir(items) else list(items)
