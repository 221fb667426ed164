"""What the web process holds warm: the review services, the accounts, the upload worker, page images.

One ``WebContext`` per process. Uploads are reviewed by ``pipeline.review.review_file`` (the
stages the CLI runs) on a worker thread, never on the event loop; the page images the dossier
page shows are rendered once per document and kept under ``$QUOTE_REVIEW_HOME/pages``.
"""
from __future__ import annotations

import logging
import re
import shutil
import tempfile
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from extractors import pages_version
from core.errors import QuoteReviewError, TooLargeError
from ingestion.ingest import MAX_BYTES
from core.models import Document, MediaType
from pipeline.review import ReviewServices, deliver_events, review_file
from store.accounts import AccountPolicy, Accounts
from store.workbench import Workbench
from workflow import DossierService

log = logging.getLogger("quote_review.web")

PAGE_IMAGE_MAX_WIDTH = 1400  # pixels: sharp enough to read a line, light enough to send
TEXT_LAYER_SCALE = 2.0  # pdfium renders a text-layer page at 144 dpi
UPLOAD_CHUNK = 1024 * 1024
_pdfium_lock = threading.Lock()  # pdfium is not thread-safe
# The worker renders a document's pages after its review while the page, reloading, may ask for them:
# one renders, the other waits and finds the files.
_render_lock = threading.Lock()


@dataclass
class WebContext:
    services: ReviewServices
    accounts: Accounts
    workbench: Workbench
    home: Path
    worker: ThreadPoolExecutor = field(default_factory=lambda: ThreadPoolExecutor(1, thread_name_prefix="review"))
    jobs: dict[int, Future] = field(default_factory=dict)

    @classmethod
    def open(cls, db_url: str | None = None, grid_dir: Path | None = None, home: Path | None = None,
             policy: AccountPolicy | None = None, hasher=None) -> "WebContext":
        home = Path(home or "var")
        services = ReviewServices.open(db_url, grid_dir, home)
        context = cls(services, Accounts(services.store, policy, hasher), Workbench(services.store), home)
        for upload in context.workbench.interrupted_uploads():
            context.workbench.set_upload_state(upload.id, "error", error_code="E_INTERRUPTED",
                                               error_message="the app stopped while this document was being read; "
                                                             "upload it again")
        return context

    @property
    def store(self):
        return self.services.store

    @property
    def dossiers(self) -> DossierService:
        """The reviewers' actions, as the CLI's ``dossier`` commands run them."""
        return DossierService(self.services.store, self.services.settings)

    def warm(self) -> None:
        """Load what the first review would otherwise wait for (spaCy's French model, the grid lemmas)."""
        # A word no cache knows makes the matcher load spaCy's model now, not at the first upload.
        self.services.matcher.match_many([("Peinture acrylique des murs deux couches", "m2"),
                                          ("Remplacement robinet thermostatique zorglubé", "u")])

    def close(self) -> None:
        self.worker.shutdown(wait=True, cancel_futures=True)
        self.services.close()

    # --- uploads ------------------------------------------------------------------------------

    def spool(self, source_name: str, chunks) -> Path:
        """Copy an upload into a fresh private folder under its cleaned name, refusing it past the size limit."""
        folder = Path(tempfile.mkdtemp(prefix="upload-", dir=self._spool_dir()))
        path = folder / safe_name(source_name)
        size = 0
        try:
            with path.open("wb") as handle:
                for chunk in chunks:
                    size += len(chunk)
                    if size > MAX_BYTES:
                        raise TooLargeError(f"the file is over {MAX_BYTES // (1024 * 1024)} MB; "
                                            f"at most {MAX_BYTES // (1024 * 1024)} MB")
                    handle.write(chunk)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        return path

    def discard(self, spooled: Path) -> None:
        shutil.rmtree(spooled.parent, ignore_errors=True)

    def start_review(self, dossier_ref: str, spooled: Path, *, by: str) -> int:
        """Review a spooled upload on the worker thread; its progress is the upload row's state."""
        try:
            upload_id = self.workbench.start_upload(dossier_ref, spooled.name, by=by)
        except BaseException:
            self.discard(spooled)
            raise
        self.jobs[upload_id] = self.worker.submit(self._review, upload_id, dossier_ref, spooled)
        return upload_id

    def wait(self, upload_id: int, timeout: float | None = None) -> None:
        future = self.jobs.get(upload_id)
        if future is not None:
            future.result(timeout)

    def _spool_dir(self) -> Path:
        spool = self.home / "uploads"
        spool.mkdir(parents=True, exist_ok=True)
        return spool

    def _review(self, upload_id: int, dossier_ref: str, path: Path) -> None:
        started = time.perf_counter()
        try:
            self.workbench.set_upload_state(upload_id, "reading")
            dossier = self.store.get_dossier(dossier_ref)
            outcome = review_file(self.services, path, dossier)
            if outcome.error is not None:
                self.workbench.set_upload_state(upload_id, "error", error_code=outcome.error.code,
                                                error_message=outcome.error.message,
                                                seconds=time.perf_counter() - started)
                return
            self.workbench.set_upload_state(upload_id, "done", seconds=time.perf_counter() - started)
            try:  # the decision's events to the outbox's sinks, as the CLI delivers them after a review
                deliver_events(self.services, self.home / "outbox")
            except Exception:  # left pending in the outbox; the next delivery sends them
                log.exception("delivering the events of %s", dossier_ref)
            try:
                self.render_pages(self.store.document(dossier_ref).document)
            except Exception:  # the verdict stands; the page renders again on demand
                log.exception("page images of %s", dossier_ref)
        except QuoteReviewError as error:
            self.workbench.set_upload_state(upload_id, "error", error_code=error.code, error_message=error.message,
                                            seconds=time.perf_counter() - started)
        except Exception as exc:
            log.exception("review of upload %s", upload_id)
            self.workbench.set_upload_state(upload_id, "error", error_code="E_INTERNAL",
                                            error_message=f"{type(exc).__name__}: {exc}",
                                            seconds=time.perf_counter() - started)
        finally:
            shutil.rmtree(path.parent, ignore_errors=True)
            self.jobs.pop(upload_id, None)

    # --- page images --------------------------------------------------------------------------

    def page_image(self, document: Document, number: int) -> Path | None:
        """The PNG of page ``number`` (1-based) as the extraction saw it, rendered once; None past the last page."""
        if not (1 <= number <= document.page_count) or not re.fullmatch(r"[0-9a-f]{64}", document.sha256):
            return None
        target = self._page_path(document, number)
        if not target.exists():
            self.render_pages(document)
        return target if target.exists() else None

    def _page_path(self, document: Document, number: int) -> Path:
        return self.home / "pages" / document.sha256[:2] / document.sha256 / f"{pages_version()}-{number}.png"

    def render_pages(self, document: Document) -> None:
        """Text-layer PDF pages as pdfium draws them; OCR pages as the OCR read them (after the clean-up
        that straightens a photo), so the line boxes, in fractions of that page, fall on their words."""
        with _render_lock:
            self._render_missing(document)

    def _render_missing(self, document: Document) -> None:
        pages = self.store.cached_pages(document.sha256, pages_version()) or []
        sources = {page.number: page.source for page in pages}
        for number in range(1, document.page_count + 1):
            target = self._page_path(document, number)
            if target.exists():
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            image = self._render(document, number, sources.get(number, "ocr"))
            if image.width > PAGE_IMAGE_MAX_WIDTH:
                image = image.resize((PAGE_IMAGE_MAX_WIDTH, round(image.height * PAGE_IMAGE_MAX_WIDTH / image.width)))
            partial = target.with_suffix(".part")
            image.save(partial, format="PNG", optimize=False)
            partial.replace(target)

    def _render(self, document: Document, number: int, source: str):
        from PIL import Image

        if document.media_type is MediaType.PDF and source == "text_layer":
            import pypdfium2 as pdfium

            with _pdfium_lock:
                pdf = pdfium.PdfDocument(str(document.original_path))
                try:
                    return pdf[number - 1].render(scale=TEXT_LAYER_SCALE).to_pil().convert("RGB")
                finally:
                    pdf.close()
        from extractors.image_prep import prepare_page
        from extractors.images import page_images

        with _pdfium_lock:
            image = next(page_images(document.original_path, document.media_type, [number]))
        return Image.fromarray(prepare_page(image).image)


def safe_name(name: str | None) -> str:
    """A display name for an uploaded file: its last path part, letters, digits, '.', '_' and '-' only.

    It names the spooled copy inside a fresh private folder; the original is stored under its hash.
    """
    base = re.split(r"[\\/]", name or "")[-1]
    cleaned = re.sub(r"[^\w.-]+", "_", base, flags=re.ASCII).strip("._") or "document"
    return cleaned[-120:]
