import json
import re

import pytest

from judgeforge.data.load import iter_jsonl, load_samples, sample_from_record, sample_warnings, write_jsonl
from judgeforge.data.prepare import prepare_samples
from judgeforge.errors import DataError

from ..conftest import DATA


def test_load_canonical_pairs():
    samples = load_samples(DATA / "pairs.jsonl")
    assert [s.id for s in samples] == ["q1", "q2", "q3", "q4"]
    assert samples[1].reference == "Red, yellow or blue."
    assert samples[2].scores == [7.0, 7.0] and samples[2].judgment.startswith("7 7")
    assert all(s.kind == "pair" for s in samples)


def test_every_bad_line_is_reported_with_file_line_and_field():
    results = list(iter_jsonl(DATA / "bad.jsonl"))
    assert [r.line for r in results] == [1, 2, 3, 4, 5, 6, 7, 8, 10]  # the blank line 9 is skipped
    errors = {}
    for r in results:
        try:
            if r.error:
                raise DataError(r.error)
            sample_from_record(r.record, f"bad.jsonl:{r.line}")
        except DataError as e:
            errors[r.line] = str(e)
    assert "invalid JSON" in errors[2]
    assert "field 'answer1_body' must be a string, got bool" in errors[3]
    assert "field 'question_body' is missing" in errors[4]
    assert "not valid UTF-8" in errors[6]
    assert "field 'label'" in errors[7]
    assert "expected a JSON object, got list" in errors[8]
    assert all(
        msg.startswith(("bad.jsonl:", str(DATA / "bad.jsonl"))) and f":{line}:" in msg for line, msg in errors.items()
    )
    assert set(errors) == {2, 3, 4, 6, 7, 8}


def test_empty_answer_is_judged_with_a_warning():
    record = json.loads((DATA / "bad.jsonl").read_text(encoding="latin-1").splitlines()[4])
    sample = sample_from_record(record, "x:5")
    assert sample.answers[0] == ""
    assert sample_warnings(sample, ["answer1_body", "answer2_body"]) == ["field 'answer1_body' is empty"]


def test_load_samples_fails_on_first_bad_line():
    with pytest.raises(DataError, match=r"bad.jsonl:2: invalid JSON"):
        load_samples(DATA / "bad.jsonl")


def test_missing_file_is_a_data_error(tmp_path):
    with pytest.raises(DataError, match="no such file"):
        list(iter_jsonl(tmp_path / "nope.jsonl"))


def test_single_and_multi_answer_records():
    single = sample_from_record({"question_id": 1, "question_body": "q", "answer_body": "a", "score": 7}, "x:1")
    assert single.kind == "single" and single.scores == [7.0] and single.id == "1"
    multi = sample_from_record(
        {
            "question_id": "m",
            "question_body": "q",
            "answer1_body": "a",
            "answer2_body": "b",
            "answer3_body": "c",
            "history": [{"role": "user", "content": "hi"}],
        },
        "x:1",
    )
    assert multi.kind == "multi" and multi.history[0].content == "hi"
    with pytest.raises(DataError, match="'score' has 1 values for 3 answers"):
        sample_from_record(
            {
                "question_id": "m",
                "question_body": "q",
                "answer1_body": "a",
                "answer2_body": "b",
                "answer3_body": "c",
                "score": 5,
            },
            "x:1",
        )


def test_jsonl_round_trip(tmp_path):
    records = [json.loads(line) for line in (DATA / "pairs.jsonl").read_text().splitlines()]
    write_jsonl(tmp_path / "out.jsonl", records)
    assert load_samples(tmp_path / "out.jsonl") == load_samples(DATA / "pairs.jsonl")


def test_prepare_pairs_multi_and_references():
    pairs = prepare_samples([DATA / "answers_a.jsonl", DATA / "answers_b.jsonl"], DATA / "references.jsonl")
    assert [r["question_id"] for r in pairs] == [1, 2, 3]  # question 4 has no answer from model a
    assert pairs[1]["answer1_body"] == "A2 from model a" and pairs[1]["answer2_body"] == "A2 from model b"
    assert pairs[0]["reference"] == {"text": "R1"} and pairs[0]["answer2_model_id"] == "b"
    multi = prepare_samples([DATA / "answers_a.jsonl", DATA / "answers_b.jsonl", DATA / "answers_c.jsonl"])
    assert sample_from_record(multi[0], "x:1").kind == "multi"
    [single, *_] = prepare_samples([DATA / "answers_a.jsonl"], DATA / "references.jsonl")  # one file: grading
    assert sample_from_record(single, "x:1").kind == "single" and single["answer_model_id"] == "a"
    assert single["reference"] == {"text": "R1"}
    with pytest.raises(DataError, match="needs an answer file"):
        prepare_samples([])


@pytest.mark.parametrize(
    "raw,error",
    [
        (b'{"a": NaN}', "NaN is not a JSON number"),
        (b'{"a": 1e999}', "out of range"),
        (b'{"a": "\\ud800"}', "field 'a' holds a lone surrogate"),
        (b'{"a": {"b": [' + b"[" * 70 + b"]" * 70 + b"]}}", "field 'a.b[0]"),
        (b"[" * 5000 + b"]" * 5000, "nested too deeply"),
        (b"[1]", "expected a JSON object, got list"),
    ],
)
def test_lines_that_cannot_be_written_back_are_errors(tmp_path, raw, error):
    path = tmp_path / "x.jsonl"
    path.write_bytes(raw + b"\n" + b'{"ok": "\xe2\x80\xa8"}\n')
    first, second = iter_jsonl(path)
    assert first.record is None and error in first.error and first.error.startswith(f"{path}:1:")
    assert second.record == {"ok": "\u2028"} and len(second.digest) == 64


def test_write_jsonl_is_read_back_by_iter_jsonl(tmp_path):
    records = [{"text": "line\u2028sep\u0085x\u2029", "n": 1}, {"emoji": "\U0001f600"}]
    write_jsonl(tmp_path / "out.jsonl", records)
    data = (tmp_path / "out.jsonl").read_bytes()
    assert data.count(b"\n") == 2 and data.isascii()
    assert [r.record for r in iter_jsonl(tmp_path / "out.jsonl")] == records


def test_check_jsonl_accepts_a_bad_first_line_but_not_a_json_array(tmp_path):
    from judgeforge.data.load import check_jsonl

    good = tmp_path / "good.jsonl"
    good.write_text('{broken\n{"question_id": 1}\n')
    check_jsonl(good)  # one bad line is that line's problem
    array = tmp_path / "a.json"
    array.write_text('[\n  {"instruction": "x", "output": "y", "generator": "m"}\n]\n')
    with pytest.raises(DataError, match=r"a JSON array, not JSON Lines.*prepare --format"):
        check_jsonl(array)


def test_field_errors_from_the_pydantic_schema_name_the_field():
    base = {"question_id": "q", "question_body": "q", "answer1_body": "a", "answer2_body": "b"}
    cases = {
        "meta": ("x", "field 'meta' must be a JSON object, got str"),
        "reference": (5, "field 'reference' must be {\"text\": ...} or a string, got int"),
        "question_id": (1.5, "field 'question_id' must be a string or integer, got float"),
        "text": (["x"], "field 'text' must be a string, got list"),
        "label": (-1, "field 'label' must be an integer"),
    }
    for field, (value, message) in cases.items():
        with pytest.raises(DataError, match=re.escape(f"x:1: {message}")):
            sample_from_record({**base, field: value}, "x:1")
