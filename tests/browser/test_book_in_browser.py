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
- every static widget fallback (``div.dlib-fallback``) has one picture whose
  frame follows its sliders through every point of its grid; each frame loads
  and is drawn with at least 1.5 device pixels per displayed pixel; the URL
  fragment follows the sliders, and a link with a fragment opens the explorer
  at those settings;
- every self-check quiz answers a click and a key press with feedback;
- the page (its HTML and images) weighs at most 3 MB; that and the weight with
  the shared theme, MathJax and search index are printed at the end;
- no button leads to the placeholder repository, and no student page has Colab.

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

import numpy as np
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

# The frame a fallback shows: its one <img>, which frame of the grid, and sizes.
FRAME = """root => {
    const img = root.querySelector('img.dlib-fallback-frame');
    return {count: root.querySelectorAll('img').length, frame: img.dataset.frame,
            src: img.currentSrc || img.src, natural: img.naturalWidth,
            shown: img.getBoundingClientRect().width, complete: img.complete};
}"""

# Links that lead nowhere while the repository URL is the placeholder, and Colab
# buttons on the student notebooks' pages (their checks need files Colab lacks).
DEAD_BUTTONS = """() => [...document.querySelectorAll('a[href]')]
    .map(a => a.href)
    .filter(href => href.includes('github.com/dropout-book/dropout-book')
        || href.includes('mybinder.org/v2/gh/dropout-book')
        || (location.pathname.includes('/classroom/') && href.includes('colab.research.google')))"""

#: A page may weigh this much when it loads: its HTML and the images it shows
#: (figures, one frame per explorer), not counting the assets every page shares.
PAGE_WEIGHT_LIMIT = 3_000_000
#: Paths of what every page shares (and a browser caches once for the whole book).
SHARED_ASSETS = ("/_static/", "/searchindex.js")
#: Every explorer frame is drawn for a pixel ratio of 2; at least 1.5 is required.
MIN_PIXEL_RATIO = 1.5


def screenshot_name(page_path: str) -> str:
    return page_path.removesuffix(".html").replace("/", "__") + ".png"


def _wait_for_frame(page, root, number):
    page.wait_for_function(
        f"([root, n]) => {{ const f = ({FRAME})(root);"
        " return f.frame === String(n) && f.complete && f.natural > 0; }",
        arg=[root.element_handle(), number],
        timeout=5000,
    )


def check_widget_fallbacks(page) -> list[str]:
    """Visit every frame of every fallback; return what did not work.

    Each fallback has one picture; its sliders swap the frame. Every frame of
    the grid is reached through the sliders, must load, and must be drawn with
    at least 1.5 device pixels per displayed pixel (crisp on a 2x screen). The
    address bar's fragment follows the sliders.
    """
    problems = []
    # A widget view with no widget manager renders as nothing: the page must
    # show the widget's static fallback instead (nb_mime_priority_overrides).
    dead_views = page.locator('script[type="application/vnd.jupyter.widget-view+json"]').count()
    if dead_views:
        problems.append(f"{dead_views} live widget view(s) shown instead of a static fallback")
    roots = page.locator("div.dlib-fallback")
    for r in range(roots.count()):
        root = roots.nth(r)
        name = root.get_attribute("id")
        sliders = root.locator("input[type=range]")
        if sliders.count() == 0 or not sliders.first.is_visible():
            problems.append(f"{name}: no visible slider")
            continue
        sizes = [int(sliders.nth(s).get_attribute("max")) + 1 for s in range(sliders.count())]
        if root.evaluate(FRAME)["count"] != 1:
            problems.append(f"{name} has {root.evaluate(FRAME)['count']} pictures, not one")
        seen = set()
        for index in range(int(np.prod(sizes))):
            positions, rest = [], index
            for size in reversed(sizes):
                positions.insert(0, rest % size)
                rest //= size
            for s, position in enumerate(positions):
                sliders.nth(s).evaluate(
                    "(slider, value) => { slider.value = value;"
                    " slider.dispatchEvent(new Event('input', {bubbles: true})); }",
                    position,
                )
            try:
                _wait_for_frame(page, root, index)
            except PlaywrightTimeout:
                problems.append(f"{name}: frame {index} (sliders at {positions}) did not show")
                continue
            frame = root.evaluate(FRAME)
            seen.add(frame["src"])
            if frame["natural"] < MIN_PIXEL_RATIO * frame["shown"]:
                problems.append(
                    f"{name}, frame {index}: {frame['natural']} px shown at "
                    f"{frame['shown']:.0f} px (needs {MIN_PIXEL_RATIO}x)"
                )
        if len(seen) < 2:
            problems.append(f"{name}: moving the sliders never changed the picture")
        fragment = page.evaluate("() => decodeURIComponent(location.hash)")
        if not fragment.startswith(f"#{name}?"):
            problems.append(f"{name}: the URL fragment does not follow the sliders: {fragment!r}")
    return problems


def check_fragment_state(page, url) -> list[str]:
    """Opening ``#<explorer>?p=0.95&...`` shows that explorer at those settings."""
    problems = []
    roots = page.locator("div.dlib-fallback")
    names = [roots.nth(r).get_attribute("id") for r in range(roots.count())]
    for name in names:
        data = page.locator(f"#{name}").evaluate(
            "root => JSON.parse(root.querySelector('script.dlib-fallback-data').textContent)"
            ".sliders"
        )
        # The last position of every slider (p = 0.95, inverted, ...), as a link says it.
        query = "&".join(f"{s['key']}={s['tokens'][-1]}" for s in data)
        index = 0
        for s in data:
            index = index * len(s["tokens"]) + len(s["tokens"]) - 1
        page.goto("about:blank")
        page.goto(f"{url}#{name}?{query}", wait_until="load")
        root = page.locator(f"#{name}")
        try:
            _wait_for_frame(page, root, index)
        except PlaywrightTimeout:
            problems.append(f"{name}: #{name}?{query} did not open at frame {index}")
            continue
        outputs = root.locator("output").all_text_contents()
        if outputs != [s["labels"][-1] for s in data]:
            problems.append(f"{name}: #{name}?{query} shows the settings {outputs}")
    return problems


def check_quizzes(page) -> list[str]:
    """Click one answer of every quiz, and answer another by keyboard: feedback must appear."""
    problems = []
    quizzes = page.locator("div.dlib-quiz")
    for q in range(quizzes.count()):
        quiz = quizzes.nth(q)
        buttons = quiz.locator(".MCButton")
        try:
            buttons.first.wait_for(timeout=5000)
        except PlaywrightTimeout:
            problems.append(f"quiz {q}: no answer buttons were drawn")
            continue
        feedback = quiz.locator(".Feedback")
        buttons.first.click()
        first = feedback.first.text_content() or ""
        if not first.startswith(("Right.", "Not quite.")) or len(first) < 30:
            problems.append(f"quiz {q}: clicking an answer gave the feedback {first!r}")
        if feedback.first.get_attribute("aria-live") != "polite":
            problems.append(f"quiz {q}: the feedback is not announced (aria-live)")
        # The keyboard: focus the second question's first answer and press space.
        if feedback.count() > 1:
            quiz.locator(".Answer").nth(1).locator("input").first.focus()
            page.keyboard.press("Space")
            text = feedback.nth(1).text_content() or ""
            if not text.startswith(("Right.", "Not quite.")):
                problems.append(f"quiz {q}: answering by keyboard gave {text!r}")
    return problems


def page_weight(requested: set[str]) -> tuple[int, int]:
    """Bytes a cold load fetches, read from the site's files: ``(own, total)``.

    ``own`` is the page itself: its HTML and the images it shows (figures and
    one frame per explorer). ``total`` adds what every page shares and a browser
    caches once for the whole book: the theme, its icon font, MathJax and the
    search index.
    """
    own = total = 0
    for path in requested:
        file = SITE / path.lstrip("/")
        if file.is_dir():
            file = file / "index.html"
        if not file.is_file():
            continue
        size = file.stat().st_size
        total += size
        if not path.startswith(SHARED_ASSETS):
            own += size
    return own, total


@pytest.mark.parametrize("page_path", PAGES)
def test_page(page_path, base_url, browser_context, screenshots, axe_results, page_weights):
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
    requested = set()

    def record_path(request):
        if urlsplit(request.url).hostname == HOST:
            requested.add(urlsplit(request.url).path)

    page.on("request", record_path)
    try:
        page.goto(base_url + page_path, wait_until="load")
        math = page.evaluate(MATH_STATUS)
        broken_images = page.evaluate(IMAGES)
        no_alt = page.evaluate(NO_ALT)
        # Fonts and lazily loaded MathJax parts arrive after the load event.
        page.wait_for_load_state("networkidle")
        raw_tex = page.evaluate(RAW_TEX)
        weight, total_weight = page_weight(requested)
        page_weights[page_path] = (weight, total_weight)
        buttons = page.evaluate(DEAD_BUTTONS)
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
        widget_problems += check_quizzes(page)
        if page.locator("div.dlib-fallback").count():
            widget_problems += check_fragment_state(page, base_url + page_path)
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
    problems += [f"widget fallback or quiz: {text}" for text in widget_problems]
    if weight > PAGE_WEIGHT_LIMIT:
        problems.append(f"the page weighs {weight / 1e6:.2f} MB, over {PAGE_WEIGHT_LIMIT / 1e6} MB")
    problems += [f"button to a placeholder, or Colab for students: {b}" for b in buttons]
    assert not problems, f"{page_path}:\n" + "\n".join(problems)


@pytest.mark.parametrize("stub", sorted(REDIRECTS))
def test_redirect_stub_points_at_a_page(stub):
    """``index.html`` is a redirect written by jupyter-book: its target must be a page."""
    assert REDIRECTS[stub] in PAGES, f"{stub} redirects to a missing page {REDIRECTS[stub]}"
