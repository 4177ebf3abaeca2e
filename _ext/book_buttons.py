"""Sphinx extension: no dead launch or repository buttons, and no Colab button for students.

1. The repository URL is set once, in ``_config.yml`` (``repository.url``).
   While it is the placeholder :data:`PLACEHOLDER_URL` (the book is not
   published yet), every button derived from it would lead nowhere: this
   extension turns off the repository, source, edit and issues buttons and the
   launch buttons (Binder, JupyterHub, Colab). Once the URL is set, they appear
   as configured.
2. The student notebooks in ``classroom/`` run otter-grader checks, which need
   the ``tests`` folder beside the notebook; a notebook opened in Colab from a
   GitHub link has no such folder. Their pages show no Colab button (Binder
   clones the whole repository, so its button stays).
"""

from __future__ import annotations

#: The repository URL of ``_config.yml`` until the book is published.
PLACEHOLDER_URL = "https://github.com/dropout-book/dropout-book"
#: Pages whose notebooks need files beside them that Colab does not fetch.
STUDENT_PAGES = ("classroom/",)
REPOSITORY_BUTTONS = (
    "use_repository_button",
    "use_source_button",
    "use_edit_page_button",
    "use_issues_button",
)


def is_placeholder(url) -> bool:
    """True when ``url`` is empty or the placeholder repository."""
    return not url or str(url).rstrip("/").removesuffix(".git") == PLACEHOLDER_URL


def hide_dead_buttons(app, config):
    """``config-inited``: no buttons built from a placeholder repository URL."""
    options = config.html_theme_options
    if not is_placeholder(options.get("repository_url")):
        return
    for button in REPOSITORY_BUTTONS:
        options[button] = False
    options["launch_buttons"] = {}


def drop_colab_for_students(app, pagename, templatename, context, doctree):
    """``html-page-context``, after the theme added its buttons: no Colab on student pages."""
    if not pagename.startswith(STUDENT_PAGES):
        return
    for group in context.get("header_buttons", []):
        if group.get("label") == "launch-buttons":
            group["buttons"] = [b for b in group["buttons"] if b.get("text") != "Colab"]
    context["header_buttons"] = [
        group
        for group in context.get("header_buttons", [])
        if group.get("label") != "launch-buttons" or group["buttons"]
    ]


def setup(app):
    app.connect("config-inited", hide_dead_buttons, priority=900)
    # sphinx-book-theme adds the launch buttons at priority 501 and renders
    # them after 501; this runs in between.
    app.connect("html-page-context", drop_colab_for_students, priority=502)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
