"""Shared constants of the evaluation tests: the tiny synthetic split and a blank widget."""

CATEGORIES = ("weather", "stock", "calendar")
DIFFICULTIES = ("simple", "medium")
N_WIDGETS = 5
# Renders as a white box on the white page: valid code that ignores the screenshot entirely.
BLANK_TSX = "export default function Blank() { return <div className='w-64 h-32 bg-white' />; }"
