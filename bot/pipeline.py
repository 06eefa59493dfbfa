"""Stages and the status → stage mapping. Pure: no I/O, no clock.

A task manager's status is free text typed by people ("Appel et devis", "appel  et devis ",
"conclusion du contrat"), so matching is done on a normalised form that ignores case, accents,
repeated spaces and the kind of apostrophe.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from integrations.values import normalise

Language = str  # "en" | "fr"


@dataclass(frozen=True)
class Stage:
    """One pipeline stage as configured; `labels`/`next_steps` are keyed by language."""

    key: str
    labels: Mapping[Language, str]
    probability: float
    stall_days: int
    next_steps: Mapping[Language, str]
    outcome: str | None = None  # "won" | "lost" on terminal stages
    waiting_on: str | None = None  # "client" when the ball is in the client's court
    status: str | None = None  # the task-manager status a move from Slack writes (`status` key)

    @property
    def is_open(self) -> bool:
        return self.outcome is None

    def label(self, language: Language) -> str:
        return self.labels.get(language) or self.labels.get("en") or self.key

    def next_step(self, language: Language) -> str:
        return self.next_steps.get(language) or self.next_steps.get("en") or ""


def _stage(
    key: str,
    en: str,
    fr: str,
    probability: float,
    stall_days: int,
    step_en: str,
    step_fr: str,
    outcome: str | None = None,
    waiting_on: str | None = None,
) -> Stage:
    return Stage(
        key, {"en": en, "fr": fr}, probability, stall_days, {"en": step_en, "fr": step_fr},
        outcome, waiting_on,
    )  # fmt: skip


#: The agency's own pipeline (contract: "Built-in defaults").
DEFAULT_STAGES: tuple[Stage, ...] = (
    _stage("qualification", "Qualification", "Qualification des prospects", 10, 7,
           "Qualify the lead: budget, need, timing, decision maker",
           "Qualifier le prospect : budget, besoin, calendrier, décideur"),
    _stage("meeting", "Meeting", "Réunion", 40, 7,
           "Hold the call and send the quote",
           "Tenir l'appel et envoyer le devis"),
    _stage("negotiation", "Negotiation", "Négociations", 60, 7,
           "Chase the client about the quote",
           "Relancer le client sur le devis", waiting_on="client"),
    _stage("closing", "Closing", "Clôture de la transaction", 80, 5,
           "Send the contract for signature and agree the start date",
           "Envoyer le contrat à signer et fixer la date de démarrage"),
    _stage("won", "Won", "Gagné", 100, 0, "", "", outcome="won"),
    _stage("lost", "Lost", "Perdu", 0, 0, "", "", outcome="lost"),
)  # fmt: skip

#: The two further stages of the classic six-stage B2B pipeline (offered by `init` in comments).
EXTRA_STAGES: tuple[Stage, ...] = (
    _stage("lead", "Lead generation", "Génération de prospects", 5, 14,
           "Research the company and find the right contact",
           "Se renseigner sur l'entreprise et trouver le bon contact"),
    _stage("contact", "First contact", "Initiation du contact", 20, 5,
           "Make the first call or send the first e-mail",
           "Passer le premier appel ou envoyer le premier e-mail"),
)  # fmt: skip

#: The agency's task-manager statuses (contract: "Statuses").
DEFAULT_STATUS_MAP: dict[str, str] = {
    "client sur le point d'arriver": "qualification",
    "appel et devis": "meeting",
    "balle dans le camp du client": "negotiation",
    "conclusion du contrat": "closing",
    "travail en cours": "won",
    "prendre un retour": "won",
    "travail terminé": "won",
    "écarté": "lost",
}

#: The status whose stage waits on the client unless a stage says otherwise.
CLIENT_COURT_STATUS = "balle dans le camp du client"


def stage_key_for(name: str, stages: Iterable[Stage]) -> str | None:
    """The key of the stage a `[status_map]` value names: its key, or its label in either
    language (case, accents and spaces ignored: `"Négociations"`, `"negotiation"`); None when
    no stage has that name."""
    stages = tuple(stages)
    for stage in stages:
        if stage.key == name:
            return stage.key
    wanted = normalise(name)
    for stage in stages:
        if wanted in {normalise(stage.key), *(normalise(label) for label in stage.labels.values())}:
            return stage.key
    return None


class Pipeline:
    """The configured stages in order, and the mapping of raw statuses onto them."""

    def __init__(self, stages: Iterable[Stage], status_map: Mapping[str, str] | None = None):
        self.stages: tuple[Stage, ...] = tuple(stages)
        self.by_key: dict[str, Stage] = {s.key: s for s in self.stages}
        mapping: dict[str, str] = {}
        for key, stage in DEFAULT_STATUS_MAP.items():
            if stage in self.by_key:  # built-in entries whose stage is not configured drop out
                mapping[normalise(key)] = stage
        for stage_def in self.stages:
            mapping.setdefault(normalise(stage_def.key), stage_def.key)
            for label in stage_def.labels.values():
                mapping.setdefault(normalise(label), stage_def.key)
        for status, stage_name in (status_map or {}).items():
            mapping[normalise(status)] = stage_key_for(stage_name, self.stages) or stage_name
        self.status_to_stage = mapping
        #: per stage, the statuses `[status_map]` then the built-in map send there, as spelt
        self._statuses: dict[str, list[str]] = {}
        for status in [*(status_map or {}), *DEFAULT_STATUS_MAP]:
            sent_to = mapping.get(normalise(status))
            if sent_to in self.by_key and status not in self._statuses.get(sent_to, []):
                self._statuses.setdefault(sent_to, []).append(status)

    @property
    def open_stages(self) -> tuple[Stage, ...]:
        return tuple(s for s in self.stages if s.is_open)

    def stage_of(self, status: str | None) -> str | None:
        """The stage key of a raw status, or None when no stage claims it."""
        if status is None:
            return None
        return self.status_to_stage.get(normalise(status))

    def find_stage(self, text: str) -> Stage | None:
        """A stage named by its key, a label in any language, or a status mapped to it."""
        key = self.stage_of(text)
        return self.by_key.get(key) if key else None

    def status_for(self, stage_key: str) -> str | None:
        """The status a move to `stage_key` writes in the task manager: the one rule for it.

        The stage's own `status` key when given; else the first status the map sends to that
        stage (`[status_map]` first, in file order, then the built-in map: negotiation →
        « balle dans le camp du client »); else None (no status known: the move is refused).
        """
        stage = self.by_key.get(stage_key)
        if stage is None:
            return None
        if stage.status:
            return stage.status
        found = self._statuses.get(stage_key)
        return found[0] if found else None

    def fingerprint(self) -> str:
        """Changes whenever the mapping would give another answer: stored stages then re-map."""
        body = json.dumps(
            {
                "map": sorted(self.status_to_stage.items()),
                "stages": [s.key for s in self.stages],
            }
        )
        return hashlib.sha256(body.encode()).hexdigest()[:16]
