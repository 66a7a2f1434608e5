"""The demo cast: institutions and named subjects, each telling one story.

Pure data, no database: `creditgraph personas` prints it without starting
anything, and the seed loads it beside the generated subjects. Identifiers are
fixed, so a persona is the same person whatever --subjects and --seed say.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from creditgraph.identifiers import make_resident_id, make_uscc

Role = Literal["bank", "court", "agency", "scorer"]


@dataclass(frozen=True, slots=True)
class Institution:
    code: str
    name: str
    role: Role


@dataclass(frozen=True, slots=True)
class Persona:
    key: str
    identifier: str
    name: str
    kind: Literal["PERSON", "ORGANISATION"]
    story: str


def _org(division: str, org_code: str, department: str = "9", org_type: str = "1") -> str:
    return make_uscc(department, org_type, division, org_code)


EASTBRIDGE_BANK = Institution(
    _org("110000", "MA01EB001"), "东桥商业银行 Eastbridge Commercial Bank", "bank"
)
WESTLAKE_BANK = Institution(
    _org("330100", "MA02WL002"), "西湖农商银行 Westlake Rural Commercial Bank", "bank"
)
HARBOUR_FINANCE = Institution(
    _org("440300", "MA03HF003"), "港湾消费金融 Harbour Consumer Finance", "bank"
)
XIHU_COURT = Institution(
    _org("330106", "00CT00106", "1", "1"),
    "杭州市西湖区人民法院 Xihu District People's Court",
    "court",
)
TAX_BUREAU = Institution(
    _org("330100", "00TX00100", "1", "1"), "杭州市税务局 Hangzhou Municipal Tax Bureau", "agency"
)
MARKET_REGULATOR = Institution(
    _org("330100", "00MR00100", "1", "1"),
    "杭州市市场监督管理局 Hangzhou Market Regulation Bureau",
    "agency",
)
CREDIT_BUREAU = Institution(
    _org("110000", "MA04CB004"), "星河征信 Galaxy Credit Reference", "scorer"
)
CITY_SCORER = Institution(
    _org("330100", "00CT00200", "1", "1"), "杭州城市信用中心 Hangzhou City Credit Centre", "scorer"
)
COMMERCIAL_SCORER = Institution(
    _org("330100", "MA05CL005"), "天秤数据 Libra Data Scoring", "scorer"
)

INSTITUTIONS: tuple[Institution, ...] = (
    EASTBRIDGE_BANK,
    WESTLAKE_BANK,
    HARBOUR_FINANCE,
    XIHU_COURT,
    TAX_BUREAU,
    MARKET_REGULATOR,
    CREDIT_BUREAU,
    CITY_SCORER,
    COMMERCIAL_SCORER,
)
BANKS = tuple(i for i in INSTITUTIONS if i.role == "bank")


def _person(area: str, born: date, sequence: int) -> str:
    return make_resident_id(area, born, sequence)


PERSONAS: tuple[Persona, ...] = (
    Persona(
        "husband",
        _person("330106", date(1986, 4, 12), 151),
        "陈建国 Chen Jianguo",
        "PERSON",
        "Married to Lin Xiaoyu; their joint mortgage with Eastbridge shows on both reports, "
        "beside his own credit card.",
    ),
    Persona(
        "wife",
        _person("330106", date(1988, 9, 3), 162),
        "林晓雨 Lin Xiaoyu",
        "PERSON",
        "Co-borrower on the joint mortgage with her husband Chen Jianguo; also repays a "
        "renovation special instalment.",
    ),
    Persona(
        "guarantor",
        _person("330102", date(1975, 1, 20), 217),
        "王德明 Wang Deming",
        "PERSON",
        "Legal representative of Mingde Textiles, which sits in a guarantee circle with two "
        "other firms; he has also guaranteed the firm's loan personally.",
    ),
    Persona(
        "circle_a",
        _org("330100", "MA1CHRC0A"),
        "明德纺织有限公司 Mingde Textiles Co.",
        "ORGANISATION",
        "Guarantees Hengfeng Dyeing's loan; Hengfeng guarantees Jiahe Trading, which "
        "guarantees Mingde: one default runs round the circle.",
    ),
    Persona(
        "circle_b",
        _org("330100", "MA1CHRC0B"),
        "恒丰印染有限公司 Hengfeng Dyeing Co.",
        "ORGANISATION",
        "Second link of the Mingde–Hengfeng–Jiahe guarantee circle.",
    ),
    Persona(
        "circle_c",
        _org("330100", "MA1CHRC0C"),
        "嘉禾贸易有限公司 Jiahe Trading Co.",
        "ORGANISATION",
        "Third link of the guarantee circle; its business loan is overdue.",
    ),
    Persona(
        "debtor",
        _person("330104", date(1979, 11, 8), 93),
        "赵海涛 Zhao Haitao",
        "PERSON",
        "A dishonest judgment debtor: a court enforcement case, a listing on the dishonest "
        "list, a consumption restriction, and a consumer loan written off as bad debt.",
    ),
    Persona(
        "thin_file",
        _person("330108", date(2005, 6, 30), 44),
        "周小满 Zhou Xiaoman",
        "PERSON",
        "Twenty-one, one credit card opened this year and nothing else: a thin file.",
    ),
    Persona(
        "tax_arrears",
        _org("330100", "MA1TAXAR1"),
        "远航物流有限公司 Yuanhang Logistics Co.",
        "ORGANISATION",
        "Owes VAT and corporate income tax, was fined by the market regulator, and has just "
        "been put on a black list, still in its public notice period.",
    ),
    Persona(
        "fraud_alert",
        _person("310115", date(1991, 2, 17), 375),
        "孙丽 Sun Li",
        "PERSON",
        "Lost her identity card; placed a fraud alert with a contact phone, and several "
        "lenders have queried her in the last months.",
    ),
    Persona(
        "late_payer",
        _person("440305", date(1983, 8, 25), 119),
        "刘强 Liu Qiang",
        "PERSON",
        "Three consecutive months overdue on his car loan this year: a 连三累六 mark.",
    ),
    Persona(
        "model_borrower",
        _person("110105", date(1970, 5, 5), 240),
        "李静 Li Jing",
        "PERSON",
        "Fifteen years of on-time payments, low utilisation, few inquiries: passes all four nots.",
    ),
    Persona(
        "red_listed",
        _org("330100", "MA1REDL01"),
        "绿源环保科技有限公司 Lvyuan Environmental Tech",
        "ORGANISATION",
        "An A-grade taxpayer on the red list, with an award from the market regulator.",
    ),
)

PERSONA = {p.key: p for p in PERSONAS}
