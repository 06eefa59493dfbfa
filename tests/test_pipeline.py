"""Stages and status matching (contract: built-in defaults, normalised matching)."""

from __future__ import annotations

import pytest

from bot.pipeline import DEFAULT_STAGES, Pipeline, normalise


@pytest.mark.parametrize(
    ("status", "stage"),
    [
        ("client sur le point d'arriver", "qualification"),
        ("Client sur le point d’arriver", "qualification"),  # curly apostrophe
        ("  APPEL   et devis ", "meeting"),  # case, repeated and surrounding spaces
        ("balle dans le camp du client", "negotiation"),
        ("conclusion du contrat", "closing"),
        ("travail en cours", "won"),
        ("prendre un retour", "won"),
        ("travail termine", "won"),  # accent missing
        ("ÉCARTÉ", "lost"),
        ("negotiation", "negotiation"),  # a stage key matches itself
        ("Négociations", "negotiation"),  # its French label
        ("Closing", "closing"),  # its English label
        ("Clôture de la transaction", "closing"),
        ("En pause", None),  # unmapped: never guessed
        (None, None),
    ],
)
def test_built_in_statuses_map_to_the_agency_stages(status: str | None, stage: str | None) -> None:
    assert Pipeline(DEFAULT_STAGES).stage_of(status) == stage


def test_status_map_adds_and_overrides() -> None:
    pipeline = Pipeline(DEFAULT_STAGES, {"En attente du client": "negotiation",
                                         "prendre un retour": "closing"})  # fmt: skip
    assert pipeline.stage_of("en attente du client") == "negotiation"
    assert pipeline.stage_of("Prendre un retour") == "closing"


def test_built_in_entries_whose_stage_is_not_configured_drop_out() -> None:
    open_only = [s for s in DEFAULT_STAGES if s.key != "meeting"]
    assert Pipeline(open_only).stage_of("appel et devis") is None


def test_fingerprint_changes_with_the_mapping() -> None:
    base = Pipeline(DEFAULT_STAGES)
    assert base.fingerprint() == Pipeline(DEFAULT_STAGES).fingerprint()
    assert base.fingerprint() != Pipeline(DEFAULT_STAGES, {"x": "won"}).fingerprint()


def test_normalise() -> None:
    assert normalise("  Écarté’s   CASE ") == "ecarte's case"
