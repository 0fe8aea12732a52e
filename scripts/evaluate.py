"""Evaluate a predictor: `python scripts/evaluate.py references.dir=GT predictor=tsx_dir predictor.dir=DIR`.

See conf/evaluate.yaml for the references, predictors and metrics; widget2code/evaluation/runner.py for
what lands in the run directory. Bad input (references, predictions, a missing API key) is reported as
one line with exit status 2; model weights a metric or reward needs but cannot find, with status 1.
"""

from __future__ import annotations

import sys
from pathlib import Path

import hydra
from hydra.utils import instantiate
from omegaconf import DictConfig

from widget2code.evaluation.errors import EvaluationInputError
from widget2code.evaluation.references import load_references


@hydra.main(version_base="1.3", config_path="../conf", config_name="evaluate")
def main(cfg: DictConfig) -> None:
    try:
        references = load_references(cfg.references.dir, cfg.references.manifest, cfg.references.split)
        # Imported only now (torch, openai): bad references are reported in a second.
        from widget2code.evaluation.predictors import build_predictor
        from widget2code.evaluation.preflight import check_reward_clients
        from widget2code.evaluation.runner import check_predictor, evaluate

        reward = instantiate(cfg.reward)
        check_reward_clients(reward)
        renderer = instantiate(cfg.renderer)  # started below, after every input has been checked
        predictor = build_predictor(cfg.predictor, renderer, reward)
        check_predictor(predictor, references)
        metric_sets = [instantiate(spec) for spec in cfg.metrics.values() if spec is not None]
        with renderer:
            summary = evaluate(references, predictor, renderer, reward, cfg.out_dir, metric_sets=metric_sets,
                               batch_size=cfg.batch_size, resume=cfg.resume, gap_max_others=cfg.gap_max_others,
                               seed=cfg.seed, report=cfg.report, gallery_size=cfg.gallery_size,
                               description=str(cfg.references.dir or f"{cfg.references.manifest} "
                                               f"split={cfg.references.split}"))
    except Exception as err:
        status, cause = _exit_status(err)
        if status is None:
            raise
        print(f"error: {cause}", file=sys.stderr)
        sys.exit(status)
    except KeyboardInterrupt:
        print(f"interrupted: finished predictions are kept in {cfg.out_dir}/predictions; run the same "
              f"command with out_dir={cfg.out_dir} to resume", file=sys.stderr)
        sys.exit(130)
    gap = summary.conditioning_gap
    print(f"{summary.n} references · render success {summary.render_success_rate:.1%} · "
          f"reward {_number(summary.metrics['reward'])} · conditioning gap {_number(gap['value'])} "
          f"[{_number(gap['low'])}, {_number(gap['high'])}] · {Path(cfg.out_dir) / 'summary.json'}")


def _exit_status(err: BaseException) -> tuple[int | None, BaseException]:
    """(2 for bad input: references, predictions, API keys; 1 for missing model weights; else None, the cause)."""
    from hydra.errors import InstantiationException

    if isinstance(err, InstantiationException) and err.__cause__ is not None:
        err = err.__cause__  # an object's own error, raised inside hydra.utils.instantiate
    if isinstance(err, EvaluationInputError):
        return 2, err
    # Imported only here: these modules load torch and openai, which bad references need not wait for.
    from widget2code.inference.cli import exit_status

    status = exit_status(err)
    return status if status is not None else (None, err)


def _number(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


if __name__ == "__main__":
    main()
