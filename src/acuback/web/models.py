"""What the web layer keeps of its own: the task worker's heartbeat."""

from __future__ import annotations

from django.db import models


class WorkerHeartbeat(models.Model):
    """One row per `acuback worker` process, touched after each task it runs.

    The clock enqueues the reminder task every tick, so a worker that runs tasks beats at
    least once a tick; an old beat means reminders, invitations and exports have stopped
    (the readiness check and the clinic admin's home page say so)."""

    worker_id = models.CharField(max_length=64, unique=True)
    host = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    beat_at = models.DateTimeField(db_index=True)
    # The process is alive (touched by its clock thread every tick, even mid-task).
    alive_at = models.DateTimeField(null=True, db_index=True)

    def __str__(self) -> str:
        return f"worker {self.host}:{self.pid} (last beat {self.beat_at:%Y-%m-%d %H:%M:%S})"


class InstallationKey(models.Model):
    """A fingerprint (HMAC) of the secret key the installation's nodes share: one row.
    A node started with another key refuses to start (acuback.web.installation_key)."""

    fingerprint = models.CharField(max_length=64)
    recorded_at = models.DateTimeField()
    recorded_by = models.CharField(max_length=255, help_text="host name of the node")
    # The key before the last rotation: a node still signing with it while it reads the
    # new one (a fallback) is part of the rotation, not a node with a foreign key.
    previous_fingerprint = models.CharField(max_length=64, blank=True)

    def __str__(self) -> str:
        return f"secret key fingerprint recorded by {self.recorded_by}"
