"""Benchmark: what authenticating every message between containers costs.

Two parts (prints tables; measures, asserts nothing):

1. **Per frame**: encode + decode of typical frames with mango's plain JSON codec and with
   massca's sealing codec (JSON inside an HMAC-SHA256 envelope, receiver-bound, replay
   window), in one process.
2. **Per cycle**: ``bench_cycle.py --one`` (the MAS runtime, balance, no grid) with this
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
    from mosaik_components.mas.protocol.codec import pack_state
    from mosaik_components.mas.protocol.messages import CycleStart, FlexReport, Instruction
    from mosaik_components.mas.runtime.transport import Batch

    state = UnitState(Flex(1.25, 0.0, 2.5), Flex(0.75, 0.5, 1.0))
    return {
        "batch, 1 report": Batch([["agent3", "agent0", FlexReport(7, state)]]),
        "batch, 50 instructions": Batch([["agent0", f"agent{i}", Instruction(7, Target(1, 2))]
                                         for i in range(50)]),
        "cycle start, 1,000 units": Batch([["massca_link", "massca_host", CycleStart(
            7, 900, 0, [pack_state(state)] * 1000)]]),
        "cycle start, 7,500 units": Batch([["massca_link", "massca_host", CycleStart(
            7, 900, 0, [pack_state(state)] * 7500)]]),
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
        items = len(content.items[0][2].states) if "units" in name else len(content.items)
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
    if args.baseline is not None:
        per_cycle(args.baseline.resolve(), args.cells, args.cycles, args.rounds)


if __name__ == "__main__":
    main()
