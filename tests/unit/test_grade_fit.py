"""The grade head's ridge fit (no model): the folded weights are the fitted pipeline, and the
training-file guard every training config shares."""

import numpy as np
import pytest

from judgeforge.errors import ConfigError
from judgeforge.training.config import TrainConfig
from judgeforge.training.grade import GradeTrainConfig, fit_ridge
from judgeforge.training.reward import RewardTrainConfig


def test_folded_weights_reproduce_the_standardised_ridge():
    from sklearn.linear_model import Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    rng = np.random.default_rng(0)
    scales = np.array([1e3, 1.0, 1e-3, 0.0])  # very different scales, and one constant feature
    x = 50 + rng.normal(size=(80, 4)) * scales
    y = 3 + 2e-3 * x[:, 0] + 400 * x[:, 2] + rng.normal(scale=0.1, size=80)
    w, b, stats = fit_ridge(x, y, alphas=[0.01, 1.0, 100.0], folds=4)
    pipeline = make_pipeline(StandardScaler(), Ridge(alpha=stats["alpha"])).fit(x, y)
    np.testing.assert_allclose(x @ w + b, pipeline.predict(x), atol=1e-6)
    assert w[3] == 0.0 and stats["cv_pearson"] > 0.9


@pytest.mark.parametrize(
    "config", [GradeTrainConfig, RewardTrainConfig, lambda **kw: TrainConfig(output_dir="runs/x", **kw).validate()]
)
@pytest.mark.parametrize(
    "name, refused",
    [
        ("autoj_single_train.jsonl", False),
        ("alpacaeval_weighted_train.jsonl.gz", False),
        ("pandalm_test.jsonl", True),
        ("alpacaeval_weighted_val.jsonl", True),
        ("judgebench_gpt4o.jsonl", True),
        ("llmbar_mtbench.jsonl", True),
        ("prometheus_vicuna_single.jsonl", True),
        ("mt_bench_human_judgments.json", True),
        ("latest_labels.jsonl", False),  # "test" inside a word is not a split
        ("my-dev.jsonl", True),
    ],
)
def test_training_configs_refuse_held_out_files(config, name, refused):
    if refused:
        with pytest.raises(ConfigError, match="never on val, test or benchmark files"):
            config(train_files=[f"../shared/data/{name}"])
    else:
        try:
            config(train_files=[f"../shared/data/{name}"])
        except ConfigError as e:  # TrainConfig.validate checks the file exists: only that may fail here
            assert "does not exist" in str(e)
