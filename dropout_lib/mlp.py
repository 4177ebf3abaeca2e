"""A small numpy multilayer perceptron with dropout, written to be read.

The network is ``input -> [dropout -> linear -> ReLU] * h -> dropout -> linear
-> softmax``: ReLU hidden layers, a softmax cross-entropy output, dropout on the
inputs (drop probability ``p_input``) and on every hidden layer (``p_hidden``),
trained by mini-batch SGD with momentum, optional L2 weight decay and an
optional max-norm constraint, all in float32.

Dropout is *inverted*, as in PyTorch: while training, a kept unit is divided by
``1 - p`` and a dropped one is zeroed; at evaluation the network runs unchanged.
That is the same as the paper's weight-scaling rule (multiply the outgoing
weights by ``1 - p`` at test time). ``p`` is always the probability of
**dropping** a unit.

The whole forward and backward pass of one mini-batch is
:func:`forward_backward`, one line of numpy per step of the maths;
:meth:`MLP.train_step` takes one SGD step with it. :meth:`MLP.fit` trains whole
epochs with a faster engine (the private module ``dropout_lib._engine``) that
does the same arithmetic with reused buffers, and on several networks at once;
the tests check that an epoch of ``fit`` equals a loop of ``train_step`` with
the same shuffling and masks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._checks import (
    as_real_array,
    check_int,
    check_layer_sizes,
    check_p_below_one,
    check_real,
)
from .family import gaussian_noise
from .layers import apply_mask
from .masks import sample_mask

__all__ = ["MLP", "GaussianDropoutMLP", "History", "forward_backward", "softmax"]

DTYPE = np.float32

_WHY_BELOW_ONE = "a layer that drops every unit passes nothing on"


@dataclass(frozen=True)
class History:
    """What :meth:`MLP.fit` records, one entry per epoch.

    Attributes
    ----------
    train_error : ndarray of float, shape (epochs,)
        Fraction of training examples misclassified at the end of each epoch,
        with dropout off (weight scaling). NaN for epochs that
        ``fit_many`` was told not to evaluate (``evaluate_last``).
    val_error : ndarray of float, shape (epochs,), or None
        The same on the validation set, when one was given.
    train_loss : ndarray of float, shape (epochs,)
        Mean cross-entropy of the mini-batches during the epoch, with dropout on.
    """

    train_error: np.ndarray
    val_error: np.ndarray | None
    train_loss: np.ndarray

    @property
    def epochs(self) -> int:
        """Number of epochs recorded."""
        return len(self.train_error)


def softmax(logits) -> np.ndarray:
    """Row-wise softmax of ``logits`` (shape (n, classes)); a new array, same dtype."""
    # Subtracting the row maximum changes no probability but keeps exp finite.
    exp = np.exp(logits - logits.max(axis=1, keepdims=True))
    return exp / exp.sum(axis=1, keepdims=True)


def forward_backward(X, y, weights, biases, multipliers):
    """Mean cross-entropy of one mini-batch and its gradients: the whole pass.

    Parameters
    ----------
    X : ndarray of float, shape (n, n_0)
        The mini-batch, in the dtype of the weights.
    y : ndarray of int, shape (n,)
        Class labels ``0 .. n_L - 1``.
    weights : list of ndarray, ``weights[l]`` of shape (n_l, n_{l+1})
    biases : list of ndarray, ``biases[l]`` of shape (n_{l+1},)
    multipliers : list of (ndarray of shape (n, n_l) or None)
        Dropout on the input of each weight layer: the inverted-dropout factor
        ``mask / (1 - p)`` (or Gaussian noise), None for a layer without dropout.

    Returns
    -------
    loss : float
        Mean cross-entropy of the batch.
    grad_weights, grad_biases : lists of ndarray
        Gradients of ``loss``, with the shapes and dtype of the parameters.
    """
    n, last = len(X), len(weights) - 1
    # Forward. Keep each layer's input (its weight gradient needs it) and each
    # hidden pre-activation (the ReLU gradient needs its sign).
    inputs, pre_activations = [], []
    a = X
    for layer, (weight, bias) in enumerate(zip(weights, biases)):
        if multipliers[layer] is not None:
            a = a * multipliers[layer]  # dropped units become 0, kept ones grow by 1/(1-p)
        inputs.append(a)
        z = a @ weight + bias
        if layer < last:
            pre_activations.append(z)
            a = np.maximum(z, 0)  # ReLU
    # Softmax cross-entropy of the logits z; the row maximum keeps exp finite.
    z = z - z.max(axis=1, keepdims=True)
    log_probs = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    rows = np.arange(n)
    loss = -log_probs[rows, y].mean()
    # Backward. The gradient of the mean loss with respect to the logits is
    # (softmax - one-hot) / n.
    delta = np.exp(log_probs)
    delta[rows, y] -= 1
    delta /= n
    grad_w, grad_b = [None] * (last + 1), [None] * (last + 1)
    for layer in range(last, -1, -1):
        grad_w[layer] = inputs[layer].T @ delta
        grad_b[layer] = delta.sum(axis=0)
        if layer > 0:
            delta = delta @ weights[layer].T  # gradient with respect to this layer's input
            if multipliers[layer] is not None:
                delta = delta * multipliers[layer]  # back through the dropout multiplier
            delta = delta * (pre_activations[layer - 1] > 0)  # back through the ReLU
    return float(loss), grad_w, grad_b


def _layout(layer_sizes):
    """Offsets, sizes and shapes of every weight and bias in the flat parameter vector."""
    entries, offset = [], 0
    for n_in, n_out in zip(layer_sizes[:-1], layer_sizes[1:]):
        for shape in ((n_in, n_out), (n_out,)):
            size = int(np.prod(shape))
            entries.append((offset, size, shape))
            offset += size
    return entries, offset


class MLP:
    """A ReLU network with dropout, trained by SGD with momentum.

    Parameters
    ----------
    layer_sizes : sequence of int
        Units per layer, input first and classes last, e.g. ``(64, 256, 256, 10)``.
    p_input : float in [0, 1)
        Probability of dropping each input unit while training.
    p_hidden : float in [0, 1)
        Probability of dropping each hidden unit while training.
    max_norm : float > 0 or None
        If given, after every step the incoming weight vector of each hidden
        unit (a column of a hidden layer's weight matrix) is rescaled to have
        norm at most ``max_norm`` (Srivastava et al. 2014, Sec. 5.1).
    weight_decay : float >= 0
        L2 weight decay, as PyTorch's ``SGD(weight_decay=)`` applies it: every
        step adds ``weight_decay * W`` to the gradient of each weight matrix
        ``W`` before the momentum update, which is the gradient of the penalty
        ``weight_decay / 2 * sum(W**2)``. Biases are not decayed (in PyTorch,
        a parameter group of the biases with ``weight_decay=0``). 0 turns it off.
    seed : int >= 0
        Seeds the initial weights, the training masks and the shuffling, and the
        Monte-Carlo evaluation masks, each from its own stream.

    Attributes
    ----------
    weights : list of ndarray of float32
        ``weights[l]`` has shape ``(layer_sizes[l], layer_sizes[l + 1])``.
    biases : list of ndarray of float32
        ``biases[l]`` has shape ``(layer_sizes[l + 1],)``.

    Notes
    -----
    ``weights`` and ``biases`` are views into one flat parameter vector (and
    the momentum buffers into another), so that the training engine can stack
    the networks it trains together; change them in place or with
    :meth:`set_parameters`, never by assigning new arrays to the list.
    """

    def __init__(
        self, layer_sizes, *, p_input=0.0, p_hidden=0.0, max_norm=None, weight_decay=0.0, seed=0
    ):
        self.layer_sizes = check_layer_sizes(layer_sizes)
        self.p_input = check_p_below_one(p_input, "p_input", why=_WHY_BELOW_ONE)
        self.p_hidden = check_p_below_one(p_hidden, "p_hidden", why=_WHY_BELOW_ONE)
        if max_norm is not None:
            max_norm = check_real(max_norm, "max_norm", low=0, low_open=True, high_open=True)
        self.max_norm = max_norm
        self.weight_decay = check_real(weight_decay, "weight_decay", low=0, high_open=True)
        self.seed = check_int(seed, "seed", minimum=0)
        init_seq, train_seq, predict_seq = np.random.SeedSequence(self.seed).spawn(3)
        self._train_rng = np.random.default_rng(train_seq)
        self._predict_rng = np.random.default_rng(predict_seq)

        layout, total = _layout(self.layer_sizes)
        self._params = np.zeros(total, dtype=DTYPE)
        self._velocity = np.zeros(total, dtype=DTYPE)
        params = [self._params[o : o + n].reshape(shape) for o, n, shape in layout]
        velocity = [self._velocity[o : o + n].reshape(shape) for o, n, shape in layout]
        self.weights, self.biases = params[0::2], params[1::2]
        self._velocity_w, self._velocity_b = velocity[0::2], velocity[1::2]

        # He initialisation suits ReLU units; biases start at zero.
        init_rng = np.random.default_rng(init_seq)
        for weight in self.weights:
            weight[...] = init_rng.standard_normal(weight.shape, dtype=DTYPE)
            weight *= DTYPE(np.sqrt(2.0 / weight.shape[0]))

    # ------------------------------------------------------------------ helpers
    @property
    def drop_rates(self) -> list[float]:
        """Drop probability of the input of each weight layer: ``[p_input, p_hidden, ...]``."""
        return [self.p_input] + [self.p_hidden] * (len(self.weights) - 1)

    def __repr__(self):
        return (
            f"{type(self).__name__}(layer_sizes={self.layer_sizes}, p_input={self.p_input}, "
            f"p_hidden={self.p_hidden}, max_norm={self.max_norm}, "
            f"weight_decay={self.weight_decay}, seed={self.seed})"
        )

    def _check_X(self, X, name="X") -> np.ndarray:
        arr = as_real_array(X, name)
        if arr.ndim != 2 or arr.shape[1] != self.layer_sizes[0]:
            raise ValueError(
                f"{name} must have shape (n, {self.layer_sizes[0]}), but got shape {arr.shape}"
            )
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{name} contains NaN or infinite values")
        return np.ascontiguousarray(arr, dtype=DTYPE)

    def _check_y(self, y, n, name="y") -> np.ndarray:
        arr = np.asarray(y)
        if arr.dtype.kind not in "iu":
            raise TypeError(f"{name} must hold integer class labels, but got dtype {arr.dtype}")
        if arr.shape != (n,):
            raise ValueError(f"{name} must have shape ({n},) to match X, but got {arr.shape}")
        n_classes = self.layer_sizes[-1]
        if n and (arr.min() < 0 or arr.max() >= n_classes):
            raise ValueError(
                f"{name} must hold labels 0 to {n_classes - 1}, but got values from "
                f"{arr.min()} to {arr.max()}"
            )
        return arr.astype(np.intp, copy=False)

    def _noise(self, shape, p, rng) -> np.ndarray:
        """Training multipliers of one layer: the inverted-dropout factor ``mask / (1 - p)``.

        ``mask`` comes from :func:`~dropout_lib.masks.sample_mask`: a unit is
        dropped when its uniform draw is below ``p``. Returns float32.
        """
        return sample_mask(shape, p, rng) * DTYPE(1.0 / (1.0 - p))

    def _sample_multipliers(self, n, rng):
        """Fresh multipliers for ``n`` examples, one per weight layer (None where p = 0)."""
        return [
            None if p == 0.0 else self._noise((n, size), p, rng)
            for p, size in zip(self.drop_rates, self.layer_sizes[:-1])
        ]

    def _multipliers_from_masks(self, keep_masks, n, dtype):
        """Inverted-dropout multipliers ``mask / (1 - p)`` from given keep-masks."""
        if keep_masks is None:
            return [None] * len(self.weights)
        if len(keep_masks) != len(self.weights):
            raise ValueError(
                f"keep_masks must hold {len(self.weights)} masks (input and each hidden "
                f"layer), but got {len(keep_masks)}"
            )
        multipliers = []
        for index, (mask, p, size) in enumerate(
            zip(keep_masks, self.drop_rates, self.layer_sizes[:-1])
        ):
            if p == 0 and not np.all(np.asarray(mask)):
                raise ValueError(f"keep_masks[{index}] drops units, but that layer's p is 0")
            # check_mask inside apply_mask names a shape problem.
            ones = np.ones((n, size), dtype=dtype)
            multipliers.append(apply_mask(ones, np.asarray(mask), p) if p > 0 else None)
        return multipliers

    def _logits(self, X, multipliers=None):
        """Output-layer logits, shape (n, classes); no dropout unless ``multipliers``."""
        a, last = X, len(self.weights) - 1
        for layer, (weight, bias) in enumerate(zip(self.weights, self.biases)):
            if multipliers is not None and multipliers[layer] is not None:
                a = a * multipliers[layer]
            a = a @ weight + bias
            if layer < last:
                a = np.maximum(a, 0)
        return a

    def _apply_max_norm(self):
        """Rescale each hidden unit's incoming weights (a column) to norm at most ``max_norm``."""
        for weight in self.weights[:-1]:
            norms = np.sqrt((weight**2).sum(axis=0))
            weight *= np.minimum(1, self.max_norm / np.maximum(norms, np.finfo(DTYPE).tiny))

    # -------------------------------------------------------------- public API
    def set_parameters(self, weights, biases):
        """Copy given weights and biases into the network (shapes as ``self.weights``)."""
        for name, given, own in (
            ("weights", weights, self.weights),
            ("biases", biases, self.biases),
        ):
            if len(given) != len(own):
                raise ValueError(f"{name} must hold {len(own)} arrays, but got {len(given)}")
            for index, (value, target) in enumerate(zip(given, own)):
                value = as_real_array(value, f"{name}[{index}]")
                if value.shape != target.shape:
                    raise ValueError(
                        f"{name}[{index}] must have shape {target.shape}, but got {value.shape}"
                    )
                target[...] = value
        return self

    def loss_and_gradients(self, X, y, keep_masks=None, *, weights=None, biases=None):
        """Mean cross-entropy of a batch and its gradients, for given keep-masks.

        This is the computation one training step uses (:func:`forward_backward`),
        exposed for gradient checks: the masks are given instead of sampled,
        and the weights may be given too (in float64, say, for finite
        differences; the computation follows their dtype).

        Parameters
        ----------
        X : array_like of float, shape (n, layer_sizes[0])
        y : array_like of int, shape (n,)
        keep_masks : list of ndarray of bool, optional
            One mask per weight layer's input, ``keep_masks[l]`` of shape
            ``(n, layer_sizes[l])`` (True = kept); kept units are divided by
            ``1 - p`` of their layer. ``None`` runs without dropout.
        weights, biases : lists of ndarray, optional
            Parameters to use instead of the network's own.

        Returns
        -------
        loss : float
        grad_weights, grad_biases : lists of ndarray
            Same shapes and dtype as the weights and biases.
        """
        weights = self.weights if weights is None else [as_real_array(w) for w in weights]
        biases = self.biases if biases is None else [as_real_array(b) for b in biases]
        dtype = weights[0].dtype
        X = as_real_array(X, "X")
        if X.ndim != 2 or X.shape[1] != self.layer_sizes[0]:
            raise ValueError(f"X must have shape (n, {self.layer_sizes[0]}), but got {X.shape}")
        X = X.astype(dtype, copy=False)
        y = self._check_y(y, len(X))
        multipliers = self._multipliers_from_masks(keep_masks, len(X), dtype)
        return forward_backward(X, y, weights, biases, multipliers)

    def train_step(self, X, y, *, lr=0.05, momentum=0.9, keep_masks=None):
        """One step of SGD with momentum (and the network's weight decay and max-norm).

        Parameters
        ----------
        X : array_like of float, shape (n, layer_sizes[0])
        y : array_like of int, shape (n,)
        lr : float > 0
        momentum : float in [0, 1)
        keep_masks : list of ndarray of bool, optional
            As in :meth:`loss_and_gradients`; sampled from the network's
            training stream when omitted (with :meth:`_noise`, so a
            :class:`GaussianDropoutMLP` draws Gaussian noise).

        Returns
        -------
        loss : float
            The batch loss before the step.
        """
        X = self._check_X(X)
        y = self._check_y(y, len(X))
        lr = check_real(lr, "lr", low=0, low_open=True, high_open=True)
        momentum = check_real(momentum, "momentum", low=0, high=1, high_open=True)
        if keep_masks is None:
            multipliers = self._sample_multipliers(len(X), self._train_rng)
        else:
            multipliers = self._multipliers_from_masks(keep_masks, len(X), DTYPE)
        loss, grad_w, grad_b = forward_backward(X, y, self.weights, self.biases, multipliers)
        if self.weight_decay:
            # L2 weight decay as PyTorch's SGD adds it: g <- g + weight_decay w (weights only).
            grad_w = [g + DTYPE(self.weight_decay) * w for g, w in zip(grad_w, self.weights)]
        # SGD with momentum as PyTorch does it: v <- momentum v + g, then w <- w - lr v.
        params = self.weights + self.biases
        velocities = self._velocity_w + self._velocity_b
        for param, grad, velocity in zip(params, grad_w + grad_b, velocities):
            velocity *= momentum
            velocity += grad
            param -= lr * velocity
        if self.max_norm is not None:
            self._apply_max_norm()
        return loss

    def fit(
        self,
        X,
        y,
        *,
        epochs,
        batch_size=32,
        lr=0.05,
        momentum=0.9,
        X_val=None,
        y_val=None,
        progress=False,
    ) -> History:
        """Train with mini-batch SGD with momentum, continuing from the current state.

        Parameters
        ----------
        X : array_like of float, shape (n, layer_sizes[0])
            Not modified.
        y : array_like of int, shape (n,)
            Class labels ``0 .. layer_sizes[-1] - 1``.
        epochs : int >= 1
        batch_size : int >= 1
        lr : float > 0
            Learning rate.
        momentum : float in [0, 1)
        X_val, y_val : arrays, optional
            A validation set whose error is recorded after every epoch.
        progress : bool
            Show a ``tqdm`` progress bar over epochs.

        Returns
        -------
        History
            Training error, validation error and training loss per epoch.

        Notes
        -----
        Each epoch shuffles the training set and draws every mask from the
        network's training stream, then takes one :meth:`train_step` per
        mini-batch; the work is done by the engine's ``fit_many`` with one
        network, which gives the same result as that loop (to float32 rounding)
        in less time.
        """
        # The engine imports this module, so it is imported here, not at the top.
        from ._engine import fit_many

        if (X_val is None) != (y_val is None):
            raise ValueError("X_val and y_val must be given together, or neither")
        validation = None if X_val is None else [(X_val, y_val)]
        return fit_many(
            [self],
            [(X, y)],
            epochs=epochs,
            batch_size=batch_size,
            lr=lr,
            momentum=momentum,
            validation=validation,
            progress=progress,
        )[0]

    def predict_proba_samples(self, X, n_samples) -> np.ndarray:
        """Class probabilities of ``n_samples`` independent dropout passes.

        Parameters
        ----------
        X : array_like of float, shape (n, layer_sizes[0])
        n_samples : int >= 1

        Returns
        -------
        probs : ndarray of float32, shape (n_samples, n, layer_sizes[-1])
            ``probs[t]`` is the softmax output of the network with its ``t``-th
            sampled set of masks (drawn from the evaluation stream, so training
            is not disturbed).
        """
        X = self._check_X(X)
        n_samples = check_int(n_samples, "n_samples", minimum=1)
        return np.stack(
            [
                softmax(self._logits(X, self._sample_multipliers(len(X), self._predict_rng)))
                for _ in range(n_samples)
            ]
        )

    def predict_proba(self, X, *, mc_samples=None) -> np.ndarray:
        """Class probabilities.

        Parameters
        ----------
        X : array_like of float, shape (n, layer_sizes[0])
        mc_samples : int >= 1 or None
            ``None``: weight scaling, the network with dropout switched off
            (inverted dropout needs no rescaling). ``k``: the mean of ``k``
            Monte-Carlo dropout passes.

        Returns
        -------
        probs : ndarray of float32, shape (n, layer_sizes[-1])
            Rows sum to one.
        """
        if mc_samples is None:
            return softmax(self._logits(self._check_X(X)))
        mc_samples = check_int(mc_samples, "mc_samples", minimum=1)
        return self.predict_proba_samples(X, mc_samples).mean(axis=0)

    def predict(self, X, *, mc_samples=None) -> np.ndarray:
        """Predicted class labels, shape (n,); ``mc_samples`` as in :meth:`predict_proba`."""
        return np.argmax(self.predict_proba(X, mc_samples=mc_samples), axis=1)

    def error(self, X, y, *, mc_samples=None) -> float:
        """Fraction of examples misclassified (``mc_samples`` as in :meth:`predict_proba`)."""
        X = self._check_X(X)
        y = self._check_y(y, len(X))
        return float(np.mean(self.predict(X, mc_samples=mc_samples) != y))

    def hidden_activations(self, X) -> list[np.ndarray]:
        """ReLU outputs of every hidden layer at evaluation (dropout off).

        Parameters
        ----------
        X : array_like of float, shape (n, layer_sizes[0])

        Returns
        -------
        activations : list of ndarray of float32
            ``activations[l]`` has shape ``(n, layer_sizes[l + 1])``, one array
            per hidden layer.
        """
        a = self._check_X(X)
        activations = []
        for weight, bias in zip(self.weights[:-1], self.biases[:-1]):
            a = np.maximum(a @ weight + bias, 0)
            activations.append(a)
        return activations


class GaussianDropoutMLP(MLP):
    """The same network with Gaussian dropout (Srivastava et al. 2014, Sec. 10).

    Each input and hidden unit is multiplied by independent ``N(1, p / (1 - p))``
    noise while training instead of the inverted Bernoulli factor
    ``mask / (1 - p)``; both have mean 1 and variance ``p / (1 - p)``, and both
    need no rescaling at evaluation. The parameters are those of :class:`MLP`.
    """

    def _noise(self, shape, p, rng) -> np.ndarray:
        return gaussian_noise(shape, p, rng)
