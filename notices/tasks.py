"""The one background task: run a Job row (notices.jobs). Whatever backend TASKS names runs it:
the database worker (`manage.py db_worker`), RQ on Redis, or inline in tests."""

from django_tasks import task


@task()
def run_job(job_id: int) -> str:
    from notices import jobs

    return jobs.run(job_id)
