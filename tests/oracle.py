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
