"""All models, one module per aggregate. Importing this registers every table."""

from .account import Role, User
from .api_token import ApiToken
from .audit import AuditEvent
from .demo import SyntheticTruth
from .geography import Area, AreaPlace
from .indicator import IndicatorSnapshot, IndicatorValue, ResponseWeight, WeightRun
from .instrument import Instrument, InstrumentStatus, Option, Question, Section
from .job import JobLock, JobRun
from .population import MarginSet, PopulationMargin
from .response import Answer, Comment, ReplicateWeights, Response, ResponseDesign
from .upload import PendingUpload, UploadKind
from .wave import InvitationToken, Wave, WaveArea

__all__ = [
    "Answer",
    "ApiToken",
    "Area",
    "AreaPlace",
    "AuditEvent",
    "Comment",
    "IndicatorSnapshot",
    "IndicatorValue",
    "Instrument",
    "InstrumentStatus",
    "InvitationToken",
    "JobLock",
    "JobRun",
    "MarginSet",
    "Option",
    "PendingUpload",
    "PopulationMargin",
    "Question",
    "ReplicateWeights",
    "Response",
    "ResponseDesign",
    "ResponseWeight",
    "Role",
    "Section",
    "SyntheticTruth",
    "UploadKind",
    "User",
    "Wave",
    "WaveArea",
    "WeightRun",
]
