"""kefu.cjk answers as the CJK patterns it stands for, and compiles one only for a text that needs it."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from kefu import cjk

#: The patterns the modules compiled at import before kefu.cjk (routing's, the knowledge base's).
ROUTING_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
KNOWLEDGE_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")

TEXTS = [
    "",
    "refund",
    "My parcel never arrived — it’s been a week, café owner",
    "Thanks! 😊",
    "投诉",
    "快遞公司 please",
    "ひらがな",
    "カタカナ",
    "한국어",
    "\u33ff\u3400\u4dbf\u4dc0",  # around extension A's ends: 㐀 and 䶿 in it, the hexagram ䷀ not
    "\u9fff\ua000\uf8ff\uf900\ufaff\ufb00",
    "x" * 40 + "中",  # past the short texts' length: through the pattern
    "x" * 40 + "😊",
    "x" * 40 + "カ",
]


@pytest.mark.parametrize("text", TEXTS)
def test_it_finds_what_the_patterns_find(text):
    assert cjk.contains(text) is bool(KNOWLEDGE_HAN.search(text))
    assert cjk.contains(text, cjk.CJK) is bool(ROUTING_CJK.search(text))
    assert cjk.findall(text) == KNOWLEDGE_HAN.findall(text)
    assert cjk.findall(text, cjk.CJK) == ROUTING_CJK.findall(text)


def test_english_text_compiles_no_pattern_in_any_module_that_looks_for_chinese():
    # Given a fresh interpreter that imports every module looking for Chinese, routes an English ticket's keywords
    # (Chinese ones among them), folds and analyses an English question, and picks an invitation's language
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import json\n"
            "from kefu import cjk\n"
            "from kefu.email import outbound\n"
            "from kefu.knowledge import text\n"
            "from kefu.revisits import invitation\n"
            "from kefu.routing.text import Keyword, normalize\n"
            "keywords = [Keyword.compile(k) for k in ('refund', '投诉', '快遞')]\n"
            "found = [k.find(normalize('I want a refund').lower()) for k in keywords]\n"
            "words = text.terms('My parcel never arrived')\n"
            "language = invitation.sms_text('https://x', __import__('datetime').datetime(2026, 1, 1), "
            "ticket_id='TK-1', ticket_text='Where is my parcel?').startswith('Your')\n"
            "print(json.dumps({'found': found, 'words': words, 'english': language,"
            " 'compiled': cjk.pattern.cache_info().currsize}))",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    found = json.loads(done.stdout.splitlines()[-1])
    # then each answers as before, without a CJK pattern compiled
    assert found["found"] == ["refund", None, None]
    assert found["words"] == ["parcel", "never", "arriv"]
    assert found["english"] is True
    assert found["compiled"] == 0


def test_chinese_text_is_analysed_as_before():
    from kefu.knowledge import text

    assert text.looks_like("我的快遞還沒到") == "zh-Hant"
    assert text.fold("快遞ＡＢＣ") == "快递abc"
    assert "快递" in text.terms("我的快递 parcel 还没到")
    assert "parcel" in text.terms("我的快递 parcel 还没到")
