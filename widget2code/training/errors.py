"""The errors a training run reports to the user in one line (bad input, not bugs)."""

from __future__ import annotations

from widget2code.data.datamodule import DatasetError
from widget2code.data.manifest import ManifestError
from widget2code.models.adapters import AdapterError
from widget2code.models.chat import SequenceTooLongError
from widget2code.models.factory import ModelLoadError
from widget2code.models.tokenizer import TokenizerError
from widget2code.training.base import CheckpointMismatchError
from widget2code.training.grpo import GRPOConfigError
from widget2code.training.run import TrainConfigError
from widget2code.training.strategies import StrategyError

USER_ERRORS: tuple[type[BaseException], ...] = (
    AdapterError, CheckpointMismatchError, DatasetError, GRPOConfigError, ManifestError, ModelLoadError, SequenceTooLongError,
    StrategyError, TokenizerError, TrainConfigError,
)
