"""The hand derivations of chapter 2: every step checked, ends checked against the truth."""

import pytest
import sympy as sp

from dropout_lib import symbolic
from dropout_lib.symbolic import Step, p

(W1, W2), (X1, X2) = symbolic.weights_and_inputs(2)
Q = 1 - p


def expectation_by_hand():
    # The four mask states (0,0), (0,1), (1,0), (1,1), typed in independently of the library.
    return Q**2 * (W1 * X1 + W2 * X2) + p * Q * W2 * X2 + Q * p * W1 * X1 + p**2 * 0


def second_moment_by_hand():
    return Q**2 * (W1 * X1 + W2 * X2) ** 2 + p * Q * (W2 * X2) ** 2 + Q * p * (W1 * X1) ** 2


def test_expectation_steps_are_each_equal_and_end_at_textbook_result():
    steps = symbolic.two_input_expectation_steps()
    assert len(steps) >= 5 and all(isinstance(s, Step) and s.reason for s in steps)
    assert symbolic.check_steps(steps) == [True] * (len(steps) - 1)
    assert sp.simplify(steps[0].expr.doit() - expectation_by_hand()) == 0
    assert sp.simplify(steps[-1].expr.doit() - Q * (W1 * X1 + W2 * X2)) == 0


def test_first_step_shows_the_zeros_of_dropped_inputs():
    latex = symbolic.steps_latex(symbolic.two_input_expectation_steps())
    assert latex.startswith(r"\begin{aligned}") and latex.endswith(r"\end{aligned}")
    assert "0 + 0" in latex and "w_{1} x_{1} + 0" in latex and "0 + w_{2} x_{2}" in latex
    assert latex.count("&=") == 6  # one "=" per step


def test_long_steps_wrap_and_the_wrapped_lines_keep_every_term():
    steps = symbolic.two_input_variance_steps()
    unwrapped = symbolic.steps_latex(steps, max_chars=10_000)
    wrapped = symbolic.steps_latex(steps)
    assert r"\qquad" not in unwrapped and r"\qquad" in wrapped
    longest = max(len(line) for line in wrapped.split(r"\\"))
    assert longest < max(len(line) for line in unwrapped.split(r"\\"))
    # The same terms, in the same order, with only line breaks added.
    strip = str.maketrans("", "", " \n&")
    assert wrapped.replace(r"\qquad {}", "").replace(r"\\", "").translate(strip) == (
        unwrapped.replace(r"\\", "").translate(strip)
    )


def test_steps_latex_can_add_reasons():
    steps = symbolic.two_input_expectation_steps()
    latex = symbolic.steps_latex(steps, lhs="E", reasons=True)
    assert latex.count(r"\text{") == len(steps) and "E &=" in latex


def test_variance_steps():
    steps = symbolic.two_input_variance_steps()
    assert all(symbolic.check_steps(steps))
    truth = second_moment_by_hand() - (Q * (W1 * X1 + W2 * X2)) ** 2
    assert sp.simplify(steps[0].expr.doit() - truth) == 0
    assert sp.simplify(steps[-1].expr.doit() - p * Q * ((W1 * X1) ** 2 + (W2 * X2) ** 2)) == 0


def test_check_steps_catches_a_wrong_step():
    steps = symbolic.two_input_expectation_steps()
    # The classic slip: forgetting that p(1 - p) appears twice.
    wrong = Step((p * Q + Q**2 - p * Q) * (W1 * X1 + W2 * X2), "wrong")
    checks = symbolic.check_steps([*steps[:3], wrong, *steps[4:]])
    assert checks[2] is False and checks[3] is False and checks[0] and checks[1]


def test_check_steps_needs_two_steps():
    with pytest.raises(ValueError, match="steps"):
        symbolic.check_steps([p])


def test_mask_state_latex_rows():
    rows = symbolic.mask_state_latex_rows(2)
    assert [r[0] for r in rows] == ["(0, 0)", "(1, 0)", "(0, 1)", "(1, 1)"]
    assert rows[0][1] == "$" + sp.latex(p**2) + "$" and rows[0][2] == "$0$"
    assert rows[3][1] == "$" + sp.latex(Q**2) + "$"
    assert all(cell.startswith("$") and cell.endswith("$") for r in rows for cell in r[1:])


def test_confirm_moments_and_worked_example():
    assert all(mean_ok and var_ok for _, _, mean_ok, var_ok in symbolic.confirm_moments(4))
    assert [r[1] for r in symbolic.confirm_moments(3, inverted=True)] == [2, 4, 8]
    worked = {W1: 2, W2: -1, X1: sp.Rational(3, 2), X2: 1, p: sp.Rational(2, 5)}
    assert symbolic.expected_value(2).subs(worked) == sp.Rational(6, 5)
    assert symbolic.variance(2).subs(worked) == sp.Rational(12, 5)
    assert sp.nsimplify(symbolic.variance(2, inverted=True).subs(worked)) == sp.Rational(20, 3)


def test_steps_are_never_parsed_from_strings():
    # sympify would run a string as code, so a string step is refused, not parsed.
    with pytest.raises(TypeError, match="steps must be a sequence of Step or sympy expressions"):
        symbolic.check_steps(["p", "1 - p"])
    with pytest.raises(TypeError, match="steps"):
        symbolic.steps_latex("p")
    assert symbolic.check_steps([p, 1 - (1 - p), 0]) == [True, False]
