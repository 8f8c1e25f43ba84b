"""Pictures of a network and its training: the diagram, loss curves and weight trajectories.

`diagram` and `curves` gather what a picture shows from a spec and a record stream;
`console`, `dot` and `figures` draw it (in the terminal, as Graphviz DOT, and through
matplotlib as SVG or PNG). matplotlib is optional: `figures.require_matplotlib` says how to
install it when a picture file is asked for without it.
"""
