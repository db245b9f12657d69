"""Neighbourhood XML: reading (validated, errors name the element) and writing.

The structure is PySSMic's: its neighbourhood file (``neighborhood`` > ``house`` >
``user`` > ``device`` with ``id``, ``name``, ``template``, ``type``) and its jobs file
(the same nesting, each ``device`` entry one job with ``id``, ``est``, ``lst``,
``creation_time`` and optionally ``profile``). We keep both and add what PySSMic kept in
CSV files, so one file holds a whole neighbourhood::

    <neighborhood id="1" name="example" origin="0" start="2024-06-21T00:00:00">
      <loads>                             <!-- load-profile templates -->
        <load template="dishwasher">      <!-- "seconds cumulative_Wh" per line, from   -->
          0 0                             <!-- the job's start; PySSMic's loads/*.csv   -->
          60 30.5
          ...
        </load>
        <load template="89" file="loads/89.csv"/>   <!-- or a CSV beside the XML -->
      </loads>
      <house id="30">
        <user id="1">
          <device>
            <id>121</id> <name>dish1</name> <template>dishwasher</template>
            <type>consumer</type>
          </device>
          <device>
            <id>122</id> <name>solarPanel1</name> <template>1</template>
            <type>producer</type>
            <prediction issued="0">       <!-- "seconds cumulative_Wh", absolute times -->
              0 0
              3600 0
              ...
            </prediction>
            <prediction issued="21600" file="predictions/30_122_2.csv"/>
          </device>
        </user>
      </house>
      <jobs>                              <!-- PySSMic's jobs file, inline -->
        <house id="30">
          <user id="1">
            <device>
              <id>121</id> <est>36000</est> <lst>64800</lst>
              <creation_time>25200</creation_time>
              <profile>dishwasher</profile>   <!-- optional: else the device's template -->
            </device>
          </user>
        </house>
      </jobs>
    </neighborhood>

Rules: the root is ``neighborhood`` (or ``neighbourhood``) with ``id`` (required),
``name``, ``origin`` (seconds subtracted from every time in the file, e.g. PySSMic's UNIX
timestamps; default 0), ``start`` (ISO date-time of time 0, for plots) and PySSMic's
``executionId`` (ignored). Every time is an integer number of seconds, every energy a
number of Wh; profiles are cumulative and non-decreasing, load profiles start with
``0 0``. Device ids are unique in the neighbourhood; a job names a consumer device of
its house and user; ``lst >= est >= creation_time``; a producer has at least one
prediction; a job's load template must exist. Jobs may also come from a separate
PySSMic jobs file (:func:`read_jobs`). Anything else (an unknown element or attribute,
a missing field, a bad number) raises :class:`~.model.NeighbourhoodError` naming the
file and the element, e.g. ``example.xml: jobs/house[id=30]/user[id=1]/device[id=99]:
unknown device 99 in house 30``.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

from .model import (
    Consumer,
    Device,
    House,
    Job,
    LoadProfile,
    Neighbourhood,
    NeighbourhoodError,
    Prediction,
    Producer,
    Profile,
    User,
)

__all__ = ["read_neighbourhood", "read_jobs", "parse_neighbourhood", "write_neighbourhood",
           "to_xml"]

ROOTS = ("neighborhood", "neighbourhood")
ROOT_ATTRS = {"id", "name", "origin", "start", "executionId"}
DEVICE_FIELDS = ("id", "name", "template", "type")
JOB_FIELDS = ("id", "est", "lst", "creation_time")


class _Reader:
    """Parses one document; ``where`` is the file name used in every error."""

    def __init__(self, where: str, base: Path | None) -> None:
        self.where = where
        self.base = base
        self.origin = 0

    def fail(self, path: str, message: str) -> NeighbourhoodError:
        return NeighbourhoodError(f"{self.where}: {path}: {message}")

    # -- primitives ---------------------------------------------------------------------
    def attrs(self, element: ET.Element, path: str, allowed: set[str],
              required: tuple[str, ...] = ()) -> dict[str, str]:
        unknown = sorted(set(element.attrib) - allowed)
        if unknown:
            raise self.fail(path, f"unknown attribute(s) {unknown} (allowed: {sorted(allowed)})")
        for name in required:
            if not element.get(name, "").strip():
                raise self.fail(path, f"missing attribute {name!r}")
        return {k: v.strip() for k, v in element.attrib.items()}

    def children(self, element: ET.Element, path: str, allowed: tuple[str, ...]
                 ) -> list[ET.Element]:
        for child in element:
            if child.tag not in allowed:
                raise self.fail(path, f"unknown element <{child.tag}> (allowed here: "
                                      f"{', '.join(f'<{a}>' for a in allowed)})")
        return list(element)

    def fields(self, element: ET.Element, path: str, names: tuple[str, ...],
               optional: tuple[str, ...] = (), extra: tuple[str, ...] = ()) -> dict[str, str]:
        self.children(element, path, (*names, *optional, *extra))
        values = {}
        for name in (*names, *optional):
            found = element.findall(name)
            if len(found) > 1:
                raise self.fail(path, f"<{name}> appears {len(found)} times")
            if not found:
                if name in names:
                    raise self.fail(path, f"missing <{name}>")
                continue
            text = (found[0].text or "").strip()
            if not text:
                raise self.fail(path, f"<{name}> is empty")
            values[name] = text
        return values

    def seconds(self, text: str, path: str, what: str) -> int:
        if not re.fullmatch(r"[+-]?\d+", text):
            raise self.fail(path, f"{what} must be an integer number of seconds, got {text!r}")
        value = int(text) - self.origin
        if value < 0:
            raise self.fail(path, f"{what} {text} is before the origin {self.origin}")
        return value

    def profile_rows(self, text: str, path: str, absolute: bool) -> tuple[list[int], list[float]]:
        times: list[int] = []
        energy: list[float] = []
        for number, line in enumerate(text.splitlines(), start=1):
            line = line.strip()
            if not line:
                continue
            parts = re.split(r"[\s,;]+", line)
            if len(parts) != 2:
                raise self.fail(path, f"line {number}: expected 'seconds cumulative_Wh', got "
                                      f"{line!r}")
            if not re.fullmatch(r"[+-]?\d+", parts[0]):
                raise self.fail(path, f"line {number}: time must be an integer number of "
                                      f"seconds, got {parts[0]!r}")
            try:
                value = float(parts[1])
            except ValueError:
                raise self.fail(path, f"line {number}: energy must be a number of Wh, got "
                                      f"{parts[1]!r}") from None
            if not math.isfinite(value) or value < 0:
                raise self.fail(path, f"line {number}: energy must be a finite number >= 0 Wh, "
                                      f"got {parts[1]!r}")
            t = int(parts[0]) - (self.origin if absolute else 0)
            if absolute and t < 0:
                raise self.fail(path, f"line {number}: time {parts[0]} is before the origin "
                                      f"{self.origin}")
            times.append(t)
            energy.append(value)
        return times, energy

    def profile_text(self, element: ET.Element, path: str, attrs: dict[str, str]) -> str:
        file = attrs.get("file")
        inline = (element.text or "").strip()
        if file is not None:
            if inline:
                raise self.fail(path, "has both a file attribute and inline data")
            if self.base is None:
                raise self.fail(path, f"file={file!r} needs the XML read from a file")
            target = self.base / file
            if not target.is_file():
                raise self.fail(path, f"file {str(target)!r} does not exist")
            return target.read_text()
        if not inline:
            raise self.fail(path, "has no data (inline 'seconds cumulative_Wh' lines or file=)")
        return inline

    # -- document parts -------------------------------------------------------------------
    def loads(self, element: ET.Element) -> dict[str, LoadProfile]:
        self.attrs(element, "loads", set())
        loads: dict[str, LoadProfile] = {}
        for child in self.children(element, "loads", ("load",)):
            template = child.get("template", "").strip()
            path = f"loads/load[template={template}]" if template else "loads/load"
            attrs = self.attrs(child, path, {"template", "file", "name"}, ("template",))
            if template in loads:
                raise self.fail(path, f"template {template!r} appears twice")
            times, energy = self.profile_rows(self.profile_text(child, path, attrs), path, False)
            try:
                loads[template] = LoadProfile(tuple(times), tuple(energy))
            except NeighbourhoodError as exc:
                raise self.fail(path, str(exc)) from None
        return loads

    def prediction(self, element: ET.Element, path: str) -> Prediction:
        issued = element.get("issued", "").strip()
        path = f"{path}/prediction[issued={issued}]"
        attrs = self.attrs(element, path, {"issued", "file"}, ("issued",))
        when = self.seconds(attrs["issued"], path, "issued")
        times, energy = self.profile_rows(self.profile_text(element, path, attrs), path, True)
        try:
            return Prediction(when, Profile(tuple(times), tuple(energy)))
        except NeighbourhoodError as exc:
            raise self.fail(path, str(exc)) from None

    def device(self, element: ET.Element, path: str) -> Device:
        path = _with_id(element, path)
        self.attrs(element, path, set())
        values = self.fields(element, path, DEVICE_FIELDS, extra=("prediction",))
        kind = values["type"]
        predictions = element.findall("prediction")
        if kind == "consumer":
            if predictions:
                raise self.fail(path, "a consumer has no <prediction>")
            return Consumer(values["id"], values["name"], values["template"])
        if kind == "producer":
            if not predictions:
                raise self.fail(path, "a producer needs at least one <prediction>")
            read = [self.prediction(p, path) for p in predictions]
            try:
                return Producer(values["id"], values["name"], values["template"], tuple(read))
            except NeighbourhoodError as exc:
                raise self.fail(path, str(exc)) from None
        raise self.fail(path, f"<type> must be 'consumer' or 'producer', got {kind!r}")

    def house(self, element: ET.Element) -> House:
        house_id = element.get("id", "").strip()
        path = f"house[id={house_id}]"
        self.attrs(element, path, {"id"}, ("id",))
        users = []
        for user in self.children(element, path, ("user",)):
            user_id = user.get("id", "").strip()
            user_path = f"{path}/user[id={user_id}]"
            self.attrs(user, user_path, {"id"}, ("id",))
            devices = [self.device(d, f"{user_path}/device[{n}]")
                       for n, d in enumerate(self.children(user, user_path, ("device",)), 1)]
            users.append(User(user_id, tuple(devices)))
        return House(house_id, tuple(users))

    def jobs(self, element: ET.Element, prefix: str, houses: dict[str, House],
             loads: dict[str, LoadProfile]) -> dict[str, list[Job]]:
        """Jobs per consumer device id, in document order."""
        found: dict[str, list[Job]] = defaultdict(list)
        for house_element in self.children(element, prefix.rstrip("/") or "jobs", ("house",)):
            house_id = house_element.get("id", "").strip()
            path = f"{prefix}house[id={house_id}]"
            self.attrs(house_element, path, {"id"}, ("id",))
            house = houses.get(house_id)
            if house is None:
                raise self.fail(path, f"unknown house {house_id!r} (known: {sorted(houses)})")
            for user_element in self.children(house_element, path, ("user",)):
                user_id = user_element.get("id", "").strip()
                user_path = f"{path}/user[id={user_id}]"
                self.attrs(user_element, user_path, {"id"}, ("id",))
                users = {u.id: u for u in house.users}
                if user_id not in users:
                    raise self.fail(user_path, f"unknown user {user_id!r} in house {house_id}")
                for n, entry in enumerate(self.children(user_element, user_path, ("device",)), 1):
                    job = self.job(entry, f"{user_path}/device[{n}]", house, users[user_id],
                                   loads, found)
                    found[job.device].append(job)
        return found

    def job(self, entry: ET.Element, path: str, house: House, user: User,
            loads: dict[str, LoadProfile], found: dict[str, list[Job]]) -> Job:
        path = _with_id(entry, path)
        self.attrs(entry, path, set())
        values = self.fields(entry, path, JOB_FIELDS, optional=("profile",))
        devices = {d.id: d for d in user.devices}
        device = devices.get(values["id"])
        if device is None:
            raise self.fail(path, f"unknown device {values['id']} in house {house.id} user "
                                  f"{user.id}")
        if not isinstance(device, Consumer):
            raise self.fail(path, f"device {device.id} is a producer; jobs belong to consumers")
        template = values.get("profile", device.template)
        if template not in loads:
            raise self.fail(path, f"unknown load template {template!r} (known: {sorted(loads)})")
        created = self.seconds(values["creation_time"], path, "<creation_time>")
        earliest = self.seconds(values["est"], path, "<est>")
        latest = self.seconds(values["lst"], path, "<lst>")
        if latest < earliest:
            raise self.fail(path, f"<lst> {values['lst']} is before <est> {values['est']}")
        if earliest < created:
            raise self.fail(path, f"<est> {values['est']} is before <creation_time> "
                                  f"{values['creation_time']}")
        n = len(found[device.id]) + 1
        return Job(f"{house.id}:{device.id}:{n}", house.id, device.id, created, earliest, latest,
                   template, loads[template])


def _with_id(element: ET.Element, path: str) -> str:
    """``.../device[id=121]`` when the element has an ``<id>``, else ``.../device[n]``."""
    found = (element.findtext("id") or "").strip()
    return f"{path.rsplit('/', 1)[0]}/device[id={found}]" if found else path


def _root(text: str, where: str) -> ET.Element:
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise NeighbourhoodError(f"{where}: not well-formed XML ({exc})") from None
    if root.tag not in ROOTS:
        raise NeighbourhoodError(f"{where}: the root element must be <neighborhood>, got "
                                 f"<{root.tag}>")
    return root


def _attach(houses: list[House], jobs: dict[str, list[Job]]) -> list[House]:
    out = []
    for house in houses:
        users = []
        for user in house.users:
            devices = [replace(d, jobs=(*d.jobs, *jobs.get(d.id, ())))
                       if isinstance(d, Consumer) else d for d in user.devices]
            users.append(User(user.id, tuple(devices)))
        out.append(House(house.id, tuple(users)))
    return out


def parse_neighbourhood(text: str, where: str = "<string>", base: Path | None = None
                        ) -> Neighbourhood:
    """Parse a neighbourhood document (module docstring); ``base`` resolves ``file=``."""
    reader = _Reader(where, base)
    root = _root(text, where)
    attrs = reader.attrs(root, root.tag, ROOT_ATTRS, ("id",))
    reader.origin = 0
    if "origin" in attrs:
        reader.origin = reader.seconds(attrs["origin"], root.tag, "origin")
    reader.children(root, root.tag, ("loads", "house", "jobs"))
    load_elements = root.findall("loads")
    if len(load_elements) > 1:
        raise reader.fail(root.tag, "<loads> appears more than once")
    loads = reader.loads(load_elements[0]) if load_elements else {}
    houses = [reader.house(h) for h in root.findall("house")]
    by_id = {h.id: h for h in houses}
    if len(by_id) != len(houses):
        raise reader.fail(root.tag, "two houses have the same id")
    jobs: dict[str, list[Job]] = defaultdict(list)
    for section in root.findall("jobs"):
        reader.attrs(section, "jobs", set())
        for device, found in reader.jobs(section, "jobs/", by_id, loads).items():
            for job in found:  # number jobs of one device across sections
                jobs[device].append(replace(job, id=f"{job.house}:{device}:"
                                                    f"{len(jobs[device]) + 1}"))
    try:
        return Neighbourhood(attrs["id"], tuple(_attach(houses, jobs)), loads,
                             name=attrs.get("name", ""), origin=reader.origin,
                             start=attrs.get("start"))
    except NeighbourhoodError as exc:
        raise NeighbourhoodError(f"{where}: {exc}") from None


def read_neighbourhood(path: str | Path, jobs: str | Path | None = None) -> Neighbourhood:
    """Read a neighbourhood file, plus a separate PySSMic jobs file if given."""
    path = Path(path)
    if not path.is_file():
        raise NeighbourhoodError(f"{path}: no such file")
    neighbourhood = parse_neighbourhood(path.read_text(), str(path), path.parent)
    return read_jobs(jobs, neighbourhood) if jobs is not None else neighbourhood


def read_jobs(path: str | Path, neighbourhood: Neighbourhood) -> Neighbourhood:
    """Add the jobs of a PySSMic jobs file (root ``neighborhood`` > house > user > device)."""
    path = Path(path)
    if not path.is_file():
        raise NeighbourhoodError(f"{path}: no such file")
    reader = _Reader(str(path), path.parent)
    root = _root(path.read_text(), str(path))
    attrs = reader.attrs(root, root.tag, ROOT_ATTRS)
    reader.origin = neighbourhood.origin
    if "origin" in attrs:
        reader.origin = reader.seconds(attrs["origin"], root.tag, "origin")
    houses = {h.id: h for h in neighbourhood.houses}
    found = reader.jobs(root, "", houses, neighbourhood.loads)
    existing = {c.id: len(c.jobs) for _, c in neighbourhood.consumers()}
    renumbered = {device: [replace(job, id=f"{job.house}:{device}:{existing[device] + i}")
                           for i, job in enumerate(jobs, 1)] for device, jobs in found.items()}
    try:
        return replace(neighbourhood, houses=tuple(_attach(list(neighbourhood.houses),
                                                           renumbered)))
    except NeighbourhoodError as exc:
        raise NeighbourhoodError(f"{path}: {exc}") from None


# -- writing ------------------------------------------------------------------------------
def _rows(profile: Profile, offset: int) -> str:
    lines = [f"{t + offset} {e!r}" for t, e in profile.rows()]
    return "\n" + "\n".join(lines) + "\n"


def _text(parent: ET.Element, tag: str, text: str) -> None:
    ET.SubElement(parent, tag).text = text


def _device(parent: ET.Element, jobs: ET.Element, device: Device, origin: int) -> None:
    """Write one device to its user element and its jobs to the jobs' user element."""
    element = ET.SubElement(parent, "device")
    for name in DEVICE_FIELDS:
        _text(element, name, str(getattr(device, name)))
    if isinstance(device, Producer):
        for prediction in device.predictions:
            ET.SubElement(element, "prediction", {"issued": str(prediction.issued + origin)}
                          ).text = _rows(prediction.profile, origin)
        return
    for job in device.jobs:
        entry = ET.SubElement(jobs, "device")
        _text(entry, "id", device.id)
        _text(entry, "est", str(job.earliest + origin))
        _text(entry, "lst", str(job.latest + origin))
        _text(entry, "creation_time", str(job.created + origin))
        if job.template != device.template:
            _text(entry, "profile", job.template)


def to_xml(neighbourhood: Neighbourhood) -> str:
    """The neighbourhood as one XML document (inline profiles; reads back equal)."""
    origin = neighbourhood.origin
    attrs = {"id": neighbourhood.id, "name": neighbourhood.name,
             "origin": str(origin) if origin else "", "start": neighbourhood.start or ""}
    root = ET.Element("neighborhood", {k: v for k, v in attrs.items() if v})
    loads = ET.SubElement(root, "loads")
    for template, profile in neighbourhood.loads.items():
        ET.SubElement(loads, "load", {"template": template}).text = _rows(profile, 0)
    jobs = ET.Element("jobs")
    for house in neighbourhood.houses:
        house_el = ET.SubElement(root, "house", {"id": house.id})
        jobs_house = ET.SubElement(jobs, "house", {"id": house.id})
        for user in house.users:
            user_el = ET.SubElement(house_el, "user", {"id": user.id})
            jobs_user = ET.SubElement(jobs_house, "user", {"id": user.id})
            for device in user.devices:
                _device(user_el, jobs_user, device, origin)
    root.append(jobs)
    ET.indent(root, space="  ")
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def write_neighbourhood(neighbourhood: Neighbourhood, path: str | Path) -> Path:
    """Write :func:`to_xml` to ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(to_xml(neighbourhood))
    return path
