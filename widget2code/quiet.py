"""Third-party console lines that tell a widget2code user nothing, dropped where they start.

Each filter names the library, the message and why it is noise here; it matches that message from that
library only (where a library has a switch, the switch is used). Everything else stays visible: our own
warnings, the libraries' errors, and their warnings about how we call them (those are fixed at our call
instead). `quiet_third_party()` is idempotent. The package's `__init__` calls it, because bitsandbytes
logs its line while it is being imported, before an entry point could run any code.
"""

from __future__ import annotations

import logging
import os
import warnings

#: (logger, start of the message)
_LOG_LINES: tuple[tuple[str, str], ...] = (
    # bitsandbytes (0.50), on a CPU with AVX512-BF16, tries at import to fetch an optional CPU kernel
    # from the Hugging Face Hub through the `kernels` package (installed with transformers) and reports
    # the failure when offline or when the publisher cannot be verified, with a hint to install
    # `kernels`, which would not help: the kernel is a download at run time. It then uses its own CPU
    # kernel, which the kernel would only replace for the repacked inference layout that
    # models.adapters turns off anyway.
    ("bitsandbytes.backends.cpu.ops", "Failed to load CPU gemm_4bit_forward from kernels-community"),
    # The same attempt under HF_HUB_OFFLINE=1, as reported by `kernels`.
    ("kernels._internals.hf_hub", "Skipping publisher trust check for 'kernels-community/quantization-bitsandbytes'"),
    # Lightning (2.6) advertises its cloud products (LitLogger, LitModels) on every fit.
    ("lightning.pytorch.utilities.rank_zero", "💡 Tip:"),
    ("lightning.fabric.utilities.rank_zero", "💡 Tip:"),
    # Lightning (2.6) logs at INFO that a checkpoint saved without `weights_only` keeps everything: our
    # checkpoints keep the loops' and callbacks' state on purpose (exact resume); seen at every Ctrl-C.
    ("lightning.pytorch.trainer.connectors.checkpoint_connector", "`weights_only` was not set"),
    # Optuna imports alembic (for database storage, which the sweeps do not use); alembic logs each of
    # its plugins at INFO, and under Hydra's logging a sweep began with seven such lines.
    ("alembic.runtime.plugins", "setup plugin "),
)

#: (category, start of the message, module): `module` is the module the warning is attributed to, the
#: library's own call, never ours. Both are regular expressions.
_WARNINGS: tuple[tuple[type[Warning], str, str], ...] = (
    # PEFT's PeftModel reads transformers' deprecated alias `is_gradient_checkpointing` on every
    # construction; our code uses the new names (`activation_checkpointing_enable`).
    (FutureWarning, "`is_gradient_checkpointing` is deprecated", r"transformers\.modeling_utils"),
    # torchdata's StatefulDataLoader calls `torch.set_vital`, which torch 2.14 deprecated.
    (UserWarning, "'set_vital' is deprecated", r"torchdata\."),
    # Lightning's combined loader builds torch's deprecated `LeafSpec`.
    (FutureWarning, r"`isinstance\(treespec, LeafSpec\)` is deprecated", r"lightning\.pytorch\.utilities\._pytree"),
    # With an OnExceptionCheckpoint callback (callbacks/default), Lightning turns every fit(ckpt_path=None)
    # into ckpt_path="last" with a warning, then warns again when there is no checkpoint to resume: two
    # alarms at the start of every fresh run. A real resume still shows ("Restoring states from the
    # checkpoint path at ...").
    (UserWarning, r"`\.fit\(ckpt_path=None\)` was called without a model",
     r"lightning\.pytorch\.trainer\.connectors\.checkpoint_connector"),
    (UserWarning, r'\.fit\(ckpt_path="last"\) is set, but there is no last checkpoint available',
     r"lightning\.pytorch\.trainer\.connectors\.checkpoint_connector"),
)


class _DropLines(logging.Filter):
    """Drops records whose message starts with `start` (one filter per logger and message)."""

    def __init__(self, start: str) -> None:
        super().__init__()
        self.start = start

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith(self.start)


def quiet_third_party() -> None:
    """Install the filters above (once; calling again changes nothing)."""
    # wandb (0.31) advertises its Weave product when a run starts in a process that imported openai
    # (our LLM client does); its switch also stops Weave's automatic start-up, which we do not use.
    # An explicit WANDB_DISABLE_WEAVE in the environment wins.
    os.environ.setdefault("WANDB_DISABLE_WEAVE", "true")
    for name, start in _LOG_LINES:
        logger = logging.getLogger(name)
        if not any(isinstance(f, _DropLines) and f.start == start for f in logger.filters):
            logger.addFilter(_DropLines(start))
    for category, message, module in _WARNINGS:
        warnings.filterwarnings("ignore", message=message, category=category, module=module)
