"""Lightning's FSDP and DeepSpeed strategies with what this project's training needs, and a one-line
`StrategyError` for each combination that cannot work, raised when the trainer config is instantiated.

FSDP (`FSDP`, conf/trainer/fsdp.yaml and fsdp_cpu.yaml), FSDP1 with `use_orig_params`:
- Units: every decoder layer and vision block of either family (class names from the config), and every
  LoRA matrix alone. PEFT keeps adapter weights in float32 beside a bfloat16 base, and FSDP1 flattens a
  unit into one tensor of one dtype; a LoRA matrix as its own unit keeps each unit uniform.
- Norm clipping through the root FSDP module's `clip_grad_norm_`, which all-reduces the shards' norms.
  Lightning's FSDP precision plugin refuses norm clipping because it holds no reference to the root;
  ours does, so `gradient_clip_val` (SFT) and `module.clip_gradients` / `clip_gradients` (GRPO) work.
- CPU: FSDP1 runs on the CPU over gloo when it is told the device (Lightning passes a CUDA index, None
  for the CPU, and refuses its own FSDPStrategy there), which is how the tests run it (`fsdp_cpu`).
- Refused: QLoRA (a 4-bit base is stored as uint8 beside float32 LoRA and norms: FSDP1 cannot flatten
  mixed dtypes), and the GPU config on a machine without CUDA.
Checkpoints use the full state dict: the trainable parameters are filtered out of it
(`PolicyModule.on_save_checkpoint`), and a full checkpoint loads without the frozen weights, which a
sharded (torch.distributed.checkpoint) one cannot. The price: each save gathers the whole model to
rank 0's CPU memory once (about 18 GB for a 9B model in bfloat16).

DeepSpeed (`DeepSpeed`, conf/trainer/deepspeed.yaml), ZeRO stage 1 or 2:
- Clipping lives in the DeepSpeed config (`gradient_clipping`): Lightning's DeepSpeed precision plugin
  makes `clip_gradients` a no-op, so GRPO's `max_grad_norm` is written there (the engine clips at its
  step, over the gradients of the whole accumulation window).
- Accumulation over several `manual_backward` calls (GRPO's `gradient_accumulation`): ZeRO-2 reduces
  and partitions gradients at every backward (there is no `no_sync`), and without optimizer offload it
  adds each backward's partition into `averaged_gradients` until the step, so the window sums as it
  should. With `offload_optimizer` and DeepSpeed's own accumulation steps at 1 (Lightning derives them
  from `accumulate_grad_batches`, which manual optimization keeps at 1) each backward copies over the
  previous one in the CPU partition: refused, rather than training on the last mini-batch only.
- Refused: stage 3 (it shards the weights; use FSDP), a missing `deepspeed` package, no CUDA.
"""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import torch
from lightning import LightningModule
from lightning.pytorch.plugins.precision.fsdp import FSDPPrecision
from lightning.pytorch.strategies import DeepSpeedStrategy, FSDPStrategy, Strategy
from torch.distributed.fsdp import FullStateDictConfig, FullyShardedDataParallel, StateDictType
from torch.distributed.fsdp.wrap import CustomPolicy

#: What wrappers insert into module and parameter names: FSDP units, activation checkpointing,
#: torch.compile. The state dicts they produce leave them out; `named_parameters()` keeps them.
WRAPPER_PREFIXES = ("_fsdp_wrapped_module.", "_checkpoint_wrapped_module.", "_orig_mod.")
#: Decoder layers and vision blocks of both families (their `_no_split_modules`): one FSDP unit each.
LAYER_CLASSES = ("Glm4vTextDecoderLayer", "Glm4vVisionBlock", "Qwen3VLTextDecoderLayer", "Qwen3VLVisionBlock")
#: PEFT's LoRA matrices: `...q_proj.lora_A.default` is a Linear of its own.
_LORA_MATRIX = re.compile(r"\.lora_(A|B|embedding_A|embedding_B)\.[^.]+$")
_GPU = ("gpu", "cuda")


class StrategyError(ValueError):
    """The trainer's strategy cannot run with this model, adapter method or machine."""


def clean_name(name: str) -> str:
    """A module's or parameter's name as the unwrapped model has it (and as checkpoints store it)."""
    for prefix in WRAPPER_PREFIXES:
        name = name.replace(prefix, "")
    return name


@contextmanager
def names_without_wrappers(model: torch.nn.Module) -> Iterator[None]:
    """Inside, `model.named_modules()` names modules as the unwrapped model would.

    PEFT (0.21) finds an adapter's entries in a state dict by the names of its layers, and strips FSDP's
    prefix only at the start of a name; with decoder layers as units it sits in the middle, so a
    gathered (unwrapped) state dict would lose every LoRA matrix on export.
    """
    own = model.named_modules

    def named_modules(*args: Any, **kwargs: Any) -> Iterator[tuple[str, torch.nn.Module]]:
        for name, module in own(*args, **kwargs):
            yield clean_name(name), module

    model.named_modules = named_modules  # type: ignore[method-assign]
    try:
        yield
    finally:
        del model.named_modules


def _require_cuda(strategy: str, accelerator: str | None, instead: str) -> None:
    if accelerator in _GPU and not torch.cuda.is_available():
        raise StrategyError(f"trainer={strategy} runs on CUDA GPUs and this machine has none; {instead}")


def unit_policy(model: torch.nn.Module, layer_classes: Sequence[str]) -> CustomPolicy:
    """FSDP units: modules of `layer_classes` (by class name) and every LoRA matrix of `model`.

    What PEFT copies to train beside the original (`modules_to_save`: the vision tower with
    `train_vision`) stays in its parent's unit: PEFT reads the copy's `state_dict()` keys when it saves
    the adapter, and on units of their own that would be a gather that rank 0 alone enters.
    """
    names = frozenset(layer_classes)
    units = {id(module) for name, module in model.named_modules() if _LORA_MATRIX.search(name)
             or (type(module).__name__ in names and ".modules_to_save." not in f".{name}.")}
    return CustomPolicy(lambda module: id(module) in units)


class _RootClippingPrecision(FSDPPrecision):
    """Lightning's FSDP precision plugin, clipping by norm through the strategy's root FSDP module."""

    def __init__(self, plugin: FSDPPrecision, strategy: FSDPStrategy) -> None:
        super().__init__(plugin.precision)  # scaler=None; a 16-mixed plugin's own scaler is kept below
        self.scaler = plugin.scaler
        self._strategy = strategy

    def clip_grad_by_norm(self, optimizer: Any, clip_val: int | float) -> None:
        self._strategy.model.clip_grad_norm_(clip_val)


class FSDP(FSDPStrategy):
    """Lightning's FSDPStrategy as the module docstring says: units by `layer_classes` and LoRA matrix,
    root clipping, the CPU over gloo; `adapter_method` and `trainer_accelerator` are checked at once."""

    def __init__(self, *, layer_classes: Sequence[str] = LAYER_CLASSES, adapter_method: str | None = None,
                 trainer_accelerator: str | None = None, **kwargs: Any) -> None:
        if adapter_method == "qlora":
            raise StrategyError(
                "trainer=fsdp cannot train QLoRA: FSDP1 flattens each unit into one tensor, and a 4-bit base "
                "is stored as uint8 beside float32 adapters and norms; use trainer=ddp (the 4-bit 8B model "
                "fits one GPU: see scripts/plan.py) or trainer=deepspeed, or peft=lora_r16 with FSDP")
        _require_cuda("fsdp", trainer_accelerator, "on a CPU use trainer=fsdp_cpu (gloo) or trainer=ddp_cpu")
        super().__init__(**kwargs)
        self.layer_classes = tuple(layer_classes)

    def setup_environment(self) -> None:
        if self.num_nodes * self.num_processes == 1:
            # measured on an H200 and reproduced on the CPU (torch 2.11, 2.14): training runs, the export fails
            raise StrategyError(
                "trainer=fsdp over one device shards nothing: PyTorch runs it as NO_SHARD, whose full state "
                "dict loses the root unit's frozen parameters, so the export after training would fail; on one "
                "GPU use trainer=gpu, else trainer.devices=2 or more")
        super().setup_environment()

    @property
    def precision_plugin(self) -> FSDPPrecision:
        return FSDPStrategy.precision_plugin.fget(self)

    @precision_plugin.setter
    def precision_plugin(self, plugin: FSDPPrecision | None) -> None:
        if plugin is not None and not isinstance(plugin, _RootClippingPrecision):
            plugin = _RootClippingPrecision(plugin, self)
        FSDPStrategy.precision_plugin.fset(self, plugin)

    def _setup_model(self, model: torch.nn.Module) -> torch.nn.Module:
        # A stage after fit (validate, test) hands back the bare module whose units are wrapped; Lightning
        # then skips wrapping the root, whose own parameters stay sharded ("'weight' must be 2-D",
        # Lightning issue 19015). The root of the fit still holds them: use it again.
        root = getattr(self, "_root", None)
        if isinstance(root, FullyShardedDataParallel) and root.module is model:
            return root
        if not any(isinstance(module, FullyShardedDataParallel) for module in model.modules()):
            policy = unit_policy(model, self.layer_classes)
            if self.root_device.type == "cpu":
                model = FullyShardedDataParallel(
                    module=model, cpu_offload=self.cpu_offload, mixed_precision=self.mixed_precision_config,
                    sharding_strategy=self.sharding_strategy, device_id=self.root_device, auto_wrap_policy=policy,
                    **self.kwargs)
            else:
                self.kwargs["auto_wrap_policy"] = policy
        self._root = super()._setup_model(model)
        self.kwargs.pop("auto_wrap_policy", None)
        return self._root


def deepspeed_config(stage: int, offload_optimizer: bool, gradient_clipping: float | None) -> dict[str, Any]:
    """The DeepSpeed config Lightning completes (precision, micro batch size, accumulation steps)."""
    zero: dict[str, Any] = {"stage": stage, "contiguous_gradients": True, "overlap_comm": True,
                            "reduce_scatter": True, "reduce_bucket_size": 2e8, "allgather_bucket_size": 2e8}
    if offload_optimizer:
        zero["offload_optimizer"] = {"device": "cpu", "pin_memory": True}
    return {
        "zero_optimization": zero,
        "zero_allow_untested_optimizer": True,  # torch's AdamW (configure_adamw)
        "zero_force_ds_cpu_optimizer": False,
        "gradient_clipping": float(gradient_clipping or 0.0),
    }


class DeepSpeed(DeepSpeedStrategy):
    """Lightning's DeepSpeedStrategy built from `deepspeed_config`, checked as the module docstring says.

    `backward_passes_per_step` is how many `manual_backward` calls a module makes before each optimizer
    step (GRPO's `gradient_accumulation`; 1 for SFT).
    """

    def __init__(self, *, stage: int = 2, offload_optimizer: bool = False, gradient_clipping: float | None = None,
                 backward_passes_per_step: int = 1, trainer_accelerator: str | None = None,
                 **kwargs: Any) -> None:
        if stage not in (1, 2):
            raise StrategyError(f"trainer=deepspeed supports ZeRO stages 1 and 2, got stage={stage}: stage 3 "
                                "shards the weights, which trainer=fsdp does here")
        if offload_optimizer and backward_passes_per_step > 1:
            raise StrategyError(
                f"trainer=deepspeed with offload_optimizer keeps only the last of {backward_passes_per_step} "
                "backward passes before a step (ZeRO-2 offload copies, not adds, when DeepSpeed's own "
                "accumulation is 1); set module.grpo.gradient_accumulation=1 or offload_optimizer=false")
        if importlib.util.find_spec("deepspeed") is None:
            raise StrategyError("trainer=deepspeed needs the deepspeed package: pip install '.[gpu]' on the GPU "
                                "machine, or use trainer=ddp / trainer=fsdp")
        _require_cuda("deepspeed", trainer_accelerator, "on a CPU use trainer=ddp_cpu")
        super().__init__(config=deepspeed_config(stage, offload_optimizer, gradient_clipping),
                         exclude_frozen_parameters=True, **kwargs)


def clip_gradients(module: LightningModule, optimizer: Any, max_norm: float) -> torch.Tensor | None:
    """Clip the gradients of an optimizer step to total norm `max_norm` (manual optimization); returns the
    norm before clipping, None under DeepSpeed (whose engine clips at its step, as configured).

    FSDP: the root module's `clip_grad_norm_` (the norm over every rank's shard). DeepSpeed: checks that
    its config clips at `max_norm`. Otherwise (one device, DDP) every rank holds whole, reduced gradients.
    """
    strategy: Strategy = module.trainer.strategy
    if isinstance(strategy, FSDPStrategy):
        return strategy.model.clip_grad_norm_(max_norm)
    if isinstance(strategy, DeepSpeedStrategy):
        configured = strategy.config.get("gradient_clipping", 0.0)
        if configured != max_norm:
            raise StrategyError(f"DeepSpeed clips at {configured} (its config's gradient_clipping) but the module "
                                f"asks for {max_norm}: set the strategy's gradient_clipping to it")
        return None
    parameters = [p for group in optimizer.param_groups for p in group["params"] if p.grad is not None]
    return torch.nn.utils.clip_grad_norm_(parameters, max_norm)


def full_model_state(module: LightningModule) -> dict[str, torch.Tensor] | None:
    """The whole state dict of `module.model` when FSDP shards it, gathered to rank 0 (the other ranks get
    an empty dict); None when the parameters are not sharded (read the model as it is).

    Under FSDP every rank must call this (the gathers are collectives), whichever rank saves.
    """
    strategy = module.trainer.strategy
    if not isinstance(strategy, FSDPStrategy):
        return None
    root = strategy.model
    config = FullStateDictConfig(offload_to_cpu=strategy.world_size > 1, rank0_only=True)
    with FullyShardedDataParallel.state_dict_type(root, StateDictType.FULL_STATE_DICT, config):
        state = root.state_dict()
    prefix = "model."  # PolicyModule keeps the network at .model
    return {key[len(prefix):]: value for key, value in state.items() if key.startswith(prefix)}
