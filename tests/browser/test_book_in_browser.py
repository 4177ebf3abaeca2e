"""The rendered book as a reader sees it: every page of the built site in Chromium.

The site (``_build/html``, or the folder named by ``BOOK_HTML_DIR``) is served on
127.0.0.1 and each page is checked for:

- no console error and no uncaught exception;
- no failed request (network error or HTTP status >= 400);
- no request to any host other than 127.0.0.1 (the book works offline);
- every ``<img>`` loaded (``naturalWidth > 0``), and every image in the article
  described by alt text (not missing, empty or a file name);
- math typeset by the vendored MathJax, without TeX errors and with no raw TeX
  delimiters left in the text;
- no axe-core violation of "serious" or "critical" impact;
- every static widget fallback (``div.dlib-fallback``) shows a different frame
  when one of its sliders moves.

A full-page screenshot of every page goes to ``<site>/_screenshots/`` so that a
person can look at the whole book. Debian's ``chromium`` is driven by Playwright
for Python (``make browser`` installs it when it is missing).
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import re
import shutil
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import sync_playwright

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
SITE = (ROOT / os.environ.get("BOOK_HTML_DIR", "_build/html")).resolve()
SCREENSHOTS = SITE / "_screenshots"
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
HOST = "127.0.0.1"
# Flags for Debian's Chromium on a closed network: no sandbox (containers), and
# none of the background traffic (updates, sync, QUIC probes) a desktop makes.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Folders of the built site that hold assets, not pages.
NOT_PAGES = {"_static", "_sources", "_images", "_screenshots", "_downloads", "vendor"}


REDIRECT = re.compile(r'<meta http-equiv="refresh" content="0; url=([^"]+)"', re.IGNORECASE)


def site_pages() -> tuple[list[str], dict[str, str]]:
    """The HTML pages of the built site (paths relative to its root), and the
    redirect stubs among them (such as ``index.html``) with their targets."""
    if not (SITE / "index.html").is_file():
        return [], {}
    pages, redirects = [], {}
    for path in sorted(SITE.rglob("*.html")):
        relative = path.relative_to(SITE)
        if NOT_PAGES.intersection(relative.parts[:-1]):
            continue
        match = REDIRECT.search(path.read_text(encoding="utf-8", errors="replace")[:2000])
        if match:
            redirects[relative.as_posix()] = (relative.parent / match.group(1)).as_posix()
        else:
            pages.append(relative.as_posix())
    return pages, redirects


PAGES, REDIRECTS = site_pages()
if not PAGES:
    MISSING = f"no built book in {SITE}: run `make browser` (or `make build-book` first)"
    # `make browser` names the site explicitly: there a missing book is a failure,
    # while a plain `pytest tests` before any build just skips these tests.
    if "BOOK_HTML_DIR" in os.environ:
        pytest.fail(MISSING, pytrace=False)
    pytest.skip(MISSING, allow_module_level=True)


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


@pytest.fixture(scope="module")
def base_url():
    """The built site served on 127.0.0.1 at a free port, for the module's tests."""
    handler = functools.partial(QuietHandler, directory=str(SITE))
    server = http.server.ThreadingHTTPServer((HOST, 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://{HOST}:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser_context():
    """One Chromium and one context for every page, so the test stays quick."""
    executable = shutil.which("chromium")
    assert executable, "Debian's chromium is not on PATH: `make chromium` installs it"
    assert AXE_JS.is_file(), f"{AXE_JS} is missing: `make assets` installs it"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        # Anything not served by us is refused at once (and reported by the
        # request listener), so that a stray CDN link fails fast instead of
        # waiting for a network timeout.
        context.route(
            lambda url: urlsplit(url).hostname not in (HOST, None),
            lambda route: route.abort("blockedbyclient"),
        )
        yield context
        context.close()
        browser.close()


@pytest.fixture(scope="module")
def screenshots(axe_results):
    """The screenshot folder; the axe results are saved there too, at the end."""
    SCREENSHOTS.mkdir(exist_ok=True)
    for old in SCREENSHOTS.glob("*.png"):  # pages that no longer exist leave none behind
        old.unlink()
    yield SCREENSHOTS
    (SCREENSHOTS / "axe-violations.json").write_text(json.dumps(axe_results, indent=1))


# JavaScript run in the page. Text nodes outside code, scripts and typeset math
# must not hold TeX delimiters: if they do, MathJax did not typeset them.
RAW_TEX = """() => {
    const skip = 'pre, code, script, style, textarea, noscript, mjx-container, .highlight';
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    const found = [];
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const text = node.textContent;
        if (!/\\$\\$|\\\\\\(|\\\\\\[|\\\\begin\\{/.test(text)) continue;
        if (node.parentElement && node.parentElement.closest(skip)) continue;
        found.push(text.trim().slice(0, 120));
    }
    return found;
}"""

MATH_STATUS = """async () => {
    const math = [...document.querySelectorAll('span.math, div.math')];
    if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
        await MathJax.startup.promise;
    }
    return {
        mathjax: Boolean(window.MathJax && MathJax.version),
        math: math.length,
        untypeset: math.filter(el => !el.querySelector('mjx-container'))
                       .map(el => el.textContent.trim().slice(0, 80)),
        errors: [...document.querySelectorAll('mjx-merror')]
                    .map(el => el.getAttribute('data-mjx-error') || el.textContent),
    };
}"""

# Images in the article (figures, widget frames) need alt text that describes
# them: not missing, not empty, not a file name (myst-nb's default).
NO_ALT = """() => [...document.querySelectorAll('article img')]
    .filter(img => !img.alt.trim() || /\\.(png|jpe?g|svg|gif|webp)$|_images\\//i.test(img.alt))
    .map(img => (img.currentSrc || img.src).slice(0, 100) + ' alt=' + JSON.stringify(img.alt))"""

IMAGES = """async () => {
    const images = [...document.images];
    for (const img of images) img.loading = 'eager';
    await Promise.all(images.map(img => img.complete ? null :
        new Promise(done => { img.onload = img.onerror = done; })));
    return images.filter(img => !(img.naturalWidth > 0))
                 .map(img => img.currentSrc.slice(0, 100) || img.outerHTML.slice(0, 100));
}"""

# Index of each frame of a fallback that is shown (not hidden, not display:none).
SHOWN_FRAMES = """root => [...root.querySelectorAll('img.dlib-fallback-frame')]
    .map((img, index) => [img, index])
    .filter(([img]) => !img.hidden && getComputedStyle(img).display !== 'none')
    .map(([, index]) => index)"""

MOVE_SLIDER = """slider => {
    const min = Number(slider.min || 0), max = Number(slider.max || 100);
    slider.value = Number(slider.value) === max ? min : max;
    slider.dispatchEvent(new Event('input', {bubbles: true}));
    return slider.value;
}"""


def screenshot_name(page_path: str) -> str:
    return page_path.removesuffix(".html").replace("/", "__") + ".png"


def check_widget_fallbacks(page) -> list[str]:
    """Move every slider of every fallback; return what did not work."""
    problems = []
    # A widget view with no widget manager renders as nothing: the page must
    # show the widget's static fallback instead (nb_mime_priority_overrides).
    dead_views = page.locator('script[type="application/vnd.jupyter.widget-view+json"]').count()
    if dead_views:
        problems.append(f"{dead_views} live widget view(s) shown instead of a static fallback")
    roots = page.locator("div.dlib-fallback")
    for r in range(roots.count()):
        root = roots.nth(r)
        sliders = root.locator("input[type=range]")
        if sliders.count() == 0:
            problems.append(f"fallback {r} has no slider")
        if root.locator("img.dlib-fallback-frame").count() < 2:
            problems.append(f"fallback {r} has fewer than two frames")
            continue
        for s in range(sliders.count()):
            before = root.evaluate(SHOWN_FRAMES)
            if len(before) != 1:
                problems.append(f"fallback {r} shows {len(before)} frames, not one: {before}")
                break
            value = sliders.nth(s).evaluate(MOVE_SLIDER)
            try:
                page.wait_for_function(
                    f"([root, before]) => {{ const shown = ({SHOWN_FRAMES})(root);"
                    " return shown.length === 1 && shown[0] !== before; }",
                    arg=[root.element_handle(), before[0]],
                    timeout=2000,
                )
            except PlaywrightTimeout:  # report the frames shown instead
                after = root.evaluate(SHOWN_FRAMES)
                problems.append(
                    f"fallback {r}, slider {s} set to {value}: shown frames {before} -> {after}"
                )
                continue
            shown = root.locator("img.dlib-fallback-frame").nth(root.evaluate(SHOWN_FRAMES)[0])
            if not shown.evaluate("img => img.naturalWidth > 0"):
                problems.append(f"fallback {r}, slider {s}: the new frame did not load")
    return problems


@pytest.mark.parametrize("page_path", PAGES)
def test_page(page_path, base_url, browser_context, screenshots, axe_results):
    """One page of the book: loads cleanly and offline, renders, and passes axe."""
    console_errors, failed, off_site = [], [], []
    page = browser_context.new_page()
    page.on(
        "console",
        lambda message: console_errors.append(message.text) if message.type == "error" else None,
    )
    page.on("pageerror", lambda error: console_errors.append(f"uncaught: {error}"))
    page.on("requestfailed", lambda request: failed.append(f"{request.url} ({request.failure})"))
    page.on(
        "response",
        lambda response: (
            failed.append(f"{response.url} (HTTP {response.status})")
            if response.status >= 400
            else None
        ),
    )

    def record_host(request):
        parts = urlsplit(request.url)
        if parts.scheme in ("http", "https", "ws", "wss") and parts.hostname != HOST:
            off_site.append(request.url)

    page.on("request", record_host)
    try:
        page.goto(base_url + page_path, wait_until="load")
        math = page.evaluate(MATH_STATUS)
        broken_images = page.evaluate(IMAGES)
        no_alt = page.evaluate(NO_ALT)
        # Fonts and lazily loaded MathJax parts arrive after the load event.
        page.wait_for_load_state("networkidle")
        raw_tex = page.evaluate(RAW_TEX)
        page.screenshot(path=str(screenshots / screenshot_name(page_path)), full_page=True)

        page.add_script_tag(path=str(AXE_JS))
        axe = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
        violations = [
            {
                "id": v["id"],
                "impact": v["impact"],
                "help": v["help"],
                "nodes": [node["target"] for node in v["nodes"]],
            }
            for v in axe["violations"]
        ]
        axe_results[page_path] = violations
        widget_problems = check_widget_fallbacks(page)
        page.wait_for_load_state("networkidle")
    finally:
        page.close()

    # Every kind of problem is listed at once, so one run shows all that is wrong.
    problems = [f"console error: {text}" for text in console_errors]
    problems += [f"failed request: {text}" for text in failed]
    problems += [f"request that left {HOST}: {url}" for url in off_site]
    problems += [f"image that did not load: {src}" for src in broken_images]
    problems += [f"image without meaningful alt text: {text}" for text in no_alt]
    if math["math"] and not math["mathjax"]:
        problems.append("the page has math but MathJax did not load")
    problems += [f"math not typeset by MathJax: {text}" for text in math["untypeset"]]
    problems += [f"TeX error shown by MathJax: {text}" for text in math["errors"]]
    problems += [f"raw TeX left in the page text: {text}" for text in raw_tex]
    problems += [
        f"axe-core {v['impact']} violation {v['id']} ({v['help']}): {v['nodes']}"
        for v in violations
        if v["impact"] in ("serious", "critical")
    ]
    problems += [f"widget fallback: {text}" for text in widget_problems]
    assert not problems, f"{page_path}:\n" + "\n".join(problems)


@pytest.mark.parametrize("stub", sorted(REDIRECTS))
def test_redirect_stub_points_at_a_page(stub):
    """``index.html`` is a redirect written by jupyter-book: its target must be a page."""
    assert REDIRECTS[stub] in PAGES, f"{stub} redirects to a missing page {REDIRECTS[stub]}"
