"""Support for grading the classroom assignments with otter-grader, without Docker.

``otter run`` (the non-containerised grader) has no execution timeout of its own:
``otter grade --timeout`` exists only for its Docker containers. A submission
whose code never finishes would therefore hang the grader forever.

:class:`CellTimeLimit` is an otter plugin that closes that gap. The assignment's
configuration lists it under ``generate: plugins:``, so it travels inside the
autograder zip, and just before the submission is executed it inserts one cell at
the top of the notebook. That cell arms a repeating real-time timer whenever a
cell starts and disarms it when the cell ends; when a cell runs longer than the
limit, the timer raises :class:`TimeoutError` inside it. The grader executes
notebooks with errors allowed, so execution carries on, the tests that needed the
unfinished work fail, and a results file is written as usual.

The timer is POSIX only (``signal.setitimer``); on other systems the cell does
nothing and grading works as before, without a limit.
"""

from __future__ import annotations

import math

from ._checks import check_real

try:  # otter is needed only when grading; importing this module must not require it.
    from otter.plugins import AbstractOtterPlugin
except ImportError:  # pragma: no cover - otter-grader comes with the grading extra
    AbstractOtterPlugin = object

__all__ = ["CellTimeLimit", "DEFAULT_SECONDS", "time_limit_source"]

#: Default limit per cell, in seconds, when the plugin configuration gives none.
DEFAULT_SECONDS = 60

_TIMER_CELL = """\
# Inserted by dropout_lib.grading.CellTimeLimit: every cell gets {seconds} s.
def _cell_time_limit_install(seconds={seconds}):
    import signal

    if not hasattr(signal, "setitimer"):
        return

    def _raise(signum, frame):
        raise TimeoutError(f"this cell ran for more than {{seconds}} s and was stopped")

    def _arm(*args):
        # A repeating timer: code that swallows one TimeoutError is stopped again.
        signal.setitimer(signal.ITIMER_REAL, seconds, seconds)

    def _disarm(*args):
        signal.setitimer(signal.ITIMER_REAL, 0)

    signal.signal(signal.SIGALRM, _raise)
    events = get_ipython().events
    events.register("pre_run_cell", _arm)
    events.register("post_run_cell", _disarm)


_cell_time_limit_install()
del _cell_time_limit_install
"""


def time_limit_source(seconds) -> str:
    """Source of the notebook cell that limits every later cell to ``seconds`` seconds.

    Parameters
    ----------
    seconds : int or float, > 0 and finite
        Wall-clock limit per cell.

    Returns
    -------
    source : str
        Python code for an IPython kernel.
    """
    seconds = check_real(seconds, "seconds", low=0.0, low_open=True, high=math.inf, high_open=True)
    return _TIMER_CELL.format(seconds=seconds)


class CellTimeLimit(AbstractOtterPlugin):
    """Otter plugin: stop any cell of a graded submission after a time limit.

    Configure it in the assignment's ``ASSIGNMENT CONFIG`` cell::

        generate:
          plugins:
            - dropout_lib.grading.CellTimeLimit:
                seconds: 30

    The grader's Python must be able to import ``dropout_lib`` (it is installed
    in the book's ``.venv``).
    """

    def before_execution(self, submission):
        """Insert the timer cell at the top of the notebook about to be executed."""
        import nbformat  # installed with otter-grader; importing this module needs neither

        config = self.plugin_config or {}
        seconds = config.get("seconds", DEFAULT_SECONDS)
        if isinstance(submission, nbformat.NotebookNode):
            submission.cells.insert(0, nbformat.v4.new_code_cell(time_limit_source(seconds)))
        return submission
