"""Chapter 4's table of dropout at the edges, against PyTorch's documented semantics."""

import sys

import numpy as np
import pytest

from dropout_lib import frameworks


def table(**kwargs):
    headers, rows, messages = frameworks.edge_semantics(**kwargs)
    return headers, {row[0]: dict(zip(headers[1:], row[1:])) for row in rows}, messages


def test_describe_output():
    x = np.arange(1.0, 5.0)
    assert frameworks.describe_output(x, x.copy(), 0.5) == "input unchanged"
    assert frameworks.describe_output(x, np.zeros(4), 0.5) == "all zeros"
    assert frameworks.describe_output(x, 0.75 * x, 0.25) == "input × (1 − p)"
    assert frameworks.describe_output(x, [2.0, 0, 6.0, 0], 0.5) == "each entry 0 or input / (1 − p)"
    assert frameworks.describe_output(x, [1.0, 0, 3.0, 0], 0.5) == "each entry 0 or input"
    assert frameworks.describe_output(x, -x, 0.5) == "something else"


def test_library_columns_follow_the_pytorch_rules():
    # The rules from PyTorch's source (REFERENCES.md): identity at p = 0 and in eval,
    # zeros at p = 1, ValueError outside [0, 1].
    headers, rows, messages = table()
    assert headers[:3] == ["case", "dropout_lib, inverted", "dropout_lib, standard"]
    for column in ("dropout_lib, inverted", "dropout_lib, standard"):
        assert rows["p = 0, training"][column] == "input unchanged"
        assert rows["p = 1, training"][column] == "all zeros"
        assert rows["p = -0.1"][column] == "raises ValueError"
        assert rows["p = 1.5"][column] == "raises ValueError"
        assert "between 0 and 1" in messages[f"p = 1.5, {column}"]
    assert rows["evaluation mode, p = 0.5"]["dropout_lib, inverted"] == "input unchanged"
    assert rows["evaluation mode, p = 0.5"]["dropout_lib, standard"] == "input × (1 − p)"
    assert rows["p = 0.5, training (not an edge)"]["dropout_lib, standard"] == (
        "each entry 0 or input"
    )


def test_pytorch_column_agrees_with_inverted_and_restores_its_rng():
    torch = pytest.importorskip("torch")
    torch.manual_seed(123)
    expected_next = torch.rand(3)
    torch.manual_seed(123)
    _, rows, messages = table()
    assert torch.equal(torch.rand(3), expected_next)
    for row in rows.values():
        assert row["PyTorch"] == row["dropout_lib, inverted"]
    assert "dropout probability has to be between 0 and 1" in messages["p = -0.1, PyTorch"]


def test_missing_torch_says_not_installed(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # makes `import torch` raise ImportError
    headers, rows, _ = table()
    assert headers[-1] == "PyTorch"
    assert {row["PyTorch"] for row in rows.values()} == {"not installed"}
