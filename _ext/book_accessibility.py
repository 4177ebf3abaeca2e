"""Sphinx extension: accessible HTML for two pieces of markup the book's stack writes.

Both fixes keep the markup, classes and ids of the original and change only the
ARIA attributes that axe-core (run by tests/browser) reports as violations.

1. The bibliography. docutils 0.21 writes each citation as
   ``<div role="doc-biblioentry">`` inside a ``<div role="list">``. DPUB-ARIA
   1.1 deprecated ``doc-biblioentry``, and a list whose items are not
   ``listitem`` is a "critical" violation (aria-required-children). Here each
   citation is a ``listitem``.
2. Hidden code cells. myst-nb names the ``<summary>`` of a ``hide-input`` cell
   "Toggle hidden content" with aria-label while it shows "Show code cell
   source", a "serious" violation (label-content-name-mismatch, WCAG 2.5.3).
   Here the summary is named by the text it shows.
"""

from html import escape

from docutils import nodes
from myst_nb.sphinx_ import HideCodeCellNode


def visit_citation(self, node):
    if not isinstance(node.previous_sibling(), type(node)):
        self.body.append('<div role="list" class="citation-list">\n')
    self.body.append(self.starttag(node, "div", classes=[node.tagname], role="listitem"))


def depart_citation(self, node):
    self.body.append("</div>\n")
    if not isinstance(node.next_node(descend=False, siblings=True), type(node)):
        self.body.append("</div>\n")


def visit_hidden_cell(self, node):
    classes = " ".join(node["classes"])
    self.body.append(f'<details class="admonition hide {classes}">\n<summary>\n')
    self.body.append(f'<p class="collapsed admonition-title">{escape(node["prompt_show"])}</p>\n')
    self.body.append(f'<p class="expanded admonition-title">{escape(node["prompt_hide"])}</p>\n')
    self.body.append("</summary>\n")


def depart_hidden_cell(self, node):
    self.body.append("</details>\n")


def setup(app):
    app.setup_extension("myst_nb")  # so that this override comes after its own
    app.add_node(nodes.citation, override=True, html=(visit_citation, depart_citation))
    app.add_node(HideCodeCellNode, override=True, html=(visit_hidden_cell, depart_hidden_cell))
    return {"parallel_read_safe": True, "parallel_write_safe": True}
