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
from .family import gaussian_noise
from .layers import apply_mask
from .masks import _check_layer_sizes, sample_mask

__all__ = ["MLP", "GaussianDropoutMLP", "History", "fit_many", "softmax"]

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
        with dropout off (weight scaling). NaN for epochs that
        :func:`fit_many` was told not to evaluate (``evaluate_last``).
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


def _swap(a):
    """Swap the last two axes (the transpose of each matrix in a stack)."""
    return np.swapaxes(a, -1, -2)


def _forward(X, weights, biases, multipliers=None):
    """Logits of a batch, for one network or for a stack of networks.

    ``X`` is (n, n_0) for one network, or (S, n, n_0) for S networks of one
    architecture whose weights are stacked as (S, n_in, n_out) and biases as
    (S, 1, n_out). ``multipliers[l]``, when not None, multiplies the input of
    weight layer ``l`` elementwise (``mask / (1 - p)`` for inverted dropout).
    """
    a = X
    last = len(weights) - 1
    for layer, (weight, bias) in enumerate(zip(weights, biases)):
        if multipliers is not None and multipliers[layer] is not None:
            a = a * multipliers[layer]
        z = a @ weight
        z += bias
        if layer < last:
            np.maximum(z, 0, out=z)
        a = z
    return a


def _scratch(workspace, name, layer, shape, dtype):
    """A reusable work array, or a new one when there is no ``workspace``.

    Arrays of a few hundred kilobytes are allocated with mmap and page-faulted
    afresh every time, which for the stacked networks of :func:`fit_many` cost
    more than the arithmetic; reusing them across steps avoids that.
    """
    if workspace is None:
        return np.empty(shape, dtype=dtype)
    key = (name, layer, shape, dtype)
    array = workspace.get(key)
    if array is None:
        array = workspace[key] = np.empty(shape, dtype=dtype)
    return array


def _loss_and_grads(X, onehot, multipliers, weights, biases, grad_w, grad_b, workspace=None):
    """Forward and backward pass of one mini-batch; gradients written into ``grad_*``.

    Shapes as in :func:`_forward`, for one network or a stack of S networks;
    ``onehot`` is (..., n, classes) in the dtype of ``X``, and ``grad_b[l]``
    has the shape of ``biases[l]`` without its batch axis: (n_out,) or (S, n_out).
    ``workspace`` is a dict that keeps work arrays between calls (or None).
    Returns the mean cross-entropy: a float array of shape () or (S,).
    """
    n_layers = len(weights)
    dtype = X.dtype
    lead = X.shape[:-1]  # (..., n)
    inputs, hidden = [], []
    a = X
    for layer in range(n_layers):
        if multipliers[layer] is not None:
            a = np.multiply(
                a, multipliers[layer], out=_scratch(workspace, "in", layer, a.shape, dtype)
            )
        inputs.append(a)
        width = weights[layer].shape[-1]
        z = np.matmul(a, weights[layer], out=_scratch(workspace, "z", layer, (*lead, width), dtype))
        z += biases[layer]
        if layer < n_layers - 1:
            np.maximum(z, 0, out=z)
            hidden.append(z)
            a = z
    # Softmax cross-entropy, shifted by the row maximum for stability.
    z -= z.max(axis=-1, keepdims=True)
    target_logit = np.einsum("...c,...c->...", z, onehot)
    np.exp(z, out=z)
    total = z.sum(axis=-1, keepdims=True)
    loss = np.mean(np.log(total[..., 0]) - target_logit, axis=-1)
    delta = z
    delta /= total
    delta -= onehot
    delta *= dtype.type(1.0 / X.shape[-2])
    for layer in range(n_layers - 1, -1, -1):
        np.matmul(_swap(inputs[layer]), delta, out=grad_w[layer])
        np.sum(delta, axis=-2, out=grad_b[layer])
        if layer == 0:
            break
        # Same as delta @ W.T. OpenBLAS is markedly slower with a transposed
        # second operand at these sizes (measured 40 vs 25 us at 32x128x128),
        # and the elementwise steps below run several times faster on a
        # C-ordered array than on a transposed view, so transpose and copy.
        width = weights[layer].shape[-2]
        transposed = np.matmul(
            weights[layer],
            _swap(delta),
            out=_scratch(workspace, "dT", layer, (*lead[:-1], width, lead[-1]), dtype),
        )
        delta = _scratch(workspace, "d", layer, (*lead, width), dtype)
        np.copyto(delta, _swap(transposed))
        if multipliers[layer] is not None:
            delta *= multipliers[layer]
        # ReLU passes the gradient where its output was positive.
        active = np.greater(
            hidden[layer - 1], 0, out=_scratch(workspace, "on", layer, delta.shape, bool)
        )
        delta *= active
    return loss


def _sgd_momentum(params, grads, velocity, scratch, lr, momentum):
    """PyTorch's SGD with momentum, in place: v <- momentum v + g; w <- w - lr v."""
    velocity *= velocity.dtype.type(momentum)
    velocity += grads
    np.multiply(velocity, velocity.dtype.type(lr), out=scratch)
    params -= scratch


def _max_norm(weights, max_norm):
    """Rescale each column (a unit's incoming weights) to norm at most ``max_norm``."""
    for weight in weights:
        norms = np.sqrt(np.einsum("...ij,...ij->...j", weight, weight))
        factor = np.minimum(1.0, max_norm / np.maximum(norms, np.finfo(weight.dtype).tiny))
        weight *= factor.astype(weight.dtype)[..., None, :]


def _one_hot(y, n_classes, dtype=DTYPE):
    onehot = np.zeros((*np.shape(y), n_classes), dtype=dtype)
    np.put_along_axis(onehot, np.asarray(y)[..., None], 1, axis=-1)
    return onehot


def _layout(layer_sizes):
    """Offsets and shapes of every weight and bias in the flat parameter vector."""
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

        layout, total = _layout(self.layer_sizes)
        self._params = np.zeros(total, dtype=DTYPE)
        self._grads = np.zeros(total, dtype=DTYPE)
        self._velocity = np.zeros(total, dtype=DTYPE)
        self._scratch = np.zeros(total, dtype=DTYPE)
        params = [self._params[o : o + n].reshape(shape) for o, n, shape in layout]
        grads = [self._grads[o : o + n].reshape(shape) for o, n, shape in layout]
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
        return _forward(X, self.weights, self.biases, multipliers)

    def _step(self, X, y, multipliers, lr, momentum):
        onehot = _one_hot(y, self.layer_sizes[-1])
        loss = _loss_and_grads(
            X, onehot, multipliers, self.weights, self.biases, self._grad_w, self._grad_b
        )
        _sgd_momentum(self._params, self._grads, self._velocity, self._scratch, lr, momentum)
        if self.max_norm is not None:
            _max_norm(self.weights[:-1], self.max_norm)
        return float(loss)

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
        onehot = _one_hot(y, self.layer_sizes[-1], dtype)
        loss = _loss_and_grads(X, onehot, multipliers, weights, biases, grad_w, grad_b)
        return float(loss), grad_w, grad_b

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
        This is :func:`fit_many` with one network.
        """
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


def _stack(arrays, shape, dtype=DTYPE):
    """Stack per-network arrays (None means all ones) along a new first axis."""
    if all(a is None for a in arrays):
        return None
    return np.stack([np.ones(shape, dtype=dtype) if a is None else a for a in arrays])


@_with_one_blas_thread
def fit_many(
    models,
    datasets,
    *,
    epochs,
    batch_size=32,
    lr=0.05,
    momentum=0.9,
    validation=None,
    evaluate_last=None,
    progress=False,
):
    """Train several networks of one architecture side by side, in lockstep.

    Each network keeps its own data, drop rates, random streams and momentum,
    and ends exactly where its own :meth:`MLP.fit` would have taken it (to
    float32 rounding): the networks are stacked only so that every numpy call
    works on all of them at once. On small networks most of a step's time is
    the overhead of each numpy call, so training S networks together costs
    little more than training one.

    Parameters
    ----------
    models : sequence of MLP
        Networks with equal ``layer_sizes`` and ``max_norm``; drop rates and
        seeds may differ, and so may the class (e.g. :class:`GaussianDropoutMLP`).
    datasets : sequence of (X, y)
        One training set per network, all of the same size n; ``X`` has shape
        (n, layer_sizes[0]) and ``y`` holds integer labels, shape (n,).
        Not modified.
    epochs, batch_size, lr, momentum, progress
        As in :meth:`MLP.fit`.
    validation : sequence of (X_val, y_val), optional
        One validation set per network, all of the same size.
    evaluate_last : int or None
        Compute the training and validation errors only in the last
        ``evaluate_last`` epochs (the others are NaN in the histories). An
        error evaluation runs the whole training and validation sets through
        the network, which costs more than an epoch of training on a small
        training set; experiments that need only final errors skip it.

    Returns
    -------
    list of History
        One per network, in order.
    """
    models = list(models)
    if not models or not all(isinstance(m, MLP) for m in models):
        raise TypeError("models must be a non-empty sequence of MLP networks")
    first = models[0]
    for model in models[1:]:
        if model.layer_sizes != first.layer_sizes or model.max_norm != first.max_norm:
            raise ValueError(
                "models must share layer_sizes and max_norm to be trained together, but got "
                f"{first!r} and {model!r}"
            )
    if len(datasets) != len(models):
        raise ValueError(f"datasets must hold {len(models)} (X, y) pairs, got {len(datasets)}")
    epochs = _check_positive_int(epochs, "epochs")
    batch_size = _check_positive_int(batch_size, "batch_size")
    lr = _check_real(lr, "lr", low=0, low_open=True)
    momentum = _check_real(momentum, "momentum", low=0, high=1)
    first_evaluated = 0
    if evaluate_last is not None:
        first_evaluated = epochs - _check_positive_int(evaluate_last, "evaluate_last")
    train = []
    for model, (X, y) in zip(models, datasets):
        X = model._check_X(X)
        train.append((X, model._check_y(y, len(X))))
    n = len(train[0][0])
    if n == 0:
        raise ValueError("X must hold at least one example, but got none")
    if any(len(X) != n for X, _ in train):
        raise ValueError("every training set must have the same number of examples")
    if validation is not None:
        if len(validation) != len(models):
            raise ValueError(f"validation must hold {len(models)} pairs, got {len(validation)}")
        checked = []
        for model, (X_val, y_val) in zip(models, validation):
            X_val = model._check_X(X_val, "X_val")
            checked.append((X_val, model._check_y(y_val, len(X_val), "y_val")))
        if any(len(X) != len(checked[0][0]) for X, _ in checked):
            raise ValueError("every validation set must have the same number of examples")
        X_val = np.stack([X for X, _ in checked])
        y_val = np.stack([y for _, y in checked])

    n_models, n_classes = len(models), first.layer_sizes[-1]
    layout, total = _layout(first.layer_sizes)
    # Stacked state: row s is network s's flat parameter vector.
    params = np.stack([m._params for m in models])
    velocity = np.stack([m._velocity for m in models])
    grads = np.zeros_like(params)
    scratch = np.zeros_like(params)
    views = [params[:, o : o + size].reshape(n_models, *shape) for o, size, shape in layout]
    weights = views[0::2]
    biases = [b[:, None, :] for b in views[1::2]]
    grad_views = [grads[:, o : o + size].reshape(n_models, *shape) for o, size, shape in layout]
    grad_w, grad_b = grad_views[0::2], grad_views[1::2]

    X_train = np.stack([X for X, _ in train])
    y_train = np.stack([y for _, y in train])
    onehot_train = _one_hot(y_train, n_classes)
    X_shuffled = np.empty_like(X_train)
    onehot_shuffled = np.empty_like(onehot_train)
    histories = [
        History(
            train_error=np.full(epochs, np.nan),
            val_error=None if validation is None else np.full(epochs, np.nan),
            train_loss=np.empty(epochs),
        )
        for _ in models
    ]
    epoch_range = range(epochs)
    if progress:
        from tqdm.auto import tqdm

        epoch_range = tqdm(epoch_range, desc="epochs", leave=False)
    widths = first.layer_sizes[:-1]
    workspace = {}
    for epoch in epoch_range:
        per_model = []
        for s, model in enumerate(models):
            order = model._train_rng.permutation(n)
            np.take(X_train[s], order, axis=0, out=X_shuffled[s])
            np.take(onehot_train[s], order, axis=0, out=onehot_shuffled[s])
            per_model.append(model._sample_multipliers(n, model._train_rng))
        multipliers = [
            _stack([m[layer] for m in per_model], (n, width)) for layer, width in enumerate(widths)
        ]
        loss_sum = np.zeros(n_models)
        for start in range(0, n, batch_size):
            stop = min(start + batch_size, n)
            batch_multipliers = [None if m is None else m[:, start:stop] for m in multipliers]
            loss = _loss_and_grads(
                X_shuffled[:, start:stop],
                onehot_shuffled[:, start:stop],
                batch_multipliers,
                weights,
                biases,
                grad_w,
                grad_b,
                workspace,
            )
            loss_sum += loss * (stop - start)
            _sgd_momentum(params, grads, velocity, scratch, lr, momentum)
            if first.max_norm is not None:
                _max_norm(weights[:-1], first.max_norm)
        for s, history in enumerate(histories):
            history.train_loss[epoch] = loss_sum[s] / n
        if epoch < first_evaluated:
            continue
        train_error = _stacked_error(X_train, y_train, weights, biases)
        val_error = None if validation is None else _stacked_error(X_val, y_val, weights, biases)
        for s, history in enumerate(histories):
            history.train_error[epoch] = train_error[s]
            if val_error is not None:
                history.val_error[epoch] = val_error[s]
    for s, model in enumerate(models):
        model._params[...] = params[s]
        model._velocity[...] = velocity[s]
    return histories


def _stacked_error(X, y, weights, biases):
    """Error rate of each stacked network on its own data: X (S, n, d), y (S, n)."""
    return np.mean(np.argmax(_forward(X, weights, biases), axis=-1) != y, axis=-1)
