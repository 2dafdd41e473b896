"""Sweeps over worker processes and Ray: the same records as in-process, nothing lost or
duplicated when a worker dies or two sweeps share a store, a dead worker's lease free at once."""
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import torch

from dephn.data.datasets import load_dataset
from dephn.errors import DephnError
from dephn.experiments.claim import run_claimed
from dephn.experiments.lease import LEASE_DIR, lease_path, try_acquire
from dephn.experiments.parallel import run_parallel
from dephn.experiments.runs import RunSpec
from dephn.experiments.store import ResultsStore
from dephn.experiments.sweep import expand_grid, run_sweep

SMALL = {"embed_dim": 4, "dnn_hidden": [16], "expert_hidden": [16], "tower_hidden": [8], "n_experts": 2}
TRAIN = {"epochs": 1, "batch_size": 256, "quiet": True, "device": "cpu"}
LONG = {"epochs": 4, "patience": 100, "batch_size": 128, "quiet": True, "device": "cpu"}   # long enough to be killed


def is_leased(store_root, run_id: str) -> bool:
    """Whether a worker holds the run's lease now."""
    lease = try_acquire(store_root, run_id)
    if lease is None:
        return True
    lease.release()
    return False


@pytest.fixture(scope="module")
def data_options(tmp_path_factory):
    """Generated Criteo-UR data, encoded once into a cache every worker reads."""
    opts = {"rows": 4000, "teacher_rows": 5_000, "eval_rows": 4_000,   # explicit: worker processes do not
            "cache_dir": str(tmp_path_factory.mktemp("cache"))}              # see the suite's small defaults
    load_dataset("criteo-ur", None, **opts)
    return opts


def grid(data_options, seeds=(0, 1)):
    return expand_grid(["mmoe", "shared_bottom"], ["criteo-ur"], list(seeds), model_options=SMALL,
                       train_options=TRAIN, data_options=data_options)


def run_ids(specs, data_options):
    fp = load_dataset("criteo-ur", None, **data_options).fingerprint
    return [s.run_id(fp) for s in specs]


def assert_one_record_each_and_no_lease_held(root, specs, data_options):
    store = ResultsStore(root)
    ids = run_ids(specs, data_options)
    assert sorted(r["run_id"] for r in store.records()) == sorted(set(ids))
    assert all(store.get(i)["status"] == "ok" for i in ids)
    assert not any(is_leased(root, p.stem) for p in (root / LEASE_DIR).glob("*.lock"))


def holder_pid(path) -> int | None:
    """The process that holds the flock on `path`, from /proc/locks (Linux)."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    inode = f"{os.major(st.st_dev):02x}:{os.minor(st.st_dev):02x}:{st.st_ino}"
    for line in Path("/proc/locks").read_text().splitlines():
        fields = line.split()           # "1: FLOCK  ADVISORY  WRITE 1234 fe:00:5678 0 EOF"; "->" a waiter
        if len(fields) >= 6 and fields[1] == "FLOCK" and fields[5] == inode:
            return int(fields[4])
    return None


def in_a_process_killed_while_holding(root, rid):
    """A process that took `rid`'s lease and was SIGKILLed holding it."""
    code = ("import os, signal, sys; from dephn.experiments.lease import try_acquire; "
            "assert try_acquire(sys.argv[1], sys.argv[2]) is not None; os.kill(os.getpid(), signal.SIGKILL)")
    proc = subprocess.run([sys.executable, "-c", code, str(root), rid], capture_output=True, text=True)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert lease_path(root, rid).exists()


# -- leases, in this process -----------------------------------------------------------------

def test_a_held_lease_blocks_and_a_dead_holders_lease_is_free(tmp_path):
    mine = try_acquire(tmp_path, "r1")
    assert mine is not None and is_leased(tmp_path, "r1")
    assert try_acquire(tmp_path, "r1") is None                       # held (here: by another lock object)
    held_elsewhere = []
    t = threading.Thread(target=lambda: held_elsewhere.append(try_acquire(tmp_path, "r1")))
    t.start()
    t.join()
    assert held_elsewhere == [None]                                  # ... and from another thread
    mine.release()
    assert not is_leased(tmp_path, "r1")
    again = try_acquire(tmp_path, "r1")
    assert again is not None
    again.release()
    # its holder was killed: the kernel dropped the lock with the process
    in_a_process_killed_while_holding(tmp_path, "r2")
    taken = try_acquire(tmp_path, "r2")
    assert taken is not None
    taken.release()


def test_holder_pid_names_the_holding_process(tmp_path):
    lease = try_acquire(tmp_path, "r")
    try:
        assert holder_pid(lease_path(tmp_path, "r")) == os.getpid()
    finally:
        lease.release()
    assert holder_pid(lease_path(tmp_path, "r")) is None


def test_a_run_behind_a_dead_workers_lease_trains_and_leaves_no_lease_held(tmp_path, data_options):
    spec = grid(data_options, seeds=[0])[0]
    data = load_dataset("criteo-ur", None, **data_options)
    rid = spec.run_id(data.fingerprint)
    in_a_process_killed_while_holding(tmp_path, rid)
    out = run_claimed(spec, data, ResultsStore(tmp_path))
    assert out.status == "ran" and ResultsStore(tmp_path).has(rid)
    assert not is_leased(tmp_path, rid)
    # a finished run whose owner died before releasing: nothing reruns
    in_a_process_killed_while_holding(tmp_path, rid)
    assert run_claimed(spec, data, ResultsStore(tmp_path)).status == "done"
    assert not is_leased(tmp_path, rid)


def test_a_held_run_is_busy_and_not_trained(tmp_path, data_options):
    spec = grid(data_options, seeds=[0])[0]
    data = load_dataset("criteo-ur", None, **data_options)
    rid = spec.run_id(data.fingerprint)
    other = try_acquire(tmp_path, rid)
    try:
        assert run_claimed(spec, data, ResultsStore(tmp_path)).status == "busy"
        assert run_claimed(spec, data, ResultsStore(tmp_path), force=True).status == "busy"
    finally:
        other.release()
    assert not ResultsStore(tmp_path).has(rid)


def test_an_in_process_sweep_waits_for_a_run_another_worker_holds(tmp_path, data_options):
    spec = grid(data_options, seeds=[0])[0]
    rid = run_ids([spec], data_options)[0]
    other = try_acquire(tmp_path, rid)          # another worker trains it
    logs = []
    sweep = threading.Thread(target=run_sweep, args=([spec], tmp_path), kwargs={"log": logs.append, "poll": 0.05})
    sweep.start()
    time.sleep(0.5)
    assert sweep.is_alive() and not ResultsStore(tmp_path).has(rid)
    assert any("another worker trains it" in m for m in logs)
    other.release()                             # ... and died without a record: this sweep runs it
    sweep.join(60)
    assert not sweep.is_alive() and "1 ran" in logs[-1]
    assert not is_leased(tmp_path, rid)


# -- worker processes ------------------------------------------------------------------------

@pytest.mark.slow
def test_two_workers_give_the_records_of_an_in_process_sweep(tmp_path, data_options):
    specs = grid(data_options)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        reference = run_sweep(specs, tmp_path / "one", log=lambda m: None)
    finally:
        torch.set_num_threads(threads)
    logs = []
    frame = run_parallel(specs, tmp_path / "two", workers=2, threads=1, log=logs.append)
    assert "4 ran" in logs[-1] and "2 local workers x 1 threads" in logs[-1]
    assert len({line.rsplit("pid ", 1)[1] for line in logs if "pid " in line}) == 2   # both workers ran some
    assert sorted(frame["run_id"]) == sorted(reference["run_id"])
    one, two = ResultsStore(tmp_path / "one"), ResultsStore(tmp_path / "two")
    for rid in reference["run_id"]:
        assert two.get(rid)["metrics"] == one.get(rid)["metrics"]
    assert_one_record_each_and_no_lease_held(tmp_path / "two", specs, data_options)


def kill_when_leased(root, rid, timeout=60):
    """SIGKILL whichever process holds `rid`'s lease, as soon as it trains."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        pid = holder_pid(lease_path(root, rid))
        if pid:
            assert pid != os.getpid()
            os.kill(pid, signal.SIGKILL)
            return
        time.sleep(0.005)
    raise AssertionError(f"run {rid} never started")


def killed_sweep(tmp_path, data_options, **engine):
    victim = RunSpec("mmoe", "criteo-ur", seed=7, model_options=SMALL, train_options=LONG,
                     data_options=data_options)
    specs = [victim, *grid(data_options, seeds=[0])]
    root = tmp_path / "results"
    logs, errors = [], []

    def sweep():
        try:
            run_parallel(specs, root, log=logs.append, **engine)
        except Exception as e:     # noqa: BLE001  (reported by the test below)
            errors.append(e)

    thread = threading.Thread(target=sweep)
    thread.start()
    kill_when_leased(root, run_ids([victim], data_options)[0])
    thread.join(300)                # a loaded machine: generous
    assert not thread.is_alive() and not errors, errors
    assert_one_record_each_and_no_lease_held(root, specs, data_options)
    assert ResultsStore(root).get(run_ids([victim], data_options)[0])["machine"]
    return logs


@pytest.mark.slow
def test_a_killed_worker_loses_and_duplicates_nothing(tmp_path, data_options):
    logs = killed_sweep(tmp_path, data_options, workers=2, threads=1)
    assert any("worker lost, run again" in m for m in logs)


@pytest.mark.slow
def test_two_sweeps_on_one_store_train_each_run_once(tmp_path, data_options):
    specs = grid(data_options)
    logs = {"a": [], "b": []}
    threads = [threading.Thread(target=run_parallel, args=(order, tmp_path),
                                kwargs={"workers": 1, "threads": 1, "poll": 0.1, "log": logs[name].append})
               for name, order in (("a", specs), ("b", specs[::-1]))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    ran = [int(logs[n][-1].split(" ran")[0].split()[-1]) for n in logs]
    done = [int(logs[n][-1].split(" already done")[0].split()[-1]) for n in logs]
    assert sum(ran) == len(specs) and [r + d for r, d in zip(ran, done)] == [len(specs)] * 2
    assert_one_record_each_and_no_lease_held(tmp_path, specs, data_options)


def test_bad_worker_options_are_refused(tmp_path, monkeypatch):
    with pytest.raises(DephnError, match="workers and threads per worker must be >= 1"):
        run_parallel([], tmp_path, workers=0)
    with pytest.raises(DephnError, match="needs the ray engine"):
        run_parallel([], tmp_path, workers=1, ray_address="auto")
    with pytest.raises(DephnError, match="expected one of local, ray"):
        run_parallel([], tmp_path, workers=1, engine="dask")
    if importlib.util.find_spec("ray") is not None:
        with socket.socket() as free:                               # a port nothing listens on
            free.bind(("127.0.0.1", 0))
            port = free.getsockname()[1]
        with pytest.raises(DephnError, match=f"no Ray cluster answers at 127.0.0.1:{port}"):
            run_parallel([], tmp_path, workers=1, engine="ray", ray_address=f"127.0.0.1:{port}")
    monkeypatch.setitem(sys.modules, "ray", None)              # Ray not installed
    with pytest.raises(DephnError, match=r"--engine ray needs Ray: pip install 'dephn\[ray\]'"):
        run_parallel([], tmp_path, workers=1, engine="ray")


# -- Ray ---------------------------------------------------------------------------------------

@pytest.mark.slow
def test_a_killed_ray_worker_is_retried_by_ray(tmp_path, data_options):
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        logs = killed_sweep(tmp_path, data_options, workers=2, threads=1, engine="ray")
    finally:
        ray.shutdown()
    assert "2 ray workers x 1 threads" in logs[-1]
    assert not any("worker lost" in m for m in logs)      # Ray itself ran the task again
