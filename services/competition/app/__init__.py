"""Use cases of the competition service: one function per command.

Each takes decoded, typed input and the caller, and owns its transaction: a unit of work
(services.common.uow) that takes locks in the one documented order (app.locks), replays request
ids, and appends the command's audit records with its last statement. Servicers (api) only decode,
authorize and encode; the rules live in the domain; the SQL in the store.
"""
