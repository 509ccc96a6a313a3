#!/usr/bin/env python3
"""Reference values for the context-using baselines (lib/Gpo/Evaluation/Baselines: GroupMixturePredictor,
PriorResidualPredictor, TemperedPriorPredictor), computed independently with scipy and numpy.

Writes tests/Gpo.Tests/Fixtures/context_baselines_reference.json. Run with Debian's python3 (python3-scipy, numpy):
    /usr/bin/python3 tools/context_baselines_reference.py
Written from the methods' definitions, not from the C# code:
- group_mixture: mixture weights minimising the mean context cross-entropy over the simplex, by SLSQP (the C#
  code uses exponentiated gradient); shrinkage towards equal weights by leave-one-out over the context questions.
- prior_residual: ridge regression of the context residuals y - prior on the groups' deviations from the prior
  (numpy.linalg.solve), relative lambda by leave-one-question-out; floored at the floor and renormalised.
- tempered_prior: tau minimising the mean context cross-entropy of max(prior, floor)^tau (scipy's bounded scalar
  minimiser on log tau), log tau shrunk towards 0 by leave-one-out.
Leave-one-out scores use the cross-entropy -sum y log max(p, floor); ties go to the larger shrinkage/lambda.
A sparse population: one group lacks some questions, one context question and one query no group answered.
"""
import json
import os

import numpy as np
import scipy
from scipy.optimize import minimize, minimize_scalar

rng = np.random.default_rng(20261201)
FLOOR = 1e-3
GROUPS = ["A", "B", "C", "D"]
SHRINKAGES = [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1]
LAMBDAS = [0.01, 0.03, 0.1, 0.3, 1, 3, 10, 30, 100, np.inf]
TAU_SHRINKAGES = [0, 0.25, 0.5, 0.75, 1]


def distribution(k):
    return 0.85 * rng.dirichlet(np.ones(k) * 1.5) + 0.15 / k


# Population: questions c0..c11 (context) and q0..q5 (queries); D lacks every third question.
questions = {f"c{i}": int(rng.integers(2, 6)) for i in range(12)}
questions.update({f"q{i}": int(rng.integers(2, 6)) for i in range(6)})
population = {g: {} for g in GROUPS}
for n, (qid, k) in enumerate(questions.items()):
    for g in GROUPS:
        if g == "D" and n % 3 == 0:
            continue
        population[g][qid] = distribution(k)
context_ids = [f"c{i}" for i in range(12)]
query_ids = [f"q{i}" for i in range(6)]

# The held-out group: mostly A, some C, plus noise; it also answered "c_unanswered" (no training group did).
true_weights = {"A": 0.6, "B": 0.05, "C": 0.3, "D": 0.05}
context = []
for qid in context_ids:
    answers = [(g, population[g][qid]) for g in GROUPS if qid in population[g]]
    total = sum(true_weights[g] for g, _ in answers)
    mix = sum(true_weights[g] * p for g, p in answers) / total
    y = 0.7 * mix + 0.3 * distribution(len(mix))
    context.append((qid, y / y.sum()))
context_unanswered = ("c_unanswered", distribution(3))


def answers_of(qid, groups=GROUPS):
    return [(GROUPS.index(g), population[g][qid]) for g in groups if qid in population[g]]


def prior(qid):
    return np.mean([p for _, p in answers_of(qid)], axis=0)


def cross_entropy(y, p):
    return float(-(y * np.log(np.maximum(p, FLOOR)))[y > 0].sum())


# ---- group_mixture
def mix(w, qid):
    a = answers_of(qid)
    total = sum(w[h] for h, _ in a)
    return sum(w[h] * p for h, p in a) / total


def fit_weights(items):
    h = len(GROUPS)
    if not items:
        return np.full(h, 1 / h)
    loss = lambda w: np.mean([cross_entropy(y, mix(w, qid)) for qid, y in items])
    result = minimize(loss, np.full(h, 1 / h), method="SLSQP", bounds=[(0, 1)] * h,
                      constraints=[{"type": "eq", "fun": lambda w: w.sum() - 1}], options={"ftol": 1e-15, "maxiter": 1000})
    return np.clip(result.x, 0, None) / np.clip(result.x, 0, None).sum()


def shrink(w, s):
    return (1 - s) * w + s / len(w)


def loo_choice(candidates, score):
    """candidates in descending order; the first strictly smallest total wins (ties to the larger value)."""
    totals = [score(c) for c in candidates]
    best = 0
    for i in range(1, len(totals)):
        if totals[i] < totals[best]:
            best = i
    return candidates[best], totals


fold_weights = [fit_weights([c for j, c in enumerate(context) if j != i]) for i in range(len(context))]
shrinkage, _ = loo_choice(sorted(SHRINKAGES, reverse=True), lambda s: sum(
    cross_entropy(y, mix(shrink(fold_weights[i], s), qid)) for i, (qid, y) in enumerate(context)))
fitted = fit_weights(context)
mixture_weights = shrink(fitted, shrinkage)
mixture = {
    "fitted_weights": fitted.tolist(),
    "shrinkage": shrinkage,
    "predictions": [mix(mixture_weights, qid).tolist() for qid in query_ids],
}


# ---- prior_residual
def design(qid):
    """Rows per option: deviations of each group from the prior (0 where it did not answer)."""
    p0 = prior(qid)
    d = np.zeros((len(p0), len(GROUPS)))
    for h, p in answers_of(qid):
        d[:, h] = p - p0
    return d, p0


def ridge(items, relative):
    if not items or np.isinf(relative):
        return np.zeros(len(GROUPS))
    d = np.vstack([design(qid)[0] for qid, _ in items])
    r = np.concatenate([y - design(qid)[1] for qid, y in items])
    normal = d.T @ d
    lam = relative * max(np.trace(normal) / len(GROUPS), 1e-12)
    return np.linalg.solve(normal + lam * np.eye(len(GROUPS)), d.T @ r)


def residual_prediction(beta, qid):
    d, p0 = design(qid)
    p = np.maximum(p0 + d @ beta, FLOOR)
    return p / p.sum()


relative, _ = loo_choice(sorted(LAMBDAS, reverse=True), lambda lam: sum(
    cross_entropy(y, residual_prediction(ridge([c for j, c in enumerate(context) if j != i], lam), qid))
    for i, (qid, y) in enumerate(context)))
beta = ridge(context, relative)
residual = {
    "lambda": "inf" if np.isinf(relative) else relative,
    "beta": beta.tolist(),
    "predictions": [residual_prediction(beta, qid).tolist() for qid in query_ids],
}


# ---- tempered_prior
def temper(p, tau):
    logits = tau * np.log(np.maximum(p, FLOOR))
    e = np.exp(logits - logits.max())
    return e / e.sum()


def tempered_loss(qid, y, tau):
    logits = tau * np.log(np.maximum(prior(qid), FLOOR))
    log_z = np.log(np.exp(logits - logits.max()).sum()) + logits.max()
    return float(-(y * (logits - log_z)).sum())


def fit_log_tau(items):
    if not items:
        return 0.0
    result = minimize_scalar(lambda lt: np.mean([tempered_loss(qid, y, np.exp(lt)) for qid, y in items]),
                             bounds=(np.log(0.05), np.log(10)), method="bounded", options={"xatol": 1e-10})
    return float(result.x)


fold_log_tau = [fit_log_tau([c for j, c in enumerate(context) if j != i]) for i in range(len(context))]
tau_shrinkage, _ = loo_choice(sorted(TAU_SHRINKAGES, reverse=True), lambda s: sum(
    tempered_loss(qid, y, np.exp((1 - s) * fold_log_tau[i])) for i, (qid, y) in enumerate(context)))
log_tau = fit_log_tau(context)
tau = float(np.exp((1 - tau_shrinkage) * log_tau))
tempered = {
    "fitted_tau": float(np.exp(log_tau)),
    "shrinkage": tau_shrinkage,
    "predictions": [temper(prior(qid), tau).tolist() for qid in query_ids],
}

out = os.path.join(os.path.dirname(__file__), "..", "tests", "Gpo.Tests", "Fixtures", "context_baselines_reference.json")
with open(out, "w") as f:
    json.dump({
        "generator": "tools/context_baselines_reference.py", "scipy": scipy.__version__, "numpy": np.__version__,
        "floor": FLOOR,
        "groups": GROUPS,
        "population": {g: {qid: p.tolist() for qid, p in answers.items()} for g, answers in population.items()},
        "context": [{"id": qid, "shares": y.tolist()} for qid, y in context + [context_unanswered]],
        "queries": [{"id": qid, "options": questions[qid]} for qid in query_ids] + [{"id": "q_unanswered", "options": 4}],
        "group_mixture": mixture,
        "prior_residual": residual,
        "tempered_prior": tempered,
    }, f, indent=1)
    f.write("\n")
print(f"wrote {os.path.normpath(out)}: mixture shrinkage {shrinkage}, weights {np.round(fitted, 4)}; "
      f"residual lambda {relative}; tau {np.exp(log_tau):.4f} shrinkage {tau_shrinkage}")
