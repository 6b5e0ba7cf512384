import os
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[3]

# Importing takes about a second; this leaves room for a slow machine.
IMPORT_TIMEOUT_S = 60


def test_importing_the_wsgi_module_builds_the_app_without_connecting_to_anything() -> None:
    # Nothing listens on port 1: any attempt to connect at import time would fail the import.
    env = {
        **os.environ,
        "RECEIPTING_DATABASE_URL": "postgresql://postgres@127.0.0.1:1/receipting",
        "RECEIPTING_DEVELOPMENT": "",
    }
    probe = "import receipting.wsgi as w; print(type(w.app).__name__)"

    done = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=IMPORT_TIMEOUT_S,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "App"
