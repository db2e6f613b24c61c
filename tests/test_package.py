"""The package as the Docker image installs it (`pip install .`, not editable) runs on its own:
its configs, demo feeds and database migrations travel inside the wheel."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO


def run(args: list[str | Path], **kwargs) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(arg) for arg in args], capture_output=True, text=True, timeout=300, **kwargs)


def test_the_built_wheel_runs_without_the_source_tree(tmp_path):
    # A copy of the sources: setuptools reuses build/ in a source tree, which can hide a missing file.
    source = tmp_path / "source"
    shutil.copytree(REPO, source, ignore=shutil.ignore_patterns(".*", "build", "data", "*.egg-info", "__pycache__"))
    built = run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w", tmp_path / "dist", source])
    assert built.returncode == 0, built.stderr
    [wheel] = (tmp_path / "dist").glob("briefbot-*.whl")
    site = tmp_path / "site"
    installed = run([sys.executable, "-m", "pip", "install", "--no-deps", "--target", site, wheel])
    assert installed.returncode == 0, installed.stderr

    env = {
        **os.environ,
        "PYTHONPATH": str(site),
        "TELEGRAM_BOT_TOKEN": "123:abc",
        "BRIEFBOT_STORAGE__URL": f"sqlite+aiosqlite:///{tmp_path / 'briefbot.db'}",
    }
    imported = run([sys.executable, "-c", "import bot; print(bot.__file__)"], cwd=tmp_path, env=env)
    assert Path(imported.stdout.strip()).is_relative_to(site), imported.stdout

    check = run([sys.executable, "-m", "bot", "run", "--config", site / "config" / "example.yaml", "--check-config"],
                cwd=tmp_path, env=env)
    assert check.returncode == 0, check.stderr
    assert check.stdout.startswith("config ok:")
    # A first poll creates the database through the packaged migrations and reads the packaged demo feeds.
    poll = run([sys.executable, "-m", "bot", "poll", "--config", site / "config" / "demo.yaml"], cwd=tmp_path, env=env)
    assert poll.returncode == 0, poll.stderr
    assert "14 new articles" in poll.stderr
