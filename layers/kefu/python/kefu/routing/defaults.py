"""The built-in lexicon and rules: what routing does when the deployment configures nothing else.

Keywords are Chinese (found as substrings) and English (found as words, with inflections). They are chosen to
be specific: a generic word (订单, "order") belongs to the least specific category that uses it, and a category
is chosen by precedence, not by counting words (see RoutingConfig.category_precedence).
"""

from __future__ import annotations

# Word lists read best packed, a line per theme: the formatter would put one word a line.
# fmt: off
CATEGORY_KEYWORDS: dict[str, list[str]] = {
    "complaint": [
        "投诉", "举报", "态度差", "态度很差", "态度恶劣", "服务太差", "垃圾服务", "要求赔偿", "给个说法",
        "讨个说法", "找你们领导", "找你们经理",
        "complaint", "complain", "rude", "unprofessional", "speak to a manager", "speak to your manager",
        "supervisor", "escalate",
    ],
    "suggestion": [
        "建议", "提议", "希望增加", "希望能增加", "希望你们", "能不能增加", "可否增加", "提个意见", "改进",
        "suggestion", "suggest", "feature request", "would be nice", "would be great", "would love", "please add",
        "you should add", "improvement",
    ],
    "technical": [
        "闪退", "崩溃", "打不开", "登录不了", "登不上", "无法登录", "登录失败", "报错", "错误代码", "白屏",
        "卡死", "卡顿", "加载不出", "无法加载", "收不到验证码", "验证码收不到", "系统错误",
        "crash", "bug", "error", "can't log in", "cannot log in", "can't login", "unable to log in", "login",
        "log in", "password", "not loading", "won't load", "blank screen", "freeze", "froze", "frozen", "glitch",
        "is down", "broken link", "verification code",
    ],
    "payment": [
        "扣款", "扣费", "扣了", "重复扣", "多扣", "扣钱", "支付失败", "付款失败", "付不了", "无法支付", "不能支付",
        "发票", "账单", "信用卡", "多收",
        "charge", "charged twice", "double charge", "overcharge", "payment", "can't pay", "cannot pay",
        "unable to pay", "invoice", "billing", "bill", "credit card", "card declined", "transaction",
    ],
    "after_sales": [
        "退货", "换货", "退款", "退换", "退钱", "七天无理由", "质量问题", "坏了", "损坏", "破损", "不合适",
        "尺码不对", "保修", "维修", "返修", "售后", "瑕疵",
        "return", "refund", "exchange", "replacement", "warranty", "repair", "broken", "defective", "damaged",
        "faulty", "doesn't fit", "don't fit", "wrong size", "too small", "too big", "send it back", "money back",
    ],
    "logistics": [
        "快递", "物流", "配送", "送货", "运单", "快递单号", "物流单号", "没到", "没收到", "未收到", "签收",
        "派送", "派件", "丢件", "包裹", "到货", "送达", "催件", "顺丰", "中通", "圆通", "韵达",
        "delivery", "deliver", "shipping", "shipment", "shipped", "package", "parcel", "tracking", "track",
        "courier", "arrive", "in transit", "dispatch", "dhl", "ups", "fedex", "usps", "royal mail",
    ],
    "order": [
        "订单", "下单", "取消订单", "修改订单", "改地址", "修改地址", "收货地址", "未发货", "没发货", "还没发货",
        "发货", "发错", "漏发", "少发", "缺货", "拍错",
        "order", "cancel", "change my address", "shipping address", "wrong item", "missing item", "out of stock",
        "backorder",
    ],
    "consultation": [
        "请问", "咨询", "怎么", "如何", "能否", "可以吗", "是否", "营业时间", "多少钱", "有没有",
        "how do i", "how can i", "question", "wondering", "information", "do you", "can i", "could you tell",
        "opening hours", "is it possible",
    ],
}

ANGRY = [
    "垃圾", "骗子", "坑人", "坑爹", "恶心", "气死", "差劲", "滚蛋", "忍无可忍", "无耻", "欺诈", "骗钱", "黑心",
    "什么破", "破玩意", "搞什么", "有病", "他妈", "妈的",
    "scam", "fraud", "ridiculous", "unacceptable", "worst", "furious", "disgusting", "pathetic", "useless",
    "rip off", "outrageous", "incompetent", "joke", "sick of", "fed up", "never again", "shame on you", "hate",
    "livid", "wtf", "garbage", "trash", "idiots", "liars",
]

NEGATIVE = [
    "失望", "不满", "着急", "急用", "很急", "怎么还没", "一直没", "到现在还没", "太慢", "好久", "郁闷", "无奈",
    "烦死", "糟糕", "不高兴", "担心", "第二次", "第三次", "又是",
    "disappointed", "disappointing", "unhappy", "frustrated", "frustrating", "annoyed", "annoying", "upset",
    "not happy", "still waiting", "still haven't", "still not", "no response", "no reply", "terrible", "awful",
    "worried", "second time", "third time", "already contacted",
]

THREAT = [
    "12315", "12345", "消协", "消费者协会", "市场监管", "工商局", "投诉到", "曝光", "媒体", "记者", "黑猫投诉",
    "315晚会", "律师", "起诉", "法院", "报警",
    "regulator", "ombudsman", "consumer protection", "trading standards", "better business bureau", "bbb", "ftc",
    "cfpb", "media", "the press", "journalist", "reporter", "newspaper", "lawyer", "attorney", "solicitor", "sue",
    "legal action", "court", "small claims", "chargeback", "report you", "dispute the charge",
]

#: Routing rules, first match wins. Back-office departments take only what needs them from the first contact
#: (a double charge, a lost parcel); other logistics and payment questions go to L1, which transfers.
RULES: list[dict] = [
    {
        "name": "regulator-threat",
        "match": {"threat": True},
        "category": "complaint",
        "group": "complaints",
        "priority": "P1",
    },
    {"name": "complaints", "match": {"categories": ["complaint"]}, "group": "complaints", "priority": "P2"},
    {"name": "vip-desk", "match": {"tiers": ["vip"]}, "group": "vip"},
    {"name": "technical-faults", "match": {"categories": ["technical"]}, "group": "l2"},
    {
        "name": "payment-disputes",
        "match": {
            "categories": ["payment"],
            "keywords": [
                "重复扣", "多扣", "扣了两次", "扣款两次", "扣了2次", "多收",
                "charged twice", "double charge", "charged two times", "duplicate charge", "overcharge",
            ],
        },
        "group": "finance",
        "priority": "P2",
    },
    {
        "name": "lost-parcels",
        "match": {
            "categories": ["logistics"],
            "keywords": [
                "丢件", "丢了", "丢失", "显示签收", "显示已签收", "被人签收",
                "lost", "marked as delivered", "says delivered", "shows delivered", "stolen",
            ],
        },
        "group": "logistics",
    },
    {"name": "low-urgency", "match": {"categories": ["consultation", "suggestion"]}, "priority": "P4"},
]

# fmt: on

#: Priority raises: every one that matches raises the priority (P1 at most).
RAISES: list[dict] = [
    {"name": "angry", "match": {"sentiments": ["angry"]}},
    {"name": "repeat-contact", "match": {"repeat": True}},
    {"name": "vip", "match": {"tiers": ["vip"]}},
    {"name": "high-value", "match": {"tiers": ["high_value"]}},
    {"name": "public-post", "match": {"channels": ["social"], "metadata": {"public": True}}},
]
