"""The external event process: seeded arrivals, scheduled events, expiry."""

from mosaik_components.massca_market.core.config import EventSettings
from mosaik_components.massca_market.core.events import EventProcess

SETTINGS = EventSettings(rate_per_day=4.0)


def active_kinds(process, periods):
    return [[(e.kind, e.start) for e in process.active(p)] for p in periods]


def test_the_same_seed_gives_the_same_events_however_they_are_asked_for():
    a = active_kinds(EventProcess(SETTINGS, 900, 7), range(300))
    b = EventProcess(SETTINGS, 900, 7)
    b.active(299)  # draws every period up to 299 in order first
    assert a == active_kinds(b, range(300))
    assert a != active_kinds(EventProcess(SETTINGS, 900, 8), range(300))


def test_events_expire_after_their_ttl():
    process = EventProcess(SETTINGS, 900, 3)
    process.active(2000)
    for event in process.events:
        kind = SETTINGS.kinds[event.kind]
        assert (event.coef, event.ttl) == (kind.coef, kind.ttl)
        assert event in process.active(event.start)
        assert event in process.active(event.start + event.ttl - 1)
        assert event not in process.active(event.start + event.ttl)
        if event.start:
            assert event not in process.active(event.start - 1)


def test_arrivals_follow_the_rate():
    process = EventProcess(EventSettings(rate_per_day=4.0), 900, 11)
    process.active(96 * 100 - 1)  # 100 days
    assert 330 <= len(process.events) <= 470  # 400 expected, sd 20
    assert {e.kind for e in process.events} == set(SETTINGS.kinds)


def test_scheduled_events_and_no_random_ones_at_rate_zero():
    settings = EventSettings(rate_per_day=0.0, scheduled=[{"kind": "plant_outage",
                                                           "period": 5}])
    process = EventProcess(settings, 900, 0)
    assert process.active(4) == []
    (event,) = process.active(5)
    assert (event.kind, event.coef, event.ttl) == ("plant_outage", 0.5, 4)
    assert event.to_dict() == {"kind": "plant_outage", "coef": 0.5, "start": 5, "ttl": 4}
    process.active(500)
    assert len(process.events) == 1
