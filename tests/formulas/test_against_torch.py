"""Where PyTorch is installed: every optimizer's weights after every step match torch.optim.

torch is not a dependency of backtrace; this test is skipped without it. It builds the same
2-3-1 sigmoid network in float64 (each bias column as a layer's bias), feeds the same batches
in the same order, and compares the weights after each step.
"""

from __future__ import annotations

import pytest

import backtrace
from backtrace.formulas.optimizers import OPTIMIZERS

torch = pytest.importorskip("torch", reason="PyTorch is not installed (it is optional)")

TORCH_OPTIMIZERS = {
    "gradient_descent": lambda params, lr, s: torch.optim.SGD(
        params, lr=lr, weight_decay=s["weight_decay"]
    ),
    "momentum": lambda params, lr, s: torch.optim.SGD(
        params, lr=lr, momentum=s["momentum"], weight_decay=s["weight_decay"]
    ),
    "nesterov": lambda params, lr, s: torch.optim.SGD(
        params, lr=lr, momentum=s["momentum"], nesterov=True, weight_decay=s["weight_decay"]
    ),
    "adam": lambda params, lr, s: torch.optim.Adam(
        params, lr=lr, betas=(s["beta1"], s["beta2"]), eps=s["epsilon"],
        weight_decay=s["weight_decay"],
    ),
    "adamw": lambda params, lr, s: torch.optim.AdamW(
        params, lr=lr, betas=(s["beta1"], s["beta2"]), eps=s["epsilon"],
        weight_decay=s["weight_decay"],
    ),
}  # fmt: skip


@pytest.mark.parametrize("kind", sorted(OPTIMIZERS))
@pytest.mark.parametrize("batch", [1, 2, "all"])
def test_weights_after_every_step_match_torch(kind: str, batch) -> None:
    settings = dict(OPTIMIZERS[kind].parameters)
    settings["weight_decay"] = 0.01
    changes = {
        "optimizer.name": kind,
        "optimizer.batch_size": batch,
        "optimizer.learning_rate": 0.5,
    }
    changes |= {f"optimizer.{name}": value for name, value in settings.items()}
    spec = backtrace.load("xor-sigmoid", changes, epochs=3)
    trace = backtrace.run(spec, trace="all")
    layers = spec.names.layers[1:]
    initial = next(r for r in trace.records if r.event == "weights").values
    start = dict(initial)
    parameters = []
    for layer in layers:
        matrix = torch.tensor([[start[name] for name in row] for row in layer.weights],
                              dtype=torch.float64)  # fmt: skip
        parameters += [
            matrix[:, 1:].clone().requires_grad_(),
            matrix[:, 0].clone().requires_grad_(),
        ]
    optimizer = TORCH_OPTIMIZERS[kind](parameters, 0.5, settings)
    x = torch.tensor(spec.inputs, dtype=torch.float64)
    y = torch.tensor(spec.targets, dtype=torch.float64)
    size = len(x) if batch == "all" else batch
    expected_by_step = {}
    step = 0
    for _ in range(3):
        for first in range(0, len(x), size):
            z = x[first : first + size]
            for index in range(0, len(parameters), 2):
                z = torch.sigmoid(z @ parameters[index].T + parameters[index + 1])
            loss = ((z - y[first : first + size]) ** 2).mean(dim=1).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            step += 1
            expected_by_step[step] = {
                name: float(torch.cat([parameters[2 * index + 1][j : j + 1].detach(),
                                       parameters[2 * index][j].detach()])[k])
                for index, layer in enumerate(layers)
                for j, row in enumerate(layer.weights)
                for k, name in enumerate(row)
            }  # fmt: skip
    updates = [r for r in trace if r.event == "update"]
    assert len(updates) == step * 13
    for record in updates:
        assert record.new == pytest.approx(expected_by_step[record.step][record.weight],
                                           rel=1e-10, abs=1e-13), (record.step, record.weight)  # fmt: skip
