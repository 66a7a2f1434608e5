"""The personas' stories, written out as records.

Each block below makes one story of personas.py true in the data; the seed
tests read the stories back from the database.
"""

from __future__ import annotations

from datetime import date

from creditgraph.seed import scoring
from creditgraph.seed.builder import Builder, Subject
from creditgraph.seed.calendar import days_before
from creditgraph.seed.histories import Conduct
from creditgraph.seed.personas import (
    EASTBRIDGE_BANK,
    HARBOUR_FINANCE,
    MARKET_REGULATOR,
    PERSONA,
    TAX_BUREAU,
    WESTLAKE_BANK,
    XIHU_COURT,
)


def _person(builder: Builder, key: str) -> Subject:
    persona = PERSONA[key]
    subject = builder.person(persona.identifier, persona.name)
    builder.phone(subject, f"1390571{subject.id:04d}", date(2024, 3, 1), EASTBRIDGE_BANK)
    builder.address(
        subject, "RESIDENCE", "浙江省杭州市西湖区文三路 100 号", "OWNED", date(2024, 3, 1)
    )
    return subject


def _organisation(builder: Builder, key: str, established_on: date, industry: str) -> Subject:
    persona = PERSONA[key]
    return builder.organisation(
        persona.identifier, persona.name, established_on, industry, 500_000_000
    )


def reference_data(builder: Builder) -> dict[str, int]:
    """Institutions, their requester records, government mandates, notice subscriptions and
    score models.

    Returns the score model ids by scale.
    """
    builder.institutions()
    builder.mandate(XIHU_COURT, "JUDICIAL_ENFORCEMENT", "民事诉讼法 Civil Procedure Law, art. 255")
    for agency in (TAX_BUREAU, MARKET_REGULATOR):
        builder.mandate(agency, "PUBLIC_CREDIT_CHECK", "社会信用体系建设 social credit regulations")
    # Eastbridge receives notices of joint measures for the subjects it lends to
    builder.rows.add(
        "public_records.notice_subscriptions", (EASTBRIDGE_BANK.code, date(2020, 1, 1))
    )
    return scoring.models(builder)


def cast(builder: Builder) -> list[Subject]:
    """Load every persona's records; returns the persona subjects."""
    start = len(builder.subjects)

    husband, wife = _person(builder, "husband"), _person(builder, "wife")
    builder.marry(husband, wife, date(2014, 10, 1))
    builder.account(
        "MORTGAGE",
        EASTBRIDGE_BANK,
        [husband, wife],
        date(2016, 5, 20),
        180_000_000,
        Conduct.CLEAN,
        term_months=360,
        purpose="HOME",
    )
    builder.account(
        "CREDIT_CARD", WESTLAKE_BANK, [husband], date(2015, 2, 1), 5_000_000, Conduct.CLEAN
    )
    builder.account(
        "SPECIAL_INSTALMENT",
        EASTBRIDGE_BANK,
        [wife],
        date(2024, 1, 10),
        12_000_000,
        Conduct.CLEAN,
        term_months=36,
        purpose="RENOVATION",
    )

    guarantor = _person(builder, "guarantor")
    firms = [
        _organisation(builder, key, date(2008 + i, 3, 1), "textiles")
        for i, key in enumerate(("circle_a", "circle_b", "circle_c"))
    ]
    builder.principal(firms[0], guarantor, "LEGAL_REPRESENTATIVE", date(2008, 3, 1))
    loans = [
        builder.account(
            "BUSINESS_LOAN",
            WESTLAKE_BANK,
            [firm],
            date(2023, 6, 1),
            3_000_000_000,
            Conduct.CURRENT_OVERDUE if i == 2 else Conduct.CLEAN,
            term_months=60,
            purpose="BUSINESS",
        )
        for i, firm in enumerate(firms)
    ]
    # A guarantees B, B guarantees C, C guarantees A, for as long as the loans run
    for i, firm in enumerate(firms):
        builder.guarantee(firm, loans[(i + 1) % 3], 3_000_000_000, date(2023, 6, 1), years=5)
    builder.guarantee(guarantor, loans[0], 1_000_000_000, date(2023, 6, 1), years=5)

    debtor = _person(builder, "debtor")
    builder.account(
        "CONSUMER_LOAN",
        HARBOUR_FINANCE,
        [debtor],
        date(2021, 4, 1),
        30_000_000,
        Conduct.BAD_DEBT,
        term_months=36,
        purpose="CONSUMPTION",
    )
    case = builder.enforcement(
        debtor, XIHU_COURT, date(2024, 2, 5), 31_500_000, HARBOUR_FINANCE.name
    )
    builder.dishonest(debtor, XIHU_COURT, case, date(2024, 8, 1))
    builder.restriction(debtor, XIHU_COURT, case, date(2024, 3, 1))

    thin = _person(builder, "thin_file")
    builder.account(
        "CREDIT_CARD", HARBOUR_FINANCE, [thin], date(2026, 3, 1), 500_000, Conduct.CLEAN
    )

    yuanhang = _organisation(builder, "tax_arrears", date(2012, 7, 1), "logistics")
    builder.account(
        "BUSINESS_LOAN",
        EASTBRIDGE_BANK,
        [yuanhang],
        date(2022, 9, 1),
        800_000_000,
        Conduct.OCCASIONAL,
        # five years: still open, so Eastbridge is told when the firm's black listing takes effect
        term_months=60,
        purpose="BUSINESS",
    )
    builder.tax_arrear(yuanhang, TAX_BUREAU, "VAT", 46_000_000, date(2026, 1, 1))
    builder.tax_arrear(yuanhang, TAX_BUREAU, "CORPORATE_INCOME", 18_500_000, date(2026, 4, 1))
    builder.administrative_action(
        yuanhang,
        MARKET_REGULATOR,
        "PENALTY",
        date(2026, 5, 12),
        "overloading",
        "车辆超限运输 overloaded freight vehicles",
        5_000_000,
    )
    builder.list_entry(
        yuanhang,
        TAX_BUREAU,
        "BLACK",
        "重大税收违法失信主体 serious tax violators",
        "unpaid taxes over two quarters",
        days_before(4),
        "NOTICE",
    )

    alerted = _person(builder, "fraud_alert")
    builder.account(
        "CREDIT_CARD", EASTBRIDGE_BANK, [alerted], date(2017, 6, 1), 3_000_000, Conduct.CLEAN
    )
    builder.fraud_alert(
        alerted,
        "13800571234",
        date(2026, 7, 2),
        "身份证遗失，办理信贷前请致电本人核实 ID card lost; call me before lending",
    )
    for days, bank in (
        (20, HARBOUR_FINANCE),
        (45, WESTLAKE_BANK),
        (70, EASTBRIDGE_BANK),
        (95, HARBOUR_FINANCE),
    ):
        builder.hard_inquiry(alerted, bank, days_before(days), "CREDIT_CARD_APPROVAL")
    builder.statement(
        alerted, "本人身份证于 2026 年 6 月遗失，近期申请均非本人所为。", date(2026, 7, 2)
    )

    late = _person(builder, "late_payer")
    # Yuanhang acts through him: he objects and applies for credit repair in its name
    builder.principal(yuanhang, late, "LEGAL_REPRESENTATIVE", date(2018, 5, 1))
    builder.account(
        "CAR_LOAN",
        WESTLAKE_BANK,
        [late],
        date(2023, 11, 1),
        20_000_000,
        Conduct.SERIOUS,
        term_months=60,
        purpose="CAR",
    )
    builder.account(
        "CREDIT_CARD", HARBOUR_FINANCE, [late], date(2019, 1, 1), 2_000_000, Conduct.OCCASIONAL
    )

    model = _person(builder, "model_borrower")
    builder.account(
        "CREDIT_CARD", EASTBRIDGE_BANK, [model], date(2011, 9, 1), 10_000_000, Conduct.CLEAN
    )
    builder.account(
        "MORTGAGE",
        WESTLAKE_BANK,
        [model],
        date(2010, 3, 1),
        90_000_000,
        Conduct.CLEAN,
        term_months=180,
        purpose="HOME",
    )
    builder.post_loan_inquiry(model, WESTLAKE_BANK, days_before(30))
    builder.self_inquiry(model, days_before(12))

    red = _organisation(builder, "red_listed", date(2015, 4, 1), "environmental services")
    builder.list_entry(
        red,
        TAX_BUREAU,
        "RED",
        "A 级纳税人 A-grade taxpayers",
        "A-grade tax credit three years running",
        date(2025, 4, 1),
        "IN_FORCE",
    )
    builder.administrative_action(
        red,
        MARKET_REGULATOR,
        "AWARD",
        date(2025, 9, 1),
        "quality",
        "守合同重信用企业 contract-abiding enterprise",
        None,
    )
    return builder.subjects[start:]
