"""Numbers quoted from the dropout paper, as frozen data with their source.

Srivastava, Hinton, Krizhevsky, Sutskever and Salakhutdinov, "Dropout: a simple
way to prevent neural networks from overfitting", JMLR 15 (2014) 1929-1958
(bib key ``srivastava2014dropout``). Every entry says the table, figure or
section it comes from. Chapters quote these entries instead of typing the
numbers again, and a check cell asserts that the prose equals the entry.

Mind the notation: the paper's ``p`` is the probability of *retaining* a unit.
The book's ``p`` is the drop probability, so the paper's "p = 0.8 for the input"
is ``keep = 0.8`` here, that is a drop probability of 0.2. The entries below
store the paper's retention values under the name ``keep``.

Error rates are in per cent unless the unit says otherwise. Numbers the author
of this module was not sure of are left out rather than guessed.

Sources used:

* Table 2: MNIST test errors of several architectures.
* Table 3: SVHN; Table 4: CIFAR-10 and CIFAR-100; Table 5: ImageNet
  ILSVRC-2010; Table 7: TIMIT; Section 6.2 (text): Reuters RCV1; Table 8:
  alternative splicing (code quality in bits, higher is better).
* Table 9: regularisers compared on MNIST (784-1024-1024-2048-10, ReLU).
* Fig. 8 and Section 7.2: mean hidden activation of an autoencoder.
* Appendix A: the training recipe (max-norm c, momentum, learning rate, keep).
* Figs. 7, 9, 10 and 11: the statements the paper makes about them.

Other modules may append entries; each needs its source.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "CITATION",
    "BIB_KEY",
    "MnistRow",
    "RegulariserRow",
    "DomainResult",
    "Recipe",
    "Sparsity",
    "Statement",
    "TABLE_2_MNIST",
    "TABLE_9",
    "DOMAINS",
    "RECIPE",
    "FIG_8",
    "STATEMENTS",
    "table_9_error",
    "Quote",
    "TRANSFORMER_P_DROP",
]

#: Full citation of the paper.
CITATION = (
    "N. Srivastava, G. Hinton, A. Krizhevsky, I. Sutskever and R. Salakhutdinov, "
    "Dropout: a simple way to prevent neural networks from overfitting, "
    "Journal of Machine Learning Research 15 (2014) 1929-1958."
)
#: Its key in ``references.bib``.
BIB_KEY = "srivastava2014dropout"
#: Size of the MNIST training and test sets the paper uses (Section 6.1.1).
MNIST_TRAIN_IMAGES = 60000
MNIST_TEST_IMAGES = 10000


@dataclass(frozen=True)
class MnistRow:
    """One row of Table 2 (MNIST test error of a method).

    Attributes
    ----------
    method : str
    unit_type : str
        "Logistic", "ReLU", "Maxout" or "" when the table gives none.
    architecture : str
        As the table gives it, e.g. "3 layers, 1024 units".
    error : float
        Test error in per cent.
    source : str
    """

    method: str
    unit_type: str
    architecture: str
    error: float
    source: str = "Table 2"


@dataclass(frozen=True)
class RegulariserRow:
    """One row of Table 9: a regulariser and its MNIST test error in per cent."""

    method: str
    error: float
    source: str = "Table 9 (784-1024-1024-2048-10 ReLU net on MNIST)"


@dataclass(frozen=True)
class DomainResult:
    """Dropout against the best comparable network without it, on one data set.

    Attributes
    ----------
    dataset, domain : str
        E.g. "CIFAR-10", "vision".
    metric : str
        What the numbers measure, e.g. "test error %" or "code quality (bits)".
    lower_is_better : bool
        False only for code quality (alternative splicing).
    without : float
        The paper's best comparable result without dropout.
    without_method : str
    with_dropout : float
        The paper's result with dropout.
    with_method : str
    best_other : float or None
        A result that beats dropout in the same table (``None`` if none is quoted).
    best_other_method : str
    source : str
    """

    dataset: str
    domain: str
    metric: str
    lower_is_better: bool
    without: float
    without_method: str
    with_dropout: float
    with_method: str
    source: str
    best_other: float | None = None
    best_other_method: str = ""

    @property
    def gain(self):
        """Improvement from dropout in the metric's units (positive means dropout helped)."""
        diff = self.without - self.with_dropout
        return diff if self.lower_is_better else -diff

    @property
    def relative_gain(self):
        """``gain`` as a fraction of the result without dropout."""
        return self.gain / self.without


@dataclass(frozen=True)
class Recipe:
    """The paper's MNIST training recipe (Appendix A and B.1).

    ``keep_hidden`` and ``keep_input`` are retention probabilities (the paper's p).
    """

    keep_hidden: float
    keep_input: float
    max_norm_low: float
    max_norm_high: float
    momentum_low: float
    momentum_high: float
    lr_factor_low: float
    lr_factor_high: float
    source: str


@dataclass(frozen=True)
class Sparsity:
    """Fig. 8: mean hidden activation of a 256-unit ReLU autoencoder on MNIST."""

    mean_without: float
    mean_with: float
    hidden_units: int
    keep_hidden: float
    source: str


@dataclass(frozen=True)
class Statement:
    """A claim the paper makes in words about one of its figures."""

    figure: str
    claim: str
    source: str


TABLE_2_MNIST = (
    MnistRow("Standard Neural Net (Simard et al., 2003)", "Logistic", "2 layers, 800 units", 1.60),
    MnistRow("SVM Gaussian kernel", "", "", 1.40),
    MnistRow("Dropout NN", "Logistic", "3 layers, 1024 units", 1.35),
    MnistRow("Dropout NN + max-norm", "Logistic", "3 layers, 1024 units", 1.25),
    MnistRow("Dropout NN + max-norm", "ReLU", "3 layers, 1024 units", 1.06),
    MnistRow("Dropout NN + max-norm", "ReLU", "3 layers, 2048 units", 1.04),
    MnistRow("Dropout NN + max-norm", "ReLU", "2 layers, 4096 units", 1.01),
    MnistRow("Dropout NN + max-norm", "ReLU", "2 layers, 8192 units", 0.95),
    MnistRow(
        "Dropout NN + max-norm (Goodfellow et al., 2013)",
        "Maxout",
        "2 layers, (5 x 240) units",
        0.94,
    ),
    MnistRow("DBN + finetuning (Hinton and Salakhutdinov, 2006)", "Logistic", "500-500-2000", 1.18),
    MnistRow("DBM + finetuning (Salakhutdinov and Hinton, 2009)", "Logistic", "500-500-2000", 0.96),
    MnistRow("DBN + dropout finetuning", "Logistic", "500-500-2000", 0.92),
    MnistRow("DBM + dropout finetuning", "Logistic", "500-500-2000", 0.79),
)

TABLE_9 = (
    RegulariserRow("L2", 1.62),
    RegulariserRow("L2 + L1 applied towards the end of training", 1.60),
    RegulariserRow("L2 + KL-sparsity", 1.55),
    RegulariserRow("Max-norm", 1.35),
    RegulariserRow("Dropout + L2", 1.25),
    RegulariserRow("Dropout + Max-norm", 1.05),
)


def table_9_error(method):
    """The Table 9 test error (per cent) of ``method``, e.g. ``"Dropout + L2"``.

    Raises
    ------
    KeyError
        If Table 9 has no such row (it has no unregularised row and no
        dropout-only row).
    """
    for row in TABLE_9:
        if row.method == method:
            return row.error
    raise KeyError(f"Table 9 has no row {method!r}; rows: {[r.method for r in TABLE_9]}")


DOMAINS = (
    DomainResult(
        "MNIST",
        "vision",
        "test error %",
        True,
        1.60,
        "Standard neural net (Simard et al., 2003)",
        0.95,
        "Dropout NN + max-norm, ReLU, 2 x 8192",
        "Table 2",
        best_other=None,
    ),
    DomainResult(
        "SVHN",
        "vision",
        "test error %",
        True,
        3.95,
        "Conv net + max pooling",
        2.55,
        "Conv net + max pooling + dropout in all layers",
        "Table 3",
    ),
    DomainResult(
        "CIFAR-10",
        "vision",
        "test error %",
        True,
        14.98,
        "Conv net + max pooling",
        12.61,
        "Conv net + max pooling + dropout in all layers",
        "Table 4",
    ),
    DomainResult(
        "CIFAR-100",
        "vision",
        "test error %",
        True,
        43.48,
        "Conv net + max pooling (hand tuned)",
        37.20,
        "Conv net + max pooling + dropout in all layers",
        "Table 4",
    ),
    DomainResult(
        "ImageNet (ILSVRC-2010)",
        "vision",
        "top-5 test error %",
        True,
        25.7,
        "SIFT + Fisher vectors",
        17.0,
        "Conv net + dropout (Krizhevsky et al., 2012)",
        "Table 5",
    ),
    DomainResult(
        "TIMIT",
        "speech",
        "phone error rate %",
        True,
        23.4,
        "NN, 6 layers",
        21.8,
        "Dropout NN, 6 layers",
        "Table 7",
    ),
    DomainResult(
        "Reuters RCV1",
        "text",
        "test error %",
        True,
        31.05,
        "Best neural net without dropout",
        29.62,
        "Neural net with dropout",
        "Section 6.2 (text)",
    ),
    DomainResult(
        "Alternative splicing",
        "genetics",
        "code quality (bits)",
        False,
        440.0,
        "Neural network with early stopping",
        567.0,
        "Neural network with dropout",
        "Table 8",
        best_other=623.0,
        best_other_method="Bayesian neural network",
    ),
)

RECIPE = Recipe(
    keep_hidden=0.5,
    keep_input=0.8,
    max_norm_low=3.0,
    max_norm_high=4.0,
    momentum_low=0.95,
    momentum_high=0.99,
    lr_factor_low=10.0,
    lr_factor_high=100.0,
    source="Appendix A.2-A.4 (momentum, max-norm, learning rate, retention) and B.1 (MNIST)",
)

FIG_8 = Sparsity(
    mean_without=2.0,
    mean_with=0.7,
    hidden_units=256,
    keep_hidden=0.5,
    source="Fig. 8 and Section 7.2",
)

STATEMENTS = (
    Statement(
        "Fig. 7",
        "Without dropout each hidden unit of the autoencoder does not seem to detect a "
        "meaningful feature on its own; with dropout the units detect edges, strokes and "
        "spots in different parts of the image.",
        "Fig. 7 and Section 7.1",
    ),
    Statement(
        "Fig. 8",
        "Dropout makes hidden activations sparse: fewer units have high activations and "
        "the mean activation falls from about 2.0 to about 0.7.",
        "Fig. 8 and Section 7.2",
    ),
    Statement(
        "Fig. 9",
        "With the number of units n fixed, test error is low for retention 0.4 <= p <= 0.8; "
        "with p n fixed the best retention is near 0.6.",
        "Fig. 9 and Section 7.3",
    ),
    Statement(
        "Fig. 10",
        "On very small training sets (100 and 500 examples) dropout does not help; the gain "
        "grows with the data set and then shrinks as the set becomes large.",
        "Fig. 10 and Section 7.4",
    ),
    Statement(
        "Fig. 11",
        "Monte-Carlo averaging over about 50 sampled networks matches the weight-scaling "
        "rule, and beyond that is slightly better but within one standard deviation.",
        "Fig. 11 and Section 7.5",
    ),
)


# ---------------------------------------------------------------- other papers
@dataclass(frozen=True)
class Quote:
    """One number quoted from a paper other than the dropout paper.

    Attributes
    ----------
    value : float
    what : str
        What the number is, in the paper's own terms.
    bib_key : str
        The paper's key in ``references.bib``.
    source : str
        Section, table or figure it comes from.
    """

    value: float
    what: str
    bib_key: str
    source: str


#: Vaswani et al. (2017), "Attention is all you need": the base Transformer's dropout.
TRANSFORMER_P_DROP = Quote(
    0.1,
    "P_drop of the base model: dropout on the output of each sub-layer before the residual "
    "add and normalisation, and on the sums of the embeddings and positional encodings",
    "vaswani2017attention",
    "Section 5.4 (Residual Dropout)",
)
