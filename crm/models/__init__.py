"""All models, imported here so that `Base.metadata` knows every table (Alembic relies on it)."""

from crm.models.activity import Activity
from crm.models.classification import Classification
from crm.models.consent import ConsentKind, ConsentRecord, Suppression
from crm.models.inquiry import Inquiry, ReplayedKey
from crm.models.job import Job, JobStatus
from crm.models.lead import ALLOWED_TRANSITIONS, OPEN_STATUSES, Lead, LeadFlag, LeadStatus, can_transition
from crm.models.lease import Lease
from crm.models.sequence import Delivery, Enrolment, EnrolmentStatus, ScheduledStep, StepStatus
from crm.models.user import ApiToken, Role, User

__all__ = [
    "ALLOWED_TRANSITIONS",
    "OPEN_STATUSES",
    "Activity",
    "ApiToken",
    "Classification",
    "ConsentKind",
    "ConsentRecord",
    "Delivery",
    "Enrolment",
    "EnrolmentStatus",
    "Inquiry",
    "Job",
    "JobStatus",
    "Lead",
    "LeadFlag",
    "LeadStatus",
    "Lease",
    "ReplayedKey",
    "Role",
    "ScheduledStep",
    "StepStatus",
    "Suppression",
    "User",
    "can_transition",
]
