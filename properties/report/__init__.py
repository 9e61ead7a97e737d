"""The conformance report (``python -m properties``), one pipeline for every registered op.

One module per role:

- :mod:`~properties.report.implementations` -- per op, the target's rules and the peers';
- :mod:`~properties.report.inputs` -- the seeded inputs, one builder per arity;
- :mod:`~properties.report.measure` -- rows of :class:`properties.classify.Stats`;
- :mod:`~properties.report.render` -- tables, markdown, JSON and the plot;
- :mod:`~properties.report.cli` -- the command line: parse, measure or sweep, render.

The judgement (:mod:`properties.classify`), the fast reference
(:mod:`properties.fastref`) and the exhaustive sweep (:mod:`properties.sweep`)
live below, shared with the suite.
"""
