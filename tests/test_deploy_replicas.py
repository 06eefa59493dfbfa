"""deploy/compose.postgres.yaml: PostgreSQL, two `serve` replicas on it, Caddy in front of both.

No Docker engine runs in the test environment, so the file is read as compose reads it (YAML,
anchors and `<<` merges, `${VAR:?…}` from deploy/.env) and checked for what makes the deployment
work: one database every replica points at, a proxy whose upstream is every replica, secrets
only from the env file.
"""

from __future__ import annotations

import ipaddress
import re
import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
COMPOSE = DEPLOY / "compose.postgres.yaml"


def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    return data


def replicas(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every service built from the project's Dockerfile: the `serve` processes."""
    return {
        name: service
        for name, service in data["services"].items()
        if service.get("build", {}).get("dockerfile") == "deploy/Dockerfile"
    }


def interpolated(value: str, env: dict[str, str]) -> str:
    """`${VAR:?message}` / `${VAR:-default}` / `${VAR}` resolved as compose resolves them; a
    required variable missing from `env` raises, as `docker compose` refuses to start."""

    def one(match: re.Match[str]) -> str:
        name, op, rest = match.group(1), match.group(2), match.group(3) or ""
        if env.get(name):
            return env[name]
        if op == ":?":
            raise KeyError(f"{name}: {rest}")
        return rest

    return re.sub(r"\$\{(\w+)(?:(:\?|:-)([^}]*))?\}", one, value)


def test_two_serve_replicas_share_one_postgresql_database() -> None:
    data = compose()
    serve = replicas(data)
    assert len(serve) >= 2, "the point of this file is more than one replica"
    postgres = data["services"]["postgres"]
    assert str(postgres["image"]).startswith("postgres:15")
    env = {"POSTGRES_PASSWORD": "s3cret/with:odd@chars", "PIPELINE_HOSTNAME": "bot.example.fr"}
    urls = {interpolated(s["environment"]["PIPELINE_DB"], env) for s in serve.values()}
    (url,) = urls  # the same database for every replica
    parts = urlsplit(url)
    assert parts.scheme == "postgresql"
    assert parts.hostname == "postgres" and (parts.port or 5432) == 5432
    assert parts.username == postgres["environment"]["POSTGRES_USER"]
    assert parts.path.lstrip("/") == postgres["environment"]["POSTGRES_DB"]
    for service in serve.values():
        assert "serve" in service.get("command", "serve")  # the image's CMD is `serve`
        assert service["depends_on"]["postgres"]["condition"] == "service_healthy"
        assert "ports" not in service, "replicas are reached through the proxy only"


def test_postgresql_keeps_its_data_on_a_volume_and_reports_health() -> None:
    data = compose()
    postgres = data["services"]["postgres"]
    volume, _, mount = postgres["volumes"][0].partition(":")
    assert mount == "/var/lib/postgresql/data" and volume in data["volumes"]
    check = " ".join(postgres["healthcheck"]["test"])
    assert "pg_isready" in check
    assert postgres["environment"]["POSTGRES_USER"] in check
    assert "ports" not in postgres, "the database is not published outside compose's network"


def test_the_proxy_balances_slack_requests_over_every_replica() -> None:
    data = compose()
    proxy = data["services"]["proxy"]
    mounted = next(v for v in proxy["volumes"] if v.endswith(":/etc/caddy/Caddyfile:ro"))
    caddyfile = (DEPLOY / mounted.split(":")[0]).read_text(encoding="utf-8")
    (upstreams,) = re.findall(r"^\s*reverse_proxy\s+([^{\n]+?)\s*\{", caddyfile, re.M)
    ports = {name: s["environment"]["PORT"] for name, s in replicas(data).items()}
    assert set(upstreams.split()) == {f"{name}:{port}" for name, port in ports.items()}
    assert "health_uri /healthz" in caddyfile  # a replica that fails /healthz gets no request
    assert re.search(r"max_size 1MB", caddyfile)
    published = {p.split(":")[-1] for p in proxy["ports"]}
    assert published == {"80", "443"}
    assert set(proxy["depends_on"]) == set(ports)


def test_replicas_believe_forwarded_headers_from_the_proxy_only() -> None:
    data = compose()
    proxy_ip = data["services"]["proxy"]["networks"]["pipeline"]["ipv4_address"]
    (subnet,) = (c["subnet"] for c in data["networks"]["pipeline"]["ipam"]["config"])
    assert ipaddress.ip_address(proxy_ip) in ipaddress.ip_network(subnet)
    for service in replicas(data).values():
        assert service["environment"]["PIPELINE_TRUSTED_PROXY"] == proxy_ip


def test_secrets_come_from_the_env_file_never_from_the_compose_file() -> None:
    data = compose()
    serve = replicas(data)
    postgres = data["services"]["postgres"]
    for service in serve.values():
        assert service["env_file"] == ".env"  # Slack's secrets, as deploy/compose.yaml
        assert urlsplit(service["environment"]["PIPELINE_DB"]).password is None
        same = service["environment"]["PGPASSWORD"]
        assert same == postgres["environment"]["POSTGRES_PASSWORD"]
    # without the password in deploy/.env compose refuses to start, naming what to add
    try:
        interpolated(postgres["environment"]["POSTGRES_PASSWORD"], {})
    except KeyError as exc:
        assert "POSTGRES_PASSWORD" in str(exc) and "deploy/.env" in str(exc)
    else:
        raise AssertionError("an empty POSTGRES_PASSWORD must stop compose")


def test_the_image_can_open_a_postgresql_store() -> None:
    """The replicas run the project's image: it must install the PostgreSQL driver extra."""
    dockerfile = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r'^RUN pip install "\.\[postgres\]"', dockerfile, re.M)
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert any(d.startswith("psycopg") for d in project["optional-dependencies"]["postgres"])
