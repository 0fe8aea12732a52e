"""Placeholder: the Renderer is being written (see issue 3)."""

class Renderer:
    pass
