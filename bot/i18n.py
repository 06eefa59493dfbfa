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
    # --- what each query does (help) ---
    "help.summary": {"en": "the pipeline by stage", "fr": "le pipeline par étape"},
    "help.stalled": {
        "en": "deals idle past their stage's limit",
        "fr": "les affaires sans mouvement au-delà de la limite de leur étape",
    },
    "help.forecast": {
        "en": "open deals by expected closing month (default 6 months)",
        "fr": "les affaires ouvertes par mois de clôture prévu (6 mois par défaut)",
    },
    "help.funnel": {
        "en": "deals that reached each stage, conversion and time spent",
        "fr": "les affaires arrivées à chaque étape, conversion et durée",
    },
    "help.owners": {"en": "open deals per owner", "fr": "les affaires ouvertes par responsable"},
    "help.lost": {"en": "lost deals by reason", "fr": "les affaires perdues par raison"},
    "help.deal": {
        "en": "deals whose title or client contains TEXT, with their history",
        "fr": "les affaires dont le titre ou le client contient TEXTE, avec leur historique",
    },
    "help.changes": {
        "en": "new deals, moves, wins and losses of the last DAYS days (default 7)",
        "fr": "nouvelles affaires, changements d'étape, gagnées et perdues des JOURS derniers "
        "jours (7 par défaut)",
    },
    "help.stage": {"en": "the deals in one stage", "fr": "les affaires d'une étape"},
    "help.owner": {
        "en": "the open deals of one owner (name or e-mail, part of it is enough)",
        "fr": "les affaires ouvertes d'un responsable (nom ou e-mail, une partie suffit)",
    },
    "help.mine": {"en": "your open deals", "fr": "vos affaires ouvertes"},
    "help.unmapped": {
        "en": "task-manager statuses no stage claims",
        "fr": "les statuts du gestionnaire de tâches qu'aucune étape ne reconnaît",
    },
    "help.help": {"en": "this list", "fr": "cette liste"},
    # --- mistakes in a question ---
    "error.hint": {"en": ": did you mean '{guess}'?", "fr": " : vouliez-vous dire « {guess} » ?"},
    "error.unknown": {
        "en": "unknown query '{word}'{hint} (queries: {queries})",
        "fr": "question inconnue « {word} »{hint} (questions : {queries})",
    },
    "error.no_args": {
        "en": "'{word}' takes no words after it (got '{args}')",
        "fr": "« {word} » ne prend rien après lui (reçu « {args} »)",
    },
    "error.days": {
        "en": "'{word}' takes a number of days from 1 to {high}, e.g. '{word} 14' (got '{args}')",
        "fr": "« {word} » prend un nombre de jours de 1 à {high}, par ex. « {word} 14 » "
        "(reçu « {args} »)",
    },
    "error.months": {
        "en": "'{word}' takes a number of months from 1 to {high}, e.g. '{word} 6' (got '{args}')",
        "fr": "« {word} » prend un nombre de mois de 1 à {high}, par ex. « {word} 6 » "
        "(reçu « {args} »)",
    },
    "error.needs_text": {
        "en": "'{word}' needs something to look for, e.g. '{word} Dupain'",
        "fr": "« {word} » a besoin de quelque chose à chercher, par ex. « {word} Dupain »",
    },
    "error.no_stage": {
        "en": "no stage called '{name}'{hint} (stages: {stages})",
        "fr": "aucune étape « {name} »{hint} (étapes : {stages})",
    },
    "error.no_owner": {
        "en": "no owner matches '{name}' (owners: {owners})",
        "fr": "aucun responsable ne correspond à « {name} » (responsables : {owners})",
    },
    "error.mine_who": {
        "en": "mine needs to know who you are: set PIPELINE_USER to your Slack user ID or to "
        "your name as the task manager writes it",
        "fr": "moi doit savoir qui vous êtes : mettez dans PIPELINE_USER votre identifiant "
        "Slack ou votre nom tel que l'écrit le gestionnaire de tâches",
    },
    "error.mine_unknown": {
        "en": 'mine: Slack user {user} is not in [people]; add "Your Name" = "{user}" '
        "to pipeline.toml",
        "fr": "moi : l'utilisateur Slack {user} n'est pas dans [people] ; ajoutez "
        '"Votre Nom" = "{user}" à pipeline.toml',
    },
    # --- forecast ---
    "forecast.title": {
        "en": "Forecast by expected closing month",
        "fr": "Prévision par mois de clôture prévu",
    },
    "forecast.overdue": {"en": "Overdue", "fr": "En retard"},
    "forecast.later": {"en": "Later", "fr": "Plus tard"},
    "forecast.no_date": {"en": "No date", "fr": "Sans date"},
    # --- funnel ---
    "funnel.title": {"en": "Funnel", "fr": "Entonnoir"},
    "col.reached": {"en": "Reached", "fr": "Arrivées"},
    "col.conversion": {"en": "To next", "fr": "Vers la suite"},
    "col.median": {"en": "Median stay", "fr": "Durée médiane"},
    "funnel.won": {"en": "Won: {n}", "fr": "Gagnées : {n}"},
    "funnel.bottleneck": {
        "en": "Bottleneck: {stage} ({rate} go on)",
        "fr": "Goulot d'étranglement : {stage} ({rate} passent à la suite)",
    },
    "funnel.none": {
        "en": "No deal has reached a stage yet.",
        "fr": "Aucune affaire pour l'instant.",
    },
    # --- owners ---
    "owners.title": {"en": "Open deals per owner", "fr": "Affaires ouvertes par responsable"},
    "owners.none": {"en": "No open deal.", "fr": "Aucune affaire ouverte."},
    "owner.nobody": {"en": "(no owner)", "fr": "(sans responsable)"},
    "col.open": {"en": "Open", "fr": "Ouvertes"},
    "total": {"en": "Total", "fr": "Total"},
    # --- lost ---
    "lost.title": {"en": "Lost deals by reason", "fr": "Affaires perdues par raison"},
    "lost.none": {"en": "No lost deal.", "fr": "Aucune affaire perdue."},
    "lost.no_reason": {"en": "(no reason)", "fr": "(sans raison)"},
    "col.reason": {"en": "Reason", "fr": "Raison"},
    # --- deal lists ---
    "deal.title": {
        "en": "Deals matching '{text}': {n}",
        "fr": "Affaires contenant « {text} » : {n}",
    },
    "deal.none": {
        "en": "No deal's title or client contains '{text}'.",
        "fr": "Aucune affaire dont le titre ou le client contient « {text} ».",
    },
    "deal.stage": {"en": "Stage", "fr": "Étape"},
    "deal.amount": {"en": "Amount", "fr": "Montant"},
    "deal.expected_close": {"en": "Expected close", "fr": "Clôture prévue"},
    "deal.idle": {"en": "In this stage since", "fr": "Dans cette étape depuis"},
    "deal.history": {"en": "History:", "fr": "Historique :"},
    "deal.stalled": {"en": "stalled", "fr": "bloquée"},
    "stage.title": {"en": "Deals in {stage}: {n}", "fr": "Affaires en {stage} : {n}"},
    "owner.title": {
        "en": "Open deals of {owners}: {n}",
        "fr": "Affaires ouvertes de {owners} : {n}",
    },
    "list.none": {"en": "No deal.", "fr": "Aucune affaire."},
    "col.expected": {"en": "Close", "fr": "Clôture"},
    "unmapped.stage": {"en": "(no stage)", "fr": "(sans étape)"},
    # --- changes ---
    "changes.title": {
        "en": "Changes since {date}: {n}",
        "fr": "Changements depuis le {date} : {n}",
    },
    "changes.none": {
        "en": "Nothing changed since {date}.",
        "fr": "Rien n'a changé depuis le {date}.",
    },
    "col.when": {"en": "When", "fr": "Quand"},
    "col.change": {"en": "Change", "fr": "Changement"},
    "change.new": {"en": "new in {to}", "fr": "nouvelle en {to}"},
    "change.moved": {"en": "{from_} → {to}", "fr": "{from_} → {to}"},
    "change.won": {"en": "won ({from_} → {to})", "fr": "gagnée ({from_} → {to})"},
    "change.lost": {"en": "lost ({from_} → {to})", "fr": "perdue ({from_} → {to})"},
    # --- unmapped ---
    "unmapped.title": {
        "en": "Statuses no stage claims: {n} deal(s)",
        "fr": "Statuts qu'aucune étape ne reconnaît : {n} affaire(s)",
    },
    "unmapped.none": {
        "en": "Every status maps to a stage. 👍",
        "fr": "Chaque statut correspond à une étape. 👍",
    },
    "unmapped.fix": {
        "en": 'Map them in [status_map] of pipeline.toml, e.g. "{status}" = "meeting"',
        "fr": 'Associez-les dans [status_map] de pipeline.toml, par ex. "{status}" = "meeting"',
    },
    "col.status": {"en": "Status", "fr": "Statut"},
}


def t(key: str, language: str, **values: object) -> str:
    """The phrase `key` in `language` (English when French lacks it), formatted with `values`."""
    entry = MESSAGES[key]
    template = entry.get(language) or entry["en"]
    return template.format(**values) if values else template
