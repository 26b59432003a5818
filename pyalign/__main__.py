"""``python -m pyalign`` runs the command line."""
from pyalign.cli import main

main()
