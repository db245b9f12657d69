"""mosaik layer."""
