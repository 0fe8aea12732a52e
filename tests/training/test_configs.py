"""Every config under conf/ composes, and what it names exists (lightning-hydra-template's test_configs).

Composition is in-process through Hydra's compose API; nothing is instantiated, so the GPU
experiments compose here without weights or a GPU. Each config group's options are composed with a
primary config that uses the group; options of different groups are composed side by side (option i
of every group in one config) to keep the number of compositions small.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from hydra.core.hydra_config import HydraConfig
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import ChoiceSweep
from hydra.utils import get_object
from omegaconf import DictConfig, OmegaConf, open_dict

from widget2code.demo import stage_config

CONF = Path(__file__).resolve().parents[2] / "conf"
PRIMARIES = sorted(path.stem for path in CONF.glob("*.yaml"))
EXPERIMENTS = sorted(path.stem for path in (CONF / "experiment").glob("*.yaml"))
#: Groups that write into the global package: each option is composed on its own.
GLOBAL_GROUPS = ("experiment", "hparams_search", "debug", "local")
#: A background no config uses, to tell an interpolated background from one that happens to match.
BACKGROUND = "#010203"
LOAD_PRETRAINED = "widget2code.models.factory.load_pretrained"


def options(group: str) -> list[str]:
    return sorted(path.stem for path in (CONF / group).glob("*.yaml"))


def group_name(entry: Any) -> str | None:
    """The config group a defaults-list entry selects from (`optional render@x: default` -> render)."""
    if not isinstance(entry, dict) or not entry:
        return None
    key = next(iter(entry)).split()[-1]  # drop "optional" / "override"
    return key.split("@")[0].lstrip("/")


def primary_of_groups() -> dict[str, str]:
    """Each group under conf/ -> a primary config whose defaults list uses it (train.yaml first)."""
    found: dict[str, str] = {}
    for primary in sorted(PRIMARIES, key=lambda name: name != "train"):
        for entry in OmegaConf.to_container(OmegaConf.load(CONF / f"{primary}.yaml")).get("defaults", []):
            name = group_name(entry)
            if name and (CONF / name).is_dir():
                found.setdefault(name, primary)
    return found


GROUPS = primary_of_groups()
GROUPS_BY_PRIMARY = {
    primary: sorted(g for g, p in GROUPS.items() if p == primary and g not in GLOBAL_GROUPS)
    for primary in set(GROUPS.values())
}


def side_by_side(primary: str) -> list[list[str]]:
    """Overrides composing option i of every group of `primary` together, for i up to the largest group."""
    groups = {group: options(group) for group in GROUPS_BY_PRIMARY.get(primary, [])}
    rounds = max((len(names) for names in groups.values()), default=1)
    return [[f"{g}={names[i % len(names)]}" for g, names in groups.items() if names] for i in range(rounds)]


@pytest.fixture(scope="module", autouse=True)
def hydra_conf() -> Iterator[None]:
    GlobalHydra.instance().clear()
    with initialize_config_dir(str(CONF), version_base="1.3"):
        yield
    GlobalHydra.instance().clear()


def composed(primary: str, overrides: list[str], tmp_path: Path) -> tuple[DictConfig, dict[str, Any]]:
    """The resolved config (missing `???` values left as they are) and Hydra's runtime choices."""
    cfg = compose(primary, overrides=overrides, return_hydra_config=True)
    with open_dict(cfg):
        cfg.hydra.runtime.output_dir = str(tmp_path)
        cfg.hydra.job.num = 0
    HydraConfig.instance().set_config(cfg)  # `${hydra:runtime.output_dir}` resolves through it
    hydra_node = cfg.hydra
    check_targets(OmegaConf.to_container(hydra_node), "hydra")  # the sweeper, its sampler, the launcher
    with open_dict(cfg):
        del cfg["hydra"]
    resolved = OmegaConf.create(OmegaConf.to_container(cfg, resolve=True, throw_on_missing=False))
    return resolved, OmegaConf.to_container(hydra_node.runtime.choices)


def targets(node: Any, where: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        if isinstance(node.get("_target_"), str):
            yield where or "<root>", node["_target_"]
        for key, value in node.items():
            yield from targets(value, f"{where}.{key}" if where else str(key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from targets(value, f"{where}[{i}]")


def check_targets(cfg: DictConfig | dict[str, Any], prefix: str = "") -> None:
    container = cfg if isinstance(cfg, dict) else OmegaConf.to_container(cfg)
    for where, target in targets(container, prefix):
        try:
            get_object(target)
        except Exception as err:
            pytest.fail(f"{where}._target_={target!r} does not resolve: {err}")


def backgrounds(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "background" and isinstance(value, str):
                yield value
            else:
                yield from backgrounds(value)
    elif isinstance(node, list):
        for value in node:
            yield from backgrounds(value)


def check_training_config(cfg: DictConfig) -> None:
    """What every composed training config must satisfy, beyond composing."""
    check_targets(cfg)
    assert cfg.data.mode == cfg.module.mode, "data.mode must follow module.mode"
    assert cfg.render.settings.background == BACKGROUND
    reward_backgrounds = set(backgrounds(OmegaConf.to_container(cfg.reward)))
    assert reward_backgrounds <= {BACKGROUND}, "the reward's background must follow render.settings.background"
    assert cfg.data_build is None or cfg.data_build.out_dir == cfg.data.dataset_dir


def test_every_group_is_used_by_a_primary_config() -> None:
    unused = sorted(p.name for p in CONF.iterdir() if p.is_dir() and p.name not in GROUPS)
    assert not unused, f"config groups no primary config selects from: {unused}"


@pytest.mark.parametrize("primary", PRIMARIES)
def test_primary_config_composes(primary: str, tmp_path: Path) -> None:
    cfg, _ = composed(primary, [], tmp_path)
    check_targets(cfg)


@pytest.mark.parametrize(("primary", "overrides"), [
    (primary, overrides) for primary in sorted(GROUPS_BY_PRIMARY) for overrides in side_by_side(primary)
], ids=lambda value: value if isinstance(value, str) else ",".join(o.split("=")[1] for o in value))
def test_group_options_compose(primary: str, overrides: list[str], tmp_path: Path) -> None:
    extra = [f"render.settings.background='{BACKGROUND}'"] if primary == "train" else []
    cfg, choices = composed(primary, [*overrides, *extra], tmp_path)
    for override in overrides:
        group, option = override.split("=")
        assert choices[group] == option
    if primary == "train":
        check_training_config(cfg)
    else:
        check_targets(cfg)


@pytest.mark.parametrize("experiment", EXPERIMENTS)
def test_experiment_composes_with_train(experiment: str, tmp_path: Path) -> None:
    cfg, choices = composed("train", [f"experiment={experiment}", f"render.settings.background='{BACKGROUND}'"],
                            tmp_path)
    check_training_config(cfg)
    assert cfg.task_name == experiment, "each experiment names its runs after itself"
    if cfg.model._target_ == LOAD_PRETRAINED and not OmegaConf.is_missing(cfg.model, "model_name_or_path"):
        assert cfg.data.image_size is None, "a real model must train at its processor's resolution"
    if choices["trainer"] != "cpu":
        assert cfg.model._target_ == LOAD_PRETRAINED, "GPU experiments train real models"


def sampled(params: dict[str, str]) -> list[str]:
    """One value of each swept parameter (`choice(8, 16)` -> 8, `interval(0.0, 0.2)` -> 0.0) as overrides."""
    parser = OverridesParser.create()
    values = [(key, parser.parse_override(f"{key}={spec}").value()) for key, spec in params.items()]
    return [f"{key}={sweep.list[0] if isinstance(sweep, ChoiceSweep) else sweep.start}" for key, sweep in values]


@pytest.mark.parametrize(("search", "experiment"), [
    (search, experiment) for search in options("hparams_search") for experiment in EXPERIMENTS
    if experiment.startswith(search.removesuffix("_optuna") + "_")
])
def test_a_trial_of_each_search_composes_with_its_experiments(search: str, experiment: str, tmp_path: Path) -> None:
    params = OmegaConf.to_container(OmegaConf.load(CONF / "hparams_search" / f"{search}.yaml").hydra.sweeper.params)
    trial = sampled(params)  # what the sweeper applies to each trial, on top of the command line
    cfg, _ = composed("train", [f"experiment={experiment}", f"hparams_search={search}", *trial,
                                f"render.settings.background='{BACKGROUND}'"], tmp_path)
    check_training_config(cfg)
    for override in trial:
        key, value = override.split("=")
        assert str(OmegaConf.select(cfg, key)) == value


@pytest.mark.parametrize("overrides", [
    *([f"debug={name}"] for name in options("debug")),
    ["experiment=sft_glm", "hydra/launcher=submitit_slurm"],
    ["experiment=sft_tiny", "logger=many"],
], ids=lambda overrides: ",".join(overrides))
def test_global_options_compose(overrides: list[str], tmp_path: Path) -> None:
    cfg, _ = composed("train", [*overrides, f"render.settings.background='{BACKGROUND}'"], tmp_path)
    check_training_config(cfg)


@pytest.mark.parametrize("primary", [name for name in PRIMARIES if name.startswith("demo")])
def test_each_demo_stage_composes_the_training_run_it_names(primary: str, tmp_path: Path) -> None:
    """`make demo` chains its stages' experiments: each must compose with train, the second and later
    from the export of the stage before, and run the experiment it names."""
    demo, _ = composed(primary, [], tmp_path)
    previous = None
    for stage in demo.stages:
        cfg = stage_config(stage, tmp_path / "data", tmp_path / "run", previous, demo.seed,
                           [*demo.stage_overrides, f"render.settings.background='{BACKGROUND}'"])
        cfg = OmegaConf.create(OmegaConf.to_container(cfg, resolve=True, throw_on_missing=False))
        check_training_config(cfg)
        experiment = next(o.split("=", 1)[1] for o in stage.overrides if o.startswith("experiment="))
        assert cfg.task_name == experiment
        previous = tmp_path / "run" / stage.name / "adapter"
