"""Tests of dropout_lib.paper: every quoted number carries its source, the records
are frozen, and the derived gains follow the direction of each metric."""

import dataclasses

import pytest

from dropout_lib import paper


def test_every_entry_names_its_source():
    entries = [
        *paper.TABLE_2_MNIST,
        *paper.TABLE_9,
        *paper.DOMAINS,
        *paper.STATEMENTS,
        paper.RECIPE,
        paper.FIG_8,
    ]
    for entry in entries:
        source = entry.source
        assert any(word in source for word in ("Table", "Fig.", "Section", "Appendix")), entry


def test_entries_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        paper.TABLE_9[0].error = 0.0
    with pytest.raises(dataclasses.FrozenInstanceError):
        paper.FIG_8.mean_with = 1.0


def test_table_9_lookup_and_its_best_row():
    errors = {row.method: row.error for row in paper.TABLE_9}
    assert paper.table_9_error("Dropout + Max-norm") == errors["Dropout + Max-norm"]
    # The paper's point: dropout with max-norm has the lowest error of the table.
    assert min(errors, key=errors.get) == "Dropout + Max-norm"
    with pytest.raises(KeyError, match="rows"):
        paper.table_9_error("Dropout alone")


def test_gains_follow_the_direction_of_the_metric():
    for result in paper.DOMAINS:
        sign = 1 if result.lower_is_better else -1
        assert result.gain == pytest.approx(sign * (result.without - result.with_dropout))
        assert result.relative_gain == pytest.approx(result.gain / result.without)
    splicing = next(d for d in paper.DOMAINS if d.dataset == "Alternative splicing")
    assert not splicing.lower_is_better and splicing.best_other > splicing.with_dropout


def test_retention_is_stored_as_keep_probabilities():
    # The paper's p is a retention probability; the book's p is the drop probability.
    assert 0 < paper.RECIPE.keep_hidden <= paper.RECIPE.keep_input < 1
    assert paper.FIG_8.mean_with < paper.FIG_8.mean_without
