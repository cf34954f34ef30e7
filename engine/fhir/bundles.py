"""What a search Bundle says about itself: the URL of its next page, whether the server says the search
failed (an ``error`` or ``fatal`` OperationOutcome among its entries, nested Bundles included), and whether
its ``total`` counts more matches than it holds."""

from __future__ import annotations

from typing import Any

MAX_BUNDLE_DEPTH = 8
"""How deep Bundles nested in Bundles are read."""


def next_link(bundle: dict[str, Any]) -> str | None:
    """The URL of a Bundle's ``next`` page, if it has one."""
    links = bundle.get("link")
    for link in links if isinstance(links, list) else []:
        if isinstance(link, dict) and link.get("relation") == "next" and isinstance(link.get("url"), str):
            return str(link["url"])
    return None


def failed_search(bundle: dict[str, Any], depth: int = 0) -> bool:
    """True when a Bundle holds an OperationOutcome with an ``error`` or ``fatal`` issue, in it or in a Bundle
    nested in it (as deep as the intake reads): the server says the search (or part of it) failed, so the
    Bundle is not the whole answer (warnings are read by the intake)."""
    entries = bundle.get("entry")
    for entry in entries if isinstance(entries, list) else []:
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(resource, dict):
            continue
        if resource.get("resourceType") == "OperationOutcome":
            issues = resource.get("issue")
            for issue in issues if isinstance(issues, list) else []:
                if isinstance(issue, dict) and issue.get("severity") in ("error", "fatal"):
                    return True
        elif (
            resource.get("resourceType") == "Bundle"
            and depth < MAX_BUNDLE_DEPTH
            and failed_search(resource, depth + 1)
        ):
            return True
    return False


def matches(bundle: dict[str, Any]) -> int:
    """The entries of a search Bundle that are matches (``search.mode`` ``match``, or no mode): not the
    ``include``d resources nor the ``outcome``."""
    entries = bundle.get("entry")
    count = 0
    for entry in entries if isinstance(entries, list) else []:
        search = entry.get("search") if isinstance(entry, dict) else None
        mode = search.get("mode") if isinstance(search, dict) else None
        count += mode in (None, "match")
    return count


def short_of_total(bundle: dict[str, Any]) -> bool:
    """True when a searchset Bundle without a ``next`` link holds fewer matches than its ``total`` (FHIR R4:
    the number of matches in the whole result): some of the result is missing. Read on the whole result
    (every page's entries merged in), so matches are summed over the pages."""
    total = bundle.get("total")
    if bundle.get("type") != "searchset" or not isinstance(total, int) or isinstance(total, bool):
        return False
    return next_link(bundle) is None and total > matches(bundle)
