"""docker-compose.yml and the Dockerfile, read as a deployer's tools would read them (no Docker
engine needed): every profile starts one bot that receives Telegram's updates (the scale profile
workers beside it), each with an environment that is a valid configuration."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from sqlalchemy.engine import make_url
from yarl import URL

from config.settings import load_settings

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
PROFILES = ("bot", "postgres", "llamacpp", "vllm", "scale")
DOCKERFILE = (ROOT / "Dockerfile").read_text(encoding="utf-8")
# ${NAME:-default} and ${NAME:?error} as Compose interpolates them, given `defined`.
_VARIABLE = re.compile(r"\$\{(\w+)(?::([-?])([^}]*))?\}")


def interpolate(value: str, defined: dict[str, str]) -> str:
    def substitute(match: re.Match) -> str:
        name, kind, default = match.groups()
        if name in defined:
            return defined[name]
        assert kind == "-", f"${{{name}}} has no default and is not set"
        return default

    return _VARIABLE.sub(substitute, value)


def services_of(profile: str) -> dict[str, dict]:
    return {name: spec for name, spec in COMPOSE["services"].items() if profile in spec.get("profiles", [])}


def bots_of(profile: str) -> dict[str, dict]:
    return {name: spec for name, spec in services_of(profile).items() if spec.get("image") == "briefbot"}


@pytest.mark.parametrize("profile", PROFILES)
def test_each_profile_runs_one_bot_after_its_healthy_dependencies(profile):
    services = services_of(profile)
    receiving = [name for name, spec in bots_of(profile).items() if "worker" not in spec.get("command", [])]
    assert len(receiving) == 1
    for name, spec in services.items():
        assert spec["restart"] == "unless-stopped", name
        for dependency, condition in spec.get("depends_on", {}).items():
            assert dependency in services, f"{name} needs {dependency}, not in profile {profile}"
            assert condition == {"condition": "service_healthy"}
            assert "healthcheck" in services[dependency], dependency


@pytest.mark.parametrize("profile", PROFILES)
def test_each_bots_environment_is_a_valid_configuration_naming_its_services(profile, monkeypatch):
    services = services_of(profile)
    environments = [spec["environment"] for spec in bots_of(profile).values()]
    assert all(environment == environments[0] for environment in environments)
    for name, value in environments[0].items():
        monkeypatch.setenv(name, interpolate(str(value), {"TELEGRAM_BOT_TOKEN": "123:abc"}))
    # The image's own defaults (Dockerfile ENV) apply under the compose environment.
    monkeypatch.setenv("BRIEFBOT_MODEL__NAME", "")
    settings = load_settings(ROOT / "config" / "example.yaml")
    assert settings.telegram.token == "123:abc"
    database = make_url(settings.storage.url)
    if profile == "bot":
        assert database.get_backend_name() == "sqlite"
    else:
        assert (database.drivername, database.host) == ("postgresql+asyncpg", "postgres")
        postgres = services["postgres"]["environment"]
        assert database.username == postgres["POSTGRES_USER"] and database.database == postgres["POSTGRES_DB"]
    if profile in ("llamacpp", "vllm", "scale"):
        server = URL(settings.model.base_url)
        assert settings.model.backend == "openai" and server.host in services
        assert f":{server.port}/health" in " ".join(services[server.host]["healthcheck"]["test"])
    else:
        assert settings.model.backend == "transformers"


def test_the_image_serves_health_on_the_port_compose_publishes():
    assert "BRIEFBOT_SERVER__PORT=8080" in DOCKERFILE and "EXPOSE 8080" in DOCKERFILE
    assert "127.0.0.1:8080/healthz" in DOCKERFILE
    assert all(port.endswith(":8080") for port in COMPOSE["x-bot"]["ports"])


def test_the_scale_profiles_workers_run_the_images_command_as_workers_without_host_ports():
    [command] = re.findall(r"^CMD (\[.*\])$", DOCKERFILE, re.MULTILINE)
    workers = COMPOSE["services"]["workers"]

    assert workers["command"] == [*json.loads(command), "--role", "worker"]
    assert workers["ports"] == []  # replicas would clash on one host port
    assert interpolate(workers["deploy"]["replicas"], {}) == "3"
