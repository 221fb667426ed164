"""The analyst's lexicon, scope clauses, word vectors and sharing a matcher between threads."""
import threading

import numpy as np
import pytest
from typer.testing import CliRunner

from cli.grid import grid_app
from core.errors import GridError
from pricing.grid import load_grid
from pricing.matching import SIGNALS, Lemmatizer, Matcher
from pricing.vectors import WordVectors, load_vectors, word_key

runner = CliRunner()


def _append(path, line):
    with path.open("a", encoding="utf-8") as handle:
        handle.write(line + "\n")


def _row_count(path):
    return len(path.read_text(encoding="utf-8").splitlines())


def test_lexicon_is_loaded_with_the_grid(grid):
    assert len(grid.lexicon) > 50
    ipn = next(e for e in grid.lexicon if e.term == "IPN")
    assert ipn.means == "linteau" and ipn.trade == "maconnerie" and ipn.kind == "jargon"


@pytest.mark.parametrize("row, column, reason", [
    ("zorglub,mitigeur,plomberie,slang,usage", "kind", "Input should be"),
    ("zorglub,mitigeur,plombrie,jargon,usage", "trade", "unknown trade"),
    ("mitigeurs,Mitigeurs,plomberie,synonym,usage", "(row)", "means itself"),
    ("zorglub,,plomberie,jargon,usage", "means", "at least 2 characters"),
])
def test_bad_lexicon_row_names_file_row_and_column(grid_copy, row, column, reason):
    lexicon = grid_copy / "lexicon.csv"
    _append(lexicon, row)
    with pytest.raises(GridError) as err:
        load_grid(grid_copy)
    message = err.value.one_line()
    assert f"lexicon.csv, row {_row_count(lexicon)}, column {column}" in message and reason in message


def test_duplicate_lexicon_term_is_rejected_by_grid_check(grid_copy):
    lexicon = grid_copy / "lexicon.csv"
    _append(lexicon, "Groom,ferme-porte,serrurerie,jargon,usage")
    result = runner.invoke(grid_app, ["check", "--grid", str(grid_copy)])
    assert result.exit_code == 1
    assert f"lexicon.csv, row {_row_count(lexicon)}, column term: duplicate" in result.output


def test_a_synonym_added_to_the_lexicon_is_used(grid_copy, tmp_path):
    before = Matcher(load_grid(grid_copy), cache_dir=tmp_path)
    assert before.match("Remplacement zorglub lavabo", "u").item_id != "plb_mitigeur_lavabo"
    _append(grid_copy / "lexicon.csv", "zorglub,mitigeur,plomberie,jargon,test")
    after = Matcher(load_grid(grid_copy), cache_dir=tmp_path)
    assert after.match("Remplacement zorglub lavabo", "u").item_id == "plb_mitigeur_lavabo"
    assert after.match("Remplacement zorglubs lavabo", "u").item_id == "plb_mitigeur_lavabo"  # plural


def test_a_term_the_grid_already_uses_is_left_to_the_grid(grid):
    matcher = Matcher(grid)
    ignored = {entry.term for entry in matcher._lexicon.ignored}
    assert {"ouvrants", "cuvette", "vasque"} <= ignored  # the grid's phrasings say "ouvrant", "cuvette", "vasque"
    assert matcher.match("Ajustage ouvrant bloqué", "h").item_id == "men_reparation"


def test_lexicon_trade_is_the_line_s_trade_when_its_words_name_none(matcher):
    assert matcher._analysis.get("Pose d'un IPN") is None
    matcher.match("Pose d'un IPN", "u")
    assert matcher._analysis["Pose d'un IPN"].trade == "maconnerie"


@pytest.mark.parametrize("plain, padded", [
    ("Remplacement mitigeur lavabo", "Remplacement mitigeur lavabo, prestation réalisée par nos soins"),
    ("Remplacement mitigeur lavabo", "Remplacement mitigeur lavabo (pièce : salle d'eau)"),
    ("Conduite d'évacuation en PVC diamètre 40", "Conduite d'évacuation en PVC diamètre 40 (pièce : salle de bains)"),
    ("Peinture plafond 2 couches", "Peinture plafond 2 couches, suivant métré contradictoire"),
    ("Cloison BA13 sur ossature", "Cloison BA13 sur ossature y compris bandes, dépose et évacuation"),
    ("Remplacement tablier de volet roulant", "Remplacement tablier de volet roulant selon devis, pour permettre la fermeture"),
])
def test_scope_clauses_do_not_change_the_match(matcher, plain, padded):
    unit = "ml" if "PVC" in plain else "m2" if "Peinture" in plain or "Cloison" in plain else "u"
    expected = matcher.match(plain, unit)
    got = matcher.match(padded, unit)
    assert expected.item_id is not None and got.item_id == expected.item_id


def test_scope_clause_words_are_kept_apart(matcher):
    matcher.match("Vasque céramique (pièce : salle d'eau) y compris bonde", "u")
    analysis = matcher._analysis["Vasque céramique (pièce : salle d'eau) y compris bonde"]
    assert {"eau", "bonde"} <= analysis.scope and "lavabo" not in analysis.scope


def test_clauses_are_kept_when_they_are_all_the_line_says(matcher):
    matcher.match("Fourniture et pose selon devis", "forfait")
    assert not matcher._analysis["Fourniture et pose selon devis"].scope


def test_without_the_scope_signal_a_parenthesis_counts(grid):
    with_scope = Matcher(grid)
    without = Matcher(grid, signals=SIGNALS - {"scope"})
    line = "Vasque à poser céramique (pièce : salle d'eau)"
    assert with_scope.match(line, "u").item_id == "plb_lavabo"
    assert with_scope.match(line, "u").score > without.match(line, "u").score


@pytest.mark.parametrize("description, unit, item", [
    ("Installation de chantier", "forfait", "div_installation_chantier"),
    ("Frais kilométriques", "u", "div_indemnite_km"),
    ("Évacuation et traitement des déchets en centre agréé", "forfait", "net_dechets_centre_agree"),
    ("Location goulotte à gravats", "u", "net_goulotte"),
    ("Location aérotherme de chantier par jour", "u", "ass_chauffage_appoint"),
])
def test_common_quote_lines_the_grid_now_prices(matcher, description, unit, item):
    assert matcher.match(description, unit).item_id == item


def test_unknown_signal_is_refused(grid):
    with pytest.raises(ValueError, match="unknown matcher signals: meaning"):
        Matcher(grid, signals=frozenset({"meaning"}))


def test_without_vectors_no_table_is_used(grid):
    matcher = Matcher(grid, signals=SIGNALS - {"vectors"})
    assert matcher._vectors is None
    assert matcher.match("Remplacement mitigeur lavabo", "u").item_id == "plb_mitigeur_lavabo"


def test_word_vectors_table_lookups():
    data = np.eye(3, dtype=np.float32)
    keys = np.array([word_key(w) for w in ("porte", "fenetre", "mur")], dtype=np.uint64)
    table = WordVectors(keys, np.array([0, 1, 2], dtype=np.int32), data, "test")
    assert "porte" in table and "plafond" not in table
    assert table.vector("mur").tolist() == [0.0, 0.0, 1.0]
    assert table.vector("plafond") is None


def test_missing_vectors_model_is_no_signal(tmp_path):
    assert load_vectors(tmp_path, model="fr_core_news_absent") is None


def test_the_installed_vectors_know_trade_words(grid, tmp_path):
    table = load_vectors(tmp_path)
    assert table is not None
    similarity = float(table.vector("mitigeur") @ table.vector("robinet"))
    assert similarity > float(table.vector("mitigeur") @ table.vector("tuile"))


def test_two_threads_sharing_a_matcher_match_as_one(grid):
    lines = [(f"{work} {n}", unit) for n in range(40) for work, unit in [
        ("Remplacement mitigeur thermostatique douche", "u"), ("Peinture acrylique velours plafond", "m2"),
        ("Dépose carrelage et ragréage autolissant", "m2"), ("Frais kilométriques aller-retour", "u"),
        ("Installation clôture grillagée", "ml"), ("Contrôle hygrométrique des cloisons", "forfait"),
    ]]
    alone = Matcher(grid, lemmatizer=Lemmatizer()).match_many(lines)
    shared = Matcher(grid, lemmatizer=Lemmatizer())  # cold caches: both threads lemmatise
    results: dict[int, list] = {}
    barrier = threading.Barrier(2)

    def work(k):
        barrier.wait()
        results[k] = [shared.match(d, u) for d, u in (lines if k == 0 else list(reversed(lines)))]

    threads = [threading.Thread(target=work, args=(k,)) for k in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results[0] == alone
    assert list(reversed(results[1])) == alone


def test_unmatched_line_gets_the_trade_its_meaning_is_nearest(grid):
    line = ("Installation borne de recharge", "u")
    with_vectors = Matcher(grid).match(*line)
    without = Matcher(grid, signals=SIGNALS - {"vectors"}).match(*line)
    assert with_vectors.item is None and with_vectors.trade == "electricite"
    assert without.item is None and without.trade is None


def test_discounts_still_have_no_trade(matcher):
    assert matcher.match("Escompte 2 %").trade is None


def test_a_joined_word_has_the_mean_vector_of_its_parts():
    data = np.array([[1, 0, 0], [0, 1, 0]], dtype=np.float32)
    keys = np.array([word_key(w) for w in ("chauffe", "eau")], dtype=np.uint64)
    table = WordVectors(keys, np.array([0, 1], dtype=np.int32), data, "test")
    assert np.allclose(table.vector("chauffeeau"), np.array([1, 1, 0]) / np.sqrt(2))
    assert table.vector("chauffexyz") is None
