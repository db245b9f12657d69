"""The runnable scenarios; each module has ``main(argv)`` and ``cli(argv)``."""
