"""Every user-facing phrase in English and French, in one catalogue.

Renderers call `t(key, language, **values)`; a key missing in French falls back to English, and a
key missing everywhere raises (a test walks the catalogue so that never ships).
"""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    # --- command line ---------------------------------------------------------------------
    "cli.no_db": {
        "en": "the database {path} does not exist: run `pipeline-bot sync` first (or "
        "`pipeline-bot demo` to try the bot on a demo agency)",
        "fr": "la base {path} n'existe pas : lancez d'abord `pipeline-bot sync` (ou "
        "`pipeline-bot demo` pour essayer le bot sur une agence de démonstration)",
    },
    # --- migrate-store (a SQLite store copied into PostgreSQL) ------------------------------
    "migrate.not_url": {
        "en": "--to takes the PostgreSQL store to fill, a postgresql://… URL (got {target})",
        "fr": "--to attend la base PostgreSQL à remplir, une URL postgresql://… (reçu {target})",
    },
    "migrate.from_postgres": {
        "en": "the store to copy ({source}) is already PostgreSQL: give the SQLite file with "
        "--db (or `db`, $PIPELINE_DB)",
        "fr": "la base à copier ({source}) est déjà PostgreSQL : indiquez le fichier SQLite avec "
        "--db (ou `db`, $PIPELINE_DB)",
    },
    "migrate.not_empty": {
        "en": "{target} already holds {n} deal(s): nothing copied; add --replace to overwrite "
        "its contents with {source}",
        "fr": "{target} contient déjà {n} affaire(s) : rien n'a été copié ; ajoutez --replace "
        "pour remplacer son contenu par {source}",
    },
    "migrate.missing_table": {
        "en": "{target} has no table {table} (or lacks its columns {columns}): nothing copied; "
        "is it this version's pipeline-bot store?",
        "fr": "{target} n'a pas de table {table} (ou pas ses colonnes {columns}) : rien n'a été "
        "copié ; est-ce la base pipeline-bot de cette version ?",
    },
    "migrate.failed": {
        "en": "copying into {target} failed ({error}): nothing copied, {source} is unchanged",
        "fr": "la copie vers {target} a échoué ({error}) : rien n'a été copié, {source} est "
        "inchangée",
    },
    "migrate.copying": {
        "en": "Copying {source} into {target} (one transaction)…",
        "fr": "Copie de {source} vers {target} (une seule transaction)…",
    },
    "migrate.table": {
        "en": "  {table:<16} {rows:>9} row(s)",
        "fr": "  {table:<16} {rows:>9} ligne(s)",
    },
    "migrate.done": {
        "en": "Copied {rows} row(s) in {tables} table(s); {source} is left as it was.",
        "fr": "{rows} ligne(s) copiée(s) dans {tables} table(s) ; {source} reste telle quelle.",
    },
    "migrate.next": {
        "en": 'Next: stop pipeline-bot here, set db = "{target}" in pipeline.toml (or '
        "$PIPELINE_DB) wherever it runs (the password in the URL or in $PGPASSWORD), start it "
        "again.",
        "fr": 'Ensuite : arrêtez pipeline-bot ici, mettez db = "{target}" dans pipeline.toml '
        "(ou $PIPELINE_DB) partout où il tourne (le mot de passe dans l'URL ou dans "
        "$PGPASSWORD), relancez-le.",
    },
    # --- configuration problems (one line each, `pipeline-bot: invalid config: …`) -------
    "config.invalid": {
        "en": "pipeline-bot: invalid config: {problem}",
        "fr": "pipeline-bot : configuration invalide : {problem}",
    },
    "config.line": {"en": "{label}: {problem}", "fr": "{label} : {problem}"},
    "config.problem": {"en": "{label}: {where}: {what}", "fr": "{label} : {where} : {what}"},
    "config.top_level": {"en": "top level", "fr": "premier niveau"},
    "config.got": {"en": "{what} (got {got})", "fr": "{what} (reçu {got})"},
    "config.literal_got": {"en": "{what}, got {got}", "fr": "{what}, reçu {got}"},
    "config.no_file": {
        "en": "{path}: no such config file",
        "fr": "{path} : ce fichier de configuration n'existe pas",
    },
    "config.unreadable": {
        "en": "{path}: cannot read it ({error})",
        "fr": "{path} : illisible ({error})",
    },
    "config.malformed": {
        "en": "{path}: malformed TOML: {error}",
        "fr": "{path} : TOML mal formé : {error}",
    },
    "config.extra_forbidden": {
        "en": "unknown key (check its spelling)",
        "fr": "clé inconnue (vérifiez son orthographe)",
    },
    "config.jira_needs_base_url": {
        "en": "a jira source needs base_url, your site's address (e.g. base_url = "
        '"https://your-agency.atlassian.net"): Jira has no default',
        "fr": "une source jira a besoin de base_url, l'adresse de votre site (par ex. base_url "
        '= "https://votre-agence.atlassian.net") : Jira n\'a pas de valeur par défaut',
    },
    "config.hhmm": {
        "en": "must be a time HH:MM, got {got}",
        "fr": "doit être une heure HH:MM, reçu {got}",
    },
    "config.weekday": {
        "en": "must be one of {days}, got {got}",
        "fr": "doit être l'un de {days}, reçu {got}",
    },
    "config.holidays": {
        "en": 'unknown country code for public holidays (e.g. "FR", "BE", "CH"; "" for none)',
        "fr": 'code pays inconnu pour les jours fériés (par ex. "FR", "BE", "CH" ; "" pour aucun)',
    },
    "config.timezone": {
        "en": "unknown IANA time zone (e.g. 'Europe/Paris')",
        "fr": "fuseau horaire IANA inconnu (par ex. 'Europe/Paris')",
    },
    "config.duplicate_stage": {
        "en": "stages: duplicate stage key '{stage}'",
        "fr": "stages : la clé d'étape '{stage}' est en double",
    },
    "config.no_outcome": {
        "en": 'stages: no stage has outcome = "{outcome}"',
        "fr": 'stages : aucune étape n\'a outcome = "{outcome}"',
    },
    "config.outcome_order": {
        "en": "stages: open stage '{stage}' comes after an outcome stage; list open stages "
        "first, then outcomes",
        "fr": "stages : l'étape ouverte '{stage}' vient après une étape de conclusion ; listez "
        "d'abord les étapes ouvertes, puis les conclusions",
    },
    "config.unknown_stage": {
        "en": "status_map: '{status}' maps to unknown stage '{stage}' (a stage key or label: "
        "{keys})",
        "fr": "status_map : '{status}' renvoie à une étape inconnue '{stage}' (une clé ou un "
        "libellé d'étape : {keys})",
    },
    "config.unknown_kind": {
        "en": "sources[{index}]: unknown source kind {kind} (one of: {known})",
        "fr": "sources[{index}] : type de source inconnu {kind} (parmi : {known})",
    },
    "config.jira_base_url": {
        "en": "a Jira source needs base_url, the address of your Jira site, e.g. base_url = "
        '"https://your-agency.atlassian.net" (Jira has no default)',
        "fr": "une source Jira a besoin de base_url, l'adresse de votre site Jira, par ex. "
        'base_url = "https://votre-agence.atlassian.net" (Jira n\'a pas de valeur par défaut)',
    },
    "config.duplicate_source": {
        "en": "sources[{index}]: duplicate source name '{name}'",
        "fr": "sources[{index}] : le nom de source '{name}' est en double",
    },
    "config.source": {"en": "sources[{index}]: {problem}", "fr": "sources[{index}] : {problem}"},
    "config.not_deal_field": {
        "en": "{keys} is not a deal field (the deal fields: {fields})",
        "fr": "{keys} n'est pas un champ d'affaire (les champs : {fields})",
    },
    "config.encoding": {
        "en": "unknown encoding (e.g. 'utf-8' or 'cp1252')",
        "fr": "encodage inconnu (par ex. 'utf-8' ou 'cp1252')",
    },
    "config.delimiter": {
        "en": "must be one character: ',', ';', '\\t' or \"tab\"",
        "fr": "doit être un seul caractère : ',', ';', '\\t' ou \"tab\"",
    },
    "config.https": {
        "en": "base_url must start with https:// (http:// only for localhost, 127.0.0.1 or "
        "::1); got {got}",
        "fr": "base_url doit commencer par https:// (http:// seulement pour localhost, "
        "127.0.0.1 ou ::1) ; reçu {got}",
    },
    "config.jira_target": {
        "en": 'a Jira source needs exactly one of project (a project key, e.g. "VENTE") or '
        'jql (a filter, e.g. "project = VENTE AND labels = deal")',
        "fr": "une source Jira a besoin d'exactement un de project (une clé de projet, par "
        'ex. "VENTE") ou jql (un filtre, par ex. "project = VENTE AND labels = deal")',
    },
    "config.id_expected": {"en": "must be {expected}", "fr": "doit être {expected}"},
    "config.trello_board": {
        "en": "a Trello board id or its URL (trello.com/b/…)",
        "fr": "un identifiant de tableau Trello ou son URL (trello.com/b/…)",
    },
    "config.asana_project": {
        "en": "an Asana project gid or its URL",
        "fr": "un gid de projet Asana ou son URL",
    },
    "config.monday_board_url": {
        "en": "a monday.com board id or its URL",
        "fr": "un identifiant de tableau monday.com ou son URL",
    },
    "config.monday_board": {
        "en": "board must be a monday.com board id (the number after /boards/)",
        "fr": "board doit être un identifiant de tableau monday.com (le nombre après /boards/)",
    },
    "config.clickup_list": {
        "en": "a ClickUp list id (the number after /li/ in the list's URL)",
        "fr": "un identifiant de liste ClickUp (le nombre après /li/ dans l'URL de la liste)",
    },
    "config.linear_team": {
        "en": 'team must be a Linear team key, the prefix of its issue ids (e.g. "SAL" for SAL-12)',
        "fr": "team doit être une clé d'équipe Linear, le préfixe de ses tickets (par ex. "
        '"SAL" pour SAL-12)',
    },
    "config.notion_database": {
        "en": "database must be a Notion database id (32 hex digits) or the database's URL",
        "fr": "database doit être un identifiant de base Notion (32 chiffres hexadécimaux) ou "
        "l'URL de la base",
    },
    "config.csv_location": {
        "en": "a csv source needs exactly one of `path` or `url`",
        "fr": "une source csv a besoin d'exactement un de `path` ou `url`",
    },
    # --- init, check, sync (what they print for a person) ---------------------------------
    "init.exists": {
        "en": "{name}: already exists, left as it is",
        "fr": "{name} : existe déjà, laissé tel quel",
    },
    "init.written": {"en": "{name}: written", "fr": "{name} : écrit"},
    "init.next": {
        "en": "Next: edit pipeline.toml ([[sources]]), `install -m 600 .env.example .env` (a "
        ".env only you can read) and fill it in, then run `pipeline-bot check`.",
        "fr": "Ensuite : complétez pipeline.toml ([[sources]]), `install -m 600 .env.example "
        ".env` (un .env lisible par vous seul) et remplissez-le, puis lancez "
        "`pipeline-bot check`.",
    },
    "check.valid": {"en": "Config: {where}: valid", "fr": "Configuration : {where} : valide"},
    "check.defaults": {
        "en": "built-in defaults (no pipeline.toml found)",
        "fr": "réglages intégrés (aucun pipeline.toml trouvé)",
    },
    "check.no_sources": {
        "en": "Sources: none configured (add a [[sources]] table to sync deals)",
        "fr": "Sources : aucune configurée (ajoutez une table [[sources]] pour synchroniser "
        "des affaires)",
    },
    "check.missing": {
        "en": "Source '{name}' ({kind}): missing {names} (set in the environment or .env)",
        "fr": "Source '{name}' ({kind}) : il manque {names} (à définir dans l'environnement "
        "ou .env)",
    },
    "check.tool.ok": {
        "en": "Source '{name}' ({kind}): {noun} « {title} » ({target}) answers with these "
        "credentials",
        "fr": "Source '{name}' ({kind}) : {noun} « {title} » ({target}) répond avec ces "
        "identifiants",
    },
    "check.tool.refused": {
        "en": "Source '{name}' ({kind}): the token was refused (HTTP {status}): check {names}",
        "fr": "Source '{name}' ({kind}) : le jeton a été refusé (HTTP {status}) : vérifiez {names}",
    },
    "check.tool.unknown": {
        "en": "Source '{name}' ({kind}): no {noun} {target} there, or not visible with this token "
        "({detail}): check `{setting}` in pipeline.toml",
        "fr": "Source '{name}' ({kind}) : aucun(e) {noun} {target} à cette adresse, ou "
        "invisible avec ce jeton ({detail}) : vérifiez `{setting}` dans pipeline.toml",
    },
    "check.tool.failed": {
        "en": "Source '{name}' ({kind}): could not be read: {error}",
        "fr": "Source '{name}' ({kind}) : lecture impossible : {error}",
    },
    "check.target.board": {"en": "board", "fr": "tableau"},
    "check.target.project": {"en": "project", "fr": "projet"},
    "check.target.list": {"en": "list", "fr": "liste"},
    "check.target.database": {"en": "database", "fr": "base"},
    "check.target.team": {"en": "team", "fr": "équipe"},
    "check.slack_info": {
        "en": "Slack (info): {names} not set; needed only by serve, nudge, digest and announce",
        "fr": "Slack (info) : {names} non défini(s) ; seuls serve, nudge, digest et announce "
        "en ont besoin",
    },
    "check.slack_ok": {"en": "Slack: tokens present", "fr": "Slack : jetons présents"},
    "check.database": {
        "en": "Database: {path}: {n} deal(s)",
        "fr": "Base : {path} : {n} affaire(s)",
    },
    "check.no_database": {
        "en": "Database: {path} does not exist yet (run `pipeline-bot sync`)",
        "fr": "Base : {path} n'existe pas encore (lancez `pipeline-bot sync`)",
    },
    "check.unmapped": {
        "en": "Statuses no stage claims (add them to [status_map]):",
        "fr": "Statuts qu'aucune étape ne reconnaît (ajoutez-les à [status_map]) :",
    },
    "check.unmapped_line": {"en": "  {status}: {n} deal(s)", "fr": "  {status} : {n} affaire(s)"},
    "check.attention": {
        "en": "{n} thing(s) need attention.",
        "fr": "{n} point(s) demandent votre attention.",
    },
    "check.all_well": {"en": "All well.", "fr": "Tout va bien."},
    "check.env_open": {
        "en": "{path} holds tokens and other users can read it (mode {mode}): run "
        "`chmod 600 {path}`",
        "fr": "{path} contient des jetons et d'autres utilisateurs peuvent le lire (mode {mode}) "
        ": lancez `chmod 600 {path}`",
    },
    "check.hidden_source": {
        "en": "source '{source}' in the database is not in the config; renamed? Its {n} deal(s) "
        "are kept but left out of every answer (name it again in [[sources]] to bring them "
        "back)",
        "fr": "la source '{source}' de la base n'est pas dans la configuration ; renommée ? Ses "
        "{n} affaire(s) sont gardées mais écartées de toutes les réponses (remettez ce nom dans "
        "[[sources]] pour les retrouver)",
    },
    "sync.no_sources": {
        "en": "No source configured: add a [[sources]] table to pipeline.toml (see "
        "docs/sources.md).",
        "fr": "Aucune source configurée : ajoutez une table [[sources]] à pipeline.toml (voir "
        "docs/sources.md).",
    },
    "sync.result": {
        "en": "{source}: {kind}, {fetched} fetched, {changed} changed, {stage_changes} stage "
        "change(s), {removed} removed, {warnings} warning(s), {seconds} s",
        "fr": "{source} : {kind}, {fetched} lue(s), {changed} modifiée(s), {stage_changes} "
        "changement(s) d'étape, {removed} retirée(s), {warnings} avertissement(s), {seconds} s",
    },
    "sync.full": {"en": "full", "fr": "complète"},
    "sync.incremental": {"en": "incremental", "fr": "incrémentale"},
    "sync.failed": {
        "en": "{source}: FAILED after {seconds} s: {error}",
        "fr": "{source} : ÉCHEC après {seconds} s : {error}",
    },
    "sync.unexpected": {
        "en": "source '{source}' ({kind}): unexpected {error} while reading it; its deals are "
        "kept as they were and the other sources go on (please report this, with the log)",
        "fr": "source '{source}' ({kind}) : {error} inattendu en la lisant ; ses affaires restent "
        "telles quelles et les autres sources continuent (merci de le signaler, avec le journal)",
    },
    "sync.unidentified": {
        "en": "source '{source}': {n} task(s) without an id; no deal is marked removed in this "
        "sync",
        "fr": "source '{source}' : {n} tâche(s) sans identifiant ; aucune affaire n'est marquée "
        "retirée à cette synchronisation",
    },
    "field.unreadable": {
        "en": "{label}: field '{field}' value '{value}' is not {what}; left empty",
        "fr": "{label} : champ '{field}' : la valeur '{value}' n'est pas {what} ; laissé vide",
    },
    "field.bad_time": {
        "en": "{label}: {name} = {value} could not be read ({error})",
        "fr": "{label} : {name} = {value} illisible ({error})",
    },
    "field.what.amount": {"en": "an amount", "fr": "un montant"},
    "field.what.currency": {
        "en": "a currency code (EUR, USD, €)",
        "fr": "un code de devise (EUR, USD, €)",
    },
    "field.what.probability": {"en": "a probability", "fr": "une probabilité"},
    "field.what.date": {"en": "a date", "fr": "une date"},
    "field.what.datetime": {"en": "a date and time", "fr": "une date et une heure"},
    "field.what.readable": {"en": "readable", "fr": "lisible"},
    "http.failed": {
        "en": "source '{source}': {where} failed ({code}): {detail}",
        "fr": "source '{source}' : {where} a échoué ({code}) : {detail}",
    },
    "write.read_only": {
        "en": "source '{source}' is read-only: change the deal in the sheet itself",
        "fr": "la source « {source} » est en lecture seule : modifiez l'affaire dans le tableur",
    },
    "write.forbidden": {
        "en": "source '{source}' refused the change (HTTP {status}): the token may read but not "
        "write; give it the right to edit (see docs/webhooks.md)",
        "fr": "la source « {source} » a refusé la modification (HTTP {status}) : le jeton peut "
        "lire mais pas écrire ; donnez-lui le droit de modifier (voir docs/webhooks.md)",
    },
    "write.rate_limited": {
        "en": "source '{source}' is still asking to slow down: nothing was changed, try again in "
        "a minute",
        "fr": "la source « {source} » demande encore de ralentir : rien n'a été modifié, "
        "réessayez dans une minute",
    },
    "write.failed": {
        "en": "source '{source}' refused the change: {error}",
        "fr": "la source « {source} » a refusé la modification : {error}",
    },
    "write.unknown_status": {
        "en": "source '{source}' has no status « {status} » in {where} (it has: {known}): "
        "nothing was changed; set the stage's `status` in pipeline.toml",
        "fr": "la source « {source} » n'a pas de statut « {status} » dans {where} (elle a : "
        "{known}) : rien n'a été modifié ; indiquez le `status` de l'étape dans pipeline.toml",
    },
    "write.no_field": {
        "en": "source '{source}' has no field « {name} » (for {field}): nothing was changed; "
        "check [sources.fields] in pipeline.toml",
        "fr": "la source « {source} » n'a pas de champ « {name} » (pour {field}) : rien n'a été "
        "modifié ; vérifiez [sources.fields] dans pipeline.toml",
    },
    "write.no_transition": {
        "en": "source '{source}': Jira has no transition from « {current} » to « {status} » for "
        "{issue} (reachable from there: {names}): nothing was changed",
        "fr": "source « {source} » : Jira n'a aucune transition de « {current} » vers "
        "« {status} » pour {issue} (statuts accessibles : {names}) : rien n'a été modifié",
    },
    "webhooks.which_team": {
        "en": "this ClickUp token sees {names} as workspaces: set `team` (the workspace id) on "
        "source '{source}' in pipeline.toml",
        "fr": "ce jeton ClickUp voit comme espaces de travail : {names} ; indiquez `team` "
        "(l'id de l'espace) pour la source « {source} » dans pipeline.toml",
    },
    "write.no_option": {
        "en": "the {tool} field « {field} » has no option « {value} » (it has: {names}): "
        "nothing was changed",
        "fr": "le champ {tool} « {field} » n'a pas d'option « {value} » (il a : {names}) : "
        "rien n'a été modifié",
    },
    "write.wrong_type": {
        "en": "source '{source}': the field « {name} » (for {field}) is of type {kind}, which "
        "pipeline-bot does not write: nothing was changed",
        "fr": "source « {source} » : le champ « {name} » (pour {field}) est de type {kind}, que "
        "pipeline-bot n'écrit pas : rien n'a été modifié",
    },
    "write.no_task": {
        "en": "source '{source}' has no {noun} {id} any more (deleted or moved?): nothing was "
        "changed",
        "fr": "la source « {source} » n'a plus de {noun} {id} (supprimé ou déplacé ?) : rien n'a "
        "été modifié",
    },
    "write.comment.lost_reason": {
        "en": "Lost reason: {value}",
        "fr": "Raison de la perte : {value}",
    },
    "write.comment.next_step": {
        "en": "Next step: {value}",
        "fr": "Prochaine étape : {value}",
    },
    "webhooks.unsupported": {
        "en": "source '{source}' cannot send change notifications: polling keeps it up to date",
        "fr": "la source « {source} » ne peut pas envoyer de notifications : la synchronisation "
        "périodique la tient à jour",
    },
    "webhooks.notion_manual": {
        "en": "source '{source}': Notion has no API to create, list or delete webhooks: add "
        "{url} in the integration's settings page (developers.notion.com, Webhooks tab) and "
        "verify it there (see docs/webhooks.md)",
        "fr": "source « {source} » : Notion n'a pas d'API pour créer, lister ou supprimer des "
        "webhooks : ajoutez {url} dans la page de réglages de l'intégration "
        "(developers.notion.com, onglet Webhooks) et validez-la là (voir docs/webhooks.md)",
    },
    "webhooks.monday_app": {
        "en": "source '{source}': monday signs notifications only for webhooks a monday app "
        "creates: set MONDAY_TOKEN to your app's token and MONDAY_WEBHOOK_SECRET to its Signing "
        "Secret first (a personal token's webhooks arrive unsigned and `serve` refuses them)",
        "fr": "source « {source} » : monday ne signe les notifications que des webhooks créés "
        "par une app monday : mettez d'abord dans MONDAY_TOKEN le jeton de votre app et dans "
        "MONDAY_WEBHOOK_SECRET son Signing Secret (les webhooks d'un jeton personnel arrivent "
        "sans signature et `serve` les refuse)",
    },
    "webhooks.secret_first": {
        "en": "source '{source}': set {name} first (a long random string, in the environment or "
        ".env): the tool signs its notifications with it and `serve` checks them",
        "fr": "source « {source} » : définissez d'abord {name} (une longue chaîne aléatoire, "
        "dans l'environnement ou .env) : l'outil signe ses notifications avec et `serve` les "
        "vérifie",
    },
    "webhooks.need_url": {
        "en": "webhooks register needs --url with the public address of `serve`, e.g. "
        "--url https://bot.example.com",
        "fr": "webhooks register demande --url avec l'adresse publique de `serve`, par ex. "
        "--url https://bot.exemple.fr",
    },
    "webhooks.bad_url": {
        "en": "--url must be an https:// address without query (http:// only for localhost): {url}",
        "fr": "--url doit être une adresse https:// sans paramètres (http:// seulement pour "
        "localhost) : {url}",
    },
    "webhooks.register_ids": {
        "en": "webhooks register takes no ids: pipeline-bot webhooks register --url URL",
        "fr": "webhooks register ne prend pas d'identifiants : pipeline-bot webhooks register "
        "--url URL",
    },
    "webhooks.url_only_register": {
        "en": "--url goes with webhooks register only",
        "fr": "--url ne s'emploie qu'avec webhooks register",
    },
    "webhooks.unknown_source": {
        "en": "no source named {names} (configured: {known})",
        "fr": "aucune source nommée {names} (configurées : {known})",
    },
    "webhooks.unknown_id": {
        "en": "no registered webhook with id {ids} (`pipeline-bot webhooks list` shows them)",
        "fr": "aucun webhook enregistré avec l'identifiant {ids} (`pipeline-bot webhooks list` "
        "les montre)",
    },
    "webhooks.sheet": {
        "en": "Source '{name}' ({kind}): skipped: a sheet sends no change notifications; "
        "polling keeps it up to date",
        "fr": "Source '{name}' ({kind}) : ignorée : un tableur n'envoie pas de notifications ; "
        "la synchronisation périodique la tient à jour",
    },
    "webhooks.failed": {
        "en": "Source '{name}' ({kind}): could not be reached: {error}",
        "fr": "Source '{name}' ({kind}) : injoignable : {error}",
    },
    "webhooks.registered": {
        "en": "Source '{name}' ({kind}): notifications go to {url} (webhook {id})",
        "fr": "Source '{name}' ({kind}) : les notifications vont à {url} (webhook {id})",
    },
    "webhooks.secret_kept": {
        "en": "  the tool made the signing secret and handed it over once: kept in the database, "
        "`serve` checks the notifications with it",
        "fr": "  l'outil a créé le secret de signature et l'a remis une fois : gardé dans la "
        "base, `serve` vérifie les notifications avec",
    },
    "webhooks.already": {
        "en": "Source '{name}' ({kind}): already registered at {url} (webhook {id})",
        "fr": "Source '{name}' ({kind}) : déjà enregistrée à {url} (webhook {id})",
    },
    "webhooks.refused": {
        "en": "Source '{name}' ({kind}): not registered: {error}",
        "fr": "Source '{name}' ({kind}) : non enregistrée : {error}",
    },
    "webhooks.none": {
        "en": "No webhook registered: pipeline-bot webhooks register --url https://your-host",
        "fr": "Aucun webhook enregistré : pipeline-bot webhooks register --url https://votre-hôte",
    },
    "webhooks.row": {
        "en": "Source '{name}' ({kind}): webhook {id} → {url}, registered {created}: {state}",
        "fr": "Source '{name}' ({kind}) : webhook {id} → {url}, enregistré le {created} : {state}",
    },
    "webhooks.active": {"en": "active", "fr": "actif"},
    "webhooks.gone": {
        "en": "no longer at the tool",
        "fr": "n'existe plus dans l'outil",
    },
    "webhooks.unchecked": {
        "en": "not checked ({error})",
        "fr": "non vérifié ({error})",
    },
    "webhooks.removed": {
        "en": "Source '{name}' ({kind}): webhook {id} removed ({url})",
        "fr": "Source '{name}' ({kind}) : webhook {id} supprimé ({url})",
    },
    "webhooks.not_removed": {
        "en": "Source '{name}' ({kind}): webhook {id} not removed: {error}",
        "fr": "Source '{name}' ({kind}) : webhook {id} non supprimé : {error}",
    },
    "http.no_answer": {"en": "no answer", "fr": "pas de réponse"},
    "http.still_failing": {
        "en": "{reason}; still failing after {attempts} attempts and {waited} s of waiting",
        "fr": "{reason} ; toujours en échec après {attempts} tentative(s) et {waited} s d'attente",
    },
    "http.refused": {
        "en": "the credentials were refused{hint}",
        "fr": "les identifiants ont été refusés{hint}",
    },
    "http.not_json": {"en": "the answer is not JSON", "fr": "la réponse n'est pas du JSON"},
    "http.timed_out": {"en": "timed out", "fr": "délai dépassé"},
    "http.connection_failed": {"en": "connection failed", "fr": "connexion impossible"},
    "adapter.not_object": {
        "en": "source '{source}': a {noun} that is not an object ({what}) was skipped",
        "fr": "source '{source}' : un élément ({noun}) qui n'est pas un objet ({what}) a été "
        "ignoré",
    },
    "adapter.no_id": {
        "en": "{label}: field '{field}' is missing; skipped",
        "fr": "{label} : le champ '{field}' manque ; ignoré",
    },
    "adapter.wrong_type": {
        "en": "{label}: field '{field}' is {what}, expected {expected}; left empty",
        "fr": "{label} : le champ '{field}' est de type {what} au lieu de {expected} ; laissé vide",
    },
    "adapter.odd_entry": {
        "en": "{label}: field '{field}' holds {what} where {expected} was expected; ignored",
        "fr": "{label} : le champ '{field}' contient un {what} au lieu d'un {expected} ; ignoré",
    },
    "adapter.unreadable": {
        "en": "{label}: field '{field}' is missing or malformed ({error}); skipped, its deal kept "
        "as it was",
        "fr": "{label} : le champ '{field}' manque ou est mal formé ({error}) ; ignoré, son "
        "affaire reste telle quelle",
    },
    "sync.warning": {"en": "  warning: {warning}", "fr": "  avertissement : {warning}"},
    # --- the database file ------------------------------------------------------------------
    "store.locked": {
        "en": "the database {path} is locked by another pipeline-bot process (a sync?): try "
        "again in a moment",
        "fr": "la base {path} est verrouillée par un autre processus pipeline-bot (une "
        "synchronisation ?) : réessayez dans un instant",
    },
    "store.readonly": {
        "en": "the database {path} is read-only ({error}): give the user running pipeline-bot "
        "write access to the file and its folder",
        "fr": "la base {path} est en lecture seule ({error}) : donnez à l'utilisateur qui lance "
        "pipeline-bot le droit d'écrire dans le fichier et son dossier",
    },
    "store.corrupt": {
        "en": "the database {path} is damaged ({error}): restore it from a backup, or move it "
        "aside and run `pipeline-bot sync --full` to rebuild it",
        "fr": "la base {path} est endommagée ({error}) : restaurez-la depuis une sauvegarde, ou "
        "mettez-la de côté et lancez `pipeline-bot sync --full` pour la reconstruire",
    },
    "store.full": {
        "en": "the disk holding the database {path} is full ({error}): free some space, then "
        "run the command again",
        "fr": "le disque de la base {path} est plein ({error}) : libérez de la place, puis "
        "relancez la commande",
    },
    "store.folder": {
        "en": "the database {path} is a folder, not a file: point `db` (or --db, "
        "$PIPELINE_DB) at a file such as {path}/pipeline.db",
        "fr": "la base {path} est un dossier, pas un fichier : indiquez un fichier dans `db` "
        "(ou --db, $PIPELINE_DB), par exemple {path}/pipeline.db",
    },
    "store.unopenable": {
        "en": "cannot open the database {path} ({error}): check that its folder exists and that "
        "the user running pipeline-bot may write there",
        "fr": "impossible d'ouvrir la base {path} ({error}) : vérifiez que son dossier existe et "
        "que l'utilisateur qui lance pipeline-bot peut y écrire",
    },
    "store.failed": {
        "en": "the database {path} failed ({error}): check the file, or restore it from a backup",
        "fr": "la base {path} a échoué ({error}) : vérifiez le fichier, ou restaurez-le depuis "
        "une sauvegarde",
    },
    "store.pg_driver": {
        "en": "the database {path} is on PostgreSQL, whose driver is not installed: run "
        '`pip install "pipeline-bot[postgres]"`',
        "fr": "la base {path} est sur PostgreSQL, dont le pilote n'est pas installé : lancez "
        '`pip install "pipeline-bot[postgres]"`',
    },
    "store.pg_unreachable": {
        "en": "cannot reach the PostgreSQL server of {path} ({error}): check that it is running "
        "and that host and port in the URL are right",
        "fr": "impossible de joindre le serveur PostgreSQL de {path} ({error}) : vérifiez qu'il "
        "tourne et que l'hôte et le port de l'URL sont les bons",
    },
    "store.pg_auth": {
        "en": "PostgreSQL refused the login of {path} ({error}): check the user and password "
        "in the URL",
        "fr": "PostgreSQL refuse la connexion de {path} ({error}) : vérifiez l'utilisateur et "
        "le mot de passe de l'URL",
    },
    "store.pg_no_database": {
        "en": "the PostgreSQL database of {path} does not exist ({error}): create it (`createdb "
        "NAME`); pipeline-bot creates its tables itself",
        "fr": "la base PostgreSQL de {path} n'existe pas ({error}) : créez-la (`createdb NOM`) ; "
        "pipeline-bot crée lui-même ses tables",
    },
    "store.pg_denied": {
        "en": "the PostgreSQL user of {path} may not do that ({error}): make it the owner of "
        "the database (`ALTER DATABASE name OWNER TO user`), which lets it create the tables",
        "fr": "l'utilisateur PostgreSQL de {path} n'en a pas le droit ({error}) : faites-en le "
        "propriétaire de la base (`ALTER DATABASE nom OWNER TO utilisateur`), qui peut alors "
        "créer les tables",
    },
    "store.pg_failed": {
        "en": "the PostgreSQL database {path} failed ({error})",
        "fr": "la base PostgreSQL {path} a échoué ({error})",
    },
    # --- Slack (/pipeline, App Home) -------------------------------------------------------
    "slack.working": {
        "en": "Working on it… the answer follows in a moment.",
        "fr": "Je m'en occupe… la réponse arrive dans un instant.",
    },
    "slack.unknown_query": {
        "en": "⚠️ {error}. `/pipeline help` lists what you can ask.",
        "fr": "⚠️ {error}. `/pipeline aide` liste ce que vous pouvez demander.",
    },
    "slack.db_busy": {
        "en": "The pipeline database is busy (a sync is writing to it): try again in a moment.",
        "fr": "La base du pipeline est occupée (une synchronisation écrit dedans) : réessayez "
        "dans un instant.",
    },
    "slack.db_broken": {
        "en": "The pipeline database can't be read right now. It has been logged: tell whoever "
        "runs pipeline-bot.",
        "fr": "La base du pipeline est illisible pour le moment. C'est journalisé : prévenez la "
        "personne qui gère pipeline-bot.",
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
    "slack.stalled_head": {"en": "Stalled deals: {n}", "fr": "Affaires bloquées : {n}"},
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
    "col.range": {"en": "Likely range (P10–P90)", "fr": "Fourchette probable (P10–P90)"},
    "col.configured": {"en": "Configured", "fr": "Configurée"},
    "col.history": {"en": "Your history", "fr": "Votre historique"},
    "col.observed": {"en": "Observed", "fr": "Observée"},
    "col.calibrated": {"en": "Calibrated", "fr": "Calibrée"},
    "col.forecast_then": {"en": "Forecast on the 1st", "fr": "Prévu le 1er"},
    "col.won": {"en": "Won", "fr": "Gagné"},
    "col.in_range": {"en": "In range", "fr": "Dans la fourchette"},
    "calibration.title": {
        "en": "Stage probabilities against your history",
        "fr": "Probabilités d'étape face à votre historique",
    },
    "calibration.line": {
        "en": "{stage}: configured {configured}, your history {won} won of {closed} closed → "
        "{calibrated}",
        "fr": "{stage} : configuré {configured}, votre historique {won} gagnées sur {closed} "
        "conclues → {calibrated}",
    },
    "calibration.history": {
        "en": "{won} won of {closed} closed",
        "fr": "{won} gagnées sur {closed} conclues",
    },
    "calibration.explain": {
        "en": "Calibrated = your won deals plus the configured probability counted as {weight} "
        "deals, over your closed deals plus {weight}: with little history it stays near what "
        "you configured.",
        "fr": "Calibrée = vos affaires gagnées plus la probabilité configurée comptée pour "
        "{weight} affaires, sur vos affaires conclues plus {weight} : avec peu d'historique elle "
        "reste proche de ce que vous avez configuré.",
    },
    "calibration.backtest": {
        "en": "Tested in time order on {n} passages of closed deals through a stage (each "
        "judged with only what was known then): Brier score {stage} with the configured "
        "probabilities, {calibrated} with the calibrated ones (0 is perfect, lower is better).",
        "fr": "Testé dans l'ordre chronologique sur {n} passages d'affaires conclues par une étape "
        "(chacune jugée avec ce qu'on savait alors) : score de Brier {stage} avec les "
        "probabilités configurées, {calibrated} avec les calibrées (0 = parfait, plus bas = "
        "mieux).",
    },
    "calibration.backtest_none": {
        "en": "No closed deal to test the probabilities against yet.",
        "fr": "Aucune affaire conclue pour tester les probabilités pour l'instant.",
    },
    "calibration.recommend.calibrated": {
        "en": "Recommendation: use the calibrated probabilities (`probabilities = "
        '"calibrated"` under `[forecast]` in pipeline.toml).',
        "fr": "Recommandation : utilisez les probabilités calibrées (`probabilities = "
        '"calibrated"` sous `[forecast]` dans pipeline.toml).',
    },
    "calibration.recommend.stage": {
        "en": "Recommendation: keep the configured probabilities{reason}.",
        "fr": "Recommandation : gardez les probabilités configurées{reason}.",
    },
    "calibration.too_few": {
        "en": " (too little history: {n} passages tested, {min} needed)",
        "fr": " (trop peu d'historique : {n} passages testés, il en faut {min})",
    },
    "calibration.in_use.stage": {
        "en": "Weighted amounts use the configured probabilities now.",
        "fr": "Les montants pondérés utilisent aujourd'hui les probabilités configurées.",
    },
    "calibration.in_use.calibrated": {
        "en": "Weighted amounts use the calibrated probabilities now.",
        "fr": "Les montants pondérés utilisent aujourd'hui les probabilités calibrées.",
    },
    "accuracy.title": {"en": "Forecast accuracy", "fr": "Précision des prévisions"},
    "accuracy.summary": {
        "en": "Average gap between forecast and won (MAE): {mae} · won within the likely range: "
        "{within} month(s) of {n}",
        "fr": "Écart moyen entre prévu et gagné (MAE) : {mae} · gagné dans la fourchette "
        "probable : {within} mois sur {n}",
    },
    "accuracy.lookahead": {
        "en": "* some close dates have no history going back that far: today's value was used, "
        "so that month's forecast may look better than it was.",
        "fr": "* certaines dates de clôture n'ont pas d'historique aussi ancien : leur valeur "
        "d'aujourd'hui a servi, la prévision de ce mois peut paraître meilleure qu'elle ne "
        "l'était.",
    },
    "accuracy.yes": {"en": "yes", "fr": "oui"},
    "accuracy.no": {"en": "no", "fr": "non"},
    "digest.accuracy": {
        "en": "Last month ({month}): forecast {forecast} on the 1st (likely {low} – {high}), "
        "won {won}.",
        "fr": "Le mois dernier ({month}) : {forecast} prévus le 1er (probablement {low} – "
        "{high}), {won} gagnés.",
    },
    "digest.calibration": {
        "en": "Your history forecasts better than the configured probabilities: see "
        "`/pipeline calibration`.",
        "fr": "Votre historique prévoit mieux que les probabilités configurées : voir "
        "`/pipeline calibrage`.",
    },
    "range": {"en": "{low} – {high}", "fr": "{low} – {high}"},
    "slack.range": {"en": "likely {low} – {high}", "fr": "probablement {low} – {high}"},
    "col.stalled": {"en": "Stalled", "fr": "Bloquées"},
    "col.deal": {"en": "Deal", "fr": "Affaire"},
    "col.client": {"en": "Client", "fr": "Client"},
    "col.owner": {"en": "Owner", "fr": "Responsable"},
    "col.idle": {"en": "Idle", "fr": "Inactif"},
    "col.next_step": {"en": "Next step", "fr": "Prochaine étape"},
    "col.month": {"en": "Month", "fr": "Mois"},
    "open.total": {"en": "Open pipeline", "fr": "Pipeline ouvert"},
    "age_unknown.note": {
        "en": "{count} open deal(s) have no known age: they count as idle only since the first "
        "sync that saw them. To date them, add a « Depuis le » column (or name a date field "
        "`stage_entered` in [sources.fields]) with the day each entered its stage.",
        "fr": "{count} affaire(s) ouverte(s) n'ont pas d'âge connu : elles ne comptent comme "
        "inactives que depuis la première synchronisation qui les a vues. Pour les dater, "
        "ajoutez une colonne « Depuis le » (ou nommez un champ date `stage_entered` dans "
        "[sources.fields]) avec le jour où chacune est entrée dans son étape.",
    },
    "unmapped.note": {
        "en": "{count} deal(s) have a status no stage claims: see `pipeline-bot check`",
        "fr": "{count} affaire(s) ont un statut qu'aucune étape ne reconnaît : voir "
        "`pipeline-bot check`",
    },
    "as_of": {"en": "as of {date}", "fr": "au {date}"},
    "stalled.title": {"en": "Stalled deals", "fr": "Affaires bloquées"},
    "stalled.count": {"en": "{title}: {n}", "fr": "{title} : {n}"},
    "label.value": {"en": "{label}: {value}", "fr": "{label} : {value}"},
    "demo.more": {"en": "Ask it more, e.g.:", "fr": "Pour aller plus loin, par exemple :"},
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
    # --- nudges (bot/nudges.py, bot/render/nudge_blocks.py) ---
    "nudge.intro": {
        "en": "Hi {owner}, these deals of yours haven't moved ({n}):",
        "fr": "Bonjour {owner}, ces affaires n'avancent plus ({n}) :",
    },
    "nudge.fallback": {
        "en": "{n} stalled deal(s) need your attention",
        "fr": "{n} affaire(s) bloquée(s) attendent votre action",
    },
    "nudge.team.intro": {
        "en": "No Slack user found for {owners}: here are their stalled deals.",
        "fr": "Aucun compte Slack trouvé pour {owners} : voici leurs affaires bloquées.",
    },
    "nudge.team.fallback": {
        "en": "Stalled deals of {owners}",
        "fr": "Affaires bloquées de {owners}",
    },
    "nudge.owner.heading": {
        "en": "*{owner}*: {n} stalled deal(s)",
        "fr": "*{owner}* : {n} affaire(s) bloquée(s)",
    },  # fmt: skip
    "nudge.no_owner": {"en": "(no owner)", "fr": "(sans responsable)"},
    "nudge.next": {"en": "👉 Next step: {step}", "fr": "👉 Prochaine étape : {step}"},
    "nudge.chase": {
        "en": "⏳ The ball is in the client's court: chase them ({step})",
        "fr": "⏳ La balle est dans le camp du client : relancez-le ({step})",
    },
    "nudge.chase.plain": {
        "en": "⏳ The ball is in the client's court: chase them",
        "fr": "⏳ La balle est dans le camp du client : relancez-le",
    },
    "button.open": {"en": "Open task", "fr": "Ouvrir la tâche"},
    "button.snooze": {"en": "Snooze {n} d", "fr": "Reporter de {n} j"},
    "button.followed_up": {"en": "Followed up", "fr": "Relancé"},
    "nudge.result": {
        "en": "Sent {messages} message(s) about {deals} deal(s), {failed} failed "
        "({skipped} already nudged today).",
        "fr": "{messages} message(s) envoyé(s) pour {deals} affaire(s), {failed} en échec "
        "({skipped} déjà relancée(s) aujourd'hui).",
    },
    "nudge.dry.result": {
        "en": "Dry run: {messages} message(s) about {deals} deal(s) would be sent "
        "({skipped} already nudged today); nothing was sent.",
        "fr": "Simulation : {messages} message(s) pour {deals} affaire(s) seraient envoyés "
        "({skipped} déjà relancée(s) aujourd'hui) ; rien n'a été envoyé.",
    },
    "nudge.dry.to_user": {
        "en": "To {owner} (Slack user {user}):",
        "fr": "À {owner} (utilisateur Slack {user}) :",
    },  # fmt: skip
    "nudge.dry.to_email": {
        "en": "To {owner} (Slack user looked up by e-mail {email} when sending; "
        "if none, the team channel {channel}):",
        "fr": "À {owner} (utilisateur Slack cherché par l'e-mail {email} à l'envoi ; "
        "sinon le canal d'équipe {channel}) :",
    },
    "nudge.dry.to_channel": {
        "en": "To the team channel {channel} (no Slack user for {owners}):",
        "fr": "Au canal d'équipe {channel} (aucun compte Slack pour {owners}) :",
    },
    "nudge.no_channel": {
        "en": "no Slack user for {owners} and no [slack] channel configured: "
        "their {n} deal(s) were not nudged",
        "fr": "aucun compte Slack pour {owners} et aucun canal [slack] configuré : "
        "leurs {n} affaire(s) n'ont pas été relancées",
    },
    "nudge.failed": {
        "en": "could not nudge {owner} ({deals}): {error}",
        "fr": "impossible de relancer {owner} ({deals}) : {error}",
    },  # fmt: skip
    "nudge.stopped": {
        "en": "Stopped: {error}. Re-run to send the rest (what was sent is not sent again today).",
        "fr": "Arrêt : {error}. Relancez la commande pour envoyer le reste (ce qui est parti "
        "ne repart pas aujourd'hui).",
    },
    "nudge.busy": {
        "en": "Another nudge pass is running ({holder}); try again in a few minutes.",
        "fr": "Une autre tournée de relances est en cours ({holder}) ; réessayez dans quelques "
        "minutes.",
    },
    "slack.no_token": {
        "en": "SLACK_BOT_TOKEN is not set: put the bot token (xoxb-…) in the environment or .env "
        "(or use --dry-run)",
        "fr": "SLACK_BOT_TOKEN n'est pas défini : mettez le jeton du bot (xoxb-…) dans "
        "l'environnement ou .env (ou utilisez --dry-run)",
    },
    # --- buttons (bot/slack/actions.py) ---
    "by.user": {"en": "(by {user})", "fr": "(par {user})"},
    "action.snooze": {
        "en": "💤 Snoozed by <@{user}> until {until}",
        "fr": "💤 Reportée par <@{user}> jusqu'au {until}",
    },  # fmt: skip
    "action.followed_up": {
        "en": "✅ Followed up by <@{user}> on {on}; quiet until {until}",
        "fr": "✅ Relancée par <@{user}> le {on} ; en pause jusqu'au {until}",
    },
    "action.already.snooze": {
        "en": "Already snoozed by <@{user}> until {until}: nothing changed.",
        "fr": "Déjà reportée par <@{user}> jusqu'au {until} : rien n'a changé.",
    },
    "action.already.followed_up": {
        "en": "Already marked followed up by <@{user}> on {on}: nothing changed.",
        "fr": "Déjà marquée relancée par <@{user}> le {on} : rien n'a changé.",
    },
    "action.moved": {
        "en": "This deal has moved to {stage} since this message: nothing to do.",
        "fr": "Cette affaire est passée en {stage} depuis ce message : rien à faire.",
    },
    "action.gone": {
        "en": "This deal is no longer in the pipeline.",
        "fr": "Cette affaire n'est plus dans le pipeline.",
    },  # fmt: skip
    "action.denied": {
        "en": "You are not allowed to use this bot here.",
        "fr": "Vous n'êtes pas autorisé·e à utiliser ce bot ici.",
    },
    "action.failed": {
        "en": "Something went wrong, nothing was changed: try again in a moment.",
        "fr": "Un problème est survenu, rien n'a changé : réessayez dans un instant.",
    },
    # --- changes made from Slack (bot/edits.py, bot/slack/edit_actions.py) ---
    "edit.moved": {"en": "➡️ Moved to {stage} by {user}", "fr": "➡️ Passée en {stage} par {user}"},
    "edit.lost": {
        "en": "❌ Marked lost by {user}: {reason}",
        "fr": "❌ Marquée perdue par {user} : {reason}",
    },
    "edit.next_step": {
        "en": "📝 Next step set by {user}: {step}",
        "fr": "📝 Prochaine étape fixée par {user} : {step}",
    },
    "edit.close_date": {
        "en": "📅 Close date set to {date} by {user}",
        "fr": "📅 Date de clôture fixée au {date} par {user}",
    },
    "edit.already": {
        "en": "The deal already says so: nothing changed.",
        "fr": "L'affaire est déjà à jour : rien n'a changé.",
    },
    "edit.denied": {
        "en": "Only the deal's owner ({owner}) or an editor (`slack.editors`) may change this "
        "deal: nothing changed.",
        "fr": "Seul·e le ou la responsable de l'affaire ({owner}) ou un·e éditeur·rice "
        "(`slack.editors`) peut modifier cette affaire : rien n'a changé.",
    },
    "edit.refused": {"en": "⚠️ {reason}", "fr": "⚠️ {reason}"},
    "edit.read_only": {
        "en": "This deal comes from a read-only source ({source}): change it there.",
        "fr": "Cette affaire vient d'une source en lecture seule ({source}) : modifiez-la là-bas.",
    },
    "edit.no_stage": {
        "en": "There is no stage {stage} in the pipeline: nothing changed.",
        "fr": "Le pipeline n'a pas d'étape {stage} : rien n'a changé.",
    },
    "edit.no_status": {
        "en": "No task-manager status is known for the stage {stage}: give that stage a "
        '`status` in pipeline.toml (`[[stages]] key = "{stage_key}"`).',
        "fr": "Aucun statut du gestionnaire de tâches n'est connu pour l'étape {stage} : "
        'donnez-lui un `status` dans pipeline.toml (`[[stages]] key = "{stage_key}"`).',
    },
    "edit.bad_date": {
        "en": "That is not a date: nothing changed.",
        "fr": "Ce n'est pas une date : rien n'a changé.",
    },
    "control.move": {"en": "Move to…", "fr": "Passer en…"},
    "control.lost": {"en": "Mark lost", "fr": "Marquer perdue"},
    "control.next_step": {"en": "Next step", "fr": "Prochaine étape"},
    "control.close_date": {"en": "Close date", "fr": "Date de clôture"},
    "modal.save": {"en": "Save", "fr": "Enregistrer"},
    "modal.cancel": {"en": "Cancel", "fr": "Annuler"},
    "modal.lost.title": {"en": "Mark as lost", "fr": "Marquer perdue"},
    "modal.lost.intro": {
        "en": "Why was *{title}* lost?",
        "fr": "Pourquoi l'affaire *{title}* est-elle perdue ?",
    },
    "modal.lost.pick": {"en": "A reason used before", "fr": "Une raison déjà utilisée"},
    "modal.lost.other": {"en": "Or another reason", "fr": "Ou une autre raison"},
    "modal.lost.need": {
        "en": "Pick a reason or write one.",
        "fr": "Choisissez une raison ou écrivez-en une.",
    },
    "modal.next.title": {"en": "Next step", "fr": "Prochaine étape"},
    "modal.next.intro": {"en": "What is next for *{title}*?", "fr": "Et ensuite, pour *{title}* ?"},
    "modal.next.label": {"en": "Next step", "fr": "Prochaine étape"},
    "modal.next.need": {"en": "Write the next step.", "fr": "Écrivez la prochaine étape."},
    # --- won/lost announcements (bot/announce.py) ---
    "announce.won": {
        "en": "🎉 Won: *{title}*{client}: {amount} · {owner}",
        "fr": "🎉 Gagnée : *{title}*{client} : {amount} · {owner}",
    },  # fmt: skip
    "announce.lost": {
        "en": "Lost: *{title}*{client}: {amount} · {owner}{reason}",
        "fr": "Perdue : *{title}*{client} : {amount} · {owner}{reason}",
    },  # fmt: skip
    "announce.reason": {"en": " · reason: {reason}", "fr": " · motif : {reason}"},
    "announce.dry": {
        "en": "Dry run: {n} announcement(s) would be posted to {channel}; nothing was sent.",
        "fr": "Simulation : {n} annonce(s) seraient publiées dans {channel} ; rien n'a été envoyé.",
    },
    "announce.posted": {
        "en": "{n} announcement(s) posted to {channel}.",
        "fr": "{n} annonce(s) publiée(s) dans {channel}.",
    },
    "announce.failed": {
        "en": "{n} announcement(s) could not be posted (see the log); they stay queued.",
        "fr": "{n} annonce(s) n'ont pas pu être publiées (voir le journal) ; elles restent en "
        "attente.",
    },
    "announce.off": {
        "en": "Announcements are off ([announce] won_lost = false in pipeline.toml).",
        "fr": "Les annonces sont désactivées ([announce] won_lost = false dans pipeline.toml).",
    },
    "announce.no_channel": {
        "en": "no channel for announcements: set `channel` in [slack] of pipeline.toml",
        "fr": "aucun canal pour les annonces : renseignez `channel` dans [slack] de pipeline.toml",
    },
    "announce.more": {
        "en": "… and {n} more won/lost deal(s) ({won} won, {lost} lost): "
        "`/pipeline changes` lists them",
        "fr": "… et {n} affaire(s) gagnée(s)/perdue(s) de plus ({won} gagnée(s), "
        "{lost} perdue(s)) : `/pipeline changements` les liste",
    },
    # --- weekly digest (bot/digest.py) ---
    "digest.title": {
        "en": "Pipeline review, week of {date}",
        "fr": "Revue du pipeline, semaine du {date}",
    },  # fmt: skip
    "digest.by_stage": {
        "en": "*Pipeline by stage* (change since {date})",
        "fr": "*Pipeline par étape* (évolution depuis le {date})",
    },  # fmt: skip
    "digest.stage_line": {
        "en": "{label}: {count} ({dcount}) · {amount} ({damount})",
        "fr": "{label} : {count} ({dcount}) · {amount} ({damount})",
    },  # fmt: skip
    "digest.open_line": {
        "en": "*Open pipeline*: {count} deal(s) ({dcount}) · {amount} ({damount}) · "
        "weighted {weighted}",
        "fr": "*Pipeline ouvert* : {count} affaire(s) ({dcount}) · {amount} ({damount}) · "
        "pondéré {weighted}",
    },
    "digest.new": {
        "en": "*New this week*: {count} deal(s) · {amount}",
        "fr": "*Nouvelles cette semaine* : {count} affaire(s) · {amount}",
    },  # fmt: skip
    "digest.won": {
        "en": "*Won this week*: {count} · {amount}",
        "fr": "*Gagnées cette semaine* : {count} · {amount}",
    },  # fmt: skip
    "digest.lost": {
        "en": "*Lost this week*: {count} · {amount}",
        "fr": "*Perdues cette semaine* : {count} · {amount}",
    },  # fmt: skip
    "digest.reasons": {"en": "Lost reasons: {reasons}", "fr": "Motifs de perte : {reasons}"},
    "digest.no_reason": {"en": "no reason given", "fr": "sans motif"},
    "digest.stalled": {
        "en": "*Stalled*: {count} deal(s)",
        "fr": "*Bloquées* : {count} affaire(s)",
    },  # fmt: skip
    "digest.forecast": {"en": "*Forecast*", "fr": "*Prévision*"},
    "digest.bottleneck": {
        "en": "*Bottleneck*: {label}: {percent} % of the deals that reach it move on{median}",
        "fr": "*Goulot d'étranglement* : {label} : {percent} % des affaires qui y arrivent "
        "passent à la suite{median}",
    },
    "digest.bottleneck_median": {
        "en": " (median stay {days} d)",
        "fr": " (séjour médian {days} j)",
    },
    "digest.forecast_line": {
        "en": "{month}: {count} deal(s) · {amount} · weighted {weighted}",
        "fr": "{month} : {count} affaire(s) · {amount} · pondéré {weighted}",
    },
    "digest.longest": {"en": "*Longest stalled*", "fr": "*Bloquées depuis le plus longtemps*"},
    "digest.posted": {"en": "Digest posted to {channel}.", "fr": "Revue publiée dans {channel}."},
    "digest.dry": {
        "en": "Dry run: this would be posted to {channel}; nothing was sent.",
        "fr": "Simulation : ceci serait publié dans {channel} ; rien n'a été envoyé.",
    },  # fmt: skip
    "digest.no_channel": {
        "en": "no channel for the digest: set `channel` in [digest] or [slack] of pipeline.toml",
        "fr": "aucun canal pour la revue : renseignez `channel` dans [digest] ou [slack] de "
        "pipeline.toml",
    },
    "digest.failed": {
        "en": "Could not post the digest to {channel}: {error}",
        "fr": "Impossible de publier la revue dans {channel} : {error}",
    },  # fmt: skip
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
    "help.calibration": {
        "en": "stage probabilities checked against your closed deals",
        "fr": "les probabilités d'étape vérifiées sur vos affaires conclues",
    },
    "help.accuracy": {
        "en": "past forecasts against what was won, month by month (default 6 months)",
        "fr": "les prévisions passées face à ce qui a été gagné, mois par mois (6 mois par défaut)",
    },
    # --- hygiene, holidays, snooze until, charts (issue 13) ---
    "help.hygiene": {
        "en": "open deals whose record needs tidying",
        "fr": "les affaires ouvertes dont la fiche est à compléter",
    },
    "hygiene.title": {"en": "Pipeline hygiene", "fr": "Hygiène du pipeline"},
    "hygiene.count": {
        "en": "{n} open deal(s) with a problem",
        "fr": "{n} affaire(s) ouverte(s) à corriger",
    },
    "hygiene.none": {
        "en": "Every open deal has an amount, a close date and an owner. 👍",
        "fr": "Chaque affaire ouverte a un montant, une date de clôture et un responsable. 👍",
    },
    "hygiene.no_amount": {"en": "no amount", "fr": "pas de montant"},
    "hygiene.no_close_date": {"en": "no expected close date", "fr": "pas de date de clôture"},
    "hygiene.no_owner": {"en": "nobody owns it", "fr": "personne n'en est responsable"},
    "hygiene.overdue": {
        "en": "expected to close on {date}, {days} days ago",
        "fr": "clôture prévue le {date}, il y a {days} jours",
    },
    "hygiene.no_next_step": {"en": "no next step", "fr": "pas de prochaine étape"},
    "hygiene.code.no_amount": {"en": "No amount", "fr": "Sans montant"},
    "hygiene.code.no_close_date": {"en": "No close date", "fr": "Sans date de clôture"},
    "hygiene.code.no_owner": {"en": "No owner", "fr": "Sans responsable"},
    "hygiene.code.overdue": {"en": "Overdue", "fr": "En retard"},
    "hygiene.code.close_date_pushed": {"en": "Close date pushed", "fr": "Date repoussée"},
    "hygiene.code.no_next_step": {"en": "No next step", "fr": "Sans prochaine étape"},
    "col.problems": {"en": "Problems", "fr": "Problèmes"},
    "chart.deals": {"en": "{n} deal(s)", "fr": "{n} affaire(s)"},
    "chart.open_total": {
        "en": "Open pipeline: {count} deal(s), {amount}, weighted {weighted}",
        "fr": "Pipeline ouvert : {count} affaire(s), {amount}, pondéré {weighted}",
    },
    "chart.range": {
        "en": "whiskers: likely range (P10–P90)",
        "fr": "moustaches : fourchette probable (P10–P90)",
    },
    "chart.conversion": {"en": "{rate} go on to the next stage", "fr": "{rate} passent à la suite"},
    "chart.bottleneck": {"en": "bottleneck", "fr": "goulot"},
    "chart.outcomes": {
        "en": "Closed deals: won and lost (their own scale)",
        "fr": "Affaires conclues : gagnées et perdues (échelle à part)",
    },
    "chart.owner_note": {
        "en": "{n} open · {stalled} stalled",
        "fr": "{n} en cours · {stalled} bloquée(s)",
    },
    "cli.png_no_chart": {"en": "--png: {error}", "fr": "--png : {error}"},
    "cli.png_no_folder": {
        "en": "--png: no such folder {folder} for {name}",
        "fr": "--png : le dossier {folder} n'existe pas (pour {name})",
    },
    "cli.png_cannot_write": {
        "en": "--png: cannot write {path} ({error})",
        "fr": "--png : impossible d'écrire {path} ({error})",
    },
    "cli.allow_empty_alone": {
        "en": "--allow-empty goes with --full: pipeline-bot sync --full --allow-empty",
        "fr": "--allow-empty va avec --full : pipeline-bot sync --full --allow-empty",
    },
    "error.no_chart": {
        "en": "'{word}' has no chart (charts: summary, forecast, funnel, owners)",
        "fr": "« {word} » n'a pas de graphique (graphiques : résumé, prévision, entonnoir, charge)",
    },
    "slack.chart_failed": {
        "en": "⚠️ The chart could not be uploaded ({error}).",
        "fr": "⚠️ Le graphique n'a pas pu être envoyé ({error}).",
    },
    "digest.charts": {"en": "Forecast and funnel", "fr": "Prévision et entonnoir"},
    "digest.dry_charts": {
        "en": "Attached in its thread: the forecast and funnel charts (forecast.png, funnel.png).",
        "fr": "En pièces jointes dans son fil : les graphiques prévision et entonnoir "
        "(forecast.png, funnel.png).",
    },
    "hygiene.close_date_pushed": {
        "en": "close date pushed {times} times, {days} days in all",
        "fr": "date de clôture repoussée {times} fois, de {days} jours en tout",
    },
    "picker.snooze_until": {"en": "Snooze until…", "fr": "Reporter jusqu'au…"},
    "action.snooze_until.past": {
        "en": "Pick a date after today ({today}) and up to a year ahead.",
        "fr": "Choisissez une date après aujourd'hui ({today}) et dans l'année qui vient.",
    },
    "hygiene.nudge": {
        "en": "🧹 {n} of your open deals need tidying ({codes}): `/pipeline hygiene`",
        "fr": "🧹 {n} de vos affaires ouvertes sont à compléter ({codes}) : `/pipeline hygiène`",
    },
    "hygiene.digest": {
        "en": "*Hygiene*: {n} open deal(s) to tidy up — {codes}",
        "fr": "*Hygiène* : {n} affaire(s) ouverte(s) à compléter — {codes}",
    },
    "hygiene.digest.none": {
        "en": "*Hygiene*: every open deal is complete. 👍",
        "fr": "*Hygiène* : toutes les affaires ouvertes sont complètes. 👍",
    },
    "home.hygiene": {"en": "Your deals to tidy up", "fr": "Vos affaires à compléter"},
    "home.hygiene.none": {
        "en": "Nothing to tidy up in your deals. 👍",
        "fr": "Rien à compléter dans vos affaires. 👍",
    },
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
    "unmapped.no_status": {"en": "(no status)", "fr": "(sans statut)"},
    "unmapped.fix_empty": {
        "en": "These deals have an empty status: fill it in the tool or the sheet (or point "
        "[sources.fields] status at the right column)",
        "fr": "Ces affaires ont un statut vide : renseignez-le dans l'outil ou la feuille (ou "
        "indiquez la bonne colonne dans [sources.fields] status)",
    },
    # --- sync and check of sheets (bot/sheets.py, bot/sync.py) ---
    "sync.rows": {
        "en": "{source}: {read} row(s) read, {stored} deal(s) stored, {skipped} row(s) skipped",
        "fr": "{source} : {read} ligne(s) lue(s), {stored} affaire(s) enregistrée(s), "
        "{skipped} ligne(s) ignorée(s)",
    },
    "sync.rows.repeated": {
        "en": ", {n} row(s) replaced by a later row with the same id ({rows})",
        "fr": ", {n} ligne(s) remplacée(s) par une ligne plus basse de même identifiant ({rows})",
    },
    "skip.detail": {"en": "{reason}: {rows}", "fr": "{reason} : {rows}"},
    "skip.separator": {"en": "; ", "fr": " ; "},
    "skip.empty": {"en": "empty", "fr": "vide"},
    "skip.above_header": {"en": "above the header", "fr": "au-dessus de l'en-tête"},
    "skip.no_title_status": {"en": "no title or status", "fr": "ni titre ni statut"},
    "skip.total": {"en": "total", "fr": "total"},
    "sync.empty_refused": {
        "en": "source '{source}': the sheet has no deal rows while {n} deal(s) are stored from "
        "it: refused, nothing removed (emptied on purpose? run `pipeline-bot sync --full "
        "--allow-empty --source {source}`)",
        "fr": "source '{source}' : la feuille n'a aucune ligne d'affaire alors que {n} affaire(s) "
        "en viennent : refusée, rien n'est retiré (vidée exprès ? lancez `pipeline-bot sync "
        "--full --allow-empty --source {source}`)",
    },
    "check.sheet.failed": {
        "en": "Source '{source}' (csv): cannot be read: {error}",
        "fr": "Source '{source}' (csv) : illisible : {error}",
    },
    "check.sheet.read": {
        "en": "Source '{source}' (csv): read ({encoding}, delimiter '{delimiter}'), "
        "nothing written",
        "fr": "Source '{source}' (csv) : lue ({encoding}, séparateur '{delimiter}'), rien d'écrit",
    },
    "check.sheet.rows": {
        "en": "  {read} row(s) read, {stored} deal(s) to store, {skipped} row(s) skipped",
        "fr": "  {read} ligne(s) lue(s), {stored} affaire(s) à enregistrer, {skipped} ligne(s) "
        "ignorée(s)",
    },
    "check.sheet.empty": {
        "en": "  The sheet is empty (no header, no row).",
        "fr": "  La feuille est vide (ni en-tête ni ligne).",
    },
    "check.sheet.empty_refused": {
        "en": "  No deal rows, while {n} deal(s) are stored from it: sync will refuse it and keep "
        "them (emptied on purpose? `pipeline-bot sync --full --allow-empty --source {source}`)",
        "fr": "  Aucune ligne d'affaire, alors que {n} affaire(s) en viennent : sync la refusera "
        "et les gardera (vidée exprès ? `pipeline-bot sync --full --allow-empty --source "
        "{source}`)",
    },
    "check.sheet.columns": {
        "en": "  Columns used: {columns}",
        "fr": "  Colonnes utilisées : {columns}",
    },
    "check.sheet.no_column": {
        "en": "  Fields with no column (left empty): {fields}",
        "fr": "  Champs sans colonne (laissés vides) : {fields}",
    },
    "check.sheet.no_id": {
        "en": "  No id column: rows are told apart by client and title (repeats by their order).",
        "fr": "  Pas de colonne d'identifiant : les lignes sont reconnues par client et titre "
        "(les répétitions par leur ordre).",
    },
    "check.sheet.no_since": {
        "en": "  No « Depuis le » column: ages count from the first sync; add one (the date each "
        "deal entered its status) to give deals their real age.",
        "fr": "  Pas de colonne « Depuis le » : les âges comptent depuis la première "
        "synchronisation ; ajoutez-en une (la date d'entrée dans le statut) pour leur donner "
        "leur âge réel.",
    },
    "check.sheet.no_status": {
        "en": "  No status column: every deal would be unmapped; name it with [sources.fields] "
        'status = "…"',
        "fr": "  Pas de colonne de statut : aucune affaire n'aurait d'étape ; nommez-la avec "
        '[sources.fields] status = "…"',
    },
    "check.sheet.unmapped": {
        "en": "  Statuses no stage claims (add them to [status_map]):",
        "fr": "  Statuts qu'aucune étape ne reconnaît (ajoutez-les à [status_map]) :",
    },
    "check.sheet.unmapped_row": {
        "en": "    {status}: {n} row(s)",
        "fr": "    {status} : {n} ligne(s)",
    },
    "check.sheet.no_status_value": {"en": "(no status)", "fr": "(sans statut)"},
    "check.sheet.warnings": {
        "en": "  {n} warning(s):",
        "fr": "  {n} avertissement(s) :",
    },
    "check.sheet.more": {"en": "    … and {n} more", "fr": "    … et {n} de plus"},
    # --- sheets (integrations/csv_source.py) ---
    "csv.no_file": {
        "en": "source '{source}': no such file {path}",
        "fr": "source '{source}' : le fichier {path} n'existe pas",
    },
    "csv.cannot_read": {
        "en": "source '{source}': cannot read {path}: {error}",
        "fr": "source '{source}' : impossible de lire {path} : {error}",
    },
    "csv.web_page": {
        "en": "source '{source}': the URL answered a web page, not CSV; publish the sheet to the "
        "web as CSV (File > Share > Publish to web > CSV) and use that link",
        "fr": "source '{source}' : l'URL a répondu une page web, pas du CSV ; publiez la feuille "
        "sur le web au format CSV (Fichier > Partager > Publier sur le Web > CSV) et utilisez "
        "ce lien",
    },
    "csv.too_big": {
        "en": "source '{source}': the sheet is larger than {mb} MB; stopped reading it (raise "
        "`max_mb` in its [[sources]] table if it really is that big)",
        "fr": "source '{source}' : la feuille dépasse {mb} Mo ; lecture arrêtée (augmentez "
        "`max_mb` dans sa table [[sources]] si elle est vraiment si grosse)",
    },
    "csv.too_slow": {
        "en": "source '{source}': the sheet took longer than {seconds} s to download; stopped "
        "(raise `max_seconds` in its [[sources]] table if the server is just slow)",
        "fr": "source '{source}' : le téléchargement de la feuille a dépassé {seconds} s ; "
        "arrêté (augmentez `max_seconds` dans sa table [[sources]] si le serveur est "
        "seulement lent)",
    },
    "csv.undecodable": {
        "en": "source '{source}': line {line}: byte {byte} cannot be read as {encoding}; set "
        '`encoding` in its [[sources]] table (e.g. "utf-8" or "cp1252")',
        "fr": "source '{source}' : ligne {line} : l'octet {byte} ne se lit pas en {encoding} ; "
        'indiquez `encoding` dans sa table [[sources]] (par ex. "utf-8" ou "cp1252")',
    },
    "csv.bad_csv": {
        "en": "source '{source}': row {row} is not readable CSV: {error}",
        "fr": "source '{source}' : la ligne {row} n'est pas du CSV lisible : {error}",
    },
    "csv.unknown_field": {
        "en": "source '{source}': [sources.fields] {field} = \"{name}\" matches no column of "
        "the sheet; nearest: {nearest}",
        "fr": "source '{source}' : [sources.fields] {field} = \"{name}\" ne correspond à "
        "aucune colonne de la feuille ; les plus proches : {nearest}",
    },
    "csv.no_title": {
        "en": "source '{source}': no column holds the deal's title (Affaire, Titre, Deal, "
        'Projet, Nom…); name it with [sources.fields] title = "…" (columns: {columns})',
        "fr": "source '{source}' : aucune colonne ne porte le titre de l'affaire (Affaire, "
        'Titre, Deal, Projet, Nom…) ; nommez-la avec [sources.fields] title = "…" '
        "(colonnes : {columns})",
    },
    "csv.header_twice": {
        "en": "source '{source}': columns '{used}' and '{other}' both look like {field}; "
        "'{used}' (the first) is used",
        "fr": "source '{source}' : les colonnes '{used}' et '{other}' désignent toutes deux "
        "{field} ; '{used}' (la première) est utilisée",
    },
    "csv.cell_cut": {
        "en": "row {row}: column '{column}': a cell of {length} characters was cut to {limit}",
        "fr": "ligne {row} : colonne '{column}' : une cellule de {length} caractères a été "
        "coupée à {limit}",
    },
    "csv.untitled": {
        "en": "row {row}: no title; loaded as '{title}'",
        "fr": "ligne {row} : pas de titre ; chargée sous le nom '{title}'",
    },
    "csv.repeated_id": {
        "en": "row {row}: id '{id}' appears again on row {later}; the later row wins",
        "fr": "ligne {row} : l'identifiant '{id}' revient ligne {later} ; la ligne la plus "
        "basse l'emporte",
    },
    "csv.no_id": {
        "en": "row {row}: empty id; told apart by client and title",
        "fr": "ligne {row} : identifiant vide ; reconnue par son client et son titre",
    },
    "csv.not_amount": {
        "en": "row {row} ('{title}'): column '{column}': {value} is not an amount; left empty",
        "fr": "ligne {row} ('{title}') : colonne '{column}' : {value} n'est pas un montant ; "
        "laissé vide",
    },
    "sync.not_currency": {
        "en": "{deal}: currency {value} is not a currency code (EUR, USD); the configured "
        "currency is used",
        "fr": "{deal} : la devise {value} n'est pas un code de devise (EUR, USD) ; la devise "
        "configurée s'applique",
    },
    "csv.not_currency": {
        "en": "row {row} ('{title}'): column '{column}': {value} is not a currency code (EUR, "
        "USD, €); the configured currency is used",
        "fr": "ligne {row} ('{title}') : colonne '{column}' : {value} n'est pas un code de devise "
        "(EUR, USD, €) ; la devise configurée est utilisée",
    },
    "csv.not_probability": {
        "en": "row {row} ('{title}'): column '{column}': {value} is not a probability (60, "
        "60 %, 0,6); left empty",
        "fr": "ligne {row} ('{title}') : colonne '{column}' : {value} n'est pas une probabilité "
        "(60, 60 %, 0,6) ; laissée vide",
    },
    "csv.not_date": {
        "en": "row {row} ('{title}'): column '{column}': {value} is not a date (2026-03-31 or "
        "31/03/2026); left empty",
        "fr": "ligne {row} ('{title}') : colonne '{column}' : {value} n'est pas une date "
        "(2026-03-31 ou 31/03/2026) ; laissée vide",
    },
}


class Said(str):
    """A message that can be said again in another language.

    It *is* its English text (so logs, exceptions and callers that only know strings keep
    working), and it keeps its catalogue key and values so whoever prints it for a person says
    it in the configured language with `localise`. Sources (which know nothing of settings)
    word their reports this way.
    """

    key: str
    values: dict[str, object]

    def __new__(cls, key: str, **values: object) -> Said:
        said = super().__new__(cls, t(key, "en", **values))
        said.key, said.values = key, values
        return said


def said_of(error: BaseException) -> str:
    """An exception's message, kept as a `Said` when it was worded as one (to print later in
    the configured language)."""
    first = error.args[0] if error.args else None
    return first if isinstance(first, Said) else str(error)


class Worded(str):
    """A library's own message (pydantic's), with the French a catalogue table gives it: it *is*
    the English text, as `Said` is, and `localise` says it in French."""

    french: str

    def __new__(cls, english: str, french: str) -> Worded:
        worded = super().__new__(cls, english)
        worded.french = french
        return worded


def localise(text: str, language: str) -> str:
    """`text` in `language` when it is a `Said` (or `Worded`); any other text is printed as is."""
    if isinstance(text, Worded):
        return text.french if language == "fr" else str(text)
    if not isinstance(text, Said):
        return str(text)
    values = {
        k: localise(v, language) if isinstance(v, (Said, Worded)) else v
        for k, v in text.values.items()
    }
    return t(text.key, language, **values)


#: pydantic's error types, in French (its English `msg` is kept for English); `{ge}`… come from
#: the error's context, `{expected}` is a literal's choices
PYDANTIC_FRENCH: dict[str, str] = {
    "missing": "clé obligatoire manquante",
    "literal_error": "doit être {expected}",
    "int_parsing": "doit être un nombre entier",
    "int_type": "doit être un nombre entier",
    "int_from_float": "doit être un nombre entier",
    "float_parsing": "doit être un nombre",
    "float_type": "doit être un nombre",
    "bool_parsing": "doit être true ou false",
    "bool_type": "doit être true ou false",
    "string_type": "doit être un texte entre guillemets",
    "list_type": "doit être une liste [ … ]",
    "dict_type": "doit être une table",
    "model_type": "doit être une table",
    "greater_than_equal": "doit être supérieur ou égal à {ge}",
    "greater_than": "doit être supérieur à {gt}",
    "less_than_equal": "doit être inférieur ou égal à {le}",
    "less_than": "doit être inférieur à {lt}",
    "string_too_short": "ne doit pas être vide",
    "too_short": "ne doit pas être vide",
}


def t(key: str, language: str, **values: object) -> str:
    """The phrase `key` in `language` (English when French lacks it), formatted with `values`."""
    entry = MESSAGES[key]
    template = entry.get(language) or entry["en"]
    return template.format(**values) if values else template
