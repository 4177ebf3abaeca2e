"""Chapters that run wherever they are opened, and a book without dead buttons.

- ``tools/chapter_furniture.py`` gives a chapter its install cell (first code
  cell, hidden) and its quiz (before ``## Summary``), and running it twice
  changes nothing; tried here on copies of the chapters.
- The install cell, run in a fresh virtual environment that has the library's
  dependencies but not ``dropout_lib``, installs it from the source named by
  ``DROPOUT_LIB_SOURCE`` (a copy of this checkout) and it imports from there.
- ``_ext/book_buttons.py`` shows no launch or repository button while the
  repository URL is the placeholder, and no Colab button on student pages.
- The Binder files install the lock and the library; the lab requirements are pinned.
"""

import importlib.util
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = sorted((ROOT / "chapters").glob("*.ipynb"))


def _load(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


furniture = _load(ROOT / "tools" / "chapter_furniture.py", "chapter_furniture")
buttons = _load(ROOT / "_ext" / "book_buttons.py", "book_buttons")


@pytest.fixture(scope="module")
def furnished(tmp_path_factory):
    """Copies of every chapter, furnished once."""
    folder = tmp_path_factory.mktemp("chapters")
    source = furniture.repository_source()
    copies = []
    for path in CHAPTERS:
        copy = folder / path.name
        shutil.copy(path, copy)
        furniture.furnish_file(copy, source)
        copies.append(copy)
    return copies


def test_the_install_source_comes_from_the_config(tmp_path):
    assert furniture.repository_source() == "git+https://github.com/dropout-book/dropout-book@main"
    config = tmp_path / "_config.yml"
    config.write_text("repository:\n  url: https://github.com/someone/book/\n  branch: pages\n")
    assert furniture.repository_source(config) == "git+https://github.com/someone/book@pages"
    config.write_text("title: no repository\n")
    with pytest.raises(ValueError, match="repository.url"):
        furniture.repository_source(config)


def test_every_chapter_gets_its_cells_and_a_second_run_changes_nothing(furnished):
    source = furniture.repository_source()
    for copy in furnished:
        nb = nbformat.read(copy, as_version=4)
        code = [c for c in nb.cells if c.cell_type == "code"]
        first = code[0]
        assert first.id == furniture.INSTALL_ID and "remove-cell" in first.metadata.tags
        assert first.metadata.jupyter == {"source_hidden": True}
        assert source in first.source and "DROPOUT_LIB_SOURCE" in first.source
        # It comes before every other code cell, after the title.
        assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# ")
        ids = [c.get("id") for c in nb.cells]
        quiz = nb.cells[ids.index(furniture.QUIZ_ID)]
        heading = nb.cells[ids.index(furniture.HEADING_ID)]
        assert ids.index(furniture.HEADING_ID) + 1 == ids.index(furniture.QUIZ_ID)
        following = nb.cells[ids.index(furniture.QUIZ_ID) + 1]
        assert furniture.SUMMARY.search(following.source), "the quiz sits right before the summary"
        assert heading.source.startswith("## Check yourself")
        assert f'quiz("{copy.stem}")' in quiz.source and "remove-input" in quiz.metadata.tags
        assert quiz.metadata.jupyter == {"source_hidden": True}
        assert ids.count(furniture.INSTALL_ID) == ids.count(furniture.QUIZ_ID) == 1
        text = copy.read_text()
        assert furniture.furnish_file(copy, source) is False
        assert copy.read_text() == text


def test_furniture_moves_a_misplaced_quiz_and_updates_a_stale_install_cell(furnished):
    nb = nbformat.read(furnished[0], as_version=4)
    ids = [c.get("id") for c in nb.cells]
    quiz = nb.cells.pop(ids.index(furniture.QUIZ_ID))
    nb.cells.append(quiz)  # at the end, after the exercises
    nb.cells[[c.get("id") for c in nb.cells].index(furniture.INSTALL_ID)].source = "old"
    assert furniture.furnish(nb, furnished[0].stem, "git+https://example.org/x@main") is True
    ids = [c.get("id") for c in nb.cells]
    assert furniture.SUMMARY.search(nb.cells[ids.index(furniture.QUIZ_ID) + 1].source)
    assert "git+https://example.org/x@main" in nb.cells[ids.index(furniture.INSTALL_ID)].source
    assert furniture.furnish(nb, furnished[0].stem, "git+https://example.org/x@main") is False


def test_a_chapter_without_a_quiz_or_summary_is_refused(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Title")])
    with pytest.raises(ValueError, match="Summary"):
        furniture.furnish(nb, "01_what_is_dropout", "git+https://example.org/x@main")
    path = tmp_path / "99_unknown.ipynb"
    nbformat.write(nb, path)
    with pytest.raises(ValueError, match="no quiz"):
        furniture.furnish_file(path, "git+https://example.org/x@main")


def _checkout_copy(target: Path) -> Path:
    """The files pip needs to build dropout_lib, copied (no build files land in the checkout)."""
    target.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, target / name)
    shutil.copytree(
        ROOT / "dropout_lib", target / "dropout_lib", ignore=shutil.ignore_patterns("__pycache__")
    )
    return target


def _dependencies_without_dropout_lib(target: Path) -> Path:
    """A folder of links to this environment's packages, minus dropout_lib itself."""
    target.mkdir()
    site = Path(sysconfig.get_paths()["purelib"])
    for entry in site.iterdir():
        name = entry.name.lower()
        if name.startswith(("dropout_lib", "__editable__", "_dropout_lib")) or name.endswith(
            ".pth"
        ):
            continue
        (target / entry.name).symlink_to(entry)
    return target


@pytest.mark.slow
def test_the_first_cell_installs_the_library_in_a_fresh_environment(furnished, tmp_path):
    venv = tmp_path / "fresh"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    fresh_site = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    # The dependencies (and pip) are visible, but not dropout_lib: a stand-in for
    # Colab or Binder without a download of numpy, matplotlib and the rest.
    deps = _dependencies_without_dropout_lib(tmp_path / "deps")
    (fresh_site / "book-dependencies.pth").write_text(f"{deps}\n")
    env = {
        key: value for key, value in os.environ.items() if not key.startswith(("PYTHON", "VIRTUAL"))
    }
    env.update(
        DROPOUT_LIB_SOURCE=str(_checkout_copy(tmp_path / "checkout")),
        # Everything needed is here: no index, and the build uses this setuptools.
        PIP_NO_INDEX="1",
        PIP_NO_BUILD_ISOLATION="0",
        PIP_DISABLE_PIP_VERSION_CHECK="1",
    )
    missing = subprocess.run(
        [str(python), "-c", "import dropout_lib"], cwd=tmp_path, env=env, capture_output=True
    )
    assert missing.returncode != 0, "the fresh environment must start without dropout_lib"
    chapter = next(p for p in furnished if p.stem.startswith("05_"))
    first = next(c for c in nbformat.read(chapter, as_version=4).cells if c.cell_type == "code")
    run = subprocess.run(
        [str(python), "-c", first.source], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr[-3000:]
    check = subprocess.run(
        [
            str(python),
            "-c",
            "import dropout_lib, dropout_lib.widgets\n"
            "from dropout_lib.quiz import quiz\n"
            "print(dropout_lib.__file__)\n"
            "print(len(quiz('05_activation_distributions').questions))",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0, check.stderr[-3000:]
    where, questions = check.stdout.split()
    assert Path(where).is_relative_to(fresh_site), f"imported from {where}, not the fresh install"
    assert int(questions) >= 3  # the quizzes are installed with the package
    # A second run finds the library and does nothing.
    again = subprocess.run(
        [str(python), "-c", first.source], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert again.returncode == 0 and again.stdout == ""


# ------------------------------------------------------------------ buttons


def _config(url):
    return SimpleNamespace(
        html_theme_options={
            "repository_url": url,
            "use_repository_button": True,
            "use_issues_button": True,
            "launch_buttons": {"binderhub_url": "https://mybinder.org", "colab_url": "c"},
        }
    )


@pytest.mark.parametrize("url", [buttons.PLACEHOLDER_URL, buttons.PLACEHOLDER_URL + ".git", ""])
def test_no_buttons_while_the_url_is_the_placeholder(url):
    config = _config(url)
    buttons.hide_dead_buttons(None, config)
    options = config.html_theme_options
    assert options["launch_buttons"] == {}
    assert not any(options[name] for name in buttons.REPOSITORY_BUTTONS)


def test_buttons_once_the_url_is_set():
    config = _config("https://github.com/someone/dropout-book")
    buttons.hide_dead_buttons(None, config)
    options = config.html_theme_options
    assert options["use_repository_button"] and options["launch_buttons"]["colab_url"] == "c"


def test_config_still_has_the_placeholder_and_the_extensions():
    text = (ROOT / "_config.yml").read_text()
    assert f"url: {buttons.PLACEHOLDER_URL}" in text
    assert "- book_buttons" in text and "- dropout_frames" in text


def _launch(*names):
    return {
        "label": "launch-buttons",
        "buttons": [{"text": name, "url": f"https://{name}"} for name in names],
    }


def test_student_pages_show_no_colab_button():
    context = {"header_buttons": [{"label": "download-buttons"}, _launch("Binder", "Colab")]}
    buttons.drop_colab_for_students(None, "classroom/01_implementing_dropout", "", context, None)
    assert context["header_buttons"][1]["buttons"] == [{"text": "Binder", "url": "https://Binder"}]
    context = {"header_buttons": [_launch("Colab")]}
    buttons.drop_colab_for_students(None, "classroom/02_dropout_in_a_network", "", context, None)
    assert context["header_buttons"] == []  # no empty launch menu
    context = {"header_buttons": [_launch("Binder", "Colab")]}
    buttons.drop_colab_for_students(None, "chapters/05_activation_distributions", "", context, None)
    assert len(context["header_buttons"][0]["buttons"]) == 2


# ------------------------------------------------------------------ Binder and the lab


def test_binder_installs_the_lock_and_the_library():
    requirements = (ROOT / "binder" / "requirements.txt").read_text()
    assert "-c ../requirements-lock.txt" in requirements
    assert "-r ../requirements.txt" in requirements and "-r ../requirements-lab.txt" in requirements
    post_build = ROOT / "binder" / "postBuild"
    assert os.access(post_build, os.X_OK)
    assert "pip install --no-deps ." in post_build.read_text()
    assert (ROOT / "binder" / "runtime.txt").read_text().strip().startswith("python-3.11")


def test_the_lab_requirements_are_pinned_and_installed_by_make_lab():
    lines = [
        line.split("#")[0].strip()
        for line in (ROOT / "requirements-lab.txt").read_text().splitlines()
    ]
    pins = [line.lower().replace("_", "-") for line in lines if line]
    assert pins and all("==" in line for line in pins)
    assert any(line.startswith("jupyterlab-myst==") for line in pins)
    assert any(line.startswith("jupyterlab==") for line in pins)
    makefile = (ROOT / "Makefile").read_text()
    assert "\nlab: $(LAB_STAMP)\n" in makefile
    stamp = makefile[makefile.index("\n$(LAB_STAMP):") :].split("\n\n")[0]
    assert "requirements-lab.txt" in stamp.splitlines()[1]  # reinstalled when it changes
    assert "-c requirements-lock.txt -r requirements-lab.txt" in stamp
