import pytest

from mosaik_components.mas.model.errors import ConfigError
from mosaik_components.mas.mosaik.config import parse_config, resolve
from mosaik_components.mas.strategies.balance import BalanceStrategy


def test_defaults_are_safe():
    config = parse_config({})
    assert config.transport.host == "127.0.0.1" and config.transport.port == 0
    assert config.transport.containers == 1 and config.transport.transport == "tcp"
    assert isinstance(config.strategy, BalanceStrategy)
    assert not config.massca_mode


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"timeout": 0}, "timeout must be finite and > 0, got 0"),
        ({"timeout": "5"}, "timeout must be a number, got '5'"),
        ({"tolerance": -1.0}, "tolerance must be finite and > 0, got -1.0"),
        ({"max_iterations": 0}, "max_iterations must be finite and >= 1, got 0"),
        ({"max_iterations": 2.5}, "max_iterations must be an integer, got 2.5"),
        ({"port": 70000}, r"port must be <= 65535 \(port \+ containers - 1\), got 70000"),
        ({"port": 65535, "containers": 2}, r"port must be <= 65535 .*got 65535"),
        ({"containers": 0}, "containers must be finite and >= 1, got 0"),
        ({"containers": 65}, r"containers must be <= 64 .*got 65"),
        ({"processes": 1}, "processes must be True or False, got 1"),
        ({"workers": "127.0.0.1:5"}, "workers must be a list of 'host:port'"),
        ({"workers": ["127.0.0.1"]}, r"workers\[0\] must be 'host:port', got '127.0.0.1'"),
        ({"workers": ["10.0.0.1:5"]}, r"workers\[0\] '10.0.0.1:5' is not loopback"),
        ({"processes": True, "transport": "mqtt"}, "worker processes talk TCP"),
        ({"processes": True, "workers": ["127.0.0.1:5"]}, "give either processes=True"),
        ({"processes": True, "strategy": BalanceStrategy()}, "with worker processes the "
                                                              "strategy must be a name"),
        ({"transport": "udp"}, "transport must be 'tcp' or 'mqtt', got 'udp'"),
        ({"broker": "localhost"}, "broker must be 'host:port', got 'localhost'"),
        ({"broker": "10.1.2.3:1883"}, "broker '10.1.2.3' is not loopback"),
        ({"topic": "a/#"}, "topic must be a non-empty MQTT topic without wildcards"),
        ({"host": "0.0.0.0"}, "host '0.0.0.0' is not loopback: .* set allow_remote=True"),
        ({"allow_remote": "yes"}, "allow_remote must be True or False, got 'yes'"),
        ({"port": True}, "port must be an integer, got True"),
        ({"host": ""}, "host must be a non-empty string"),
        ({"performance": "yes"}, "performance must be True or False, got 'yes'"),
        ({"strategy": "nope"}, "strategy: unknown name 'nope'"),
        ({"within_cell": "greedy"}, r"within_cell must be one of \['balance', 'cohda', "
                                    r"'default', 'strategy'\], got 'greedy'"),
        ({"between_cells": None}, "between_cells must be one of"),
        ({"cohda": {"levels": 1}}, "cohda.levels must be finite and >= 2, got 1"),
        ({"cohda": {"rewire": 1.5}}, "cohda.rewire must be <= 1, got 1.5"),
        ({"cohda": {"neighbors": 4}}, r"cohda: unknown key\(s\) \['neighbors'\]"),
        ({"cohda": [4]}, "cohda must be a dict"),
        ({"seed": -1}, "seed must be an integer >= 0, got -1"),
        ({"within_cell": "cohda", "execute_method": "tests.simulators.massca_methods:"
          "execute_method"}, "within_cell/between_cells 'cohda' works with typed strategies"),
        ({"strategy": "json:nothing"}, "strategy: module 'json' has no 'nothing'"),
        ({"strategy": "no_such_module_x:Y"}, "cannot import module 'no_such_module_x'"),
        ({"strategy": "json:dumps"}, "lacks aggregate/decide/split/name"),
        ({"surplus_priority": "maybe"}, "surplus_priority must be 'consume' or 'curtail'"),
        ({"bogus": 1}, r"unknown parameter\(s\) \['bogus'\]"),
        ({"execute_method": 3}, "execute_method must be callable"),
        ({"input_method": "os.path"}, "expected 'package.module:name'"),
        ({"states_agg_method": len, "aggregation_method": len}, "either 'states_agg_method'"),
        ({"META": {"models": {}}}, "META must look like MASSCA's"),
        ({"state_dict": [1]}, "state_dict must be a dict"),
        ({"step_size": 0}, "step_size must be finite and > 0, got 0"),
    ],
)
def test_bad_parameters_name_field_and_value(params, message):
    with pytest.raises(ConfigError, match=message):
        parse_config(params)


def test_massca_mode_passes_user_parameters_and_maps_legacy_names():
    config = parse_config({"execute_method": "json:dumps", "between-cells": "default",
                           "convegence_max_steps": 4, "verbose": 1})
    assert config.massca_mode
    assert config.max_iterations == 4
    assert config.user_params == {"verbose": 1, "between-cells": "default"}


def test_resolve_passes_objects_through():
    assert resolve(len, "x") is len
