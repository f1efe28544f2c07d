"""The export engine, below the blueprints: what the research pages, the API and the CLI
share to hand out a wave's microdata and a snapshot's methodology.

* :mod:`.codebook`: the exported variables and their labels in kk, ru and en;
* :mod:`.microdata`: the rows of a weight run, chunk by chunk;
* :mod:`.writers`: the CSV, Excel, SPSS and Stata files;
* :mod:`.methodology`: the methodology report of a snapshot;
* :mod:`.archive`: the zip of a data file, codebook, methodology report and README;
* :mod:`.workflow`: :func:`~.workflow.export_microdata`, the one export workflow.

No module here imports a blueprint: they run with a session passed in, without a request.
"""
