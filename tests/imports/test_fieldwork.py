"""``flask surveyapp import-fieldwork``: an agency's interviews (.csv, .sav) with their design."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyreadstat
import pytest
from flask.testing import FlaskCliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from surveyapp.imports import ImportRefused
from surveyapp.imports.fieldwork import import_fieldwork_files
from surveyapp.models import (
    Answer,
    Area,
    AuditEvent,
    ReplicateWeights,
    Response,
    ResponseDesign,
    Wave,
)
from tests.factories import import_areas, make_wave

from .support import counts, rendered

TREE = [
    ("KZ-71-PD", "KZ-71", "department"),
    ("KZ-71-D01", "KZ-71-PD", "district"),
    ("KZ-71-D01-P01", "KZ-71-D01", "precinct"),
    ("KZ-71-D01-P02", "KZ-71-D01", "precinct"),
    ("KZ-71-D02", "KZ-71-PD", "district"),
    ("KZ-71-D02-P03", "KZ-71-D02", "precinct"),
    ("KZ-71-D02-P04", "KZ-71-D02", "precinct"),
]

MAPPING = """\
format: fieldwork-mapping/1
locale: ru
columns:
  area: unit
  stratum: strat
  psu: cluster
  base_weight: wt
  fpc: n_psu
questions:
  sex: {column: sex, values: {1: male, 2: female}}
  age_group: {column: age, values: {1: 18-24, 2: 25-34, 3: 35-44, 4: 45-54, 5: 55-64, 6: 65+}}
  settlement: {column: settl, values: {1: city, 2: village}}
  trust_level: {column: q1, values: {1: full, 2: partial, 3: none, 9: hard_to_say}}
  police_reliable:
    column: q2
    values: {1: strongly_disagree, 2: disagree, 3: neither, 4: agree, 5: strongly_agree,
             99: dont_know}
  overall_satisfaction: {column: q9, missing: [99]}
  contact_12m: {column: q10, values: {1: "yes", 2: "no"}}
  contact_type: {column: q11, separator: ";"}
  contact_satisfaction: q12
"""

HEADER = "id,unit,strat,cluster,wt,n_psu,sex,age,settl,q1,q2,q9,q10,q11,q12,interviewer\n"
ROWS = [
    "1,KZ-71-D01-P01,A,A1,120.5,4,1,2,1,1,4,8,2,,,Iv",
    "2,KZ-71-D01-P01,A,A1,120.5,4,2,3,1,2,99,7,1,reported_crime;other,4,Iv",
    "3,KZ-71-D01-P02,A,A2,130,4,2,5,2,3,2,3,2,,,Iv",
    "4,KZ-71-D01-P02,A,A2,130,4,1,6,2,9,5,10,2,,,Ol",
    "5,KZ-71-D02-P03,B,B1,80.25,5,1,1,1,1,3,99,2,,,Ol",
    "6,KZ-71-D02-P03,B,B1,80.25,5,2,4,1,2,4,6,2,,,Ol",
    "7,KZ-71-D02-P04,B,B2,95,5,2,2,2,1,1,0,1,asked_help,2,Ai",
    "8,KZ-71-D02-P04,B,B2,95,5,1,3,2,2,3,5,2,,,Ai",
]
MODELS = (Response, ResponseDesign, Answer)


def invoke(runner: FlaskCliRunner, *args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(args=["surveyapp", *args])


@pytest.fixture
def wave(session: Session) -> Wave:
    wave = make_wave(session, code="capi-2026", status="closed")
    import_areas(session, TREE)
    return wave


def write(tmp_path: Path, rows: list[str], name: str = "interviews.csv") -> Path:
    path = tmp_path / name
    path.write_text(HEADER + "\n".join(rows) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def mapping(tmp_path: Path) -> Path:
    path = tmp_path / "mapping.yaml"
    path.write_text(MAPPING, encoding="utf-8")
    return path


def test_csv_imports_interviews_with_their_design(
    runner: FlaskCliRunner, session: Session, wave: Wave, mapping: Path, tmp_path: Path
) -> None:
    data = write(tmp_path, ROWS)
    result = invoke(
        runner, "import-fieldwork", str(data), "--wave", "capi-2026", "--mapping", str(mapping)
    )
    assert result.exit_code == 0, result.output
    assert "Stored 8 interviews in wave capi-2026 (2 strata, 4 PSUs)." in result.stdout
    responses = session.scalars(select(Response).order_by(Response.id)).all()
    assert {r.channel for r in responses} == {"interview"}
    assert {r.locale for r in responses} == {"ru"}
    assert [r.sex for r in responses[:2]] == ["male", "female"]
    assert responses[3].age_group == "65+"
    designs = session.scalars(select(ResponseDesign).order_by(ResponseDesign.response_id)).all()
    assert [(d.stratum, d.psu, d.base_weight, d.fpc) for d in designs[:3]] == [
        ("A", "A1", 120.5, 4.0),
        ("A", "A1", 120.5, 4.0),
        ("A", "A2", 130.0, 4.0),
    ]
    second = {
        (a.question_id, a.option_id, a.value_num)
        for a in session.scalars(select(Answer).where(Answer.response_id == responses[1].id))
    }
    questions = {q.code: q for q in wave.instrument.questions}
    options = {(q.code, o.code): o.id for q in questions.values() for o in q.options}
    assert (questions["police_reliable"].id, options[("police_reliable", "dont_know")], None) in (
        second
    )
    assert (questions["contact_type"].id, options[("contact_type", "other")], None) in second
    assert (questions["overall_satisfaction"].id, None, 7.0) in second
    fifth = session.scalars(select(Answer).where(Answer.response_id == responses[4].id)).all()
    assert questions["overall_satisfaction"].id not in {a.question_id for a in fifth}  # 99
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "fieldwork.import")).one()
    assert event.details == {
        "file": "interviews.csv",
        "wave": "capi-2026",
        "responses": 8,
        "strata": 2,
        "psus": 4,
    }


def test_sav_imports_the_same(
    runner: FlaskCliRunner, session: Session, wave: Wave, mapping: Path, tmp_path: Path
) -> None:
    frame = pd.read_csv(write(tmp_path, ROWS), dtype={"q11": str})
    frame["q11"] = frame["q11"].fillna("")
    frame["interviewer"] = frame["interviewer"].astype(str)
    path = tmp_path / "interviews.sav"
    pyreadstat.write_sav(
        frame,
        str(path),
        missing_ranges={"q2": [99], "q9": [99]},  # declared missing, as agencies do
        variable_value_labels={"q1": {1.0: "full", 9.0: "hard to say"}},
    )
    result = invoke(
        runner, "import-fieldwork", str(path), "--wave", "capi-2026", "--mapping", str(mapping)
    )
    assert result.exit_code == 0, result.output
    assert counts(session, *MODELS) == {"Response": 8, "ResponseDesign": 8, "Answer": 60}
    dont_know = next(
        o.id
        for q in wave.instrument.questions
        if q.code == "police_reliable"
        for o in q.options
        if o.code == "dont_know"
    )
    assert session.scalar(select(Answer).where(Answer.option_id == dont_know)) is not None


def refused(session: Session, data: Path, mapping: Path) -> str:
    with pytest.raises(ImportRefused) as raised:
        import_fieldwork_files(session, "capi-2026", data, mapping)
    return rendered(raised.value)


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (
            "3,KZ-71-D01-P02,A,A2,130,4,2,5,2,7,2,3,2,,,Iv",
            "row 4 › column “q1”: “7” is not a code of question “trust_level”",
        ),
        (
            "3,KZ-71-D01-P02,A,A2,-5,4,2,5,2,3,2,3,2,,,Iv",
            "row 4 › column “wt”: “-5” is not a base weight",
        ),
        (
            "3,KZ-71-D01-P02,A,A2,1e30,4,2,5,2,3,2,3,2,,,Iv",
            "row 4 › column “wt”: “1e30” is not a base weight",
        ),
        (
            "3,KZ-99-D01-P02,A,A2,130,4,2,5,2,3,2,3,2,,,Iv",
            "row 4 › column “unit”: unknown area “KZ-99-D01-P02”",
        ),
        (
            "3,KZ-71-D01-P02,A,A2,130,4,2,5,2,3,2,300,2,,,Iv",
            "row 4 › column “q9”: “300” is not a possible answer to question "
            "“overall_satisfaction” (a number from 0 to 10)",
        ),
        (
            "3,KZ-71-D01-P02,A,A2,130,4,2,5,2,,2,3,2,,,Iv",
            "row 4 › column “q1”: question “trust_level” is required but has no answer",
        ),
        (
            "3,KZ-71-D01-P02,A,A2,130,4,2,5,2,3,2,3,1,,,Iv",
            "row 4 › column “q11”: question “contact_type” is required but has no answer",
        ),
        (
            "3,KZ-71-D01-P02,A,A2,130,3,2,5,2,3,2,3,2,,,Iv",
            "row 4 › column “n_psu”: the finite-population correction of stratum “A” differs "
            "from that in row 2",
        ),
        (
            "3,KZ-71-D01,A,A2,130,4,2,5,2,3,2,3,2,,,Iv",
            "row 4 › column “unit”: area “KZ-71-D01” is not a precinct",
        ),
    ],
)
def test_a_bad_row_refuses_the_whole_file(
    session: Session, wave: Wave, mapping: Path, tmp_path: Path, row: str, expected: str
) -> None:
    rows = [*ROWS[:2], row, *ROWS[3:]]
    before = counts(session, *MODELS)
    assert expected in refused(session, write(tmp_path, rows), mapping)
    assert counts(session, *MODELS) == before == {"Response": 0, "ResponseDesign": 0, "Answer": 0}


def test_nul_bytes_and_a_lone_psu_are_refused(
    session: Session, wave: Wave, mapping: Path, tmp_path: Path
) -> None:
    path = tmp_path / "binary.csv"
    path.write_bytes((HEADER + ROWS[0] + "\x00\n").encode())
    assert "the file is not text (it contains NUL bytes)" in refused(session, path, mapping)
    lone = [row.replace("A2", "A1") for row in ROWS]
    assert "stratum “A” has a single PSU" in refused(session, write(tmp_path, lone), mapping)
    assert counts(session, *MODELS) == {"Response": 0, "ResponseDesign": 0, "Answer": 0}


def test_a_bad_mapping_is_refused_before_the_data(
    session: Session, wave: Wave, tmp_path: Path
) -> None:
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(
        MAPPING.replace("sex: {column: sex", "sexx: {column: sex").replace("  psu: cluster\n", ""),
        encoding="utf-8",
    )
    text = refused(session, write(tmp_path, ROWS), mapping)
    assert "field “columns.psu”: is required" in text
    assert "field “questions.sexx”: “sexx” is not a question of the wave's questionnaire" in text


def test_the_cli_refuses_in_the_chosen_language_and_stores_nothing(
    runner: FlaskCliRunner, session: Session, wave: Wave, mapping: Path, tmp_path: Path
) -> None:
    rows = [*ROWS[:2], "3,KZ-71-D01-P02,A,A2,abc,4,2,5,2,3,2,3,2,,,Iv", *ROWS[3:]]
    args = ["--wave", "capi-2026", "--mapping", str(mapping), "--lang", "ru"]
    result = invoke(runner, "import-fieldwork", str(write(tmp_path, rows)), *args)
    assert result.exit_code == 1
    assert "строка 4" in result.stderr
    assert "данные не сохранены" in result.stderr
    assert counts(session, *MODELS) == {"Response": 0, "ResponseDesign": 0, "Answer": 0}


def test_a_wave_with_responses_or_an_unknown_wave_is_refused(
    session: Session, wave: Wave, mapping: Path, tmp_path: Path
) -> None:
    data = write(tmp_path, ROWS)
    import_fieldwork_files(session, "capi-2026", data, mapping)
    assert "already has 8 responses" in refused(session, data, mapping)
    with pytest.raises(ImportRefused) as raised:
        import_fieldwork_files(session, "no-such-wave", data, mapping)
    assert "there is no wave with the code “no-such-wave”" in rendered(raised.value)
    assert session.scalar(select(Area).where(Area.code == "KZ-71-D02-P04")) is not None


def test_psu_codes_are_nested_in_their_strata(
    session: Session, wave: Wave, mapping: Path, tmp_path: Path
) -> None:
    """Agencies number PSUs within each stratum: "1" of A and "1" of B are two PSUs."""
    rows = [
        row.replace(",A1,", ",1,").replace(",A2,", ",2,").replace(",B1,", ",1,") for row in ROWS
    ]
    rows = [row.replace(",B2,", ",2,") for row in rows]
    result = import_fieldwork_files(session, "capi-2026", write(tmp_path, rows), mapping)
    assert (result.strata, result.psus) == (2, 4)


# ---------------------------------------------------------------- replicate weights

PSUS = ["A1", "A2", "B1", "B2"]


def with_replicates(rows: list[str], kind: str = "JK1", extra: str = "") -> tuple[str, list[str]]:
    """The rows with delete-one-PSU jackknife weights rw1..rw4 (the PSU's rows 0, the others
    of the design × 4/3), and the mapping declaring them."""
    out = []
    for row in rows:
        cells = row.split(",")
        psu, weight = cells[3], float(cells[4])
        out.append(row + "," + ",".join("0" if p == psu else repr(weight * 4 / 3) for p in PSUS))
    mapping = MAPPING + f"replicates:\n  prefix: rw\n  kind: {kind}\n{extra}"
    return mapping, out


def write_replicates(tmp_path: Path, rows: list[str], mapping_text: str) -> tuple[Path, Path]:
    data = tmp_path / "interviews.csv"
    header = HEADER.rstrip("\n") + ",rw1,rw2,rw3,rw4\n"
    data.write_text(header + "\n".join(rows) + "\n", encoding="utf-8")
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(mapping_text, encoding="utf-8")
    return data, mapping


def test_replicate_weights_are_stored_with_their_scheme(
    session: Session, wave: Wave, tmp_path: Path
) -> None:
    mapping_text, rows = with_replicates(ROWS, extra="  scale: 0.75\n")
    data, mapping = write_replicates(tmp_path, rows, mapping_text)
    import_fieldwork_files(session, "capi-2026", data, mapping)
    designs = session.scalars(select(ResponseDesign).order_by(ResponseDesign.response_id)).all()
    assert len(designs) == 8
    first = designs[0].replicates
    assert first is not None
    assert (first.kind, first.scale, first.rscales) == ("JK1", 0.75, None)
    assert first.weights == (0.0, 120.5 * 4 / 3, 120.5 * 4 / 3, 120.5 * 4 / 3)
    assert designs[7].replicates is not None
    assert designs[7].replicates.weights[3] == 0.0
    assert ReplicateWeights.from_dict(first.to_dict()) == first


def test_without_replicates_none_are_stored(
    session: Session, wave: Wave, mapping: Path, tmp_path: Path
) -> None:
    import_fieldwork_files(session, "capi-2026", write(tmp_path, ROWS), mapping)
    designs = session.scalars(select(ResponseDesign)).all()
    assert {d.replicate_weights for d in designs} == {None}
    assert designs[0].replicates is None


@pytest.mark.parametrize(
    ("change", "extra", "kind", "expected"),
    [
        (
            (2, "rw2", "-1"),
            "",
            "JK1",
            "row 4 › column “rw2”: “-1” is not a replicate weight (a finite number, 0 or above)",
        ),
        (
            (2, "rw3", "abc"),
            "",
            "JK1",
            "row 4 › column “rw3”: “abc” is not a replicate weight",
        ),
        (None, "", "BRR", "“BRR” is not a kind of replicate weights (JK1, JKn or bootstrap)"),
        (
            None,
            "",
            "JKn",
            "replicate weights of kind JKn need rscales, one number per replicate",
        ),
        (
            None,
            "  rscales: [0.5, 0.5, 0.5]\n",
            "JKn",
            "replicate weights of kind JKn need rscales, one number per replicate "
            "(4 replicates, 3 numbers given)",
        ),
        (None, "  scale: -2\n", "JK1", "“-2” is not a replicate scale (a number above 0)"),
    ],
)
def test_bad_replicate_weights_refuse_the_whole_file(
    session: Session,
    wave: Wave,
    tmp_path: Path,
    change: tuple[int, str, str] | None,
    extra: str,
    kind: str,
    expected: str,
) -> None:
    mapping_text, rows = with_replicates(ROWS, kind=kind, extra=extra)
    if change is not None:
        index, column, value = change
        cells = rows[index].split(",")
        cells[15 + int(column[-1])] = value
        rows[index] = ",".join(cells)
    data, mapping = write_replicates(tmp_path, rows, mapping_text)
    assert expected in refused(session, data, mapping)
    assert counts(session, *MODELS) == {"Response": 0, "ResponseDesign": 0, "Answer": 0}


def test_a_zero_replicate_column_or_too_few_replicates_are_refused(
    session: Session, wave: Wave, tmp_path: Path
) -> None:
    mapping_text, rows = with_replicates(ROWS)
    zero = [",".join([*row.split(",")[:16], "0", *row.split(",")[17:]]) for row in rows]
    data, mapping = write_replicates(tmp_path, zero, mapping_text)
    assert "column “rw1”: replicate weight column “rw1” is 0 in every row" in refused(
        session, data, mapping
    )
    one = mapping_text.replace("prefix: rw", "columns: [rw1]")
    data, mapping = write_replicates(tmp_path, rows, one)
    assert "replicate weights need at least 2 columns; the file has 1" in refused(
        session, data, mapping
    )
    both = mapping_text.replace("prefix: rw", "prefix: rw\n  columns: [rw1, rw2]")
    data, mapping = write_replicates(tmp_path, rows, both)
    assert "not both" in refused(session, data, mapping)
    assert counts(session, *MODELS) == {"Response": 0, "ResponseDesign": 0, "Answer": 0}
