"""massca's unit simulators for mosaik.

Weather and load-profile sources (with forecasts over a horizon, :mod:`.forecasts`),
flexible loads, curtailable loads, deferrable (shiftable) loads, wind turbines (WECS), PV
on pvlib, and battery storage.

Every unit simulator follows one convention so the MAS can steer it within a mosaik step:

* it is ``hybrid``: time-based on its data, and triggered by its setpoint inputs;
* a setpoint arriving at the same time as the step's data changes that step's power:
  ``scale_factor`` is an additive MW change in the unit's own direction (production for
  generators, consumption for loads, net power for storage), ``P_set[MW]`` an absolute
  net power (generation positive); a unit cannot leave its band, and any part of a
  setpoint it cannot follow is reported in ``limited[MW]``;
* it publishes its band in MASSCA style (``current``/``min``/``max``, magnitudes in its
  own direction) and as net power (``P[MW]``, ``P_min[MW]``, ``P_max[MW]``), plus
  ``P_gen[MW]``/``P_load[MW]`` for mosaik-pandapower-2's bus inputs;
* it publishes ``flex``, its flexibility over the simulator's ``horizon`` (a
  :class:`~mosaik_components.mas.model.HorizonFlex` in plain form: bands per interval,
  energy limits, costs; :mod:`.unitflex`), for the agents' look-ahead strategies.
"""
