"""``python -m guidebook_kg``: the same as the ``guidebook`` command."""

from guidebook_kg.cli import main

main(prog_name="guidebook")
