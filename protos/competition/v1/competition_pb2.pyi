import datetime

from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import field_mask_pb2 as _field_mask_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Domain(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DOMAIN_UNSPECIFIED: _ClassVar[Domain]
    DOMAIN_LIFE_HEALTH: _ClassVar[Domain]
    DOMAIN_NEW_ENERGY_MATERIALS: _ClassVar[Domain]
    DOMAIN_DIGITAL_ECONOMY: _ClassVar[Domain]
    DOMAIN_OTHER: _ClassVar[Domain]

class LandingPool(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    LANDING_POOL_UNSPECIFIED: _ClassVar[LandingPool]
    LANDING_POOL_AWARDED: _ClassVar[LandingPool]
    LANDING_POOL_FINALISTS: _ClassVar[LandingPool]

class RoundKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ROUND_KIND_UNSPECIFIED: _ClassVar[RoundKind]
    ROUND_KIND_PRELIMINARY: _ClassVar[RoundKind]
    ROUND_KIND_SEMIFINAL: _ClassVar[RoundKind]
    ROUND_KIND_FINAL: _ClassVar[RoundKind]
    ROUND_KIND_OTHER: _ClassVar[RoundKind]

class RoundState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ROUND_STATE_UNSPECIFIED: _ClassVar[RoundState]
    ROUND_STATE_DRAFT: _ClassVar[RoundState]
    ROUND_STATE_OPEN: _ClassVar[RoundState]
    ROUND_STATE_CLOSED: _ClassVar[RoundState]
    ROUND_STATE_FINALIZED: _ClassVar[RoundState]

class AggregationMethod(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    AGGREGATION_METHOD_UNSPECIFIED: _ClassVar[AggregationMethod]
    AGGREGATION_METHOD_MEAN: _ClassVar[AggregationMethod]
    AGGREGATION_METHOD_TRIMMED_MEAN: _ClassVar[AggregationMethod]
    AGGREGATION_METHOD_ZSCORE: _ClassVar[AggregationMethod]

class ConflictSource(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CONFLICT_SOURCE_UNSPECIFIED: _ClassVar[ConflictSource]
    CONFLICT_SOURCE_AFFILIATION: _ClassVar[ConflictSource]
    CONFLICT_SOURCE_DECLARED_BY_JUDGE: _ClassVar[ConflictSource]
    CONFLICT_SOURCE_DECLARED_BY_ADMIN: _ClassVar[ConflictSource]

class Outcome(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    OUTCOME_UNSPECIFIED: _ClassVar[Outcome]
    OUTCOME_ADVANCED: _ClassVar[Outcome]
    OUTCOME_ELIMINATED: _ClassVar[Outcome]

class LandingStage(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    LANDING_STAGE_UNSPECIFIED: _ClassVar[LandingStage]
    LANDING_STAGE_INTENT: _ClassVar[LandingStage]
    LANDING_STAGE_SIGNED: _ClassVar[LandingStage]
    LANDING_STAGE_REGISTERED: _ClassVar[LandingStage]
    LANDING_STAGE_OPERATING: _ClassVar[LandingStage]
    LANDING_STAGE_DROPPED: _ClassVar[LandingStage]

class LandingTargetStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    LANDING_TARGET_STATUS_UNSPECIFIED: _ClassVar[LandingTargetStatus]
    LANDING_TARGET_STATUS_MET: _ClassVar[LandingTargetStatus]
    LANDING_TARGET_STATUS_ON_TRACK: _ClassVar[LandingTargetStatus]
    LANDING_TARGET_STATUS_AT_RISK: _ClassVar[LandingTargetStatus]
    LANDING_TARGET_STATUS_MISSED: _ClassVar[LandingTargetStatus]

class JudgeInvitationState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    JUDGE_INVITATION_STATE_UNSPECIFIED: _ClassVar[JudgeInvitationState]
    JUDGE_INVITATION_STATE_ACTIVE: _ClassVar[JudgeInvitationState]
    JUDGE_INVITATION_STATE_EXPIRED: _ClassVar[JudgeInvitationState]
    JUDGE_INVITATION_STATE_REVOKED: _ClassVar[JudgeInvitationState]
DOMAIN_UNSPECIFIED: Domain
DOMAIN_LIFE_HEALTH: Domain
DOMAIN_NEW_ENERGY_MATERIALS: Domain
DOMAIN_DIGITAL_ECONOMY: Domain
DOMAIN_OTHER: Domain
LANDING_POOL_UNSPECIFIED: LandingPool
LANDING_POOL_AWARDED: LandingPool
LANDING_POOL_FINALISTS: LandingPool
ROUND_KIND_UNSPECIFIED: RoundKind
ROUND_KIND_PRELIMINARY: RoundKind
ROUND_KIND_SEMIFINAL: RoundKind
ROUND_KIND_FINAL: RoundKind
ROUND_KIND_OTHER: RoundKind
ROUND_STATE_UNSPECIFIED: RoundState
ROUND_STATE_DRAFT: RoundState
ROUND_STATE_OPEN: RoundState
ROUND_STATE_CLOSED: RoundState
ROUND_STATE_FINALIZED: RoundState
AGGREGATION_METHOD_UNSPECIFIED: AggregationMethod
AGGREGATION_METHOD_MEAN: AggregationMethod
AGGREGATION_METHOD_TRIMMED_MEAN: AggregationMethod
AGGREGATION_METHOD_ZSCORE: AggregationMethod
CONFLICT_SOURCE_UNSPECIFIED: ConflictSource
CONFLICT_SOURCE_AFFILIATION: ConflictSource
CONFLICT_SOURCE_DECLARED_BY_JUDGE: ConflictSource
CONFLICT_SOURCE_DECLARED_BY_ADMIN: ConflictSource
OUTCOME_UNSPECIFIED: Outcome
OUTCOME_ADVANCED: Outcome
OUTCOME_ELIMINATED: Outcome
LANDING_STAGE_UNSPECIFIED: LandingStage
LANDING_STAGE_INTENT: LandingStage
LANDING_STAGE_SIGNED: LandingStage
LANDING_STAGE_REGISTERED: LandingStage
LANDING_STAGE_OPERATING: LandingStage
LANDING_STAGE_DROPPED: LandingStage
LANDING_TARGET_STATUS_UNSPECIFIED: LandingTargetStatus
LANDING_TARGET_STATUS_MET: LandingTargetStatus
LANDING_TARGET_STATUS_ON_TRACK: LandingTargetStatus
LANDING_TARGET_STATUS_AT_RISK: LandingTargetStatus
LANDING_TARGET_STATUS_MISSED: LandingTargetStatus
JUDGE_INVITATION_STATE_UNSPECIFIED: JudgeInvitationState
JUDGE_INVITATION_STATE_ACTIVE: JudgeInvitationState
JUDGE_INVITATION_STATE_EXPIRED: JudgeInvitationState
JUDGE_INVITATION_STATE_REVOKED: JudgeInvitationState

class Contest(_message.Message):
    __slots__ = ("name", "display_name", "year", "min_landed_entries", "min_landing_ratio", "landing_deadline", "landing_pool", "create_time", "update_time", "etag", "judges")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    YEAR_FIELD_NUMBER: _ClassVar[int]
    MIN_LANDED_ENTRIES_FIELD_NUMBER: _ClassVar[int]
    MIN_LANDING_RATIO_FIELD_NUMBER: _ClassVar[int]
    LANDING_DEADLINE_FIELD_NUMBER: _ClassVar[int]
    LANDING_POOL_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    JUDGES_FIELD_NUMBER: _ClassVar[int]
    name: str
    display_name: str
    year: int
    min_landed_entries: int
    min_landing_ratio: float
    landing_deadline: str
    landing_pool: LandingPool
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    etag: str
    judges: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, name: _Optional[str] = ..., display_name: _Optional[str] = ..., year: _Optional[int] = ..., min_landed_entries: _Optional[int] = ..., min_landing_ratio: _Optional[float] = ..., landing_deadline: _Optional[str] = ..., landing_pool: _Optional[_Union[LandingPool, str]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., etag: _Optional[str] = ..., judges: _Optional[_Iterable[str]] = ...) -> None: ...

class Criterion(_message.Message):
    __slots__ = ("key", "display_name", "weight", "min_value", "max_value", "step")
    KEY_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    WEIGHT_FIELD_NUMBER: _ClassVar[int]
    MIN_VALUE_FIELD_NUMBER: _ClassVar[int]
    MAX_VALUE_FIELD_NUMBER: _ClassVar[int]
    STEP_FIELD_NUMBER: _ClassVar[int]
    key: str
    display_name: str
    weight: float
    min_value: float
    max_value: float
    step: float
    def __init__(self, key: _Optional[str] = ..., display_name: _Optional[str] = ..., weight: _Optional[float] = ..., min_value: _Optional[float] = ..., max_value: _Optional[float] = ..., step: _Optional[float] = ...) -> None: ...

class Advancement(_message.Message):
    __slots__ = ("top_n", "min_score")
    TOP_N_FIELD_NUMBER: _ClassVar[int]
    MIN_SCORE_FIELD_NUMBER: _ClassVar[int]
    top_n: int
    min_score: float
    def __init__(self, top_n: _Optional[int] = ..., min_score: _Optional[float] = ...) -> None: ...

class AwardTier(_message.Message):
    __slots__ = ("tier", "display_name", "count")
    TIER_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    tier: str
    display_name: str
    count: int
    def __init__(self, tier: _Optional[str] = ..., display_name: _Optional[str] = ..., count: _Optional[int] = ...) -> None: ...

class Round(_message.Message):
    __slots__ = ("name", "display_name", "kind", "sequence", "state", "criteria", "judges_per_entry", "aggregation", "advancement", "award_tiers", "judging_deadline", "leaderboard_digest", "force_close_reason", "create_time", "update_time", "etag")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    CRITERIA_FIELD_NUMBER: _ClassVar[int]
    JUDGES_PER_ENTRY_FIELD_NUMBER: _ClassVar[int]
    AGGREGATION_FIELD_NUMBER: _ClassVar[int]
    ADVANCEMENT_FIELD_NUMBER: _ClassVar[int]
    AWARD_TIERS_FIELD_NUMBER: _ClassVar[int]
    JUDGING_DEADLINE_FIELD_NUMBER: _ClassVar[int]
    LEADERBOARD_DIGEST_FIELD_NUMBER: _ClassVar[int]
    FORCE_CLOSE_REASON_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    name: str
    display_name: str
    kind: RoundKind
    sequence: int
    state: RoundState
    criteria: _containers.RepeatedCompositeFieldContainer[Criterion]
    judges_per_entry: int
    aggregation: AggregationMethod
    advancement: Advancement
    award_tiers: _containers.RepeatedCompositeFieldContainer[AwardTier]
    judging_deadline: _timestamp_pb2.Timestamp
    leaderboard_digest: str
    force_close_reason: str
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    etag: str
    def __init__(self, name: _Optional[str] = ..., display_name: _Optional[str] = ..., kind: _Optional[_Union[RoundKind, str]] = ..., sequence: _Optional[int] = ..., state: _Optional[_Union[RoundState, str]] = ..., criteria: _Optional[_Iterable[_Union[Criterion, _Mapping]]] = ..., judges_per_entry: _Optional[int] = ..., aggregation: _Optional[_Union[AggregationMethod, str]] = ..., advancement: _Optional[_Union[Advancement, _Mapping]] = ..., award_tiers: _Optional[_Iterable[_Union[AwardTier, _Mapping]]] = ..., judging_deadline: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., leaderboard_digest: _Optional[str] = ..., force_close_reason: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., etag: _Optional[str] = ...) -> None: ...

class TeamMember(_message.Message):
    __slots__ = ("display_name", "role")
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    display_name: str
    role: str
    def __init__(self, display_name: _Optional[str] = ..., role: _Optional[str] = ...) -> None: ...

class Team(_message.Message):
    __slots__ = ("leader", "members", "organisations")
    LEADER_FIELD_NUMBER: _ClassVar[int]
    MEMBERS_FIELD_NUMBER: _ClassVar[int]
    ORGANISATIONS_FIELD_NUMBER: _ClassVar[int]
    leader: TeamMember
    members: _containers.RepeatedCompositeFieldContainer[TeamMember]
    organisations: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, leader: _Optional[_Union[TeamMember, _Mapping]] = ..., members: _Optional[_Iterable[_Union[TeamMember, _Mapping]]] = ..., organisations: _Optional[_Iterable[str]] = ...) -> None: ...

class Entry(_message.Message):
    __slots__ = ("name", "title", "team", "domain", "origin_country", "summary", "last_round", "last_outcome", "create_time", "update_time", "etag")
    NAME_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    TEAM_FIELD_NUMBER: _ClassVar[int]
    DOMAIN_FIELD_NUMBER: _ClassVar[int]
    ORIGIN_COUNTRY_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    LAST_ROUND_FIELD_NUMBER: _ClassVar[int]
    LAST_OUTCOME_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    name: str
    title: str
    team: Team
    domain: Domain
    origin_country: str
    summary: str
    last_round: str
    last_outcome: str
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    etag: str
    def __init__(self, name: _Optional[str] = ..., title: _Optional[str] = ..., team: _Optional[_Union[Team, _Mapping]] = ..., domain: _Optional[_Union[Domain, str]] = ..., origin_country: _Optional[str] = ..., summary: _Optional[str] = ..., last_round: _Optional[str] = ..., last_outcome: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., etag: _Optional[str] = ...) -> None: ...

class Judge(_message.Message):
    __slots__ = ("name", "display_name", "domains", "affiliations", "create_time", "etag")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    DOMAINS_FIELD_NUMBER: _ClassVar[int]
    AFFILIATIONS_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    name: str
    display_name: str
    domains: _containers.RepeatedScalarFieldContainer[Domain]
    affiliations: _containers.RepeatedScalarFieldContainer[str]
    create_time: _timestamp_pb2.Timestamp
    etag: str
    def __init__(self, name: _Optional[str] = ..., display_name: _Optional[str] = ..., domains: _Optional[_Iterable[_Union[Domain, str]]] = ..., affiliations: _Optional[_Iterable[str]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., etag: _Optional[str] = ...) -> None: ...

class Conflict(_message.Message):
    __slots__ = ("judge", "entry", "source", "reason", "declared_by", "create_time")
    JUDGE_FIELD_NUMBER: _ClassVar[int]
    ENTRY_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    DECLARED_BY_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    judge: str
    entry: str
    source: ConflictSource
    reason: str
    declared_by: str
    create_time: _timestamp_pb2.Timestamp
    def __init__(self, judge: _Optional[str] = ..., entry: _Optional[str] = ..., source: _Optional[_Union[ConflictSource, str]] = ..., reason: _Optional[str] = ..., declared_by: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Assignment(_message.Message):
    __slots__ = ("round", "judge", "entry", "submitted", "create_time")
    ROUND_FIELD_NUMBER: _ClassVar[int]
    JUDGE_FIELD_NUMBER: _ClassVar[int]
    ENTRY_FIELD_NUMBER: _ClassVar[int]
    SUBMITTED_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    round: str
    judge: str
    entry: str
    submitted: bool
    create_time: _timestamp_pb2.Timestamp
    def __init__(self, round: _Optional[str] = ..., judge: _Optional[str] = ..., entry: _Optional[str] = ..., submitted: _Optional[bool] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CriterionScore(_message.Message):
    __slots__ = ("criterion", "value")
    CRITERION_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    criterion: str
    value: float
    def __init__(self, criterion: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...

class ScoreSheet(_message.Message):
    __slots__ = ("round", "entry", "judge", "scores", "comment", "total", "version", "submit_time")
    ROUND_FIELD_NUMBER: _ClassVar[int]
    ENTRY_FIELD_NUMBER: _ClassVar[int]
    JUDGE_FIELD_NUMBER: _ClassVar[int]
    SCORES_FIELD_NUMBER: _ClassVar[int]
    COMMENT_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    SUBMIT_TIME_FIELD_NUMBER: _ClassVar[int]
    round: str
    entry: str
    judge: str
    scores: _containers.RepeatedCompositeFieldContainer[CriterionScore]
    comment: str
    total: float
    version: int
    submit_time: _timestamp_pb2.Timestamp
    def __init__(self, round: _Optional[str] = ..., entry: _Optional[str] = ..., judge: _Optional[str] = ..., scores: _Optional[_Iterable[_Union[CriterionScore, _Mapping]]] = ..., comment: _Optional[str] = ..., total: _Optional[float] = ..., version: _Optional[int] = ..., submit_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CreateContestRequest(_message.Message):
    __slots__ = ("contest", "contest_id", "request_id", "validate_only")
    CONTEST_FIELD_NUMBER: _ClassVar[int]
    CONTEST_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    VALIDATE_ONLY_FIELD_NUMBER: _ClassVar[int]
    contest: Contest
    contest_id: str
    request_id: str
    validate_only: bool
    def __init__(self, contest: _Optional[_Union[Contest, _Mapping]] = ..., contest_id: _Optional[str] = ..., request_id: _Optional[str] = ..., validate_only: _Optional[bool] = ...) -> None: ...

class GetContestRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class ListContestsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "year")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    YEAR_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    year: int
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., year: _Optional[int] = ...) -> None: ...

class ListContestsResponse(_message.Message):
    __slots__ = ("contests", "next_page_token")
    CONTESTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    contests: _containers.RepeatedCompositeFieldContainer[Contest]
    next_page_token: str
    def __init__(self, contests: _Optional[_Iterable[_Union[Contest, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class UpdateContestRequest(_message.Message):
    __slots__ = ("contest", "update_mask")
    CONTEST_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    contest: Contest
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, contest: _Optional[_Union[Contest, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class CreateRoundRequest(_message.Message):
    __slots__ = ("parent", "round", "round_id", "request_id", "validate_only")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    ROUND_FIELD_NUMBER: _ClassVar[int]
    ROUND_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    VALIDATE_ONLY_FIELD_NUMBER: _ClassVar[int]
    parent: str
    round: Round
    round_id: str
    request_id: str
    validate_only: bool
    def __init__(self, parent: _Optional[str] = ..., round: _Optional[_Union[Round, _Mapping]] = ..., round_id: _Optional[str] = ..., request_id: _Optional[str] = ..., validate_only: _Optional[bool] = ...) -> None: ...

class GetRoundRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class ListRoundsRequest(_message.Message):
    __slots__ = ("parent", "page_size", "page_token")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    parent: str
    page_size: int
    page_token: str
    def __init__(self, parent: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListRoundsResponse(_message.Message):
    __slots__ = ("rounds", "next_page_token")
    ROUNDS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    rounds: _containers.RepeatedCompositeFieldContainer[Round]
    next_page_token: str
    def __init__(self, rounds: _Optional[_Iterable[_Union[Round, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class UpdateRoundRequest(_message.Message):
    __slots__ = ("round", "update_mask")
    ROUND_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    round: Round
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, round: _Optional[_Union[Round, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class OpenRoundRequest(_message.Message):
    __slots__ = ("name", "request_id")
    NAME_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    name: str
    request_id: str
    def __init__(self, name: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class CloseRoundRequest(_message.Message):
    __slots__ = ("name", "force", "reason", "request_id")
    NAME_FIELD_NUMBER: _ClassVar[int]
    FORCE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    name: str
    force: bool
    reason: str
    request_id: str
    def __init__(self, name: _Optional[str] = ..., force: _Optional[bool] = ..., reason: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class FinalizeRoundRequest(_message.Message):
    __slots__ = ("name", "request_id")
    NAME_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    name: str
    request_id: str
    def __init__(self, name: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class CreateEntryRequest(_message.Message):
    __slots__ = ("parent", "entry", "entry_id", "request_id", "validate_only")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    ENTRY_FIELD_NUMBER: _ClassVar[int]
    ENTRY_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    VALIDATE_ONLY_FIELD_NUMBER: _ClassVar[int]
    parent: str
    entry: Entry
    entry_id: str
    request_id: str
    validate_only: bool
    def __init__(self, parent: _Optional[str] = ..., entry: _Optional[_Union[Entry, _Mapping]] = ..., entry_id: _Optional[str] = ..., request_id: _Optional[str] = ..., validate_only: _Optional[bool] = ...) -> None: ...

class GetEntryRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class ListEntriesRequest(_message.Message):
    __slots__ = ("parent", "page_size", "page_token", "domain", "origin_country", "round", "title_contains")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    DOMAIN_FIELD_NUMBER: _ClassVar[int]
    ORIGIN_COUNTRY_FIELD_NUMBER: _ClassVar[int]
    ROUND_FIELD_NUMBER: _ClassVar[int]
    TITLE_CONTAINS_FIELD_NUMBER: _ClassVar[int]
    parent: str
    page_size: int
    page_token: str
    domain: Domain
    origin_country: str
    round: str
    title_contains: str
    def __init__(self, parent: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., domain: _Optional[_Union[Domain, str]] = ..., origin_country: _Optional[str] = ..., round: _Optional[str] = ..., title_contains: _Optional[str] = ...) -> None: ...

class ListEntriesResponse(_message.Message):
    __slots__ = ("entries", "next_page_token")
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    entries: _containers.RepeatedCompositeFieldContainer[Entry]
    next_page_token: str
    def __init__(self, entries: _Optional[_Iterable[_Union[Entry, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class UpdateEntryRequest(_message.Message):
    __slots__ = ("entry", "update_mask")
    ENTRY_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    entry: Entry
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, entry: _Optional[_Union[Entry, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class BatchCreateEntriesRequest(_message.Message):
    __slots__ = ("parent", "requests", "request_id", "validate_only")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    REQUESTS_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    VALIDATE_ONLY_FIELD_NUMBER: _ClassVar[int]
    parent: str
    requests: _containers.RepeatedCompositeFieldContainer[CreateEntryRequest]
    request_id: str
    validate_only: bool
    def __init__(self, parent: _Optional[str] = ..., requests: _Optional[_Iterable[_Union[CreateEntryRequest, _Mapping]]] = ..., request_id: _Optional[str] = ..., validate_only: _Optional[bool] = ...) -> None: ...

class BatchCreateEntriesResponse(_message.Message):
    __slots__ = ("entries",)
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    entries: _containers.RepeatedCompositeFieldContainer[Entry]
    def __init__(self, entries: _Optional[_Iterable[_Union[Entry, _Mapping]]] = ...) -> None: ...

class CreateJudgeRequest(_message.Message):
    __slots__ = ("judge", "judge_id", "request_id", "validate_only")
    JUDGE_FIELD_NUMBER: _ClassVar[int]
    JUDGE_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    VALIDATE_ONLY_FIELD_NUMBER: _ClassVar[int]
    judge: Judge
    judge_id: str
    request_id: str
    validate_only: bool
    def __init__(self, judge: _Optional[_Union[Judge, _Mapping]] = ..., judge_id: _Optional[str] = ..., request_id: _Optional[str] = ..., validate_only: _Optional[bool] = ...) -> None: ...

class GetJudgeRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class ListJudgesRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "domain")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    DOMAIN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    domain: Domain
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., domain: _Optional[_Union[Domain, str]] = ...) -> None: ...

class ListJudgesResponse(_message.Message):
    __slots__ = ("judges", "next_page_token")
    JUDGES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    judges: _containers.RepeatedCompositeFieldContainer[Judge]
    next_page_token: str
    def __init__(self, judges: _Optional[_Iterable[_Union[Judge, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class UpdateJudgeRequest(_message.Message):
    __slots__ = ("judge", "update_mask")
    JUDGE_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    judge: Judge
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, judge: _Optional[_Union[Judge, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class DeclareConflictRequest(_message.Message):
    __slots__ = ("entry", "judge", "reason", "request_id")
    ENTRY_FIELD_NUMBER: _ClassVar[int]
    JUDGE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    entry: str
    judge: str
    reason: str
    request_id: str
    def __init__(self, entry: _Optional[str] = ..., judge: _Optional[str] = ..., reason: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class ListConflictsRequest(_message.Message):
    __slots__ = ("parent", "judge", "entry", "page_size", "page_token")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    JUDGE_FIELD_NUMBER: _ClassVar[int]
    ENTRY_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    parent: str
    judge: str
    entry: str
    page_size: int
    page_token: str
    def __init__(self, parent: _Optional[str] = ..., judge: _Optional[str] = ..., entry: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListConflictsResponse(_message.Message):
    __slots__ = ("conflicts", "next_page_token")
    CONFLICTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    conflicts: _containers.RepeatedCompositeFieldContainer[Conflict]
    next_page_token: str
    def __init__(self, conflicts: _Optional[_Iterable[_Union[Conflict, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class AutoAssignRequest(_message.Message):
    __slots__ = ("round", "request_id")
    ROUND_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    round: str
    request_id: str
    def __init__(self, round: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class Shortfall(_message.Message):
    __slots__ = ("entry", "assigned", "required", "reason")
    ENTRY_FIELD_NUMBER: _ClassVar[int]
    ASSIGNED_FIELD_NUMBER: _ClassVar[int]
    REQUIRED_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    entry: str
    assigned: int
    required: int
    reason: str
    def __init__(self, entry: _Optional[str] = ..., assigned: _Optional[int] = ..., required: _Optional[int] = ..., reason: _Optional[str] = ...) -> None: ...

class AutoAssignResponse(_message.Message):
    __slots__ = ("assignments_added", "assignments_total", "load_ceiling", "ceiling_raised", "shortfalls", "assignments_withdrawn")
    ASSIGNMENTS_ADDED_FIELD_NUMBER: _ClassVar[int]
    ASSIGNMENTS_TOTAL_FIELD_NUMBER: _ClassVar[int]
    LOAD_CEILING_FIELD_NUMBER: _ClassVar[int]
    CEILING_RAISED_FIELD_NUMBER: _ClassVar[int]
    SHORTFALLS_FIELD_NUMBER: _ClassVar[int]
    ASSIGNMENTS_WITHDRAWN_FIELD_NUMBER: _ClassVar[int]
    assignments_added: int
    assignments_total: int
    load_ceiling: int
    ceiling_raised: bool
    shortfalls: _containers.RepeatedCompositeFieldContainer[Shortfall]
    assignments_withdrawn: int
    def __init__(self, assignments_added: _Optional[int] = ..., assignments_total: _Optional[int] = ..., load_ceiling: _Optional[int] = ..., ceiling_raised: _Optional[bool] = ..., shortfalls: _Optional[_Iterable[_Union[Shortfall, _Mapping]]] = ..., assignments_withdrawn: _Optional[int] = ...) -> None: ...

class CreateAssignmentRequest(_message.Message):
    __slots__ = ("round", "judge", "entry", "request_id")
    ROUND_FIELD_NUMBER: _ClassVar[int]
    JUDGE_FIELD_NUMBER: _ClassVar[int]
    ENTRY_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    round: str
    judge: str
    entry: str
    request_id: str
    def __init__(self, round: _Optional[str] = ..., judge: _Optional[str] = ..., entry: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class DeleteAssignmentRequest(_message.Message):
    __slots__ = ("round", "judge", "entry", "request_id")
    ROUND_FIELD_NUMBER: _ClassVar[int]
    JUDGE_FIELD_NUMBER: _ClassVar[int]
    ENTRY_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    round: str
    judge: str
    entry: str
    request_id: str
    def __init__(self, round: _Optional[str] = ..., judge: _Optional[str] = ..., entry: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class DeleteAssignmentResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListAssignmentsRequest(_message.Message):
    __slots__ = ("round", "judge", "entry", "page_size", "page_token")
    ROUND_FIELD_NUMBER: _ClassVar[int]
    JUDGE_FIELD_NUMBER: _ClassVar[int]
    ENTRY_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    round: str
    judge: str
    entry: str
    page_size: int
    page_token: str
    def __init__(self, round: _Optional[str] = ..., judge: _Optional[str] = ..., entry: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListAssignmentsResponse(_message.Message):
    __slots__ = ("assignments", "next_page_token")
    ASSIGNMENTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    assignments: _containers.RepeatedCompositeFieldContainer[Assignment]
    next_page_token: str
    def __init__(self, assignments: _Optional[_Iterable[_Union[Assignment, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class SubmitScoreSheetRequest(_message.Message):
    __slots__ = ("round", "entry", "scores", "comment", "request_id")
    ROUND_FIELD_NUMBER: _ClassVar[int]
    ENTRY_FIELD_NUMBER: _ClassVar[int]
    SCORES_FIELD_NUMBER: _ClassVar[int]
    COMMENT_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    round: str
    entry: str
    scores: _containers.RepeatedCompositeFieldContainer[CriterionScore]
    comment: str
    request_id: str
    def __init__(self, round: _Optional[str] = ..., entry: _Optional[str] = ..., scores: _Optional[_Iterable[_Union[CriterionScore, _Mapping]]] = ..., comment: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class ListScoreSheetsRequest(_message.Message):
    __slots__ = ("round", "entry", "judge", "page_size", "page_token")
    ROUND_FIELD_NUMBER: _ClassVar[int]
    ENTRY_FIELD_NUMBER: _ClassVar[int]
    JUDGE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    round: str
    entry: str
    judge: str
    page_size: int
    page_token: str
    def __init__(self, round: _Optional[str] = ..., entry: _Optional[str] = ..., judge: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListScoreSheetsResponse(_message.Message):
    __slots__ = ("score_sheets", "next_page_token")
    SCORE_SHEETS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    score_sheets: _containers.RepeatedCompositeFieldContainer[ScoreSheet]
    next_page_token: str
    def __init__(self, score_sheets: _Optional[_Iterable[_Union[ScoreSheet, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetScoreSheetHistoryRequest(_message.Message):
    __slots__ = ("round", "entry", "judge")
    ROUND_FIELD_NUMBER: _ClassVar[int]
    ENTRY_FIELD_NUMBER: _ClassVar[int]
    JUDGE_FIELD_NUMBER: _ClassVar[int]
    round: str
    entry: str
    judge: str
    def __init__(self, round: _Optional[str] = ..., entry: _Optional[str] = ..., judge: _Optional[str] = ...) -> None: ...

class GetScoreSheetHistoryResponse(_message.Message):
    __slots__ = ("versions",)
    VERSIONS_FIELD_NUMBER: _ClassVar[int]
    versions: _containers.RepeatedCompositeFieldContainer[ScoreSheet]
    def __init__(self, versions: _Optional[_Iterable[_Union[ScoreSheet, _Mapping]]] = ...) -> None: ...

class GetLeaderboardRequest(_message.Message):
    __slots__ = ("round", "method", "page_size", "page_token")
    ROUND_FIELD_NUMBER: _ClassVar[int]
    METHOD_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    round: str
    method: AggregationMethod
    page_size: int
    page_token: str
    def __init__(self, round: _Optional[str] = ..., method: _Optional[_Union[AggregationMethod, str]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class LeaderboardRow(_message.Message):
    __slots__ = ("rank", "entry", "title", "score", "display_score", "sheet_count", "spread", "robustness", "method_sensitive", "within_cut", "outcome", "award_tier", "note")
    RANK_FIELD_NUMBER: _ClassVar[int]
    ENTRY_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_SCORE_FIELD_NUMBER: _ClassVar[int]
    SHEET_COUNT_FIELD_NUMBER: _ClassVar[int]
    SPREAD_FIELD_NUMBER: _ClassVar[int]
    ROBUSTNESS_FIELD_NUMBER: _ClassVar[int]
    METHOD_SENSITIVE_FIELD_NUMBER: _ClassVar[int]
    WITHIN_CUT_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    AWARD_TIER_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    rank: int
    entry: str
    title: str
    score: float
    display_score: str
    sheet_count: int
    spread: float
    robustness: float
    method_sensitive: bool
    within_cut: bool
    outcome: Outcome
    award_tier: str
    note: str
    def __init__(self, rank: _Optional[int] = ..., entry: _Optional[str] = ..., title: _Optional[str] = ..., score: _Optional[float] = ..., display_score: _Optional[str] = ..., sheet_count: _Optional[int] = ..., spread: _Optional[float] = ..., robustness: _Optional[float] = ..., method_sensitive: _Optional[bool] = ..., within_cut: _Optional[bool] = ..., outcome: _Optional[_Union[Outcome, str]] = ..., award_tier: _Optional[str] = ..., note: _Optional[str] = ...) -> None: ...

class Leaderboard(_message.Message):
    __slots__ = ("round", "method", "frozen", "digest", "bootstrap_resamples", "rows", "next_page_token", "total_entries")
    ROUND_FIELD_NUMBER: _ClassVar[int]
    METHOD_FIELD_NUMBER: _ClassVar[int]
    FROZEN_FIELD_NUMBER: _ClassVar[int]
    DIGEST_FIELD_NUMBER: _ClassVar[int]
    BOOTSTRAP_RESAMPLES_FIELD_NUMBER: _ClassVar[int]
    ROWS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOTAL_ENTRIES_FIELD_NUMBER: _ClassVar[int]
    round: str
    method: AggregationMethod
    frozen: bool
    digest: str
    bootstrap_resamples: int
    rows: _containers.RepeatedCompositeFieldContainer[LeaderboardRow]
    next_page_token: str
    total_entries: int
    def __init__(self, round: _Optional[str] = ..., method: _Optional[_Union[AggregationMethod, str]] = ..., frozen: _Optional[bool] = ..., digest: _Optional[str] = ..., bootstrap_resamples: _Optional[int] = ..., rows: _Optional[_Iterable[_Union[LeaderboardRow, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., total_entries: _Optional[int] = ...) -> None: ...

class GetJudgingProgressRequest(_message.Message):
    __slots__ = ("round", "page_size", "page_token")
    ROUND_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    round: str
    page_size: int
    page_token: str
    def __init__(self, round: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class JudgeProgress(_message.Message):
    __slots__ = ("judge", "expected", "submitted", "missing")
    JUDGE_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_FIELD_NUMBER: _ClassVar[int]
    SUBMITTED_FIELD_NUMBER: _ClassVar[int]
    MISSING_FIELD_NUMBER: _ClassVar[int]
    judge: str
    expected: int
    submitted: int
    missing: int
    def __init__(self, judge: _Optional[str] = ..., expected: _Optional[int] = ..., submitted: _Optional[int] = ..., missing: _Optional[int] = ...) -> None: ...

class EntryProgress(_message.Message):
    __slots__ = ("entry", "expected", "submitted", "missing", "coverage_shortfall")
    ENTRY_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_FIELD_NUMBER: _ClassVar[int]
    SUBMITTED_FIELD_NUMBER: _ClassVar[int]
    MISSING_FIELD_NUMBER: _ClassVar[int]
    COVERAGE_SHORTFALL_FIELD_NUMBER: _ClassVar[int]
    entry: str
    expected: int
    submitted: int
    missing: int
    coverage_shortfall: int
    def __init__(self, entry: _Optional[str] = ..., expected: _Optional[int] = ..., submitted: _Optional[int] = ..., missing: _Optional[int] = ..., coverage_shortfall: _Optional[int] = ...) -> None: ...

class JudgingProgress(_message.Message):
    __slots__ = ("round", "expected", "submitted", "ratio", "judges", "entries", "next_page_token")
    ROUND_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_FIELD_NUMBER: _ClassVar[int]
    SUBMITTED_FIELD_NUMBER: _ClassVar[int]
    RATIO_FIELD_NUMBER: _ClassVar[int]
    JUDGES_FIELD_NUMBER: _ClassVar[int]
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    round: str
    expected: int
    submitted: int
    ratio: float
    judges: _containers.RepeatedCompositeFieldContainer[JudgeProgress]
    entries: _containers.RepeatedCompositeFieldContainer[EntryProgress]
    next_page_token: str
    def __init__(self, round: _Optional[str] = ..., expected: _Optional[int] = ..., submitted: _Optional[int] = ..., ratio: _Optional[float] = ..., judges: _Optional[_Iterable[_Union[JudgeProgress, _Mapping]]] = ..., entries: _Optional[_Iterable[_Union[EntryProgress, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetJudgeDiagnosticsRequest(_message.Message):
    __slots__ = ("round",)
    ROUND_FIELD_NUMBER: _ClassVar[int]
    round: str
    def __init__(self, round: _Optional[str] = ...) -> None: ...

class JudgeSeverity(_message.Message):
    __slots__ = ("judge", "severity", "mean_absolute_deviation", "sheet_count")
    JUDGE_FIELD_NUMBER: _ClassVar[int]
    SEVERITY_FIELD_NUMBER: _ClassVar[int]
    MEAN_ABSOLUTE_DEVIATION_FIELD_NUMBER: _ClassVar[int]
    SHEET_COUNT_FIELD_NUMBER: _ClassVar[int]
    judge: str
    severity: float
    mean_absolute_deviation: float
    sheet_count: int
    def __init__(self, judge: _Optional[str] = ..., severity: _Optional[float] = ..., mean_absolute_deviation: _Optional[float] = ..., sheet_count: _Optional[int] = ...) -> None: ...

class JudgeDiagnostics(_message.Message):
    __slots__ = ("round", "judges", "agreement")
    ROUND_FIELD_NUMBER: _ClassVar[int]
    JUDGES_FIELD_NUMBER: _ClassVar[int]
    AGREEMENT_FIELD_NUMBER: _ClassVar[int]
    round: str
    judges: _containers.RepeatedCompositeFieldContainer[JudgeSeverity]
    agreement: float
    def __init__(self, round: _Optional[str] = ..., judges: _Optional[_Iterable[_Union[JudgeSeverity, _Mapping]]] = ..., agreement: _Optional[float] = ...) -> None: ...

class ListAwardsRequest(_message.Message):
    __slots__ = ("parent",)
    PARENT_FIELD_NUMBER: _ClassVar[int]
    parent: str
    def __init__(self, parent: _Optional[str] = ...) -> None: ...

class Award(_message.Message):
    __slots__ = ("entry", "title", "tier", "rank", "round")
    ENTRY_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    TIER_FIELD_NUMBER: _ClassVar[int]
    RANK_FIELD_NUMBER: _ClassVar[int]
    ROUND_FIELD_NUMBER: _ClassVar[int]
    entry: str
    title: str
    tier: str
    rank: int
    round: str
    def __init__(self, entry: _Optional[str] = ..., title: _Optional[str] = ..., tier: _Optional[str] = ..., rank: _Optional[int] = ..., round: _Optional[str] = ...) -> None: ...

class ListAwardsResponse(_message.Message):
    __slots__ = ("awards",)
    AWARDS_FIELD_NUMBER: _ClassVar[int]
    awards: _containers.RepeatedCompositeFieldContainer[Award]
    def __init__(self, awards: _Optional[_Iterable[_Union[Award, _Mapping]]] = ...) -> None: ...

class AuditEvent(_message.Message):
    __slots__ = ("sequence", "time", "actor", "action", "payload_json", "hash", "previous_hash")
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    PAYLOAD_JSON_FIELD_NUMBER: _ClassVar[int]
    HASH_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_HASH_FIELD_NUMBER: _ClassVar[int]
    sequence: int
    time: _timestamp_pb2.Timestamp
    actor: str
    action: str
    payload_json: str
    hash: str
    previous_hash: str
    def __init__(self, sequence: _Optional[int] = ..., time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., actor: _Optional[str] = ..., action: _Optional[str] = ..., payload_json: _Optional[str] = ..., hash: _Optional[str] = ..., previous_hash: _Optional[str] = ...) -> None: ...

class ListAuditEventsRequest(_message.Message):
    __slots__ = ("page_size", "page_token")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListAuditEventsResponse(_message.Message):
    __slots__ = ("events", "next_page_token")
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    events: _containers.RepeatedCompositeFieldContainer[AuditEvent]
    next_page_token: str
    def __init__(self, events: _Optional[_Iterable[_Union[AuditEvent, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class VerifyAuditLogRequest(_message.Message):
    __slots__ = ("checkpoint",)
    CHECKPOINT_FIELD_NUMBER: _ClassVar[int]
    checkpoint: AuditCheckpoint
    def __init__(self, checkpoint: _Optional[_Union[AuditCheckpoint, _Mapping]] = ...) -> None: ...

class VerifyAuditLogResponse(_message.Message):
    __slots__ = ("intact", "events_checked", "first_broken_sequence", "reason", "last_sequence", "last_hash", "checkpoints_checked", "unsealed_events")
    INTACT_FIELD_NUMBER: _ClassVar[int]
    EVENTS_CHECKED_FIELD_NUMBER: _ClassVar[int]
    FIRST_BROKEN_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    LAST_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    LAST_HASH_FIELD_NUMBER: _ClassVar[int]
    CHECKPOINTS_CHECKED_FIELD_NUMBER: _ClassVar[int]
    UNSEALED_EVENTS_FIELD_NUMBER: _ClassVar[int]
    intact: bool
    events_checked: int
    first_broken_sequence: int
    reason: str
    last_sequence: int
    last_hash: str
    checkpoints_checked: int
    unsealed_events: int
    def __init__(self, intact: _Optional[bool] = ..., events_checked: _Optional[int] = ..., first_broken_sequence: _Optional[int] = ..., reason: _Optional[str] = ..., last_sequence: _Optional[int] = ..., last_hash: _Optional[str] = ..., checkpoints_checked: _Optional[int] = ..., unsealed_events: _Optional[int] = ...) -> None: ...

class GetAuditCheckpointRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class AuditCheckpoint(_message.Message):
    __slots__ = ("sequence", "head_hash", "seal_time", "signature", "public_key", "unsealed_events")
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    HEAD_HASH_FIELD_NUMBER: _ClassVar[int]
    SEAL_TIME_FIELD_NUMBER: _ClassVar[int]
    SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    PUBLIC_KEY_FIELD_NUMBER: _ClassVar[int]
    UNSEALED_EVENTS_FIELD_NUMBER: _ClassVar[int]
    sequence: int
    head_hash: str
    seal_time: _timestamp_pb2.Timestamp
    signature: str
    public_key: str
    unsealed_events: int
    def __init__(self, sequence: _Optional[int] = ..., head_hash: _Optional[str] = ..., seal_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., signature: _Optional[str] = ..., public_key: _Optional[str] = ..., unsealed_events: _Optional[int] = ...) -> None: ...

class Company(_message.Message):
    __slots__ = ("display_name", "credit_code", "registration_date", "registered_capital_wan_cny")
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    CREDIT_CODE_FIELD_NUMBER: _ClassVar[int]
    REGISTRATION_DATE_FIELD_NUMBER: _ClassVar[int]
    REGISTERED_CAPITAL_WAN_CNY_FIELD_NUMBER: _ClassVar[int]
    display_name: str
    credit_code: str
    registration_date: str
    registered_capital_wan_cny: float
    def __init__(self, display_name: _Optional[str] = ..., credit_code: _Optional[str] = ..., registration_date: _Optional[str] = ..., registered_capital_wan_cny: _Optional[float] = ...) -> None: ...

class Landing(_message.Message):
    __slots__ = ("entry", "stage", "agreement_date", "company", "drop_reason", "update_time")
    ENTRY_FIELD_NUMBER: _ClassVar[int]
    STAGE_FIELD_NUMBER: _ClassVar[int]
    AGREEMENT_DATE_FIELD_NUMBER: _ClassVar[int]
    COMPANY_FIELD_NUMBER: _ClassVar[int]
    DROP_REASON_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    entry: str
    stage: LandingStage
    agreement_date: str
    company: Company
    drop_reason: str
    update_time: _timestamp_pb2.Timestamp
    def __init__(self, entry: _Optional[str] = ..., stage: _Optional[_Union[LandingStage, str]] = ..., agreement_date: _Optional[str] = ..., company: _Optional[_Union[Company, _Mapping]] = ..., drop_reason: _Optional[str] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class GetLandingRequest(_message.Message):
    __slots__ = ("entry",)
    ENTRY_FIELD_NUMBER: _ClassVar[int]
    entry: str
    def __init__(self, entry: _Optional[str] = ...) -> None: ...

class ListLandingsRequest(_message.Message):
    __slots__ = ("parent", "stage", "page_size", "page_token")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    STAGE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    parent: str
    stage: LandingStage
    page_size: int
    page_token: str
    def __init__(self, parent: _Optional[str] = ..., stage: _Optional[_Union[LandingStage, str]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListLandingsResponse(_message.Message):
    __slots__ = ("landings", "next_page_token")
    LANDINGS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    landings: _containers.RepeatedCompositeFieldContainer[Landing]
    next_page_token: str
    def __init__(self, landings: _Optional[_Iterable[_Union[Landing, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class TransitionLandingRequest(_message.Message):
    __slots__ = ("entry", "expected_stage", "target_stage", "note", "agreement_date", "company", "drop_reason", "request_id")
    ENTRY_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_STAGE_FIELD_NUMBER: _ClassVar[int]
    TARGET_STAGE_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    AGREEMENT_DATE_FIELD_NUMBER: _ClassVar[int]
    COMPANY_FIELD_NUMBER: _ClassVar[int]
    DROP_REASON_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    entry: str
    expected_stage: LandingStage
    target_stage: LandingStage
    note: str
    agreement_date: str
    company: Company
    drop_reason: str
    request_id: str
    def __init__(self, entry: _Optional[str] = ..., expected_stage: _Optional[_Union[LandingStage, str]] = ..., target_stage: _Optional[_Union[LandingStage, str]] = ..., note: _Optional[str] = ..., agreement_date: _Optional[str] = ..., company: _Optional[_Union[Company, _Mapping]] = ..., drop_reason: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class GetLandingStatusRequest(_message.Message):
    __slots__ = ("contest",)
    CONTEST_FIELD_NUMBER: _ClassVar[int]
    contest: str
    def __init__(self, contest: _Optional[str] = ...) -> None: ...

class LandingStageCount(_message.Message):
    __slots__ = ("stage", "count")
    STAGE_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    stage: LandingStage
    count: int
    def __init__(self, stage: _Optional[_Union[LandingStage, str]] = ..., count: _Optional[int] = ...) -> None: ...

class LandingStatus(_message.Message):
    __slots__ = ("contest", "pool_size", "landed", "landing_ratio", "min_landed_entries", "min_landing_ratio", "landed_target_met", "ratio_target_met", "stage_counts", "unrecorded", "projected_landed", "landing_deadline", "days_left", "status")
    CONTEST_FIELD_NUMBER: _ClassVar[int]
    POOL_SIZE_FIELD_NUMBER: _ClassVar[int]
    LANDED_FIELD_NUMBER: _ClassVar[int]
    LANDING_RATIO_FIELD_NUMBER: _ClassVar[int]
    MIN_LANDED_ENTRIES_FIELD_NUMBER: _ClassVar[int]
    MIN_LANDING_RATIO_FIELD_NUMBER: _ClassVar[int]
    LANDED_TARGET_MET_FIELD_NUMBER: _ClassVar[int]
    RATIO_TARGET_MET_FIELD_NUMBER: _ClassVar[int]
    STAGE_COUNTS_FIELD_NUMBER: _ClassVar[int]
    UNRECORDED_FIELD_NUMBER: _ClassVar[int]
    PROJECTED_LANDED_FIELD_NUMBER: _ClassVar[int]
    LANDING_DEADLINE_FIELD_NUMBER: _ClassVar[int]
    DAYS_LEFT_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    contest: str
    pool_size: int
    landed: int
    landing_ratio: float
    min_landed_entries: int
    min_landing_ratio: float
    landed_target_met: bool
    ratio_target_met: bool
    stage_counts: _containers.RepeatedCompositeFieldContainer[LandingStageCount]
    unrecorded: int
    projected_landed: float
    landing_deadline: str
    days_left: int
    status: LandingTargetStatus
    def __init__(self, contest: _Optional[str] = ..., pool_size: _Optional[int] = ..., landed: _Optional[int] = ..., landing_ratio: _Optional[float] = ..., min_landed_entries: _Optional[int] = ..., min_landing_ratio: _Optional[float] = ..., landed_target_met: _Optional[bool] = ..., ratio_target_met: _Optional[bool] = ..., stage_counts: _Optional[_Iterable[_Union[LandingStageCount, _Mapping]]] = ..., unrecorded: _Optional[int] = ..., projected_landed: _Optional[float] = ..., landing_deadline: _Optional[str] = ..., days_left: _Optional[int] = ..., status: _Optional[_Union[LandingTargetStatus, str]] = ...) -> None: ...

class JudgeInvitation(_message.Message):
    __slots__ = ("name", "judge", "judge_display_name", "state", "create_time", "expire_time", "revoke_time", "created_by", "code")
    NAME_FIELD_NUMBER: _ClassVar[int]
    JUDGE_FIELD_NUMBER: _ClassVar[int]
    JUDGE_DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    REVOKE_TIME_FIELD_NUMBER: _ClassVar[int]
    CREATED_BY_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    name: str
    judge: str
    judge_display_name: str
    state: JudgeInvitationState
    create_time: _timestamp_pb2.Timestamp
    expire_time: _timestamp_pb2.Timestamp
    revoke_time: _timestamp_pb2.Timestamp
    created_by: str
    code: str
    def __init__(self, name: _Optional[str] = ..., judge: _Optional[str] = ..., judge_display_name: _Optional[str] = ..., state: _Optional[_Union[JudgeInvitationState, str]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., revoke_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., created_by: _Optional[str] = ..., code: _Optional[str] = ...) -> None: ...

class CreateJudgeInvitationsRequest(_message.Message):
    __slots__ = ("round", "ttl", "request_id")
    ROUND_FIELD_NUMBER: _ClassVar[int]
    TTL_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    round: str
    ttl: _duration_pb2.Duration
    request_id: str
    def __init__(self, round: _Optional[str] = ..., ttl: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class CreateJudgeInvitationsResponse(_message.Message):
    __slots__ = ("invitations", "created")
    INVITATIONS_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    invitations: _containers.RepeatedCompositeFieldContainer[JudgeInvitation]
    created: int
    def __init__(self, invitations: _Optional[_Iterable[_Union[JudgeInvitation, _Mapping]]] = ..., created: _Optional[int] = ...) -> None: ...

class ListJudgeInvitationsRequest(_message.Message):
    __slots__ = ("round", "judge", "show_inactive", "page_size", "page_token")
    ROUND_FIELD_NUMBER: _ClassVar[int]
    JUDGE_FIELD_NUMBER: _ClassVar[int]
    SHOW_INACTIVE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    round: str
    judge: str
    show_inactive: bool
    page_size: int
    page_token: str
    def __init__(self, round: _Optional[str] = ..., judge: _Optional[str] = ..., show_inactive: _Optional[bool] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListJudgeInvitationsResponse(_message.Message):
    __slots__ = ("invitations", "next_page_token")
    INVITATIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    invitations: _containers.RepeatedCompositeFieldContainer[JudgeInvitation]
    next_page_token: str
    def __init__(self, invitations: _Optional[_Iterable[_Union[JudgeInvitation, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class RevokeJudgeInvitationRequest(_message.Message):
    __slots__ = ("name", "request_id")
    NAME_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    name: str
    request_id: str
    def __init__(self, name: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class RedeemJudgeInvitationRequest(_message.Message):
    __slots__ = ("code",)
    CODE_FIELD_NUMBER: _ClassVar[int]
    code: str
    def __init__(self, code: _Optional[str] = ...) -> None: ...

class RedeemJudgeInvitationResponse(_message.Message):
    __slots__ = ("access_token", "access_token_expire_time", "judge", "judge_display_name", "round", "invitation", "invitation_expire_time")
    ACCESS_TOKEN_FIELD_NUMBER: _ClassVar[int]
    ACCESS_TOKEN_EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    JUDGE_FIELD_NUMBER: _ClassVar[int]
    JUDGE_DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    ROUND_FIELD_NUMBER: _ClassVar[int]
    INVITATION_FIELD_NUMBER: _ClassVar[int]
    INVITATION_EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    access_token: str
    access_token_expire_time: _timestamp_pb2.Timestamp
    judge: str
    judge_display_name: str
    round: str
    invitation: str
    invitation_expire_time: _timestamp_pb2.Timestamp
    def __init__(self, access_token: _Optional[str] = ..., access_token_expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., judge: _Optional[str] = ..., judge_display_name: _Optional[str] = ..., round: _Optional[str] = ..., invitation: _Optional[str] = ..., invitation_expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
