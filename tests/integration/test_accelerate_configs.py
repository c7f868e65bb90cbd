"""The multi-GPU configs in configs/accelerate load into accelerate as documented (no GPU needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

CONFIGS = Path(__file__).resolve().parents[2] / "configs" / "accelerate"
accelerate = pytest.importorskip("accelerate")


def _launch_args(name: str):
    from accelerate.commands.launch import _validate_launch_command, launch_command_parser

    parser = launch_command_parser()
    args = parser.parse_args(["--config_file", str(CONFIGS / name), "-m", "judgeforge", "train"])
    return _validate_launch_command(args)[0]


@pytest.mark.parametrize(
    "name, kind", [("multi-gpu.yaml", "MULTI_GPU"), ("fsdp.yaml", "FSDP"), ("deepspeed-zero2.yaml", "DEEPSPEED")]
)
def test_config_loads(name, kind):
    from accelerate.commands.config.config_args import load_config_from_file

    config = load_config_from_file(str(CONFIGS / name))
    assert config.distributed_type.value == kind
    assert config.mixed_precision == "bf16"
    args = _launch_args(name)
    assert args.num_processes == 8 and args.mixed_precision == "bf16"


def test_fsdp_config_builds_the_plugin(monkeypatch):
    from accelerate.utils import FullyShardedDataParallelPlugin
    from accelerate.utils.launch import prepare_multi_gpu_env

    for key, value in prepare_multi_gpu_env(_launch_args("fsdp.yaml")).items():
        monkeypatch.setenv(key, value)
    plugin = FullyShardedDataParallelPlugin()
    assert plugin.fsdp_version == 2
    assert plugin.state_dict_type.name == "SHARDED_STATE_DICT"
    assert plugin.activation_checkpointing and plugin.cpu_ram_efficient_loading


def test_deepspeed_config_is_zero2():
    args = _launch_args("deepspeed-zero2.yaml")
    assert args.use_deepspeed and int(args.zero_stage) == 2
