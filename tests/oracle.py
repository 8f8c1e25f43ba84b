"""A second, independent implementation of the article's training loop, for checking the engine.

Plain Python floats and loops, unit by unit, written straight from the formulas in
docs/formulas.md; it shares no code with backtrace. Dense layers, bias units, one update per
sample, identity or sigmoid units, and the article's or the squared-error output delta.
"""

from __future__ import annotations

import math


def activate(name: str, h: float) -> float:
    return h if name == "identity" else 1 / (1 + math.exp(-h))


def derivative(name: str, z: float) -> float:
    return 1.0 if name == "identity" else z * (1 - z)


def train_online(weights, activations, loss, learning_rate, data, epochs, on_sample=None):
    """SGD, one sample at a time. `weights[l][j][k]`: into unit j of layer l+1 from unit k of
    layer l (k = 0 the bias). Calls on_sample(epoch, sample, zs, deltas) before each update and
    returns the weights, or raises OverflowError where plain floats overflow."""
    weights = [[list(row) for row in matrix] for matrix in weights]
    for epoch in range(1, epochs + 1):
        for sample, (x, y) in enumerate(data, start=1):
            zs = [list(x)]
            for matrix, name in zip(weights, activations):
                inputs = [1.0] + zs[-1]
                hs = [math.fsum(w * z for w, z in zip(row, inputs)) for row in matrix]
                if any(math.isinf(h) or math.isnan(h) for h in hs):
                    raise OverflowError((epoch, sample, len(zs), hs))
                zs.append([activate(name, h) for h in hs])
            output = zs[-1]
            if loss == "article":
                deltas = [[t - o for o, t in zip(output, y)]]
            else:  # squared_error or mean_squared_error (K = 1 here)
                scale = 1.0 if loss == "squared_error" else 2.0 / len(output)
                deltas = [
                    [scale * (o - t) * derivative(activations[-1], o) for o, t in zip(output, y)]
                ]
            for layer in range(len(weights) - 1, 0, -1):
                below = zs[layer]
                deltas.insert(0, [
                    sum(weights[layer][j][k + 1] * deltas[0][j] for j in range(len(deltas[0])))
                    * derivative(activations[layer - 1], below[k])
                    for k in range(len(below))
                ])  # fmt: skip
            if on_sample:
                on_sample(epoch, sample, zs, deltas)
            for layer, matrix in enumerate(weights):
                inputs = [1.0] + zs[layer]
                for j, row in enumerate(matrix):
                    for k in range(len(row)):
                        row[k] -= learning_rate * inputs[k] * deltas[layer][j]
    return weights


# -- optimizers, batches and frozen weights ------------------------------------------------------
# Written from torch.optim's documented algorithms (SGD with momentum and Nesterov, Adam,
# AdamW), one weight at a time with plain floats: torch's update order, Python's own ** for
# β^t, math.fsum for sums. Agreement with backtrace is to within rounding.


def optimizer_step(kind, settings, lr, w, g, state):
    """One weight's update; `state` is this weight's dict, changed in place."""
    decay = settings.get("weight_decay", 0.0)
    if kind in ("gradient_descent", "momentum", "nesterov"):
        if decay:
            g = g + decay * w
        if kind == "gradient_descent":
            return w - lr * g
        mu = settings["momentum"]
        buffer = g if "velocity" not in state else mu * state["velocity"] + g
        state["velocity"] = buffer
        return w - lr * (g + mu * buffer if kind == "nesterov" else buffer)
    b1, b2, eps = settings["beta1"], settings["beta2"], settings["epsilon"]
    t = state["t"] = state.get("t", 0) + 1
    if kind == "adamw":
        w = w * (1 - lr * decay)
    elif decay:
        g = g + decay * w
    state["m"] = b1 * state.get("m", 0.0) + (1 - b1) * g
    state["v"] = b2 * state.get("v", 0.0) + (1 - b2) * g * g
    state["m_hat"] = state["m"] / (1 - b1**t)
    state["v_hat"] = state["v"] / (1 - b2**t)
    return w - lr * state["m_hat"] / (math.sqrt(state["v_hat"]) + eps)


def train_batches(
    weights, activations, loss, lr, data, epochs, batch, kind="gradient_descent",
    settings=None, frozen=(), on_step=None,
):  # fmt: skip
    """Mini-batch training with any of the optimizers above. `frozen` holds (layer, j, k)
    triples; `on_step(step, weights, states)` is called after each update."""
    settings = settings or {}
    weights = [[list(row) for row in matrix] for matrix in weights]
    states = {}
    step = 0
    for _ in range(epochs):
        for start in range(0, len(data), batch):
            chunk = data[start : start + batch]
            sums = [[[[] for _ in row] for row in matrix] for matrix in weights]
            for x, y in chunk:
                zs = [list(x)]
                for matrix, name in zip(weights, activations):
                    inputs = [1.0] + zs[-1]
                    zs.append([activate(name, math.fsum(w * z for w, z in zip(row, inputs)))
                               for row in matrix])  # fmt: skip
                output = zs[-1]
                scale = 1.0 if loss == "squared_error" else 2.0 / len(output)
                deltas = [[scale * (o - t) * derivative(activations[-1], o)
                           for o, t in zip(output, y)]]  # fmt: skip
                for layer in range(len(weights) - 1, 0, -1):
                    below = zs[layer]
                    deltas.insert(0, [
                        math.fsum(weights[layer][j][k + 1] * deltas[0][j]
                                  for j in range(len(deltas[0])))
                        * derivative(activations[layer - 1], below[k])
                        for k in range(len(below))
                    ])  # fmt: skip
                for layer, matrix in enumerate(weights):
                    inputs = [1.0] + zs[layer]
                    for j, row in enumerate(matrix):
                        for k in range(len(row)):
                            sums[layer][j][k].append(inputs[k] * deltas[layer][j])
            step += 1
            for layer, matrix in enumerate(weights):
                for j, row in enumerate(matrix):
                    for k in range(len(row)):
                        if (layer, j, k) in frozen:
                            continue
                        g = math.fsum(sums[layer][j][k]) / len(chunk)
                        state = states.setdefault((layer, j, k), {})
                        row[k] = optimizer_step(kind, settings, lr, row[k], g, state)
            if on_step:
                on_step(step, weights, states)
    return weights
