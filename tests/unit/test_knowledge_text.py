"""The text analyzers load only when a text needs them (each is paid by a cold start that does)."""

from __future__ import annotations

import json
import subprocess
import sys

from kefu.knowledge import text

WORDS = ["refunded", "parcels", "delivery", "deliveries", "arrived", "generously", "tracking", "couriers"]


def run(code: str) -> dict:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.splitlines()[-1])


def test_the_english_stemmer_alone_stems_as_snowballs_english_stemmer():
    import snowballstemmer

    reference = snowballstemmer.stemmer("english")
    assert [text._stemmer().stemWord(word) for word in WORDS] == reference.stemWords(WORDS)


def test_an_english_question_loads_neither_jieba_nor_opencc_nor_snowballs_other_languages():
    # Given a fresh interpreter that loads an index of Chinese and English articles and analyses an English question
    found = run(
        "import json, sys\n"
        "from kefu.knowledge import text\n"
        "from kefu.knowledge.index import IndexedArticle, SearchIndex\n"
        "index = SearchIndex.build([IndexedArticle('a1', 'Tracking', 'en', 'logistics', 'public', 'x', "
        "{'track': 1, 'parcel': 1})]).prepare()\n"
        "words = text.terms('My parcel never arrived')\n"
        "print(json.dumps({'words': words, 'modules': sorted(sys.modules)}))"
    )
    # then the English words are stemmed, with only Snowball's English stemmer loaded
    assert found["words"] == ["parcel", "never", "arriv"]
    modules = set(found["modules"])
    assert "snowballstemmer.english_stemmer" in modules
    assert not {"rjieba", "opencc", "snowballstemmer", "snowballstemmer.french_stemmer"} & modules


def test_snowballstemmer_imported_after_the_english_stemmer_is_the_whole_package():
    # Given the English stemmer loaded alone, when something imports snowballstemmer afterwards
    found = run(
        "import json\n"
        "from kefu.knowledge import text\n"
        "mine = text._stemmer()\n"
        "import snowballstemmer\n"
        "print(json.dumps({'same': type(snowballstemmer.stemmer('english')) is type(mine),"
        " 'french': snowballstemmer.stemmer('french').stemWord('continuellement'),"
        " 'languages': len(snowballstemmer.algorithms())}))"
    )
    # then it is the real package, every language there, its English stemmer the one kefu loaded
    assert found["same"] is True
    assert found["french"] == "continuel"
    assert found["languages"] > 20


def test_a_chinese_question_is_segmented_and_folded_as_before():
    assert "快递" in text.terms("快遞公司")
    assert text.looks_like("快遞到哪裡了") == "zh-Hant"


def test_a_word_is_stemmed_once_and_its_remembered_stem_is_snowballs():
    import snowballstemmer

    reference = snowballstemmer.stemmer("english")
    sentence = " ".join(WORDS)
    text._stem.cache_clear()
    # Given a text whose English words were stemmed once
    first = text.terms(sentence)
    misses = text._stem.cache_info().misses
    # when a text of the same words comes again
    again = text.terms(sentence.upper())
    # then each word's stem is the one remembered, not stemmed anew, and every stem is Snowball's
    assert again == first == reference.stemWords(WORDS)
    assert text._stem.cache_info().misses == misses == len(WORDS)
    assert text._stem.cache_info().hits == len(WORDS)
