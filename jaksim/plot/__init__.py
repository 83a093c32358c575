"""Figures drawn from existing results (no simulation inside plot code).

* :mod:`jaksim.plot.results` — time courses, dose-response with Hill fits and 2-D heatmaps of
  experiment results directories (``jaksim plot``).
* :mod:`jaksim.plot.network` — reaction-network diagrams.
* :mod:`jaksim.plot.selectivity` — JAK-inhibitor selectivity figures.
"""
