"""Benchmark: what authenticating every message between containers costs.

Two parts (prints tables; measures, asserts nothing):

1. **Per frame**: encode + decode of typical frames with mango's plain JSON codec and with
   massca's sealing codec (JSON inside an HMAC-SHA256 envelope, receiver-bound, replay
   window), in one process.
2. **Per cycle, interleaved**: one MAS runtime with two containers in this process (TCP on
   loopback) alternates, cycle by cycle, between the sealing codec and a plain one (the
   same JSON, no envelope), so load from elsewhere hits both alike; medians per variant.
3. **Per cycle, A/B**: ``bench_cycle.py --one`` (the MAS runtime, balance, no grid) with this
   checkout and with a baseline checkout without authentication (``--baseline DIR``, e.g.
   a worktree of the commit before it), alternating A/B rounds so machine noise hits
   both alike; one container (nothing is sealed: the same-container fast path), two
   containers in one process (TCP on loopback), two containers with a worker process::

    python scalability/bench_auth.py --baseline ../main --cells 50 517 --rounds 3
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import timeit
from pathlib import Path

HERE = Path(__file__).resolve().parent
MODES = {"1 container": [], "2 containers": ["--containers", "2"],
         "2 containers, worker process": ["--containers", "2", "--processes"]}


def frames() -> dict[str, object]:
    """Typical contents of one frame between containers."""
    from mosaik_components.mas.model.flexibility import Flex, Target, UnitState
    from mosaik_components.mas.protocol.columns import pack_states
    from mosaik_components.mas.protocol.messages import CycleStart, FlexReport, Instruction
    from mosaik_components.mas.runtime.transport import Batch

    state = UnitState(Flex(1.25, 0.0, 2.5), Flex(0.75, 0.5, 1.0))
    return {
        "batch, 1 report": Batch([["agent3", "agent0", FlexReport(7, state)]]),
        "batch, 50 instructions": Batch([["agent0", f"agent{i}", Instruction(7, Target(1, 2))]
                                         for i in range(50)]),
        "cycle start, 1,000 units": Batch([["massca_link", "massca_host", CycleStart(
            7, 900, 0, pack_states([state] * 1000))]]),
        "cycle start, 7,500 units": Batch([["massca_link", "massca_host", CycleStart(
            7, 900, 0, pack_states([state] * 7500))]]),
    }


def per_frame(repeat: int) -> None:
    from mango.messages.codecs import JSON

    from mosaik_components.mas.protocol.codec import make_codec
    from mosaik_components.mas.runtime.compat import MangoMessage
    from mosaik_components.mas.runtime.transport import (
        Batch,
        Session,
        TcpTransport,
        TransportConfig,
        create_container,
    )
    from mosaik_components.mas.runtime.transport.security import TO

    plain = make_codec(JSON())
    plain.add_serializer(*Batch.__serializer__())
    session = Session()  # two containers, not started (no sockets)
    sender, receiver = (create_container(TransportConfig(TcpTransport("127.0.0.1", port)), 0,
                                         session).codec for port in (5001, 5002))
    meta = {"sender_id": "massca_dispatch", "sender_addr": ("127.0.0.1", 5001),
            "receiver_id": "massca_dispatch", TO: ("127.0.0.1", 5002)}
    print(f"{'frame':28s} {'bytes':>9s} {'+env':>5s} {'plain us':>9s} {'sealed us':>10s} "
          f"{'extra us':>9s} {'extra/item us':>13s}")
    for name, content in frames().items():
        message = MangoMessage(content, meta)
        items = content.items[0][2].states["n"] if "units" in name else len(content.items)
        n = max(1, repeat // items)
        data, sealed = plain.encode(message), sender.encode(message)

        def plain_trip(message: MangoMessage = message) -> None:
            plain.decode(plain.encode(message))

        def sealed_trip(message: MangoMessage = message) -> None:
            receiver.windows.clear()  # the same counter again would be a replay
            sender.counter -= 1
            assert type(receiver.decode(sender.encode(message)).content).__name__ == "Batch"

        # best of 7 alternating trials: the least disturbed by other load
        t_plain = t_sealed = float("inf")
        for _ in range(7):
            t_plain = min(t_plain, timeit.timeit(plain_trip, number=n) / n)
            t_sealed = min(t_sealed, timeit.timeit(sealed_trip, number=n) / n)
        extra = t_sealed - t_plain
        print(f"{name:28s} {len(data):9,d} {len(sealed) - len(data):5d} {1e6 * t_plain:9.1f} "
              f"{1e6 * t_sealed:10.1f} {1e6 * extra:9.1f} {1e6 * extra / items:13.2f}")


def _plain_codec_methods() -> tuple:
    """encode/decode without the envelope (what mango does), for the interleaved A/B."""
    from mosaik_components.mas.runtime.compat import MangoMessage
    from mosaik_components.mas.runtime.transport.security import BOUND

    def encode(self, data):  # noqa: ANN001, ANN202
        content, meta = data.split_content_and_meta()
        plain = {k: v for k, v in meta.items() if not k.startswith("massca_")}
        return self.inner.encode(MangoMessage(content, plain))

    def decode(self, data):  # noqa: ANN001, ANN202
        message = self.inner.decode(data)
        message.meta[BOUND] = True
        if isinstance(message.meta.get("sender_addr"), list):
            message.meta["sender_addr"] = tuple(message.meta["sender_addr"])
        return message

    return encode, decode


def interleaved(cells: list[int], cycles: int) -> None:
    import asyncio

    sys.path.insert(0, str(HERE))
    from bench_cycle import build

    from mosaik_components.mas.runtime.runtime import CycleInput, MasRuntime
    from mosaik_components.mas.runtime.transport import SealedCodec, TransportConfig
    from mosaik_components.mas.strategies import BalanceStrategy
    from mosaik_components.mas.strategies.coordination import StrategyCoordination

    sealed = (SealedCodec.encode, SealedCodec.decode)
    plain = _plain_codec_methods()

    async def run(n: int) -> tuple[int, list[float], list[float], int]:
        tree, states = build(n, 1, 1)
        runtime = MasRuntime(StrategyCoordination(BalanceStrategy()), timeout=600,
                             transport=TransportConfig(containers=2))
        await runtime.start()
        runtime.build(tree)
        await runtime.attach()
        times: dict[bool, list[float]] = {True: [], False: []}
        try:
            for cycle in range(2 * cycles + 2):
                on = cycle % 2 == 0
                SealedCodec.encode, SealedCodec.decode = sealed if on else plain
                report = await runtime.run_cycle(CycleInput(900 * cycle, 0, states))
                if cycle >= 2:  # the first of each warms up
                    times[on].append(1000 * report.seconds)
        finally:
            SealedCodec.encode, SealedCodec.decode = sealed
            runtime.close()
            await asyncio.sleep(0)
        return len(tree.nodes), times[False], times[True], report.rejected

    print(f"\n{'2 containers, interleaved':30s} {'agents':>7s} {'plain ms':>9s} "
          f"{'sealed ms':>10s} {'ratio':>6s}   (medians over {cycles} cycles each)")
    for n in cells:
        agents, off, on, rejected = asyncio.run(run(n))
        assert rejected == 0
        m_off, m_on = statistics.median(off), statistics.median(on)
        print(f"{'':30s} {agents:7,d} {m_off:9.1f} {m_on:10.1f} {m_on / m_off:6.2f}",
              flush=True)


def one_cycle_run(checkout: Path, cells: int, cycles: int, mode: list[str]) -> dict:
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    out = subprocess.run([sys.executable, str(checkout / "scalability" / "bench_cycle.py"),
                          "--one", str(cells), "1", "--cycles", str(cycles), *mode],
                         check=True, capture_output=True, text=True, env=env, cwd="/tmp")
    return json.loads(out.stdout.strip().splitlines()[-1])


def per_cycle(baseline: Path, cells: list[int], cycles: int, rounds: int) -> None:
    here = HERE.parent
    print(f"\n{'mode':30s} {'agents':>7s} {'baseline ms':>12s} {'sealed ms':>10s} "
          f"{'ratio':>6s}   (medians of per-round medians, {rounds} alternating rounds)")
    for name, mode in MODES.items():
        for n in cells:
            base, sealed, agents = [], [], 0
            for _ in range(rounds):
                a = one_cycle_run(baseline, n, cycles, mode)
                b = one_cycle_run(here, n, cycles, mode)
                base.append(a["cycle_ms_median"])
                sealed.append(b["cycle_ms_median"])
                agents = b["agents"]
            mb, ms = statistics.median(base), statistics.median(sealed)
            print(f"{name:30s} {agents:7,d} {mb:12.1f} {ms:10.1f} {ms / mb:6.2f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", type=Path, default=None,
                        help="a checkout without authentication, for the per-cycle A/B")
    parser.add_argument("--cells", type=int, nargs="+", default=[50, 517])
    parser.add_argument("--cycles", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=20_000,
                        help="items encoded per frame kind in the per-frame part")
    args = parser.parse_args()
    per_frame(args.repeat)
    interleaved(args.cells, args.cycles)
    if args.baseline is not None:
        per_cycle(args.baseline.resolve(), args.cells, args.cycles, args.rounds)


if __name__ == "__main__":
    main()
