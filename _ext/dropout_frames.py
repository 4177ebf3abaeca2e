"""Sphinx extension: an explorer's precomputed frames become image files, loaded on demand.

An explorer's static fallback (``dropout_lib.widgets.fallback``) carries every
frame as a data URI, so that the notebook is self-contained. Inlined in a page,
four explorers of 20 to 100 frames each would make it several megabytes. Here,
as each page is written, every frame of a fallback's JSON block and its one
``<img>`` is moved to ``_images/explorer-frames/<sha1>.png`` (equal frames
share a file) and replaced by a relative URL. The fallback's script loads a
frame when a slider reaches it, so a page weighs one frame per explorer, and a
reader scrubbing fetches the others from the same site (the book stays offline).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from pathlib import Path

FOLDER = "_images/explorer-frames"
DATA_URI = re.compile(r"data:image/png;base64,([A-Za-z0-9+/=]+)")
FRAMES_BLOCK = re.compile(
    r'(<script type="application/json" class="dlib-fallback-data">)(.*?)(</script>)', re.S
)
FRAME_IMAGE = re.compile(r'(<img class="dlib-fallback-frame"[^>]*?src=")([^"]+)(")')


def frame_file(outdir: Path, uri: str) -> str:
    """Write the PNG of a data URI to the frames folder once; return its path in the site."""
    match = DATA_URI.fullmatch(uri)
    if not match:
        return ""
    png = base64.b64decode(match.group(1))
    name = f"{FOLDER}/{hashlib.sha1(png).hexdigest()[:20]}.png"
    target = Path(outdir) / name
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(png)
    return name


def externalise(body: str, outdir: Path, url_of) -> str:
    """``body`` with every fallback frame moved to a file; ``url_of(path)`` makes its URL."""

    def block(match):
        data = json.loads(match.group(2))
        for frame in data["frames"]:
            path = frame_file(outdir, frame["src"])
            if path:
                frame["src"] = url_of(path)
        payload = json.dumps(data, separators=(",", ":")).replace("</", "<\\/")
        return match.group(1) + payload + match.group(3)

    def image(match):
        path = frame_file(outdir, match.group(2))
        return match.group(1) + (url_of(path) if path else match.group(2)) + match.group(3)

    return FRAME_IMAGE.sub(image, FRAMES_BLOCK.sub(block, body))


def move_frames(app, pagename, templatename, context, doctree):
    """``html-page-context``: move the frames of this page's fallbacks to files."""
    body = context.get("body")
    if not body or "dlib-fallback-data" not in body:
        return
    context["body"] = externalise(
        body, Path(app.outdir), lambda path: context["pathto"](path, resource=True)
    )


def setup(app):
    app.connect("html-page-context", move_frames)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
