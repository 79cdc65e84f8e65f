"""MPIRE (Python) on its own three benchmarks, driven by the Go harness.

    python3 mpire_python.py WORKLOAD PARAMS_JSON

builds the workload's data at the sizes the harness gives, runs each
contender once and checks that MPIRE's answer equals the sequential one,
then prints "ready". After that, each line read from stdin names a contender
("sequential" or "mpire"); the script runs it once and prints its wall time
in seconds. It stops at the end of stdin. Errors go to stderr with a non-zero
exit status.

MPIRE must be importable (PYTHONPATH), with numpy and scipy.
"""

import collections
import json
import sys
import time

import numpy as np
from scipy.signal import convolve2d, lfilter

from mpire import WorkerPool

DOWNSAMPLE = 5
PREFIX_LEN = 3
WORD_LEN = 20


# numerical: MPIRE's benchmark 1, one shared image convolved with many filters.

def convolve(image, f):
    return convolve2d(image, f)[::DOWNSAMPLE, ::DOWNSAMPLE]


def numerical(p):
    rng = np.random.default_rng(1)
    image = rng.random((p["image"], p["image"]))
    filters = [rng.random((4, 4)) for _ in range(p["filters"])]

    def sequential():
        return [convolve(image, f) for f in filters]

    def mpire():
        with WorkerPool(p["jobs"], shared_objects=image) as pool:
            return pool.map(convolve, filters, concatenate_numpy_output=False)

    def same(a, b):
        return len(a) == len(b) and all(np.array_equal(x, y) for x, y in zip(a, b))

    return sequential, mpire, same


# stateful: MPIRE's benchmark 2, prefix counts in each worker's state, handed
# back by its exit.

def count_prefixes(worker_state, doc):
    counts = worker_state.setdefault("counts", collections.Counter())
    counts.update(w[:PREFIX_LEN] for w in doc)
    return len(doc)


def prefix_counts(worker_state):
    return worker_state.get("counts", collections.Counter())


def frequent(counts):
    return sorted(p for p, n in counts.items() if n > 3)


def documents(n, short):
    rng = np.random.default_rng(3)
    docs = []
    for i in range(n):
        k = short if i % 2 == 0 else 3 * short
        letters = rng.integers(ord("a"), ord("z") + 1, size=(k, WORD_LEN), dtype=np.uint8)
        docs.append(letters.view(f"S{WORD_LEN}").ravel().astype(f"U{WORD_LEN}").tolist())
    return docs


def stateful(p):
    docs = documents(p["docs"], p["doc_words"])

    def sequential():
        state = {}
        for d in docs:
            count_prefixes(state, d)
        return frequent(prefix_counts(state))

    def mpire():
        with WorkerPool(p["jobs"], use_worker_state=True) as pool:
            # A document is a list, which MPIRE would unpack into arguments.
            pool.map(count_prefixes, [(d,) for d in docs], worker_exit=prefix_counts)
            total = collections.Counter()
            for counts in pool.get_exit_results():
                total.update(counts)
        return frequent(total)

    return sequential, mpire, lambda a, b: a == b


# init: MPIRE's benchmark 3, an expensive model per worker, then calls with
# keep-alive whose evaluations dominate.

def build_model(size, passes):
    w = np.random.default_rng(2).random(size)
    for _ in range(passes):
        # w[i] = 0.5*w[i] + 0.5*w[i-1], in place from the left, with w[0]
        # kept: the Go model's refinement.
        w = lfilter([0.5], [1.0, -0.5], w, zi=[0.5 * w[0]])[0]
    return w


class Model:
    """A worker's model, with buffers of its size so that an evaluation
    allocates nothing."""

    def __init__(self, size, passes):
        self.w = build_model(size, passes)
        self.idx = np.arange(size)
        self.buf = np.empty(size, dtype=np.int64)
        self.x = np.empty(size)

    def evaluate(self, batch, rows):
        # The Go model's evaluation: the weights dotted with each input row
        # ((i ^ (batch*rows + r)) & 15), summed.
        s = 0.0
        for r in range(rows):
            np.bitwise_xor(self.idx, batch * rows + r, out=self.buf)
            np.bitwise_and(self.buf, 15, out=self.buf)
            self.x[:] = self.buf
            s += float(self.w @ self.x)
        return s


def init(p):
    batches = list(range(p["batches"]))
    rows = p["rows"]

    def load_model(worker_state):
        worker_state["model"] = Model(p["model_size"], p["model_passes"])

    def evaluate(worker_state, batch):
        return worker_state["model"].evaluate(batch, rows)

    def sequential():
        state = {}
        load_model(state)
        return [[evaluate(state, b) for b in batches] for _ in range(p["calls"])]

    def mpire():
        with WorkerPool(p["jobs"], use_worker_state=True, keep_alive=True,
                        cpu_ids=list(range(p["jobs"]))) as pool:
            return [pool.map(evaluate, batches, worker_init=load_model) for _ in range(p["calls"])]

    return sequential, mpire, lambda a, b: a == b


WORKLOADS = {"numerical": numerical, "stateful": stateful, "init": init}


def main():
    name, params = sys.argv[1], json.loads(sys.argv[2])
    sequential, mpire, same = WORKLOADS[name](params)
    contenders = {"sequential": sequential, "mpire": mpire}
    if not same(sequential(), mpire()):
        sys.exit(f"mpire_python.py: {name}: MPIRE gives a different answer from sequential")
    print("ready", flush=True)
    for line in sys.stdin:
        run = contenders[line.strip()]
        start = time.perf_counter()
        run()
        print(time.perf_counter() - start, flush=True)


if __name__ == "__main__":
    main()
