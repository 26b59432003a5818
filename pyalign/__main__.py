"""``python -m pyalign`` runs the command line."""
from .cli import main

main()
