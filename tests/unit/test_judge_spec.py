"""Judge specs: YAML loading, include:, overrides, and the checks made before any model loads."""

import pytest

from judgeforge.engines.options import parse_key_values, typed_engine_options
from judgeforge.errors import ConfigError
from judgeforge.judging.spec import JudgeKind, JudgeSpec, Mode, TemplateFamily, list_judges
from judgeforge.prompts.truncate import TRUNCATION_MARK, WordCodec, truncate


def test_shipped_specs_point_at_the_shipped_judges():
    spec = JudgeSpec.load("default")
    assert spec.kind is JudgeKind.reward
    assert spec.model is not None and spec.model.endswith("resources/reward_judge")
    assert spec.tasks == ["pair", "single", "multi"]
    generative = JudgeSpec.load("generative")
    assert generative.kind is JudgeKind.generative and generative.engine == "hf"
    assert generative.model is not None and generative.model.endswith("resources/judge")
    assert generative.tasks == ["judgeforge-pair"] and generative.max_answer_tokens == 128
    assert {"default", "generative", "mock"} <= set(list_judges())


def test_an_engine_or_a_generative_model_on_the_reward_spec_means_a_generative_judge(tmp_path):
    spec = JudgeSpec.load("default")
    on_mock = spec.with_overrides(engine="mock")
    assert on_mock.kind is JudgeKind.generative and on_mock.engine == "mock" and not on_mock.model
    assert on_mock.tasks == []  # what the reward judge was trained for says nothing about the engine's model
    adapter = tmp_path / "adapter"
    adapter.mkdir()
    assert spec.with_overrides(model=str(adapter)).kind is JudgeKind.generative
    reward = tmp_path / "reward"
    reward.mkdir()
    (reward / "reward_judge.json").write_text("{}")
    assert spec.with_overrides(model=str(reward)).kind is JudgeKind.reward


def test_include_is_read_first_and_overridden(tmp_path):
    (tmp_path / "base.yaml").write_text(
        "name: base\nengine: mock\nmode: full\nengine_options: {score: 7, verdict: '2'}\ntasks: [judgeforge-pair]\n"
    )
    (tmp_path / "variant.yaml").write_text(
        "include: base.yaml\nname: variant\nmode: fast\nengine_options: {score: 9}\n"
    )
    spec = JudgeSpec.from_yaml(tmp_path / "variant.yaml")
    assert (spec.name, spec.mode, spec.engine) == ("variant", Mode.fast, "mock")
    assert spec.engine_options == {"score": 9, "verdict": "2"}  # merged one level deep
    assert spec.tasks == ["judgeforge-pair"]


def test_include_of_a_shipped_name_and_relative_model(tmp_path):
    (tmp_path / "mine.yaml").write_text("include: default\nname: mine\nswap: true\n")
    spec = JudgeSpec.load(tmp_path / "mine.yaml")
    assert spec.swap and spec.model == JudgeSpec.load("default").model
    (tmp_path / "local.yaml").write_text("model: ./adapter\n")
    assert JudgeSpec.from_yaml(tmp_path / "local.yaml").model == str(tmp_path / "adapter")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("mode: slow\n", "mode"),
        ("engine: gpt\n", "unknown engine 'gpt'"),
        ("temperature: -0.3\n", "temperature"),
        ("top_p: 0.9\n", "top_p"),
        ("batch_size: 0\n", "batch_size"),
        ("- a list\n", "mapping"),
        ("include: missing.yaml\n", "neither a file"),
    ],
)
def test_bad_specs_name_the_field(tmp_path, text, message):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message) as info:
        JudgeSpec.from_yaml(path)
    assert str(path) in str(info.value) or "bad.yaml" in str(info.value)


def test_include_cycle_is_an_error(tmp_path):
    (tmp_path / "a.yaml").write_text("include: b.yaml\n")
    (tmp_path / "b.yaml").write_text("include: a.yaml\n")
    with pytest.raises(ConfigError, match="include cycle"):
        JudgeSpec.from_yaml(tmp_path / "a.yaml")


def test_unknown_names_and_missing_files():
    with pytest.raises(ConfigError, match="unknown judge 'nope'"):
        JudgeSpec.load("nope")
    with pytest.raises(ConfigError, match="no such file"):
        JudgeSpec.load("missing/judge.yaml")


def test_overrides_replace_fields_and_a_new_model_drops_what_the_old_one_was_trained_for():
    spec = JudgeSpec.load("default")
    fast = spec.with_overrides(mode="fast", swap=None, template_family="judgelm")
    assert fast.mode is Mode.fast and fast.swap is False and fast.template_family is TemplateFamily.judgelm
    assert fast.tasks == spec.tasks  # same model: same claims
    other = spec.with_overrides(model="smollm2")
    assert other.tasks == [] and other.max_answer_tokens is None and other.max_prompt_tokens is None
    with pytest.raises(ConfigError, match="max_new_tokens"):
        spec.with_overrides(max_new_tokens=0)


@pytest.mark.parametrize(
    ("engine", "raw", "typed"),
    [
        ("openai", {"concurrency": "16", "input_price_per_1k": "0.5"}, {"concurrency": 16, "input_price_per_1k": 0.5}),
        ("mock", {"outputs": "5 5", "score": "7"}, {"outputs": "5 5", "score": 7}),
        ("mock", {"outputs": "[a, b]"}, {"outputs": "[a, b]"}),  # a str is a valid value: kept as given
        ("ray", {"workers": "2", "dtype": "float32"}, {"workers": 2, "dtype": "float32"}),  # **kwargs pass through
    ],
)
def test_engine_options_are_typed_by_the_constructor(engine, raw, typed):
    assert typed_engine_options(engine, raw) == typed


@pytest.mark.parametrize(
    ("engine", "raw", "message"),
    [
        ("openai", {"concurrency": "abc"}, "concurrency='abc' for engine 'openai': .*integer"),
        ("mock", {"temperature": "1"}, "no option 'temperature'"),
        ("openai", {"timeout_s": "soon"}, "timeout_s"),
    ],
)
def test_bad_engine_options_are_refused(engine, raw, message):
    with pytest.raises(ConfigError, match=message):
        typed_engine_options(engine, raw)


def test_key_value_parsing():
    assert parse_key_values(["a=1", "b=x=y", "c="]) == {"a": "1", "b": "x=y", "c": ""}
    for bad in (["novalue"], ["=1"]):
        with pytest.raises(ConfigError, match="expected key=value"):
            parse_key_values(bad)


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("one two three", 3, "one two three"),
        ("one two three four five six", 4, "one two" + TRUNCATION_MARK + "five six"),
        ("one two three four five", 3, "one two" + TRUNCATION_MARK + "five"),
        ("a  b\n\nc d e", 2, "a" + TRUNCATION_MARK + "e"),
    ],
)
def test_truncation_keeps_head_and_tail(text, limit, expected):
    assert truncate(text, limit, WordCodec()) == expected
