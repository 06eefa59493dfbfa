"""Every user-facing phrase in English and French, in one catalogue.

Renderers call `t(key, language, **values)`; a key missing in French falls back to English, and a
key missing everywhere raises (a test walks the catalogue so that never ships).
"""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    # --- Slack (/pipeline, App Home) -------------------------------------------------------
    "slack.working": {
        "en": "Working on it… the answer follows in a moment.",
        "fr": "Je m'en occupe… la réponse arrive dans un instant.",
    },
    "slack.unknown_query": {
        "en": "I didn't understand that: {error}. Try `/pipeline help`.",
        "fr": "Je n'ai pas compris : {error}. Essayez `/pipeline aide`.",
    },
    "slack.db_busy": {
        "en": "The pipeline database is busy (a sync is writing to it): try again in a moment.",
        "fr": "La base du pipeline est occupée (une synchronisation écrit dedans) : réessayez "
        "dans un instant.",
    },
    "slack.failed": {
        "en": "Something went wrong while answering `{question}` ({error}). It has been logged: "
        "tell whoever runs pipeline-bot.",
        "fr": "Un problème est survenu en répondant à `{question}` ({error}). Il a été "
        "journalisé : prévenez la personne qui gère pipeline-bot.",
    },
    "slack.refused": {
        "en": "Sorry, pipeline-bot can't answer you here: {reason}. Ask whoever runs it to add "
        "you to `{setting}` in pipeline.toml.",
        "fr": "Désolé, pipeline-bot ne peut pas vous répondre ici : {reason}. Demandez à la "
        "personne qui le gère de vous ajouter à `{setting}` dans pipeline.toml.",
    },
    "slack.refused.user": {
        "en": "your Slack user is not among the allowed users",
        "fr": "votre utilisateur Slack ne fait pas partie des utilisateurs autorisés",
    },
    "slack.refused.channel": {
        "en": "this channel is not among the allowed channels",
        "fr": "ce canal ne fait pas partie des canaux autorisés",
    },
    "slack.narrow": {
        "en": "Narrow it down: `/pipeline owner NAME`, `/pipeline stage NAME` or `/pipeline mine`.",
        "fr": "Pour affiner : `/pipeline responsable NOM`, `/pipeline étape NOM` ou "
        "`/pipeline moi`.",
    },
    "slack.more_lines": {"en": "… and {n} more lines", "fr": "… et {n} lignes de plus"},
    "slack.deals": {"en": "{n} deal(s)", "fr": "{n} affaire(s)"},
    "slack.weighted": {"en": "weighted {amount}", "fr": "pondéré {amount}"},
    "slack.stalled_count": {"en": "⚠️ {n} stalled", "fr": "⚠️ {n} bloquée(s)"},
    "slack.no_owner": {"en": "no owner", "fr": "sans responsable"},
    "slack.stage_idle": {"en": "{idle} d in stage", "fr": "{idle} j dans l'étape"},
    "home.title": {"en": "Your pipeline", "fr": "Votre pipeline"},
    "home.open": {"en": "Your open deals", "fr": "Vos affaires en cours"},
    "home.open.none": {
        "en": "You have no open deal.",
        "fr": "Vous n'avez aucune affaire en cours.",
    },
    "home.stalled": {"en": "Your stalled deals", "fr": "Vos affaires bloquées"},
    "home.stalled.none": {
        "en": "None of your deals is stalled. 🎉",
        "fr": "Aucune de vos affaires n'est bloquée. 🎉",
    },
    "home.team": {"en": "Team pipeline", "fr": "Pipeline de l'équipe"},
    "home.see_all": {
        "en": "See them all with `/pipeline mine`.",
        "fr": "Toutes avec `/pipeline moi`.",
    },
    "home.unknown_user": {
        "en": "Your Slack user isn't linked to a name in the task manager yet: add "
        '`"Your Name" = "{user}"` under `[people]` in pipeline.toml to see your own deals here.',
        "fr": "Votre utilisateur Slack n'est pas encore relié à un nom du gestionnaire de tâches : "
        'ajoutez `"Votre Nom" = "{user}"` sous `[people]` dans pipeline.toml pour voir vos '
        "affaires ici.",
    },
    "home.refused": {
        "en": "You don't have access to pipeline-bot's figures. Ask whoever runs it to add you "
        "to `slack.allowed_users` in pipeline.toml.",
        "fr": "Vous n'avez pas accès aux chiffres de pipeline-bot. Demandez à la personne qui le "
        "gère de vous ajouter à `slack.allowed_users` dans pipeline.toml.",
    },
    "home.failed": {
        "en": "Couldn't load your pipeline ({error}). It has been logged: reopen this tab in a "
        "moment.",
        "fr": "Impossible de charger votre pipeline ({error}). Le problème a été journalisé : "
        "rouvrez cet onglet dans un instant.",
    },
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
