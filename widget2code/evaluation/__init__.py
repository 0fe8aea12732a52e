"""Evaluation: how well a predictor turns screenshots into widgets, and whether it looks at them.

- `references`: the Widget2Code benchmark layout (gt_XXXX.png) or a dataset manifest's split;
- `predictors`: TSX already written, the oracle, and `build_predictor` for every `conf/predictor/*`;
- `layout`: predictions in the official widget2code-bench layout (image_XXXX/output.png + output.tsx);
- `metrics`: render success, the programmatic components, CLIP, the official Widget2Code metric set;
- `stats`: means with a bootstrap interval over references, alone or paired between two runs;
- `gap`: the conditioning gap with its bootstrap interval;
- `sampled`: k completions per reference at the training temperature (what GRPO optimises);
- `results`: `Sample` (one row per reference) and `Summary` (summary.json), what a run produces, read
  back as `RunResults`; `paired_differences` between two runs over the same references;
- `runner`: `evaluate(...) -> Summary` and `compare(...)`; `run_report`, `report`, `plots`: the HTML report.
"""
