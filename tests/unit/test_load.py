import json

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
    with pytest.raises(DataError, match="at least two"):
        prepare_samples([DATA / "answers_a.jsonl"])
