from __future__ import annotations

import itertools
from typing import Any

from protos.talent.v1 import talent_pb2 as pb

_counter = itertools.count(1)

ADMIN = ("admin-1", "talent.admin")
EDITOR = ("hr-portal", "talent.editor")
VIEWER = ("viewer-1", "talent.viewer")


def unique() -> int:
    return next(_counter) * 7919 % 100_000_000 + next(_counter)


def individual(**overrides: Any) -> pb.Candidate:
    n = unique()
    fields: dict[str, Any] = {
        "kind": pb.CANDIDATE_KIND_INDIVIDUAL,
        "display_name": f"张伟 {n}",
        "domain": pb.DOMAIN_LIFE_HEALTH,
        "origin": pb.ORIGIN_OVERSEAS,
        "tier": pb.TIER_B,
        "employer": "温州医科大学",
        "birth_year": 1985,
        "contact": pb.Contact(email=f"zhang.wei{n}@example.com", phone=f"138{n:08d}"[:11]),
        "identity_document": f"E{n:08d}X",
    }
    fields.update(overrides)
    return pb.Candidate(**fields)


def team(**overrides: Any) -> pb.Candidate:
    n = unique()
    fields: dict[str, Any] = {
        "kind": pb.CANDIDATE_KIND_TEAM,
        "display_name": f"钙钛矿电池团队 {n}",
        "domain": pb.DOMAIN_NEW_ENERGY_MATERIALS,
        "origin": pb.ORIGIN_DOMESTIC,
        "contact": pb.Contact(email=f"team{n}@example.com"),
        "leader": pb.TeamMember(display_name="李娜", role="首席科学家"),
        "members": [pb.TeamMember(display_name="王强", role="工程师")],
    }
    fields.update(overrides)
    return pb.Candidate(**fields)
