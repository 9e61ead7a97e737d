"""The conformance report and the exhaustive float32 sweep.

One module per role:

- :mod:`~properties.report.inputs` -- the report's seeded input sets;
- :mod:`~properties.report.fastref` -- certified float64 reference for float32 inputs;
- :mod:`~properties.report.implementations` -- the target's variants and the peers;
- :mod:`~properties.report.stats` -- mergeable accuracy statistics;
- :mod:`~properties.report.measure` -- statistics on the report's inputs;
- :mod:`~properties.report.sweep` -- every float32 input, sharded and chunked;
- :mod:`~properties.report.render` -- table, markdown, JSON and the plot;
- :mod:`~properties.report.cli` -- the command line (``python -m properties``).
"""
