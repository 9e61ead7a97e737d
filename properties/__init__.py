"""Property-based conformance suite for JAX custom differentiation rules.

Roles, one module each:

- :mod:`properties.target` -- load the implementation under test by name;
- :mod:`properties.evaluate` -- elementwise values and derivatives, jitted once per shape;
- :mod:`properties.ops` -- what each op is (its mpmath reference and regimes);
- :mod:`properties.budgets` -- the ULP budgets, in one table;
- :mod:`properties.strategies` -- Hypothesis strategies reaching the extremes;
- :mod:`properties.assertions` -- one checker per kind of property, one message pattern;
- :mod:`properties.plugin` -- the pytest plugin: options, header, summary;
- :mod:`properties.tests` -- the properties themselves.
"""
