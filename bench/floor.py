"""The floor of bench/peers.py: the bank underwriting operation answered by hand.

    DATABASE_URL=postgresql://... python bench/floor.py --port P

A Starlette endpoint that knows one operation, `BankUnderwriting`
(graphql/operations/bank_underwriting.graphql), and answers it for the
`identifier` variable with the JSON a federation gateway returns for it
without a policy: no parsing, validation, planning, federation, resolvers or
HTTP between services, only the SQL statements and the JSON. It reads the
data with the very statements the subgraphs run (their queries.sql files), in
waves on one pooled connection, and derives what the report derives (signals,
guarantee chains, list states) with the subgraphs' own functions, so it
cannot drift from them; what remains here is picking the operation's fields.
Anything else it is sent is refused with 400. bench/peers.py checks that its
answers equal the gateways' before it times anything.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

import asyncpg
import orjson
import uvicorn
from asyncpg.pool import PoolConnectionProxy
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from strawberry.utils.str_converters import to_camel_case

from creditgraph.bureau import dataloaders as bureau
from creditgraph.bureau import history
from creditgraph.bureau import types as b
from creditgraph.bureau.enums import PartyRole
from creditgraph.db.connect import create_pool
from creditgraph.public import dataloaders as public
from creditgraph.public import types as p
from creditgraph.scores import dataloaders as scores
from creditgraph.scores import types as s
from creditgraph.scores.enums import ScoreScale
from creditgraph.subgraphs.pagination import DEFAULT_PAGE_SIZE
from creditgraph.subgraphs.records import build_record

OPERATION = "BankUnderwriting"
MONTHS = 24  # the operation's $months default
PHONES = b.DEFAULT_PHONES
INQUIRIES = 20  # inquiries(first: 20)
CHAIN_DEPTH = b.DEFAULT_CHAIN_DEPTH
Row = asyncpg.Record
Connection = asyncpg.Connection | PoolConnectionProxy

# -- turning values and records into the operation's JSON ----------------------


def _json(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.name
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_json(item) for item in value]
    return value


def pick(record: Any, fields: str, **computed: Any) -> dict[str, Any]:
    """The named fields (snake_case, space-separated) of a record or row, and the computed
    ones, as JSON values under their GraphQL names."""
    read = record.__getitem__ if isinstance(record, Mapping | Row) else record.__getattribute__
    values = {name: read(name) for name in fields.split()} | computed
    return {to_camel_case(name): _json(value) for name, value in values.items()}


# -- reading ------------------------------------------------------------------


async def _rows(conn: Connection, sql: str, keys: Iterable[Any], *more: Any) -> list[Row]:
    return list(await conn.fetch(sql, list(dict.fromkeys(keys)), *more))


# the statements of dated records take a data period after their keys: the floor reads the
# report a subject reads of themself, with none
_DATED = frozenset(
    {
        "accounts_by_subject",
        "guarantees_by_guarantor",
        "disputes_by_subject",
        "statements_by_subject",
        "fraud_alerts_by_subject",
        "credit_summaries",
    }
)


def _by(rows: Iterable[Row], column: str) -> dict[Any, list[Row]]:
    grouped: dict[Any, list[Row]] = {}
    for row in rows:
        grouped.setdefault(row[column], []).append(row)
    return grouped


class Report:
    """Everything one subject's underwriting report reads, fetched in waves."""

    async def load(self, conn: Connection, identifier: str) -> bool:
        found = await _rows(conn, bureau.SQL["subjects_by_identifier"], [identifier])
        if not found:
            return False
        self.identifier = identifier
        self.subject_row = found[0]
        pk = int(found[0]["id"])
        b_sql, p_sql, s_sql = bureau.SQL, public.SQL, scores.SQL
        own = {
            name: await _rows(conn, b_sql[query], [pk], *([None] if query in _DATED else []))
            for name, query in (
                ("phones", "phones_by_subject"),
                ("addresses", "addresses_by_subject"),
                ("employments", "employments_by_subject"),
                ("educations", "educations_by_subject"),
                ("marriages", "marriages_by_subject"),
                ("principal_roles", "principal_roles_by_person"),
                ("accounts", "accounts_by_subject"),
                ("guarantees", "guarantees_by_guarantor"),
                ("summary", "credit_summaries"),
                ("disputes", "disputes_by_subject"),
                ("statements", "statements_by_subject"),
                ("fraud_alerts", "fraud_alerts_by_subject"),
            )
        }
        own["chains"] = list(await conn.fetch(b_sql["guarantee_chains"], [pk], CHAIN_DEPTH))
        own["inquiries"] = list(
            await conn.fetch(b_sql["inquiry_pages"], [identifier], [INQUIRIES], [None], None)
        )
        for name in (
            "enforcement_cases",
            "dishonest_listings",
            "consumption_restrictions",
            "civil_judgments",
            "administrative_actions",
            "tax_arrears",
            "utility_arrears",
            "social_insurance",
            "housing_fund",
            "licences",
            "list_entries",
        ):
            own[name] = await _rows(conn, p_sql[f"{name}_by_subject"], [identifier], None)
        own["observations"] = await _rows(conn, s_sql["observations_by_subject"], [identifier])
        self.own = own

        guarantees = own["guarantees"]
        self.guarantees = {row["id"]: row for row in guarantees}
        # a subject's accounts come with their lenders, parties and months (as the bureau
        # reads them); only the accounts its guarantees stand behind need their parties read
        self.accounts = {row["id"]: row for row in own["accounts"]}
        self.parties = {row["id"]: list(row["parties"]) for row in own["accounts"]}
        self.repayments = {row["id"]: list(row["months"]) for row in own["accounts"]}
        self.lenders = {row["lender_id"]: row["lender"] for row in own["accounts"]}
        guaranteed = [g["account_id"] for g in guarantees if g["account_id"] not in self.parties]
        if guaranteed:
            self.parties.update(
                _by(await _rows(conn, b_sql["parties_by_account"], guaranteed), "account_id")
            )

        self.spouse_id = next(
            (r["partner_id"] for r in own["marriages"] if r["ended_on"] is None), None
        )
        spouse = [] if self.spouse_id is None else [self.spouse_id]
        self.spouse_phones = await _rows(conn, b_sql["phones_by_subject"], spouse)
        self.spouse_employments = await _rows(conn, b_sql["employments_by_subject"], spouse)
        self.exposure = b.exposure_from_chains(own["chains"], CHAIN_DEPTH)
        subject_ids = [
            *spouse,
            *(r["organisation_id"] for r in own["principal_roles"]),
            *(party["subject_id"] for rows in self.parties.values() for party in rows),
            *(link.guarantor_id for link in self.exposure.links or []),
            *(link.borrower_id for link in self.exposure.links or []),
            *(member for circle in self.exposure.circles or [] for member in circle.member_ids),
        ]
        subjects = await _rows(conn, b_sql["subjects_by_id"], subject_ids)
        self.subjects = {row["id"]: row for row in subjects}

        self.observations = s.latest_per_model(s.on_scale(own["observations"], ScoreScale.BUREAU))
        self.models = {
            row["id"]: row
            for row in await _rows(
                conn, s_sql["models_by_id"], [o.model_id for o in self.observations]
            )
        }
        self.reasons = _by(
            await _rows(conn, s_sql["reasons_by_observation"], [o.pk for o in self.observations]),
            "observation_id",
        )
        return True

    # -- the answer -----------------------------------------------------------

    def subject(self, subject_id: int, fields: str) -> dict[str, Any]:
        return pick(self.subjects[subject_id], fields)

    def answer(self) -> dict[str, Any]:
        own = self.own
        today = date.today()
        listings = [p.DishonestListing.from_row(r) for r in own["dishonest_listings"]]
        entries = [p.ListEntry.from_row(r, today=today) for r in own["list_entries"]]
        cases = [p.EnforcementCase.from_row(r) for r in own["enforcement_cases"]]
        actions = [p.AdministrativeAction.from_row(r) for r in own["administrative_actions"]]
        arrears = [p.TaxArrear.from_row(r) for r in own["tax_arrears"]]
        blacklisted = any(x.active for x in listings) or any(e.black_in_force for e in entries)
        subject = b.Subject.from_row(self.subject_row, blacklisted=blacklisted)
        summary = b.summary_from(own["summary"][0], blacklisted=blacklisted)
        inquiries = [build_record(b.Inquiry, r) for r in own["inquiries"] if r["id"] is not None]
        now = datetime.now(UTC)
        return {
            **pick(
                subject,
                "id identifier kind name birth_date gender established_on industry "
                "registered_capital",
            ),
            "blacklisted": blacklisted,
            "phones": [pick(r, "number reported_on reported_by") for r in own["phones"][:PHONES]],
            "addresses": [
                pick(
                    build_record(b.Address, r),
                    "kind address residence_status reported_on reported_by",
                )
                for r in own["addresses"]
            ],
            "employments": [
                pick(
                    build_record(b.Employment, r),
                    "employer_name occupation title started_on reported_on reported_by",
                )
                for r in own["employments"]
            ],
            "educations": [
                pick(build_record(b.Education, r), "level school graduated_on reported_on")
                for r in own["educations"]
            ],
            "marriages": [
                pick(r, "started_on ended_on end_reason", current=r["ended_on"] is None)
                for r in own["marriages"]
            ],
            "spouse": self.spouse(),
            "principalRoles": [
                pick(
                    b.Principal.from_row(r),
                    "role share since until",
                    organisation=self.subject(r["organisation_id"], "identifier name"),
                )
                for r in own["principal_roles"]
            ],
            "accounts": {
                "totalCount": len(own["accounts"]),
                "nodes": [self.holding(link) for link in own["accounts"][:DEFAULT_PAGE_SIZE]],
            },
            "creditSummary": {
                **pick(
                    summary,
                    "data_month account_count open_account_count open_credit_card_count "
                    "total_balance revolving_balance revolving_limit utilisation "
                    "utilisation_level current_overdue_accounts current_overdue_amount "
                    "bad_debt bad_debt_count longest_overdue_run_24m overdue_months_24m "
                    "serious_delinquency serious_delinquency_accounts hard_inquiries_6m "
                    "hard_inquiry_warning guarantees_given guaranteed_amount",
                ),
                "fourNots": {
                    "passed": summary.four_nots.passed,
                    **{
                        to_camel_case(name): pick(
                            getattr(summary.four_nots, name), "passed reasons"
                        )
                        for name in ("not_black", "not_white", "not_too_many", "not_messy")
                    },
                },
            },
            "guaranteesGiven": [
                self.guarantee(self.guarantees[r["id"]]) for r in own["guarantees"]
            ],
            "guaranteeExposure": self.guarantee_exposure(),
            "inquiries": {
                "totalCount": int(own["inquiries"][0]["looks"]),
                "nodes": [
                    pick(i, "requester_name purpose edition inquired_at hard")
                    for i in inquiries[:INQUIRIES]
                ],
            },
            "disputes": [
                pick(
                    b.Dispute.from_row(r),
                    "id record_type record_id filed_at respond_by status outcome",
                )
                for r in own["disputes"]
            ],
            "statements": [pick(r, "text added_at withdrawn_at") for r in own["statements"]],
            "fraudAlerts": [
                pick(
                    r,
                    "kind contact_phone note placed_at expires_at",
                    active=r["lifted_at"] is None and r["expires_at"] > now,
                )
                for r in own["fraud_alerts"]
            ],
            "publicRecordCount": p.public_record_count(cases, listings, actions, arrears, entries),
            "enforcementCases": {
                "totalCount": len(cases),
                "nodes": [
                    pick(
                        c,
                        "case_number court_name filed_on amount amount_outstanding currency "
                        "status closed_on",
                    )
                    for c in cases[:DEFAULT_PAGE_SIZE]
                ],
            },
            "dishonestListings": [
                pick(
                    x,
                    "case_number court_name obligation performance reasons published_on "
                    "removed_on active",
                )
                for x in listings
            ],
            **self.public_lists(entries, actions, arrears),
            "scores": [self.score(o) for o in self.observations],
        }

    def public_lists(
        self,
        entries: Sequence[p.ListEntry],
        actions: Sequence[p.AdministrativeAction],
        arrears: Sequence[p.TaxArrear],
    ) -> dict[str, Any]:
        own = self.own
        return {
            "consumptionRestrictions": [
                pick(
                    p.ConsumptionRestriction.from_row(r),
                    "case_number court_name restrictions issued_on lifted_on active",
                )
                for r in own["consumption_restrictions"]
            ],
            "civilJudgments": [
                pick(
                    p.CivilJudgment.from_row(r),
                    "case_number court_name cause filed_on judged_on outcome amount",
                )
                for r in own["civil_judgments"]
            ],
            "administrativeActions": [
                pick(
                    a,
                    "kind authority_name decision_number category amount decided_on repaired_on",
                )
                for a in actions
            ],
            "taxArrears": [
                pick(a, "authority_name tax_type amount period_start period_end settled")
                for a in arrears
            ],
            "utilityArrears": [
                pick(
                    p.UtilityArrear.from_row(r),
                    "provider_name service amount since_month settled",
                )
                for r in own["utility_arrears"]
            ],
            "socialInsurance": [
                pick(
                    p.SocialInsuranceRecord.from_row(r),
                    "region scheme started_on last_paid_month status",
                )
                for r in own["social_insurance"]
            ],
            "housingFund": [
                pick(
                    p.HousingFundRecord.from_row(r),
                    "region started_on last_paid_month monthly_contribution status",
                )
                for r in own["housing_fund"]
            ],
            "licences": [
                pick(
                    p.Licence.from_row(r),
                    "licence_type licence_number authority_name issued_on expires_on status",
                )
                for r in own["licences"]
            ],
            "listEntries": [
                pick(
                    e,
                    "colour list_name authority_name reason effective_on exited_on state",
                )
                for e in entries
            ],
        }

    def spouse(self) -> dict[str, Any] | None:
        if self.spouse_id is None:
            return None
        return {
            **self.subject(self.spouse_id, "identifier name kind"),
            "phones": [pick(r, "number reported_on") for r in self.spouse_phones[:PHONES]],
            "employments": [
                pick(r, "employer_name occupation title started_on")
                for r in self.spouse_employments
            ],
        }

    def holding(self, link: Row) -> dict[str, Any]:
        account = b.CreditAccount.from_row(link)
        parties = self.parties.get(account.pk, [])
        end = history.history_end(account.closed_on, account.reported_on)
        rows = self.repayments.get(account.pk, [])
        return {
            "role": PartyRole(link["role"]).name,
            "joint": len(parties) > 1,
            "account": {
                **pick(
                    account,
                    "id account_number kind purpose currency principal credit_limit balance "
                    "term_months repayment_method collateral opened_on matures_on closed_on "
                    "status classification reported_on",
                ),
                "lender": pick(
                    b.Institution.from_row(self.lenders[self.accounts[account.pk]["lender_id"]]),
                    "code name kind",
                ),
                "parties": [
                    {
                        "role": PartyRole(r["role"]).name,
                        "subject": self.subject(r["subject_id"], "identifier name"),
                    }
                    for r in parties
                ],
                "repaymentGrid": {
                    "latestMonth": history.month_start(end).isoformat(),
                    "months": MONTHS,
                    "statuses": history.grid_statuses(
                        rows, opened_on=account.opened_on, end=end, months=MONTHS
                    ),
                },
                "repayments": {
                    "nodes": [
                        pick(
                            build_record(b.RepaymentMonth, r),
                            "month status amount_due amount_paid overdue_amount balance",
                        )
                        for r in history.in_window(rows, end=end, months=MONTHS)
                    ][: b.MAX_HISTORY_MONTHS]
                },
            },
        }

    def guarantee(self, row: Row) -> dict[str, Any]:
        primary = next(
            r["subject_id"]
            for r in self.parties[row["account_id"]]
            if r["role"] == "PRIMARY_BORROWER"
        )
        return pick(
            b.Guarantee.from_row(row),
            "id contract_number kind amount currency starts_on ends_on status",
        ) | {"borrower": self.subject(primary, "identifier name kind")}

    def guarantee_exposure(self) -> dict[str, Any]:
        exposure = self.exposure
        return {
            **pick(
                exposure,
                "max_depth direct_exposure chain_exposure total_exposure truncated",
            ),
            "links": [
                {
                    "depth": link.depth,
                    "amount": _json(link.amount),
                    "guarantor": self.subject(link.guarantor_id, "identifier name"),
                    "borrower": self.subject(link.borrower_id, "identifier name"),
                }
                for link in exposure.links or []
            ],
            "circles": [
                {"members": [self.subject(m, "identifier name") for m in circle.member_ids]}
                for circle in exposure.circles or []
            ],
        }

    def score(self, observation: s.ScoreObservation) -> dict[str, Any]:
        model = s.ScoreModel.from_row(self.models[observation.model_id])
        return {
            **pick(observation, "value band observed_at"),
            "model": pick(model, "provider_name name version scale min max"),
            "reasons": [
                pick(r, "rank code description impact")
                for r in self.reasons.get(observation.pk, [])
            ],
        }


# -- HTTP ---------------------------------------------------------------------

_NAMED = re.compile(rf"\bquery\s+{OPERATION}\b")


def _refuse(message: str) -> Response:
    body = orjson.dumps({"errors": [{"message": message, "extensions": {"code": "BAD_REQUEST"}}]})
    return Response(body, status_code=400, media_type="application/json")


def build_app(pool: asyncpg.Pool) -> Starlette:
    async def graphql(request: Request) -> Response:
        try:
            body = orjson.loads(await request.body())
            identifier = body["variables"]["identifier"]
        except (orjson.JSONDecodeError, KeyError, TypeError):
            return _refuse("send the BankUnderwriting operation with an identifier")
        if not isinstance(identifier, str) or not _NAMED.search(body.get("query") or ""):
            return _refuse("this endpoint answers the BankUnderwriting operation only")
        report = Report()
        async with pool.acquire() as conn:
            found = await report.load(conn, identifier)
        data = {"subject": report.answer() if found else None}
        return Response(orjson.dumps({"data": data}), media_type="application/json")

    async def healthz(request: Request) -> Response:
        return Response(b"ok\n", media_type="text/plain")

    return Starlette(
        routes=[
            Route("/graphql", graphql, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
        ]
    )


async def _serve(dsn: str, host: str, port: int) -> None:
    pool = await create_pool(dsn)
    try:
        config = uvicorn.Config(
            build_app(pool),
            host=host,
            port=port,
            log_level="warning",
            lifespan="off",
            timeout_keep_alive=75,
        )
        await uvicorn.Server(config).serve()
    finally:
        await pool.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    dsn = os.environ.get("DATABASE_URL")
    if not dsn:
        raise SystemExit("error: set DATABASE_URL to the seeded database")
    asyncio.run(_serve(dsn, args.host, args.port))


if __name__ == "__main__":
    main()
