"""The random population: many ordinary subjects and a few troubled ones.

Mixes are chosen to look like a real bureau: most people clean, some thin
files, some 连三累六, a few bad debts; half the adults over 28 married, most
couples with a joint mortgage; a share of enterprises with business loans,
principals and cross-guarantees (sometimes closing into circles).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

from creditgraph.identifiers import make_resident_id, make_uscc
from creditgraph.seed.builder import Builder, Subject
from creditgraph.seed.calendar import DATA_DATE, add_months, days_before
from creditgraph.seed.histories import Conduct
from creditgraph.seed.personas import MARKET_REGULATOR, TAX_BUREAU, XIHU_COURT

AREAS = (
    ("110105", "北京市朝阳区"),
    ("310115", "上海市浦东新区"),
    ("440305", "深圳市南山区"),
    ("330106", "杭州市西湖区"),
    ("510107", "成都市武侯区"),
    ("420106", "武汉市武昌区"),
    ("320102", "南京市玄武区"),
    ("610113", "西安市雁塔区"),
)
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏辉建国文博雨欣宇轩浩然子涵"
INDUSTRIES = ("manufacturing", "logistics", "retail", "construction", "software", "catering")
FIRM_WORDS = ("华", "信", "盛", "达", "通", "源", "泰", "鑫", "恒", "远", "宏", "隆")
ORG_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CONDUCTS = (
    (Conduct.CLEAN, 0.78),
    (Conduct.OCCASIONAL, 0.10),
    (Conduct.SERIOUS, 0.06),
    (Conduct.CURRENT_OVERDUE, 0.04),
    (Conduct.BAD_DEBT, 0.02),
)
CHUNK = 500


class Population:
    def __init__(self, builder: Builder) -> None:
        self.b = builder
        self.rng = builder.rng
        self.used: set[str] = {s.identifier for s in builder.subjects}
        self.firms: list[tuple[Subject, int]] = []  # enterprise and its business loan

    def generate(self, count: int) -> Iterator[int]:
        """Make `count` subjects, yielding after each chunk how many are done."""
        made = 0
        while made < count:
            target = min(count, made + CHUNK)
            while made < target:
                made += self._one(target - made)
            yield made

    def _one(self, room: int) -> int:
        roll = self.rng.random()
        if roll < 0.07 and room >= 2:
            self._enterprise()  # the firm and its legal representative
            return 2
        first = self._household_member()
        if room >= 2 and self._age(first) >= 28 and self.rng.random() < 0.5:
            self._couple(first)
            return 2
        self._credit_life(first, self._conduct())
        return 1

    # -- people -----------------------------------------------------------

    def _new_person(self, born: date | None = None, female: bool | None = None) -> Subject:
        rng = self.rng
        while True:
            area, _ = rng.choice(AREAS)
            birth = born or date(1956, 1, 1) + timedelta(days=rng.randrange(365 * 50))
            is_female = rng.random() < 0.5 if female is None else female
            sequence = rng.randrange(0, 999, 2) + (0 if is_female else 1)
            identifier = make_resident_id(area, birth, sequence)
            if identifier not in self.used:
                self.used.add(identifier)
                break
        name = rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.randint(1, 2)))
        return self.b.person(identifier, name)

    def _household_member(self) -> Subject:
        person = self._new_person()
        self._identity_history(person)
        return person

    def _age(self, person: Subject) -> int:
        return DATA_DATE.year - int(person.identifier[6:10])

    def _identity_history(self, person: Subject) -> None:
        rng, b = self.rng, self.b
        area = next(name for code, name in AREAS if code == person.identifier[:6])
        for n in range(rng.choice((1, 2, 2, 3, 4, 6, 7))):
            number = f"1{rng.choice('3578')}{rng.randrange(10**9):09d}"
            b.phone(person, number, days_before(90 + 400 * n + rng.randrange(300)), b.random_bank())
        b.address(
            person,
            "RESIDENCE",
            f"{area}幸福路 {rng.randint(1, 999)} 号",
            rng.choice(("OWNED", "MORTGAGED", "RENTED", "WITH_FAMILY")),
            days_before(rng.randrange(900)),
        )
        age = self._age(person)
        if age >= 22 and rng.random() < 0.85:
            employer = f"{rng.choice(FIRM_WORDS)}{rng.choice(FIRM_WORDS)}有限公司"
            started = days_before(rng.randrange(30, 3000))
            b.employment(
                person,
                employer,
                None,
                rng.choice(("staff", "engineer", "manager", "teacher", "driver", "self-employed")),
                started,
                days_before(60),
            )
            if rng.random() < 0.6:
                b.social_insurance(
                    person, area[:3], employer, started, rng.randint(5000, 30000) * 100
                )
        if age >= 23:
            level = rng.choice(("SENIOR_SECONDARY", "ASSOCIATE", "BACHELOR", "BACHELOR", "MASTER"))
            b.education(person, level, "某大学", date(int(person.identifier[6:10]) + 22, 7, 1))

    def _conduct(self) -> Conduct:
        roll, total = self.rng.random(), 0.0
        for conduct, share in CONDUCTS:
            total += share
            if roll < total:
                return conduct
        return Conduct.CLEAN

    def _opened(self, person: Subject, earliest_age: int = 20) -> date:
        born = int(person.identifier[6:10])
        earliest = max(date(born + earliest_age, 1, 1), date(2008, 1, 1))
        earliest = min(earliest, days_before(60))
        span = (days_before(30) - earliest).days
        return earliest + timedelta(days=self.rng.randrange(max(span, 1)))

    def _credit_life(self, person: Subject, conduct: Conduct) -> None:
        rng, b = self.rng, self.b
        if self._age(person) < 20 or rng.random() < 0.08:
            return  # no credit at all: a thin (empty) file
        cards = rng.choice((0, 1, 1, 2, 2, 3, 4))
        troubled = rng.randrange(cards + 1)  # which account carries the conduct
        for i in range(cards):
            b.account(
                "CREDIT_CARD",
                b.random_bank(),
                [person],
                self._opened(person),
                rng.choice((5_000, 10_000, 20_000, 50_000, 100_000)) * 100,
                conduct if i == troubled else Conduct.CLEAN,
            )
        if rng.random() < 0.35 or troubled == cards:
            kind, purpose, term = rng.choice(
                (
                    ("CAR_LOAN", "CAR", 60),
                    ("CONSUMER_LOAN", "CONSUMPTION", 36),
                    ("SPECIAL_INSTALMENT", rng.choice(("CAR_PARK", "RENOVATION", "CAR")), 36),
                )
            )
            b.account(
                kind,
                b.random_bank(),
                [person],
                self._opened(person, 22),
                rng.randint(30, 400) * 100_000,
                conduct,
                term_months=term,
                purpose=purpose,
            )
        if rng.random() < 0.08:
            b.account(
                "REVOLVING_LOAN",
                b.random_bank(),
                [person],
                self._opened(person, 25),
                rng.randint(5, 50) * 1_000_000,
                Conduct.CLEAN,
            )
        self._inquiries(person, conduct)
        if conduct is not Conduct.CLEAN and rng.random() < 0.1:
            b.utility_arrear(
                person,
                "中国电信 China Telecom",
                rng.choice(("TELECOM", "ELECTRICITY", "GAS")),
                rng.randint(50, 2000) * 100,
                days_before(rng.randrange(100, 700)),
            )
        if conduct is Conduct.BAD_DEBT and rng.random() < 0.5:
            self._enforced(person)

    def _inquiries(self, person: Subject, conduct: Conduct) -> None:
        rng, b = self.rng, self.b
        count = rng.choice((0, 0, 1, 1, 2, 3)) + (3 if conduct is Conduct.CURRENT_OVERDUE else 0)
        for _ in range(count):
            b.hard_inquiry(
                person,
                b.random_bank(),
                days_before(rng.randrange(720)),
                rng.choice(("LOAN_APPROVAL", "CREDIT_CARD_APPROVAL")),
            )
        if rng.random() < 0.2:
            b.post_loan_inquiry(person, b.random_bank(), days_before(rng.randrange(365)))
        if rng.random() < 0.1:
            b.self_inquiry(person, days_before(rng.randrange(365)))

    def _enforced(self, person: Subject) -> None:
        b, rng = self.b, self.rng
        filed = days_before(rng.randrange(60, 900))
        case = b.enforcement(
            person, XIHU_COURT, filed, rng.randint(20, 500) * 100_000, b.random_bank().name
        )
        if rng.random() < 0.6:
            b.restriction(person, XIHU_COURT, case, filed + timedelta(days=30))
            if rng.random() < 0.7:
                published = min(filed + timedelta(days=90), days_before(1))
                b.dishonest(person, XIHU_COURT, case, published)

    def _couple(self, first: Subject) -> None:
        rng, b = self.rng, self.b
        female = int(first.identifier[16]) % 2 == 1
        spouse_birth = date(
            int(first.identifier[6:10]) + rng.randint(-4, 4), rng.randint(1, 12), rng.randint(1, 28)
        )
        spouse = self._new_person(spouse_birth, female=female)
        self._identity_history(spouse)
        married = days_before(rng.randrange(200, 365 * 12))
        b.marry(first, spouse, married)
        if rng.random() < 0.7:
            opened = max(married + timedelta(days=rng.randrange(30, 700)), days_before(3650))
            b.account(
                "MORTGAGE",
                b.random_bank(),
                [first, spouse],
                min(opened, days_before(40)),
                rng.randint(50, 400) * 1_000_000,
                self._conduct_mild(),
                term_months=360,
                purpose="HOME",
            )
        self._credit_life(first, self._conduct())
        self._credit_life(spouse, self._conduct())

    def _conduct_mild(self) -> Conduct:
        return Conduct.OCCASIONAL if self.rng.random() < 0.1 else Conduct.CLEAN

    # -- enterprises --------------------------------------------------------

    def _enterprise(self) -> None:
        rng, b = self.rng, self.b
        while True:
            division = rng.choice(AREAS)[0]
            code = "".join(rng.choices(ORG_ALPHABET, k=9))
            identifier = make_uscc("9", "1", division, code)
            if identifier not in self.used:
                self.used.add(identifier)
                break
        name = (
            "".join(rng.choices(FIRM_WORDS, k=2))
            + rng.choice(("科技", "贸易", "制造", "物流"))
            + "有限公司"
        )
        established = days_before(rng.randrange(400, 7000))
        firm = b.organisation(
            identifier, name, established, rng.choice(INDUSTRIES), rng.randint(1, 500) * 100_000_000
        )
        representative = self._household_member()
        b.principal(firm, representative, "LEGAL_REPRESENTATIVE", established)
        self._credit_life(representative, self._conduct())
        conduct = self._conduct()
        opened = max(established, days_before(1500)) + timedelta(days=rng.randrange(300))
        loan = b.account(
            "BUSINESS_LOAN",
            b.random_bank(),
            [firm],
            opened,
            rng.randint(10, 300) * 10_000_000,
            conduct,
            term_months=60,
            purpose="BUSINESS",
        )
        if rng.random() < 0.5:
            b.guarantee(representative, loan, rng.randint(10, 100) * 1_000_000, opened)
        if self.firms and rng.random() < 0.5:  # cross-guarantees between enterprises
            other, other_loan = rng.choice(self.firms)
            b.guarantee(firm, other_loan, rng.randint(10, 200) * 1_000_000, opened)
            if rng.random() < 0.3:  # and sometimes back again: a two-firm circle
                b.guarantee(other, loan, rng.randint(10, 200) * 1_000_000, opened)
        b.licence(
            firm,
            "营业执照 business licence",
            MARKET_REGULATOR.name,
            established,
            rng.choice((10, 20, 30)),
        )
        if rng.random() < 0.05:
            b.civil_judgment(
                firm,
                XIHU_COURT,
                days_before(rng.randrange(200, 1500)),
                "买卖合同纠纷 sales contract dispute",
                rng.randint(10, 500) * 100_000,
            )
        self.firms.append((firm, loan))
        self._public_record(firm, conduct)

    def _public_record(self, firm: Subject, conduct: Conduct) -> None:
        rng, b = self.rng, self.b
        if rng.random() < 0.15:
            b.tax_arrear(
                firm,
                TAX_BUREAU,
                rng.choice(("VAT", "CORPORATE_INCOME", "STAMP")),
                rng.randint(1, 500) * 1_000_000,
                add_months(date(2024, 1, 1), 3 * rng.randrange(10)),
                settled_after_days=None if rng.random() < 0.6 else rng.randrange(10, 200),
            )
        if rng.random() < 0.1:
            b.administrative_action(
                firm,
                MARKET_REGULATOR,
                "PENALTY",
                days_before(rng.randrange(1000)),
                "licensing",
                "未按规定公示年度报告 annual report not published",
                rng.randint(1, 50) * 100_000,
            )
        elif rng.random() < 0.05:
            b.administrative_action(
                firm,
                MARKET_REGULATOR,
                "AWARD",
                days_before(rng.randrange(1000)),
                "quality",
                "守合同重信用企业 contract-abiding enterprise",
                None,
            )
        if rng.random() < 0.06:
            colour = "BLACK" if conduct in (Conduct.BAD_DEBT, Conduct.CURRENT_OVERDUE) else "RED"
            state = rng.choice(
                ("NOTICE", "IN_FORCE", "IN_FORCE", "OBJECTED", "DISMISSED", "EXITED")
            )
            start = days_before(5) if state == "NOTICE" else days_before(rng.randrange(40, 900))
            b.list_entry(
                firm,
                TAX_BUREAU,
                colour,
                "A 级纳税人 A-grade taxpayers"
                if colour == "RED"
                else "重大税收违法失信主体 serious tax violators",
                "tax record",
                start,
                state,
            )
