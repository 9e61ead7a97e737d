"""Peer implementations packaged as targets, so the harness can judge them too.

Each module maps the harness's conventional names onto someone else's
implementation. ``pytest --target properties.peers.jax_nn`` runs the whole suite
on ``jax.nn.softplus``.
"""
