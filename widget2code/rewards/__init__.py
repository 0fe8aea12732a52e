"""Rewards: picklable callables `reward(references, candidates, **context) -> list[float]` in [0, 1].

Build them from `conf/reward/*.yaml` with `hydra.utils.instantiate`; see `base.py` for the interface.
"""
