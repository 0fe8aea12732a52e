"""The plan on the meta device: the real architectures at their published sizes, the seed's LoRA counts,
an error for a target that matches nothing, and bytes per GPU that follow each strategy's sharding."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from hydra.utils import instantiate
from omegaconf import OmegaConf
from transformers.models.glm4v.modeling_glm4v import Glm4vTextRotaryEmbedding
from transformers.models.qwen3_vl.modeling_qwen3_vl import Qwen3VLTextRotaryEmbedding

from widget2code.models.adapters import AdapterSettings
from widget2code.models.plan import PlanError, Workload, plan, real_config

ROOT = Path(__file__).resolve().parents[2]
GLM, QWEN = "zai-org/GLM-4.1V-9B-Thinking", "Qwen/Qwen3-VL-8B-Instruct"
WORK = Workload(rows=1, tokens=8192, logit_tokens=8192, gradient_checkpointing=True)


def peft(name: str, **changes: object) -> AdapterSettings:
    config = OmegaConf.load(ROOT / "conf" / "peft" / f"{name}.yaml")
    return instantiate(OmegaConf.merge(config, changes))


def test_qwen3vl_8b_with_qlora_r64_on_all_seven_projections_trains_the_seed_s_175m() -> None:
    result = plan(QWEN, peft("qlora_r64"), "nf4", WORK, gpus=8)
    # r · (in + out) per projection of 36 layers: hidden 4096, MLP 12288, 8 KV heads × 128
    assert result.trainable_params == 36 * 64 * (2 * 8192 + 2 * 5120 + 3 * 16384) == 174_587_904
    assert result.matched == dict.fromkeys(["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj",
                                            "down_proj"], 36)
    assert result.total_params - result.trainable_params == 8_767_123_696  # the model card's 8.77B
    assert result.trainable_share == pytest.approx(0.0195, abs=5e-4)  # Flutter-GRPO: ~1.95 %
    assert result.memory["FSDP"] is None  # QLoRA under FSDP1 is refused
    one, zero = result.memory["1 GPU"], result.memory["ZeRO-2"]
    assert zero.weights == one.weights and zero.optimizer == pytest.approx(one.optimizer / 8)
    # LoRA in float32: its gradient 4 bytes a parameter, AdamW's two states 8
    assert one.gradients == 4 * result.trainable_params and one.optimizer == 8 * result.trainable_params


def test_glm41v_9b_with_lora_r16_on_attention_trains_16m_and_fsdp_shards_its_weights() -> None:
    result = plan(GLM, peft("lora_r16"), None, WORK, gpus=8)
    # 40 layers, hidden 4096, 2 KV heads × 128
    assert result.trainable_params == 40 * 16 * (2 * 8192 + 2 * (4096 + 256)) == 16_056_320
    assert result.matched == dict.fromkeys(["q_proj", "k_proj", "v_proj", "o_proj"], 40)
    one, fsdp = result.memory["1 GPU"], result.memory["FSDP"]
    # bf16 base (~10.3B parameters, 2 bytes) + float32 LoRA
    assert one.weights == pytest.approx(2 * result.total_params + 2 * result.trainable_params, rel=1e-9)
    assert one.weights / 8 < fsdp.weights < one.weights / 4  # an eighth, and two decoder layers gathered
    assert fsdp.activations == one.activations
    # at 8,192 tokens the logits (vocabulary 151,552, ~10 bytes each) outweigh the checkpointed layers
    assert one.activations > 8192 * 151_552 * 10


@pytest.mark.parametrize(("hub_id", "rotary", "width"), [(GLM, Glm4vTextRotaryEmbedding, 64),
                                                          (QWEN, Qwen3VLTextRotaryEmbedding, 128)])
def test_the_real_configs_rotary_embeddings_run(hub_id: str, rotary: type, width: int) -> None:
    # GLM-4.1V rotates half of each 128-wide head, cut into mrope sections 8/12/12 (twice over);
    # Glm4vConfig()'s defaults rotate all of it, and the first forward on a GPU failed in the split
    text = real_config(hub_id).text_config
    cos, sin = rotary(text)(torch.zeros(1, 4, 8), torch.arange(4).expand(3, 1, 4))
    assert cos.shape == sin.shape == (1, 4, width)


def test_activations_grow_without_gradient_checkpointing_and_shrink_with_chunked_logits() -> None:
    settings = peft("lora_r16")
    full = plan(GLM, settings, None, WORK, gpus=1).memory["1 GPU"].activations
    no_checkpoints = Workload(1, 8192, 8192, gradient_checkpointing=False)
    assert plan(GLM, settings, None, no_checkpoints, gpus=1).memory["1 GPU"].activations > 3 * full
    chunked = Workload(1, 8192, 512, gradient_checkpointing=True)
    assert plan(GLM, settings, None, chunked, gpus=1).memory["1 GPU"].activations < full / 2


def test_a_lora_target_that_matches_nothing_is_an_error_naming_it() -> None:
    # lora_tiny lists both families' MLP names; GLM-4.1V's language model has gate_up_proj, not these
    with pytest.raises(PlanError, match=r"\['gate_proj', 'up_proj'\] match no module of glm4v"):
        plan(GLM, peft("lora_tiny"), None, WORK, gpus=8)
    with pytest.raises(PlanError, match="no config for 'someone/unknown-model'"):
        plan("someone/unknown-model", peft("lora_r16"), None, WORK, gpus=8)


@pytest.mark.slow
def test_plan_py_prints_a_table_then_one_json_line_and_refuses_in_one_line() -> None:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, str(ROOT / "scripts" / "plan.py"), *args], cwd=ROOT,
                              capture_output=True, text=True, timeout=600, check=False)

    good, tiny = run("experiment=grpo_qwen_clip", "plan.gpus=4"), run("experiment=sft_tiny")
    assert good.returncode == 0, good.stderr[-3000:]
    *table, last = good.stdout.strip().splitlines()
    result = json.loads(last)
    assert result["trainable_params"] == 174_587_904 and result["total_params"] == 8_941_711_600
    assert result["gpus"] == 4 and result["bytes_per_gpu"]["FSDP"] is None
    assert result["workload"] == {"rows": 4, "tokens": 1024 + 2048, "logit_tokens": 512, "gradient_checkpointing": True}
    assert any("ZeRO-2" in line for line in table) and any("174,587,904 trainable" in line for line in table)
    assert tiny.returncode == 2 and tiny.stderr.strip().splitlines()[-1].startswith("error: PlanError: plan.py plans")
