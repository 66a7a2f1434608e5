"""Turning domain facts into rows: one method per kind of record.

Both the scripted personas (cast.py) and the random population
(population.py) speak through this builder, so every row of a kind is made
one way. The builder also keeps, per subject, the facts a scorer would read
(history length, overdue months, bad debt, utilisation, public records,
recent hard inquiries), so scores agree with the data they describe.
"""

from __future__ import annotations

import hashlib
import random
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Literal

from asyncpg import Range

from creditgraph.seed.calendar import (
    DATA_DATE,
    DATA_MONTH,
    FIRST_HISTORY_MONTH,
    LOADED_AT,
    add_months,
    moment,
    month_number,
    month_start,
    working_days_after,
)
from creditgraph.seed.histories import Conduct, grid
from creditgraph.seed.personas import BANKS, INSTITUTIONS, Institution
from creditgraph.seed.tables import Rows, money_text
from creditgraph.signals import overdue_runs

LOAN_KINDS = ("MORTGAGE", "CAR_LOAN", "CONSUMER_LOAN", "BUSINESS_LOAN", "SPECIAL_INSTALMENT")


# the first day of each month of the history window, as COPY reads a date
_MONTH_TEXT = tuple(
    month_start(number).isoformat() for number in range(FIRST_HISTORY_MONTH, DATA_MONTH + 1)
)


@dataclass(slots=True)
class Facts:
    """What a scorer reads about one subject."""

    first_month: int | None = None
    accounts: int = 0
    longest_overdue_run_24: int = 0
    overdue_months_24: int = 0
    current_overdue: bool = False
    bad_debt: bool = False
    revolving_limit: int = 0
    revolving_balance: int = 0
    public_records: int = 0
    public_dues: int = 0  # unsettled tax and utility arrears, counted in public_records too
    hard_inquiries_6m: int = 0
    red_listed: bool = False
    awards: int = 0


@dataclass(frozen=True, slots=True)
class Subject:
    id: int
    identifier: str
    name: str
    kind: Literal["PERSON", "ORGANISATION"]


@dataclass(slots=True)
class _Ids:
    counters: dict[str, int] = field(default_factory=dict)

    def next(self, table: str) -> int:
        value = self.counters.get(table, 0) + 1
        self.counters[table] = value
        return value


class Builder:
    def __init__(self, rng: random.Random, rows: Rows) -> None:
        self.rng = rng
        self.rows = rows
        self.ids = _Ids()
        self.facts: dict[int, Facts] = {}
        self.institution_ids: dict[str, int] = {}
        self.requester_ids: dict[str, int] = {}
        self.subjects: list[Subject] = []
        self._uuid_rng = random.Random(rng.getrandbits(64))
        self._repayment_lines = rows.lines("bureau.repayments")

    # -- reference data -------------------------------------------------

    def institutions(self) -> None:
        kinds = {"bank": "BANK", "court": "COURT", "agency": "AGENCY", "scorer": "SCORER"}
        for inst in INSTITUTIONS:
            iid = self.ids.next("institutions")
            self.institution_ids[inst.code] = iid
            self.rows.add(
                "bureau.institutions", (iid, inst.code, inst.name, kinds[inst.role], LOADED_AT)
            )
            if inst.role in ("bank", "court", "agency"):
                rid = self.ids.next("requesters")
                self.requester_ids[inst.code] = rid
                role = "BANK" if inst.role == "bank" else "GOVERNMENT"
                self.rows.add("gateway.requesters", (rid, role, inst.code, inst.name, LOADED_AT))

    def mandate(self, agency: Institution, purpose: str, legal_basis: str) -> None:
        self.rows.add(
            "gateway.mandates",
            (
                self.ids.next("mandates"),
                self.requester_ids[agency.code],
                purpose,
                "GOVERNMENT",
                legal_basis,
                date(2020, 1, 1),
            ),
        )

    # -- subjects ---------------------------------------------------------

    def person(self, identifier: str, name: str) -> Subject:
        sid = self.ids.next("subjects")
        birth = date(int(identifier[6:10]), int(identifier[10:12]), int(identifier[12:14]))
        gender = "M" if int(identifier[16]) % 2 else "F"
        self.rows.add(
            "bureau.subjects",
            (sid, "PERSON", identifier, name, birth, gender, None, None, None, LOADED_AT),
        )
        return self._register(Subject(sid, identifier, name, "PERSON"))

    def organisation(
        self, identifier: str, name: str, established_on: date, industry: str, capital: int
    ) -> Subject:
        sid = self.ids.next("subjects")
        self.rows.add(
            "bureau.subjects",
            (
                sid,
                "ORGANISATION",
                identifier,
                name,
                None,
                None,
                established_on,
                industry,
                money_text(capital),
                LOADED_AT,
            ),
        )
        return self._register(Subject(sid, identifier, name, "ORGANISATION"))

    def _register(self, subject: Subject) -> Subject:
        self.facts[subject.id] = Facts()
        self.subjects.append(subject)
        return subject

    def principal(self, organisation: Subject, person: Subject, role: str, since: date) -> None:
        share = Decimal("0.6000") if role == "INVESTOR" else None
        self.rows.add(
            "bureau.organisation_principals", (organisation.id, person.id, role, share, since)
        )

    def phone(self, subject: Subject, number: str, reported_on: date, bank: Institution) -> None:
        self.rows.add(
            "bureau.phones",
            (
                self.ids.next("phones"),
                subject.id,
                number,
                reported_on,
                self.institution_ids[bank.code],
            ),
        )

    def address(
        self, subject: Subject, kind: str, address: str, status: str | None, reported_on: date
    ) -> None:
        self.rows.add(
            "bureau.addresses",
            (self.ids.next("addresses"), subject.id, kind, address, status, reported_on),
        )

    def employment(
        self,
        subject: Subject,
        employer: str,
        employer_subject: Subject | None,
        occupation: str,
        started_on: date,
        reported_on: date,
    ) -> None:
        self.rows.add(
            "bureau.employments",
            (
                self.ids.next("employments"),
                subject.id,
                employer,
                employer_subject.id if employer_subject else None,
                occupation,
                started_on,
                reported_on,
            ),
        )

    def education(self, subject: Subject, level: str, school: str, graduated_on: date) -> None:
        self.rows.add(
            "bureau.educations",
            (
                self.ids.next("educations"),
                subject.id,
                level,
                school,
                graduated_on,
                graduated_on + timedelta(days=400),
            ),
        )

    def marry(self, a: Subject, b: Subject, started_on: date) -> None:
        mid = self.ids.next("marriages")
        self.rows.add("bureau.marriages", (mid, started_on, None, None))
        during = Range(started_on, None, lower_inc=True, upper_inc=False)
        self.rows.add("bureau.marriage_partners", (mid, a.id, during))
        self.rows.add("bureau.marriage_partners", (mid, b.id, during))

    # -- credit -------------------------------------------------------------

    def account(
        self,
        kind: str,
        lender: Institution,
        borrowers: list[Subject],
        opened_on: date,
        amount: int,
        conduct: Conduct,
        *,
        term_months: int | None = None,
        purpose: str | None = None,
        closed_on: date | None = None,
    ) -> int:
        """An account with its parties and its monthly history; returns its id.

        `amount` (cents) is the principal of a loan or the limit of a card or
        revolving line. The first borrower is the primary one, the others
        co-borrowers (a joint loan shows on every borrower's report).
        """
        rng = self.rng
        aid = self.ids.next("credit_accounts")
        loan = kind in LOAN_KINDS
        open_month = month_number(opened_on)
        matures_on = add_months(opened_on, term_months) if loan and term_months else None
        settles = conduct not in (Conduct.CURRENT_OVERDUE, Conduct.BAD_DEBT)
        if matures_on is not None and closed_on is None and matures_on <= DATA_DATE and settles:
            closed_on = matures_on
        last_month = month_number(closed_on) if closed_on else DATA_MONTH
        first_month = max(open_month, FIRST_HISTORY_MONTH)
        statuses = list(grid(rng, last_month - first_month + 1, conduct, card=not loan))
        if closed_on is not None and statuses:
            statuses[-1] = "C"

        instalment = amount // term_months if loan and term_months else 0
        balance = amount
        # The most numerous row by far, so written as its COPY line here, money in
        # money_text's format inline (every amount here is zero or more). Most months are
        # normal ones ("N": the amount due paid, nothing overdue), whose loan instalment text
        # is the same every month, so that case is spelled once per account.
        lines = self._repayment_lines
        append = lines.append
        months = _MONTH_TEXT
        getrandbits = rng.getrandbits
        head = f"{aid}\t"
        instalment_text = f"{instalment // 100}.{instalment % 100:02d}"
        normal_loan_due = f"\tN\t{instalment_text}\t{instalment_text}\t0.00\t"
        # rng.randint(amount // 20 + 100, amount * 9 // 10) for a card's monthly balance,
        # drawn exactly as Random.randint draws it (getrandbits of the width's bit length
        # until one falls below the width), inline: this runs for every month of every card
        low = amount // 20 + 100
        width = amount * 9 // 10 - low + 1
        bits = width.bit_length()
        for offset, symbol in enumerate(statuses):
            month = first_month + offset
            month_text = months[month - FIRST_HISTORY_MONTH]
            if loan:
                balance = max(amount - instalment * (month - open_month + 1), 0)
                if symbol == "N":
                    if balance:
                        append(
                            f"{head}{month_text}{normal_loan_due}"
                            f"{balance // 100}.{balance % 100:02d}\n"
                        )
                    else:
                        append(f"{head}{month_text}\tN\t0.00\t0.00\t0.00\t0.00\n")
                    continue
                due = instalment
            else:
                if symbol == "*":
                    balance = 0
                else:
                    drawn = getrandbits(bits)
                    while drawn >= width:
                        drawn = getrandbits(bits)
                    balance = low + drawn
                due = balance // 10
                if symbol == "N":
                    due_text = f"{due // 100}.{due % 100:02d}"
                    append(
                        f"{head}{month_text}\tN\t{due_text}\t{due_text}\t0.00"
                        f"\t{balance // 100}.{balance % 100:02d}\n"
                    )
                    continue
            if symbol == "C":
                due, paid, overdue, balance = 0, balance, 0, 0
            elif symbol == "*":
                due, paid, overdue = 0, 0, 0
            else:  # 1 to 7 months overdue
                due = max(due, 100)
                paid, overdue = 0, due * int(symbol)
                balance = max(balance, overdue)  # what is overdue is still owed
            append(
                f"{head}{month_text}\t{symbol}"
                f"\t{due // 100}.{due % 100:02d}\t{paid // 100}.{paid % 100:02d}"
                f"\t{overdue // 100}.{overdue % 100:02d}\t{balance // 100}.{balance % 100:02d}\n"
            )

        last = statuses[-1] if statuses else "N"
        if closed_on is not None:
            status, balance = "CLOSED", 0
        elif last in "1234567":
            # written off only once it ran past 180 days; younger ones are overdue
            status = "BAD_DEBT" if conduct is Conduct.BAD_DEBT and last == "7" else "OVERDUE"
        else:
            status = "NORMAL"
        classification = None
        if loan:
            classification = {
                "NORMAL": "NORMAL",
                "CLOSED": "NORMAL",
                "BAD_DEBT": "LOSS",
            }.get(status, "SPECIAL_MENTION" if last in "12" else "SUBSTANDARD")
        self.rows.add(
            "bureau.credit_accounts",
            (
                aid,
                self.institution_ids[lender.code],
                f"{lender.code[8:12]}{aid:010d}",
                kind,
                purpose,
                money_text(amount) if loan else None,
                None if loan else money_text(amount),
                money_text(balance),
                term_months if loan else None,
                "EQUAL_INSTALMENT" if loan else "MINIMUM_PAYMENT",
                "MORTGAGE" if kind == "MORTGAGE" else "NONE",
                opened_on,
                matures_on,
                closed_on,
                status,
                classification,
                DATA_DATE,
            ),
        )
        for index, borrower in enumerate(borrowers):
            role = "PRIMARY_BORROWER" if index == 0 else "CO_BORROWER"
            self.rows.add("bureau.account_parties", (aid, borrower.id, role))
            self._credit_facts(borrower, open_month, statuses, loan, amount, balance, status)
        return aid

    def _credit_facts(
        self,
        subject: Subject,
        open_month: int,
        statuses: list[str],
        loan: bool,
        amount: int,
        balance: int,
        status: str,
    ) -> None:
        facts = self.facts[subject.id]
        facts.accounts += 1
        facts.first_month = min(open_month, facts.first_month or open_month)
        recent = "".join(statuses[-24:])
        longest, total = overdue_runs(recent)
        facts.longest_overdue_run_24 = max(facts.longest_overdue_run_24, longest)
        facts.overdue_months_24 += total
        facts.current_overdue |= status == "OVERDUE"
        facts.bad_debt |= status == "BAD_DEBT"
        if not loan and status != "CLOSED":
            facts.revolving_limit += amount
            facts.revolving_balance += balance

    def guarantee(
        self, guarantor: Subject, account_id: int, amount: int, starts_on: date, years: int = 3
    ) -> None:
        gid = self.ids.next("guarantees")
        ends_on = add_months(starts_on, 12 * years)
        self.rows.add(
            "bureau.guarantees",
            (
                gid,
                guarantor.id,
                account_id,
                f"GC{gid:08d}",
                "JOINT_AND_SEVERAL",
                money_text(amount),
                starts_on,
                ends_on,
                "ACTIVE" if ends_on > DATA_DATE else "RELEASED",
            ),
        )

    # -- public records -------------------------------------------------

    def enforcement(
        self,
        subject: Subject,
        court: Institution,
        filed_on: date,
        amount: int,
        applicant: str,
        *,
        concluded: bool = False,
    ) -> str:
        cid = self.ids.next("enforcement_cases")
        case_number = f"({filed_on.year})浙0106执{cid:04d}号"
        status = "CONCLUDED" if concluded else "IN_PROGRESS"
        closed_on = filed_on + timedelta(days=200) if concluded else None
        self.rows.add(
            "public_records.enforcement_cases",
            (
                cid,
                case_number,
                court.code,
                court.name,
                subject.identifier,
                subject.name,
                applicant,
                "借款合同纠纷 loan contract dispute",
                filed_on,
                money_text(amount),
                money_text(0 if concluded else amount),
                status,
                closed_on,
            ),
        )
        self.facts[subject.id].public_records += 0 if concluded else 1
        return case_number

    def dishonest(
        self, subject: Subject, court: Institution, case_number: str, published_on: date
    ) -> None:
        self.rows.add(
            "public_records.dishonest_listings",
            (
                self.ids.next("dishonest_listings"),
                subject.identifier,
                subject.name,
                case_number,
                court.code,
                court.name,
                "偿还借款本息 repay the loan with interest",
                "NONE",
                ["REFUSES_WITH_ABILITY_TO_PAY"],
                published_on,
                None,
                None,
            ),
        )
        self.facts[subject.id].public_records += 2

    def restriction(
        self,
        subject: Subject,
        court: Institution,
        case_number: str,
        issued_on: date,
        representative: Subject | None = None,
    ) -> None:
        self.rows.add(
            "public_records.consumption_restrictions",
            (
                self.ids.next("consumption_restrictions"),
                subject.identifier,
                subject.name,
                representative.identifier if representative else None,
                representative.name if representative else None,
                case_number,
                court.code,
                court.name,
                ["FLIGHTS", "HIGH_SPEED_RAIL_SOFT_SLEEPER", "STAR_HOTELS", "PRIVATE_SCHOOL_FEES"],
                issued_on,
                None,
            ),
        )
        self.facts[subject.id].public_records += 1

    def administrative_action(
        self,
        subject: Subject,
        authority: Institution,
        kind: str,
        decided_on: date,
        category: str,
        description: str,
        amount: int | None,
    ) -> None:
        aid = self.ids.next("administrative_actions")
        self.rows.add(
            "public_records.administrative_actions",
            (
                aid,
                kind,
                subject.identifier,
                subject.name,
                authority.code,
                authority.name,
                f"杭市监{decided_on.year}{aid:05d}号",
                category,
                description,
                money_text(amount) if amount is not None else None,
                decided_on,
                add_months(decided_on, 36) if kind == "PENALTY" else None,
            ),
        )
        if kind == "PENALTY":
            self.facts[subject.id].public_records += 1
        else:
            self.facts[subject.id].awards += 1

    def tax_arrear(
        self,
        subject: Subject,
        authority: Institution,
        tax_type: str,
        amount: int,
        period_start: date,
        settled_after_days: int | None = None,
    ) -> None:
        period_end = add_months(period_start, 3) - timedelta(days=1)
        recorded_on = period_end + timedelta(days=45)
        settled_on = None
        if settled_after_days is not None:
            settled_on = min(recorded_on + timedelta(days=settled_after_days), DATA_DATE)
        self.rows.add(
            "public_records.tax_arrears",
            (
                self.ids.next("tax_arrears"),
                subject.identifier,
                subject.name,
                authority.code,
                authority.name,
                tax_type,
                money_text(amount),
                period_start,
                period_end,
                recorded_on,
                settled_on,
            ),
        )
        if settled_on is None:
            self.facts[subject.id].public_records += 1
            self.facts[subject.id].public_dues += 1

    def list_entry(
        self,
        subject: Subject,
        authority: Institution,
        colour: str,
        list_name: str,
        reason: str,
        notice_starts_on: date,
        state: str,
    ) -> None:
        """A red or black list entry in `state`.

        NOTICE (in its public notice period), IN_FORCE, OBJECTED (objection
        upheld: never took effect), DISMISSED (objection dismissed, then in
        force) or EXITED (repaired after a year in force).
        """
        notice_ends_on = working_days_after(notice_starts_on, 7)
        objection_filed_on = objection_outcome = effective_on = exited_on = exit_reason = None
        if state == "OBJECTED":
            objection_filed_on = notice_starts_on + timedelta(days=2)
            objection_outcome, exited_on, exit_reason = "UPHELD", notice_ends_on, "OBJECTION_UPHELD"
        elif state == "DISMISSED":  # objected, objection dismissed, then in force
            objection_filed_on = notice_starts_on + timedelta(days=3)
            objection_outcome = "DISMISSED"
            effective_on = notice_ends_on + timedelta(days=10)
        elif state in ("IN_FORCE", "EXITED"):
            effective_on = notice_ends_on + timedelta(days=1)
            if state == "EXITED":
                exited_on = min(add_months(effective_on, 12), DATA_DATE)
                exit_reason = "REPAIRED"
        self.rows.add(
            "public_records.list_entries",
            (
                self.ids.next("list_entries"),
                colour,
                list_name,
                subject.identifier,
                subject.name,
                authority.code,
                authority.name,
                reason,
                notice_starts_on,
                notice_ends_on,
                objection_filed_on,
                objection_outcome,
                effective_on,
                exited_on,
                exit_reason,
            ),
        )
        if colour == "BLACK" and state in ("NOTICE", "IN_FORCE", "DISMISSED"):
            self.facts[subject.id].public_records += 1
        if colour == "RED" and state in ("IN_FORCE", "DISMISSED"):
            self.facts[subject.id].red_listed = True

    def civil_judgment(
        self, subject: Subject, court: Institution, filed_on: date, cause: str, amount: int
    ) -> None:
        jid = self.ids.next("civil_judgments")
        self.rows.add(
            "public_records.civil_judgments",
            (
                jid,
                subject.identifier,
                subject.name,
                f"({filed_on.year})浙0106民初{jid:04d}号",
                court.code,
                court.name,
                cause,
                filed_on,
                filed_on + timedelta(days=120),
                "JUDGMENT",
                money_text(amount),
            ),
        )

    def utility_arrear(
        self, subject: Subject, provider: str, service: str, amount: int, since: date
    ) -> None:
        self.rows.add(
            "public_records.utility_arrears",
            (
                self.ids.next("utility_arrears"),
                subject.identifier,
                provider,
                service,
                money_text(amount),
                month_start(month_number(since)),
                since + timedelta(days=90),
            ),
        )
        self.facts[subject.id].public_records += 1
        self.facts[subject.id].public_dues += 1

    def licence(
        self, subject: Subject, licence_type: str, authority: str, issued_on: date, years: int
    ) -> None:
        lid = self.ids.next("licences")
        expires_on = add_months(issued_on, 12 * years)
        self.rows.add(
            "public_records.licences",
            (
                lid,
                subject.identifier,
                licence_type,
                f"{licence_type[:2].upper()}{lid:08d}",
                authority,
                issued_on,
                expires_on,
                "VALID" if expires_on > DATA_DATE else "EXPIRED",
            ),
        )

    def social_insurance(
        self, subject: Subject, region: str, employer: str, started_on: date, base: int
    ) -> None:
        last_paid = month_start(DATA_MONTH - 1)
        for scheme in ("PENSION", "MEDICAL"):
            self.rows.add(
                "public_records.social_insurance",
                (
                    self.ids.next("social_insurance"),
                    subject.identifier,
                    region,
                    employer,
                    scheme,
                    started_on,
                    last_paid,
                    money_text(base),
                    "PAYING",
                    DATA_DATE,
                ),
            )
        self.rows.add(
            "public_records.housing_fund",
            (
                self.ids.next("housing_fund"),
                subject.identifier,
                region,
                employer,
                started_on,
                last_paid,
                money_text(base * 12 // 100),
                "PAYING",
                DATA_DATE,
            ),
        )

    # -- the subject's own records -----------------------------------------

    def fraud_alert(self, subject: Subject, phone: str, placed_on: date, note: str) -> None:
        placed_at = moment(placed_on)
        self.rows.add(
            "bureau.fraud_alerts",
            (
                self.ids.next("fraud_alerts"),
                subject.id,
                "INITIAL",
                phone,
                note,
                placed_at,
                placed_at.replace(year=placed_at.year + 1),
            ),
        )

    def statement(self, subject: Subject, text: str, added_on: date) -> None:
        self.rows.add(
            "bureau.statements", (self.ids.next("statements"), subject.id, text, moment(added_on))
        )

    # -- inquiries and the grants behind them -------------------------------

    def hard_inquiry(self, subject: Subject, bank: Institution, on: date, purpose: str) -> None:
        """A lender's look under the subject's written authorisation, which the lender
        recorded and the subject confirmed."""
        grant_id = uuid.UUID(int=self._uuid_rng.getrandbits(128), version=4)
        granted_at = moment(on, 9)
        evidence = hashlib.sha256(f"{subject.identifier}:{bank.code}:{on}".encode()).hexdigest()
        self.rows.add(
            "gateway.consent_grants",
            (
                grant_id,
                subject.identifier,
                subject.identifier,
                self.requester_ids[bank.code],
                purpose,
                "BANK",
                granted_at,
                granted_at + timedelta(days=90),
                "GRANTEE",
                "operator-01",
                f"sha256:{evidence}",
                granted_at,
                granted_at,  # confirmed by the subject at once: only then is it ACTIVE
            ),
        )
        self._inquiry(subject, bank, on, purpose, "BANK", grant_id)
        if (DATA_DATE - on).days <= 183:
            self.facts[subject.id].hard_inquiries_6m += 1

    def post_loan_inquiry(self, subject: Subject, bank: Institution, on: date) -> None:
        self._inquiry(subject, bank, on, "POST_LOAN_MANAGEMENT", "BANK", None)

    def self_inquiry(self, subject: Subject, on: date) -> None:
        """The subject looking at their own report: recorded, never a hard inquiry."""
        rid = self.requester_ids.get(subject.identifier)
        if rid is None:
            rid = self.ids.next("requesters")
            self.requester_ids[subject.identifier] = rid
            self.rows.add(
                "gateway.requesters", (rid, "SUBJECT", subject.identifier, subject.name, LOADED_AT)
            )
        self.rows.add(
            "gateway.inquiries",
            (
                self.ids.next("inquiries"),
                subject.identifier,
                rid,
                None,
                "SELF",
                "SUBJECT",
                None,
                moment(on, 20),
            ),
        )

    def _inquiry(
        self,
        subject: Subject,
        bank: Institution,
        on: date,
        purpose: str,
        edition: str,
        grant_id: uuid.UUID | None,
    ) -> None:
        self.rows.add(
            "gateway.inquiries",
            (
                self.ids.next("inquiries"),
                subject.identifier,
                self.requester_ids[bank.code],
                "operator-01",
                purpose,
                edition,
                grant_id,
                moment(on, 11),
            ),
        )

    def random_bank(self) -> Institution:
        return self.rng.choice(BANKS)
