"""Background work for the FHIR API (run by `acuback worker`)."""

from __future__ import annotations

from django_tasks import task


@task()
def bulk_export_run(job_id: int) -> dict:
    from .models import BulkExport
    from .services import export_run

    job = export_run(BulkExport.objects.get(pk=job_id))
    return {"status": job.status, "output": job.output}
