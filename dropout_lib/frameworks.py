"""What dropout does at the edges, in this library and as PyTorch documents it.

The edges are ``p = 0``, ``p = 1``, ``p`` outside [0, 1] and evaluation mode.
The library's cells of the table come from running the code, never from a note
typed by hand: the call runs on a small input and :func:`describe_output` says
what came back. The PyTorch column is PyTorch's documented behaviour, stored in
:data:`EDGE_CASES`; nothing here imports PyTorch, so the table is the same with
and without it installed. The test suite runs ``torch.nn.functional.dropout`` on
every case (when PyTorch is installed) and checks that it does what the column
says. ``p`` is the drop probability in every library compared here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ._checks import check_int
from .layers import dropout

__all__ = [
    "EDGE_CASES",
    "EDGE_INPUT",
    "PYTORCH",
    "PYTORCH_P_ERROR",
    "EdgeCase",
    "EdgeTable",
    "describe_output",
    "edge_semantics",
]

#: Title of the column that holds PyTorch's documented behaviour.
PYTORCH = "PyTorch (documented)"

#: The message of the ``ValueError`` that ``torch.nn.functional.dropout`` raises for a
#: ``p`` outside [0, 1], as in its source; ``{p}`` is the value passed.
PYTORCH_P_ERROR = "dropout probability has to be between 0 and 1, but got {p}"

#: The input of every call: nonzero entries, so a zero in the output means "dropped".
EDGE_INPUT = np.arange(1.0, 9.0)
EDGE_INPUT.setflags(write=False)


@dataclass(frozen=True)
class EdgeCase:
    """One row of the table: a dropout call and what PyTorch documents for it.

    Attributes
    ----------
    label : str
        The row's name in the table.
    p : float
        Drop probability passed to the call.
    training : bool
        Training mode (True) or evaluation mode (False).
    pytorch : str
        What ``torch.nn.functional.dropout(x, p, training)`` returns, in the words
        of :func:`describe_output`, as PyTorch's documentation and source state
        it: in training it zeroes each element with probability ``p`` and scales
        the rest by ``1 / (1 - p)``; in evaluation it is the identity; its kernel
        returns the input at ``p = 0`` and zeros at ``p = 1``; a ``p`` outside
        [0, 1] raises ``ValueError`` with :data:`PYTORCH_P_ERROR`.
    """

    label: str
    p: float
    training: bool
    pytorch: str


#: The rows of the table, in order.
EDGE_CASES = (
    EdgeCase("p = 0.5, training (not an edge)", 0.5, True, "each entry 0 or input / (1 − p)"),
    EdgeCase("p = 0, training", 0.0, True, "input unchanged"),
    EdgeCase("p = 1, training", 1.0, True, "all zeros"),
    EdgeCase("p = -0.1", -0.1, True, "raises ValueError"),
    EdgeCase("p = 1.5", 1.5, True, "raises ValueError"),
    EdgeCase("evaluation mode, p = 0.5", 0.5, False, "input unchanged"),
)


@dataclass(frozen=True)
class EdgeTable:
    """The table of dropout's behaviour at the edges, as :func:`edge_semantics` builds it.

    Attributes
    ----------
    headers : tuple of str
        ``("case", "dropout_lib, inverted", "dropout_lib, standard", PYTORCH)``.
    rows : tuple of tuple of str
        One row per entry of :data:`EDGE_CASES`, as long as ``headers``.
    messages : dict of str to str
        The message of each error, keyed by ``"<case>, <column>"``: raised by the
        call for the library's columns, :data:`PYTORCH_P_ERROR` for PyTorch's.
    """

    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    messages: dict[str, str] = field(default_factory=dict)

    def column(self, name) -> dict[str, str]:
        """The cells of column ``name``, keyed by the case's label."""
        if name not in self.headers[1:]:
            raise ValueError(f"name must be one of {self.headers[1:]}, but got name={name!r}")
        index = self.headers.index(name)
        return {row[0]: row[index] for row in self.rows}


def describe_output(x, out, p) -> str:
    """Say in words what a dropout call returned for input ``x`` and drop probability ``p``.

    Parameters
    ----------
    x : ndarray of float, nonzero entries
    out : ndarray, same shape as ``x``
    p : float

    Returns
    -------
    description : str
        One of "input unchanged", "all zeros", "input × (1 − p)",
        "each entry 0 or input / (1 − p)", "each entry 0 or input", or
        "something else".
    """
    x = np.asarray(x, dtype=np.float64)
    out = np.asarray(out, dtype=np.float64)
    if np.array_equal(out, x):
        return "input unchanged"
    if not np.any(out):
        return "all zeros"
    if 0.0 <= p < 1.0:
        if np.allclose(out, x * (1.0 - p)):
            return "input × (1 − p)"
        kept = out != 0
        if np.allclose(out[kept], x[kept] / (1.0 - p)):
            return "each entry 0 or input / (1 − p)"
        if np.allclose(out[kept], x[kept]):
            return "each entry 0 or input"
    return "something else"


def _outcome(p, function, *args, **kwargs) -> tuple[str, str]:
    """Run ``function(*args, **kwargs)``; return its description and the error message (or "")."""
    try:
        out = function(*args, **kwargs)
    except Exception as err:  # the table reports any error the call raises
        return f"raises {type(err).__name__}", str(err)
    return describe_output(EDGE_INPUT, out, p), ""


def edge_semantics(*, seed=0) -> EdgeTable:
    """The table of dropout's behaviour at the edges.

    Columns: this library's inverted dropout (the default) and its standard
    dropout, each run on :data:`EDGE_INPUT`, then PyTorch's documented behaviour
    (:attr:`EdgeCase.pytorch`). PyTorch is not imported. Keras is not covered.

    Parameters
    ----------
    seed : int
        Seed of the masks, so that the table is the same on every run.

    Returns
    -------
    EdgeTable
    """
    seed = check_int(seed, "seed", minimum=0)
    columns = {"dropout_lib, inverted": True, "dropout_lib, standard": False}
    rows, messages = [], {}
    for case in EDGE_CASES:
        row = [case.label]
        for column, inverted in columns.items():
            text, message = _outcome(
                case.p,
                dropout,
                EDGE_INPUT,
                case.p,
                training=case.training,
                inverted=inverted,
                rng=seed,
            )
            row.append(text)
            if message:
                messages[f"{case.label}, {column}"] = message
        row.append(case.pytorch)
        if case.pytorch.startswith("raises"):
            messages[f"{case.label}, {PYTORCH}"] = PYTORCH_P_ERROR.format(p=case.p)
        rows.append(tuple(row))
    return EdgeTable(("case", *columns, PYTORCH), tuple(rows), messages)
