"""Converters for the formats users bring, on small fixtures in each project's own layout."""

import json
import logging

import pytest

from judgeforge.data.formats import samples_from_rows
from judgeforge.data.load import load_samples, sample_from_record
from judgeforge.data.prepare import prepare_samples
from judgeforge.errors import DataError
from judgeforge.prompts import get_template, render_prompt

from ..conftest import DATA

FORMATS = DATA / "formats"
ALPACA = [FORMATS / "alpaca_eval" / "model_a_outputs.json", FORMATS / "alpaca_eval" / "model_b_outputs.json"]
MT_BENCH = FORMATS / "mt_bench"
FASTCHAT = [
    MT_BENCH / "question.jsonl",
    MT_BENCH / "model_answer" / "model-a.jsonl",
    MT_BENCH / "model_answer" / "model-b.jsonl",
]
JUDGELM = [FORMATS / "judgelm" / "answers_alpaca.jsonl", FORMATS / "judgelm" / "answers_vicuna.jsonl"]


def test_alpaca_eval_joins_by_instruction_and_warns_about_the_missing(caplog):
    with caplog.at_level(logging.WARNING):
        records = prepare_samples(ALPACA, format="alpaca_eval")
    # model b lists the instructions in another order: a join by position would mismatch them
    assert [r["question_id"] for r in records] == ["alpaca_eval-0", "alpaca_eval-1", "alpaca_eval-2"]
    capital = records[2]
    assert capital["question_body"] == "What is the capital of Australia?"
    assert capital["answer1_body"].startswith("The capital of Australia is Canberra")
    assert capital["answer2_body"] == "Sydney."
    assert (capital["answer1_model_id"], capital["answer2_model_id"]) == ("model-a-7b", "model-b-1b")
    assert capital["meta"] == {"dataset": "koala"}
    assert "model_a_outputs.json: 1 of its 4 instructions are missing" in caplog.text
    samples = [sample_from_record(r, "x") for r in records]
    assert all(s.kind == "pair" for s in samples)


def test_alpaca_eval_reference_outputs():
    records = prepare_samples([ALPACA[1], ALPACA[1]], reference_file=ALPACA[0], format="alpaca_eval")
    assert records[0]["reference"]["text"].startswith("The capital of Australia is Canberra")
    with pytest.raises(DataError, match="no output for instruction 'Write a haiku"):
        prepare_samples([ALPACA[0], ALPACA[0]], reference_file=ALPACA[1], format="alpaca_eval")


@pytest.mark.parametrize(
    "content, message",
    [
        ('{"instruction": "x"}', "expected a JSON list"),
        ("[1", "not a JSON file"),
        (
            '[{"instruction": "x", "output": "y"}, {"instruction": "z"}]',
            "item 1: field 'output' must be a string, got missing",
        ),
        ('[{"instruction": "x", "output": null}]', "item 0: field 'output'"),
        ('[{"instruction": "x", "output": "a"}, {"instruction": "x", "output": "b"}]', "same instruction as item 0"),
    ],
)
def test_alpaca_eval_bad_files_name_the_item_and_field(tmp_path, content, message):
    bad = tmp_path / "model_outputs.json"
    bad.write_text(content)
    with pytest.raises(DataError, match=message) as e:
        prepare_samples([ALPACA[0], bad], format="alpaca_eval")
    assert str(bad) in str(e.value)


def test_fastchat_gives_first_and_second_turn_pairs_with_history():
    records = prepare_samples(FASTCHAT, format="fastchat")
    assert [r["question_id"] for r in records] == [f"{q}-turn{t}" for q in (81, 101, 111) for t in (1, 2)]
    first, second = records[4], records[5]
    assert first["question_body"] == "What is 12 multiplied by 12?" and "history" not in first
    assert second["question_body"] == "Now divide that result by 4."
    assert second["history"] == [{"role": "user", "content": "What is 12 multiplied by 12?"}]
    assert (second["answer1_body"], second["answer2_body"]) == ("144 divided by 4 is 36.", "31.")
    assert second["meta"] == {
        "question_id": 111,
        "turn": 2,
        "category": "math",
        "first_turn_answers": ["12 multiplied by 12 is 144.", "124."],
    }
    assert (second["answer1_model_id"], second["answer2_model_id"]) == ("model-a", "model-b")
    # question 101 carries its own references in question.jsonl; 111 has none without a reference file
    assert records[2]["reference"] == {"text": "You are in second place."} and "reference" not in records[4]
    sample = sample_from_record(second, "x")
    prompt = render_prompt(sample, get_template("judgeforge-pair")).messages[-1].content
    assert "[Conversation so far]\nUser: What is 12 multiplied by 12?" in prompt


def test_fastchat_reference_answers_per_turn():
    records = {
        r["question_id"]: r
        for r in prepare_samples(FASTCHAT, MT_BENCH / "reference_answer" / "gpt-4.jsonl", "fastchat")
    }
    assert records["111-turn1"]["reference"] == {"text": "144"}
    assert records["111-turn2"]["reference"] == {"text": "36"}
    assert records["101-turn2"]["reference"] == {"text": "It is impossible to overtake the last person."}
    assert "reference" not in records["81-turn1"]  # FastChat has references only for some categories


def test_fastchat_missing_answers_and_wrong_file_order(tmp_path, caplog):
    partial = tmp_path / "model-c.jsonl"
    partial.write_text((MT_BENCH / "model_answer" / "model-a.jsonl").read_text().splitlines()[0] + "\n")
    with caplog.at_level(logging.WARNING):
        records = prepare_samples([*FASTCHAT, partial], format="fastchat")
    assert [r["question_id"] for r in records] == ["81-turn1", "81-turn2"]
    assert "question.jsonl: 2 of its 3 questions are missing" in caplog.text
    with pytest.raises(DataError, match="this is an answer file; give question.jsonl first"):
        prepare_samples([FASTCHAT[1], FASTCHAT[0], FASTCHAT[2]], format="fastchat")
    with pytest.raises(DataError, match="model-a.jsonl:1: field 'choices'"):
        bad = tmp_path / "model-a.jsonl"
        bad.write_text(json.dumps({"question_id": 81, "model_id": "a", "choices": []}) + "\n")
        prepare_samples([FASTCHAT[0], bad, FASTCHAT[2]], format="fastchat")


def test_judgelm_answer_files_keep_the_model_ids():
    records = prepare_samples(JUDGELM)
    assert len(records) == 3
    assert {(r["answer1_model_id"], r["answer2_model_id"]) for r in records} == {("alpaca-native", "vicuna-7b")}


def test_unknown_format_and_too_few_files():
    with pytest.raises(DataError, match="unknown format 'csv'"):
        prepare_samples(JUDGELM, format="csv")
    with pytest.raises(DataError, match="needs an answer file"):
        prepare_samples([], format="alpaca_eval")
    with pytest.raises(DataError, match="at least two model_answer files"):  # one would lose the history's sense
        prepare_samples(
            [FORMATS / "mt_bench" / "question.jsonl", FORMATS / "mt_bench" / "model_answer" / "model-a.jsonl"],
            format="fastchat",
        )


def test_judgelm_native_samples_load_with_gold_from_the_judgment():
    with pytest.warns(UserWarning, match="JudgeLM's answer logprobs"):
        samples = load_samples(FORMATS / "judgelm" / "judgelm_val_sample.jsonl")
    assert [s.scores for s in samples] == [[9.0, 2.0], [10.0, 3.0], None]  # the third has no judgment
    assert samples[0].judgment.startswith("9 2\n") and samples[0].reference.startswith("Red, yellow")
    # numeric scores are still checked as before
    with pytest.raises(DataError, match="field 'score' has 1 values for 2 answers"):
        sample_from_record(
            {"question_id": 1, "question_body": "q", "answer1_body": "a", "answer2_body": "b", "score": [1]}, "f:1"
        )


def test_rows_to_samples_and_their_errors():
    rows = [
        {
            "question_id": "a",
            "question_body": "q",
            "answer1_body": "x",
            "answer2_body": "y",
            "label": 1,
            "reference": None,
        },
        {"question_id": "b", "question_body": "q", "answer_body": "x", "score": 4},
    ]
    samples = samples_from_rows(rows)
    assert [(s.id, s.kind, s.label, s.reference) for s in samples] == [
        ("a", "pair", 1, None),
        ("b", "single", None, None),
    ]
    with pytest.raises(DataError, match="my rows: row 1: field 'question_body' is missing"):
        samples_from_rows([rows[0], {"question_id": "c", "answer_body": "x"}], name="my rows")


def test_a_datasets_dataset_is_accepted(tmp_path):
    datasets = pytest.importorskip("datasets")
    records = prepare_samples(FASTCHAT, format="fastchat")
    path = tmp_path / "pairs.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    # a local JSON file, as users load theirs; columns a row lacks come back as None
    dataset = datasets.load_dataset("json", data_files=str(path), split="train", cache_dir=str(tmp_path / "cache"))
    samples = samples_from_rows(dataset)
    assert [s.id for s in samples] == [r["question_id"] for r in records]
    assert samples[1].history[0].content == records[0]["question_body"] and samples[0].history == []
    assert samples[2].reference == "You are in second place." and samples[0].reference is None
