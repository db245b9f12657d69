"""runtime/workers layer."""
