"""Scalability sweeps of the cells scenario (``massca sweep``)."""
