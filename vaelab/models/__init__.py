"""One file per paper. Every model exposes ``loss(batch) -> dict`` (total under ``"loss"``),
``steps() -> list[vaelab.train.Step]`` (one per optimiser) and ``latents(x, y)``."""
