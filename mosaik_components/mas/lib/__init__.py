"""MASSCA's ``mosaik_components.mas.lib`` for method files written for MASSCA (``lib.cohda``)."""
