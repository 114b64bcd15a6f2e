"""Automatic column matching against header sets real exports use."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.factories import table_from_columns
from zmed_gui.core.errors import OptionsError
from zmed_gui.core.mapping import (
    FieldSource,
    Mapping,
    auto_match,
    normalise_header,
    resolve_column,
    unmapped_columns,
    unmapped_required,
)
from zmed_gui.core.schema import FieldType, Schema, SchemaField, default_schema
from zmed_gui.core.table import CellValue, Table


def _by_header(headers: list[str], mapping: Mapping) -> dict[str, str]:
    return {
        name: headers[src.column] for name, src in mapping.sources.items() if src.column is not None
    }


def _table(headers: list[str], rows: int = 2) -> Table:
    return table_from_columns([[None] * rows for _ in headers], headers)


@pytest.mark.parametrize(
    "text", ["Customer_ID", "customer id", "CustomerID", "CUSTOMER-ID", " Customer.Id "]
)
def test_normalise_header_ignores_case_spacing_and_punctuation(text: str) -> None:
    assert normalise_header(text) == "customerid"


def test_normalise_header_folds_accents() -> None:
    assert normalise_header("Quantité") == normalise_header("quantite")


def test_exact_names_score_one() -> None:
    headers = ["CustomerId", "UsageIdentifier", "UsageDate", "Quantity"]
    m = auto_match(headers, default_schema())
    assert _by_header(headers, m) == {h: h for h in headers}
    assert all(src.confidence == 1.0 for src in m.sources.values())


def test_zuora_import_template_startdate_wins_over_enddate() -> None:
    headers = [
        "ACCOUNT_ID", "UOM", "QTY", "STARTDATE", "ENDDATE",
        "SUBSCRIPTION_ID", "CHARGE_ID", "DESCRIPTION", "UNIQUE_KEY",
    ]  # fmt: skip
    m = auto_match(headers, default_schema())
    assert _by_header(headers, m) == {
        "CustomerId": "ACCOUNT_ID",
        "UsageIdentifier": "UOM",
        "UsageDate": "STARTDATE",
        "Quantity": "QTY",
    }
    for src in m.sources.values():
        assert src.confidence is not None and 0.85 <= src.confidence < 1.0


def test_salesforce_report_export() -> None:
    headers = [
        "Account ID", "Account Name", "Product Code", "Product Name",
        "Usage Date", "Quantity", "Unit of Measure", "Opportunity ID",
    ]  # fmt: skip
    m = auto_match(headers, default_schema())
    found = _by_header(headers, m)
    assert found["CustomerId"] == "Account ID"
    assert found["UsageDate"] == "Usage Date"
    assert found["Quantity"] == "Quantity"
    assert found["UsageIdentifier"] in {"Product Code", "Unit of Measure"}


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        pytest.param(
            [
                "Internal ID", "Customer", "Item", "Date", "Quantity", "Amount",
                "Memo", "Document Number", "Type",
            ],
            {
                "CustomerId": "Customer",
                "UsageIdentifier": "Item",
                "UsageDate": "Date",
                "Quantity": "Quantity",  # the exact name beats "Amount"
            },
            id="netsuite_saved_search_export",
        ),
        pytest.param(
            [
                "id", "customer", "customer_email", "subscription_item", "price",
                "product", "quantity", "timestamp", "period_start", "period_end",
            ],
            {
                "CustomerId": "customer",
                "UsageIdentifier": "product",
                "UsageDate": "timestamp",
                "Quantity": "quantity",
            },
            id="stripe_usage_export",
        ),
        pytest.param(
            ["customerNumber", "usage_type", "eventTime", "UNITS"],
            {
                "CustomerId": "customerNumber",
                "UsageIdentifier": "usage_type",
                "UsageDate": "eventTime",
                "Quantity": "UNITS",
            },
            id="camel_case_and_snake_case_exports",
        ),
    ],
)  # fmt: skip
def test_known_exports_map_every_field(headers: list[str], expected: dict[str, str]) -> None:
    m = auto_match(headers, default_schema())
    assert _by_header(headers, m) == expected


def test_one_column_never_feeds_two_fields() -> None:
    headers = ["Usage", "Account"]  # "Usage" could be Quantity or (weakly) other fields
    m = auto_match(headers, default_schema())
    columns = [src.column for src in m.sources.values()]
    assert len(columns) == len(set(columns))


def test_unrelated_headers_stay_unmapped() -> None:
    headers = ["Account Name", "Unit Price", "Region Manager", "Notes"]
    m = auto_match(headers, default_schema())
    assert "CustomerId" not in m.sources
    assert "UsageDate" not in m.sources
    assert all((s.confidence or 0) >= 0.6 for s in m.sources.values())


def test_typo_matches_fuzzily_with_lower_confidence() -> None:
    headers = ["Quantiy"]
    m = auto_match(headers, default_schema())
    src = m.sources["Quantity"]
    assert src.column == 0
    assert src.confidence is not None and 0.6 <= src.confidence < 0.85


def test_custom_schema_fields_match_by_their_own_name() -> None:
    schema = Schema(
        [*default_schema().fields, SchemaField("Region", FieldType.STRING, required=False),
         SchemaField("EndDate", FieldType.DATETIME, required=False)]
    )  # fmt: skip
    headers = ["ACCOUNT_ID", "UOM", "QTY", "STARTDATE", "ENDDATE", "region"]
    found = _by_header(headers, auto_match(headers, schema))
    assert found["Region"] == "region"
    assert found["EndDate"] == "ENDDATE"
    assert found["UsageDate"] == "STARTDATE"


def test_samples_prefer_a_date_column_for_date_fields() -> None:
    headers = ["Period", "Time", "Account", "Qty"]
    samples: list[list[CellValue]] = [
        ["Q1", "Q2", "Q1"],  # "Period" holds labels, not dates
        [dt.datetime(2026, 3, 1, 9, 30), dt.datetime(2026, 3, 2, 10, 0)],
        ["A-1", "A-2"],
        [1, 2.5],
    ]
    m = auto_match(headers, default_schema(), samples)
    assert _by_header(headers, m)["UsageDate"] == "Time"
    without = auto_match(headers, default_schema())
    assert _by_header(headers, without)["UsageDate"] == "Period"


def test_samples_prefer_a_numeric_column_for_number_fields() -> None:
    headers = ["Usage", "Units"]
    samples: list[list[CellValue]] = [["High", "Low", "High"], ["3", "4,5", 7]]
    m = auto_match(headers, default_schema(), samples)
    assert _by_header(headers, m)["Quantity"] == "Units"


def test_date_only_column_takes_time_from_a_time_column() -> None:
    headers = ["Date", "Time", "Customer", "Qty"]
    samples: list[list[CellValue]] = [
        [dt.date(2026, 3, 1), dt.date(2026, 3, 2)],
        [dt.time(9, 30), "10:15"],
        ["C1", "C2"],
        [1, 2],
    ]
    m = auto_match(headers, default_schema(), samples)
    src = m.sources["UsageDate"]
    assert (src.column, src.time_column) == (0, 1)


def test_unmapped_required_and_columns() -> None:
    schema = default_schema()
    table = _table(["Account", "Qty", "Notes"])
    m = Mapping({"CustomerId": FieldSource(column=0), "Quantity": FieldSource(column=1),
                 "UsageIdentifier": FieldSource(constant="API_CALLS")})  # fmt: skip
    assert unmapped_required(schema, m) == ["UsageDate"]
    assert unmapped_columns(table, m) == [2]


def test_resolve_column_by_header_letter_or_normalised_text() -> None:
    table = _table(["Account ID", "Qty", "Usage Date"])
    assert resolve_column(table, "qty") == 1
    assert resolve_column(table, "C") == 2
    assert resolve_column(table, "account_id") == 0


def test_resolve_column_error_names_the_headers() -> None:
    table = _table(["Account ID", "Qty"])
    with pytest.raises(OptionsError) as err:
        resolve_column(table, "Amount")
    message = str(err.value)
    assert "'Amount'" in message and "'Account ID', 'Qty'" in message and "A to B" in message
    assert message.count(".") == 1 and message.endswith(".")


_HEADER_WORDS = [
    "Account", "ID", "Customer", "No", "Qty", "Date", "Start", "End", "Usage", "Type",
    "Product", "Code", "Name", "Units", "Time", "Region", "Amount", "_", " ", "-",
]  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.lists(st.sampled_from(_HEADER_WORDS), min_size=1, max_size=4).map("".join),
        min_size=0,
        max_size=12,
    )
)
def test_auto_match_invariants(headers: list[str]) -> None:
    schema = default_schema()
    m = auto_match(headers, schema)
    columns = [src.column for src in m.sources.values()]
    assert len(columns) == len(set(columns))
    for name, src in m.sources.items():
        assert schema.field(name) is not None
        assert src.column is not None and 0 <= src.column < len(headers)
        assert src.confidence is not None and 0.6 <= src.confidence <= 1.0
