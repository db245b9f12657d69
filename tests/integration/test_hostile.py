"""A hostile neighbour against a running MAS: the results stay those of an undisturbed run.

    attacker (loopback, no secret) --raw TCP--> container 0 (core)   worker process 1
                                   --raw TCP------------------------> (cells 1, 3)
    attacker --MQTT (anonymous broker, sees every topic)--> two runs sharing the broker

Between cycles the attacker sends junk, truncated and oversized frames, floods, forged
and replayed messages (frames recorded from the run itself), and stranger control
messages (a setup naming the module ``this``, a shutdown) to the worker. Every cycle
after the attack must give the result of the first cycle, and ``rejected`` must count
every hostile frame exactly once (the worker's refusals reach the MAS with its next
report). Clients are bounded in time and size; everything stays on loopback.
"""

from __future__ import annotations

import asyncio
import subprocess

import psutil
import pytest
from mango import AgentAddress

from mosaik_components.mas.model.errors import TransportError
from mosaik_components.mas.model.flexibility import Flex, UnitState
from mosaik_components.mas.protocol.messages import (
    HOST_AID,
    CycleStart,
    FlexReport,
    Hello,
    SetupPart,
    Shutdown,
)
from mosaik_components.mas.runtime.compat import MangoMessage
from mosaik_components.mas.runtime.runtime import CycleInput, MasRuntime
from mosaik_components.mas.runtime.transport import (
    MqttTransport,
    Session,
    TransportConfig,
    close_container,
    create_container,
)
from mosaik_components.mas.runtime.transport.security import TO_CID
from mosaik_components.mas.strategies import BalanceStrategy
from mosaik_components.mas.strategies.coordination import StrategyCoordination
from tests.integration.brokers import Broker
from tests.integration.hostile import (
    MqttSpy,
    forged,
    prefixed,
    send_frames,
    send_oversized,
    send_raw,
)
from tests.integration.test_scale_out import four_cells

FLOOD = 1_000
STATE = UnitState(Flex(9.0, 0.0, 9.0))


def junk(addr) -> list[bytes]:
    """Frames that are not envelopes: not JSON, binary, a plain mango message."""
    return [b"{not json", bytes(range(256)) * 4,
            forged(FlexReport(1, STATE), {"sender_id": "agent0", "sender_addr": list(addr),
                                          "receiver_id": "agent0"})]


def strangers_setup() -> SetupPart:
    """A setup that would make the worker import the module ``this``."""
    return SetupPart(1, ["core", ["127.0.0.1", 1], "agent0"], [["x", "unit", None, []]],
                     {"strategy": "this:x"}, {}, [], {})


def strangers(worker) -> list[bytes]:
    """Control messages from a stranger: plain, and sealed under another run's key."""
    meta = {"sender_id": "agent0", "sender_addr": ["127.0.0.1", 1], "receiver_id": HOST_AID}
    setup = strangers_setup()
    plain = [forged(m, meta) for m in (setup, Shutdown("go away"), Hello(1),
                                       CycleStart(1, 0, 0, {}))]
    other = Session()  # another run: a valid envelope, the wrong key
    codec = create_container(TransportConfig(), 0, other).codec
    sealed = [codec.encode(MangoMessage(m, {"sender_id": "agent0", "receiver_id": HOST_AID,
                                            TO_CID: ""})) for m in (setup, Shutdown())]
    return plain + sealed


async def run_until_counted(runtime, states, expected_results, expected_rejected):
    """Cycles until every refusal is counted (the worker reports its own per cycle)."""
    report = None
    for _ in range(100):
        report = await runtime.run_cycle(CycleInput(0, 0, states))
        assert report.results == expected_results
        if report.rejected >= expected_rejected:
            break
        await asyncio.sleep(0.05)
    return report


def test_tcp_attacks_on_a_running_mas_and_its_worker():
    async def scenario():
        tree, states = four_cells()
        runtime = MasRuntime(StrategyCoordination(BalanceStrategy()), timeout=20,
                             transport=TransportConfig(containers=2, processes=True))
        await runtime.start()
        try:
            runtime.build(tree)
            await runtime.attach()
            codec = runtime.containers[0].codec
            recorded: list[bytes] = []
            encode = codec.encode
            codec.encode = lambda message: recorded.append(encode(message)) or recorded[-1]
            first = await runtime.run_cycle(CycleInput(0, 0, states))
            codec.encode = encode
            assert recorded, "the cycle sent frames to the worker"
            mas = runtime.containers[0].addr
            link = runtime.workers.links[1]
            worker = link.address
            rss = psutil.Process(link.process.pid).memory_info().rss
            # to the MAS
            hits = {"mas": 0, "worker": 0}
            for target, addr in (("mas", mas), ("worker", worker)):
                frames = junk(addr)
                await asyncio.to_thread(send_frames, addr, frames)
                await asyncio.to_thread(send_raw, addr, prefixed(b"x" * 10, announced=1000))
                sent = await asyncio.to_thread(send_oversized, addr, 0xFFFFFFFF, 256 << 20)
                assert sent < runtime.session.max_frame
                await asyncio.to_thread(send_frames, addr, [b"flood"] * FLOOD)
                hits[target] += len(frames) + 1 + 1 + FLOOD
            # recorded frames: replayed to the worker, misdirected to the MAS
            await asyncio.to_thread(send_frames, worker, recorded)
            await asyncio.to_thread(send_frames, mas, recorded)
            hits["worker"] += len(recorded)
            hits["mas"] += len(recorded)
            control = strangers(worker)
            await asyncio.to_thread(send_frames, worker, control)
            hits["worker"] += len(control)
            # a container of the run itself, but not the agent that set the worker up
            insider = create_container(TransportConfig(), 9, runtime.session)
            await insider.start()
            host = AgentAddress(worker, HOST_AID)
            for message in (Shutdown("not yours"), strangers_setup()):
                assert await insider.send_message(message, host, sender_id="agent0",
                                                   massca_to=worker)
            hits["worker"] += 2
            close_container(insider)
            grown = psutil.Process(link.process.pid).memory_info().rss - rss
            total = hits["mas"] + hits["worker"]
            report = await run_until_counted(runtime, states, first.results, total)
            alive = link.process.poll() is None
            return first, report, total, grown, alive
        finally:
            runtime.close()
            await asyncio.sleep(0.05)

    first, report, total, grown, alive = asyncio.run(scenario())
    assert alive  # the stranger's Shutdown was not obeyed
    assert report.rejected == total
    assert report.results == first.results
    assert grown < 32 << 20  # the 4 GiB frame was never buffered


@pytest.fixture
def broker(tmp_path):
    broker = Broker(tmp_path)
    broker.start()
    yield broker
    broker.stop()


def test_mqtt_junk_spoofs_replays_and_two_runs_on_one_broker(broker):
    """Two runs with the default topic share the broker; one of them is attacked."""
    spy = MqttSpy(broker.port, subscribe="massca/#")

    async def one_run(attacked: bool, done: asyncio.Event, attack_over: asyncio.Event):
        tree, states = four_cells()
        transport = TransportConfig(MqttTransport(("127.0.0.1", broker.port)), containers=2,
                                    max_frame=64 * 1024)
        runtime = MasRuntime(StrategyCoordination(BalanceStrategy()), timeout=20,
                             transport=transport)
        await runtime.start()
        try:
            runtime.build(tree)
            await runtime.attach()
            first = await runtime.run_cycle(CycleInput(0, 0, states))
            count = 0
            if attacked:
                await asyncio.sleep(0.3)  # the spy has recorded both runs' first cycles
                topics = [c.addr for c in runtime.containers]
                payloads = [b"{not json", b"\xff\xfe", b"x" * (100 * 1024),
                            forged(FlexReport(1, STATE), {"sender_id": "agent1",
                                                          "sender_addr": topics[1],
                                                          "receiver_id": "agent0"})]
                captured = [p for _, p in spy.captured() if p.startswith(b"MSC1")]
                assert captured, "the spy recorded sealed frames of both runs"
                for topic in topics:
                    for payload in payloads + captured + [b"flood"] * 200:
                        await asyncio.to_thread(spy.publish, topic, payload)
                        count += 1
                attack_over.set()
            else:
                await attack_over.wait()
            report = await run_until_counted(runtime, states, first.results, count)
            done.set()
            return first, report, count, runtime.session.run
        finally:
            runtime.close()
            await asyncio.sleep(0.05)

    async def both():
        done, over = asyncio.Event(), asyncio.Event()
        return await asyncio.gather(one_run(True, done, over), one_run(False, done, over))

    try:
        (first_a, report_a, count, run_a), (first_b, report_b, _, run_b) = asyncio.run(both())
    finally:
        spy.close()
    assert run_a != run_b
    assert report_a.results == first_a.results == first_b.results == report_b.results
    assert report_a.rejected == count
    assert report_b.rejected == 0  # the other run saw nothing of it


def tls_broker(tmp_path) -> tuple[Broker, dict]:
    """mosquitto with a password file and a TLS listener (a throw-away CA)."""
    def run(*command):
        subprocess.run(command, check=True, capture_output=True, cwd=tmp_path, timeout=60)

    ec = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes")
    run("openssl", "req", "-x509", *ec, "-days", "1",
        "-keyout", "ca.key", "-out", "ca.crt", "-subj", "/CN=massca test CA")
    run("openssl", "req", *ec, "-keyout", "server.key",
        "-out", "server.csr", "-subj", "/CN=127.0.0.1")
    (tmp_path / "san.ext").write_text("subjectAltName=IP:127.0.0.1\n")
    run("openssl", "x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
        "-CAcreateserial", "-out", "server.crt", "-days", "1", "-extfile", "san.ext")
    run("mosquitto_passwd", "-b", "-c", "passwd", "massca", "s3cret-pw")
    for name in ("ca.key", "server.key", "passwd"):
        (tmp_path / name).chmod(0o644)
    (tmp_path / "pw").write_text("s3cret-pw\n")
    (tmp_path / "wrong").write_text("guess\n")
    broker = Broker(tmp_path)
    port = broker.port
    broker.config.write_text(  # "user root": as root, keep reading the test's own files
        f"user root\nlistener {port} 127.0.0.1\nallow_anonymous false\n"
        f"password_file {tmp_path}/passwd\n"
        f"cafile {tmp_path}/ca.crt\ncertfile {tmp_path}/server.crt\n"
        f"keyfile {tmp_path}/server.key\npersistence false\n")
    broker.start()
    return broker, {"broker": f"127.0.0.1:{port}", "username": "massca",
                    "password_file": str(tmp_path / "pw"), "tls_ca": str(tmp_path / "ca.crt")}


def test_mqtt_with_a_password_over_tls(tmp_path):
    broker, params = tls_broker(tmp_path)

    async def one_cycle(overrides):
        tree, states = four_cells()
        transport = TransportConfig(MqttTransport.from_params({**params, **overrides}),
                                    containers=2)
        runtime = MasRuntime(StrategyCoordination(BalanceStrategy()), timeout=10,
                             transport=transport)
        try:
            await runtime.start()
            runtime.build(tree)
            await runtime.attach()
            return await runtime.run_cycle(CycleInput(0, 0, states))
        finally:
            runtime.close()
            await asyncio.sleep(0.05)

    try:
        report = asyncio.run(one_cycle({}))
        assert len(report.results) == 20
        with pytest.raises(TransportError, match="refused the connection: Not authorized"):
            asyncio.run(one_cycle({"password_file": str(tmp_path / "wrong")}))
        with pytest.raises(TransportError, match="could not start"):
            asyncio.run(one_cycle({"tls_ca": None}))  # no TLS against a TLS listener
    finally:
        broker.stop()
