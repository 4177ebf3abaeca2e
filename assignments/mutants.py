"""Mutant submissions: one realistic mistake each, to prove the autograder catches it.

A mutant is the solution written into the *student* notebook (what a student who
got everything right would hand in), with one small code patch that makes one
mistake. ``tests/test_assignments.py`` grades every mutant with ``otter run`` and
checks that it loses points on the question where the mistake is made, and only
there.

Run ``python assignments/mutants.py BUILD OUT`` to write the notebooks, for
example to grade them yourself with ``otter run``: ``BUILD`` is a folder made by
``otter assign`` (holding ``student/`` and ``autograder/``), ``OUT`` receives
``solution.ipynb`` and one ``<mutant>.ipynb`` per mutant of that assignment.
"""

from __future__ import annotations

import copy
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat

SOLUTION_TAG = "otter_assign_solution_cell"
ANSWER_TAG = "otter_answer_cell"


@dataclass(frozen=True)
class Mutant:
    """One mistake, as text patches on the solution notebook.

    Attributes
    ----------
    name : str
        File stem of the mutant notebook.
    assignment : str
        Stem of the master notebook, for example ``"01_implementing_dropout"``.
    mistake : str
        The mistake, in plain words.
    question : str or None
        The question that must lose points (and the only one). ``None`` for a
        correct alternative, which must score full marks.
    patches : tuple of (marker, old, new)
        In the one code cell whose source contains ``marker``, replace the one
        occurrence of ``old`` with ``new``.
    """

    name: str
    assignment: str
    mistake: str
    question: str | None
    patches: tuple[tuple[str, str, str], ...]


A1 = "01_implementing_dropout"
A2 = "02_dropout_in_a_network"

_KEEP = "return rng.random(shape) >= p"
_STD_TRAIN = "mask = keep_mask(np.shape(h), p, rng)\n    return np.where(mask, h, 0.0)"
_STD_TEST = "return (1 - p) * np.asarray(h)"
_INV_TRAIN = "return np.where(mask, np.asarray(h) / (1 - p), 0.0)"
_INV_MASK = "mask = keep_mask(np.shape(h), p, rng)\n    return np.where(mask, np.asarray(h) /"
_INV_TEST = "return np.array(h, dtype=float)"
_BACKWARD = "return np.where(mask, np.asarray(dout) / (1 - p), 0.0)"
_LAST_STATES = "((0, 1), p * keep), ((1, 1), keep * keep)]"

MUTANTS = (
    # Question 1: keep_mask.
    Mutant(
        "keep_with_p",
        A1,
        "keeps a unit with probability p instead of 1 - p",
        "q1",
        (("def keep_mask", _KEEP, "return rng.random(shape) < p"),),
    ),
    Mutant(
        "mask_ignores_rng",
        A1,
        "ignores the rng argument (uses a fresh generator)",
        "q1",
        (("def keep_mask", _KEEP, "return np.random.default_rng().random(shape) >= p"),),
    ),
    Mutant(
        "mask_exact_count",
        A1,
        "keeps exactly round((1 - p) n) units, so the entries are not independent",
        "q1",
        (
            (
                "def keep_mask",
                _KEEP,
                "size = int(np.prod(shape))\n"
                "    flat = np.zeros(size, dtype=bool)\n"
                "    flat[rng.permutation(size)[: round((1 - p) * size)]] = True\n"
                "    return flat.reshape(shape)",
            ),
        ),
    ),
    Mutant(
        "mask_int_dtype",
        A1,
        "returns a mask of integers 0 and 1 instead of a boolean array",
        "q1",
        (("def keep_mask", _KEEP, "return (rng.random(shape) >= p).astype(int)"),),
    ),
    Mutant(
        "helper_keeps_with_p",
        A1,
        "keeps with probability p in a helper that keep_mask and both dropout functions call",
        "q1",
        (
            (
                "def keep_mask",
                "def keep_mask",
                "def _draw(shape, p, rng):\n    return rng.random(shape) < p\n\n\ndef keep_mask",
            ),
            ("def keep_mask", _KEEP, "return _draw(shape, p, rng)"),
            (
                "def dropout_train",
                "mask = keep_mask(np.shape(h), p, rng)",
                "mask = _draw(np.shape(h), p, rng)",
            ),
            (
                "def inverted_dropout_train",
                "mask = keep_mask(np.shape(h), p, rng)",
                "mask = _draw(np.shape(h), p, rng)",
            ),
        ),
    ),
    Mutant(
        "mask_breaks_2d",
        A1,
        "breaks on 2-D shapes (draws a flat mask)",
        "q1",
        (("def keep_mask", _KEEP, "return rng.random(int(np.prod(shape))) >= p"),),
    ),
    # Question 2: standard dropout.
    Mutant(
        "standard_test_no_scale",
        A1,
        "forgets to scale at test time (standard dropout)",
        "q2",
        (("def dropout_test", _STD_TEST, "return np.asarray(h)"),),
    ),
    Mutant(
        "standard_test_scales_by_p",
        A1,
        "scales by p instead of 1 - p at test time",
        "q2",
        (("def dropout_test", _STD_TEST, "return p * np.asarray(h)"),),
    ),
    Mutant(
        "standard_test_divides",
        A1,
        "divides by 1 / (1 - p) at test time, which fails at p = 1",
        "q2",
        (("def dropout_test", _STD_TEST, "return np.asarray(h) / (1 / (1 - p))"),),
    ),
    Mutant(
        "returns_mask",
        A1,
        "returns the mask instead of the output",
        "q2",
        (("def dropout_train", "return np.where(mask, h, 0.0)", "return mask"),),
    ),
    Mutant(
        "modifies_input",
        A1,
        "modifies the input in place",
        "q2",
        (("def dropout_train", "return np.where(mask, h, 0.0)", "h *= mask\n    return h"),),
    ),
    Mutant(
        "breaks_2d",
        A1,
        "breaks on 2-D input (one mask entry per row)",
        "q2",
        (("def dropout_train", _STD_TRAIN, _STD_TRAIN.replace("np.shape(h)", "len(h)")),),
    ),
    # Question 3: inverted dropout.
    Mutant(
        "inverted_no_scale",
        A1,
        "forgets to scale while training (inverted dropout)",
        "q3",
        (("def inverted_dropout_train", _INV_TRAIN, "return np.where(mask, np.asarray(h), 0.0)"),),
    ),
    Mutant(
        "inverted_scales_by_p",
        A1,
        "divides by p instead of 1 - p while training",
        "q3",
        (
            (
                "def inverted_dropout_train",
                _INV_TRAIN,
                "return np.where(mask, np.asarray(h) / p, 0.0)",
            ),
        ),
    ),
    Mutant(
        "inverted_scales_at_test",
        A1,
        "scales again at test time in inverted dropout",
        "q3",
        (("def inverted_dropout_test", _INV_TEST, "return np.array(h, dtype=float) / (1 - p)"),),
    ),
    Mutant(
        "inverted_ignores_rng",
        A1,
        "ignores the rng argument (global numpy state)",
        "q3",
        (
            (
                "def inverted_dropout_train",
                _INV_MASK,
                _INV_MASK.replace(
                    "keep_mask(np.shape(h), p, rng)", "np.random.random(np.shape(h)) >= p"
                ),
            ),
        ),
    ),
    Mutant(
        "inverted_keeps_with_p",
        A1,
        "draws its own mask, keeping with probability p",
        "q3",
        (
            (
                "def inverted_dropout_train",
                _INV_MASK,
                _INV_MASK.replace("keep_mask(np.shape(h), p, rng)", "rng.random(np.shape(h)) < p"),
            ),
        ),
    ),
    # Question 4: the backward pass.
    Mutant(
        "backward_no_scale",
        A1,
        "wrong backward scaling (forgets 1 / (1 - p))",
        "q4",
        (("def dropout_backward", _BACKWARD, "return np.where(mask, np.asarray(dout), 0.0)"),),
    ),
    Mutant(
        "backward_ignores_mask",
        A1,
        "ignores the mask in the backward pass",
        "q4",
        (("def dropout_backward", _BACKWARD, "return np.asarray(dout) / (1 - p)"),),
    ),
    # Questions 5 and 6: enumerating the four masks.
    Mutant(
        "mean_three_masks",
        A1,
        "enumerates three masks (forgets both-kept)",
        "q5",
        (("def expected_z", _LAST_STATES, "((0, 1), p * keep)]"),),
    ),
    Mutant(
        "mean_state_probability",
        A1,
        "gives the both-kept mask the probability p * p",
        "q5",
        (("def expected_z", "((1, 1), keep * keep)", "((1, 1), p * p)"),),
    ),
    Mutant(
        "var_three_masks",
        A1,
        "enumerates three masks (forgets both-kept)",
        "q6",
        (("def var_z", _LAST_STATES, "((0, 1), p * keep)]"),),
    ),
    Mutant(
        "var_state_probability",
        A1,
        "gives the both-kept mask the probability p * p",
        "q6",
        (("def var_z", "((1, 1), keep * keep)", "((1, 1), p * p)"),),
    ),
    # Assignment 2, question 1: the validation error of one setting.
    Mutant(
        "a2_training_error",
        A2,
        "reports the training error instead of the validation error",
        "q1",
        (("def validation_error", "history.val_error[-1]", "history.train_error[-1]"),),
    ),
    Mutant(
        "a2_drops_inputs",
        A2,
        "puts the dropout on the inputs instead of the hidden layer",
        "q1",
        (("def validation_error", "MLP(LAYERS, p_hidden=p,", "MLP(LAYERS, p_input=p,"),),
    ),
    # Question 2: choosing p.
    Mutant(
        "a2_picks_worst_p",
        A2,
        "picks the p with the largest validation error",
        "q2",
        (("best_p =", "best_p = min(", "best_p = max("),),
    ),
    # Question 3: Monte-Carlo error.
    Mutant(
        "a2_mc_ignores_k",
        A2,
        "predicts with weight scaling whatever k is",
        "q3",
        (("def mc_error", "net.predict(X, mc_samples=k)", "net.predict(X)"),),
    ),
    Mutant(
        "a2_mc_one_pass",
        A2,
        "always uses a single dropout pass",
        "q3",
        (("def mc_error", "mc_samples=k", "mc_samples=1"),),
    ),
    # Question 4: the final comparison.
    Mutant(
        "a2_final_wrong_p",
        A2,
        "trains the final network with a p other than the one chosen",
        "q4",
        (("final_net = MLP", "p_hidden=best_p", "p_hidden=0.5"),),
    ),
)

#: Submissions that misbehave rather than err: the grader must still write results.
#: ``question`` is the one question that must score zero; every other keeps full marks.
ROBUSTNESS = (
    Mutant(
        "raises",
        A1,
        "a cell raises an exception before defining its functions",
        "q2",
        (
            (
                "def dropout_train",
                "def dropout_train",
                'raise RuntimeError("unfinished")\n\n\ndef dropout_train',
            ),
        ),
    ),
    Mutant(
        "loops_forever",
        A1,
        "a cell never finishes (cut off by the time limit)",
        "q3",
        (
            (
                "def inverted_dropout_train",
                "def inverted_dropout_train",
                "while True:\n    pass\n\n\ndef inverted_dropout_train",
            ),
        ),
    ),
    Mutant(
        "deletes_name",
        A1,
        "a cell deletes the function it defined",
        "q6",
        (
            (
                "def var_z",
                "return sum(prob * (z - mean) ** 2 for prob, z in values)",
                "return sum(prob * (z - mean) ** 2 for prob, z in values)\n\n\ndel var_z",
            ),
        ),
    ),
)


_F32 = "np.float32"

#: Correct alternatives a student may well write: each must score full marks.
VARIANTS = (
    Mutant(
        "alt_strict_greater",
        A1,
        "keeps a unit when rng.random() > p",
        None,
        (("def keep_mask", _KEEP, "return rng.random(shape) > p"),),
    ),
    Mutant(
        "alt_binomial",
        A1,
        "draws the mask with rng.binomial, then makes it boolean",
        None,
        (("def keep_mask", _KEEP, "return rng.binomial(1, 1 - p, size=shape).astype(bool)"),),
    ),
    Mutant(
        "alt_uniform",
        A1,
        "keeps a unit when rng.uniform() < 1 - p",
        None,
        (("def keep_mask", _KEEP, "return rng.uniform(size=shape) < 1 - p"),),
    ),
    Mutant(
        "alt_float32",
        A1,
        "computes everything in float32",
        None,
        (
            ("def keep_mask", _KEEP, f"return rng.random(shape, dtype={_F32}) >= p"),
            (
                "def dropout_train",
                "return np.where(mask, h, 0.0)",
                f"return np.asarray(h, dtype={_F32}) * mask",
            ),
            ("def dropout_test", _STD_TEST, f"return {_F32}(1 - p) * np.asarray(h, dtype={_F32})"),
            (
                "def inverted_dropout_train",
                _INV_TRAIN,
                f"return np.where(mask, np.asarray(h, dtype={_F32}) / {_F32}(1 - p), {_F32}(0))",
            ),
            ("def inverted_dropout_test", _INV_TEST, f"return np.asarray(h, dtype={_F32})"),
            (
                "def dropout_backward",
                _BACKWARD,
                f"return np.where(mask, np.asarray(dout, dtype={_F32}) / {_F32}(1 - p), {_F32}(0))",
            ),
            ("def expected_z", "keep = 1 - p", f"p, keep = {_F32}(p), {_F32}(1 - p)"),
            ("def var_z", "keep = 1 - p", f"p, keep = {_F32}(p), {_F32}(1 - p)"),
        ),
    ),
    Mutant(
        "alt_multiply",
        A1,
        "multiplies by the mask and uses Var = E[z^2] - E[z]^2",
        None,
        (
            ("def dropout_train", "return np.where(mask, h, 0.0)", "return h * mask"),
            ("def dropout_test", _STD_TEST, "return h * (1 - p)"),
            ("def inverted_dropout_train", _INV_TRAIN, "return h * mask / (1 - p)"),
            ("def inverted_dropout_test", _INV_TEST, "return h"),
            ("def dropout_backward", _BACKWARD, "return dout * mask / (1 - p)"),
            (
                "def var_z",
                "return sum(prob * (z - mean) ** 2 for prob, z in values)",
                "return sum(prob * z**2 for prob, z in values) - mean**2",
            ),
        ),
    ),
    Mutant(
        "a2_val_by_error_method",
        A2,
        "measures the validation error with net.error after training",
        None,
        (
            (
                "def validation_error",
                "return float(history.val_error[-1])",
                "return net.error(split.X_val, split.y_val)",
            ),
        ),
    ),
)


def solution_submission(build_dir) -> nbformat.NotebookNode:
    """The student notebook with every answer cell replaced by the solution's code.

    Parameters
    ----------
    build_dir : path
        Output folder of ``otter assign``, with ``student/`` and ``autograder/``.
    """
    build_dir = Path(build_dir)
    (student_path,) = sorted((build_dir / "student").glob("*.ipynb"))
    student = nbformat.read(student_path, as_version=4)
    solution = nbformat.read(build_dir / "autograder" / student_path.name, as_version=4)
    solutions = [c for c in solution.cells if SOLUTION_TAG in c.metadata.get("tags", [])]
    answers = [c for c in student.cells if ANSWER_TAG in c.metadata.get("tags", [])]
    solution_code = [c for c in solutions if c.cell_type == "code"]
    answer_code = [c for c in answers if c.cell_type == "code"]
    if len(solution_code) != len(answer_code):
        raise ValueError(
            f"{student_path.name}: {len(answer_code)} answer cells but "
            f"{len(solution_code)} solution cells"
        )
    for answer, sol in zip(answer_code, solution_code):
        answer.source = "\n".join(
            line for line in sol.source.splitlines() if line.strip() not in _MARKERS
        )
    return student


_MARKERS = {"# BEGIN SOLUTION", "# END SOLUTION"}


def apply(mutant: Mutant, notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Return a copy of ``notebook`` with the mutant's patches applied."""
    notebook = copy.deepcopy(notebook)
    for marker, old, new in mutant.patches:
        cells = [c for c in notebook.cells if c.cell_type == "code" and marker in c.source]
        if len(cells) != 1:
            raise ValueError(f"{mutant.name}: {len(cells)} code cells contain {marker!r}")
        (cell,) = cells
        if cell.source.count(old) != 1:
            raise ValueError(f"{mutant.name}: {old!r} occurs {cell.source.count(old)} times")
        cell.source = cell.source.replace(old, new)
    return notebook


def write_submissions(build_dir, out_dir, mutants=MUTANTS + ROBUSTNESS + VARIANTS):
    """Write ``solution.ipynb`` and one notebook per mutant of the assignment in ``build_dir``.

    Returns a dict from submission name (``"solution"`` or the mutant's name) to path.
    """
    (student_path,) = sorted((Path(build_dir) / "student").glob("*.ipynb"))
    assignment = student_path.stem
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    solution = solution_submission(build_dir)
    paths = {"solution": out_dir / "solution.ipynb"}
    nbformat.write(solution, paths["solution"])
    for mutant in mutants:
        if mutant.assignment == assignment:
            paths[mutant.name] = out_dir / f"{mutant.name}.ipynb"
            nbformat.write(apply(mutant, solution), paths[mutant.name])
    return paths


if __name__ == "__main__":
    build, out = Path(sys.argv[1]), Path(sys.argv[2])
    for path in write_submissions(build, out).values():
        print(path)
