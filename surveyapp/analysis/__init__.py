"""The pure analysis library: weighting, estimation, small areas, scoring, the indicator.

Arrays and DataFrames in, dataclasses out; no Flask, no SQLAlchemy (a test
enforces it). ``surveyapp.pipeline`` is the only glue between the database and
this package. The methodology is written up in ``docs/methodology.md``.
"""
