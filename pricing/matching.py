"""Match a quote line's designation to a grid item.

A designation is normalised (case, accents, artisans' abbreviations such as ``F&P``,
``fourn. et pose``, ``dépose/repose``, ``M.O.``, ``BA13``, ``m²``), cut before a trailing
clause ("y compris…", "suivant…", "toutes sujétions…"), split into words, lemmatised with
spaCy's ``fr_core_news_sm`` (lemmas are cached per word, so the model only runs on words it has
not seen; the grid's own lemmas are kept on disk) and mapped onto shared concepts
(``poser`` → ``pose``, ``agglos`` → ``parpaing``...). Each grid item is indexed by the same
analysis of its label and phrasings.

The score of an item mixes how much of the designation's (IDF-weighted) words the item
knows with how well the best single phrasing of the item covers the designation, then
adjusts for unit compatibility. Actions (dépose, remplacement, fourniture et pose...) weigh
less than the object they apply to; the first objects and a trade named up front steer the
ranking; an unknown object, a removal matched to a replacement (or the reverse) and an
hourly or per-kilogram line matched to other units count against the match. Below
``threshold`` the line is unmatched (``item=None``): it is never forced onto the nearest item.
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import re
import threading
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import metadata
from pathlib import Path

from rapidfuzz import fuzz, process

import numpy as np

from core.settings import Settings
from pricing.grid import Grid, GridItem, LexiconEntry
from pricing.vectors import WordVectors, load_vectors

SPACY_MODEL = "fr_core_news_sm"
DEFAULT_THRESHOLD = 0.5
_SHORTLIST = 16
_ANALYSIS_CACHE_LIMIT = 200_000
_UNKNOWN_FACTOR = 0.8
_UNKNOWN_HEAD_FACTOR = 1.5
_HEAD_BOOST = 1.5
_SECOND_BOOST = 1.25
_UNIT_RARITY_BONUS = 0.02
_ACTION_FACTOR = 0.5
_TRADE_CUE_BONUS = 0.06
_HEAD_MISSING_PENALTY = 0.05
_ACTION_CONFLICT_PENALTY = 1.0  # a veto: the item prices other work
# Scope clauses ("y compris dépose", "(pièce : cuisine)", "suivant métré") say what the price
# includes or where, not what the work is: their known words count this much, unknown ones not at all.
_SCOPE_FACTOR = 0.45
# Word vectors: the line's meaning (IDF-weighted mean of its words' vectors) against the nearest
# phrasing of an item adds this weight times (cosine - baseline) to the item's score. (Letting an
# unknown word stand for its nearest grid word was tried and dropped: vectors put "réfrigérateur"
# next to "déshumidificateur", and out-of-grid lines were matched.)
_SEMANTIC_WEIGHT = 0.1
_SEMANTIC_BASELINE = 0.55
# An unmatched line's trade, when neither its known words nor a trade it names settle it: the
# trade whose items' mean meaning is nearest, if the cosine reaches this.
_TRADE_MEANING_MIN = 0.6
_TRADE_NEAR_MISS = 0.35

# The matcher's signals, each of which can be switched off to measure what it is worth
# (bench/matching.py --ablation).
SIGNALS = frozenset({"lexicon", "scope", "vectors", "units", "trade_cues"})

# Phrase-level rewrites on lower-case ASCII text, applied in order. Multi-word notions become
# one token so that "papier peint" never matches "peinture" by accident.
_REWRITES: list[tuple[re.Pattern, str]] = [(re.compile(p), r) for p, r in [
    (r"\bf\s*(?:&|\+|/|et)\s*p\b\.?", " fourniture pose "),
    (r"\bfourn?(?:i|it|iture)?s?\.?\s*(?:&|\+|/|et|-)\s*pos(?:e|ee|es|ees|é)?\b\.?", " fourniture pose "),
    (r"\bfourni(?:e|s|es)?\s+pose(?:e|s|es)?\b", " fourniture pose "),
    (r"\bpose\s+et\s+fourniture\b", " fourniture pose "),
    (r"\bd[eé]pose\s*(?:/|-|et)\s*repose\b", " depose repose "),
    (r"\bd\s*/\s*r\b", " depose repose "),
    (r"\bm\s*\.\s*o\s*\.?(?=\s|$)", " mainoeuvre "),
    (r"\bmo\b", " mainoeuvre "),
    (r"\bmain\s*d?\s*oeuvre\b", " mainoeuvre "),
    (r"\bba\s*-?\s*13\b", " ba13 plaqueplatre "),
    (r"\bplaques?\s+(?:de\s+)?platre\b", " plaqueplatre "),
    (r"\bplaco(?:platre)?s?\b", " plaqueplatre "),
    (r"\bpapiers?\s*-?\s*peints?\b", " papierpeint "),
    (r"\btapisseries?\b", " papierpeint "),
    (r"\blave\s*-?\s*(mains|linge|vaisselle)\b", r" lave\1 "),
    (r"\bchauffe\s*-?\s*eaux?\b", " chauffeeau "),
    (r"\bcumulus\b", " chauffeeau "),
    (r"\bballons?\s+(?:d\s*)?(?:eau\s+chaude|ecs)\b", " chauffeeau "),
    (r"\bvolets?\s+roulants?\b", " voletroulant "),
    (r"\bdouble\s*-?\s*vitrages?\b", " doublevitrage "),
    (r"\bvitrages?\s+isolants?\b", " doublevitrage "),
    (r"\bd\s*\.?\s*v\s*\.?\s+(?=\d)", " doublevitrage "),
    (r"\brech(?:erche)?s?\.?\s+(?:de\s+)?fuites?\b", " recherchefuite "),
    (r"\bfin\s+de\s+(?:chantier|travaux)\b", " finchantier "),
    (r"\bportes?\s*-?\s*fenetres?\b", " portefenetre "),
    (r"\bblocs?\s*-?\s*portes?\b", " blocporte "),
    (r"\bfaux\s*-?\s*plafonds?\b", " fauxplafond "),
    (r"\bsous\s*-?\s*couches?\b", " souscouche "),
    (r"\banti\s*-\s*|\banti\s+(?=[a-z]{4,})", "anti"),
    (r"\bmise\s+en\s+peinture\b", " peinture "),
    (r"\bmise\s+en\s+securite\b", " misesecurite "),
    (r"\bmise\s+en\s+(?:decharge|dechetterie|benne)\b", " decharge "),
    (r"\bweek\s*-?\s*ends?\b|\bwe\b", " weekend "),
    (r"\bfournitures?\s+comprises?\b", " fourniture "),
    (r"\bmise\s+hors\s+d\s*eau\b", " horseau "),
    (r"\bgres\s*-?\s*ceram\w*\b", " grescerame "),
    (r"\bdeshu\b", " deshumidificateur "),
    (r"\bhydro\b", " hydrofuge "),
    (r"\bdisj\b\.?", " disjoncteur "),
    (r"\bdiff\b\.?", " differentiel "),
    (r"\binter\b\.?", " interrupteur "),
    (r"\bint\b\.?", " interieur "),
    (r"\bext\b\.?", " exterieur "),
    (r"\bdev\b\.?", " developpe "),
    (r"\b(?:fft|forf)\b\.?", " forfait "),
    (r"\by\s*/\s*c\b|\by\s*\.\s*c\b\.?|\bycompris\b", " y compris "),
    (r"\bsdb\b", " salle bain "),
    (r"\b(?:remp|rempl|remplt|rplt)\b\.?", " remplacement "),
    (r"\belec\b\.?", " electrique "),
    (r"\bevac\b\.?", " evacuation "),
    (r"\bprot\b\.?", " protection "),
    (r"\b(?:depl|deplt|dep)\b\.?", " deplacement "),
    (r"\bpdt\b|\bpdts\b", " produit "),
    (r"\bt\s*\.?\s*h\s*\.?\b", " tauxhoraire "),
    (r"\btaux\s+horaire\b", " tauxhoraire "),
    (r"\bheures?\b", " tauxhoraire "),
    (r"\bm\s*[23]\b", " "),
    (r"(\d)\s*(?:l|litres?|lts?)\b", r"\1 l"),
    (r"(\d)\s*(?:mm|cm|m)\b", r"\1 "),
]]

# Trailing clauses listing what a price includes ("y compris ...", "suivant métré ...").
_TAIL = re.compile(r"\b(?:y\s+compris|compris|comprenant|suivant|selon|conformement|toutes\s+sujetions)\b")

# Scope clauses, by their grammar: a clause opened by a word of inclusion (compris, inclus, avec,
# hors...), of conformity (suivant, selon, conformément), of place (dans, au niveau, pièce), of
# purpose (pour permettre...) or of agency (réalisé par, par nos soins); a parenthesis; a segment
# after a colon, comma or dash that opens with one of those words. The head is what comes before
# the first such clause, provided it names something (otherwise the line keeps all its words).
_SCOPE_OPENER = re.compile(
    r"(?:^|\s|[,;:\-])\s*(?=(?:y\s+compris|compris|comprise?s?|comprenant|inclus|incluse?s?|incluant|avec|hors|sauf"
    r"|suivant|selon|conformement|toutes\s+sujetions|dans|au\s+niveau|piece|pour\s+(?:permettre|acces|l\s+acces|faciliter)"
    r"|realisee?s?|effectuee?s?|par\s+nos\s+soins|prestation\s+realisee|a\s+l\s+identique)\b)"
)
_PARENTHESIS = re.compile(r"\(([^)]*)\)?")

_STOPWORDS = frozenset("""
a au aux avec ce ces d de des du dans en et l la le les leur par pour sur sous un une y ou ou
son sa ses se qui que tout toute tous toutes compris inclus incluant selon suivant metre
contradictoire place existant existante existants existantes neuf neuve piece pieces principale
couloir chambre salon sejour degagement palier etage rdc niveau appartement logement maison
lot ens ensemble m ml mm cm l u h kg m2 m3 x n no nr num
""".split()) | frozenset(
    # The state of what was damaged says nothing about which work repairs it.
    """endommage endommagee endommages endommagees abime abimee abimes abimees gonfle gonflee gonfles gonflees
    degrade degradee degrades degradees deteriore deterioree deteriores deteriorees sinistre sinistree sinistres
    sinistrees mouille mouillee mouilles mouillees humide humides decolle decollee decolles decollees
    defectueux defectueuse defectueuses hs vetuste vetustes ancien ancienne anciens anciennes vieux vieille
    encastre encastree encastres encastrees
    """.split())

# spaCy lemma -> concept shared by nouns and verbs of the same work.
_CONCEPTS = {
    "poser": "pose", "posé": "pose", "posee": "pose", "deposer": "depose", "reposer": "repose",
    "remplacer": "remplacement", "changer": "remplacement", "changement": "remplacement",
    "peindre": "peinture", "peint": "peinture", "fournir": "fourniture", "nettoyer": "nettoyage",
    "evacuer": "evacuation", "enlevement": "evacuation", "reparer": "reparation", "reprendre": "reprise",
    "traiter": "traitement", "isoler": "isolation", "ouvrir": "ouverture", "proteger": "protection",
    "refaire": "refection", "demolir": "demolition", "assecher": "assechement", "secher": "sechage",
    "lessiver": "lessivage", "reboucher": "rebouchage", "poncer": "poncage", "installer": "installation",
    "monter": "montage", "demonter": "demontage", "deplacer": "deplacement", "deboucher": "debouchage",
    "bacher": "bachage", "bache": "bachage", "baches": "bachage", "desinfecter": "desinfection",
    "raccorder": "raccordement", "ragreer": "ragreage", "vitrifier": "vitrification",
    "casse": "brise", "casser": "brise", "cassee": "brise", "briser": "brise", "fele": "brise",
    "tuyauterie": "tuyau", "canalisation": "tuyau", "conduite": "tuyau",
    "menage": "nettoyage", "deshumidificateurs": "deshumidificateur", "assecheur": "deshumidificateur",
    "assecheurs": "deshumidificateur", "meuble": "mobilier", "meubles": "mobilier",
    "plombier": "plomberie", "electricien": "electricite", "electrique": "electricite",
    "peintre": "peinture", "carreleur": "carrelage", "couvreur": "couverture", "macon": "maconnerie",
    "menuisier": "menuiserie", "serrurier": "serrurerie", "vitrier": "vitrerie", "plaquiste": "platrerie",
    "platrier": "platrerie", "vitre": "vitrage", "vitres": "vitrage", "verre": "vitrage", "glace": "vitrage",
    "barillet": "cylindre", "canon": "cylindre", "humidimetre": "humidite", "humidimetrie": "humidite",
    "hygrometrie": "humidite", "releve": "mesure", "releves": "mesure",
    "laquage": "peinture", "laquer": "peinture", "laque": "peinture", "boiseries": "boiserie",
    "agglo": "parpaing", "agglos": "parpaing", "agglomere": "parpaing", "agglomeres": "parpaing",
    "mate": "mat", "mates": "mat", "demolir": "demolition", "arracher": "arrachage",
    "retraire": "retrait", "retirer": "retrait", "piquer": "piquage", "decoller": "decollage",
}

# Words naming what is done rather than what it is done to: "Remplacement caisson" is about a
# caisson. They still count in the score, but never stand as the line's head (its object).
_ACTIONS = frozenset("""
depose repose remplacement fourniture pose reprise refection reparation installation montage demontage
intervention realisation creation application renovation mise remise location traitement evacuation
demolition arrachage
""".split())

# A line that starts by removing something and puts nothing new in place ("Dépose chauffe-eau",
# "Démolition doublage placo") is removal work, never the replacement of that thing; and an
# item that only removes ("Dépose de revêtement de sol") never prices a line that removes nothing.
_REMOVALS = frozenset({"depose", "demolition", "arrachage", "decollage", "retrait", "piquage"})
_REPLACING = frozenset({"pose", "fourniture", "remplacement", "repose", "refection", "installation"})

# Concepts naming a trade: among the first words of a line they say whose work it is
# ("Peinture des plinthes" is painting even though fitting plinths is floor work).
_TRADE_CUES = {
    "peinture": "peinture", "plomberie": "plomberie", "carrelage": "carrelage", "couverture": "couverture",
    "maconnerie": "maconnerie", "menuiserie": "menuiserie", "serrurerie": "serrurerie", "vitrerie": "vitrerie",
    "platrerie": "platrerie", "nettoyage": "nettoyage", "assechement": "assechement",
}
_CUE_WINDOW = 2

# Discounts, deposits and totals are not work ("Remise 5 %"), unlike "remise en état/en place".
_NOT_WORK = re.compile(
    r"^\W*(?:remise|rabais|escompte|ristourne|acompte|avoir|total|sous\s*-?\s*total|report|a\s+reporter"
    r"|tva|net\s+a\s+payer|montant)\b(?!\s+(?:en|a|au|de\s+la|du)\b)"
)
_TOKEN = re.compile(r"[a-z0-9]+")
_HAS_DIGIT = re.compile(r"\d")


def ascii_fold(text: str) -> str:
    """Lower-case, accents removed, ligatures and superscripts spelled out."""
    text = text.lower().replace("œ", "oe").replace("æ", "ae").replace("²", "2").replace("³", "3")
    text = re.sub(r"[øØ⌀]", " diam ", text)
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text if not unicodedata.combining(c))


def _plain(text: str) -> str:
    text = re.sub(r"[’'`´]", " ", ascii_fold(text))
    return re.sub(r"\s+", " ", text).strip()


class Lexicon:
    """The analyst's lexicon (``lexicon.csv``) as one rewrite of quote lines: each term (whole
    words, plural or not, longest first) becomes the grid wording it means.

    It teaches the words the grid does not use: a term whose every word already appears in the
    grid's phrasings (``grid_words``) is left to the grid, which knows it more precisely.
    """

    def __init__(self, entries: tuple[LexiconEntry, ...], grid_words: frozenset[str] = frozenset()) -> None:
        self._means: dict[str, str] = {}
        self._trade: dict[str, str | None] = {}
        self.ignored: list[LexiconEntry] = []
        for entry in entries:
            term = " ".join(_TOKEN.findall(_plain(entry.term)))
            if grid_words and all(w in grid_words or w.rstrip("sx") in grid_words or w + "s" in grid_words for w in term.split()):
                self.ignored.append(entry)
                continue
            self._means.setdefault(term, " " + _plain(entry.means) + " ")
            self._trade.setdefault(term, entry.trade)
        terms = sorted(self._means, key=len, reverse=True)
        alternatives = "|".join(r"\W+".join(map(re.escape, t.split())) + "(?:s|x)?" for t in terms)
        self._pattern = re.compile(rf"(?<![a-z0-9])(?:{alternatives})(?![a-z0-9])") if terms else None

    def _key(self, found: str) -> str:
        key = " ".join(_TOKEN.findall(found))
        if key not in self._means and key[-1:] in ("s", "x"):
            key = key[:-1]
        return key

    def rewrite(self, folded: str) -> str:
        if self._pattern is None:
            return folded
        return self._pattern.sub(lambda m: self._means[self._key(m.group(0))], folded)

    def first_trade(self, folded: str) -> str | None:
        """The trade of the first term with a trade in the text."""
        if self._pattern is None:
            return None
        for found in self._pattern.finditer(folded):
            trade = self._trade[self._key(found.group(0))]
            if trade:
                return trade
        return None


def normalise(text: str, lexicon: Lexicon | None = None, plain: str | None = None) -> str:
    """The designation as lower-case ASCII with abbreviations expanded (no lemmatisation)."""
    text = plain if plain is not None else _plain(text)
    if lexicon is not None:
        text = lexicon.rewrite(text)
    for pattern, replacement in _REWRITES:
        text = pattern.sub(replacement, text)
    return re.sub(r"\s+", " ", text).strip()


@dataclass(frozen=True)
class Analysis:
    """A designation's concepts in order, those said only in a scope clause, and the trade its
    lexicon terms name."""

    tokens: tuple[str, ...]
    scope: frozenset[str] = frozenset()
    trade: str | None = None


@dataclass(frozen=True)
class Match:
    """Best grid item for a designation; ``item`` is None when nothing matches well enough."""

    item: GridItem | None
    score: float
    trade: str | None
    alternatives: tuple[tuple[str, float], ...] = field(default=())

    @property
    def item_id(self) -> str | None:
        return self.item.id if self.item else None


def _plausible_lemma(token: str, lemma: str) -> str:
    """spaCy's lemma unless it is a known failure on accent-less text ("peinture" → "peintur")."""
    lemma = ascii_fold(lemma)
    if token.endswith("ment") or len(lemma) < 4 or (token == lemma + "e" and lemma[-1] not in "lnst"):
        return token
    return lemma


_models: dict[str, object] = {}
_models_lock = threading.Lock()


def _load_model(name: str):
    """spaCy's pipeline, loaded once per process and shared (loading takes seconds). Only the
    components lemmas need are loaded: the parser and the entity recogniser are left out."""
    with _models_lock:
        if name not in _models:
            import spacy

            _models[name] = spacy.load(name, exclude=["parser", "ner", "senter"])
        return _models[name]


def default_cache_dir() -> Path:
    """Where the grid's lemmas are kept between runs: ``$QUOTE_REVIEW_CACHE_DIR``, else
    ``$XDG_CACHE_HOME/quote-review``, else ``~/.cache/quote-review``."""
    return Settings.load().lemma_cache_dir


class Lemmatizer:
    """spaCy lemmas with a per-word cache: the model is loaded when a word is first missing
    from the cache, and only sees lines with unseen words."""

    def __init__(self, model: str = SPACY_MODEL) -> None:
        self.model = model
        self._nlp = None
        self._cache: dict[str, str] = {}
        # The cache and spaCy's pipeline are shared by the threads of a batch: one at a time.
        self._lock = threading.RLock()

    @property
    def loaded(self) -> bool:
        return self._nlp is not None

    @property
    def version(self) -> str:
        """Model and spaCy versions: lemmas kept on disk are only valid for the same ones."""
        return f"{self.model}=={metadata.version(self.model)} spacy=={metadata.version('spacy')}"

    def known(self, words: set[str]) -> dict[str, str]:
        with self._lock:
            return {w: self._cache[w] for w in words if w in self._cache}

    def remember(self, lemmas: dict[str, str]) -> None:
        with self._lock:
            for word, lemma in lemmas.items():
                self._cache.setdefault(word, lemma)

    def lemmas(self, lines: list[list[str]]) -> list[list[str]]:
        with self._lock:
            return self._lemmas(lines)

    def _lemmas(self, lines: list[list[str]]) -> list[list[str]]:
        # Send spaCy only enough lines to see each unseen word once (in context).
        scheduled: set[str] = set()
        pending = []
        for tokens in lines:
            unseen = {t for t in tokens if t not in self._cache and t not in scheduled}
            if unseen:
                scheduled |= unseen
                pending.append(tokens)
        if pending and self._nlp is None:
            self._nlp = _load_model(self.model)
        for tokens, doc in zip(pending, self._nlp.pipe(" ".join(t) for t in pending) if pending else ()):
            if [t.text for t in doc] != tokens:  # spaCy split differently: take words one by one
                for token in tokens:
                    if token not in self._cache:
                        self._cache[token] = _plausible_lemma(token, self._nlp(token)[0].lemma_)
                continue
            for token, spacy_token in zip(tokens, doc):
                self._cache.setdefault(token, _plausible_lemma(token, spacy_token.lemma_))
        return [[self._cache[t] for t in tokens] for tokens in lines]


class Matcher:
    """Index of a grid's items; build once and reuse.

    The lemmas of the grid's words are kept on disk in ``cache_dir`` (default
    :func:`default_cache_dir`), keyed by the grid's words and the spaCy model's version, so a
    matcher for an unchanged grid is built without loading spaCy; the model is then loaded
    (once per process) by the first designation carrying a word it has not seen. The word
    vectors' folded table is kept there too.

    ``signals`` names what the matcher uses beside the words it shares with the grid (default
    all of :data:`SIGNALS`); the bench switches them off one at a time to measure their worth.
    A matcher may be shared by threads: matching runs one call at a time.
    """

    def __init__(
        self,
        grid: Grid,
        threshold: float = DEFAULT_THRESHOLD,
        lemmatizer: Lemmatizer | None = None,
        cache_dir: Path | None = None,
        signals: frozenset[str] = SIGNALS,
        vectors: WordVectors | None = None,
    ) -> None:
        unknown = set(signals) - SIGNALS
        if unknown:
            raise ValueError(f"unknown matcher signals: {', '.join(sorted(unknown))}")
        self.grid = grid
        self.threshold = threshold
        self.signals = frozenset(signals)
        self._lock = threading.RLock()
        self._lemmatizer = lemmatizer or Lemmatizer()
        self._lexicon: Lexicon | None = None  # the grid's own phrasings are read without it
        self._analysis: dict[str, Analysis] = {}
        self._corrections: dict[str, str | None] = {}
        cache_dir = cache_dir or default_cache_dir()
        items = list(grid.items.values())
        phrase_texts = [[it.label, *it.keywords] for it in items]
        flat_texts = [p for texts in phrase_texts for p in texts]
        self._load_grid_lemmas(flat_texts, cache_dir)
        analysed = [a.tokens for a in self._analyse_many(flat_texts, keep_tail=True)]
        if "lexicon" in self.signals:
            grid_words = frozenset(w for text in flat_texts for w in _TOKEN.findall(normalise(text)))
            self._lexicon = Lexicon(grid.lexicon, grid_words)
        position = 0
        bags: dict[str, frozenset[str]] = {}
        raw_phrases: dict[str, list[frozenset[str]]] = {}
        self._removal_items: set[str] = set()
        for it, texts in zip(items, phrase_texts):
            phrases = [frozenset(analysed[position + k]) for k in range(len(texts))]
            position += len(texts)
            raw_phrases[it.id] = [p for p in phrases if p]
            label = analysed[position - len(texts)]
            if label and label[0] in _REMOVALS and not _REPLACING & set(label):
                self._removal_items.add(it.id)
            bags[it.id] = frozenset().union(*phrases)
        document_frequency: dict[str, int] = defaultdict(int)
        for bag in bags.values():
            for token in bag:
                document_frequency[token] += 1
        n = len(items)
        self._idf = {t: math.log(1 + n / df) for t, df in document_frequency.items()}
        self._unknown_weight = math.log(1 + n / 2) * _UNKNOWN_FACTOR
        self._vocabulary = sorted(self._idf)
        self._bags = bags
        # Per item: each word -> the phrasings containing it, and each phrasing's IDF weight.
        self._token_phrases: dict[str, dict[str, list[int]]] = {}
        self._phrase_weights: dict[str, list[float]] = {}
        for item_id, phrases in raw_phrases.items():
            index: dict[str, list[int]] = defaultdict(list)
            for k, phrase in enumerate(phrases):
                for token in phrase:
                    index[token].append(k)
            self._token_phrases[item_id] = dict(index)
            self._phrase_weights[item_id] = [sum(self._idf[t] for t in p) for p in phrases]
        self._postings: dict[str, list[str]] = defaultdict(list)
        for item_id, bag in bags.items():
            for token in bag:
                self._postings[token].append(item_id)
        # Agreeing on a rare unit says more than agreeing on a common one: few items are
        # priced per hour, half the grid is priced per unit.
        unit_share: dict[str, float] = defaultdict(float)
        for it in items:
            unit_share[it.unit] += 1 / n
        self._unit_bonus = defaultdict(lambda: 0.03, {u: 0.03 + _UNIT_RARITY_BONUS * (1 - share) for u, share in unit_share.items()})
        self._trade_share: dict[str, dict[str, float]] = {}
        for token, ids in self._postings.items():
            shares: dict[str, float] = defaultdict(float)
            for item_id in ids:
                shares[grid.items[item_id].trade] += 1 / len(ids)
            self._trade_share[token] = dict(shares)
        self._vectors = None
        if "vectors" in self.signals:
            self._vectors = vectors or load_vectors(cache_dir)
        if self._vectors is not None:
            self._index_vectors(raw_phrases)

    def _index_vectors(self, raw_phrases: dict[str, list[frozenset[str]]]) -> None:
        """Vectors of every item phrasing (IDF-weighted mean of its words' vectors), for the
        line's meaning against the item's."""
        self._item_phrase_vectors: dict[str, np.ndarray] = {}
        for item_id, phrases in raw_phrases.items():
            rows = [self._mean_vector({t: self._idf[t] for t in phrase}) for phrase in phrases]
            rows = [r for r in rows if r is not None]
            if rows:
                self._item_phrase_vectors[item_id] = np.stack(rows)
        if not self._item_phrase_vectors:  # the table knows none of the grid's words
            self._vectors = None
            return
        # All phrasings in one matrix, so that a line's meaning meets them in one product.
        self._semantic_items = list(self._item_phrase_vectors)
        self._semantic_index = {item_id: k for k, item_id in enumerate(self._semantic_items)}
        self._semantic_matrix = np.concatenate([self._item_phrase_vectors[i] for i in self._semantic_items])
        self._semantic_offsets = np.cumsum([0] + [len(self._item_phrase_vectors[i]) for i in self._semantic_items[:-1]])
        by_trade: dict[str, list[np.ndarray]] = defaultdict(list)
        for item_id, phrases in self._item_phrase_vectors.items():
            by_trade[self.grid.items[item_id].trade].append(phrases.mean(axis=0))
        self._trades = sorted(by_trade)
        centroids = np.stack([np.mean(by_trade[t], axis=0) for t in self._trades])
        self._trade_centroids = centroids / np.linalg.norm(centroids, axis=1, keepdims=True)

    def _trade_by_meaning(self, meaning_vector: np.ndarray | None) -> str | None:
        if meaning_vector is None:
            return None
        similarities = self._trade_centroids @ meaning_vector
        best = int(np.argmax(similarities))
        return self._trades[best] if similarities[best] >= _TRADE_MEANING_MIN else None

    def _mean_vector(self, weights: dict[str, float]) -> np.ndarray | None:
        total = np.zeros(self._vectors.dimension, dtype=np.float32)
        found = False
        for token, weight in weights.items():
            vector = self._vectors.vector(token)
            if vector is not None and weight > 0:
                total += weight * vector
                found = True
        norm = float(np.linalg.norm(total))
        return total / norm if found and norm > 0 else None

    # -- analysis ----------------------------------------------------------------------
    def _load_grid_lemmas(self, texts: list[str], cache_dir: Path) -> None:
        """Fill the lemma cache with the grid's words from disk, or lemmatise them and save."""
        words = [[t for t in self._words(text) if not _HAS_DIGIT.search(t)] for text in texts]
        key = hashlib.sha256(json.dumps([self._lemmatizer.version, words]).encode()).hexdigest()[:24]
        path = cache_dir / f"grid-lemmas-{key}.json"
        try:
            self._lemmatizer.remember(json.loads(path.read_text(encoding="utf-8")))
            return
        except (OSError, ValueError):
            pass
        self._lemmatizer.lemmas(words)
        lemmas = self._lemmatizer.known({w for line in words for w in line})
        try:  # a cache that cannot be written only costs the next build its seconds
            cache_dir.mkdir(parents=True, exist_ok=True)
            partial = path.with_suffix(f".{os.getpid()}.tmp")
            partial.write_text(json.dumps(lemmas, ensure_ascii=False, sort_keys=True), encoding="utf-8")
            os.replace(partial, path)
        except OSError:
            pass

    def _words(self, text: str) -> list[str]:
        return [t for t in _TOKEN.findall(normalise(text, self._lexicon)) if t not in _STOPWORDS]

    def _split(self, text: str, keep_tail: bool) -> tuple[list[str], list[str], str | None]:
        """The words of the line's head and of its scope clauses, and its lexicon trade."""
        plain = _plain(text)
        trade = self._lexicon.first_trade(plain) if self._lexicon is not None else None
        text = normalise(text, self._lexicon, plain)
        if keep_tail:
            return [t for t in _TOKEN.findall(text) if t not in _STOPWORDS], [], trade
        if "scope" not in self.signals:  # the former rule: drop a trailing clause
            head = _TAIL.split(text, maxsplit=1)[0]
            if any(t not in _STOPWORDS for t in _TOKEN.findall(head)):
                text = head
            return [t for t in _TOKEN.findall(text) if t not in _STOPWORDS], [], trade
        scope_parts = _PARENTHESIS.findall(text)
        head = _PARENTHESIS.sub(" , ", text)
        for opener in _SCOPE_OPENER.finditer(head):
            before = head[: opener.start()]
            if any(t not in _STOPWORDS and t not in _ACTIONS and not _HAS_DIGIT.search(t) for t in _TOKEN.findall(before)):
                scope_parts.append(head[opener.start():])
                head = before
                break
        head_words = [t for t in _TOKEN.findall(head) if t not in _STOPWORDS]
        if not any(not _HAS_DIGIT.search(t) for t in head_words):  # the clauses are all there is
            return [t for t in _TOKEN.findall(text) if t not in _STOPWORDS], [], trade
        scope_words = [t for part in scope_parts for t in _TOKEN.findall(part) if t not in _STOPWORDS]
        return head_words, scope_words, trade

    def _lemmatise(self, token: str, lemma: str) -> str | None:
        lemma = token if _HAS_DIGIT.search(token) else ascii_fold(lemma)
        lemma = _CONCEPTS.get(lemma, _CONCEPTS.get(token, lemma))
        return lemma if lemma and lemma not in _STOPWORDS else None

    def _analyse_many(self, texts: list[str], keep_tail: bool = False) -> list[Analysis]:
        splits = [self._split(t, keep_tail) for t in texts]
        token_lists = [head + scope for head, scope, _ in splits]
        words = [[t for t in tokens if not _HAS_DIGIT.search(t)] for tokens in token_lists]
        lemma_lists = iter(self._lemmatizer.lemmas(words))
        result = []
        for (head, scope, trade), tokens in zip(splits, token_lists):
            lemmas = iter(next(lemma_lists))
            out: list[str] = []
            in_scope: set[str] = set()
            for k, token in enumerate(tokens):
                lemma = self._lemmatise(token, token if _HAS_DIGIT.search(token) else next(lemmas))
                if lemma is None:
                    continue
                if k >= len(head) and lemma not in out:
                    in_scope.add(lemma)
                out.append(lemma)
            ordered = tuple(dict.fromkeys(out))
            result.append(Analysis(ordered, frozenset(in_scope), trade))
        return result

    def _correct(self, token: str) -> str | None:
        """Map a word unknown to the grid onto a grid word: plural, then spelling (typos)."""
        if token in self._corrections:
            return self._corrections[token]
        found = None
        if token.endswith(("s", "x")) and token[:-1] in self._idf:
            found = token[:-1]
        elif len(token) >= 5 and not _HAS_DIGIT.search(token):
            best = process.extractOne(token, self._vocabulary, scorer=fuzz.ratio, score_cutoff=85)
            if best is not None and best[0][0] == token[0] and abs(len(best[0]) - len(token)) <= 2:
                found = best[0]
        self._corrections[token] = found
        return found

    def _query(self, text: str) -> tuple[dict[str, float], dict[str, float], list[str | None], str | None, dict[str, float]]:
        """IDF weights of the designation's words, its first two objects (None when the grid
        does not know the word), the trade its first words name, and the weights of all its
        words as written (for its meaning). Known words said only in a scope clause are apart:
        they count for an item that knows them and never against one that does not.

        Objects are the words that are not actions (dépose, remplacement...): the first one
        is the head. Actions weigh half: "Réfection joints silicone" is about silicone joints.
        An unknown head weighs more against a match than other unknown words: "Remplacement
        caisson de cuisine" is about an object the grid does not price. Words said only in a
        scope clause weigh little and never count against the match.
        """
        analysis = self._analysis[text]
        weights: dict[str, float] = {}
        scope: dict[str, float] = {}
        meaning: dict[str, float] = {}
        objects: list[str | None] = []
        cue = None
        for token in analysis.tokens:
            has_digit = bool(_HAS_DIGIT.search(token))
            in_scope = token in analysis.scope
            known = token if token in self._idf else self._correct(token)
            is_object = not has_digit and token not in _ACTIONS and not in_scope
            if is_object:
                objects.append(known)
                if cue is None and len(objects) <= _CUE_WINDOW:
                    cue = _TRADE_CUES.get(known or token)
            factor = _SCOPE_FACTOR if in_scope else 1.0
            if not has_digit:
                meaning[token] = max(meaning.get(token, 0.0), factor * self._idf.get(known or "", self._unknown_weight))
            if known is not None:
                # Sizes and references ("200", "45x45") refine a match but never make one.
                factor *= 0.3 if has_digit else _ACTION_FACTOR if known in _ACTIONS else 1.0
                target = scope if in_scope else weights
                if not (in_scope and known in weights):
                    target[known] = max(target.get(known, 0.0), self._idf[known] * factor)
            if known is None and not has_digit and not in_scope:
                # Unknown words count against the match (unknown numbers do not), an unknown head most.
                factor = _UNKNOWN_HEAD_FACTOR if len(objects) == 1 and is_object else 1.0
                weights[token] = factor * self._unknown_weight
        if not objects:  # a line of actions only ("Dépose et repose")
            objects = [t for t in weights if t in self._idf and not _HAS_DIGIT.search(t)][:1]
        if "trade_cues" not in self.signals:
            cue = None
        elif cue is None:
            cue = analysis.trade
        return weights, scope, objects[:2], cue, meaning

    # -- scoring -----------------------------------------------------------------------
    def _score(self, item_id: str, query: dict[str, float], total: float, unit: str | None,
               scope: dict[str, float] | None = None) -> float:
        phrases_of = self._token_phrases[item_id]
        weights = self._phrase_weights[item_id]
        matched = [0.0] * len(weights)
        covered = 0.0
        if scope:
            known_scope = {t: w for t, w in scope.items() if t in phrases_of and t not in query}
            if known_scope:
                query = {**query, **known_scope}
                total += sum(known_scope.values())
        for token, weight in query.items():
            phrase_indexes = phrases_of.get(token)
            if phrase_indexes is not None:
                covered += weight
                for k in phrase_indexes:
                    matched[k] += weight
        best_phrase = 0.0
        for m, phrase_weight in zip(matched, weights):
            if m:
                recall, precision = m / total, m / phrase_weight
                best_phrase = max(best_phrase, 2 * recall * precision / (recall + precision))
        score = 0.5 * covered / total + 0.5 * best_phrase
        item_unit = self.grid.items[item_id].unit
        if "units" not in self.signals:
            pass
        elif unit and unit != item_unit:
            if {unit, item_unit} <= {"u", "forfait"}:
                score -= 0.03
            else:  # hours (labour) and kilograms (a supply) are another kind of price altogether
                score -= 0.2 if {"h", "kg"} & {unit, item_unit} else 0.12
        elif unit:
            score += self._unit_bonus[unit]
        return max(0.0, min(1.0, score))

    def _semantic(self, item_ids: list[str], meaning_vector: np.ndarray | None) -> dict[str, float]:
        """Bonus (or malus) for how close the line's meaning is to each item's nearest phrasing."""
        if meaning_vector is None:
            return dict.fromkeys(item_ids, 0.0)
        nearest = np.maximum.reduceat(self._semantic_matrix @ meaning_vector, self._semantic_offsets)
        index = self._semantic_index
        return {
            i: _SEMANTIC_WEIGHT * (float(nearest[index[i]]) - _SEMANTIC_BASELINE) if i in index else 0.0
            for i in item_ids
        }

    def _trade_guess(self, query: dict[str, float]) -> str | None:
        """Trade of an unmatched line from its words' trades, when they clearly agree."""
        votes: dict[str, float] = defaultdict(float)
        known = 0.0
        for token, weight in query.items():
            for trade, share in self._trade_share.get(token, {}).items():
                votes[trade] += weight * share
            if token in self._trade_share:
                known += weight
        if not votes or known < 0.34 * sum(query.values()):
            return None
        trade, best = max(votes.items(), key=lambda kv: kv[1])
        return trade if best >= 0.6 * sum(votes.values()) else None

    def _match_analysed(self, text: str, unit: str | None) -> Match:
        query, scope, objects, cue, meaning = self._query(text)
        if not any(t in self._idf for t in query):
            return Match(None, 0.0, None)
        head = objects[0] if objects else None
        meaning_vector = self._mean_vector(meaning) if self._vectors is not None else None
        # Ranking favours the first objects: artisans write the work first ("Peinture radiateur"
        # is painting, not heating), and the trade the line names. Acceptance uses the plain
        # weights, so neither can pull an out-of-grid line over the threshold.
        ranking = dict(query)
        for token, boost in zip(objects, (_HEAD_BOOST, _SECOND_BOOST)):
            if token is not None:
                ranking[token] *= boost
        ranking_total = sum(ranking.values())
        known: dict[str, float] = defaultdict(float)
        for token, weight in ranking.items():
            for item_id in self._postings.get(token, ()):
                known[item_id] += weight
        shortlist = sorted(known, key=known.__getitem__, reverse=True)[:_SHORTLIST]
        semantic = self._semantic(shortlist, meaning_vector)
        ranked = sorted(
            (
                (
                    self._score(i, ranking, ranking_total, unit, scope) + semantic[i] + self._cue_bonus(i, cue)
                    - self._mismatch(i, query, head),
                    i,
                )
                for i in shortlist
            ),
            reverse=True,
        )
        alternatives = tuple((i, round(min(max(s, 0.0), 1.0), 3)) for s, i in ranked[:3])
        best_id = ranked[0][1]
        score = self._score(best_id, query, sum(query.values()), unit, scope) - self._mismatch(best_id, query, head)
        score += semantic[best_id]
        score = round(min(1.0, max(0.0, score)), 4)
        if score >= self.threshold:
            item = self.grid.items[best_id]
            return Match(item, score, item.trade, alternatives)
        trade = self._trade_guess(query) or cue
        if trade is None and score >= _TRADE_NEAR_MISS:  # nearly matched: the item it nearly was
            trade = self.grid.items[best_id].trade
        trade = trade or self._trade_by_meaning(meaning_vector)
        return Match(None, score, trade, alternatives)

    def _mismatch(self, item_id: str, query: dict[str, float], head: str | None) -> float:
        """Penalty for an item that prices other work than the line: it does not know the line's
        object ("Meuble bas cuisine" is no sink), or one of them removes or moves what the
        other puts in place ("Dépose chauffe-eau" and "Dépose et repose WC" are no new
        appliance, "F&P revêtement de sol" is no removal)."""
        bag = self._bags[item_id]
        penalty = _HEAD_MISSING_PENALTY if head is not None and head not in bag else 0.0
        first = next(iter(query), None)
        removal_only = first in _REMOVALS and not _REPLACING & query.keys()
        moved = first == "depose" and "repose" in query
        if (
            (removal_only and not _REMOVALS & bag)
            or (moved and "repose" not in bag)
            or (item_id in self._removal_items and not _REMOVALS & query.keys())
        ):
            penalty += _ACTION_CONFLICT_PENALTY
        return penalty

    def _cue_bonus(self, item_id: str, cue: str | None) -> float:
        return _TRADE_CUE_BONUS if cue is not None and self.grid.items[item_id].trade == cue else 0.0

    def match(self, description: str, unit: str | None = None) -> Match:
        return self.match_many([(description, unit)])[0]

    def match_many(self, pairs: list[tuple[str, str | None]]) -> list[Match]:
        # The caches (analyses, corrections, lemmas) and spaCy are shared: one call at a time.
        with self._lock:
            if len(self._analysis) > _ANALYSIS_CACHE_LIMIT:
                self._analysis.clear()
            new_texts = list(dict.fromkeys(d for d, _ in pairs if d not in self._analysis))
            for text, analysis in zip(new_texts, self._analyse_many(new_texts)):
                self._analysis[text] = analysis
            return [
                Match(None, 0.0, None) if _NOT_WORK.match(ascii_fold(d)) else self._match_analysed(d, _unit(u))
                for d, u in pairs
            ]


@lru_cache(maxsize=64)
def _unit(unit: str | None) -> str | None:
    if not unit:
        return None
    folded = ascii_fold(unit).strip(" .")
    aliases = {"m²": "m2", "m2": "m2", "ml": "ml", "m": "ml", "m3": "m3", "u": "u", "un": "u", "unite": "u",
               "pce": "u", "piece": "u", "ens": "forfait", "fft": "forfait", "forfait": "forfait", "ff": "forfait",
               "h": "h", "heure": "h", "hr": "h", "kg": "kg"}
    return aliases.get(folded, folded)
