from decimal import Decimal

import pytest

from extractors.numbers import normalise_unit, parse_number, parse_vat_legend, parse_vat_rate, read_unit


@pytest.mark.parametrize(
    "text, expected",
    [
        ("1 234,56 €", "1234.56"),
        ("1234,56", "1234.56"),
        ("1.234,56", "1234.56"),
        ("1,234.56", "1234.56"),
        ("1 234,56 EUR", "1234.56"),
        ("1\u202f008,06\u00a0€", "1008.06"),
        ("-339,41 €", "-339.41"),
        ("0,80", "0.80"),
        ("12", "12"),
        ("1.234", "1234"),
        ("2 077,96", "2077.96"),
    ],
)
def test_parse_number_reads_every_printed_format(text, expected):
    assert parse_number(text) == Decimal(expected)


@pytest.mark.parametrize("text", ["", "Fft", "m2", "12 34,5", "abc 12"])
def test_parse_number_refuses_what_is_not_one_number(text):
    assert parse_number(text) is None


@pytest.mark.parametrize(
    "printed, unit",
    [("m²", "m2"), ("M2", "m2"), ("ml", "ml"), ("U", "u"), ("pce", "u"), ("unité", "u"), ("ens", "forfait"),
     ("Fft", "forfait"), ("Forfait", "forfait"), ("h", "h"), ("heure", "h"), ("KG", "kg"), ("m³", "m3"), ("jour", None)],
)
def test_units_are_normalised_to_the_contract(printed, unit):
    assert normalise_unit(printed) == unit


def test_vat_rates_and_legend_codes():
    codes = parse_vat_legend("Codes TVA : 1 = 20 % ; 2 = 10 % ; 3 = 5,5 %")
    assert codes == {"1": Decimal("0.2"), "2": Decimal("0.1"), "3": Decimal("0.055")}
    assert parse_vat_rate("2", codes) == Decimal("0.1")
    assert parse_vat_rate("20 %") == Decimal("0.2")
    assert parse_vat_rate("5,5") == Decimal("0.055")
    assert parse_vat_rate("20,00") == Decimal("0.2")
    assert parse_vat_rate("17 %") is None


@pytest.mark.parametrize(
    "read, unit",
    [("m2?", "m2"), ("nm", "m2"), ("::M2", "m2"), ("N2", "m2"), ("mil.", "ml"), (": ml", "ml"), ("Fit", "forfait"),
     ("FE", "forfait"), ("Fortait", "forfait"), ("pe", "u"), (":- pc", "u"), ("Ù", "u"), (":°KG", "kg"),
     ("m3?", "m3"), ("Ve", None), ("Total", None), ("", None)],
)
def test_ocr_misreadings_of_units_are_recognised(read, unit):
    assert read_unit(read) == unit
