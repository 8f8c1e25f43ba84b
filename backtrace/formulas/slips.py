"""The classic slips of hand-worked backpropagation, reproducible on purpose.

A teacher shows the wrong way beside the right one by naming a slip in a config's `slips:`
list. Each entry declares its name, the one-line account every trace prints (so no reader
takes the slip for the method), and the losses it makes sense for. The engine reads the
flags; `round_as_you_go` takes a number of decimals and is written `{round_as_you_go: 3}`.
"""

from __future__ import annotations

from backtrace.frozen import frozen

SQUARED_ERRORS = ("squared_error", "sum_squared_error", "mean_squared_error")


@frozen
class Slip:
    name: str
    account: str  # what the trace says it does, after "Slip on purpose: "
    losses: tuple[str, ...] | None = None  # the losses it applies to; None: any


SLIPS: dict[str, Slip] = {
    slip.name: slip
    for slip in (
        Slip(
            "stale_weights",
            "the hidden units' deltas are taken through the next layer's weights as already "
            "updated in this step, not the weights the forward pass used (the slip behind "
            "Mazur's 0.291027924)",
        ),
        Slip(
            "flipped_error_sign",
            "the output error is taken as y - ŷ instead of ŷ - y, and the update still "
            "subtracts α·J'(W), so every step climbs the loss (the article's slip)",
            SQUARED_ERRORS,
        ),
        Slip(
            "half_dropped_from_loss",
            "the loss is written Σ (ŷ - y)² without its ½, while the delta keeps the ½'s "
            "gradient ŷ - y, so the printed loss is twice the one being descended",
            ("squared_error",),
        ),
        Slip(
            "half_dropped_from_gradient",
            "the loss keeps its ½, but its derivative is taken as 2·(ŷ - y), as if the ½ were "
            "not there, so every delta and update is twice the true one",
            ("squared_error",),
        ),
        Slip(
            "round_as_you_go",
            "every value the trace shows (h, z, f'(h), the loss, δ, J', the new weights) is "
            "rounded to {digits} decimals, half up, as it is computed, as a person with a "
            "calculator does; the last note shows how far that drifts",
        ),
    )
}


@frozen
class Slips:
    """The slips a run makes, as the engine reads them."""

    names: tuple[str, ...] = ()
    decimals: int | None = None  # round_as_you_go's

    def __contains__(self, name: str) -> bool:
        return name in self.names

    def accounts(self) -> list[str]:
        """One sentence per slip, as the trace prints it."""
        return [
            "Slip on purpose: " + SLIPS[name].account.format(digits=self.decimals)
            for name in self.names
        ]
