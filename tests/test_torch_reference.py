"""Edge semantics and masking compared with torch.nn.functional.dropout (skipped without torch)."""

import numpy as np
import pytest

from dropout_lib import Dropout, apply_mask, dropout, dropout_backward

torch = pytest.importorskip("torch")
F = torch.nn.functional


@pytest.mark.parametrize("p", [-0.1, 1.1])
def test_both_reject_out_of_range_p(p):
    with pytest.raises(ValueError, match="between 0 and 1") as ours:
        dropout(np.ones(3), p)
    with pytest.raises(ValueError, match="between 0 and 1") as theirs:
        F.dropout(torch.ones(3), p)
    assert str(p) in str(ours.value) and str(p) in str(theirs.value)


@pytest.mark.parametrize("p", [0.0, 0.3, 1.0])
def test_edges_and_evaluation_match(p):
    x = np.linspace(-1, 1, 12, dtype=np.float32).reshape(3, 4)
    t = torch.from_numpy(x.copy())
    np.testing.assert_array_equal(dropout(x, p, training=False), F.dropout(t, p, training=False))
    if p in (0.0, 1.0):
        np.testing.assert_array_equal(dropout(x, p, rng=0), F.dropout(t, p, training=True))
    empty = torch.zeros(0)
    assert F.dropout(empty, p).numel() == dropout(np.zeros(0, np.float32), p, rng=0).size == 0


def test_same_mask_gives_the_same_output_and_gradient():
    torch.manual_seed(0)
    p = 0.4
    t = torch.randn(64, 32, requires_grad=True)
    out = F.dropout(t, p, training=True)
    out.backward(torch.ones_like(out))
    mask = (out != 0).detach().numpy()  # torch's own mask (inputs are nonzero a.s.)
    x = t.detach().numpy()
    np.testing.assert_allclose(apply_mask(x, mask, p), out.detach().numpy(), rtol=1e-6)
    grad = dropout_backward(np.ones_like(x), mask, p)
    np.testing.assert_allclose(grad, t.grad.numpy(), rtol=1e-6)


def test_module_train_eval_switch_matches():
    x = np.ones((5, 5), np.float32)
    module, layer = torch.nn.Dropout(0.5), Dropout(0.5)
    module.eval(), layer.eval()
    np.testing.assert_array_equal(layer(x), module(torch.from_numpy(x)).numpy())
    assert module.train().training and layer.train().training
