import numpy as np
import pytest

from mosaik_components.mas.model.errors import ConfigError
from mosaik_components.mas.mosaik.config import parse_config, resolve
from mosaik_components.mas.runtime.transport import TcpTransport
from mosaik_components.mas.strategies.balance import BalanceStrategy


def test_defaults_are_safe():
    config = parse_config({})
    assert config.transport.transport == TcpTransport("127.0.0.1", 0)
    assert config.transport.containers == 1 and config.transport.transport.name == "tcp"
    assert isinstance(config.strategy, BalanceStrategy)
    assert not config.massca_mode


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"timeout": 0}, "timeout: input should be greater than 0, got 0"),
        ({"timeout": "5"}, "timeout: input should be a valid number, got '5'"),
        ({"tolerance": -1.0}, "tolerance: input should be greater than 0, got -1.0"),
        ({"max_iterations": 0},
         "max_iterations: input should be greater than or equal to 1, got 0"),
        ({"max_iterations": 2.5}, "max_iterations: input should be a valid integer, got 2.5"),
        ({"port": 70000}, r"port must be an integer in 0..65535, got 70000"),
        ({"port": 65535, "containers": 2},
         r"port \+ containers - 1 must be <= 65535, got port=65535"),
        ({"containers": 0}, "containers: input should be greater than or equal to 1, got 0"),
        ({"containers": 65}, "containers: input should be less than or equal to 64, got 65"),
        ({"processes": 1}, "processes: input should be a valid boolean, got 1"),
        ({"workers": "127.0.0.1:5"}, "workers: input should be a valid list, got '127.0.0.1:5'"),
        ({"workers": ["127.0.0.1"]}, r"workers\[0\] must be 'host:port', got '127.0.0.1'"),
        ({"workers": ["10.0.0.1:5"]}, "'10.0.0.1' is not loopback: .* allow_remote=True"),
        ({"processes": True, "transport": "mqtt"}, "worker processes talk TCP"),
        ({"processes": True, "workers": ["127.0.0.1:5"]}, "give either processes=True"),
        ({"processes": True, "strategy": BalanceStrategy()}, "with worker processes the "
                                                              "strategy must be a name"),
        ({"transport": "udp"}, r"transport must be one of \['mqtt', 'tcp'\], got 'udp'"),
        ({"broker": "localhost", "transport": "mqtt"},
         "broker must be 'host:port', got 'localhost'"),
        ({"broker": "10.1.2.3:1883", "transport": "mqtt"}, "'10.1.2.3' is not loopback"),
        ({"topic": "a/#", "transport": "mqtt"},
         "topic must be a non-empty MQTT topic without wildcards"),
        ({"broker": "127.0.0.1:1883"}, "broker is a parameter of transport 'mqtt', not of 'tcp'"),
        ({"host": "0.0.0.0"}, "'0.0.0.0' is not loopback: .*allow_remote=True"),
        ({"allow_remote": "yes"}, "allow_remote: input should be a valid boolean, got 'yes'"),
        ({"port": True}, "port must be an integer in 0..65535, got True"),
        ({"host": ""}, "host must be a non-empty string"),
        ({"performance": "yes"}, "performance: input should be a valid boolean, got 'yes'"),
        ({"strategy": "nope"}, "strategy: unknown name 'nope'"),
        ({"within_cell": "greedy"}, r"within_cell must be one of \['balance', 'cohda', "
                                    r"'default', 'strategy'\], got 'greedy'"),
        ({"between_cells": None}, "between_cells: input should be a valid string, got None"),
        ({"cohda": {"levels": 1}},
         "cohda.levels: input should be greater than or equal to 2, got 1"),
        ({"cohda": {"rewire": 1.5}},
         "cohda.rewire: input should be less than or equal to 1, got 1.5"),
        ({"cohda": {"neighbors": 4}}, "unknown parameter 'cohda.neighbors'"),
        ({"cohda": [4]}, r"cohda: input should be a valid dictionary .*got \[4\]"),
        ({"seed": -1}, "seed: input should be greater than or equal to 0, got -1"),
        ({"within_cell": "cohda", "execute_method": "tests.simulators.massca_methods:"
          "execute_method"}, "within_cell/between_cells negotiations work with typed strategies"),
        ({"strategy": "json:nothing"}, "strategy: module 'json' has no 'nothing'"),
        ({"strategy": "no_such_module_x:Y"}, "cannot import module 'no_such_module_x'"),
        ({"strategy": "json:dumps"}, "lacks aggregate/decide/split/name"),
        ({"surplus_priority": "maybe"}, "surplus_priority: input should be 'consume' or 'curtail'"),
        ({"bogus": 1}, r"unknown parameter\(s\) \['bogus'\]"),
        ({"execute_method": 3}, "execute_method must be callable"),
        ({"input_method": "os.path"}, "expected 'package.module:name'"),
        ({"states_agg_method": len, "aggregation_method": len}, "either 'states_agg_method'"),
        ({"META": {"models": {}}}, "META must look like MASSCA's"),
        ({"state_dict": [1]}, r"state_dict: input should be a valid dictionary, got \[1\]"),
        ({"step_size": 0}, "step_size: input should be greater than 0, got 0"),
    ],
)
def test_bad_parameters_name_field_and_value(params, message):
    with pytest.raises(ConfigError, match=message):
        parse_config(params)


def test_massca_mode_passes_user_parameters_and_maps_legacy_names():
    config = parse_config({"execute_method": "json:dumps", "between-cells": "default",
                           "convegence_max_steps": 4, "verbose": 1})
    assert config.massca_mode
    assert config.params.max_iterations == 4
    assert config.user_params == {"verbose": 1, "between-cells": "default"}


def test_resolve_passes_objects_through():
    assert resolve(len, "x") is len


def test_numpy_scalars_are_numbers():
    config = parse_config({"timeout": np.float32(5), "max_iterations": np.int64(3)})
    assert config.params.timeout == 5.0 and config.params.max_iterations == 3
