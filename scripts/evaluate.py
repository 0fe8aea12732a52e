"""Evaluate a predictor: `python scripts/evaluate.py references.dir=GT predictor=tsx_dir predictor.dir=DIR`.

See conf/evaluate.yaml for the references, predictors and metrics; widget2code/evaluation/runner.py for
what lands in the run directory. Bad input (references, predictions, a missing API key) is reported as
one line with exit status 2; model weights a metric or reward needs but cannot find, with status 1.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import hydra
from hydra.utils import instantiate
from omegaconf import DictConfig

from widget2code.entry import run_entry
from widget2code.evaluation.errors import EvaluationInputError
from widget2code.evaluation.references import Reference, load_references

if TYPE_CHECKING:
    from widget2code.evaluation.results import Summary


@hydra.main(version_base="1.3", config_path="../conf", config_name="evaluate")
def main(cfg: DictConfig) -> None:
    resume = (f"finished predictions are kept in {cfg.out_dir}/predictions; run the same command with "
              f"out_dir={cfg.out_dir} to resume")
    # References first: bad ones are reported in a second, before torch and openai load.
    references = run_entry(lambda: load_references(cfg.references.dir, cfg.references.manifest,
                                                   cfg.references.split),
                           interrupted=resume, user_errors=(EvaluationInputError,))
    from widget2code.inference.cli import SETUP_ERRORS, USAGE_ERRORS

    summary = run_entry(lambda: _evaluate(cfg, references), interrupted=resume,
                        user_errors=(EvaluationInputError, *USAGE_ERRORS), setup_errors=SETUP_ERRORS)
    print(f"{summary.n} references · render success {summary.render_success_rate:.1%} · "
          f"reward {_number(summary.metrics['reward'])} · conditioning gap {_interval(summary.conditioning_gap)}"
          + _sampled_line(summary.sampled) + f" · {Path(cfg.out_dir) / 'summary.json'}")


def _evaluate(cfg: DictConfig, references: list[Reference]) -> Summary:
    from widget2code.evaluation.predictors import build_predictor
    from widget2code.evaluation.preflight import check_reward_clients
    from widget2code.evaluation.runner import check_predictor, evaluate
    from widget2code.evaluation.sampled import SampledMode

    sampled = SampledMode(**cfg.sampled) if cfg.sampled.k else None
    reward = instantiate(cfg.reward)
    check_reward_clients(reward)
    renderer = instantiate(cfg.renderer)  # started below, after every input has been checked
    predictor = build_predictor(cfg.predictor, renderer, reward)
    check_predictor(predictor, references)
    metric_sets = [instantiate(spec) for spec in cfg.metrics.values() if spec is not None]
    with renderer:
        return evaluate(references, predictor, renderer, reward, cfg.out_dir, metric_sets=metric_sets,
                        batch_size=cfg.batch_size, resume=cfg.resume, gap_max_others=cfg.gap_max_others,
                        seed=cfg.seed, report=cfg.report, gallery_size=cfg.gallery_size, sampled=sampled,
                        description=str(cfg.references.dir or f"{cfg.references.manifest} "
                                        f"split={cfg.references.split}"))


def _number(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def _interval(block: dict[str, Any]) -> str:
    return f"{_number(block['value'])} [{_number(block['low'])}, {_number(block['high'])}]"


def _sampled_line(sampled: dict[str, Any] | None) -> str:
    if sampled is None:
        return ""
    return (f" · sampled (k={sampled['k']}, temperature {sampled['temperature']:g}): reward "
            f"{_interval(sampled['reward'])}, render success {_interval(sampled['render_success_rate'])}, "
            f"best-of-{sampled['k']} {_interval(sampled['best_of_k_reward'])}")


if __name__ == "__main__":
    main()
