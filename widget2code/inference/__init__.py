"""Inference: a model (or an OpenAI-compatible VLM) turns screenshots into TSX.

- `generate`: the generation seam (`generate_rollout` for GRPO, `generate_texts` for everything else);
- `predictor`: `Prediction` and the `Predictor` protocol every predictor follows;
- `search`: single shot, best-of-N (`best_of_n`) and polish (`polish`) over any proposer;
- `model_predictor` / `openai_predictor`: the local-model and the API predictors;
- `loader` and `cli`: a model from a Hydra config plus an adapter, and `scripts/infer.py`.
"""
