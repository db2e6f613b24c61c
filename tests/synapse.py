"""A real Matrix homeserver for tests: Synapse on SQLite at 127.0.0.1, users registered with its shared secret.

Synapse lives in a virtualenv of its own (its pins clash with the bot's): `make test` makes
.venv-synapse; SYNAPSE_PYTHON names another interpreter that has it. Without either, the tests
that need it are skipped.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

SHARED_SECRET = "briefbot-test-secret"
# Few messages a second, so that a short digest meets the homeserver's rate limit.
MESSAGES_PER_SECOND, MESSAGE_BURST = 2, 3
STARTUP_TIMEOUT = 60.0


def synapse_python() -> Path | None:
    configured = os.environ.get("SYNAPSE_PYTHON")
    candidate = Path(configured) if configured else Path(__file__).resolve().parent.parent / ".venv-synapse/bin/python"
    return candidate if candidate.exists() else None


@dataclass
class Account:
    user_id: str
    access_token: str


@dataclass
class Homeserver:
    url: str

    def register(self, name: str) -> Account:
        """A new user, through the shared-secret registration of Synapse's admin API."""
        endpoint = f"{self.url}/_synapse/admin/v1/register"
        nonce = httpx.get(endpoint).json()["nonce"]
        password = f"{name}-password"
        mac = hmac.new(SHARED_SECRET.encode(), f"{nonce}\0{name}\0{password}\0notadmin".encode(), hashlib.sha1)
        answer = httpx.post(endpoint, json={"nonce": nonce, "username": name, "password": password, "admin": False,
                                            "mac": mac.hexdigest()})
        answer.raise_for_status()
        return Account(answer.json()["user_id"], answer.json()["access_token"])


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _config(directory: Path, port: int) -> str:
    return f"""
server_name: localhost
pid_file: {directory}/homeserver.pid
listeners:
  - {{port: {port}, bind_addresses: ['127.0.0.1'], type: http, tls: false, resources: [{{names: [client]}}]}}
database: {{name: sqlite3, args: {{database: {directory}/homeserver.db}}}}
media_store_path: {directory}/media
signing_key_path: {directory}/signing.key
registration_shared_secret: {SHARED_SECRET}
report_stats: false
macaroon_secret_key: test-macaroons
form_secret: test-forms
trusted_key_servers: []
suppress_key_server_warning: true
enable_metrics: false
rc_message: {{per_second: {MESSAGES_PER_SECOND}, burst_count: {MESSAGE_BURST}}}
rc_registration: {{per_second: 100, burst_count: 100}}
rc_joins: {{local: {{per_second: 100, burst_count: 100}}}}
"""


@pytest.fixture(scope="session")
def homeserver(tmp_path_factory) -> Homeserver:
    python = synapse_python()
    if python is None:
        pytest.skip("no Synapse: `make test` installs it into .venv-synapse (or set SYNAPSE_PYTHON)")
    directory, port = tmp_path_factory.mktemp("synapse"), _free_port()
    config = directory / "homeserver.yaml"
    config.write_text(_config(directory, port))
    command = [str(python), "-m", "synapse.app.homeserver", "-c", str(config)]
    subprocess.run([*command, "--generate-keys"], check=True, capture_output=True, cwd=directory)
    log = (directory / "synapse.log").open("wb")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=directory)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + STARTUP_TIMEOUT
    try:
        while True:
            try:
                httpx.get(f"{url}/_matrix/client/versions").raise_for_status()
                break
            except httpx.HTTPError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"Synapse did not start; see {directory / 'synapse.log'}") from None
                time.sleep(0.2)
        yield Homeserver(url)
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()
