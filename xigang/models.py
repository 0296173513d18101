"""Project-wide models (none yet). The module exists so that post_migrate reaches XigangConfig."""
