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
