"""The data pipeline's stages, one module each; every stage reads a dataset dir and writes another.

Sources: `build` (procedural synthetic widgets), `collect` (the two LLM paths).
Processing: `render_verify`, `dedup`, `difficulty`, `split`, `annotate`.
Shared: `base` (reports, resumable output, path rebasing), `llm_calls` (chunked requests, parsing).
`widget2code.data.pipeline` runs them in order from a Hydra config.
"""
