import datetime

from google.protobuf import field_mask_pb2 as _field_mask_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ProgrammeLevel(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PROGRAMME_LEVEL_UNSPECIFIED: _ClassVar[ProgrammeLevel]
    PROGRAMME_LEVEL_NATIONAL: _ClassVar[ProgrammeLevel]
    PROGRAMME_LEVEL_PROVINCIAL: _ClassVar[ProgrammeLevel]
    PROGRAMME_LEVEL_CITY: _ClassVar[ProgrammeLevel]

class CandidateKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CANDIDATE_KIND_UNSPECIFIED: _ClassVar[CandidateKind]
    CANDIDATE_KIND_INDIVIDUAL: _ClassVar[CandidateKind]
    CANDIDATE_KIND_TEAM: _ClassVar[CandidateKind]

class Domain(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DOMAIN_UNSPECIFIED: _ClassVar[Domain]
    DOMAIN_LIFE_HEALTH: _ClassVar[Domain]
    DOMAIN_NEW_ENERGY_MATERIALS: _ClassVar[Domain]
    DOMAIN_DIGITAL_ECONOMY: _ClassVar[Domain]
    DOMAIN_OTHER: _ClassVar[Domain]

class Origin(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ORIGIN_UNSPECIFIED: _ClassVar[Origin]
    ORIGIN_OVERSEAS: _ClassVar[Origin]
    ORIGIN_DOMESTIC: _ClassVar[Origin]

class Tier(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TIER_UNSPECIFIED: _ClassVar[Tier]
    TIER_A: _ClassVar[Tier]
    TIER_B: _ClassVar[Tier]
    TIER_C: _ClassVar[Tier]
    TIER_D: _ClassVar[Tier]
    TIER_E: _ClassVar[Tier]

class Stage(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    STAGE_UNSPECIFIED: _ClassVar[Stage]
    STAGE_SCOUTED: _ClassVar[Stage]
    STAGE_RESERVED: _ClassVar[Stage]
    STAGE_CULTIVATING: _ClassVar[Stage]
    STAGE_APPLIED: _ClassVar[Stage]
    STAGE_UNDER_REVIEW: _ClassVar[Stage]
    STAGE_SELECTED: _ClassVar[Stage]
    STAGE_NOT_SELECTED: _ClassVar[Stage]
    STAGE_WITHDRAWN: _ClassVar[Stage]

class TargetStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TARGET_STATUS_UNSPECIFIED: _ClassVar[TargetStatus]
    TARGET_STATUS_MET: _ClassVar[TargetStatus]
    TARGET_STATUS_ON_TRACK: _ClassVar[TargetStatus]
    TARGET_STATUS_AT_RISK: _ClassVar[TargetStatus]
PROGRAMME_LEVEL_UNSPECIFIED: ProgrammeLevel
PROGRAMME_LEVEL_NATIONAL: ProgrammeLevel
PROGRAMME_LEVEL_PROVINCIAL: ProgrammeLevel
PROGRAMME_LEVEL_CITY: ProgrammeLevel
CANDIDATE_KIND_UNSPECIFIED: CandidateKind
CANDIDATE_KIND_INDIVIDUAL: CandidateKind
CANDIDATE_KIND_TEAM: CandidateKind
DOMAIN_UNSPECIFIED: Domain
DOMAIN_LIFE_HEALTH: Domain
DOMAIN_NEW_ENERGY_MATERIALS: Domain
DOMAIN_DIGITAL_ECONOMY: Domain
DOMAIN_OTHER: Domain
ORIGIN_UNSPECIFIED: Origin
ORIGIN_OVERSEAS: Origin
ORIGIN_DOMESTIC: Origin
TIER_UNSPECIFIED: Tier
TIER_A: Tier
TIER_B: Tier
TIER_C: Tier
TIER_D: Tier
TIER_E: Tier
STAGE_UNSPECIFIED: Stage
STAGE_SCOUTED: Stage
STAGE_RESERVED: Stage
STAGE_CULTIVATING: Stage
STAGE_APPLIED: Stage
STAGE_UNDER_REVIEW: Stage
STAGE_SELECTED: Stage
STAGE_NOT_SELECTED: Stage
STAGE_WITHDRAWN: Stage
TARGET_STATUS_UNSPECIFIED: TargetStatus
TARGET_STATUS_MET: TargetStatus
TARGET_STATUS_ON_TRACK: TargetStatus
TARGET_STATUS_AT_RISK: TargetStatus

class Programme(_message.Message):
    __slots__ = ("name", "level", "kind", "title_zh", "title_en", "active_years")
    NAME_FIELD_NUMBER: _ClassVar[int]
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    TITLE_ZH_FIELD_NUMBER: _ClassVar[int]
    TITLE_EN_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_YEARS_FIELD_NUMBER: _ClassVar[int]
    name: str
    level: ProgrammeLevel
    kind: CandidateKind
    title_zh: str
    title_en: str
    active_years: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, name: _Optional[str] = ..., level: _Optional[_Union[ProgrammeLevel, str]] = ..., kind: _Optional[_Union[CandidateKind, str]] = ..., title_zh: _Optional[str] = ..., title_en: _Optional[str] = ..., active_years: _Optional[_Iterable[int]] = ...) -> None: ...

class Contact(_message.Message):
    __slots__ = ("email", "phone")
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    PHONE_FIELD_NUMBER: _ClassVar[int]
    email: str
    phone: str
    def __init__(self, email: _Optional[str] = ..., phone: _Optional[str] = ...) -> None: ...

class TeamMember(_message.Message):
    __slots__ = ("display_name", "role")
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    display_name: str
    role: str
    def __init__(self, display_name: _Optional[str] = ..., role: _Optional[str] = ...) -> None: ...

class Candidate(_message.Message):
    __slots__ = ("name", "kind", "display_name", "domain", "origin", "tier", "employer", "birth_year", "contact", "identity_document", "identity_document_last4", "leader", "members", "create_time", "update_time", "delete_time", "anonymized", "etag")
    NAME_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    DOMAIN_FIELD_NUMBER: _ClassVar[int]
    ORIGIN_FIELD_NUMBER: _ClassVar[int]
    TIER_FIELD_NUMBER: _ClassVar[int]
    EMPLOYER_FIELD_NUMBER: _ClassVar[int]
    BIRTH_YEAR_FIELD_NUMBER: _ClassVar[int]
    CONTACT_FIELD_NUMBER: _ClassVar[int]
    IDENTITY_DOCUMENT_FIELD_NUMBER: _ClassVar[int]
    IDENTITY_DOCUMENT_LAST4_FIELD_NUMBER: _ClassVar[int]
    LEADER_FIELD_NUMBER: _ClassVar[int]
    MEMBERS_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    DELETE_TIME_FIELD_NUMBER: _ClassVar[int]
    ANONYMIZED_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    name: str
    kind: CandidateKind
    display_name: str
    domain: Domain
    origin: Origin
    tier: Tier
    employer: str
    birth_year: int
    contact: Contact
    identity_document: str
    identity_document_last4: str
    leader: TeamMember
    members: _containers.RepeatedCompositeFieldContainer[TeamMember]
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    delete_time: _timestamp_pb2.Timestamp
    anonymized: bool
    etag: str
    def __init__(self, name: _Optional[str] = ..., kind: _Optional[_Union[CandidateKind, str]] = ..., display_name: _Optional[str] = ..., domain: _Optional[_Union[Domain, str]] = ..., origin: _Optional[_Union[Origin, str]] = ..., tier: _Optional[_Union[Tier, str]] = ..., employer: _Optional[str] = ..., birth_year: _Optional[int] = ..., contact: _Optional[_Union[Contact, _Mapping]] = ..., identity_document: _Optional[str] = ..., identity_document_last4: _Optional[str] = ..., leader: _Optional[_Union[TeamMember, _Mapping]] = ..., members: _Optional[_Iterable[_Union[TeamMember, _Mapping]]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., delete_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., anonymized: _Optional[bool] = ..., etag: _Optional[str] = ...) -> None: ...

class Application(_message.Message):
    __slots__ = ("name", "candidate", "programme", "year", "stage", "create_time", "update_time", "etag")
    NAME_FIELD_NUMBER: _ClassVar[int]
    CANDIDATE_FIELD_NUMBER: _ClassVar[int]
    PROGRAMME_FIELD_NUMBER: _ClassVar[int]
    YEAR_FIELD_NUMBER: _ClassVar[int]
    STAGE_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    name: str
    candidate: str
    programme: str
    year: int
    stage: Stage
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    etag: str
    def __init__(self, name: _Optional[str] = ..., candidate: _Optional[str] = ..., programme: _Optional[str] = ..., year: _Optional[int] = ..., stage: _Optional[_Union[Stage, str]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., etag: _Optional[str] = ...) -> None: ...

class ApplicationEvent(_message.Message):
    __slots__ = ("from_stage", "to_stage", "actor", "time", "note")
    FROM_STAGE_FIELD_NUMBER: _ClassVar[int]
    TO_STAGE_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    from_stage: Stage
    to_stage: Stage
    actor: str
    time: _timestamp_pb2.Timestamp
    note: str
    def __init__(self, from_stage: _Optional[_Union[Stage, str]] = ..., to_stage: _Optional[_Union[Stage, str]] = ..., actor: _Optional[str] = ..., time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., note: _Optional[str] = ...) -> None: ...

class ListProgrammesRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "level")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    level: ProgrammeLevel
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., level: _Optional[_Union[ProgrammeLevel, str]] = ...) -> None: ...

class ListProgrammesResponse(_message.Message):
    __slots__ = ("programmes", "next_page_token")
    PROGRAMMES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    programmes: _containers.RepeatedCompositeFieldContainer[Programme]
    next_page_token: str
    def __init__(self, programmes: _Optional[_Iterable[_Union[Programme, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class CreateCandidateRequest(_message.Message):
    __slots__ = ("candidate", "request_id", "validate_only")
    CANDIDATE_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    VALIDATE_ONLY_FIELD_NUMBER: _ClassVar[int]
    candidate: Candidate
    request_id: str
    validate_only: bool
    def __init__(self, candidate: _Optional[_Union[Candidate, _Mapping]] = ..., request_id: _Optional[str] = ..., validate_only: _Optional[bool] = ...) -> None: ...

class GetCandidateRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class ListCandidatesRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "domain", "origin", "tier", "kind", "programme", "stage", "year", "name_contains", "order_by", "show_deleted")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    DOMAIN_FIELD_NUMBER: _ClassVar[int]
    ORIGIN_FIELD_NUMBER: _ClassVar[int]
    TIER_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    PROGRAMME_FIELD_NUMBER: _ClassVar[int]
    STAGE_FIELD_NUMBER: _ClassVar[int]
    YEAR_FIELD_NUMBER: _ClassVar[int]
    NAME_CONTAINS_FIELD_NUMBER: _ClassVar[int]
    ORDER_BY_FIELD_NUMBER: _ClassVar[int]
    SHOW_DELETED_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    domain: Domain
    origin: Origin
    tier: Tier
    kind: CandidateKind
    programme: str
    stage: Stage
    year: int
    name_contains: str
    order_by: str
    show_deleted: bool
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., domain: _Optional[_Union[Domain, str]] = ..., origin: _Optional[_Union[Origin, str]] = ..., tier: _Optional[_Union[Tier, str]] = ..., kind: _Optional[_Union[CandidateKind, str]] = ..., programme: _Optional[str] = ..., stage: _Optional[_Union[Stage, str]] = ..., year: _Optional[int] = ..., name_contains: _Optional[str] = ..., order_by: _Optional[str] = ..., show_deleted: _Optional[bool] = ...) -> None: ...

class ListCandidatesResponse(_message.Message):
    __slots__ = ("candidates", "next_page_token")
    CANDIDATES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    candidates: _containers.RepeatedCompositeFieldContainer[Candidate]
    next_page_token: str
    def __init__(self, candidates: _Optional[_Iterable[_Union[Candidate, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class UpdateCandidateRequest(_message.Message):
    __slots__ = ("candidate", "update_mask")
    CANDIDATE_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    candidate: Candidate
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, candidate: _Optional[_Union[Candidate, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class DeleteCandidateRequest(_message.Message):
    __slots__ = ("name", "etag", "request_id")
    NAME_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    name: str
    etag: str
    request_id: str
    def __init__(self, name: _Optional[str] = ..., etag: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class AnonymizeCandidateRequest(_message.Message):
    __slots__ = ("name", "request_id")
    NAME_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    name: str
    request_id: str
    def __init__(self, name: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class CreateApplicationRequest(_message.Message):
    __slots__ = ("application", "request_id", "validate_only")
    APPLICATION_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    VALIDATE_ONLY_FIELD_NUMBER: _ClassVar[int]
    application: Application
    request_id: str
    validate_only: bool
    def __init__(self, application: _Optional[_Union[Application, _Mapping]] = ..., request_id: _Optional[str] = ..., validate_only: _Optional[bool] = ...) -> None: ...

class GetApplicationRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class ListApplicationsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "candidate", "programme", "year", "stage", "level")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    CANDIDATE_FIELD_NUMBER: _ClassVar[int]
    PROGRAMME_FIELD_NUMBER: _ClassVar[int]
    YEAR_FIELD_NUMBER: _ClassVar[int]
    STAGE_FIELD_NUMBER: _ClassVar[int]
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    candidate: str
    programme: str
    year: int
    stage: Stage
    level: ProgrammeLevel
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., candidate: _Optional[str] = ..., programme: _Optional[str] = ..., year: _Optional[int] = ..., stage: _Optional[_Union[Stage, str]] = ..., level: _Optional[_Union[ProgrammeLevel, str]] = ...) -> None: ...

class ListApplicationsResponse(_message.Message):
    __slots__ = ("applications", "next_page_token")
    APPLICATIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    applications: _containers.RepeatedCompositeFieldContainer[Application]
    next_page_token: str
    def __init__(self, applications: _Optional[_Iterable[_Union[Application, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class TransitionApplicationRequest(_message.Message):
    __slots__ = ("name", "expected_stage", "target_stage", "note", "request_id")
    NAME_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_STAGE_FIELD_NUMBER: _ClassVar[int]
    TARGET_STAGE_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    name: str
    expected_stage: Stage
    target_stage: Stage
    note: str
    request_id: str
    def __init__(self, name: _Optional[str] = ..., expected_stage: _Optional[_Union[Stage, str]] = ..., target_stage: _Optional[_Union[Stage, str]] = ..., note: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class GetApplicationHistoryRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetApplicationHistoryResponse(_message.Message):
    __slots__ = ("events",)
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    events: _containers.RepeatedCompositeFieldContainer[ApplicationEvent]
    def __init__(self, events: _Optional[_Iterable[_Union[ApplicationEvent, _Mapping]]] = ...) -> None: ...

class GetTargetProgressRequest(_message.Message):
    __slots__ = ("year",)
    YEAR_FIELD_NUMBER: _ClassVar[int]
    year: int
    def __init__(self, year: _Optional[int] = ...) -> None: ...

class StageCount(_message.Message):
    __slots__ = ("stage", "count")
    STAGE_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    stage: Stage
    count: int
    def __init__(self, stage: _Optional[_Union[Stage, str]] = ..., count: _Optional[int] = ...) -> None: ...

class TargetProgressItem(_message.Message):
    __slots__ = ("target", "slug", "title_zh", "title_en", "programmes", "required", "selected", "open_stage_counts", "forecast", "status")
    TARGET_FIELD_NUMBER: _ClassVar[int]
    SLUG_FIELD_NUMBER: _ClassVar[int]
    TITLE_ZH_FIELD_NUMBER: _ClassVar[int]
    TITLE_EN_FIELD_NUMBER: _ClassVar[int]
    PROGRAMMES_FIELD_NUMBER: _ClassVar[int]
    REQUIRED_FIELD_NUMBER: _ClassVar[int]
    SELECTED_FIELD_NUMBER: _ClassVar[int]
    OPEN_STAGE_COUNTS_FIELD_NUMBER: _ClassVar[int]
    FORECAST_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    target: str
    slug: str
    title_zh: str
    title_en: str
    programmes: _containers.RepeatedScalarFieldContainer[str]
    required: int
    selected: int
    open_stage_counts: _containers.RepeatedCompositeFieldContainer[StageCount]
    forecast: float
    status: TargetStatus
    def __init__(self, target: _Optional[str] = ..., slug: _Optional[str] = ..., title_zh: _Optional[str] = ..., title_en: _Optional[str] = ..., programmes: _Optional[_Iterable[str]] = ..., required: _Optional[int] = ..., selected: _Optional[int] = ..., open_stage_counts: _Optional[_Iterable[_Union[StageCount, _Mapping]]] = ..., forecast: _Optional[float] = ..., status: _Optional[_Union[TargetStatus, str]] = ...) -> None: ...

class TargetProgress(_message.Message):
    __slots__ = ("year", "targets", "stage_probabilities")
    class StageProbabilitiesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    YEAR_FIELD_NUMBER: _ClassVar[int]
    TARGETS_FIELD_NUMBER: _ClassVar[int]
    STAGE_PROBABILITIES_FIELD_NUMBER: _ClassVar[int]
    year: int
    targets: _containers.RepeatedCompositeFieldContainer[TargetProgressItem]
    stage_probabilities: _containers.ScalarMap[str, float]
    def __init__(self, year: _Optional[int] = ..., targets: _Optional[_Iterable[_Union[TargetProgressItem, _Mapping]]] = ..., stage_probabilities: _Optional[_Mapping[str, float]] = ...) -> None: ...
