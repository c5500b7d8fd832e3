"""Prometheus metrics of the studio, read from the queue and the clip store at scrape time."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter
from prometheus_client.core import GaugeMetricFamily, Metric, SummaryMetricFamily
from prometheus_client.registry import Collector

from wakesmith import api
from wakesmith.jobs.rows import FINAL

if TYPE_CHECKING:
    from wakesmith.server.context import Studio


class StudioCollector(Collector):
    def __init__(self, studio: Studio) -> None:
        self.studio = studio

    def collect(self) -> Iterator[Metric]:
        jobs = GaugeMetricFamily("wakesmith_studio_jobs", "Jobs by state.", labels=["state"])
        for state, n in self.studio.queue.counts().items():
            jobs.add_metric([state], n)
        yield jobs
        durations = SummaryMetricFamily(
            "wakesmith_studio_job_duration_seconds", "Run time of finished jobs, by kind.", labels=["kind"]
        )
        by_kind: dict[str, list[float]] = {}
        for job in self.studio.queue.jobs(limit=10_000):
            if job.state in FINAL and job.duration_s is not None:
                by_kind.setdefault(job.kind, []).append(job.duration_s)
        for kind, values in sorted(by_kind.items()):
            durations.add_metric([kind], len(values), sum(values))
        yield durations
        clips = GaugeMetricFamily(
            "wakesmith_studio_dataset_clips", "Live clips per dataset.", labels=["dataset"]
        )
        for name, n in api.datasets(home=self.studio.home).items():
            clips.add_metric([name], n)
        yield clips


def registry_for(studio: Studio) -> tuple[CollectorRegistry, Counter]:
    """A registry of its own per app (tests make several apps in one process)."""
    registry = CollectorRegistry()
    refused = Counter(
        "wakesmith_studio_refused", "Requests refused at the door, by reason.", ["kind"], registry=registry
    )
    registry.register(StudioCollector(studio))
    return registry, refused
