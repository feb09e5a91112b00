"""``python -m jainam_validate``: the same entry point as the ``jainam-validate`` script."""

from jainam_validate.launcher import main

main()
