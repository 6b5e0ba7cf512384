from datetime import date

import pytest
from falcon.testing import TestClient
from sqlalchemy.orm import Session, sessionmaker

from ledger import AccountKind, EntryRequest, LedgerService, PostingLine
from receipting.auth.keys import issue_key
from receipting.auth.scopes import Scope
from tests.integration.receipting.conftest import MakeClient

LEDGER_PATHS = [
    "/v1/ledger/accounts",
    "/v1/ledger/accounts/CARD/balance",
    "/v1/ledger/trial-balance",
]


def bearer(session_factory: sessionmaker[Session], *scopes: Scope) -> dict[str, str]:
    key = issue_key(session_factory, name="Finance reports", service="finance", scopes=scopes)
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def client(make_client: MakeClient, session_factory: sessionmaker[Session]) -> TestClient:
    """The API outside development, called with a key that may read the ledger."""
    app = make_client(development=False).app
    return TestClient(app, headers=bearer(session_factory, Scope.LEDGER_READ))


def post(ledger: LedgerService, day: date, debit: str, credit: str, amount_pence: int) -> None:
    ledger.post(
        EntryRequest(
            day,
            f"{debit} from {credit}",
            (PostingLine(debit, amount_pence), PostingLine(credit, -amount_pence)),
        )
    )


@pytest.fixture
def ledger(ledger_service: LedgerService) -> LedgerService:
    """A small chart with a card payment on 1 April and another on 2 April."""
    ledger_service.open_account("CARD", "Card clearing", AccountKind.ASSET)
    ledger_service.open_account("CTAX", "Council tax", AccountKind.INCOME)
    ledger_service.open_account("OLD", "Retired fund", AccountKind.INCOME)
    ledger_service.set_account_active("OLD", False)
    post(ledger_service, date(2026, 4, 1), "CARD", "CTAX", 12_50)
    post(ledger_service, date(2026, 4, 2), "CARD", "CTAX", 100_00)
    return ledger_service


def test_the_chart_of_accounts_lists_code_name_kind_and_active(
    client: TestClient, ledger: LedgerService
) -> None:
    result = client.simulate_get("/v1/ledger/accounts")

    assert result.status_code == 200
    assert result.json == {
        "accounts": [
            {"code": "CARD", "name": "Card clearing", "kind": "asset", "active": True},
            {"code": "CTAX", "name": "Council tax", "kind": "income", "active": True},
            {"code": "OLD", "name": "Retired fund", "kind": "income", "active": False},
        ]
    }


def test_a_balance_without_a_date_counts_every_entry(
    client: TestClient, ledger: LedgerService
) -> None:
    result = client.simulate_get("/v1/ledger/accounts/CTAX/balance")

    assert result.status_code == 200
    assert result.json == {"account_code": "CTAX", "as_at": None, "balance_pence": -112_50}


def test_a_balance_as_at_a_date_leaves_out_later_entries(
    client: TestClient, ledger: LedgerService
) -> None:
    result = client.simulate_get("/v1/ledger/accounts/CARD/balance", params={"as_at": "2026-04-01"})

    assert result.json == {"account_code": "CARD", "as_at": "2026-04-01", "balance_pence": 12_50}


def test_a_balance_read_after_sealing_is_unchanged(
    client: TestClient, ledger: LedgerService
) -> None:
    ledger.seal_all()

    result = client.simulate_get("/v1/ledger/accounts/CARD/balance")

    assert result.json["balance_pence"] == 112_50


def test_an_unknown_account_is_a_404_naming_the_code(
    client: TestClient, ledger: LedgerService
) -> None:
    result = client.simulate_get("/v1/ledger/accounts/NOPE/balance")

    assert result.status_code == 404
    assert result.json["code"] == "ACCOUNT_NOT_FOUND"
    assert result.json["field"] == "account_code"
    assert "'NOPE'" in result.json["description"]


@pytest.mark.parametrize("path", ["/v1/ledger/accounts/CARD/balance", "/v1/ledger/trial-balance"])
def test_a_badly_written_as_at_is_a_400_naming_the_field_and_the_format(
    client: TestClient, ledger: LedgerService, path: str
) -> None:
    result = client.simulate_get(path, params={"as_at": "31/03/2026"})

    assert result.status_code == 400
    assert result.json["code"] == "INVALID_REQUEST"
    assert result.json["field"] == "as_at"
    assert "YYYY-MM-DD" in result.json["description"]


def test_an_as_at_that_is_not_a_real_day_is_a_400(
    client: TestClient, ledger: LedgerService
) -> None:
    result = client.simulate_get("/v1/ledger/trial-balance", params={"as_at": "2026-02-30"})

    assert result.status_code == 400
    assert result.json["field"] == "as_at"


def test_the_trial_balance_lists_every_account_and_totals_zero(
    client: TestClient, ledger: LedgerService
) -> None:
    result = client.simulate_get("/v1/ledger/trial-balance")

    assert result.status_code == 200
    assert result.json == {
        "as_at": None,
        "lines": [
            {
                "account_code": "CARD",
                "name": "Card clearing",
                "kind": "asset",
                "balance_pence": 112_50,
            },
            {
                "account_code": "CTAX",
                "name": "Council tax",
                "kind": "income",
                "balance_pence": -112_50,
            },
            {"account_code": "OLD", "name": "Retired fund", "kind": "income", "balance_pence": 0},
        ],
        "total_pence": 0,
    }


def test_the_trial_balance_as_at_a_date_leaves_out_later_entries(
    client: TestClient, ledger: LedgerService
) -> None:
    result = client.simulate_get("/v1/ledger/trial-balance", params={"as_at": "2026-04-01"})

    balances = {line["account_code"]: line["balance_pence"] for line in result.json["lines"]}
    assert result.json["as_at"] == "2026-04-01"
    assert balances == {"CARD": 12_50, "CTAX": -12_50, "OLD": 0}
    assert result.json["total_pence"] == 0


def test_an_empty_ledger_has_an_empty_chart_and_a_zero_trial_balance(client: TestClient) -> None:
    assert client.simulate_get("/v1/ledger/accounts").json == {"accounts": []}
    assert client.simulate_get("/v1/ledger/trial-balance").json == {
        "as_at": None,
        "lines": [],
        "total_pence": 0,
    }


@pytest.mark.parametrize("development", [True, False], ids=["development", "production"])
@pytest.mark.parametrize("path", LEDGER_PATHS)
def test_the_ledger_refuses_a_request_without_a_key_whether_or_not_in_development(
    make_client: MakeClient, ledger: LedgerService, path: str, development: bool
) -> None:
    result = make_client(development=development).simulate_get(path)

    assert result.status_code == 401
    assert result.json["code"] == "UNAUTHENTICATED"
    assert "CARD" not in result.text.replace(path, "")


@pytest.mark.parametrize("path", LEDGER_PATHS)
def test_the_ledger_refuses_a_key_without_the_ledger_read_scope(
    make_client: MakeClient,
    session_factory: sessionmaker[Session],
    ledger: LedgerService,
    path: str,
) -> None:
    headers = bearer(session_factory, Scope.PAYMENTS_READ, Scope.PAYMENTS_WRITE)

    result = make_client(development=False).simulate_get(path, headers=headers)

    assert result.status_code == 403
    assert result.json["code"] == "FORBIDDEN"
    assert "ledger:read" in result.json["description"]
    assert "CARD" not in result.text.replace(path, "")
