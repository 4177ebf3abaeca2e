"""Grade a folder of submissions, each in its own sandbox, into a CSV and one feedback file each.

Usage::

    python assignments/grade.py AUTOGRADER_ZIP SUBMISSIONS [--out scores.csv] [-j 2]
        [--timeout 300] [--memory 3] [--unsafe]

For every submission (in ``-j`` worker threads):

1. **Intake.** The notebook is read and normalised
   (:func:`dropout_lib.grading.normalise_submission`): it gets the assignment's
   file name, the grader's kernel and the assignment's otter metadata.
2. **otter's run.** ``otter run`` executes it and runs every test, inside a
   bubblewrap sandbox (:func:`sandbox_command`): a private, read-only file system
   holding only the Python, the venv, ``dropout_lib``, the autograder zip and
   this submission; its own HOME, IPYTHONDIR, JUPYTER_* and TMPDIR on a tmpfs; no
   network; an unprivileged user; limits on memory, processes, CPU time and file
   size; a watchdog that kills the whole sandbox after ``--timeout`` seconds.
3. **The trusted run.** In a second, fresh sandbox, only the student's
   definitions (read from the notebook's source, not from its execution) are run,
   then every test (:func:`dropout_lib.grading.run_plan`). **Its scores are the
   grade.**
4. **Flags.** The submission is flagged when the two runs disagree, when otter's
   run did not finish, or when its code touches the grader or uses a banned
   library (:func:`dropout_lib.grading.scan_code`); the reasons go in the CSV.
5. **Feedback.** ``<out stem>_feedback/<submission>.md`` lists every test with
   what it checks and, when it failed, its message, never its source.

The CSV (written line by line as grading goes, with a status column) has the
file, the status, one column per question, the total, the maximum, ``flagged``
and ``reasons``. Old results of the same output are deleted first. The exit code
is 0 when every submission was graded with status ``ok``, 1 otherwise, 2 when
grading could not start (for example: no sandbox tool and no ``--unsafe``).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from dropout_lib import grading

#: Per-submission wall clock for each of the two runs, in seconds (``--timeout``).
WALL_CLOCK_LIMIT = 300
#: Address space of every process in the sandbox, in GiB (``--memory``).
MEMORY_GIB = 3.0
#: Processes (threads count too) the sandbox user may run at once.
MAX_PROCESSES = 256
#: CPU seconds of any one process in the sandbox.
CPU_SECONDS = 600
#: Largest file the sandbox may write, in bytes.
MAX_FILE_BYTES = 64 * 2**20
#: Per statement and per test limit of the trusted run, in seconds.
STATEMENT_SECONDS = 120
#: The unprivileged user the sandbox runs as (nobody).
SANDBOX_UID = 65534
#: Top-level packages the students must not call, per assignment.
FORBIDDEN = {
    "01_implementing_dropout": ("dropout_lib", "torch", "tensorflow", "keras"),
    "02_dropout_in_a_network": ("torch", "tensorflow", "keras", "sklearn"),
    "03_batch_norm_variance_shift": ("dropout_lib", "torch", "tensorflow", "keras"),
}
#: Where ``make assignments`` puts the student notebook inside the autograder zip.
TEMPLATE_IN_ZIP = "dropout_grading/template.ipynb"

ROOT = Path(__file__).resolve().parents[1]


class SandboxUnavailable(RuntimeError):
    """bubblewrap is missing (or does not work) and ``--unsafe`` was not given."""


def otter_command() -> str:
    """The ``otter`` script next to this Python, or plain ``otter`` from PATH."""
    candidate = Path(sys.executable).with_name("otter")
    return str(candidate) if candidate.exists() else "otter"


# ----------------------------------------------------------------- the sandbox


def _python_paths() -> list[Path]:
    """What the grader's Python needs to run: its prefix, the venv, and dropout_lib."""
    import dropout_lib

    paths = {Path(sys.base_prefix).resolve(), Path(sys.prefix)}
    paths.add(Path(dropout_lib.__file__).resolve().parent)
    return sorted(paths)


def sandbox_command(argv, *, inputs, output, unsafe=False, memory_gib=MEMORY_GIB) -> list[str]:
    """The command that runs ``argv`` in a fresh bubblewrap sandbox.

    Parameters
    ----------
    argv : list of str
        The command to run inside.
    inputs : path
        Folder mounted read-only at ``/grading/in``.
    output : path
        Folder mounted writable at ``/grading/out`` (the working directory).
    unsafe : bool
        Run without bubblewrap (limits and a private HOME only), for machines
        without it; the caller has warned.
    memory_gib : float
        Address-space limit of each process.

    Returns
    -------
    list of str
    """
    limits = [
        "prlimit",
        f"--as={int(memory_gib * 2**30)}",
        f"--cpu={CPU_SECONDS}",
        f"--fsize={MAX_FILE_BYTES}",
        "--core=0",
    ]
    home = "/tmp/home"
    env = {
        "HOME": home,
        "IPYTHONDIR": f"{home}/.ipython",
        "JUPYTER_CONFIG_DIR": f"{home}/.jupyter",
        "JUPYTER_DATA_DIR": f"{home}/.local/share/jupyter",
        "JUPYTER_RUNTIME_DIR": f"{home}/.local/share/jupyter/runtime",
        "JUPYTER_PLATFORM_DIRS": "1",
        "MPLCONFIGDIR": f"{home}/.matplotlib",
        "TMPDIR": "/tmp",
        "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
    }
    if unsafe:
        private = Path(output).parent / "home"
        private.mkdir(exist_ok=True)
        env.update({k: v.replace(home, str(private)) for k, v in env.items() if v.startswith(home)})
        env["TMPDIR"] = str(private)
        return ["env", "-i", *(f"{k}={v}" for k, v in env.items()), *limits, "--", *argv]
    bwrap = [
        shutil.which("bwrap"),
        "--die-with-parent",
        "--new-session",
        "--unshare-net",
        "--unshare-pid",
        "--unshare-ipc",
        "--unshare-uts",
        "--unshare-cgroup-try",
        "--hostname",
        "sandbox",
        "--clearenv",
    ]
    root = os.geteuid() == 0
    if not root:
        # Unprivileged: a user namespace maps the sandbox's user to this one.
        bwrap += ["--unshare-user", "--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_UID)]
    for name in ("usr", "etc"):
        bwrap += ["--ro-bind", f"/{name}", f"/{name}"]
    for name in ("bin", "lib", "lib64", "sbin"):
        path = Path("/") / name
        if path.is_symlink():
            bwrap += ["--symlink", os.readlink(path), f"/{name}"]
        elif path.exists():
            bwrap += ["--ro-bind", str(path), str(path)]
    bwrap += ["--proc", "/proc", "--dev", "/dev", "--perms", "1777", "--tmpfs", "/tmp"]
    bwrap += ["--perms", "0777", "--dir", home]
    made = {Path("/"), Path("/tmp"), Path("/usr"), Path("/etc")}
    for path in [*_python_paths(), Path("/grading/in")]:
        # bubblewrap makes missing parent folders mode 0700; the sandbox user must cross them.
        for parent in reversed(path.parents):
            if parent not in made:
                bwrap += ["--perms", "0755", "--dir", str(parent)]
                made.add(parent)
    for path in _python_paths():
        bwrap += ["--ro-bind", str(path), str(path)]
    bwrap += ["--ro-bind", str(inputs), "/grading/in", "--bind", str(output), "/grading/out"]
    bwrap += ["--chdir", "/grading/out"]
    for key, value in env.items():
        bwrap += ["--setenv", key, value]
    if root:
        # As root, bubblewrap makes no user namespace: the sandbox drops to nobody
        # itself, so that the process limit counts that user's processes only.
        bwrap += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
        drop = [
            "setpriv",
            f"--reuid={SANDBOX_UID}",
            f"--regid={SANDBOX_UID}",
            "--clear-groups",
            "--inh-caps=-all",
            "--bounding-set=-all",
            "--no-new-privs",
        ]
        return [*bwrap, "--", *limits, f"--nproc={MAX_PROCESSES}", "--", *drop, "--", *argv]
    return [*bwrap, "--", *limits, "--", *argv]


def check_sandbox() -> str | None:
    """None if bubblewrap works here, else why not."""
    if shutil.which("bwrap") is None:
        return "bubblewrap (bwrap) is not installed: apt-get install -y bubblewrap"
    for tool in ("prlimit", "setpriv"):
        if shutil.which(tool) is None:
            return f"{tool} (util-linux) is not installed"
    with tempfile.TemporaryDirectory() as tmp:
        inputs, output = Path(tmp, "in"), Path(tmp, "out")
        inputs.mkdir()
        output.mkdir()
        os.chmod(output, 0o777)
        command = sandbox_command(
            [sys.executable, "-c", "print('ok')"], inputs=inputs, output=output
        )
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired) as error:
            return f"bubblewrap does not run here: {error}"
        if done.returncode != 0 or done.stdout.strip() != "ok":
            return f"bubblewrap does not run here: {done.stderr.strip()[-500:]}"
    return None


@dataclass
class Run:
    """How one sandboxed command ended."""

    status: str  # "ok", "timeout", "exit N", "signal N"
    log: str
    seconds: float


def run_sandboxed(argv, *, inputs, output, timeout, unsafe=False, memory_gib=MEMORY_GIB) -> Run:
    """Run ``argv`` in a sandbox under a watchdog that kills its process group at ``timeout``."""
    if unsafe:  # no mounts: the paths are the real folders
        argv = [
            a.replace("/grading/in", str(inputs)).replace("/grading/out", str(output)) for a in argv
        ]
    command = sandbox_command(
        argv, inputs=inputs, output=output, unsafe=unsafe, memory_gib=memory_gib
    )
    started = time.monotonic()
    with open(Path(output).parent / "log.txt", "w+b") as log:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            start_new_session=True,
            cwd=output if unsafe else None,
        )
        try:
            code = process.wait(timeout=timeout)
            status = "ok" if code == 0 else (f"signal {-code}" if code < 0 else f"exit {code}")
        except subprocess.TimeoutExpired:
            _kill_group(process)
            status = "timeout"
        finally:
            _kill_group(process)
        log.seek(0)
        text = log.read()[-20000:].decode(errors="replace")
    return Run(status, text, time.monotonic() - started)


def _kill_group(process) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:  # pragma: no cover - SIGKILL does not wait
        pass


# ------------------------------------------------------------------ one grade


@dataclass
class Assignment:
    """What grading needs from an autograder zip."""

    zip_path: Path
    name: str
    template: nbformat.NotebookNode
    tests: dict  # question -> source of its test file
    questions: list
    answers: list
    given: list
    forbidden: tuple

    @classmethod
    def from_zip(cls, zip_path) -> Assignment:
        import ast

        zip_path = Path(zip_path)
        with zipfile.ZipFile(zip_path) as zf:
            names = zf.namelist()
            config = json.loads(zf.read("otter_config.json"))
            tests = {
                Path(n).stem: zf.read(n).decode()
                for n in sorted(names, key=_question_order)
                if n.startswith("tests/") and n.endswith(".py")
            }
            if TEMPLATE_IN_ZIP not in names:
                raise ValueError(
                    f"{zip_path} has no {TEMPLATE_IN_ZIP}: build the kit with `make assignments`"
                )
            template = nbformat.reads(zf.read(TEMPLATE_IN_ZIP).decode(), as_version=4)
        name = config["assignment_name"]
        setup = grading.setup_sources(template)
        given = set()
        for source in setup:
            for node in ast.walk(ast.parse(source)):
                if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                    given.add(node.id)
        answers = set()
        for source in tests.values():
            for node in ast.walk(ast.parse(source)):
                if isinstance(node, ast.FunctionDef) and node.name.startswith("test"):
                    answers |= {a.arg for a in node.args.args}
        answers -= given
        return cls(
            zip_path,
            name,
            template,
            tests,
            list(tests),
            sorted(answers),
            sorted(given),
            FORBIDDEN.get(name, ("torch",)),
        )


@dataclass
class Graded:
    """The outcome of grading one submission."""

    file: str
    status: str
    scores: dict = field(default_factory=dict)  # question -> (score, max) of the trusted run
    otter_scores: dict = field(default_factory=dict)
    reasons: list = field(default_factory=list)
    tests: list = field(default_factory=list)
    seconds: float = 0.0
    run_seconds: dict = field(default_factory=dict)  # "otter", "trusted" -> wall clock
    values: dict = field(default_factory=dict)  # JSON-able answer values of the trusted run

    @property
    def flagged(self) -> bool:
        return bool(self.reasons)


def _student_sources(notebook, template) -> list[str]:
    """The submission's code cells, without otter's cells and the given setup cells."""
    given = set(grading.setup_sources(template))
    return [
        c.source
        for c in notebook.cells
        if c.cell_type == "code" and c.source not in given and not grading.is_otter_cell(c.source)
    ]


def grade_one(
    assignment: Assignment,
    submission,
    *,
    timeout=WALL_CLOCK_LIMIT,
    unsafe=False,
    memory_gib=MEMORY_GIB,
    feedback_dir=None,
    log_dir=None,
    cross_check=True,
) -> Graded:
    """Grade one notebook: intake, otter's run, the trusted run, comparison and flags.

    Parameters
    ----------
    assignment : Assignment
    submission : path
        A student's ``.ipynb`` (any file name).
    timeout : float
        Wall clock of each of the two sandboxed runs, in seconds.
    unsafe : bool
        Without bubblewrap (see :func:`sandbox_command`).
    memory_gib : float
    feedback_dir : path or None
        Receives ``<submission stem>.md``.
    log_dir : path or None
        Receives ``<submission stem>/otter.log`` and ``trusted.log``, what the two
        runs printed (for the instructor: otter's log may quote hidden tests).
    cross_check : bool
        Run otter's run too (the default). ``False`` grades with the trusted run
        only, about half the time, without the comparison (``--no-cross-check``).

    Returns
    -------
    Graded
    """
    submission = Path(submission)
    started = time.monotonic()
    maximum = _maxima(assignment)
    graded = Graded(submission.name, "ok", {q: (0, m) for q, m in maximum.items()})
    work = Path(tempfile.mkdtemp(prefix="grade-"))
    try:
        try:
            notebook = nbformat.read(submission, as_version=4)
        except Exception as error:  # noqa: BLE001 - any unreadable file is a zero
            graded.status = "unreadable"
            graded.reasons.append(f"the file is not a notebook ({type(error).__name__})")
            return graded
        normal = grading.normalise_submission(notebook, assignment.template)
        sources = _student_sources(normal, assignment.template)
        graded.reasons += grading.scan_code(sources, forbidden_modules=assignment.forbidden)

        # otter's run, in its own sandbox.
        if cross_check:
            _otter_run(assignment, normal, work, graded, timeout, unsafe, memory_gib, log_dir)

        # The trusted run: the definitions only, in a fresh sandbox.
        inputs, output = work / "trusted" / "in", work / "trusted" / "out"
        inputs.mkdir(parents=True)
        output.mkdir(parents=True)
        os.chmod(output, 0o777)
        plan = {
            "setup": grading.setup_sources(assignment.template),
            "program": grading.answer_program(
                sources, answers=assignment.answers, given=assignment.given
            ),
            "tests": assignment.tests,
            "answers": assignment.answers,
            "seconds": STATEMENT_SECONDS,
        }
        (inputs / "plan.json").write_text(json.dumps(plan))
        trusted = run_sandboxed(
            [
                sys.executable,
                "-m",
                "dropout_lib.grading",
                "/grading/in/plan.json",
                "/grading/out/trusted.json",
            ],
            inputs=inputs,
            output=output,
            timeout=timeout,
            unsafe=unsafe,
            memory_gib=memory_gib,
        )
        graded.run_seconds["trusted"] = trusted.seconds
        _save_log(log_dir, submission, "trusted", trusted)
        result = _read_json(output / "trusted.json")
        if result is not None and result.get("program_errors") and log_dir is not None:
            errors = Path(log_dir) / submission.stem / "trusted_errors.log"
            errors.write_text("\n".join(result["program_errors"]) + "\n")
        if trusted.status != "ok" or result is None:
            graded.status = f"trusted run: {trusted.status}"
            graded.reasons.append(f"the trusted run did not finish ({trusted.status})")
            return graded
        graded.tests = result["tests"]
        graded.values = result.get("values", {})
        for question in maximum:
            cases = [t for t in result["tests"] if t["question"] == question]
            graded.scores[question] = (
                sum(t["points"] for t in cases if t["passed"]),
                maximum[question],
            )
        disagree = [
            q
            for q in maximum
            if graded.otter_scores and graded.otter_scores.get(q, (0, 0))[0] != graded.scores[q][0]
        ]
        if disagree:
            graded.reasons.append(
                "otter's run and the trusted run disagree on " + ", ".join(disagree)
            )
        return graded
    finally:
        shutil.rmtree(work, ignore_errors=True)
        graded.seconds = time.monotonic() - started
        if feedback_dir is not None:
            write_feedback(graded, assignment, Path(feedback_dir) / f"{submission.stem}.md")


def _otter_run(assignment, normal, work, graded, timeout, unsafe, memory_gib, log_dir):
    """otter's own run of the normalised notebook, in its own sandbox; fills otter_scores."""
    submission = Path(graded.file)
    inputs, output = work / "otter" / "in", work / "otter" / "out"
    inputs.mkdir(parents=True)
    output.mkdir(parents=True)
    os.chmod(output, 0o777)
    shutil.copy(assignment.zip_path, inputs / "autograder.zip")
    nbformat.write(normal, inputs / f"{assignment.name}.ipynb")
    otter = run_sandboxed(
        [
            otter_command(),
            "run",
            "--no-logo",
            "-a",
            "/grading/in/autograder.zip",
            "-o",
            "/grading/out",
            f"/grading/in/{assignment.name}.ipynb",
        ],
        inputs=inputs,
        output=output,
        timeout=timeout,
        unsafe=unsafe,
        memory_gib=memory_gib,
    )
    graded.run_seconds["otter"] = otter.seconds
    _save_log(log_dir, submission, "otter", otter)
    graded.otter_scores = _otter_scores(output / "results.json")
    if otter.status != "ok" or not graded.otter_scores:
        graded.reasons.append(f"otter's run did not finish ({otter.status})")


def _save_log(log_dir, submission, name, run: Run) -> None:
    if log_dir is None:
        return
    folder = Path(log_dir) / Path(submission).stem
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.log").write_text(f"{run.status} after {run.seconds:.1f} s\n{run.log}")


def _maxima(assignment: Assignment) -> dict:
    maxima = {}
    for question, source in assignment.tests.items():
        registry = grading._Registry()
        module = {"__registry__": registry}
        exec(
            source.replace(
                "from otter.test_files import test_case", "test_case = __registry__.test_case"
            ),
            module,
        )
        maxima[question] = sum(points for _, points, _ in registry.cases)
    return maxima


def _otter_scores(path: Path) -> dict:
    data = _read_json(path)
    if not data:
        return {}
    return {
        t["name"]: (t["score"], t["max_score"])
        for t in data.get("tests", [])
        if "max_score" in t and "score" in t
    }


def _read_json(path: Path):
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return None


def _question_order(name: str):
    digits = "".join(ch for ch in Path(name).stem if ch.isdigit())
    return (int(digits) if digits else 0, name)


# ---------------------------------------------------------------- the outputs


def write_feedback(graded: Graded, assignment: Assignment, path: Path) -> None:
    """A student's feedback: each test's name, what it checks, and why it failed.

    Built from the trusted run's outcomes, which hold the tests' names,
    docstrings and assertion messages, never their source.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    total = sum(s for s, _ in graded.scores.values())
    maximum = sum(m for _, m in graded.scores.values())
    lines = [f"# Feedback: {assignment.name}", "", f"Autograded score: {total:g} / {maximum:g}", ""]
    if graded.status != "ok":
        lines += ["Your notebook could not be graded completely: ask your instructor.", ""]
    for question, (score, most) in graded.scores.items():
        lines += [f"## {question}: {score:g} / {most:g}", ""]
        for test in (t for t in graded.tests if t["question"] == question):
            kind = "hidden" if test["hidden"] else "public"
            mark = "passed" if test["passed"] else "FAILED"
            lines.append(f"- {mark} ({kind}, {test['points']:g} points): {test['checks']}")
            if not test["passed"]:
                lines.append(f"  - {test['message']}")
        lines.append("")
    lines.append("Written questions are graded by hand and are not included here.")
    path.write_text("\n".join(lines) + "\n")


CSV_FIELDS = ("file", "status", "total", "max", "flagged", "reasons", "seconds")


class CsvWriter:
    """Writes one line per graded submission as soon as it is done (thread safe)."""

    def __init__(self, path, questions):
        self.questions = list(questions)
        self.lock = threading.Lock()
        self.handle = open(path, "w", newline="")
        self.writer = csv.writer(self.handle)
        self.writer.writerow(
            ["file", "status", *self.questions, "total", "max", "flagged", "reasons", "seconds"]
        )
        self.handle.flush()

    def write(self, graded: Graded) -> None:
        scores = [graded.scores.get(q, (0, 0)) for q in self.questions]
        row = [
            graded.file,
            graded.status,
            *(f"{s:g}" for s, _ in scores),
            f"{sum(s for s, _ in scores):g}",
            f"{sum(m for _, m in scores):g}",
            "yes" if graded.flagged else "",
            "; ".join(graded.reasons),
            f"{graded.seconds:.1f}",
        ]
        with self.lock:
            self.writer.writerow(row)
            self.handle.flush()

    def close(self) -> None:
        self.handle.close()


def grade_folder(
    zip_path,
    submissions,
    out,
    *,
    workers=1,
    timeout=WALL_CLOCK_LIMIT,
    unsafe=False,
    memory_gib=MEMORY_GIB,
    progress=True,
    cross_check=True,
) -> list[Graded]:
    """Grade every ``.ipynb`` of ``submissions`` (a folder or a list of paths) into ``out``.

    ``out`` is the CSV; ``<out stem>_feedback/`` receives the feedback files and
    ``<out stem>_logs/`` the logs of both runs. All three are deleted
    first. Returns the outcomes in the order of the submissions.
    """
    if not unsafe:
        problem = check_sandbox()
        if problem is not None:
            raise SandboxUnavailable(problem)
    assignment = Assignment.from_zip(zip_path)
    if isinstance(submissions, (str, Path)):
        submissions = sorted(Path(submissions).glob("*.ipynb"))
    submissions = [Path(s) for s in submissions]
    out = Path(out)
    feedback_dir = out.with_name(out.stem + "_feedback")
    log_dir = out.with_name(out.stem + "_logs")
    for folder in (feedback_dir, log_dir):
        shutil.rmtree(folder, ignore_errors=True)
    out.unlink(missing_ok=True)
    feedback_dir.mkdir(parents=True)
    log_dir.mkdir()
    writer = CsvWriter(out, assignment.questions)
    results: dict[int, Graded] = {}
    try:
        from tqdm.auto import tqdm
    except ImportError:  # pragma: no cover
        tqdm = None
    bar = tqdm(total=len(submissions), unit="notebook", disable=not progress) if tqdm else None
    try:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            futures = {
                pool.submit(
                    grade_one,
                    assignment,
                    path,
                    timeout=timeout,
                    unsafe=unsafe,
                    memory_gib=memory_gib,
                    feedback_dir=feedback_dir,
                    log_dir=log_dir,
                    cross_check=cross_check,
                ): index
                for index, path in enumerate(submissions)
            }
            for future in as_completed(futures):
                graded = future.result()
                results[futures[future]] = graded
                writer.write(graded)
                if bar is not None:
                    bar.update()
    finally:
        writer.close()
        if bar is not None:
            bar.close()
    return [results[i] for i in range(len(submissions))]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("autograder_zip", type=Path)
    parser.add_argument("submissions", type=Path, help="folder of .ipynb submissions")
    parser.add_argument("--out", type=Path, default=Path("scores.csv"), help="CSV to write")
    parser.add_argument(
        "-j", "--workers", type=int, default=1, help="submissions graded at once (default 1)"
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=WALL_CLOCK_LIMIT,
        help=f"wall clock per submission and run, in seconds (default {WALL_CLOCK_LIMIT})",
    )
    parser.add_argument(
        "--memory",
        type=float,
        default=MEMORY_GIB,
        help=f"address space per process in the sandbox, GiB (default {MEMORY_GIB:g})",
    )
    parser.add_argument(
        "--unsafe",
        action="store_true",
        help="grade without the bubblewrap sandbox (student code then runs as you)",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument(
        "--no-cross-check",
        action="store_true",
        help="skip otter's run (the trusted run alone grades; no disagreement flags)",
    )
    args = parser.parse_args(argv)
    if args.unsafe:
        print(
            "WARNING: --unsafe grades without a sandbox: student code runs with your "
            "privileges and can read your files, other submissions and the network, and "
            "can forge grades. Use it only for notebooks you trust.",
            file=sys.stderr,
        )
    try:
        rows = grade_folder(
            args.autograder_zip,
            args.submissions,
            args.out,
            workers=args.workers,
            timeout=args.timeout,
            unsafe=args.unsafe,
            memory_gib=args.memory,
            progress=not args.no_progress,
            cross_check=not args.no_cross_check,
        )
    except SandboxUnavailable as error:
        print(
            f"Refusing to grade: {error}.\nStudent code is untrusted: without a sandbox "
            "one submission can read the hidden tests, forge its own grade and change "
            "other students' grades. Install bubblewrap, or pass --unsafe to grade "
            "without it at your own risk.",
            file=sys.stderr,
        )
        return 2
    feedback = args.out.with_name(args.out.stem + "_feedback")
    print(f"graded {len(rows)} submissions into {args.out}; feedback files in {feedback}")
    failed = [r.file for r in rows if r.status != "ok"]
    flagged = [r.file for r in rows if r.flagged]
    if flagged:
        print(f"flagged for reading ({len(flagged)}): " + ", ".join(flagged))
    if failed:
        print(f"not graded completely ({len(failed)}): " + ", ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
