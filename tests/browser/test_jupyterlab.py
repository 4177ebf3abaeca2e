"""Chapter 5 opened in JupyterLab before it is run: one frame per explorer, and MyST renders.

JupyterLab shows a notebook that was not run on this machine as untrusted: its
sanitiser strips scripts and drops attributes it does not allow (a bare
``hidden``, for one). This test opens a chapter in a real JupyterLab (the pinned
requirements-lab.txt, with jupyterlab-myst) in Chromium, without running it,
and checks what a learner sees first:

- every explorer's stored output shows exactly one frame, with the line saying
  to run the notebook for the live explorer, and no dead sliders;
- no MyST markup is left as raw text (``:::{``, ``{doc}``, ``:class:``), and the
  exercise solutions are folded.

The notebook is ``chapters/05_activation_distributions.ipynb``, or the one named
by ``LAB_NOTEBOOK``. It is served from a temporary copy; nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest

pytest.importorskip("jupyterlab", reason="make lab installs requirements-lab.txt")
pytest.importorskip("jupyterlab_myst", reason="make lab installs requirements-lab.txt")
from playwright.sync_api import sync_playwright  # noqa: E402

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = Path(
    os.environ.get("LAB_NOTEBOOK", ROOT / "chapters" / "05_activation_distributions.ipynb")
)
HOST = "127.0.0.1"


def _free_port():
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    folder = tmp_path_factory.mktemp("lab")
    shutil.copy(NOTEBOOK, folder / NOTEBOOK.name)
    port, token = _free_port(), secrets.token_hex(16)
    home = folder / "home"
    env = dict(os.environ, HOME=str(home), JUPYTER_CONFIG_DIR=str(home / ".jupyter"))
    server = subprocess.Popen(
        [
            sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root",
            f"--ServerApp.ip={HOST}", f"--ServerApp.port={port}",
            f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={folder}",
            "--LabApp.news_url=", "--LabApp.extension_manager=readonly",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        ],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://{HOST}:{port}"
    for _ in range(120):
        try:
            urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=1)
            break
        except OSError:
            time.sleep(0.5)
    else:
        server.terminate()
        pytest.fail("JupyterLab did not start")
    yield f"{base}/lab/tree/{NOTEBOOK.name}?token={token}"
    server.terminate()
    server.wait(timeout=30)


# For each explorer output: the frames a reader sees, the note, visible sliders.
EXPLORERS = """() => [...document.querySelectorAll('.jp-OutputArea-output .dlib-fallback')]
.map(root => {
    const visible = el => el.offsetWidth > 0 && el.offsetHeight > 0 &&
                          getComputedStyle(el).visibility !== 'hidden';
    return {
        frames: [...root.querySelectorAll('img')].filter(visible).length,
        loaded: [...root.querySelectorAll('img')].filter(visible)
                    .every(img => img.naturalWidth > 0),
        note: (root.querySelector('.dlib-fallback-note') || {}).textContent || '',
        sliders: [...root.querySelectorAll('input')].filter(visible).length,
    };
})"""

RAW_MYST = """() => {
    const text = [...document.querySelectorAll('.jp-MarkdownOutput')]
        .map(el => el.innerText).join('\\n');
    return ['\\n:::', ':::{', '{doc}`', '{cite}`', ':class:', '{admonition}', '{dropdown}']
        .filter(marker => text.includes(marker));
}"""


def test_chapter_opened_before_running_shows_one_frame_per_explorer(lab):
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=shutil.which("chromium"), args=["--headless", "--no-sandbox"]
        )
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        off_site = []
        context.route(
            lambda url: urlsplit(url).hostname not in (HOST, None),
            lambda route: (off_site.append(route.request.url), route.abort("blockedbyclient")),
        )
        page = context.new_page()
        page.goto(lab, wait_until="load")
        page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=90_000)
        # Rendering a long notebook is lazy: scroll through it so every cell renders.
        for _ in range(60):
            page.mouse.wheel(0, 1500)
            page.wait_for_timeout(150)
        page.wait_for_timeout(1000)
        explorers = page.evaluate(EXPLORERS)
        raw = page.evaluate(RAW_MYST)
        browser.close()
    assert explorers, "no explorer output was found in the notebook"
    for number, explorer in enumerate(explorers):
        assert explorer["frames"] == 1, f"explorer {number} shows {explorer['frames']} frames"
        assert explorer["loaded"], f"explorer {number}: its frame did not load"
        assert "run the notebook for the live explorer" in explorer["note"]
        assert explorer["sliders"] == 0, f"explorer {number} shows sliders that cannot work"
    assert not raw, f"MyST markup shown as raw text: {raw}"
    assert not off_site, f"requests that left {HOST}: {off_site}"
