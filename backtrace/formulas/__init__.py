"""The mathematics, one registry entry per function: activations and losses (and, later,
optimizers), each declaring its config name, its arithmetic and the formula the trace prints.

Nothing here reads configs, prints or knows about records; the config layer reads these
registries to validate names and pairings, the engine to compute, the renderers to print.
"""

from backtrace.formulas.activations import ACTIVATIONS, Activation
from backtrace.formulas.losses import LOSSES, Loss

__all__ = ["ACTIVATIONS", "LOSSES", "Activation", "Loss"]
