"""Pure rules of the talent service: models, validation, the stage machine, target progress."""
