"""Words to visual lines and phrases, the same way for text-layer and OCR pages."""
from __future__ import annotations

import statistics
from dataclasses import dataclass, field

from core.models import PageText, Word


@dataclass
class TextLine:
    words: list[Word]
    page: int
    # The page's usual space between two words of one phrase (page fraction); 0 when unknown.
    space: float = 0.0

    @property
    def y0(self) -> float:
        return min(w.y0 for w in self.words)

    @property
    def y1(self) -> float:
        return max(w.y1 for w in self.words)

    @property
    def yc(self) -> float:
        return (self.y0 + self.y1) / 2

    @property
    def x0(self) -> float:
        return min(w.x0 for w in self.words)

    @property
    def x1(self) -> float:
        return max(w.x1 for w in self.words)

    @property
    def height(self) -> float:
        return statistics.median(w.y1 - w.y0 for w in self.words)

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)

    def text_between(self, x0: float, x1: float) -> str:
        return " ".join(w.text for w in self.words if x0 <= w.xc < x1)

    def gap_limit(self, factor: float) -> float:
        """The widest gap still inside one phrase: ``factor`` line heights, or more where the page's
        words are set wide apart (a monospaced font read by OCR, whose boxes hug the ink, has spaces
        of ~1.6 cap heights)."""
        return max(self.height * factor, self.space * 2 * factor)

    def confidence(self) -> float:
        return statistics.fmean(w.confidence for w in self.words) if self.words else 1.0


@dataclass
class Phrase:
    """Words of one line close enough to be read together (one table cell, one label)."""

    words: list[Word] = field(default_factory=list)

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)

    @property
    def x0(self) -> float:
        return self.words[0].x0

    @property
    def x1(self) -> float:
        return self.words[-1].x1


def group_lines(page: PageText) -> list[TextLine]:
    """Cluster words whose vertical centres are within half a line height, top to bottom."""
    words = sorted((w for w in page.words if w.text.strip()), key=lambda w: (w.yc, w.x0))
    if not words:
        return []
    typical_height = statistics.median(w.y1 - w.y0 for w in words)
    lines: list[list[Word]] = []
    for word in words:
        placed = False
        for line in reversed(lines[-3:]):
            centre = statistics.fmean(w.yc for w in line)
            if abs(word.yc - centre) < typical_height * 0.55:
                line.append(word)
                placed = True
                break
        if not placed:
            lines.append([word])
    result = [TextLine(sorted(ws, key=lambda w: w.x0), page.number) for ws in lines]
    result.sort(key=lambda line: line.yc)
    space = typical_space(result)
    for line in result:
        line.space = space
    return result


def typical_space(lines: list[TextLine]) -> float:
    """The median gap between neighbouring words, leaving out column gaps (over 4 line heights)."""
    gaps = [b.x0 - a.x1 for line in lines for a, b in zip(line.words, line.words[1:])
            if 0 < b.x0 - a.x1 < line.height * 4]
    return statistics.median(gaps) if len(gaps) >= 20 else 0.0


def split_phrases(line: TextLine, gap_factor: float = 0.9) -> list[Phrase]:
    """Split a line where the gap between two words exceeds ``gap_factor`` × the line height."""
    phrases: list[Phrase] = []
    gap_limit = line.gap_limit(gap_factor)
    for word in line.words:
        if phrases and word.x0 - phrases[-1].words[-1].x1 <= gap_limit:
            phrases[-1].words.append(word)
        else:
            phrases.append(Phrase([word]))
    return phrases
