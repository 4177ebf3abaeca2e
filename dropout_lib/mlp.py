"""A small numpy multilayer perceptron with dropout, fast enough for a laptop.

The network is ``input -> [dropout -> linear -> ReLU] * h -> dropout -> linear
-> softmax``: ReLU hidden layers, a softmax cross-entropy output, dropout on the
inputs (drop probability ``p_input``) and on every hidden layer (``p_hidden``),
trained by mini-batch SGD with momentum and an optional max-norm constraint,
all in float32.

Dropout is *inverted*, as in PyTorch: while training, a kept unit is divided by
``1 - p`` and a dropped one is zeroed; at evaluation the network runs unchanged.
That is the same as the paper's weight-scaling rule (multiply the outgoing
weights by ``1 - p`` at test time). ``p`` is always the probability of
**dropping** a unit.

Speed comes from three habits: one mask per layer is sampled for a whole epoch
in a single call, the parameters, gradients and momenta live in three flat
float32 vectors (so the SGD update is three vector operations whatever the
depth), and no loop runs over samples.
"""

from __future__ import annotations

import contextlib
import functools
import numbers
from dataclasses import dataclass

import numpy as np

from ._checks import as_real_array, check_p
from .layers import apply_mask
from .masks import _check_layer_sizes, sample_mask

__all__ = ["MLP", "GaussianDropoutMLP", "History", "gaussian_noise", "softmax"]

DTYPE = np.float32

_blas_controller = None


def _one_blas_thread():
    """A context in which BLAS runs on one thread.

    Mini-batch matrices are so small that a second BLAS thread costs more in
    synchronisation than it saves, and on a busy machine a spinning helper
    thread can stall a step for milliseconds (measured: median step 0.3 ms, but
    1 step in 20 over 8 ms with two threads). threadpoolctl comes with
    scikit-learn; without it this does nothing.
    """
    global _blas_controller
    if _blas_controller is None:
        try:
            from threadpoolctl import ThreadpoolController
        except ImportError:  # pragma: no cover - scikit-learn installs it
            return contextlib.nullcontext()
        _blas_controller = ThreadpoolController()
    return _blas_controller.limit(limits=1, user_api="blas")


def _with_one_blas_thread(method):
    @functools.wraps(method)
    def wrapper(*args, **kwargs):
        with _one_blas_thread():
            return method(*args, **kwargs)

    return wrapper


@dataclass
class History:
    """What :meth:`MLP.fit` records, one entry per epoch.

    Attributes
    ----------
    train_error : ndarray of float, shape (epochs,)
        Fraction of training examples misclassified at the end of each epoch,
        with dropout off (weight scaling).
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
    shifted = logits - logits.max(axis=1, keepdims=True)
    np.exp(shifted, out=shifted)
    shifted /= shifted.sum(axis=1, keepdims=True)
    return shifted


def gaussian_noise(shape, p, rng) -> np.ndarray:
    """Multiplicative Gaussian dropout noise, ``r ~ N(1, p / (1 - p))``, in float32.

    Its mean (1) and variance (``p / (1 - p)``) equal those of the inverted
    Bernoulli multiplier ``mask / (1 - p)`` with ``P(mask = 0) = p``
    (Srivastava et al. 2014, Sec. 10).

    Parameters
    ----------
    shape : tuple of int
    p : float in [0, 1)
        The drop probability of the Bernoulli dropout being matched.
    rng : numpy.random.Generator

    Returns
    -------
    noise : ndarray of float32, shape ``shape``
    """
    p = check_p(p)
    if p == 1.0:
        raise ValueError("p must be below 1 for Gaussian dropout: p / (1 - p) is infinite at p=1")
    noise = rng.standard_normal(shape, dtype=DTYPE)
    noise *= DTYPE(np.sqrt(p / (1.0 - p)))
    noise += DTYPE(1.0)
    return noise


def _check_drop_rate(p, name):
    p = check_p(p, name)
    if p == 1.0:
        raise ValueError(
            f"{name} must be below 1: a layer that drops every unit passes nothing on, "
            f"but got {name}={p!r}"
        )
    return p


def _check_positive_int(value, name):
    if isinstance(value, bool) or not isinstance(value, (numbers.Integral, np.integer)):
        raise TypeError(f"{name} must be an int, but got {value!r} of type {type(value).__name__}")
    if value < 1:
        raise ValueError(f"{name} must be at least 1, but got {name}={value}")
    return int(value)


def _check_real(value, name, *, low, high=np.inf, low_open=False, high_open=True):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"{name} must be a real number, but got {value!r} of type {type(value).__name__}"
        )
    value = float(value)
    too_low = value <= low if low_open else value < low
    too_high = value >= high if high_open else value > high
    if too_low or too_high or np.isnan(value):
        left, right = "(" if low_open else "[", ")" if high_open else "]"
        raise ValueError(f"{name} must be in {left}{low}, {high}{right}, but got {name}={value!r}")
    return value


def _loss_and_grads(X, y, multipliers, weights, biases, grad_w, grad_b):
    """Forward and backward pass of one mini-batch; gradients written into ``grad_*``.

    ``multipliers[l]`` (shape (n, layer_sizes[l]) or None) multiplies the input of
    weight layer ``l``: ``mask / (1 - p)`` for inverted dropout. Computation runs
    in the dtype of ``X`` and the weights. Returns the mean cross-entropy.
    """
    n_layers = len(weights)
    inputs, hidden = [], []
    a = X
    for layer in range(n_layers):
        if multipliers[layer] is not None:
            a = a * multipliers[layer]
        inputs.append(a)
        z = a @ weights[layer]
        z += biases[layer]
        if layer < n_layers - 1:
            np.maximum(z, 0, out=z)
            hidden.append(z)
            a = z
    # Softmax cross-entropy, shifted by the row maximum for stability.
    z -= z.max(axis=1, keepdims=True)
    rows = np.arange(len(y))
    log_z_target = z[rows, y]
    np.exp(z, out=z)
    total = z.sum(axis=1, keepdims=True)
    loss = float(np.mean(np.log(total[:, 0]) - log_z_target))
    delta = z
    delta /= total
    delta[rows, y] -= 1
    delta *= delta.dtype.type(1.0 / len(y))
    for layer in range(n_layers - 1, -1, -1):
        np.matmul(inputs[layer].T, delta, out=grad_w[layer])
        np.sum(delta, axis=0, out=grad_b[layer])
        if layer == 0:
            break
        delta = delta @ weights[layer].T
        if multipliers[layer] is not None:
            delta *= multipliers[layer]
        # ReLU passes the gradient where its output was positive.
        delta *= hidden[layer - 1] > 0
    return loss


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
    seed : int
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
    ``weights`` and ``biases`` are views into one flat parameter vector; change
    them in place or with :meth:`set_parameters`, never by assigning new arrays
    to the list.
    """

    def __init__(self, layer_sizes, *, p_input=0.0, p_hidden=0.0, max_norm=None, seed=0):
        self.layer_sizes = _check_layer_sizes(layer_sizes)
        self.p_input = _check_drop_rate(p_input, "p_input")
        self.p_hidden = _check_drop_rate(p_hidden, "p_hidden")
        self.max_norm = (
            None if max_norm is None else _check_real(max_norm, "max_norm", low=0, low_open=True)
        )
        if isinstance(seed, bool) or not isinstance(seed, (numbers.Integral, np.integer)):
            raise TypeError(f"seed must be an int, but got {seed!r} of type {type(seed).__name__}")
        if seed < 0:
            raise ValueError(f"seed must be non-negative, but got seed={seed}")
        self.seed = int(seed)
        init_seq, train_seq, predict_seq = np.random.SeedSequence(self.seed).spawn(3)
        self._train_rng = np.random.default_rng(train_seq)
        self._predict_rng = np.random.default_rng(predict_seq)

        shapes = []
        for n_in, n_out in zip(self.layer_sizes[:-1], self.layer_sizes[1:]):
            shapes += [(n_in, n_out), (n_out,)]
        total = sum(int(np.prod(shape)) for shape in shapes)
        self._params = np.zeros(total, dtype=DTYPE)
        self._grads = np.zeros(total, dtype=DTYPE)
        self._velocity = np.zeros(total, dtype=DTYPE)
        self._update = np.zeros(total, dtype=DTYPE)
        params, grads, offset = [], [], 0
        for shape in shapes:
            size = int(np.prod(shape))
            params.append(self._params[offset : offset + size].reshape(shape))
            grads.append(self._grads[offset : offset + size].reshape(shape))
            offset += size
        self.weights, self.biases = params[0::2], params[1::2]
        self._grad_w, self._grad_b = grads[0::2], grads[1::2]

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
            f"p_hidden={self.p_hidden}, max_norm={self.max_norm}, seed={self.seed})"
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
        """Training multipliers of one layer: the inverted-dropout factor ``mask / (1 - p)``."""
        mask = sample_mask(shape, p, rng)
        return apply_mask(np.ones(shape, dtype=DTYPE), mask, p)

    def _sample_multipliers(self, n, rng):
        return [
            None if p == 0.0 else self._noise((n, size), p, rng)
            for p, size in zip(self.drop_rates, self.layer_sizes[:-1])
        ]

    def _multipliers_from_masks(self, keep_masks, n, dtype):
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
            ones = np.ones((n, size), dtype=dtype)
            # check_mask inside apply_mask names the shape problem.
            multipliers.append(apply_mask(ones, np.asarray(mask), p) if p > 0 else None)
            if p == 0 and not np.all(np.asarray(mask)):
                raise ValueError(f"keep_masks[{index}] drops units, but that layer's p is 0")
        return multipliers

    def _logits(self, X, multipliers=None):
        a = X
        for layer, (weight, bias) in enumerate(zip(self.weights, self.biases)):
            if multipliers is not None and multipliers[layer] is not None:
                a = a * multipliers[layer]
            z = a @ weight
            z += bias
            if layer < len(self.weights) - 1:
                np.maximum(z, 0, out=z)
            a = z
        return a

    def _apply_max_norm(self):
        for weight in self.weights[:-1]:
            norms = np.sqrt(np.einsum("ij,ij->j", weight, weight))
            too_long = norms > self.max_norm
            if np.any(too_long):
                weight[:, too_long] *= (self.max_norm / norms[too_long]).astype(DTYPE)

    def _step(self, X, y, multipliers, lr, momentum):
        loss = _loss_and_grads(
            X, y, multipliers, self.weights, self.biases, self._grad_w, self._grad_b
        )
        # PyTorch's SGD: v <- momentum * v + g, then w <- w - lr * v.
        self._velocity *= DTYPE(momentum)
        self._velocity += self._grads
        np.multiply(self._velocity, DTYPE(lr), out=self._update)
        self._params -= self._update
        if self.max_norm is not None:
            self._apply_max_norm()
        return loss

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

    @_with_one_blas_thread
    def loss_and_gradients(self, X, y, keep_masks=None, *, weights=None, biases=None):
        """Mean cross-entropy of a batch and its gradients, for given keep-masks.

        This is the computation one training step uses, exposed for gradient
        checks: the masks are given instead of sampled, and the weights may be
        given too (in float64, say, for finite differences; the computation
        follows their dtype).

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
        grad_w = [np.empty_like(w) for w in weights]
        grad_b = [np.empty_like(b) for b in biases]
        loss = _loss_and_grads(X, y, multipliers, weights, biases, grad_w, grad_b)
        return loss, grad_w, grad_b

    @_with_one_blas_thread
    def train_step(self, X, y, *, lr=0.05, momentum=0.9, keep_masks=None):
        """One step of SGD with momentum on one mini-batch.

        Parameters
        ----------
        X : array_like of float, shape (n, layer_sizes[0])
        y : array_like of int, shape (n,)
        lr : float > 0
        momentum : float in [0, 1)
        keep_masks : list of ndarray of bool, optional
            As in :meth:`loss_and_gradients`; sampled from the network's
            training stream when omitted.

        Returns
        -------
        loss : float
            The batch loss before the step.
        """
        X = self._check_X(X)
        y = self._check_y(y, len(X))
        lr = _check_real(lr, "lr", low=0, low_open=True)
        momentum = _check_real(momentum, "momentum", low=0, high=1)
        if keep_masks is None:
            multipliers = self._sample_multipliers(len(X), self._train_rng)
        else:
            multipliers = self._multipliers_from_masks(keep_masks, len(X), DTYPE)
        return self._step(X, y, multipliers, lr, momentum)

    @_with_one_blas_thread
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
        """
        X = self._check_X(X)
        y = self._check_y(y, len(X))
        epochs = _check_positive_int(epochs, "epochs")
        batch_size = _check_positive_int(batch_size, "batch_size")
        lr = _check_real(lr, "lr", low=0, low_open=True)
        momentum = _check_real(momentum, "momentum", low=0, high=1)
        if (X_val is None) != (y_val is None):
            raise ValueError("X_val and y_val must be given together, or neither")
        if X_val is not None:
            X_val = self._check_X(X_val, "X_val")
            y_val = self._check_y(y_val, len(X_val), "y_val")
        if len(X) == 0:
            raise ValueError("X must hold at least one example, but got none")

        n = len(X)
        history = History(
            train_error=np.empty(epochs),
            val_error=None if X_val is None else np.empty(epochs),
            train_loss=np.empty(epochs),
        )
        X_shuffled = np.empty_like(X)
        y_shuffled = np.empty_like(y)
        epoch_range = range(epochs)
        if progress:
            from tqdm.auto import tqdm

            epoch_range = tqdm(epoch_range, desc="epochs", leave=False)
        for epoch in epoch_range:
            order = self._train_rng.permutation(n)
            np.take(X, order, axis=0, out=X_shuffled)
            np.take(y, order, out=y_shuffled)
            multipliers = self._sample_multipliers(n, self._train_rng)
            loss_sum = 0.0
            for start in range(0, n, batch_size):
                stop = min(start + batch_size, n)
                batch_multipliers = [None if m is None else m[start:stop] for m in multipliers]
                loss = self._step(
                    X_shuffled[start:stop], y_shuffled[start:stop], batch_multipliers, lr, momentum
                )
                loss_sum += loss * (stop - start)
            history.train_loss[epoch] = loss_sum / n
            history.train_error[epoch] = self._error(X, y)
            if X_val is not None:
                history.val_error[epoch] = self._error(X_val, y_val)
        return history

    @_with_one_blas_thread
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
        n_samples = _check_positive_int(n_samples, "n_samples")
        out = np.empty((n_samples, len(X), self.layer_sizes[-1]), dtype=DTYPE)
        for sample in range(n_samples):
            multipliers = self._sample_multipliers(len(X), self._predict_rng)
            out[sample] = softmax(self._logits(X, multipliers))
        return out

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
        mc_samples = _check_positive_int(mc_samples, "mc_samples")
        return self.predict_proba_samples(X, mc_samples).mean(axis=0)

    def predict(self, X, *, mc_samples=None) -> np.ndarray:
        """Predicted class labels, shape (n,); ``mc_samples`` as in :meth:`predict_proba`."""
        return np.argmax(self.predict_proba(X, mc_samples=mc_samples), axis=1)

    def _error(self, X, y):
        return float(np.mean(np.argmax(self._logits(X), axis=1) != y))

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
            a = a @ weight
            a += bias
            np.maximum(a, 0, out=a)
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
