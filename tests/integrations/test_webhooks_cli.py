"""`pipeline-bot webhooks register|list|remove`, the real command (parser, dispatch table,
settings from pipeline.toml and .env, SQLite file) against the vendors' cassettes: each task
manager asked through its own API, one line per source in French (the default) or English, a
refusing tool said and the others go on, sheets skipped, ids kept in the store."""

from __future__ import annotations

import os
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.helpers import cli, db_target, store_at
from tests.integrations.support import WITH_BODY, Cassette

URL = "https://bot.agence-exemple.fr"
SOURCES = """
[[sources]]
kind = "monday"
name = "crm"
board = "1234567890"

[[sources]]
kind = "linear"
name = "produit"
team = "SAL"

[[sources]]
kind = "notion"
name = "ventes"
database = "8a3c2f5e-4b71-4d0e-9f12-6c7d8e9fa0b1"

[[sources]]
kind = "csv"
name = "tableur"
path = "deals.csv"
"""
ENV = (
    "MONDAY_TOKEN=FAKE\nMONDAY_WEBHOOK_SECRET=FAKE0monday0signing0secret\n"
    "LINEAR_API_KEY=lin_api_FAKE\nNOTION_TOKEN=secret_FAKE\n"
)


@pytest.fixture
def agency(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An agency folder with four sources; no secret from the test runner's environment."""
    for name in list(os.environ):
        if name.endswith(("_TOKEN", "_API_KEY", "_SECRET")) or name.startswith("PIPELINE_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "deals.csv").write_text("id,title,status\n1,Refonte,appel et devis\n")
    (tmp_path / ".env").write_text(ENV)
    (tmp_path / ".env").chmod(0o600)
    configure(tmp_path, "fr")
    return tmp_path


def configure(folder: Path, language: str) -> None:
    (folder / "pipeline.toml").write_text(f'language = "{language}"\n{SOURCES}')


def run(folder: Path, *words: str) -> subprocess.CompletedProcess[str]:
    return cli(folder, "webhooks", *words, "--config", str(folder / "pipeline.toml"),
               "--db", str(db_target(folder / "pipeline.db")))  # fmt: skip


def stored(folder: Path) -> list[tuple[str, str, str]]:
    store = store_at(folder / "pipeline.db")
    try:
        return [(h["source"], h["id"], h["url"]) for h in store.webhooks()]
    finally:
        store.close()


def test_register_asks_each_tool_keeps_the_ids_and_says_what_each_did(
    agency: Path, cassette: Cassette
) -> None:
    with cassette("monday/webhook_register.yaml", match_on=WITH_BODY) as cass:
        done = run(agency, "register", "--url", URL + "/")
    assert cass.all_played
    out = done.stdout.splitlines()
    assert out == [
        "Source 'crm' (monday) : les notifications vont à "
        "https://bot.agence-exemple.fr/webhooks/crm (webhook 28536170)",
        "Source 'produit' (linear) : non enregistrée : source « produit » : définissez d'abord "
        "LINEAR_WEBHOOK_SECRET (une longue chaîne aléatoire, dans l'environnement ou .env) : "
        "l'outil signe ses notifications avec et `serve` les vérifie",
        "Source 'ventes' (notion) : non enregistrée : source « ventes » : Notion n'a pas d'API "
        "pour créer, lister ou supprimer des webhooks : ajoutez "
        "https://bot.agence-exemple.fr/webhooks/ventes dans la page de réglages de l'intégration "
        "(developers.notion.com, onglet Webhooks) et validez-la là (voir docs/webhooks.md)",
        "Source 'tableur' (csv) : ignorée : un tableur n'envoie pas de notifications ; la "
        "synchronisation périodique la tient à jour",
    ]
    assert done.returncode == 1  # two tools refused: needs attention
    assert stored(agency) == [("crm", "28536170", f"{URL}/webhooks/crm")]

    # the same command again registers nothing twice (no request reaches monday)
    with cassette("monday/webhook_register.yaml") as cass:
        again = run(agency, "register", "--url", URL, "--source", "crm")
    assert cass.play_count == 0
    assert again.stdout.splitlines() == [
        "Source 'crm' (monday) : déjà enregistrée à https://bot.agence-exemple.fr/webhooks/crm "
        "(webhook 28536170)"
    ]
    assert len(stored(agency)) == 1


def test_list_checks_each_stored_webhook_with_its_tool_and_remove_stops_it(
    agency: Path, cassette: Cassette
) -> None:
    with cassette("monday/webhook_register.yaml", match_on=WITH_BODY):
        run(agency, "register", "--url", URL, "--source", "crm")
    configure(agency, "en")
    with cassette("monday/webhook_list.yaml", match_on=WITH_BODY):
        listed = run(agency, "list")
    assert listed.returncode == 0
    line = listed.stdout.strip()
    assert line.startswith(
        "Source 'crm' (monday): webhook 28536170 → https://bot.agence-exemple.fr/webhooks/crm, "
        "registered 20"
    )
    assert line.endswith(": active")
    with cassette("monday/webhook_remove.yaml", match_on=WITH_BODY) as cass:
        removed = run(agency, "remove")
    assert cass.all_played and removed.returncode == 0
    assert removed.stdout.splitlines() == [
        "Source 'crm' (monday): webhook 28536170 removed "
        "(https://bot.agence-exemple.fr/webhooks/crm)"
    ]
    assert stored(agency) == []
    empty = run(agency, "list")
    assert empty.returncode == 0
    assert empty.stdout.strip() == (
        "No webhook registered: pipeline-bot webhooks register --url https://your-host"
    )


def test_a_webhook_deleted_in_the_tool_is_listed_as_gone(agency: Path, cassette: Cassette) -> None:
    store = store_at(agency / "pipeline.db")
    store.add_webhook("crm", "11112222", f"{URL}/webhooks/crm", datetime(2026, 11, 2, tzinfo=UTC))
    store.close()
    with cassette("monday/webhook_list.yaml"):
        listed = run(agency, "list")
    assert listed.returncode == 0
    assert listed.stdout.strip() == (
        "Source 'crm' (monday) : webhook 11112222 → https://bot.agence-exemple.fr/webhooks/crm, "
        "enregistré le 2026-11-02T00:00:00+00:00 : n'existe plus dans l'outil"
    )


@pytest.mark.parametrize(
    ("words", "message"),
    [
        (["register"], "webhooks register demande --url avec l'adresse publique de `serve`"),
        (["register", "--url", "http://bot.agence-exemple.fr"],
         "--url doit être une adresse https:// sans paramètres"),
        (["register", "--url", URL, "--source", "agence"],
         "aucune source nommée agence (configurées : crm, produit, tableur, ventes)"),
        (["list", "--url", URL], "--url ne s'emploie qu'avec webhooks register"),
        (["remove", "999"], "aucun webhook enregistré avec l'identifiant 999"),
        (["purge"], "invalid choice: 'purge'"),
    ],
)  # fmt: skip
def test_usage_mistakes_are_one_line_and_exit_2(
    agency: Path, words: list[str], message: str
) -> None:
    if words[0] == "remove":
        store_at(agency / "pipeline.db").close()  # a database, with no webhook in it
    captured = run(agency, *words)
    assert captured.returncode == 2
    assert captured.stdout == ""
    assert message in captured.stderr and len(captured.stderr.strip().splitlines()) == 1
    assert "Traceback" not in captured.stderr


def test_help_lists_the_webhooks_command(tmp_path: Path) -> None:
    done = cli(tmp_path, "--help")
    assert done.returncode == 0
    assert "webhooks" in done.stdout


HOOK_CLICKUP = "https://pipeline.agence.example/webhooks/clickup"


def kept(folder: Path, source: str) -> tuple[str | None, str | None]:
    """What `serve` will check `source`'s notifications with: the kept secret and URL."""
    from bot.webhooks import registered_url, stored_secret

    store = store_at(folder / "pipeline.db")
    try:
        return stored_secret(store, source), registered_url(store, source)
    finally:
        store.close()


def test_a_secret_the_tool_makes_is_kept_for_serve_then_list_and_remove_work(
    tmp_path: Path, cassette: Cassette, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CLICKUP_TOKEN", raising=False)
    monkeypatch.delenv("CLICKUP_WEBHOOK_SECRET", raising=False)
    (tmp_path / "pipeline.toml").write_text(
        'language = "en"\n\n[[sources]]\nkind = "clickup"\nlist = "901204567890"\n'
    )
    (tmp_path / ".env").write_text("CLICKUP_TOKEN=pk_0_FAKE\n")
    (tmp_path / ".env").chmod(0o600)
    with cassette("clickup/webhooks.yaml") as cass:
        said = [run(tmp_path, "register", "--url", "https://pipeline.agence.example")]
        created = stored_at(tmp_path)
        assert kept(tmp_path, "clickup") == ("7x1PK3mISQG0jBqeNYuhWn8alZdRtf5E", HOOK_CLICKUP)
        said.append(run(tmp_path, "list"))
        said.append(run(tmp_path, "remove", "4b67ac88-e506-4a29-9d42-26e504e3435e"))
    assert cass.all_played
    assert [done.returncode for done in said] == [0, 0, 0]
    assert "".join(done.stdout for done in said).splitlines() == [
        "Source 'clickup' (clickup): notifications go to "
        "https://pipeline.agence.example/webhooks/clickup (webhook "
        "4b67ac88-e506-4a29-9d42-26e504e3435e)",
        "  the tool made the signing secret and handed it over once: kept in the database, "
        "`serve` checks the notifications with it",
        "Source 'clickup' (clickup): webhook 4b67ac88-e506-4a29-9d42-26e504e3435e → "
        f"https://pipeline.agence.example/webhooks/clickup, registered {created}: "
        "active",
        "Source 'clickup' (clickup): webhook 4b67ac88-e506-4a29-9d42-26e504e3435e removed "
        "(https://pipeline.agence.example/webhooks/clickup)",
    ]
    assert stored(tmp_path) == []


def stored_at(folder: Path) -> str:
    """When the one stored webhook was registered, as `list` prints it."""
    store = store_at(folder / "pipeline.db")
    try:
        return str(store.scalar("SELECT created FROM webhooks"))
    finally:
        store.close()


def test_linear_is_registered_once_its_signing_secret_is_set(
    agency: Path, cassette: Cassette
) -> None:
    (agency / ".env").write_text(ENV + "LINEAR_WEBHOOK_SECRET=whsec_FAKE0linear0secret\n")
    with cassette("linear/webhook_register.yaml", match_on=WITH_BODY) as cass:
        done = run(agency, "register", "--url", "https://bot.agence-exemple.fr",
                   "--source", "produit")  # fmt: skip
    assert cass.all_played and done.returncode == 0
    assert done.stdout.splitlines() == [
        "Source 'produit' (linear) : les notifications vont à "
        "https://bot.agence-exemple.fr/webhooks/produit (webhook "
        "b7e1f0c2-3d4a-4b5c-9d6e-7f8a9b0c1d2e)"
    ]
    assert kept(agency, "produit") == (None, "https://bot.agence-exemple.fr/webhooks/produit")


def test_a_config_without_sources_says_so(agency: Path) -> None:
    (agency / "pipeline.toml").write_text('language = "fr"\n')
    done = run(agency, "register", "--url", URL)
    assert done.returncode == 1
    assert done.stdout.strip() == (
        "Aucune source configurée : ajoutez une table [[sources]] à pipeline.toml (voir "
        "docs/sources.md)."
    )
