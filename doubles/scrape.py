"""Reading a Prometheus ``/metrics`` page the way Prometheus does, for tests.

``scrape(url)`` parses the text exposition format with prometheus_client's own parser;
``Samples.get(name, **labels)`` is one sample's value (0.0 when absent: a counter not yet
moved has no sample), ``Samples.sum(name, **labels)`` adds every sample whose labels
include those given.
"""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass

from prometheus_client.parser import text_string_to_metric_families

from bench.polling import PATIENCE

Key = tuple[str, frozenset[tuple[str, str]]]


@dataclass(frozen=True)
class Samples:
    values: dict[Key, float]

    @classmethod
    def parse(cls, text: str) -> Samples:
        values: dict[Key, float] = {}
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                values[(sample.name, frozenset(sample.labels.items()))] = float(sample.value)
        return cls(values)

    def get(self, name: str, **labels: str) -> float:
        return self.values.get((name, frozenset(labels.items())), 0.0)

    def sum(self, name: str, **labels: str) -> float:
        wanted = set(labels.items())
        return sum(v for (n, ls), v in self.values.items() if n == name and wanted <= ls)

    def labels(self, name: str, label: str) -> Iterator[str]:
        """Every value ``label`` takes among ``name``'s samples."""
        for n, ls in self.values:
            if n == name:
                yield from (v for k, v in ls if k == label)


def scrape(url: str, timeout: float = PATIENCE) -> Samples:
    with urllib.request.urlopen(url, timeout=timeout) as answer:
        assert answer.status == 200, answer.status
        assert answer.headers["Content-Type"].startswith("text/plain; version=")
        return Samples.parse(answer.read().decode())
