"""The argument rule of the whole library, tested on the public functions of every module.

For each call below, starting from a valid call:

- an argument of the wrong *type* raises ``TypeError`` whose message names the
  argument (and shows the value, when it is a scalar);
- an argument of the right type but a wrong *value* (p = 1.5, p = NaN, a
  negative size, a wrong shape) raises ``ValueError`` that names it likewise;
- numpy scalars (``np.int64``, ``np.float64``) are accepted wherever a Python
  int or float is, and give the same result;
- no function modifies its inputs: every argument compares equal, before and
  after the call, to a deep copy taken before it.

Each module is imported inside the test, so a module that fails to import
fails only its own cases.
"""

from __future__ import annotations

import copy
import dataclasses
import importlib
import math
import re
from collections.abc import Callable

import numpy as np
import pytest

# --- the calls --------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Call:
    """A valid call of one public function, and the bad arguments it must refuse.

    ``target`` is ``"module.function"``; ``make`` (given the imported module)
    returns the callable when it is not simply ``module.function``, e.g. a bound
    method. ``args`` builds fresh keyword arguments of a valid call. A
    ``bad_type`` / ``bad_value`` entry maps an argument name to the values that
    must raise ``TypeError`` / ``ValueError`` naming that argument.
    """

    target: str
    args: Callable[[], dict]
    bad_type: dict = dataclasses.field(default_factory=dict)
    bad_value: dict = dataclasses.field(default_factory=dict)
    make: Callable | None = None
    compare: bool = True  # the result is deterministic, so numpy scalars must give the same
    label: str = ""

    @property
    def id(self) -> str:
        return self.target + (f"[{self.label}]" if self.label else "")

    def function(self):
        module_name, _, name = self.target.partition(".")
        module = importlib.import_module(f"dropout_lib.{module_name}")
        if self.make is not None:
            return self.make(module)
        obj = module
        for part in name.split("."):
            obj = getattr(obj, part)
        return obj


# Bad drop probabilities: every p in the library is a real number in [0, 1].
P_TYPE = ("0.5", None, True, 1j, [0.5])
P_VALUE = (1.5, -0.1, math.nan, math.inf)
P_BELOW_ONE = (*P_VALUE, 1.0)  # where p = 1 has no meaning (a division by 1 - p)
INT_TYPE = (2.5, "3", True, None)
SEED_TYPE = ("0", 1.5, True)
RNG_TYPE = ("seed", 1.5, np.random.RandomState(0))  # noqa: NPY002 (the legacy class is refused)
REAL_ARRAY_TYPE = ("abc", np.array(["a", "b"]), np.array([1 + 2j, 1j]))
LAYER_SIZES_TYPE = ("abc", (3, 2.5, 2), None)
LAYER_SIZES_VALUE = ((3,), (3, 0, 2), (3, -1, 2))


def _p(**extra):
    return {"p": P_TYPE, **extra}


def _vec(*values):
    return np.array(values, dtype=float)


def _rng_array(*shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape)


def _net():
    from dropout_lib.network import make_network

    return make_network(n_in=3, n_hidden=4, n_out=2, seed=0)


def _regression_nets():
    from dropout_lib.mc_dropout import RegressionNet

    return [RegressionNet((4,), seed=seed) for seed in (0, 1)]


def _mlp_data():
    rng = np.random.default_rng(0)
    return rng.random((40, 64)).astype(np.float32), np.arange(40) % 10


def _fit_args():
    X, y = _mlp_data()
    return dict(X=X, y=y, epochs=1, batch_size=16, lr=0.05, momentum=0.9)


def _fit(module):
    return module.MLP((64, 16, 10), p_input=0.2, p_hidden=0.5, seed=0).fit


def _steps():
    from dropout_lib import symbolic

    return symbolic.two_input_expectation_steps()


CALLS = [
    # masks
    Call(
        "masks.sample_mask",
        lambda: dict(shape=(2, 3), p=0.3, rng=0),
        bad_type=_p(shape=("ab", 2.5, None, (2, 1.5)), rng=RNG_TYPE),
        bad_value={"p": P_VALUE, "shape": ((-1, 2), -3), "rng": (-1,)},
    ),
    Call(
        "masks.enumerate_masks",
        lambda: dict(n=3, p=0.25),
        bad_type=_p(n=INT_TYPE),
        bad_value={"p": P_VALUE, "n": (-1, 25)},
    ),
    Call(
        "masks.network_masks",
        lambda: dict(layer_sizes=(3, 4, 2), p=0.5, rng=0),
        bad_type=_p(layer_sizes=LAYER_SIZES_TYPE, rng=RNG_TYPE),
        bad_value={"p": P_VALUE, "layer_sizes": LAYER_SIZES_VALUE},
    ),
    Call(
        "masks.count_subnetworks",
        lambda: dict(layer_sizes=(3, 4, 2)),
        bad_type={"layer_sizes": LAYER_SIZES_TYPE},
        bad_value={"layer_sizes": LAYER_SIZES_VALUE},
    ),
    Call(
        "masks.distinct_subnetworks_visited",
        lambda: dict(layer_sizes=(3, 4, 2), p=0.5, steps=20, seed=0),
        bad_type=_p(layer_sizes=LAYER_SIZES_TYPE, steps=INT_TYPE, seed=SEED_TYPE),
        bad_value={"p": P_VALUE, "layer_sizes": LAYER_SIZES_VALUE, "steps": (0, -5), "seed": (-1,)},
    ),
    Call(
        "masks.expected_distinct_subnetworks",
        lambda: dict(n_units=5, p=0.5, steps=20),
        bad_type=_p(n_units=INT_TYPE, steps=INT_TYPE),
        bad_value={"p": P_VALUE, "n_units": (-1, 25), "steps": (0,)},
    ),
    # layers
    Call(
        "layers.apply_mask",
        lambda: dict(x=_vec(1, -2, 3), mask=np.array([True, False, True]), p=0.5),
        bad_type=_p(x=REAL_ARRAY_TYPE, mask=(np.array([0.5, 1.0, 0.0]), np.array(["a"] * 3))),
        bad_value={"p": P_VALUE, "mask": (np.ones(4, bool), np.ones((3, 1), bool))},
    ),
    Call(
        "layers.dropout",
        lambda: dict(x=_vec(1, -2, 3, 4), p=0.5, rng=0),
        bad_type=_p(x=REAL_ARRAY_TYPE, rng=RNG_TYPE),
        bad_value={"p": P_VALUE, "rng": (-1,)},
    ),
    Call(
        "layers.dropout",
        lambda: dict(x=_vec(1, -2, 3, 4), p=0.5, training=False, inverted=False),
        bad_type=_p(x=REAL_ARRAY_TYPE),
        bad_value={"p": P_VALUE},
        label="evaluation",
    ),
    Call(
        "layers.dropout_backward",
        lambda: dict(dout=_vec(1, -2, 3), mask=np.array([True, False, True]), p=0.5),
        bad_type=_p(dout=REAL_ARRAY_TYPE, mask=(np.array([0.5, 1.0, 0.0]),)),
        bad_value={"p": P_VALUE, "mask": (np.ones(4, bool),)},
    ),
    Call(
        "layers.Dropout",
        lambda: dict(p=0.5, seed=0),
        bad_type=_p(seed=SEED_TYPE),
        bad_value={"p": P_VALUE, "seed": (-1,)},
        compare=False,  # a new object each time
    ),
    Call(
        "layers.Dropout.forward",
        lambda: dict(x=_vec(1, -2, 3, 4), rng=0),
        bad_type={"x": REAL_ARRAY_TYPE, "rng": RNG_TYPE},
        make=lambda m: m.Dropout(0.5, seed=0).forward,
    ),
    # moments
    *[
        Call(
            f"moments.{name}",
            lambda: dict(w=_vec(2, -1), x=_vec(1.5, 1), p=0.4),
            bad_type=_p(w=REAL_ARRAY_TYPE, x=REAL_ARRAY_TYPE),
            bad_value={"p": P_VALUE, "w": (np.ones((2, 2)),), "x": (np.ones(3), np.ones((1, 2)))},
        )
        for name in ("unit_values", "exact_moments", "linear_unit_moments")
    ],
    # symbolic
    *[
        Call(
            f"symbolic.{name}",
            lambda: dict(n=2),
            bad_type={"n": INT_TYPE},
            bad_value={"n": (0, -1, 11)},
        )
        for name in (
            "weights_and_inputs",
            "mask_states",
            "expected_value",
            "second_moment",
            "variance",
            "closed_form_mean",
            "closed_form_variance",
            "mask_state_latex_rows",
        )
    ],
    Call(
        "symbolic.confirm_moments",
        lambda: dict(n_max=2),
        bad_type={"n_max": INT_TYPE},
        bad_value={"n_max": (0, 11)},
    ),
    Call(
        "symbolic.check_steps",
        lambda: dict(steps=_steps()),
        bad_type={"steps": (5, "p", ["p", "1 - p"])},
        bad_value={"steps": ([],)},
    ),
    Call(
        "symbolic.steps_latex",
        lambda: dict(steps=_steps(), max_chars=150),
        bad_type={"steps": (5, "p"), "max_chars": INT_TYPE},
        bad_value={"max_chars": (0,)},
    ),
    # network
    Call(
        "network.make_network",
        lambda: dict(n_in=3, n_hidden=4, n_out=2, seed=0),
        bad_type={"n_in": INT_TYPE, "n_hidden": INT_TYPE, "n_out": INT_TYPE, "seed": SEED_TYPE},
        bad_value={"n_in": (0,), "n_hidden": (-2,), "n_out": (0,), "seed": (-1,)},
    ),
    Call(
        "network.hidden_layer",
        lambda: dict(net=_net(), x=_vec(-1, 0.5, 1)),
        bad_type={"net": (None, {"W1": np.ones((4, 3))}), "x": REAL_ARRAY_TYPE},
        bad_value={"x": (np.ones(4), np.ones((1, 1, 3)))},
    ),
    Call(
        "network.output_layer",
        lambda: dict(net=_net(), h1=_vec(1, 0, 2, 0.5)),
        bad_type={"net": (None,), "h1": REAL_ARRAY_TYPE},
        bad_value={"h1": (np.ones(3), np.ones((2, 5)))},
    ),
    *[
        Call(
            f"network.{name}",
            lambda: dict(net=_net(), x=_rng_array(5, 3), p=0.3, rng=0),
            bad_type=_p(net=(None,), x=REAL_ARRAY_TYPE, rng=RNG_TYPE),
            bad_value={"p": P_VALUE, "x": (np.ones((5, 4)),)},
        )
        for name in ("train_step", "train_step_inverted")
    ],
    Call(
        "network.test_step",
        lambda: dict(net=_net(), x=_rng_array(5, 3), p=0.3),
        bad_type=_p(net=(None,), x=REAL_ARRAY_TYPE),
        bad_value={"p": P_VALUE, "x": (np.ones((5, 4)),)},
    ),
    Call(
        "network.test_step_inverted",
        lambda: dict(net=_net(), x=_rng_array(5, 3)),
        bad_type={"net": (None,), "x": REAL_ARRAY_TYPE},
        bad_value={"x": (np.ones((5, 4)),)},
    ),
    Call(
        "network.forward_with_mask",
        lambda: dict(
            net=_net(),
            x=_rng_array(2, 3),
            mask=np.array([[1, 0, 1, 1], [0, 1, 1, 0]], bool),
            p=0.3,
            inverted=True,
        ),  # fmt: skip
        bad_type=_p(net=(None,), x=REAL_ARRAY_TYPE, mask=(np.full((2, 4), 0.5),)),
        bad_value={"p": P_VALUE, "mask": (np.ones((2, 3), bool),)},
    ),
    Call(
        "network.outputs_over_all_masks",
        lambda: dict(net=_net(), x=_vec(-1, 0.5, 1), p=0.3),
        bad_type=_p(net=(None,), x=REAL_ARRAY_TYPE),
        bad_value={"p": P_VALUE, "x": (np.ones((2, 3)), np.ones(4))},
    ),
    Call(
        "network.fold_dropout_scale",
        lambda: dict(net=_net(), p=0.3),
        bad_type=_p(net=(None,)),
        bad_value={"p": P_VALUE},
    ),
    Call(
        "network.DropoutModel",
        lambda: dict(net=_net(), p=0.3, seed=0),
        bad_type=_p(net=(None,), seed=SEED_TYPE),
        bad_value={"p": P_VALUE, "seed": (-1,)},
        compare=False,
    ),
    Call(
        "network.inference_timings",
        lambda: dict(net=_net(), x=_rng_array(4, 3), p=0.3, repeat=2),
        bad_type=_p(net=(None,), x=REAL_ARRAY_TYPE, repeat=INT_TYPE),
        bad_value={"p": P_VALUE, "repeat": (0,), "x": (np.ones((4, 5)),)},
        compare=False,  # times
    ),
    # sampling
    Call(
        "sampling.running_mean",
        lambda: dict(w=_vec(2, -1), x=_vec(1.5, 1), p=0.4, n_samples=20, rng=0),
        bad_type=_p(w=REAL_ARRAY_TYPE, x=REAL_ARRAY_TYPE, n_samples=INT_TYPE, rng=RNG_TYPE),
        bad_value={"p": P_VALUE, "n_samples": (0, -3), "x": (np.ones(3),)},
    ),
    # data
    Call(
        "data.digits_split",
        lambda: dict(n_train=50, n_val=20, n_test=100, seed=0),
        bad_type={
            "n_train": (50.0, "50"),
            "n_val": INT_TYPE,
            "n_test": INT_TYPE,
            "seed": SEED_TYPE,
        },
        bad_value={"n_train": (5, 2000), "n_val": (-1,), "n_test": (9, 1790), "seed": (-2,)},
    ),
    Call(
        "data.mnist_split",
        lambda: dict(n_train=50, n_val=20, n_test=100, seed=0),
        bad_type={
            "n_train": (50.0, "50"),
            "n_val": INT_TYPE,
            "n_test": INT_TYPE,
            "seed": SEED_TYPE,
        },
        bad_value={"n_train": (5, 4900), "n_val": (-1,), "n_test": (9, 4995), "seed": (-2,)},
    ),
    # autoencoder
    Call(
        "autoencoder.Autoencoder",
        lambda: dict(n_visible=6, n_hidden=4, p_input=0.2, p_hidden=0.5, weight_decay=0.01, seed=0),
        bad_type={
            "n_visible": INT_TYPE,
            "n_hidden": INT_TYPE,
            "p_input": P_TYPE,
            "p_hidden": P_TYPE,
            "weight_decay": ("0.1", None),
            "seed": SEED_TYPE,
        },
        bad_value={
            "n_visible": (0,),
            "n_hidden": (-1,),
            "p_input": P_BELOW_ONE,
            "p_hidden": P_BELOW_ONE,
            "weight_decay": (-0.1, math.nan, math.inf),
            "seed": (-1,),
        },
        compare=False,
    ),
    # mnist_experiments
    Call(
        "mnist_experiments.filter_roughness",
        lambda: dict(filters=_rng_array(3, 784)),
        bad_type={"filters": REAL_ARRAY_TYPE},
        bad_value={"filters": (np.ones((3, 100)), np.ones(784))},
    ),
    Call(
        "mnist_experiments.activation_sparsity",
        lambda: dict(activations=np.abs(_rng_array(5, 4))),
        bad_type={"activations": REAL_ARRAY_TYPE},
        bad_value={"activations": (-np.ones((2, 2)), np.ones(3))},
        compare=False,
    ),
    # display
    Call(
        "display.markdown_table",
        lambda: dict(headers=["a", "b"], rows=[[1, 2]], align=["left", "right"]),
        bad_type={"align": ([1, 2],)},
        bad_value={"align": (["left", "middle"], ["left"])},
        compare=False,  # IPython Markdown objects do not compare by content
    ),
    # mlp (public API: MLP(layer_sizes, *, p_input, p_hidden, max_norm, seed), fit(...))
    Call(
        "mlp.MLP",
        lambda: dict(layer_sizes=(64, 16, 10), p_input=0.2, p_hidden=0.5, max_norm=3.0, seed=0),
        bad_type={
            "layer_sizes": LAYER_SIZES_TYPE,
            "p_input": P_TYPE,
            "p_hidden": P_TYPE,
            "max_norm": ("3", [3.0]),
            "weight_decay": ("0.1", None),
            "seed": SEED_TYPE,
        },
        bad_value={
            "layer_sizes": LAYER_SIZES_VALUE,
            "p_input": P_BELOW_ONE,
            "p_hidden": P_BELOW_ONE,
            "max_norm": (0.0, -1.0, math.nan),
            "weight_decay": (-0.1, math.nan, math.inf),
            "seed": (-1,),
        },
        compare=False,
    ),
    Call(
        "mlp.MLP.fit",
        _fit_args,
        bad_type={
            "X": REAL_ARRAY_TYPE,
            "epochs": INT_TYPE,
            "batch_size": INT_TYPE,
            "lr": ("0.05", None, [0.05]),
            "momentum": ("0.9", None),
        },
        bad_value={
            "X": (np.ones((40, 63)), np.ones(64)),
            "y": (np.arange(39) % 10, np.full(40, 10)),
            "epochs": (0, -1),
            "batch_size": (0,),
            "lr": (0.0, -0.1, math.nan, math.inf),
            "momentum": (-0.1, 1.5, math.nan),
        },
        make=_fit,
    ),
    # family
    Call(
        "family.gaussian_dropout",
        lambda: dict(x=_vec(1, -2, 3), p=0.3, rng=0),
        bad_type=_p(x=REAL_ARRAY_TYPE, rng=RNG_TYPE),
        bad_value={"p": P_BELOW_ONE},
    ),
    Call(
        "family.alpha_dropout_affine",
        lambda: dict(p=0.3),
        bad_type=_p(),
        bad_value={"p": P_BELOW_ONE},
    ),
    Call(
        "family.alpha_dropout",
        lambda: dict(x=_vec(1, -2, 3), p=0.3, rng=0),
        bad_type=_p(x=REAL_ARRAY_TYPE, rng=RNG_TYPE),
        bad_value={"p": P_VALUE},
    ),
    Call(
        "family.dropconnect",
        lambda: dict(x=_rng_array(2, 3), W=_rng_array(3, 4, seed=1), p=0.3, rng=0),
        bad_type=_p(x=REAL_ARRAY_TYPE, W=REAL_ARRAY_TYPE, rng=RNG_TYPE),
        bad_value={"p": P_VALUE, "W": (np.ones((4, 4)),)},
    ),
    Call(
        "family.dropconnect_moments",
        lambda: dict(x=_rng_array(2, 3), W=_rng_array(3, 4, seed=1), p=0.3),
        bad_type=_p(x=REAL_ARRAY_TYPE, W=REAL_ARRAY_TYPE),
        bad_value={"p": P_VALUE, "W": (np.ones((4, 4)),)},
    ),
    Call(
        "family.channel_mask",
        lambda: dict(shape=(2, 3, 4, 4), p=0.3, rng=0),
        bad_type=_p(shape=("ab",), rng=RNG_TYPE),
        bad_value={"p": P_VALUE, "shape": ((2, 3), (2, -3, 4, 4))},
    ),
    Call(
        "family.spatial_dropout",
        lambda: dict(x=_rng_array(2, 3, 4, 4), p=0.3, rng=0),
        bad_type=_p(x=REAL_ARRAY_TYPE, rng=RNG_TYPE),
        bad_value={"p": P_VALUE, "x": (np.ones((2, 3)),)},
    ),
    Call(
        "family.noisy_readout",
        lambda: dict(
            h=_rng_array(2, 3),
            W=_rng_array(3, 4, seed=1),
            b=np.zeros(4),
            p=0.3,
            method="bernoulli",
            n_samples=5,
            rng=0,
        ),  # fmt: skip
        bad_type=_p(h=REAL_ARRAY_TYPE, method=(3, None), n_samples=INT_TYPE, rng=RNG_TYPE),
        bad_value={"p": P_BELOW_ONE, "method": ("nope",), "n_samples": (0,), "b": (np.zeros(3),)},
    ),
    Call(
        "family.readout_moments",
        lambda: dict(h=_rng_array(2, 3), W=_rng_array(3, 4, seed=1), b=np.zeros(4), p=0.3),
        bad_type=_p(h=REAL_ARRAY_TYPE, W=REAL_ARRAY_TYPE),
        bad_value={"p": P_BELOW_ONE, "W": (np.ones((4, 4)),)},
    ),
    # mc_dropout
    Call(
        "mc_dropout.model_precision",
        lambda: dict(p=0.1, length_scale=1.0, n_train=100, weight_decay=1e-4),
        bad_type=_p(length_scale=("1",), n_train=INT_TYPE, weight_decay=("1e-4",)),
        bad_value={
            "p": P_BELOW_ONE,
            "length_scale": (0.0, -1.0, math.nan),
            "n_train": (0,),
            "weight_decay": (0.0, -1.0),
        },
    ),
    Call(
        "mc_dropout.predictive_moments",
        lambda: dict(samples=_rng_array(5, 3), tau=2.0),
        bad_type={"samples": REAL_ARRAY_TYPE, "tau": ("2",)},
        bad_value={"tau": (0.0, -1.0, math.nan)},
    ),
    Call(
        "mc_dropout.error_by_entropy",
        lambda: dict(
            entropy=_vec(0.1, 0.5, 0.2, 0.9), wrong=np.array([0, 1, 0, 1], bool), n_bins=2
        ),
        bad_type={"n_bins": INT_TYPE},
        bad_value={"n_bins": (0, 5)},
    ),
    Call(
        "mc_dropout.gap_regression_data",
        lambda: dict(n=10, noise=0.1, seed=0),
        bad_type={"n": INT_TYPE, "noise": ("0.1",), "seed": SEED_TYPE},
        bad_value={"n": (1, -4), "noise": (-0.1, math.nan), "seed": (-1,)},
    ),
    Call(
        "mc_dropout.RegressionNet",
        lambda: dict(hidden_sizes=(8,), p=0.1, weight_decay=1e-4, seed=0),
        bad_type=_p(hidden_sizes=("8", (8.5,)), seed=SEED_TYPE),
        bad_value={"p": P_BELOW_ONE, "hidden_sizes": ((0,),), "weight_decay": (-1.0,)},
        compare=False,
    ),
    Call(
        "mc_dropout.fit_together",
        # The networks are trained in place (that is the point), so fresh ones come with each
        # call and only the data and settings are checked here; tests/test_mc_dropout.py
        # checks the nets argument.
        lambda: dict(x=_vec(-2.0, -1.5, 1.5, 2.0), y=_vec(0.1, 0.2, -0.1, 0.3), epochs=3, lr=0.01),
        bad_type={"x": REAL_ARRAY_TYPE, "epochs": INT_TYPE, "lr": ("0.01",)},
        bad_value={"x": (np.ones((4, 1)),), "y": (np.ones(3),), "epochs": (0,), "lr": (0.0, -1.0)},
        make=lambda module: lambda **kwargs: module.fit_together(_regression_nets(), **kwargs),
        compare=False,
    ),
    # nonlinear
    Call(
        "nonlinear.sigmoid_ensemble",
        lambda: dict(w=_vec(2, -1), x=_vec(1.5, 1), p=0.4, bias=0.1),
        bad_type=_p(w=REAL_ARRAY_TYPE, bias=("0.1",)),
        bad_value={"p": P_VALUE, "x": (np.ones(3),), "bias": (math.nan,)},
    ),
    Call(
        "nonlinear.relu_unit_gap",
        lambda: dict(w=_vec(2, -1), x=_vec(1.5, 1), p=0.4, bias=0.1),
        bad_type=_p(w=REAL_ARRAY_TYPE, bias=("0.1",)),
        bad_value={"p": P_VALUE, "x": (np.ones(3),)},
    ),
    Call(
        "nonlinear.nwgm_gap_second_order",
        lambda: dict(mean=_vec(0.3, 0.6), variance=_vec(0.01, 0.02)),
        bad_type={"mean": REAL_ARRAY_TYPE, "variance": REAL_ARRAY_TYPE},
        bad_value={"mean": (_vec(0.0, 1.5),), "variance": (_vec(-0.1, 0.0),)},
    ),
    # ridge (dropout as ridge regression, exact by enumeration)
    *[
        Call(
            f"ridge.{name}",
            lambda: dict(X=_rng_array(3, 2), y=_vec(1, 0, -1), w=_vec(0.5, -0.5), p=0.3),
            bad_type=_p(X=REAL_ARRAY_TYPE, y=REAL_ARRAY_TYPE, w=REAL_ARRAY_TYPE),
            bad_value={"p": P_VALUE, "w": (np.ones(3),), "y": (np.ones(4),)},
        )
        for name in ("expected_dropout_objective", "ridge_closed_form_objective")
    ],
    *[
        Call(
            f"ridge.{name}",
            lambda: dict(X=_rng_array(3, 2), y=_vec(1, 0, -1), p=0.3),
            bad_type=_p(X=REAL_ARRAY_TYPE, y=REAL_ARRAY_TYPE),
            bad_value={"p": P_BELOW_ONE, "y": (np.ones(4),)},
        )
        for name in ("dropout_ridge_solution", "per_feature_ridge_solution")
    ],
    Call(
        "ridge.ridge_identity_check",
        lambda: dict(n_samples=3, n_features=2, p=0.3, rng=0),
        bad_type=_p(n_samples=INT_TYPE, n_features=INT_TYPE, rng=RNG_TYPE),
        bad_value={"p": P_VALUE, "n_samples": (0, 30), "n_features": (0,)},
    ),
    Call(
        "ridge.ridge_path",
        lambda: dict(p_values=(0.1, 0.3), n_samples=3, n_features=2, rng=0),
        bad_type={"n_samples": INT_TYPE, "n_features": INT_TYPE, "rng": RNG_TYPE},
        bad_value={"p_values": ((0.1, 1.5), (math.nan,)), "n_samples": (0,)},
    ),
    # experiments (the cheap ones; the training experiments take minutes)
    Call(
        "experiments.noise_moments",
        lambda: dict(p=0.5, n_samples=1000, rng=0),
        bad_type=_p(n_samples=INT_TYPE, rng=RNG_TYPE),
        bad_value={"p": P_BELOW_ONE, "n_samples": (0,)},
    ),
    Call(
        "experiments.epochs_for",
        lambda: dict(updates=100, n_train=300, batch_size=32),
        bad_type={"updates": INT_TYPE, "n_train": INT_TYPE, "batch_size": INT_TYPE},
        bad_value={"updates": (0,), "n_train": (0,), "batch_size": (0, -1)},
    ),
    # quiz
    Call(
        "quiz.load_questions",
        lambda: dict(chapter="02_expected_value"),
        bad_type={"chapter": (2, None, b"02_expected_value")},
        bad_value={"chapter": ("02", "99_no_such_chapter")},
    ),
    Call(
        "quiz.quiz",
        lambda: dict(chapter="05_activation_distributions"),
        bad_type={"chapter": (5, None)},
        bad_value={"chapter": ("",)},
        compare=False,  # a Quiz
    ),
    # stats
    Call(
        "stats.summarise",
        lambda: dict(values=_rng_array(2, 3), axis=-1),
        bad_type={"values": REAL_ARRAY_TYPE, "axis": (1.0, "0", None)},
        bad_value={"axis": (2, -3)},
    ),
    Call(
        "stats.format_percent",
        lambda: dict(values=_vec(0.1, 0.2, 0.15)),
        bad_type={"values": REAL_ARRAY_TYPE},
    ),
    Call(
        "stats.t_interval",
        lambda: dict(values=_vec(0.1, 0.2, 0.15), level=0.95),
        bad_type={"values": REAL_ARRAY_TYPE, "level": ("0.9", None)},
        bad_value={"level": (0.0, 1.0, 1.5, float("nan"))},
        compare=False,  # an Interval
    ),
    Call(
        "stats.paired_difference",
        lambda: dict(a=_vec(0.1, 0.2, 0.15), b=_vec(0.1, 0.1, 0.1), level=0.95),
        bad_type={"a": REAL_ARRAY_TYPE, "b": REAL_ARRAY_TYPE, "level": ("0.9", None)},
        bad_value={"level": (0.0, 1.0)},
        compare=False,
    ),
    Call(
        "stats.welch_difference",
        lambda: dict(a=_vec(0.1, 0.2, 0.15), b=_vec(0.1, 0.1, 0.3), level=0.95),
        bad_type={"a": REAL_ARRAY_TYPE, "b": REAL_ARRAY_TYPE, "level": ("0.9", None)},
        bad_value={"level": (0.0, 1.0)},
        compare=False,
    ),
    # plots
    Call(
        "plots.subnetwork_gallery",
        lambda: dict(layer_sizes=(3, 4, 2), p=0.5, n_samples=2, seed=0),
        bad_type=_p(layer_sizes=LAYER_SIZES_TYPE, n_samples=INT_TYPE, seed=SEED_TYPE),
        bad_value={"p": P_VALUE, "layer_sizes": LAYER_SIZES_VALUE, "n_samples": (0,)},
        compare=False,  # a Figure
    ),
    Call(
        "plots.draw_network",
        lambda: dict(layer_sizes=(3, 4, 2)),
        bad_type={"layer_sizes": LAYER_SIZES_TYPE},
        bad_value={"layer_sizes": LAYER_SIZES_VALUE},
        compare=False,
    ),
    # widgets (their data functions; the explorers are tested in test_widgets)
    Call(
        "widgets.mask_state_data",
        lambda: dict(p=0.4, mode="standard"),
        bad_type=_p(mode=(3, None)),
        bad_value={"p": P_VALUE, "mode": ("sideways",)},
    ),
    Call(
        "widgets.ensemble_data",
        lambda: dict(p=0.5, network="4-5-3", steps=100, seed=0),
        bad_type=_p(network=(453, None), steps=INT_TYPE, seed=SEED_TYPE),
        bad_value={"p": P_VALUE, "network": ("1-2-3",), "steps": (0,), "seed": (-1,)},
    ),
    Call(
        "widgets.nonlinear_unit_data",
        lambda: dict(p=0.5, scale=1.0),
        bad_type=_p(scale=("1",)),
        bad_value={"p": P_VALUE, "scale": (math.nan, math.inf)},
    ),
    # modern: attention and recurrent nets
    Call(
        "modern.attention",
        lambda: dict(
            q=_rng_array(2, 3, 4), k=_rng_array(2, 5, 4), v=_rng_array(2, 5, 3), p=0.3, rng=0
        ),
        bad_type=_p(q=REAL_ARRAY_TYPE, k=REAL_ARRAY_TYPE, v=REAL_ARRAY_TYPE, rng=RNG_TYPE),
        bad_value={
            "p": P_VALUE,
            "k": (np.ones((2, 5, 3)),),
            "v": (np.ones((2, 4, 3)),),
            "rng": (-1,),
        },
    ),
    Call(
        "modern.masked_attention",
        lambda: dict(
            q=_rng_array(3, 4),
            k=_rng_array(5, 4),
            v=_rng_array(5, 2),
            keep=np.ones((3, 5), bool),
            p=0.3,
        ),
        bad_type=_p(q=REAL_ARRAY_TYPE, keep=(np.full((3, 5), 0.5),)),
        bad_value={"p": P_BELOW_ONE, "keep": (np.ones((3, 4), bool),)},
    ),
    Call(
        "modern.attention_backward",
        lambda: dict(
            dout=np.ones((3, 2)),
            q=_rng_array(3, 4),
            k=_rng_array(5, 4),
            v=_rng_array(5, 2),
            probs=np.full((3, 5), 0.2),
            p=0.3,
        ),
        bad_type=_p(dout=REAL_ARRAY_TYPE, probs=REAL_ARRAY_TYPE),
        bad_value={"p": P_BELOW_ONE, "dout": (np.ones((3, 3)),), "probs": (np.ones((3, 4)),)},
    ),
    Call(
        "modern.philox_keep_mask",
        lambda: dict(shape=(3, 4), p=0.3, seed=1, offset=5),
        bad_type=_p(shape=("ab", 2.5), seed=SEED_TYPE, offset=INT_TYPE),
        bad_value={"p": P_VALUE, "shape": ((-1, 2),), "seed": (-1,), "offset": (-3,)},
    ),
    Call(
        "modern.recurrent_masks",
        lambda: dict(steps=4, batch=3, features=5, p=0.3, rng=0, variational=False),
        bad_type=_p(steps=INT_TYPE, batch=INT_TYPE, features=INT_TYPE, rng=RNG_TYPE),
        bad_value={"p": P_VALUE, "steps": (0,), "batch": (-1,), "features": (0,), "rng": (-1,)},
    ),
    # modern: residual nets, DropBlock and batch norm
    Call(
        "modern.drop_path",
        lambda: dict(x=_rng_array(4, 3), p=0.3, rng=0),
        bad_type=_p(x=REAL_ARRAY_TYPE, rng=RNG_TYPE, training=("yes", None)),
        bad_value={"p": P_VALUE, "x": (np.float64(1.0),), "rng": (-1,)},
    ),
    Call(
        "modern.drop_path_backward",
        lambda: dict(dout=np.ones((4, 2)), keep=np.array([True, False, True, True]), p=0.3),
        bad_type=_p(dout=REAL_ARRAY_TYPE, keep=(np.full(4, 0.5),)),
        bad_value={"p": P_VALUE, "keep": (np.ones(3, bool),)},
    ),
    Call(
        "modern.linear_decay",
        lambda: dict(n_blocks=4, p_last=0.5),
        bad_type={"n_blocks": INT_TYPE, "p_last": P_TYPE},
        bad_value={"n_blocks": (0,), "p_last": P_VALUE},
    ),
    Call(
        "modern.expected_depth",
        lambda: dict(drop_probs=np.array([0.1, 0.2])),
        bad_type={"drop_probs": REAL_ARRAY_TYPE},
        bad_value={"drop_probs": (np.array([0.1, 1.5]), np.ones((2, 2)))},
    ),
    Call(
        "modern.dropblock",
        lambda: dict(x=_rng_array(2, 3, 6, 6), p=0.2, block_size=3, rng=0),
        bad_type=_p(x=REAL_ARRAY_TYPE, block_size=INT_TYPE, rng=RNG_TYPE, training=("yes",)),
        bad_value={
            "p": P_VALUE,
            "x": (np.ones((3, 6, 6)),),
            "block_size": (0, 7),
            "rng": (-1,),
        },
    ),
    Call(
        "modern.dropblock_drop_share",
        lambda: dict(p=0.2, block_size=3, height=8, width=6),
        bad_type=_p(block_size=INT_TYPE, height=INT_TYPE, width=INT_TYPE),
        bad_value={"p": P_VALUE, "block_size": (0, 7), "height": (0,), "width": (-1,)},
    ),
    Call(
        "modern.variance_shift_ratio",
        lambda: dict(p=0.5, mean=1.0, var=2.0),
        bad_type=_p(mean=("1",), var=("2", None)),
        bad_value={"p": P_BELOW_ONE, "mean": (math.nan,), "var": (0.0, -1.0, math.nan)},
    ),
    Call(
        "modern.variance_shift",
        lambda: dict(h=_rng_array(5, 3), W=_rng_array(3, 2), p=0.5),
        bad_type=_p(h=REAL_ARRAY_TYPE, W=REAL_ARRAY_TYPE),
        bad_value={"p": P_BELOW_ONE, "h": (np.ones(3),), "W": (np.ones((2, 2)),)},
    ),
    Call(
        "modern.BNNet",
        lambda: dict(layer_sizes=(6, 4, 4, 3), p_before_bn=0.5, p_head=0.2, seed=0),
        bad_type={"layer_sizes": LAYER_SIZES_TYPE, "p_before_bn": P_TYPE, "seed": SEED_TYPE},
        bad_value={"layer_sizes": ((6, 3), (6, 0, 3)), "p_before_bn": P_BELOW_ONE, "seed": (-1,)},
        compare=False,
    ),
    Call(
        "modern.drop_path_mask",
        lambda: dict(n=5, p=0.3, rng=0),
        bad_type=_p(n=INT_TYPE, rng=RNG_TYPE),
        bad_value={"p": P_VALUE, "n": (-1,), "rng": (-1,)},
    ),
    Call(
        "modern.depth_distribution",
        lambda: dict(drop_probs=[0.1, 0.5]),
        bad_type={"drop_probs": REAL_ARRAY_TYPE},
        bad_value={"drop_probs": ([0.1, math.nan], [])},
    ),
    Call(
        "modern.dropblock_mask",
        lambda: dict(shape=(2, 3, 6, 6), p=0.2, block_size=3, rng=0),
        bad_type=_p(shape=("ab", (2, 3, 6, 1.5)), block_size=INT_TYPE, rng=RNG_TYPE),
        bad_value={"p": P_VALUE, "shape": ((2, 6, 6), (2, 3, -6, 6)), "block_size": (0, 7)},
    ),
    Call(
        "modern.dropblock_gamma",
        lambda: dict(p=0.2, block_size=3, height=8, width=6),
        bad_type=_p(block_size=INT_TYPE, height=INT_TYPE, width=INT_TYPE),
        bad_value={"p": P_VALUE, "block_size": (0, 7), "height": (0,), "width": (-1,)},
    ),
    Call(
        "modern.BatchNorm",
        lambda: dict(n_features=4, momentum=0.1, eps=1e-5),
        bad_type={"n_features": INT_TYPE, "momentum": ("0.1",), "eps": ("1e-5", None)},
        bad_value={"n_features": (0,), "momentum": (0.0, 1.5, math.nan), "eps": (0.0, -1.0)},
        compare=False,
    ),
    Call(
        "modern.ResidualMLP",
        lambda: dict(n_in=6, width=4, hidden=3, n_out=2, n_blocks=2, drop_probs=[0.1, 0.2]),
        bad_type={"n_blocks": INT_TYPE, "drop_probs": REAL_ARRAY_TYPE},
        bad_value={"n_blocks": (0,), "drop_probs": ([0.1], [0.1, 1.0], [0.1, -0.2])},
        compare=False,
    ),
    Call(
        "modern.causal_mask",
        lambda: dict(l_q=3, l_k=4),
        bad_type={"l_q": INT_TYPE, "l_k": INT_TYPE},
        bad_value={"l_q": (0,), "l_k": (-1,)},
    ),
    Call(
        "modern.recall_task",
        lambda: dict(n=5, n_pairs=3, n_symbols=4, label_noise=0.1, rng=0),
        bad_type={"n": INT_TYPE, "n_pairs": INT_TYPE, "label_noise": P_TYPE, "rng": RNG_TYPE},
        bad_value={"n": (0,), "n_symbols": (2,), "label_noise": P_VALUE},
    ),
    Call(
        "modern.first_symbol_task",
        lambda: dict(n=5, steps=4, n_symbols=3, rng=0),
        bad_type={"n": INT_TYPE, "steps": INT_TYPE, "n_symbols": INT_TYPE, "rng": RNG_TYPE},
        bad_value={"n": (0,), "steps": (0,), "n_symbols": (1,)},
    ),
    Call(
        "modern.TinyAttention",
        lambda: dict(n_in=9, n_out=4, d=3, p=0.1, seed=0),
        bad_type=_p(n_in=INT_TYPE, d=INT_TYPE, seed=SEED_TYPE),
        bad_value={"p": P_BELOW_ONE, "n_out": (0,), "seed": (-1,)},
        compare=False,
    ),
    Call(
        "modern.TinyRNN",
        lambda: dict(n_in=3, n_hidden=5, n_out=3, p=0.2, variational=False, seed=0),
        bad_type=_p(n_in=INT_TYPE, n_hidden=INT_TYPE, seed=SEED_TYPE),
        bad_value={"p": P_BELOW_ONE, "n_out": (0,), "seed": (-1,)},
        compare=False,
    ),
    Call(
        "modern.practice.weight_decay_interaction",
        lambda: dict(n_train=20, updates=2, seeds=(0,), hidden=(4,), weight_decay=0.1),
        bad_type={"weight_decay": ("0.1", None), "n_train": INT_TYPE, "seeds": (("a",),)},
        bad_value={"weight_decay": (0.0, -1.0, math.nan), "p_hidden": P_BELOW_ONE, "n_train": (5,)},
        make=lambda m: (
            importlib.import_module("dropout_lib.modern.practice").weight_decay_interaction
        ),
    ),
    # frameworks and grading
    Call(
        "frameworks.edge_semantics",
        lambda: dict(seed=0),
        bad_type={"seed": SEED_TYPE},
        bad_value={"seed": (-1,)},
    ),
    Call(
        "grading.time_limit_source",
        lambda: dict(seconds=30),
        bad_type={"seconds": ("30", None)},
        bad_value={"seconds": (0, -1.0, math.nan)},
    ),
]

# --- helpers ------------------------------------------------------------------


def _numpy_scalars(value):
    """``value`` with every Python int made ``np.int64`` and every float ``np.float64``."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return np.int64(value)
    if isinstance(value, float):
        return np.float64(value)
    if isinstance(value, tuple) and not hasattr(value, "_fields"):
        return tuple(_numpy_scalars(v) for v in value)
    return value


def _snapshot(value):
    """A copy of ``value`` that a function cannot reach: arrays and containers are copied.

    sympy objects are immutable and are kept as they are (``copy.deepcopy``
    rebuilds an unevaluated expression evaluated, which no longer compares equal).
    """
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, list):
        return [_snapshot(item) for item in value]
    if isinstance(value, tuple):
        items = [_snapshot(item) for item in value]
        return type(value)(*items) if hasattr(value, "_fields") else tuple(items)
    if isinstance(value, dict):
        return {key: _snapshot(item) for key, item in value.items()}
    if type(value).__module__.startswith("sympy"):
        return value
    return copy.deepcopy(value)


def _same(a, b) -> bool:
    """Deep equality for the library's results and arguments (arrays, dataclasses, tuples)."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a, b = np.asarray(a), np.asarray(b)
        if a.shape != b.shape or a.dtype != b.dtype:
            return False
        return bool(np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))
    if dataclasses.is_dataclass(a) and not isinstance(a, type):
        return type(a) is type(b) and all(
            _same(getattr(a, f.name), getattr(b, f.name)) for f in dataclasses.fields(a)
        )
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(map(_same, a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a):
        return math.isnan(b)
    if isinstance(a, np.random.Generator):
        return a.bit_generator.state == b.bit_generator.state
    try:
        return bool(a == b)
    except Exception:  # an object without value equality: nothing to compare
        return True


def _cases(kind):
    for call in CALLS:
        for arg, values in getattr(call, kind).items():
            for value in values:
                yield pytest.param(call, arg, value, id=f"{call.id}-{arg}={_short(value)}")


def _short(value) -> str:
    if isinstance(value, np.ndarray):
        return f"array{value.shape}{value.dtype}"
    return re.sub(r"\s+", "", repr(value))[:30]


def _names(message: str, arg: str) -> bool:
    return re.search(rf"(?<![A-Za-z0-9_]){re.escape(arg)}(?![A-Za-z0-9_])", message) is not None


def _shows_value(message: str, value, valid) -> bool:
    """A scalar argument's bad value must appear in the message.

    Array arguments (whose valid value is an ndarray) are exempt: their
    message shows the dtype or shape instead of the whole array.
    """
    if isinstance(valid, np.ndarray):
        return True
    if isinstance(value, (bool, int, float, complex, str)) or value is None:
        return repr(value) in message or str(value) in message
    return True


def _raise_for(call, arg, value, error):
    kwargs = call.args()
    valid = kwargs.get(arg)
    kwargs[arg] = value
    with pytest.raises(error) as info:
        call.function()(**kwargs)
    message = str(info.value)
    kind = error.__name__
    assert _names(message, arg), f"the {kind} does not name {arg}: {message}"
    assert _shows_value(message, value, valid), f"the {kind} does not show {value!r}: {message}"


# --- the tests ----------------------------------------------------------------


@pytest.mark.parametrize("call", CALLS, ids=[c.id for c in CALLS])
def test_valid_call_runs_and_accepts_numpy_scalars(call):
    plain = call.function()(**call.args())
    kwargs = {k: _numpy_scalars(v) for k, v in call.args().items()}
    numpy = call.function()(**kwargs)
    if call.compare:
        assert _same(plain, numpy), "numpy scalars gave a different result"


@pytest.mark.parametrize("call", CALLS, ids=[c.id for c in CALLS])
def test_inputs_are_not_modified(call):
    kwargs = call.args()
    before = {name: _snapshot(value) for name, value in kwargs.items()}
    call.function()(**kwargs)
    for name in kwargs:
        assert _same(kwargs[name], before[name]), f"{call.id} modified its argument {name}"


@pytest.mark.parametrize("call,arg,value", list(_cases("bad_type")))
def test_wrong_type_raises_type_error_naming_the_argument(call, arg, value):
    _raise_for(call, arg, value, TypeError)


@pytest.mark.parametrize("call,arg,value", list(_cases("bad_value")))
def test_wrong_value_raises_value_error_naming_the_argument(call, arg, value):
    _raise_for(call, arg, value, ValueError)


# --- specific messages ----------------------------------------------------------


def test_out_of_range_p_in_dropout_uses_pytorchs_wording():
    from dropout_lib import dropout

    for bad in (1.5, -0.1, math.nan):
        with pytest.raises(ValueError, match=r"dropout probability p has to be between 0 and 1"):
            dropout(np.ones(2), bad)


def test_a_non_number_p_is_a_type_error():
    from dropout_lib import dropout

    with pytest.raises(TypeError, match=r"p must be a real number in \[0, 1\].*'0\.5'"):
        dropout(np.ones(2), "0.5")


def test_mask_mismatch_names_x_forward_and_dout_backward():
    from dropout_lib import apply_mask, dropout_backward

    with pytest.raises(ValueError, match=r"mask has shape \(3,\), but x has shape \(2, 3\)"):
        apply_mask(np.ones((2, 3)), np.ones(3, bool), 0.5)
    with pytest.raises(ValueError, match=r"mask has shape \(3,\), but dout has shape \(2, 3\)"):
        dropout_backward(np.ones((2, 3)), np.ones(3, bool), 0.5)
    with pytest.raises(TypeError, match="mask must be a boolean keep-mask"):
        dropout_backward(np.ones(3), np.array([0.5, 1, 0]), 0.5)


def test_moments_reject_mismatched_lengths_and_2d():
    from dropout_lib import exact_moments

    with pytest.raises(ValueError, match="same length"):
        exact_moments([1, 2], [1, 2, 3], 0.5)
    with pytest.raises(ValueError, match="1-D"):
        exact_moments(np.ones((2, 2)), np.ones((2, 2)), 0.5)


def test_layer_backward_before_forward_and_wrong_shape():
    from dropout_lib import Dropout

    layer = Dropout(0.5, seed=0)
    with pytest.raises(RuntimeError, match="before forward"):
        layer.backward(np.ones(3))
    layer.forward(np.ones(3))
    with pytest.raises(ValueError, match="dout has shape"):
        layer.backward(np.ones(4))


# Modules with public names but no call above, and why.
NOT_IN_THE_TABLE = {
    "palette": "colours only, no functions",
    "plots_beyond": "plots results of other modules; tested in test_plots_beyond",
    "plots_modern": "plots results of dropout_lib.modern; tested in the test_modern_* files",
    "plots_experiments": "plots experiment results; tested in test_experiments",
    "paper": "numbers quoted from the paper, no arguments to check",
    "plots_mnist": "plots MNIST results; tested in test_mnist_experiments",
}


def test_every_module_is_covered():
    """Each library module with public functions has at least one call in the table."""
    import pkgutil

    import dropout_lib

    modules = {
        info.name
        for info in pkgutil.iter_modules(dropout_lib.__path__)
        if not info.name.startswith("_")
    }
    covered = {call.target.partition(".")[0] for call in CALLS}
    missing = modules - covered - set(NOT_IN_THE_TABLE)
    assert not missing, f"add valid calls of these modules to CALLS: {sorted(missing)}"
