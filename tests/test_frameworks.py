"""Chapter 4's table of dropout at the edges: the library's columns follow PyTorch's
rules, and PyTorch itself (when installed) does what the table's PyTorch column says.

The chapter never runs PyTorch, so its stored outputs do not depend on whether it is
installed; every comparison that runs PyTorch lives here and skips without it.
"""

import sys

import numpy as np
import pytest

from dropout_lib import frameworks
from dropout_lib.frameworks import EDGE_CASES, EDGE_INPUT, PYTORCH

LIB_COLUMNS = ("dropout_lib, inverted", "dropout_lib, standard")


def test_describe_output():
    x = np.arange(1.0, 5.0)
    assert frameworks.describe_output(x, x.copy(), 0.5) == "input unchanged"
    assert frameworks.describe_output(x, np.zeros(4), 0.5) == "all zeros"
    assert frameworks.describe_output(x, 0.75 * x, 0.25) == "input × (1 − p)"
    assert frameworks.describe_output(x, [2.0, 0, 6.0, 0], 0.5) == "each entry 0 or input / (1 − p)"
    assert frameworks.describe_output(x, [1.0, 0, 3.0, 0], 0.5) == "each entry 0 or input"
    assert frameworks.describe_output(x, -x, 0.5) == "something else"


def test_table_shape_and_lookup():
    table = frameworks.edge_semantics()
    assert table.headers == ("case", *LIB_COLUMNS, PYTORCH)
    assert [row[0] for row in table.rows] == [case.label for case in EDGE_CASES]
    assert all(len(row) == len(table.headers) for row in table.rows)
    assert table.column(PYTORCH) == {case.label: case.pytorch for case in EDGE_CASES}
    with pytest.raises(ValueError, match="name"):
        table.column("case")


def test_library_columns_follow_the_pytorch_rules():
    # PyTorch's rules: identity at p = 0 and in evaluation, zeros at p = 1,
    # ValueError outside [0, 1], inverted scaling in training.
    table = frameworks.edge_semantics()
    inverted, standard = (table.column(name) for name in LIB_COLUMNS)
    for column in (inverted, standard):
        assert column["p = 0, training"] == "input unchanged"
        assert column["p = 1, training"] == "all zeros"
        assert column["p = -0.1"] == column["p = 1.5"] == "raises ValueError"
    for name in LIB_COLUMNS:
        assert "between 0 and 1" in table.messages[f"p = 1.5, {name}"]
    assert inverted["evaluation mode, p = 0.5"] == "input unchanged"
    assert standard["evaluation mode, p = 0.5"] == "input × (1 − p)"
    assert standard["p = 0.5, training (not an edge)"] == "each entry 0 or input"
    # This library's inverted dropout is PyTorch's, edge for edge.
    assert inverted == table.column(PYTORCH)


def test_table_is_built_without_torch(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # makes `import torch` raise ImportError
    table = frameworks.edge_semantics()
    assert table.column(PYTORCH)["p = 1, training"] == "all zeros"
    assert table.messages[f"p = -0.1, {PYTORCH}"] == frameworks.PYTORCH_P_ERROR.format(p=-0.1)


def test_table_is_deterministic_and_leaves_its_input_alone():
    before = EDGE_INPUT.copy()
    assert frameworks.edge_semantics(seed=3) == frameworks.edge_semantics(seed=3)
    np.testing.assert_array_equal(EDGE_INPUT, before)


# PyTorch itself -----------------------------------------------------------------


def _torch_outcome(torch, case):
    """Run torch.nn.functional.dropout on the case; describe the result, or the error."""
    x = torch.from_numpy(EDGE_INPUT.copy())
    try:
        out = torch.nn.functional.dropout(x, p=case.p, training=case.training)
    except Exception as err:
        return f"raises {type(err).__name__}", str(err)
    return frameworks.describe_output(EDGE_INPUT, out.numpy(), case.p), ""


@pytest.mark.parametrize("case", EDGE_CASES, ids=[case.label for case in EDGE_CASES])
def test_pytorch_does_what_the_documented_column_says(case):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    text, message = _torch_outcome(torch, case)
    assert text == case.pytorch
    if case.pytorch.startswith("raises"):
        assert message == frameworks.PYTORCH_P_ERROR.format(p=case.p)


@pytest.mark.parametrize("case", EDGE_CASES, ids=[case.label for case in EDGE_CASES])
def test_pytorch_module_agrees_with_the_functional_form(case):
    torch = pytest.importorskip("torch")
    if case.pytorch.startswith("raises"):
        with pytest.raises(ValueError, match="between 0 and 1"):
            torch.nn.Dropout(case.p)
        return
    module = torch.nn.Dropout(case.p).train(case.training)
    torch.manual_seed(0)
    out = module(torch.from_numpy(EDGE_INPUT.copy())).numpy()
    assert frameworks.describe_output(EDGE_INPUT, out, case.p) == case.pytorch


def test_pytorch_agrees_with_inverted_dropout_on_every_row():
    torch = pytest.importorskip("torch")
    inverted = frameworks.edge_semantics().column("dropout_lib, inverted")
    for case in EDGE_CASES:
        torch.manual_seed(0)
        assert _torch_outcome(torch, case)[0] == inverted[case.label]
