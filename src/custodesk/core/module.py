"""What the kernel itself declares (custodesk.core.modules): its housekeeping job."""

from custodesk.core.modules import Module

MODULE = Module(
    schedule={"custodesk.core.tasks.prune_task_results": 24 * 3600},  # daily
)
