"""A one-hidden-layer ReLU autoencoder with dropout, for the paper's Figs. 7 and 8.

The network is ``input -> dropout -> linear -> ReLU -> dropout -> linear ->
sigmoid``: ``n_visible`` pixels (784 for MNIST) are encoded into ``n_hidden``
rectified linear units (256 in the paper) and decoded back. The loss is the
binary cross-entropy of the reconstruction, summed over pixels and averaged
over examples, which suits pixels in [0, 1]. Dropout is inverted, as in
:class:`~dropout_lib.mlp.MLP`, on the input (``p_input``) and on the hidden
units (``p_hidden``); ``p`` is the probability of **dropping** a unit, and at
evaluation the network runs unchanged. Training is mini-batch SGD with momentum
as PyTorch does it, with optional L2 weight decay (weights only) like
``MLP(weight_decay=)``.

The masks come from :func:`~dropout_lib.masks.sample_mask` and are applied and
back-propagated with :func:`~dropout_lib.layers.apply_mask` and
:func:`~dropout_lib.layers.dropout_backward`, the same layers the book builds
in its early chapters. The first-layer weights, one column per hidden unit,
are the "features" the paper shows in Fig. 7 (:attr:`Autoencoder.filters`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._checks import as_real_array, check_int, check_p_below_one, check_real
from .layers import apply_mask, dropout_backward
from .masks import sample_mask

__all__ = ["Autoencoder", "AutoencoderHistory", "autoencoder_forward_backward"]

DTYPE = np.float32

_WHY_BELOW_ONE = "a layer that drops every unit passes nothing on"


@dataclass(frozen=True)
class AutoencoderHistory:
    """What :meth:`Autoencoder.fit` records.

    Attributes
    ----------
    train_loss : ndarray of float, shape (epochs,)
        Mean reconstruction loss of the mini-batches of each epoch, dropout on.
    """

    train_loss: np.ndarray

    @property
    def epochs(self) -> int:
        """Number of epochs recorded."""
        return len(self.train_loss)


def _softplus(z):
    """log(1 + exp(z)) without overflow."""
    return np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))


def _sigmoid(z):
    """1 / (1 + exp(-z)) without overflow."""
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e)).astype(z.dtype, copy=False)


def autoencoder_forward_backward(X, weights, biases, masks, drop_rates):
    """Reconstruction loss of one mini-batch and its gradients: the whole pass.

    Parameters
    ----------
    X : ndarray of float, shape (n, n_visible)
        The mini-batch, values in [0, 1], in the dtype of the weights.
    weights : [W_enc, W_dec]
        ``W_enc`` of shape (n_visible, n_hidden), ``W_dec`` of shape (n_hidden, n_visible).
    biases : [b_enc, b_dec]
        Shapes (n_hidden,) and (n_visible,).
    masks : [mask_input, mask_hidden]
        Keep-masks (True = kept) of shapes (n, n_visible) and (n, n_hidden),
        or None for a layer without dropout.
    drop_rates : (p_input, p_hidden)

    Returns
    -------
    loss : float
        Binary cross-entropy summed over pixels, averaged over examples.
    grad_weights, grad_biases : lists of ndarray
        Gradients of ``loss``, shapes and dtype of the parameters.
    """
    (w_enc, w_dec), (b_enc, b_dec) = weights, biases
    (m_in, m_hid), (p_in, p_hid) = masks, drop_rates
    n = len(X)
    a0 = X if m_in is None else apply_mask(X, m_in, p_in)  # dropped pixels become 0
    z1 = a0 @ w_enc + b_enc
    h = np.maximum(z1, 0)  # ReLU: the code
    a1 = h if m_hid is None else apply_mask(h, m_hid, p_hid)
    z2 = a1 @ w_dec + b_dec  # logits of the reconstruction
    # -[x log s(z) + (1 - x) log(1 - s(z))] = softplus(z) - x z, summed over pixels.
    loss = float((_softplus(z2) - X * z2).sum() / n)
    # Backward. d loss / d z2 = (sigmoid(z2) - x) / n.
    delta2 = (_sigmoid(z2) - X) / X.dtype.type(n)
    grad_w_dec = a1.T @ delta2
    grad_b_dec = delta2.sum(axis=0)
    delta1 = delta2 @ w_dec.T
    if m_hid is not None:
        delta1 = dropout_backward(delta1, m_hid, p_hid)
    delta1 = delta1 * (z1 > 0)  # back through the ReLU
    grad_w_enc = a0.T @ delta1
    grad_b_enc = delta1.sum(axis=0)
    return loss, [grad_w_enc, grad_w_dec], [grad_b_enc, grad_b_dec]


class Autoencoder:
    """A ``n_visible - n_hidden - n_visible`` ReLU autoencoder with dropout.

    Parameters
    ----------
    n_visible : int >= 1
        Inputs (and outputs), 784 for 28 x 28 images.
    n_hidden : int >= 1
        Hidden rectified linear units, 256 in the paper's Fig. 7.
    p_input, p_hidden : float in [0, 1)
        Drop probabilities of the input pixels and of the hidden units.
    weight_decay : float >= 0
        L2 weight decay on both weight matrices, as in ``MLP(weight_decay=)``.
    seed : int >= 0
        Seeds the initial weights and the training masks and shuffling, each
        from its own stream.

    Attributes
    ----------
    weights : [ndarray (n_visible, n_hidden), ndarray (n_hidden, n_visible)] of float32
        Encoder and decoder weights.
    biases : [ndarray (n_hidden,), ndarray (n_visible,)] of float32
    """

    def __init__(
        self, n_visible=784, n_hidden=256, *, p_input=0.0, p_hidden=0.0, weight_decay=0.0, seed=0
    ):
        self.n_visible = check_int(n_visible, "n_visible", minimum=1)
        self.n_hidden = check_int(n_hidden, "n_hidden", minimum=1)
        self.p_input = check_p_below_one(p_input, "p_input", why=_WHY_BELOW_ONE)
        self.p_hidden = check_p_below_one(p_hidden, "p_hidden", why=_WHY_BELOW_ONE)
        self.weight_decay = check_real(weight_decay, "weight_decay", low=0, high_open=True)
        self.seed = check_int(seed, "seed", minimum=0)
        init_seq, train_seq = np.random.SeedSequence(self.seed).spawn(2)
        self._train_rng = np.random.default_rng(train_seq)
        init = np.random.default_rng(init_seq)
        # He initialisation for the ReLU encoder, 1 / sqrt(fan-in) for the decoder.
        w_enc = init.standard_normal((self.n_visible, self.n_hidden), dtype=DTYPE)
        w_enc *= DTYPE(np.sqrt(2.0 / self.n_visible))
        w_dec = init.standard_normal((self.n_hidden, self.n_visible), dtype=DTYPE)
        w_dec *= DTYPE(np.sqrt(1.0 / self.n_hidden))
        self.weights = [w_enc, w_dec]
        self.biases = [np.zeros(self.n_hidden, DTYPE), np.zeros(self.n_visible, DTYPE)]
        self._velocity = [np.zeros_like(a) for a in self.weights + self.biases]

    def __repr__(self):
        return (
            f"Autoencoder(n_visible={self.n_visible}, n_hidden={self.n_hidden}, "
            f"p_input={self.p_input}, p_hidden={self.p_hidden}, "
            f"weight_decay={self.weight_decay}, seed={self.seed})"
        )

    @property
    def drop_rates(self):
        """``(p_input, p_hidden)``."""
        return (self.p_input, self.p_hidden)

    @property
    def filters(self) -> np.ndarray:
        """The encoder's features: shape (n_hidden, n_visible), row ``j`` the
        incoming weights of hidden unit ``j`` (a copy)."""
        return self.weights[0].T.copy()

    def _check_X(self, X, name="X"):
        arr = as_real_array(X, name)
        if arr.ndim != 2 or arr.shape[1] != self.n_visible:
            raise ValueError(
                f"{name} must have shape (n, {self.n_visible}), but got shape {arr.shape}"
            )
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{name} contains NaN or infinite values")
        if arr.size and (arr.min() < 0 or arr.max() > 1):
            raise ValueError(
                f"{name} must hold values in [0, 1] (pixel intensities), but got values "
                f"from {arr.min()} to {arr.max()}"
            )
        return np.ascontiguousarray(arr, dtype=DTYPE)

    def _sample_masks(self, n, rng):
        return [
            None if p == 0 else sample_mask((n, size), p, rng)
            for p, size in zip(self.drop_rates, (self.n_visible, self.n_hidden))
        ]

    def _given_masks(self, keep_masks, n):
        if keep_masks is None:
            return [None, None]
        if len(keep_masks) != 2:
            raise ValueError(
                f"keep_masks must hold 2 masks (input and hidden), but got {len(keep_masks)}"
            )
        out = []
        for index, (mask, p) in enumerate(zip(keep_masks, self.drop_rates)):
            mask = np.asarray(mask)
            if p == 0:
                if not np.all(mask):
                    raise ValueError(f"keep_masks[{index}] drops units, but that layer's p is 0")
                out.append(None)
            else:
                out.append(mask)  # apply_mask checks its shape and dtype
        return out

    # ----------------------------------------------------------- public API
    def encode(self, X) -> np.ndarray:
        """Hidden ReLU activations at evaluation (dropout off), float32 of shape (n, n_hidden)."""
        X = self._check_X(X)
        return np.maximum(X @ self.weights[0] + self.biases[0], 0)

    def reconstruct(self, X) -> np.ndarray:
        """Reconstructions at evaluation, float32 in (0, 1) of shape (n, n_visible)."""
        return _sigmoid(self.encode(X) @ self.weights[1] + self.biases[1])

    def loss(self, X) -> float:
        """Mean reconstruction loss at evaluation (cross-entropy summed over pixels)."""
        X = self._check_X(X)
        z = self.encode(X) @ self.weights[1] + self.biases[1]
        return float((_softplus(z) - X * z).sum() / max(len(X), 1))

    def loss_and_gradients(self, X, keep_masks=None, *, weights=None, biases=None):
        """Loss and gradients of one batch for given keep-masks (for gradient checks).

        Parameters
        ----------
        X : array_like of float in [0, 1], shape (n, n_visible)
        keep_masks : [mask_input, mask_hidden] of bool, optional
            Shapes (n, n_visible) and (n, n_hidden); None runs without dropout.
        weights, biases : lists of ndarray, optional
            Parameters to use instead of the network's own (e.g. float64); the
            computation follows their dtype.

        Returns
        -------
        loss : float
        grad_weights, grad_biases : lists of ndarray
        """
        weights = self.weights if weights is None else [as_real_array(w) for w in weights]
        biases = self.biases if biases is None else [as_real_array(b) for b in biases]
        X = self._check_X(X).astype(weights[0].dtype, copy=False)
        masks = self._given_masks(keep_masks, len(X))
        return autoencoder_forward_backward(X, weights, biases, masks, self.drop_rates)

    def train_step(self, X, *, lr=0.01, momentum=0.9, keep_masks=None) -> float:
        """One step of SGD with momentum on a mini-batch; returns the loss before it.

        ``keep_masks`` as in :meth:`loss_and_gradients`; sampled from the
        training stream when omitted.
        """
        X = self._check_X(X)
        lr = check_real(lr, "lr", low=0, low_open=True, high_open=True)
        momentum = check_real(momentum, "momentum", low=0, high=1, high_open=True)
        if keep_masks is None:
            masks = self._sample_masks(len(X), self._train_rng)
        else:
            masks = self._given_masks(keep_masks, len(X))
        return self._step(X, masks, DTYPE(lr), DTYPE(momentum))

    def _step(self, X, masks, lr, momentum):
        loss, grad_w, grad_b = autoencoder_forward_backward(
            X, self.weights, self.biases, masks, self.drop_rates
        )
        if self.weight_decay:
            # As PyTorch's SGD adds weight decay: g <- g + weight_decay w (weights only).
            grad_w = [g + DTYPE(self.weight_decay) * w for g, w in zip(grad_w, self.weights)]
        # SGD with momentum as PyTorch does it: v <- momentum v + g, then w <- w - lr v.
        for param, grad, velocity in zip(
            self.weights + self.biases, grad_w + grad_b, self._velocity
        ):
            velocity *= momentum
            velocity += grad
            param -= lr * velocity
        return loss

    def fit(self, X, *, epochs, batch_size=32, lr=0.01, momentum=0.9, progress=False):
        """Train with mini-batch SGD with momentum, continuing from the current state.

        Parameters
        ----------
        X : array_like of float in [0, 1], shape (n, n_visible)
            Not modified.
        epochs : int >= 1
        batch_size : int >= 1
        lr : float > 0
        momentum : float in [0, 1)
        progress : bool
            Show a ``tqdm`` progress bar over epochs.

        Returns
        -------
        AutoencoderHistory

        Notes
        -----
        Each epoch draws, from the training stream, the shuffling
        ``rng.permutation(n)`` and then a keep-mask of shape (n, n_visible) for
        the input (if ``p_input > 0``) and (n, n_hidden) for the hidden layer
        (if ``p_hidden > 0``); mini-batch ``b`` takes rows ``b * batch_size``
        onwards of the shuffled set and of each mask, and runs
        :meth:`train_step` with them.
        """
        X = self._check_X(X)
        if len(X) == 0:
            raise ValueError("X must hold at least one example, but got none")
        epochs = check_int(epochs, "epochs", minimum=1)
        batch_size = check_int(batch_size, "batch_size", minimum=1)
        lr = DTYPE(check_real(lr, "lr", low=0, low_open=True, high_open=True))
        momentum = DTYPE(check_real(momentum, "momentum", low=0, high=1, high_open=True))
        n = len(X)
        losses = np.empty(epochs)
        epoch_range = range(epochs)
        if progress:
            from tqdm.auto import tqdm

            epoch_range = tqdm(epoch_range, desc="epochs", leave=False)
        from ._engine import _Blas

        # One BLAS thread, as the MLP engine uses at these sizes: on a 2-core
        # machine a second thread made mini-batch products of 32 x 784 x 256
        # slower, and many times slower when the other core was busy.
        with _Blas(1):
            for epoch in epoch_range:
                order = self._train_rng.permutation(n)
                masks = self._sample_masks(n, self._train_rng)
                shuffled = X[order]
                total = 0.0
                for start in range(0, n, batch_size):
                    stop = min(start + batch_size, n)
                    batch = [None if m is None else m[start:stop] for m in masks]
                    total += self._step(shuffled[start:stop], batch, lr, momentum) * (stop - start)
                losses[epoch] = total / n
        return AutoencoderHistory(train_loss=losses)
