"""Platform code shared by every service: settings, database, server bootstrap, errors, auth."""
