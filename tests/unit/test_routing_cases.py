"""Routing of realistic contacts with the built-in configuration: category, priority and group, table-driven.

Half the contacts are in Chinese, half in English. Defaults read: P3 unless a rule says otherwise; complaints
go to the complaints desk at P2, a regulator/media/lawyer threat makes a P1 complaint; VIPs go to the VIP desk;
technical faults to L2; double charges to finance and lost parcels to logistics; other questions to L1;
consultations and suggestions are P4; angry wording, a repeat contact and a VIP or high-value customer each
raise the priority one step.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import pytest

from kefu.model.customers import Tier
from kefu.model.tickets import Category, Channel, Priority
from kefu.routing import Contact, RoutingConfig, route

C = Category
P = Priority
STD, HV, VIP = Tier.STANDARD, Tier.HIGH_VALUE, Tier.VIP


@dataclass(frozen=True)
class Case:
    id: str
    text: str
    category: Category
    priority: Priority
    group: str
    subject: str = ""
    tier: Tier = STD
    recent: int = 0
    channel: Channel | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


CHINESE = [
    Case("zh-parcel-late", "我的快递三天了还没到，单号SF1234567", C.LOGISTICS, P.P3, "l1"),
    Case("zh-parcel-where", "请问我的包裹现在到哪里了？物流一直没更新", C.LOGISTICS, P.P3, "l1"),
    Case("zh-parcel-lost", "快递显示已签收，但是我根本没收到，是不是丢件了", C.LOGISTICS, P.P3, "logistics"),
    Case("zh-courier-rude", "快递员态度很差，还把包裹扔在门口", C.COMPLAINT, P.P2, "complaints"),
    Case("zh-parcel-third-time", "第三次问了，快递到底什么时候送达？？？", C.LOGISTICS, P.P1, "l1", recent=2),
    Case("zh-not-shipped", "我三天前下单的，怎么还没发货", C.ORDER, P.P3, "l1"),
    Case("zh-cancel-order", "想取消订单，订单号20240511001", C.ORDER, P.P3, "l1"),
    Case("zh-change-address", "下单的时候地址写错了，能帮我修改地址吗", C.ORDER, P.P3, "l1"),
    Case("zh-wrong-item", "发错货了，我买的是黑色，收到的是白色", C.ORDER, P.P3, "l1"),
    Case("zh-double-charge", "同一笔订单被扣了两次钱，银行卡扣款两次", C.PAYMENT, P.P2, "finance"),
    Case("zh-payment-failed", "支付失败了但是页面一直转圈", C.PAYMENT, P.P3, "l1"),
    Case("zh-invoice", "请问怎么开发票？需要公司抬头", C.PAYMENT, P.P3, "l1"),
    Case("zh-overcharged-angry", "多收了我50块钱，你们是骗子吧！！！", C.PAYMENT, P.P1, "finance"),
    Case("zh-return-size", "鞋子尺码不对，可以退货吗", C.AFTER_SALES, P.P3, "l1"),
    Case("zh-refund-when", "退款什么时候到账？已经一周了", C.AFTER_SALES, P.P3, "l1"),
    Case("zh-broken", "收到的杯子是破损的，要求换货", C.AFTER_SALES, P.P3, "l1"),
    Case("zh-warranty", "空调坏了，还在保修期内，怎么申请维修", C.AFTER_SALES, P.P3, "l1"),
    Case("zh-quality-hv", "衣服有质量问题，开线了，想退换", C.AFTER_SALES, P.P2, "l1", tier=HV),
    Case("zh-refund-angry", "退款拖了半个月，太差劲了，退钱！", C.AFTER_SALES, P.P2, "l1"),
    Case("zh-app-crash", "App一打开就闪退，重装也不行", C.TECHNICAL, P.P3, "l2"),
    Case("zh-login", "登录不了，一直提示密码错误", C.TECHNICAL, P.P3, "l2"),
    Case("zh-sms-code", "注册时收不到验证码", C.TECHNICAL, P.P3, "l2"),
    Case("zh-white-screen", "支付页面白屏，没法付款", C.TECHNICAL, P.P3, "l2"),
    Case("zh-error-code-repeat", "下单的时候报错，错误代码E102，昨天已经反映过了", C.TECHNICAL, P.P2, "l2", recent=1),
    Case("zh-suggest-night", "建议增加夜间客服", C.SUGGESTION, P.P4, "l1"),
    Case("zh-suggest-feature", "希望能增加按价格排序的功能", C.SUGGESTION, P.P4, "l1"),
    Case("zh-suggest-packaging", "提个意见，包装可以更环保一点", C.SUGGESTION, P.P4, "l1"),
    Case("zh-hours", "请问你们客服的营业时间是几点到几点？", C.CONSULTATION, P.P4, "l1"),
    Case("zh-membership", "会员积分怎么用？", C.CONSULTATION, P.P4, "l1"),
    Case("zh-stock-question", "这款手机有没有256G的版本", C.CONSULTATION, P.P4, "l1"),
    Case("zh-vip-question", "请问会员日有什么活动？", C.CONSULTATION, P.P2, "vip", tier=VIP),
    Case("zh-vip-parcel", "我的快递什么时候到？", C.LOGISTICS, P.P2, "vip", tier=VIP),
    Case("zh-vip-complaint", "我要投诉你们的客服，态度恶劣", C.COMPLAINT, P.P1, "complaints", tier=VIP),
    Case("zh-complaint", "投诉：客服答应回电，结果一直没人联系我", C.COMPLAINT, P.P2, "complaints"),
    Case("zh-garbage-12315", "你们这是什么垃圾服务！！！我要打12315投诉", C.COMPLAINT, P.P1, "complaints"),
    Case("zh-consumer-assoc", "再不给我退款我就去消协", C.COMPLAINT, P.P1, "complaints"),
    Case("zh-expose", "我要在网上曝光你们这种黑心商家", C.COMPLAINT, P.P1, "complaints"),
    Case("zh-lawyer", "我已经咨询了律师，准备起诉", C.COMPLAINT, P.P1, "complaints"),
    Case("zh-fullwidth-shout", "到底什么时候发货？？？", C.ORDER, P.P3, "l1"),
    Case("zh-scam-angry", "骗子公司，收了钱不发货", C.ORDER, P.P2, "l1"),
    Case("zh-public-weibo", "物流太慢了", C.LOGISTICS, P.P2, "l1", channel=Channel.SOCIAL, metadata={"public": True}),
]

ENGLISH = [
    Case(
        "en-parcel-late",
        "My parcel was due Monday and still hasn't arrived. Tracking number 1Z999AA1",
        C.LOGISTICS,
        P.P3,
        "l1",
    ),
    Case("en-tracking", "Can you send me the tracking link for my delivery?", C.LOGISTICS, P.P3, "l1"),
    Case("en-marked-delivered", "The package is marked as delivered but it's not here", C.LOGISTICS, P.P3, "logistics"),
    Case("en-stolen", "Courier left my parcel outside and it was stolen", C.LOGISTICS, P.P3, "logistics"),
    Case("en-parcel-repeat", "Any update on my shipment? I wrote yesterday too", C.LOGISTICS, P.P2, "l1", recent=1),
    Case("en-cancel", "Please cancel my order #8812, I ordered the wrong colour", C.ORDER, P.P3, "l1"),
    Case("en-address", "I need to change my address on an order I placed this morning", C.ORDER, P.P3, "l1"),
    Case("en-missing-item", "My order came with a missing item, only 2 of the 3 mugs", C.ORDER, P.P3, "l1"),
    Case("en-out-of-stock", "The blender says out of stock, when will it be back?", C.ORDER, P.P3, "l1"),
    Case("en-charged-twice", "I was charged twice for order #5521", C.PAYMENT, P.P2, "finance"),
    Case(
        "en-card-declined", "My card declined at checkout even though it works everywhere else", C.PAYMENT, P.P3, "l1"
    ),
    Case("en-invoice", "Could I get a VAT invoice for my last purchase?", C.PAYMENT, P.P3, "l1"),
    Case("en-double-charge-hv", "There is a double charge on my credit card", C.PAYMENT, P.P1, "finance", tier=HV),
    Case("en-return-shoes", "Can I return these shoes? They don't fit", C.AFTER_SALES, P.P3, "l1"),
    Case(
        "en-refund-status",
        "When will my refund be processed? I sent the item back last week",
        C.AFTER_SALES,
        P.P3,
        "l1",
    ),
    Case("en-defective", "The kettle is defective, it stopped heating after two days", C.AFTER_SALES, P.P3, "l1"),
    Case("en-exchange", "I'd like to exchange the jacket for a larger size", C.AFTER_SALES, P.P3, "l1"),
    Case("en-warranty-vip", "My TV broke, is it still under warranty?", C.AFTER_SALES, P.P2, "vip", tier=VIP),
    Case("en-refund-angry", "Still no refund after 3 weeks. This is ridiculous!!!", C.AFTER_SALES, P.P2, "l1"),
    Case("en-app-crash", "The app crashes when I open the cart", C.TECHNICAL, P.P3, "l2"),
    Case("en-login", "I can't log in, it says my password is wrong", C.TECHNICAL, P.P3, "l2"),
    Case("en-error-code", "Checkout shows error 502 every time", C.TECHNICAL, P.P3, "l2"),
    Case("en-site-down", "Your website is down", C.TECHNICAL, P.P3, "l2"),
    Case(
        "en-frozen-repeat",
        "The app froze again during checkout, second time I'm reporting this",
        C.TECHNICAL,
        P.P2,
        "l2",
        recent=1,
    ),
    Case("en-suggestion", "Suggestion: add a dark mode to the app", C.SUGGESTION, P.P4, "l1"),
    Case("en-would-be-nice", "It would be nice to filter products by price", C.SUGGESTION, P.P4, "l1"),
    Case("en-feature-request", "Feature request: let me save several delivery addresses", C.SUGGESTION, P.P4, "l1"),
    Case("en-hours", "What are your opening hours on Sundays?", C.CONSULTATION, P.P4, "l1"),
    Case("en-question", "Quick question: do you sell gift cards?", C.CONSULTATION, P.P4, "l1"),
    Case("en-vip-question", "Do you have this sofa in green?", C.CONSULTATION, P.P2, "vip", tier=VIP),
    Case("en-hv-question", "Is it possible to buy in bulk?", C.CONSULTATION, P.P3, "l1", tier=HV),
    Case("en-complaint", "I want to make a formal complaint about your agent", C.COMPLAINT, P.P2, "complaints"),
    Case("en-rude", "The staff member I spoke to was incredibly rude", C.COMPLAINT, P.P2, "complaints"),
    Case("en-manager-angry", "This is unacceptable, I want to speak to a manager", C.COMPLAINT, P.P1, "complaints"),
    Case(
        "en-bbb", "If this isn't fixed I will report you to the Better Business Bureau", C.COMPLAINT, P.P1, "complaints"
    ),
    Case("en-chargeback", "I'm filing a chargeback with my bank", C.COMPLAINT, P.P1, "complaints"),
    Case("en-lawyer", "My lawyer will be in touch about the damaged sofa", C.COMPLAINT, P.P1, "complaints"),
    Case("en-caps", "WHERE IS MY ORDER I PAID TWO WEEKS AGO", C.ORDER, P.P3, "l1"),
    Case("en-caps-bang", "I WANT MY MONEY BACK NOW!!!", C.AFTER_SALES, P.P2, "l1"),
    Case("en-scam", "Scam company, took my money and never shipped anything", C.LOGISTICS, P.P2, "l1"),
    Case(
        "en-public-tweet",
        "@shop my delivery is late again",
        C.LOGISTICS,
        P.P2,
        "l1",
        channel=Channel.SOCIAL,
        metadata={"public": True},
    ),
]


def _id(case: Case) -> str:
    return case.id


@pytest.mark.parametrize("case", CHINESE + ENGLISH, ids=_id)
def test_a_contact_is_routed_by_the_built_in_rules(case: Case):
    # Given a customer's message, their tier and their recent contacts
    contact = Contact(
        subject=case.subject,
        body=case.text,
        tier=case.tier,
        recentContacts=case.recent,
        channel=case.channel,
        metadata=case.metadata,
    )
    # When it is routed with the built-in configuration
    decision = route(contact, RoutingConfig())
    # Then its category, priority and group are the ones a desk would choose
    assert (decision.category, decision.priority, decision.group) == (case.category, case.priority, case.group), (
        decision.reasons
    )


def test_the_table_is_half_chinese_and_half_english_and_large_enough():
    assert len(CHINESE + ENGLISH) >= 80
    assert len(CHINESE) == len(ENGLISH)
    assert len({case.id for case in CHINESE + ENGLISH}) == len(CHINESE + ENGLISH)


def test_the_chinese_cases_are_written_in_chinese_and_the_english_ones_in_english():
    han = re.compile(r"[\u4e00-\u9fff]")

    assert [case.id for case in CHINESE if not han.search(case.subject + case.text)] == []
    assert [case.id for case in ENGLISH if han.search(case.subject + case.text)] == []
