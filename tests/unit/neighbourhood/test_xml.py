"""XML in PySSMic's structure: round trip, PySSMic's files, errors that name the element."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from mosaik_components.massca_neighbourhood import (
    NeighbourhoodError,
    example_path,
    make_neighbourhood,
    parse_neighbourhood,
    read_jobs,
    read_neighbourhood,
    to_xml,
    write_neighbourhood,
)

DOC = """<neighborhood id="13" name="t" origin="{origin}">
  <loads>
    <load template="dish">
      0 0
      60 30
      120 {last}
    </load>
  </loads>
  <house id="30">
    <user id="1">
      <device><id>121</id><name>dish1</name><template>dish</template>{type}</device>
      <device><id>122</id><name>pv</name><template>1</template><type>producer</type>
        <prediction issued="{issued}">{t0} 0
{t1} 500</prediction>
      </device>
    </user>
  </house>
  <jobs>
    <house id="30"><user id="1">
      <device><id>{device}</id><est>{est}</est><lst>{lst}</lst>
        <creation_time>{created}</creation_time></device>
    </user></house>
  </jobs>
</neighborhood>
"""
GOOD = {"origin": 0, "last": 45, "type": "<type>consumer</type>", "issued": 0, "t0": 0,
        "t1": 3600, "device": 121, "est": 600, "lst": 1800, "created": 0}


def doc(**changes: object) -> str:
    return DOC.format(**{**GOOD, **changes})


def test_the_documented_structure_reads():
    nb = parse_neighbourhood(doc())
    (job,) = nb.jobs()
    assert (job.id, job.earliest, job.latest, job.created, job.energy) == ("30:121:1", 600,
                                                                          1800, 0, 45.0)
    ((house, pv),) = nb.producers()
    assert house == "30" and pv.predictions[0].profile.energy == 500.0


def test_unix_timestamps_are_taken_relative_to_the_origin():
    t = 1460246400
    nb = parse_neighbourhood(doc(origin=t, issued=t, t0=t, t1=t + 3600, est=t + 600,
                                 lst=t + 1800, created=t))
    assert nb.origin == t
    assert replace(nb, origin=0) == parse_neighbourhood(doc())


def test_written_neighbourhoods_read_back_equal(tmp_path: Path):
    nb = make_neighbourhood(houses=3, jobs=6, seed=2)
    assert read_neighbourhood(write_neighbourhood(nb, tmp_path / "n.xml")) == nb
    shipped = read_neighbourhood(example_path())
    assert parse_neighbourhood(to_xml(shipped)) == shipped


@pytest.mark.parametrize(("changes", "message"), [
    ({"type": ""}, r"house\[id=30\]/user\[id=1\]/device\[id=121\]: missing <type>"),
    ({"type": "<type>heater</type>"}, r"device\[id=121\]: <type> must be 'consumer' or "
                                      r"'producer', got 'heater'"),
    ({"est": 1800, "lst": 600}, r"jobs/house\[id=30\]/user\[id=1\]/device\[id=121\]: <lst> "
                                r"600 is before <est> 1800"),
    ({"device": 99}, r"jobs/house\[id=30\]/user\[id=1\]/device\[id=99\]: unknown device 99 "
                     r"in house 30"),
    ({"device": 122}, r"device\[id=122\]: device 122 is a producer"),
    ({"est": "ten"}, r"device\[id=121\]: <est> must be an integer number of seconds, got "
                     r"'ten'"),
    ({"last": "x"}, r"loads/load\[template=dish\]: line 3: energy must be a number of Wh, "
                    r"got 'x'"),
    ({"last": 10}, r"loads/load\[template=dish\]: profile point 3: cumulative energy must "
                   r"not decrease"),
    ({"created": 900}, r"device\[id=121\]: <est> 600 is before <creation_time> 900"),
    ({"origin": 100}, r"prediction\[issued=0\]: issued 0 is before the origin 100"),
])
def test_errors_name_the_element_and_the_value(changes, message):
    with pytest.raises(NeighbourhoodError, match=message):
        parse_neighbourhood(doc(**changes), "n.xml")


def test_unknown_elements_and_attributes_are_refused():
    with pytest.raises(NeighbourhoodError, match=r"house\[id=30\]: unknown element <car>"):
        parse_neighbourhood(doc().replace('<user id="1">', '<car/><user id="1">', 1))
    with pytest.raises(NeighbourhoodError, match=r"unknown attribute\(s\) \['colour'\]"):
        parse_neighbourhood(doc().replace('<house id="30">', '<house id="30" colour="red">', 1))
    with pytest.raises(NeighbourhoodError, match="not well-formed XML"):
        parse_neighbourhood("<neighborhood id='1'>")


def test_pyssmic_files_beside_the_xml(tmp_path: Path):
    (tmp_path / "loads").mkdir()
    (tmp_path / "loads" / "dish.csv").write_text("0 0\n60 30\n120 45\n")
    text = doc().replace('<load template="dish">\n      0 0\n      60 30\n      120 45\n    '
                         '</load>', '<load template="dish" file="loads/dish.csv"/>')
    (tmp_path / "n.xml").write_text(text)
    assert read_neighbourhood(tmp_path / "n.xml") == parse_neighbourhood(doc())
    (tmp_path / "loads" / "dish.csv").unlink()
    with pytest.raises(NeighbourhoodError, match=r"loads/load\[template=dish\]: file .* does "
                                                 r"not exist"):
        read_neighbourhood(tmp_path / "n.xml")


def test_a_separate_pyssmic_jobs_file_adds_jobs(tmp_path: Path):
    (tmp_path / "n.xml").write_text(doc())
    (tmp_path / "jobs.xml").write_text(
        '<neighborhood id="13" executionId="1"><house id="30"><user id="1"><device>'
        '<id>121</id><est>2000</est><lst>4000</lst><creation_time>1000</creation_time>'
        '<profile>dish</profile></device></user></house></neighborhood>')
    nb = read_neighbourhood(tmp_path / "n.xml", tmp_path / "jobs.xml")
    assert [(j.id, j.earliest) for j in nb.jobs()] == [("30:121:1", 600), ("30:121:2", 2000)]
    (tmp_path / "bad.xml").write_text(
        '<neighborhood id="13"><house id="31"><user id="1"/></house></neighborhood>')
    with pytest.raises(NeighbourhoodError, match=r"bad.xml: house\[id=31\]: unknown house '31'"):
        read_jobs(tmp_path / "bad.xml", nb)
