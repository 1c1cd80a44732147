"""Create a candidate, move an application to SELECTED and read target progress over plain gRPC.

Run with the suite up (``make run``) and a talent.editor token from its banner:
    TOKEN=... .venv/bin/python docs/examples/talent_quickstart.py
"""

from __future__ import annotations

import itertools
import os
import uuid

import grpc

from protos.talent.v1 import talent_pb2 as pb
from protos.talent.v1 import talent_pb2_grpc

channel = grpc.insecure_channel(os.environ.get("TALENT_ADDR", "127.0.0.1:50051"))
talent = talent_pb2_grpc.TalentServiceStub(channel)
metadata = [("authorization", f"Bearer {os.environ['TOKEN']}")]
suffix = uuid.uuid4().hex[:6]

candidate = talent.CreateCandidate(
    pb.CreateCandidateRequest(
        candidate=pb.Candidate(
            kind=pb.CANDIDATE_KIND_INDIVIDUAL,
            display_name=f"陈晓 {suffix}",
            domain=pb.DOMAIN_LIFE_HEALTH,
            origin=pb.ORIGIN_OVERSEAS,
            tier=pb.TIER_B,
            employer="温州医科大学",
            contact=pb.Contact(email=f"chen.xiao.{suffix}@example.com"),
        ),
        request_id=f"quickstart-{suffix}",  # a retry with this id returns the same candidate
    ),
    metadata=metadata,
)
print("created", candidate.name)

application = talent.CreateApplication(
    pb.CreateApplicationRequest(
        application=pb.Application(candidate=candidate.name, programme="programmes/ouyue", year=2024)
    ),
    metadata=metadata,
)
stages = [
    pb.STAGE_SCOUTED,
    pb.STAGE_RESERVED,
    pb.STAGE_CULTIVATING,
    pb.STAGE_APPLIED,
    pb.STAGE_UNDER_REVIEW,
    pb.STAGE_SELECTED,
]
for current, target in itertools.pairwise(stages):
    application = talent.TransitionApplication(
        pb.TransitionApplicationRequest(
            name=application.name, expected_stage=current, target_stage=target, note="quick start"
        ),
        metadata=metadata,
    )
print("application", application.name, "is", pb.Stage.Name(application.stage))

progress = talent.GetTargetProgress(pb.GetTargetProgressRequest(year=2024), metadata=metadata)
for target in progress.targets:
    print(
        f"{target.title_en:<42} required {target.required}  selected {target.selected}  "
        f"forecast {target.forecast:.2f}  {pb.TargetStatus.Name(target.status)}"
    )
