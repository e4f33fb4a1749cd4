"""The Dutch analyzer: folding, stopwords, compound splitting, stems."""

from __future__ import annotations

from index.analysis import (
    CompoundSplitter,
    DutchAnalyzer,
    Vocabulary,
    build_vocabulary,
    char_ngrams,
    fold,
)

VOCAB = Vocabulary(
    common={
        "inlichtingen": 3.9,
        "bijdrage": 4.7,
        "veiligheid": 5.0,
        "situatie": 5.0,
        "helikopter": 4.0,
        "politie": 5.5,
        "onderzoek": 5.2,
        "onder": 6.0,
        "zoek": 4.5,
        "taak": 4.6,
        "groep": 5.5,
        "verkenning": 3.6,
    },
    report={"taakgroep": 3.2},
)


def test_fold() -> None:
    assert fold("Geëvalueerd ÉÉN") == "geevalueerd een"


def test_compounds_split_into_known_parts() -> None:
    split = CompoundSplitter(VOCAB).split
    assert split("inlichtingenbijdrage") == ("inlichtingen", "bijdrage")
    assert split("veiligheidssituatie") == ("veiligheid", "situatie")  # linking -s-
    assert split("helikopterbijdrage") == ("helikopter", "bijdrage")
    assert split("verkenningstaakgroep") == ("verkenning", "taakgroep", "taak", "groep")


def test_common_words_and_unknowns_stay_whole() -> None:
    split = CompoundSplitter(VOCAB).split
    assert split("onderzoek") == ()  # a common word, though onder + zoek are words
    assert split("xyzabcdefgh") == ()
    assert split("politie") == ()  # too short to be a compound


def test_analyzer_indexes_whole_word_and_parts() -> None:
    analyzer = DutchAnalyzer(VOCAB)
    terms = analyzer.analyze("De politiebijdrage en de helikopters")
    assert set(analyzer.analyze("politie bijdrage helikopter")) <= set(terms)
    assert "de" not in terms and "en" not in terms
    assert analyzer.analyze("de het een, en?") == []


def test_vocabulary_adds_report_words() -> None:
    vocab = build_vocabulary(["De taakgroep en de taakgroep; ASIFU."])
    assert "taakgroep" in vocab.report and "taakgroep" not in vocab.common
    assert "bijdrage" in vocab.common
    assert Vocabulary.from_dict(vocab.to_dict()) == vocab


def test_char_ngrams_pad_words_and_drop_stopwords() -> None:
    assert char_ngrams("de Mali, VN") == ["#mal", "mali", "ali#", "#vn#"]
    assert char_ngrams("de het the what") == []


def test_char_ngrams_bridge_inflections_and_cognates() -> None:
    def shared(a: str, b: str) -> float:
        x, y = set(char_ngrams(a)), set(char_ngrams(b))
        return len(x & y) / len(x | y)

    # the Snowball stems differ (bijdrag / bijdraag), most n-grams do not
    stemmer = DutchAnalyzer(VOCAB)
    assert stemmer.analyze("bijdrage") != stemmer.analyze("bijdragen")
    assert shared("bijdrage", "bijdragen") >= 0.6  # 6 of 9 grams
    assert shared("helicopter", "helikopter") > shared("helicopter", "politie")
