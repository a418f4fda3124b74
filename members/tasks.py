import logging

from celery import shared_task

logger = logging.getLogger(__name__)


@shared_task
def heartbeat() -> str:
    """Beat's metronome tick; lets operators see that worker and beat are alive."""
    logger.info("heartbeat")
    return "ok"
