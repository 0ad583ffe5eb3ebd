"""The members module's write services (REG-ENT, REG-IND, FORGOT and the counter's
review).  Other modules import from here."""

from .common import PURPOSE_FORGOT, PURPOSE_REGISTER, id_in_use
from .enterprise import (
    EnterpriseForm,
    application_approve,
    application_reject,
    enterprise_apply,
    enterprise_check,
)
from .individual import IndividualForm, Registered, individual_check, individual_register
from .recovery import Recovered, forgot_enterprise, forgot_individual

__all__ = [
    "PURPOSE_FORGOT",
    "PURPOSE_REGISTER",
    "EnterpriseForm",
    "IndividualForm",
    "Recovered",
    "Registered",
    "application_approve",
    "application_reject",
    "enterprise_apply",
    "enterprise_check",
    "forgot_enterprise",
    "forgot_individual",
    "id_in_use",
    "individual_check",
    "individual_register",
]
