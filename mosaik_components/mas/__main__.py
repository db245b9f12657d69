"""``python -m mosaik_components.mas HOST:PORT``: the MAS as a mosaik ``cmd`` simulator."""

from . import main

main()
