"""The import report: what happened to every document of a file, as counts, details, text and JSON."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

EXIT_OK = 0
EXIT_ATTENTION = 4  # a document failed or was held for review

# Skipped documents (unchanged, filtered out) or documents imported with a warning can be every
# document of a big file; their details are kept up to this many so that the report stays small.
# Failed and held documents are always kept; the counts are always exact.
DETAIL_LIMIT = 1000


class Outcome(StrEnum):
    """What happened to one document."""

    IMPORTED = "imported"
    UPDATED = "updated"
    SKIPPED = "skipped"
    HELD = "held"
    FAILED = "failed"


@dataclass(slots=True)
class DocumentResult:
    """The outcome of one document, located by its external id and XML line."""

    outcome: Outcome
    external_id: str
    line: int | None
    reason: str = ""
    field: str | None = None
    warnings: list[str] = dataclasses.field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        out: dict[str, Any] = {"outcome": self.outcome.value, "external_id": self.external_id,
                               "line": self.line, "reason": self.reason}
        if self.field:
            out["field"] = self.field
        if self.warnings:
            out["warnings"] = list(self.warnings)
        return out

    def render(self, file: str) -> str:
        """One readable line: file:line, id, field, reason."""
        where = f"{file}:{self.line}" if self.line else file
        parts = [where, f"id {self.external_id or '?'}"]
        if self.field:
            parts.append(f"field {self.field}")
        text = ", ".join(parts) + f": {self.outcome.value}"
        if self.reason:
            text += f": {self.reason}"
        for warning in self.warnings:
            text += f"\n    warning: {warning}"
        return text


@dataclass
class ImportReport:
    """Counts per outcome plus details of every document that was not simply imported."""

    file: str
    profile: str
    kind: str
    shop: str
    dry_run: bool = False
    size: int = 0
    sha256: str = ""
    counts: dict[Outcome, int] = dataclasses.field(default_factory=lambda: dict.fromkeys(Outcome, 0))
    documents: list[DocumentResult] = dataclasses.field(default_factory=list)
    details_dropped: int = 0
    _minor_details: int = 0
    file_error: str | None = None
    file_error_line: int | None = None
    # the file held nothing to import (another kind, an error answer, empty): it stays where it is
    nothing_to_import: bool = False
    quarantined: str | None = None
    error_report: str | None = None

    def add(self, result: DocumentResult) -> None:
        """Count an outcome and keep its details when they tell the user something."""
        self.counts[result.outcome] += 1
        if result.outcome is Outcome.IMPORTED and not result.warnings:
            return
        if result.outcome not in (Outcome.FAILED, Outcome.HELD):
            if self._minor_details >= DETAIL_LIMIT:
                self.details_dropped += 1
                return
            self._minor_details += 1
        self.documents.append(result)

    def void(self, reason: str, line: int | None = None, *, nothing_to_import: bool = False) -> None:
        """A file-level error: nothing of the file was imported, whatever was read before it."""
        self.nothing_to_import = nothing_to_import
        self.counts = dict.fromkeys(Outcome, 0)
        self.documents = []
        self.details_dropped = 0
        self._minor_details = 0
        self.file_error = reason
        self.file_error_line = line

    @property
    def total(self) -> int:
        """Documents read."""
        return sum(self.counts.values())

    @property
    def failures(self) -> list[DocumentResult]:
        """Documents that failed."""
        return [d for d in self.documents if d.outcome is Outcome.FAILED]

    @property
    def ok(self) -> bool:
        """True when nothing failed and nothing waits for review."""
        return (self.file_error is None and not self.counts[Outcome.FAILED]
                and not self.counts[Outcome.HELD])

    @property
    def exit_code(self) -> int:
        """0 when all is well, 4 when a document failed or was held (or the file was refused)."""
        return EXIT_OK if self.ok else EXIT_ATTENTION

    @property
    def status(self) -> str:
        """The processed-file status: imported, partial, failed, or refused (nothing to import)."""
        if self.nothing_to_import:
            return "refused"
        if self.file_error is not None:
            return "failed"
        return "imported" if self.ok else "partial"

    def summary(self) -> str:
        """One line: what happened to how many documents."""
        head = f"{self.file}: " + ("dry run, nothing written: " if self.dry_run else "")
        if self.file_error is not None:
            return head + f"file refused, nothing imported: {self.file_error}"
        counts = ", ".join(f"{self.counts[o]} {o.value}" for o in Outcome)
        return head + f"{self.total} {self.kind}: {counts}"

    def details(self) -> list[str]:
        """One readable line per document that needs a look."""
        lines = [d.render(self.file) for d in self.documents]
        if self.details_dropped:
            lines.append(f"… and {self.details_dropped} more skipped or with warnings "
                         "(counted in the summary)")
        return lines

    def error_text(self) -> str:
        """The readable NAME.error.txt written beside a quarantined copy."""
        lines = [f"file: {self.file}", f"profile: {self.profile}", f"kind: {self.kind}",
                 f"shop: {self.shop}", f"sha256: {self.sha256}", ""]
        if self.file_error is not None:
            where = f"{self.file}:{self.file_error_line}" if self.file_error_line else self.file
            lines += [f"{where}: the file was refused and nothing of it was imported:",
                      f"  {self.file_error}"]
        else:
            lines.append(self.summary())
            for doc in self.documents:
                if doc.outcome in (Outcome.FAILED, Outcome.HELD):
                    lines.append(f"line {doc.line or '?'}, id {doc.external_id or '?'}, "
                                 f"field {doc.field or '-'}: {doc.outcome.value}: {doc.reason}")
        return "\n".join(lines) + "\n"

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (``--json``, and the report stored with the processed file)."""
        return {
            "file": self.file, "profile": self.profile, "kind": self.kind, "shop": self.shop,
            "dry_run": self.dry_run, "size": self.size, "sha256": self.sha256,
            "status": self.status, "summary": {o.value: self.counts[o] for o in Outcome},
            "file_error": self.file_error, "file_error_line": self.file_error_line,
            "quarantined": self.quarantined, "error_report": self.error_report,
            "details_dropped": self.details_dropped,
            "documents": [d.as_dict() for d in self.documents],
        }
