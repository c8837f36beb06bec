"""Knowledge search at 10k articles: quality of the seeded base, search latency as a ratio to a GetItem measured in the
same run, index rebuild time, index size and cold load.

- quality: the 168 labelled questions (tests/data/kb_questions.yaml) against the seeded base: recall@3 and MRR;
- search: every labelled question three times against an index of 10,000 generated articles (the seeded ones
  with generated variations: products, order details, other answers' sentences), warm, as the API function holds
  it; p50/p95, and p95 over the p95 of a pynamodb GetItem of one article on moto in the same process;
- rebuild: the whole index from the articles' stored terms (what a publish does, besides reading the table), and
  from text (every article segmented again: the worst case, a change of analyzer);
- cold load: decompressing and unmarshalling the index file, preparing it (length norms, the English typo table),
  and the analyzer's first use (the segmenter's dictionary and OpenCC's tables) in a fresh interpreter: a function's
  first search after a new index pays the sum (kefu.knowledge.published prepares an index as it loads it).

Figures go to build/bench/knowledge_search.json.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kefu.knowledge.index import IndexedArticle, SearchIndex, document_terms, snippet_of
from kefu_local.kb_seed import seed_articles
from tests.unit.test_knowledge_search import QUESTIONS, quality, seeded_index

pytestmark = pytest.mark.bench

ROOT = Path(__file__).resolve().parents[2]
REPORT = ROOT / "build" / "bench" / "knowledge_search.json"
ARTICLES = 10_000
#: The issue's budget is search p95 ≤ 50 ms in a warm function, about ten GetItems on DynamoDB (~5 ms each). A moto
#: GetItem in this process costs more than a real one (pynamodb, botocore and moto's own work), so the ratio kept
#: here is half that: measured 0.9 on the development machine.
SEARCH_OVER_GETITEM_P95 = 5.0

PRODUCTS_ZH = (  # noqa: SIM905 (word lists read best as text)
    "连衣裙 运动鞋 手机壳 蓝牙耳机 保温杯 羽绒服 电饭煲 行李箱 机械键盘 扫地机器人 "
    "面膜 奶粉 纸尿裤 充电宝 台灯 床单 牛仔裤 卫衣 洗发水 咖啡机"
).split()
PRODUCTS_EN = (  # noqa: SIM905
    "dress sneakers phone-case earbuds flask down-jacket rice-cooker suitcase keyboard robot-vacuum "
    "face-mask formula diapers power-bank desk-lamp bedsheet jeans hoodie shampoo coffee-maker"
).split()


def generated_articles(count: int, seed: int = 17) -> list[tuple[str, str, str, str, str, tuple[str, ...]]]:
    rng = random.Random(seed)
    base = seed_articles()
    sentences = [line for a in base for line in a.body.splitlines() if line.strip()]
    made = []
    for n in range(count):
        source = base[n % len(base)]
        products = PRODUCTS_EN if source.language == "en" else PRODUCTS_ZH
        product = rng.choice(products)
        title = f"{source.title} ({product} #{n})"
        extra = " ".join(rng.sample(sentences, 3))
        body = f"{source.body}\n{product} SKU-{rng.randrange(10**6):06d}. {extra}"
        made.append((f"GEN-{n:05d}", title, body, source.language, source.category, source.visibility, source.tags))
    return made


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _getitem_samples(article_count: int = 50, rounds: int = 400) -> list[float]:
    import boto3
    from moto import mock_aws

    from kefu.config import reload_settings
    from kefu.store import articles as store
    from kefu.store.models import KefuItem

    with mock_aws():
        reload_settings()
        KefuItem.create_table(wait=False)
        boto3.client("s3")  # the botocore loaders warm, as in a warm function
        ids = []
        for n in range(article_count):
            item = store.ArticleItem(
                store.article_key(f"KB-{n:08d}"),
                store.ARTICLE_SK,
                article_id=f"KB-{n:08d}",
                title="t",
                body="b" * 600,
                language="en",
                category="logistics",
                visibility="public",
                status="published",
                created_at="2026-12-01T00:00:00+00:00",
                created_by="bench",
                updated_at="2026-12-01T00:00:00+00:00",
                updated_by="bench",
            )
            item.save()
            ids.append(f"KB-{n:08d}")
        samples = []
        for n in range(rounds):
            start = time.perf_counter()
            store.get_article(ids[n % len(ids)])
            samples.append((time.perf_counter() - start) * 1000)
    return samples


def _analyzer_first_use_ms() -> float:
    code = (
        "import time; t = time.perf_counter(); from kefu.knowledge import text; "
        "text.terms('快遞到哪裡了 refunded parcels'); print((time.perf_counter() - t) * 1000)"
    )
    runs = [float(subprocess.check_output([sys.executable, "-c", code], env=os.environ.copy())) for _ in range(3)]
    return statistics.median(runs)


def test_knowledge_search_quality_speed_rebuild_and_cold_load():
    print()
    recall, mrr = quality(seeded_index())

    made = generated_articles(ARTICLES)
    start = time.perf_counter()
    analysed = [
        IndexedArticle(doc_id, title, lang, cat, vis, snippet_of(body), document_terms(title, body, tags))
        for doc_id, title, body, lang, cat, vis, tags in made
    ]
    index = SearchIndex.build(analysed, built_at="bench")
    data = index.dumps()
    rebuild_from_text_s = time.perf_counter() - start

    start = time.perf_counter()
    data = SearchIndex.build(analysed, built_at="bench").dumps()
    rebuild_from_terms_s = time.perf_counter() - start

    loads, prepares = [], []
    for _ in range(5):
        start = time.perf_counter()
        loaded = SearchIndex.loads(data)
        loads.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        loaded.prepare()
        prepares.append((time.perf_counter() - start) * 1000)

    import yaml

    questions = [q["q"] for q in yaml.safe_load(QUESTIONS.read_text(encoding="utf-8"))]
    search_ms = []
    for question in questions * 3:
        start = time.perf_counter()
        loaded.search(question, public_only=True, limit=10)
        search_ms.append((time.perf_counter() - start) * 1000)

    getitem_ms = _getitem_samples()
    figures = {
        "articles": ARTICLES,
        "seeded_articles": len(seed_articles()),
        "questions": len(questions),
        "recall_at_3": round(recall, 4),
        "mrr": round(mrr, 4),
        "search_p50_ms": round(percentile(search_ms, 0.5), 3),
        "search_p95_ms": round(percentile(search_ms, 0.95), 3),
        "getitem_p50_ms": round(percentile(getitem_ms, 0.5), 3),
        "getitem_p95_ms": round(percentile(getitem_ms, 0.95), 3),
        "index_bytes": len(data),
        "terms": len(loaded.postings),
        "rebuild_from_terms_s": round(rebuild_from_terms_s, 2),
        "rebuild_from_text_s": round(rebuild_from_text_s, 2),
        "cold_load_index_ms": round(statistics.median(loads), 1),
        "cold_prepare_ms": round(statistics.median(prepares), 1),
        "analyzer_first_use_ms": round(_analyzer_first_use_ms(), 1),
    }
    figures["search_p95_over_getitem_p95"] = round(figures["search_p95_ms"] / figures["getitem_p95_ms"], 2)
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(json.dumps(figures, indent=2), encoding="utf-8")
    for name, value in figures.items():
        print(f"  {name:32} {value}")

    assert recall >= 0.9, f"recall@3 {recall:.3f}"
    assert figures["search_p95_over_getitem_p95"] <= SEARCH_OVER_GETITEM_P95, figures
