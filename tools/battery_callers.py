"""The battery's cases for two more callers: a second thread training the same network, and
a notebook run by an ordinary user whose checked function attacks it.

Training: two runs of one network at once (``bp.train``, ``bp.sgd``, mixed), a second run
from a callback, ``astype`` in a callback, ``load_vector`` from another thread. Right is
one clear :class:`~backprop.in_training.NetworkInTrainingError` and a network exactly as
one run (or the steps before the refusal) leaves it.

An ordinary user's notebook: the case's child forks a stand-in notebook that becomes
``nobody`` and runs ``check_sigmoid`` on a function that attacks it, then answers right.
Right is a notebook alive, not stopped, its open file unchanged, its judge intact, no
warning about missing protection, and no process of the call left (found by a name the
daemon gives itself, since in a PID namespace its own number means nothing outside).
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import socket
import threading
import time
import warnings
from pathlib import Path

import numpy as np

import backprop as bp
from backprop.exercises import check_sigmoid
from backprop.in_training import NetworkInTrainingError
from battery_hardening import AffectedCaller

NOBODY = 65534
X, Y = np.random.default_rng(9).random((60, 6)), np.arange(60) % 3
SETTINGS = dict(epochs=2, learning_rate=0.5, batch_size=10, seed=1)


def trained(trainer, net, callback=None):
    extra = {"progress": False} if trainer is bp.train else {}
    return trainer(net, X, Y, callback=callback, **SETTINGS, **extra)


def two_at_once(first, second) -> bool | str:
    """Two threads start training one network together; the holder waits for the other."""
    net, barrier, tried, outcomes = bp.Network([6, 5, 3], seed=0), threading.Barrier(2), threading.Event(), []

    def waits(step, cost, n):
        if step == 1:
            tried.wait(10)

    def contender(trainer):
        barrier.wait()
        try:
            trained(trainer, net, waits)
            outcomes.append(trainer)
        except NetworkInTrainingError as err:
            outcomes.append(str(err))
            tried.set()

    threads = [threading.Thread(target=contender, args=(t,)) for t in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    winners = [o for o in outcomes if not isinstance(o, str)]
    if len(winners) != 1:
        return False
    alone = bp.Network([6, 5, 3], seed=0)
    trained(winners[0], alone, lambda *a: None)
    named = any("is being trained by" in o and "Network(sizes=[6, 5, 3]" in o
                for o in outcomes if isinstance(o, str))
    return "clean" if named and np.array_equal(net.to_vector(), alone.to_vector()) else False


def in_a_callback(trainer, action) -> bool | str:
    """``action(net)`` at step 3 of a run: refused with the error, the network consistent
    and as three steps left it."""
    net, stopped = bp.Network([6, 5, 3], seed=0), bp.Network([6, 5, 3], seed=0)

    def at_step_3(act):
        return lambda step, cost, n: act(n) if step == 3 else None
    try:
        trained(trainer, net, at_step_3(action))
        return False
    except NetworkInTrainingError:
        pass
    with contextlib.suppress(KeyError):
        trained(trainer, stopped, at_step_3(lambda n: {}["stop"]))
    same_dtype = all(p.dtype == net.dtype for p in net.weights + net.biases)
    again = trained(bp.train, net)     # the hold was released
    return "clean" if same_dtype and again.step_costs and not np.array_equal(
        net.to_vector(), stopped.to_vector()) else False


def from_another_thread(action) -> bool | str:
    net, seen = bp.Network([6, 5, 3], seed=0), []

    def at_step_2(step, cost, n):
        if step == 2:
            worker = threading.Thread(target=lambda: seen.append(_outcome(action, n)))
            worker.start()
            worker.join()
    trained(bp.train, net, at_step_2)
    return "clean" if seen and isinstance(seen[0], NetworkInTrainingError) else False


def _outcome(action, net):
    try:
        return action(net)
    except Exception as err:  # looked at by the case
        return err


def training_callers_cases(Case) -> list:
    area = "training, two callers"
    cases = [Case(area, f"{a.__name__} and {b.__name__} of one network at once",
                  lambda s, a=a, b=b: two_at_once(a, b), check=lambda r: r, bound=40)
             for a, b in ((bp.train, bp.train), (bp.sgd, bp.sgd), (bp.train, bp.sgd), (bp.sgd, bp.train))]
    for trainer in (bp.train, bp.sgd):
        for label, action in (("net.astype(float32)", lambda n: n.astype(np.float32)),
                              ("train(net) again", lambda n: bp.train(n, X, Y, progress=False)),
                              ("sgd(net) again", lambda n: bp.sgd(n, X, Y))):
            cases.append(Case(area, f"{label} in a callback of {trainer.__name__}",
                              lambda s, t=trainer, a=action: in_a_callback(t, a), check=lambda r: r,
                              bound=20))
    for label, action in (("net.load_vector", lambda n: n.load_vector(n.to_vector() * 0)),
                          ("net.astype", lambda n: n.astype(np.float32)),
                          ("sgd_step", lambda n: bp.sgd_step(n, n.gradient(X[:2], Y[:2]), 1.0))):
        cases.append(Case(area, f"{label} from another thread during train", lambda s, a=action:
                          from_another_thread(a), check=lambda r: r, bound=20))
    return cases


# ---------------------------------------------------------------- an ordinary user's notebook

def attacks(notebook: int, log_fd: int, name: str, port: int = 0) -> dict:
    """Each attacks the notebook ``notebook`` (whose open file is ``log_fd``), then answers."""
    def daemon():
        if os.fork() == 0:
            try:
                os.setsid()
                if os.fork() == 0:
                    with open("/proc/self/comm", "w") as comm:
                        comm.write(name)
                    time.sleep(30)
            finally:
                os._exit(0)
        time.sleep(0.2)

    def write_through_proc(pid, fds):
        for fd in fds:
            with open(f"/proc/{pid}/fd/{fd}", "w") as file:
                file.write("INTRUDER\n")

    return {
        "SIGKILL to its parent": lambda: os.kill(os.getppid(), signal.SIGKILL),
        "SIGSTOP to its parent": lambda: os.kill(os.getppid(), signal.SIGSTOP),
        "SIGINT to its parent": lambda: os.kill(os.getppid(), signal.SIGINT),
        "SIGKILL to the notebook": lambda: os.kill(notebook, signal.SIGKILL),
        "SIGSTOP to the notebook": lambda: os.kill(notebook, signal.SIGSTOP),
        "SIGINT to the notebook": lambda: os.kill(notebook, signal.SIGINT),
        "SIGKILL to the notebook's group": lambda: os.killpg(notebook, signal.SIGKILL),
        "SIGKILL to its parent's group": lambda: os.killpg(os.getpgid(os.getppid()), signal.SIGKILL),
        "kill(-1, SIGKILL)": lambda: os.kill(-1, signal.SIGKILL),
        "write through /proc/<parent>/fd": lambda: write_through_proc(os.getppid(), [log_fd]),
        "write through /proc/<notebook>/fd": lambda: write_through_proc(notebook, [1, 2, log_fd]),
        "a detached daemon": daemon,
        "connect to the notebook's socket": lambda: socket.create_connection(
            ("127.0.0.1", port), timeout=1).sendall(b"INTRUDER"),
    }


def sigmoid(z):
    return 1 / (1 + np.exp(-np.asarray(z, dtype=float)))


def left_named(name: str) -> bool:
    for pid in filter(str.isdigit, os.listdir("/proc")):
        with contextlib.suppress(OSError):
            if Path(f"/proc/{pid}/comm").read_text().strip() == name:
                os.kill(int(pid), signal.SIGKILL)
                return True
    return False


def ordinary_notebook(scratch: Path, attack: str) -> bool:
    """Fork a notebook that becomes ``nobody`` and checks a function attacking it; True if
    the attack reached nothing and the right answer passed."""
    log_path, name = scratch / "notebook.log", f"bd{os.getpid() % 10**6}{attack[:5]}".replace(" ", "")
    read_end, write_end = os.pipe()
    notebook = os.fork()
    if notebook == 0:
        try:
            os.close(read_end)
            os.setsid()
            log = open(log_path, "w")
            log.write("notebook\n")
            log.flush()
            os.setgroups([])
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            listening = socket.create_server(("127.0.0.1", 0))  # as a Jupyter kernel listens
            listening.setblocking(False)
            attack_now = attacks(os.getpid(), log.fileno(), name, listening.getsockname()[1])[attack]

            def attacks_then_answers(z):
                with contextlib.suppress(OSError):
                    attack_now()
                return sigmoid(z)
            with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                verdict = check_sigmoid(attacks_then_answers)
                intact = check_sigmoid(lambda z: 0 * np.asarray(z, dtype=float)) is False
            time.sleep(0.2)  # a signal sent would have arrived by now
            with contextlib.suppress(BlockingIOError):
                listening.accept()
                intact = False
            os.write(write_end, json.dumps([verdict, intact, [str(w.message) for w in caught]]).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    _, status = os.waitpid(notebook, os.WUNTRACED)
    with os.fdopen(read_end, "rb") as pipe:
        said = pipe.read() if os.WIFEXITED(status) else b""
    if os.WIFSTOPPED(status):
        os.kill(notebook, signal.SIGKILL)
        os.waitpid(notebook, 0)
    if not said:
        raise AffectedCaller(f"the notebook was {'stopped' if os.WIFSTOPPED(status) else 'killed'}")
    verdict, intact, caught = json.loads(said)
    if not intact or log_path.read_text() != "notebook\n":
        raise AffectedCaller("the notebook's judge, its open file or its socket was reached")
    if left_named(name):
        raise AffectedCaller("a process the checked function started outlived the call")
    if caught:
        raise AffectedCaller(f"unprotected, and warned: {caught[0][:150]}")
    return verdict is True


def ordinary_user_cases(Case) -> list:
    if os.geteuid() != 0:  # the battery itself runs as an ordinary user: the other cases show it
        return []
    return [Case("checked function vs notebook (ordinary user)", name,
                 lambda s, a=name: ordinary_notebook(s, a), check=lambda r: r, bound=20,
                 leaves=("notebook.log",))
            for name in attacks(0, 0, "")]
