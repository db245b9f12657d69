"""The authenticated envelope and the sealing codec, without any network.

    container A --seal(key, A->B, counter n)--> container B: accepted once
                                            --> container C: refused (bound to B)
    outsider (another key, junk, replays)   --> refused, never raised
"""

from __future__ import annotations

import hmac
import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st
from mango import Agent
from mango.messages.codecs import SerializationError

from mosaik_components.mas.model.flexibility import Flex, UnitState
from mosaik_components.mas.protocol.envelope import (
    ANY_RECEIVER,
    EnvelopeError,
    Header,
    ReplayWindow,
    derive_key,
    new_secret,
    seal,
    unseal,
)
from mosaik_components.mas.protocol.messages import FlexReport
from mosaik_components.mas.runtime.compat import MangoMessage
from mosaik_components.mas.runtime.transport import (
    TcpTransport,
    TransportConfig,
    create_container,
)
from mosaik_components.mas.runtime.transport.security import (
    BOUND,
    FROM_CID,
    TO,
    TO_CID,
    Dropped,
    Session,
)

KEY = derive_key(b"k" * 32)
HEADER = Header("aa", ["127.0.0.1", 5000], "agent0", "bb", "agent1", 1)


def test_seal_and_unseal_round_trip():
    header, body = unseal(KEY, seal(KEY, HEADER, b'{"x": 1}'))
    assert header == Header("aa", ("127.0.0.1", 5000), "agent0", "bb", "agent1", 1)
    assert body == b'{"x": 1}'


@pytest.mark.parametrize("position", [0, 5, 40, 45, 60, -1])
def test_any_flipped_byte_is_refused(position):
    frame = bytearray(seal(KEY, HEADER, b'{"x": 1}'))
    frame[position] ^= 0x01
    with pytest.raises(EnvelopeError):
        unseal(KEY, bytes(frame))


@pytest.mark.parametrize("frame", [b"", b"{not json", b"MSC1" + b"\0" * 10,
                                   b"MSC1" + b"\0" * 40])
def test_junk_is_refused(frame):
    with pytest.raises(EnvelopeError):
        unseal(KEY, frame)


def test_another_runs_key_is_refused():
    with pytest.raises(EnvelopeError, match="bad tag"):
        unseal(KEY, seal(derive_key(new_secret()), HEADER, b"{}"))


def test_a_short_secret_is_refused():
    with pytest.raises(ValueError, match="at least 16 bytes"):
        derive_key(b"short")


def test_malformed_headers_are_refused_even_when_authentic():
    for fields in ([1, 2], ["a", {"x": 1}, "s", "b", "r", 1], ["a", ["h", 1], "s", "b", "r", 0],
                   ["a", ["h", 1], "s", "b", "r", True], ["a", ["h", 1], 3, "b", "r", 1]):
        head = str(fields).replace("'", '"').replace("True", "true").encode()
        frame = seal(KEY, HEADER, b"{}")
        # a hand-made header, tagged under the right key
        signed = struct.pack("!H", len(head)) + head + b"{}"
        forged = frame[:4] + hmac.digest(KEY, signed, "sha256") + signed
        with pytest.raises(EnvelopeError):
            unseal(KEY, forged)


def reference_accepts(counters: list[int], size: int) -> list[bool]:
    """The window's contract, written plainly: first time, and not too old."""
    seen: set[int] = set()
    highest = 0
    answers = []
    for n in counters:
        ok = n not in seen and n > highest - size
        answers.append(ok)
        if ok:
            seen.add(n)
            highest = max(highest, n)
    return answers


@given(st.lists(st.integers(1, 300), max_size=200), st.sampled_from([1, 8, 64]))
def test_replay_window_accepts_each_counter_once_within_the_window(counters, size):
    window = ReplayWindow(size)
    assert [window.accept(n) for n in counters] == reference_accepts(counters, size)


class Pair:
    """Three containers of one session (not started: no sockets), A sends to B."""

    def __init__(self, session: Session | None = None) -> None:
        self.session = session or Session()
        self.codecs = {}
        for name, port in (("A", 5001), ("B", 5002), ("C", 5003)):
            container = create_container(TransportConfig(TcpTransport("127.0.0.1", port)), 0,
                                         self.session)
            for _ in range(2):  # agent0, agent1
                container.register(Agent())
            self.codecs[name] = container.codec

    def frame(self, content=None, **meta):
        meta = {"sender_id": "agent0", "receiver_id": "agent1", TO: ("127.0.0.1", 5002),
                **meta}
        return self.codecs["A"].encode(MangoMessage(content or REPORT, meta))


REPORT = FlexReport(3, UnitState(Flex(1.0, 0.0, 2.0)))


def test_a_sealed_message_arrives_once_with_meta_from_the_envelope():
    pair = Pair()
    frame = pair.frame()
    message = pair.codecs["B"].decode(frame)
    content, meta = message.split_content_and_meta()
    assert content == REPORT
    assert meta == {"sender_id": "agent0", "sender_addr": ("127.0.0.1", 5001),
                    "receiver_id": "agent1", BOUND: True, FROM_CID: pair.codecs["A"].cid}
    replay = pair.codecs["B"].decode(frame).content
    assert type(replay) is Dropped and "replayed" in replay.reason
    elsewhere = pair.codecs["C"].decode(frame).content
    assert type(elsewhere) is Dropped and "another container" in elsewhere.reason


def test_refusals_are_markers_never_exceptions():
    pair = Pair()
    codec = pair.codecs["B"]
    for frame in (b"{not json", b"\xff" * 100, bytes(70), Pair().frame()):
        assert type(codec.decode(frame).content) is Dropped


def test_the_frame_limit_applies_both_ways():
    pair = Pair(Session(max_frame=2048))
    with pytest.raises(SerializationError, match="exceeds max_frame=2048"):
        pair.frame(FlexReport(1, "x" * 4096))
    assert "exceeds max_frame" in pair.codecs["B"].decode(b"x" * 4096).content.reason


def test_an_unknown_destination_is_refused_at_the_sender():
    pair = Pair()
    with pytest.raises(SerializationError, match="not part of this run"):
        pair.frame(**{TO: ("127.0.0.1", 9)})


def test_a_first_contact_is_accepted_unbound():
    pair = Pair()
    message = pair.codecs["B"].decode(pair.frame(**{TO_CID: ANY_RECEIVER}))
    assert message.meta[BOUND] is False


def test_an_authentic_message_for_no_agent_here_is_refused():
    pair = Pair()
    dropped = pair.codecs["B"].decode(pair.frame(receiver_id="agent7")).content
    assert type(dropped) is Dropped and "no agent 'agent7' here" in dropped.reason
