"""``suite``: the command-line client of the talent and competition services."""
