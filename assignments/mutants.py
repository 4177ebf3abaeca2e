"""Mutant submissions: one realistic mistake each, to prove the autograder catches it.

A mutant is the solution written into the *student* notebook (what a student who
got everything right would hand in), with one small code patch that makes one
mistake. ``tests/test_assignments.py`` grades every mutant through
``assignments/grade.py`` (in its sandbox) and checks that it loses points on the
question where the mistake is made, and only there.

Run ``python assignments/mutants.py BUILD OUT`` to write the notebooks, for
example to grade them yourself with ``assignments/grade.py``: ``BUILD`` is a folder made by
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
A3 = "03_batch_norm_variance_shift"

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
    Mutant(
        "a2_best_p_smallest_key",
        A2,
        "writes best_p = min(val_errors), the smallest p rather than the best one",
        "q2",
        (("best_p =", "best_p = min(P_GRID, key=val_errors.get)", "best_p = min(val_errors)"),),
    ),
    Mutant(
        "a2_best_p_is_an_error",
        A2,
        "sets best_p to the smallest validation error instead of its p",
        "q2",
        (
            (
                "best_p =",
                "best_p = min(P_GRID, key=val_errors.get)",
                "best_p = min(val_errors.values())",
            ),
        ),
    ),
    Mutant(
        "a2_chooses_by_training_error",
        A2,
        "chooses p by the training error",
        "q2",
        (
            (
                "best_p =",
                "best_p = min(P_GRID, key=val_errors.get)",
                "train_errors = {\n"
                "    p: MLP(LAYERS, p_hidden=p, seed=SEED)\n"
                "    .fit(split.X_train, split.y_train, epochs=EPOCHS,\n"
                "         batch_size=BATCH_SIZE, lr=LR)\n"
                "    .train_error[-1]\n"
                "    for p in P_GRID\n"
                "}\n"
                "best_p = min(P_GRID, key=train_errors.get)",
            ),
        ),
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
    Mutant(
        "a2_final_5_epochs",
        A2,
        "trains final_net for 5 epochs",
        "q4",
        (("final_net = MLP", "epochs=EPOCHS", "epochs=5"),),
    ),
    Mutant(
        "a2_final_train_and_validation",
        A2,
        "trains final_net on the training and validation sets together",
        "q4",
        (
            (
                "final_net = MLP",
                "final_net.fit(split.X_train, split.y_train,",
                "final_net.fit(\n"
                "    np.concatenate([split.X_train, split.X_val]),\n"
                "    np.concatenate([split.y_train, split.y_val]),\n",
            ),
        ),
    ),
    Mutant(
        "a2_mc_errors_on_validation",
        A2,
        "measures mc_errors on the validation set",
        "q4",
        (
            (
                "final_net = MLP",
                "mc_error(final_net, split.X_test, split.y_test, k)",
                "mc_error(final_net, split.X_val, split.y_val, k)",
            ),
        ),
    ),
    Mutant(
        "a2_one_pass_for_every_k",
        A2,
        "uses one pass for every k in mc_errors",
        "q4",
        (
            (
                "final_net = MLP",
                "mc_error(final_net, split.X_test, split.y_test, k)",
                "mc_error(final_net, split.X_test, split.y_test, 1)",
            ),
        ),
    ),
    Mutant(
        "a2_ws_with_50_passes",
        A2,
        "computes ws_error with 50 Monte-Carlo passes",
        "q4",
        (
            (
                "final_net = MLP",
                "ws_error = final_net.error(split.X_test, split.y_test)",
                "ws_error = final_net.error(split.X_test, split.y_test, mc_samples=50)",
            ),
        ),
    ),
)

#: Submissions that misbehave rather than err: the grader must still grade them.
#: ``question`` is the one question that otter's run (which executes the notebook)
#: loses; the trusted run grades the definitions and the disagreement is flagged,
#: except for a deleted answer, which both runs lose.
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
        "a2_loop_and_reverse_order",
        A2,
        "fills val_errors and mc_errors in loops, the largest k first",
        None,
        (
            (
                "best_p =",
                "val_errors = {p: validation_error(p, split) for p in P_GRID}",
                "val_errors = {}\nfor p in P_GRID:\n    val_errors[p] = validation_error(p, split)",
            ),
            (
                "final_net = MLP",
                "mc_errors = {k: mc_error(final_net, split.X_test, split.y_test, k) "
                "for k in K_VALUES}",
                "mc_errors = {}\nfor k in reversed(K_VALUES):\n"
                "    mc_errors[k] = mc_error(final_net, split.X_test, split.y_test, k)",
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

_RUN_UPDATE = "(1 - momentum) * running + momentum * batch.var(axis=0, ddof=1)"

#: Mistakes in assignment 3 (the batch-norm variance shift), one question each.
A3_MUTANTS = (
    Mutant(
        "a3_variance_ignores_mean",
        A3,
        "forgets the mean: Var = var / (1 - p)",
        "q1",
        (("def train_variance", "return second_moment - mean**2", "return var / (1 - p)"),),
    ),
    Mutant(
        "a3_variance_standard_scaling",
        A3,
        "scales by 1 - p (standard dropout) instead of 1 / (1 - p)",
        "q1",
        (
            (
                "def train_variance",
                "second_moment = (var + mean**2) / (1 - p)",
                "second_moment = (1 - p) * (var + mean**2)",
            ),
        ),
    ),
    Mutant(
        "a3_bn_unbiased",
        A3,
        "normalises with the unbiased batch variance",
        "q2",
        (("def batch_norm_train", "var = x.var(axis=0)", "var = x.var(axis=0, ddof=1)"),),
    ),
    Mutant(
        "a3_bn_no_eps",
        A3,
        "forgets eps, so a constant unit divides by zero",
        "q2",
        (("def batch_norm_train", "np.sqrt(var + eps)", "np.sqrt(var)"),),
    ),
    Mutant(
        "a3_bn_over_units",
        A3,
        "averages over the units of each example (axis 1) instead of over the batch",
        "q2",
        (
            (
                "def batch_norm_train",
                "mean = x.mean(axis=0)\n    var = x.var(axis=0)",
                "mean = x.mean(axis=1, keepdims=True)\n    var = x.var(axis=1, keepdims=True)",
            ),
        ),
    ),
    Mutant(
        "a3_running_biased",
        A3,
        "updates the running variance with the biased batch variance",
        "q3",
        (("def running_variance", "batch.var(axis=0, ddof=1)", "batch.var(axis=0)"),),
    ),
    Mutant(
        "a3_running_swapped_momentum",
        A3,
        "swaps momentum and 1 - momentum in the update",
        "q3",
        (
            (
                "def running_variance",
                _RUN_UPDATE,
                "momentum * running + (1 - momentum) * batch.var(axis=0, ddof=1)",
            ),
        ),
    ),
    Mutant(
        "a3_running_starts_at_zero",
        A3,
        "starts the running variance at 0",
        "q3",
        (("def running_variance", "np.ones(batch.shape[1])", "np.zeros(batch.shape[1])"),),
    ),
    Mutant(
        "a3_shift_no_rescale",
        A3,
        "forgets the 1 / (1 - p) of inverted dropout",
        "q4",
        (("def dropout_batch_variance", "x / (1 - p)", "x"),),
    ),
    Mutant(
        "a3_shift_keeps_with_p",
        A3,
        "keeps a unit with probability p",
        "q4",
        (
            (
                "def dropout_batch_variance",
                "rng.random(x.shape) >= p",
                "rng.random(x.shape) < p",
            ),
        ),
    ),
)

#: Correct alternatives for assignment 3.
A3_VARIANTS = (
    Mutant(
        "a3_alt_closed_form",
        A3,
        "writes the variance as var / (1 - p) + mean^2 p / (1 - p), and BN by hand",
        None,
        (
            (
                "def train_variance",
                "return second_moment - mean**2",
                "return var / (1 - p) + mean**2 * p / (1 - p)",
            ),
            (
                "def batch_norm_train",
                "var = x.var(axis=0)",
                "var = ((x - mean) ** 2).sum(axis=0) / len(x)",
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


def write_submissions(
    build_dir, out_dir, mutants=MUTANTS + ROBUSTNESS + VARIANTS + A3_MUTANTS + A3_VARIANTS
):
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
