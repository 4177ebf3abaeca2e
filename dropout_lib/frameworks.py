"""What dropout does at the edges, in this library and in PyTorch (when installed).

The edges are ``p = 0``, ``p = 1``, ``p`` outside [0, 1] and evaluation mode.
Each cell of the table comes from running the code, never from a note typed by
hand: the function runs the call on a small input and describes what came back.
``p`` is the drop probability in every library compared here.
"""

from __future__ import annotations

import numpy as np

from .layers import dropout

__all__ = ["EDGE_CASES", "describe_output", "edge_semantics"]

#: (label, p, training) for each row of the table.
EDGE_CASES = (
    ("p = 0.5, training (not an edge)", 0.5, True),
    ("p = 0, training", 0.0, True),
    ("p = 1, training", 1.0, True),
    ("p = -0.1", -0.1, True),
    ("p = 1.5", 1.5, True),
    ("evaluation mode, p = 0.5", 0.5, False),
)

_INPUT = np.arange(1.0, 9.0)  # nonzero entries, so a zero in the output means "dropped"


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


def _outcome(call, p) -> tuple[str, str]:
    """Run ``call()``; return its description and the error message (or "")."""
    try:
        out = call()
    except Exception as err:  # the table reports any error the framework raises
        return f"raises {type(err).__name__}", str(err)
    return describe_output(_INPUT, out, p), ""


def _torch_call(torch, p, training):
    def call():
        x = torch.from_numpy(_INPUT.copy())
        generator_state = torch.random.get_rng_state()
        try:
            torch.manual_seed(0)
            return torch.nn.functional.dropout(x, p=p, training=training).numpy()
        finally:
            torch.random.set_rng_state(generator_state)

    return call


def edge_semantics(*, seed=0):
    """The table of dropout's behaviour at the edges.

    Columns: this library's inverted dropout (the default), its standard
    dropout, and ``torch.nn.functional.dropout`` if torch can be imported
    ("not installed" otherwise). Keras is not run here.

    Parameters
    ----------
    seed : int
        Seed of the masks, so that the table is the same on every run.

    Returns
    -------
    headers : list of str
    rows : list of list of str
        One row per entry of :data:`EDGE_CASES`.
    messages : dict of str to str
        The error message of each call that raised, keyed by "label, column".
    """
    try:
        import torch
    except ImportError:
        torch = None
    columns = {
        "dropout_lib, inverted": lambda p, training: (
            lambda: dropout(_INPUT, p, training=training, inverted=True, rng=seed)
        ),
        "dropout_lib, standard": lambda p, training: (
            lambda: dropout(_INPUT, p, training=training, inverted=False, rng=seed)
        ),
    }
    headers = ["case", *columns, "PyTorch"]
    rows, messages = [], {}
    for label, p, training in EDGE_CASES:
        row = [label]
        for column, make_call in columns.items():
            text, message = _outcome(make_call(p, training), p)
            row.append(text)
            if message:
                messages[f"{label}, {column}"] = message
        if torch is None:
            row.append("not installed")
        else:
            text, message = _outcome(_torch_call(torch, p, training), p)
            row.append(text)
            if message:
                messages[f"{label}, PyTorch"] = message
        rows.append(row)
    return headers, rows, messages
