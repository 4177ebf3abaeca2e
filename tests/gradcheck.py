"""Central finite differences, shared by the tests of every hand-written backward pass."""

import numpy as np


def numerical_gradients(loss, arrays, eps=1e-6):
    """Central-difference gradients of the scalar ``loss()`` with respect to each array.

    Parameters
    ----------
    loss : callable with no arguments, returning float
        Reads ``arrays`` (by closure, or because they are a model's parameters).
    arrays : sequence of ndarray of float64
        Each entry is moved by ``+eps`` and ``-eps`` in place and then restored
        exactly, so the arrays are unchanged afterwards.
    eps : float
        Step; with float64, the error is of order ``eps**2 * f'''`` plus ``1e-16 / eps``.

    Returns
    -------
    list of ndarray
        One gradient per array, of its shape.
    """
    gradients = []
    for array in arrays:
        numeric = np.zeros(array.shape)
        for index in np.ndindex(array.shape):
            original = array[index]
            array[index] = original + eps
            up = loss()
            array[index] = original - eps
            down = loss()
            array[index] = original
            numeric[index] = (up - down) / (2 * eps)
        gradients.append(numeric)
    return gradients
