"""The README tour runs as written: load a demo, serve it, and run the tour's shell blocks with the
``export`` line the demo printed (each curl made to fail on an HTTP error, so a 4xx or 5xx fails the test)."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import DATA_DIR, PG_URL

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"

pytestmark = [
    pytest.mark.skipif(bool(PG_URL), reason="the tour runs on the embedded SQLite default"),
    pytest.mark.skipif(
        not (shutil.which("curl") and shutil.which("jq")), reason="the tour needs curl and jq"
    ),
]


def tour_blocks(text: str) -> list[str]:
    section = text.split("## A short tour", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.*?)```", section, flags=re.S)


def _cli(env: dict[str, str], *args: str, timeout: float = 600) -> str:
    code = "import rcc.cli as c; (getattr(c, 'main', None) or c.app)()"
    done = subprocess.run([sys.executable, "-c", code, *args], env=env, capture_output=True, text=True,
                          timeout=timeout, cwd=env["RCC_TOUR_DIR"])  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_tour_blocks_are_found():
    blocks = tour_blocks(README.read_text())
    assert len(blocks) >= 4
    assert "export KEY=" in blocks[0]
    joined = "\n".join(blocks)
    for step in ("/offers/$OFFER/accept", "/offers/$OFFER/child-profile", "stress-tests/$JOB"):
        assert step in joined


@pytest.mark.slow
def test_readme_tour_runs_as_written(tmp_path):
    env = {
        **os.environ,
        "RCC_DATABASE_URL": f"sqlite:///{tmp_path / 'rcc.db'}",
        "RCC_DATA_DIR": str(DATA_DIR),
        "PYTHONPATH": str(ROOT),
        "RCC_TOUR_DIR": str(tmp_path),
    }
    out = _cli(env, "demo", "--region", "North East", "--seed", "1", "--scale", "0.1")
    export = [ln for ln in out.splitlines() if ln.startswith("export ")]
    assert export, out
    assert "SSDA903 returns: " in out  # every member LA's returns, stored by the demo itself

    port = _free_port()
    code = "import rcc.cli as c; (getattr(c, 'main', None) or c.app)()"
    server = subprocess.Popen([sys.executable, "-c", code, "serve", "--port", str(port)], env=env, cwd=tmp_path,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # fmt: skip
    try:
        for _ in range(120):
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.5)
        else:
            pytest.fail("the server did not start")
        script = "\n".join(tour_blocks(README.read_text()))
        script = re.sub(r"^export KEY=.*$", export[-1], script, count=1, flags=re.M)
        script = script.replace("127.0.0.1:8000", f"127.0.0.1:{port}").replace("curl -s ", "curl -sSf ")
        done = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=tmp_path, capture_output=True,
                              text=True, timeout=600)  # fmt: skip
        assert done.returncode == 0, f"stdout:\n{done.stdout[-3000:]}\nstderr:\n{done.stderr[-3000:]}"
        assert '"accepted"' in done.stdout  # the offer was accepted by the provider
        assert "age_band" in done.stdout  # the provider saw the child's profile
        assert (tmp_path / "sufficiency.html").stat().st_size > 1000
        assert '"succeeded"' in done.stdout  # the stress test's result was fetched
    finally:
        server.terminate()
        server.wait(timeout=30)
