#!/usr/bin/env python3
"""Reference values for the alignment metrics (lib/Gpo/Evaluation/AlignmentMetrics.cs), computed with scipy.

Writes tests/Gpo.Tests/Fixtures/metrics_reference.json. Run with Debian's python3 (python3-scipy, numpy):
    /usr/bin/python3 tools/metrics_reference.py
Cases: seeded random distributions with 2..12 options, unsorted and tied ordinals, exact zeros, one-hot vectors.
"""
import json
import os

import numpy as np
import scipy
from scipy.spatial.distance import jensenshannon
from scipy.stats import entropy, wasserstein_distance

rng = np.random.default_rng(20240521)
cases = []


def add(name, predicted, target, ordinals):
    p = np.asarray(predicted, dtype=float)
    q = np.asarray(target, dtype=float)
    o = np.asarray(ordinals, dtype=float)
    pn, qn = p / p.sum(), q / q.sum()
    w1 = wasserstein_distance(u_values=o, v_values=o, u_weights=pn, v_weights=qn)
    w_max = float(o.max() - o.min())
    js_dist = float(jensenshannon(pn, qn))            # natural log
    js_dist2 = float(jensenshannon(pn, qn, base=2))
    kl = float(entropy(qn, pn))                       # KL(target || predicted), natural log
    cases.append({
        "name": name,
        "predicted": p.tolist(),
        "target": q.tolist(),
        "ordinals": o.tolist(),
        "w1_distance": float(w1),
        "alignment_w1": (1.0 - w1 / w_max) if w_max > 0 else None,
        "js_distance": js_dist,
        "js_distance_base2": js_dist2,
        "js_divergence": js_dist ** 2,
        "js_divergence_base2": js_dist2 ** 2,
        "alignment_js": 1.0 - js_dist,
        "alignment_js_base2": 1.0 - js_dist2,
        "total_variation": float(0.5 * np.abs(pn - qn).sum()),
        "kl_true_predicted": kl if np.isfinite(kl) else "inf",
        "argmax_accuracy": float(np.argmax(pn) == np.argmax(qn)),
    })


for i in range(40):
    k = int(rng.integers(2, 13))
    p = rng.dirichlet(np.ones(k) * rng.uniform(0.3, 3))
    q = rng.dirichlet(np.ones(k) * rng.uniform(0.3, 3))
    if i % 4 == 0:
        ordinals = rng.permutation(np.arange(1, k + 1)).astype(float)   # unsorted
    elif i % 4 == 1:
        ordinals = np.round(rng.uniform(0, 5, size=k), 1)               # arbitrary, ties possible
    else:
        ordinals = np.arange(1, k + 1, dtype=float)
    if i % 5 == 0:
        p[rng.integers(k)] = 0.0                                      # exact zero in the prediction
    if i % 7 == 0:
        q[rng.integers(k)] = 0.0
    if i % 3 == 0:
        p = p * rng.uniform(0.5, 2.0)                                  # unnormalised input
    add(f"random-{i}", p, q, ordinals)

add("opposite-corners", [1, 0, 0], [0, 0, 1], [1, 2, 3])
add("unsorted-ordinals", [1, 0, 0], [0, 0, 1], [1, 2, 1.5])
add("identical", [0.2, 0.3, 0.5], [0.2, 0.3, 0.5], [1, 2, 3])
add("one-hot-disjoint", [1, 0], [0, 1], [1, 2])
add("all-ordinals-equal", [0.3, 0.7], [0.6, 0.4], [1, 1])
add("zero-where-target-positive", [0.5, 0.5, 0.0], [0.2, 0.3, 0.5], [1, 2, 3])

out = os.path.join(os.path.dirname(__file__), "..", "tests", "Gpo.Tests", "Fixtures", "metrics_reference.json")
with open(out, "w") as f:
    json.dump({"generator": "tools/metrics_reference.py", "scipy": scipy.__version__, "numpy": np.__version__, "cases": cases}, f, indent=1)
    f.write("\n")
print(f"wrote {len(cases)} cases to {os.path.normpath(out)}")
