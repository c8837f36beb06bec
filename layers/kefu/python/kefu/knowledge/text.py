"""Text → search terms, the same way for articles and for questions.

Chinese has no spaces, and a customer writes 快遞 where the article says 快递: text is folded first (NFKC, lower
case, Traditional → Simplified with OpenCC's t2s), then Chinese runs are segmented by jieba (rjieba, the Rust port
with its dictionary built in) in search mode (快递公司 gives 快递, 公司 and 快递公司), and English words are stemmed
(Snowball) so "refunded" meets "refund". Common words of both languages carry no meaning for ranking and are dropped.
A small table of the desk's own synonyms (物流 ~ 快递, 退钱 ~ 退款, parcel ~ package) widens questions, not articles.

The segmenter, converter and stemmer load on first use, not at import, and each only when a text needs it: jieba's
dictionary (~440 M instructions, ~130 ms) with the first Chinese run segmented, OpenCC's (~80 M) with the first
Chinese text folded, so a function whose first question is English pays neither.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache, lru_cache
from typing import Any

from kefu import cjk

#: A run of Chinese characters (kefu.cjk: compiled for the first text that may hold one) or of Latin letters and
#: digits (an English word, an apostrophe's ending included).
_WORD = r"[a-z0-9]+(?:'[a-z]+)?"
_RUN = "[{}]+|" + _WORD
_LATIN_RUN = re.compile(_WORD)
_LATIN = re.compile(r"[a-z]")

ZH_STOPWORDS = frozenset(
    (  # noqa: SIM905 (a word list reads best as text)
        "的 了 吗 呢 吧 啊 呀 嘛 么 是 在 有 和 与 及 或 我 你 您 他 她 它 我们 你们 他们 这 那 这个 那个 "
        "就 都 也 还 又 把 被 给 让 对 从 到 向 为 为什么 怎么 怎么办 怎样 如何 什么 哪 哪里 哪儿 多少 几 "
        "请问 请 一下 可以 能 能不能 可不可以 会 要 想 得 地 着 过 啦 哦 嗯 呃 个 一个 已经 "
        "现在 还是 但是 但 如果 因为 所以 然后 自己 这样 那样 没 没有 不 上 下 里 中 后 前 时 时候 "
        "谢谢 你好 您好 麻烦 帮 帮忙 帮我 一直 到底 好 很 太 非常 真的"
    ).split()
)
EN_STOPWORDS = frozenset(
    (  # noqa: SIM905
        "a an the and or but if then so to of in on at by for with from into about as is are was were be been being "
        "do does did doing have has had having i me my mine we us our you your he she it its they them their this "
        "that these those what which who whom when where why how can could would should will shall may might must "
        "not no yes please hi hello thanks thank there here just any some up out get got still yet again very too "
        "am im i'm ive i've dont don't isnt isn't wont won't cant can't"
    ).split()
)

#: Question words that mean the same to this desk. Applied to questions only, at a lower weight than the words used.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "物流": ("快递", "配送"),
    "快递": ("物流", "配送"),
    "配送": ("物流", "快递"),
    "包裹": ("快递",),
    "运单": ("物流", "单号"),
    "催": ("催件", "催单"),
    "退": ("退货", "退款"),
    "退钱": ("退款",),
    "钱": ("退款",),
    "到账": ("退款",),
    "换货": ("更换",),
    "换": ("换货",),
    "付款": ("支付",),
    "支付": ("付款",),
    "扣款": ("支付", "扣费"),
    "扣费": ("扣款",),
    "密码": ("登录",),
    "投诉": ("服务",),
    "parcel": ("packag", "deliveri"),
    "packag": ("parcel", "deliveri"),
    "deliveri": ("ship", "packag"),
    "ship": ("deliveri",),
    "money": ("refund",),
    "charg": ("payment",),
    "login": ("sign", "password"),
    "sign": ("login",),
}

#: Words jieba's general dictionary splits badly, kept whole in this domain.
DOMAIN_WORDS = (
    "退款",
    "退货",
    "换货",
    "运费险",
    "七天无理由",
    "无理由退货",
    "到账",
    "快递员",
    "物流信息",
    "运单号",
    "发票",
    "优惠券",
    "花呗",
    "验证码",
    "注销",
    "拒收",
    "签收",
    "催单",
    "保价",
    "价保",
)


@cache
def _segmenter() -> Any:
    import rjieba

    for word in DOMAIN_WORDS:
        rjieba.add_word(word, 20000, None)
    return rjieba


@cache
def _converter() -> Any:
    import opencc

    return opencc.OpenCC("t2s")


@cache
def _stemmer() -> Any:
    return _english_stemmer_class()()


@lru_cache(maxsize=8192)
def _stem(word: str) -> str:
    """An English word's stem, remembered: Snowball's stemmer is pure Python (~25 calls a word) and a desk's texts
    repeat a vocabulary of a few thousand words, so a warm function stems each word once (8,192 words: ~1 MB)."""
    return _stemmer().stemWord(word)


def _english_stemmer_class() -> type:
    """Snowball's English stemmer, loaded alone: the `snowballstemmer` package's `__init__` imports all of its ~30
    languages' stemmers (about 80 M instructions of a cold start, which the first ticket a function opens paid).
    The package is stood in by an empty one of the same path while its English module (and the two it imports) load,
    then taken out of `sys.modules` again, so that a later `import snowballstemmer` runs the real `__init__`, which
    finds these modules loaded. The same class as `snowballstemmer.stemmer("english")` gives without PyStemmer
    (tests/unit/test_knowledge_text.py)."""
    import importlib
    import importlib.util
    import sys
    import types

    if "snowballstemmer" in sys.modules:
        return importlib.import_module("snowballstemmer.english_stemmer").EnglishStemmer
    spec = importlib.util.find_spec("snowballstemmer")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("snowballstemmer is not installed")
    stand_in = types.ModuleType("snowballstemmer")
    stand_in.__path__ = list(spec.submodule_search_locations)
    sys.modules["snowballstemmer"] = stand_in
    try:
        return importlib.import_module("snowballstemmer.english_stemmer").EnglishStemmer
    finally:
        if sys.modules.get("snowballstemmer") is stand_in:
            del sys.modules["snowballstemmer"]


def fold(text: str) -> str:
    """Full-width to half-width, lower case, Traditional to Simplified."""
    text = unicodedata.normalize("NFKC", text).lower()
    if cjk.contains(text):
        text = _converter().convert(text)
    return text


def terms(text: str) -> list[str]:
    """The search terms of a text, in order, with repeats (their counts are the term frequencies)."""
    found: list[str] = []
    folded = fold(text)
    # A text no character of which can be Han has none in any run either: its runs are not looked at one by one.
    han = cjk.may_hold(folded)
    runs = cjk.pattern(cjk.HAN, _RUN) if han else _LATIN_RUN
    for run in runs.findall(folded):
        if han and cjk.contains(run[0]):
            found.extend(word for word in _segmenter().cut_for_search(run) if word not in ZH_STOPWORDS)
        elif run not in EN_STOPWORDS:
            found.append(_stem(run.replace("'", "")) if _LATIN.search(run) else run)
    return found


def is_english_word(term: str) -> bool:
    return term.isascii() and term.isalpha()


def looks_like(text: str) -> str:
    """The language a text is most likely written in: `zh-Hant` when folding changes it noticeably, `zh-Hans` for
    other Chinese, `en` otherwise (a message with no letters at all counts as English)."""
    normalized = unicodedata.normalize("NFKC", text)
    chinese = cjk.findall(normalized)
    latin = re.findall(r"[A-Za-z]", normalized)
    if not chinese or len(chinese) < len(latin) / 4:
        return "en"
    simplified = _converter().convert("".join(chinese))
    changed = sum(1 for a, b in zip(chinese, simplified, strict=False) if a != b)
    return "zh-Hant" if changed * 10 >= len(chinese) and changed >= 1 else "zh-Hans"


def family(language: str | None) -> frozenset[str] | None:
    """The languages a reader of `language` (kefu.model.knowledge.Language, or its value) can read: both Chinese
    scripts are searched together (folded)."""
    if language is None:
        return None
    if language == "en":
        return frozenset({"en"})
    return frozenset({"zh-Hans", "zh-Hant"})
