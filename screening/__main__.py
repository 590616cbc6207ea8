"""``python -m screening``: the same command line as the ``screening`` script."""
from .cli import app

app(prog_name="screening")
