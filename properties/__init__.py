"""Property-based conformance suite for JAX custom differentiation rules.

Roles, one module each, lower layers first (no module imports one above it):

- :mod:`properties.target` -- load the implementation under test by name;
- :mod:`properties.ops` -- what each op is (its mpmath reference and regimes);
- :mod:`properties.budgets` -- the ULP budgets, in one table;
- :mod:`properties.backend` -- what the JAX backend does (flushing subnormals);
- :mod:`properties.evaluate` -- elementwise values and derivatives, jitted once per shape;
- :mod:`properties.classify` -- the one judgement of results, and its statistics;
- :mod:`properties.fastref` -- certified fast float32 references (softplus);
- :mod:`properties.sweep` -- every float32 input, sharded and chunked;
- :mod:`properties.strategies` -- Hypothesis strategies reaching the extremes;
- :mod:`properties.ledger` -- the statistics of a whole run, for its closing table;
- :mod:`properties.assertions` -- one checker per kind of property, one message pattern;
- :mod:`properties.plugin` -- the pytest plugin: options, header, summary;
- :mod:`properties.tests` -- the properties themselves;
- :mod:`properties.check` -- :func:`check_rule`, the suite on one rule from any test;
- :mod:`properties.report` -- the conformance report, ``python -m properties``.
"""


def check_rule(rule, **kwargs):
    """The property suite on one rule, from any test: see :func:`properties.check.check_rule`."""
    from properties.check import check_rule as run  # imports pytest and JAX only when called

    return run(rule, **kwargs)
