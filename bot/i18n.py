"""Every user-facing phrase in English and French, in one catalogue.

Renderers call `t(key, language, **values)`; a key missing in French falls back to English, and a
key missing everywhere raises (a test walks the catalogue so that never ships).
"""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "summary.title": {"en": "Pipeline by stage", "fr": "Pipeline par étape"},
    "col.stage": {"en": "Stage", "fr": "Étape"},
    "col.deals": {"en": "Deals", "fr": "Affaires"},
    "col.amount": {"en": "Amount", "fr": "Montant"},
    "col.weighted": {"en": "Weighted", "fr": "Pondéré"},
    "col.stalled": {"en": "Stalled", "fr": "Bloquées"},
    "col.deal": {"en": "Deal", "fr": "Affaire"},
    "col.client": {"en": "Client", "fr": "Client"},
    "col.owner": {"en": "Owner", "fr": "Responsable"},
    "col.idle": {"en": "Idle", "fr": "Inactif"},
    "col.next_step": {"en": "Next step", "fr": "Prochaine étape"},
    "col.month": {"en": "Month", "fr": "Mois"},
    "open.total": {"en": "Open pipeline", "fr": "Pipeline ouvert"},
    "unmapped.note": {
        "en": "{count} deal(s) have a status no stage claims: see `pipeline-bot check`",
        "fr": "{count} affaire(s) ont un statut qu'aucune étape ne reconnaît : voir "
        "`pipeline-bot check`",
    },
    "as_of": {"en": "as of {date}", "fr": "au {date}"},
    "stalled.title": {"en": "Stalled deals", "fr": "Affaires bloquées"},
    "stalled.none": {"en": "No stalled deal. 🎉", "fr": "Aucune affaire bloquée. 🎉"},
    "days": {"en": "{n} d", "fr": "{n} j"},
    "idle.of": {
        "en": "{idle} d idle (limit {limit})",
        "fr": "{idle} j sans mouvement (max {limit})",
    },
    "chase.client": {"en": "Chase the client", "fr": "Relancer le client"},
    "more": {"en": "… and {n} more", "fr": "… et {n} de plus"},
    "help.title": {"en": "What you can ask", "fr": "Ce que vous pouvez demander"},
    "help.public": {
        "en": "Add `public` at the end to post the answer in the channel.",
        "fr": "Ajoutez `public` à la fin pour publier la réponse dans le canal.",
    },
}


def t(key: str, language: str, **values: object) -> str:
    """The phrase `key` in `language` (English when French lacks it), formatted with `values`."""
    entry = MESSAGES[key]
    template = entry.get(language) or entry["en"]
    return template.format(**values) if values else template
