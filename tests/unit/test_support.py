"""The patient data behind each fact (engine/support.py): noted while deriving, written only when read."""

from __future__ import annotations

from collections.abc import Iterable

from engine.support import Support


def test_a_description_is_written_only_when_its_fact_is_read_and_only_once() -> None:
    calls: list[str] = []

    def write(text: str) -> Iterable[str]:
        calls.append(text)
        return [text]

    support = Support()
    support.note("hiv", lambda: write("B20 HIV disease"))
    support.note("on_art", lambda: write("dolutegravir (active)"))
    assert calls == []
    assert support["hiv"] == ["B20 HIV disease"]
    assert support.get("hiv") == ["B20 HIV disease"]
    assert calls == ["B20 HIV disease"]  # on_art never read, never written


def test_descriptions_of_one_fact_keep_the_order_they_were_noted_in() -> None:
    support = Support()
    support.each("hiv", str.upper, ["b20"])
    support.note("hiv", ["HIV-1 RNA 40 copies/mL"])
    support.note("hiv", lambda: ["later"])
    assert support["hiv"] == ["B20", "HIV-1 RNA 40 copies/mL", "later"]


def test_a_fact_with_no_patient_data_behind_it_is_absent() -> None:
    support = Support()
    support.each("vte_history", str, [])
    support.note("poems", [])
    support.note("pregnant", lambda: [])
    support.note("active_tb", ["A15.0 Pulmonary tuberculosis"])
    assert "poems" not in support and "vte_history" not in support
    assert support.get("pregnant") is None
    assert support.get("pregnant", []) == []
    assert dict(support) == {"active_tb": ["A15.0 Pulmonary tuberculosis"]}
    assert len(support) == 1
    assert support == {"active_tb": ["A15.0 Pulmonary tuberculosis"]}
