"""The anonymiser engine: every format of every identifier, generalisation, overlaps, warnings.

Pure Python: no database, no Django.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from consent.anonymiser import IdentifierError, Identifiers, find_identifiers, redact
from consent.anonymiser.engine import Result

TODAY = dt.date(2026, 3, 20)

CASE: dict[str, Any] = {
    "names": ["Lina Andersson", "Lillan"],
    "personnummer": ["19850612-2384"],
    "addresses": ["Storgatan 12, 591 30 Motala"],
    "phones": ["070-123 45 67"],
    "emails": ["lina.andersson@example.se"],
    "schools": ["Charlottenborgsskolan"],
    "other": ["Pizzeria Gondolen"],
    "relatives": ["Mikael Andersson"],
    "children": [
        {"name": "Elsa Andersson", "birth_date": "2015-08-22"},
        {"name": "Oskar", "birth_date": "2018-01-03"},
    ],
}


def run(text: str, identifiers: dict[str, Any] | None = None) -> Result:
    return redact(text, CASE if identifiers is None else identifiers, today=TODAY)


def removed(text: str, identifiers: dict[str, Any] | None = None) -> list[tuple[str, str]]:
    """(original text, category) of every redaction."""
    return [(text[r.start : r.end], r.category) for r in run(text, identifiers).redactions]


def assert_removed(text: str, value: str, category: str, ids: dict[str, Any] | None = None) -> None:
    result = run(text, ids)
    spans = [(text[r.start : r.end], r.category) for r in result.redactions]
    assert (value, category) in spans, spans
    assert value not in result.text


# --- personnummer and samordningsnummer ---------------------------------------------------


@pytest.mark.parametrize(
    "written",
    [
        "850612-2384",
        "8506122384",
        "198506122384",
        "19850612-2384",
        "19850612 2384",
        "850612 2384",
        "850612+2384",
        "850612–2384",
        "850612 - 2384",
        "85 06 12-23 84",
        "850612-XXXX",
        "1985-06-12",
        "850612",
    ],
)
def test_the_cases_personnummer_goes_in_every_format(written: str) -> None:
    text = f"Hon uppger personnummer {written} vid samtalet."
    result = run(text)
    assert [r.category for r in result.redactions] == ["personnummer"]
    assert result.text == "Hon uppger personnummer [personnummer] vid samtalet."


@pytest.mark.parametrize(
    "number",
    ["790304-4100", "19790304-4100", "7903044100", "900671-8499", "20150822-2385"],
)
def test_someone_elses_personnummer_and_samordningsnummer_go_by_pattern(number: str) -> None:
    assert_removed(f"Mannen har personnummer {number}.", number, "personnummer", {})


@pytest.mark.parametrize("number", ["920101-1234", "870301-0000", "19920101 1234"])
def test_a_look_alike_with_a_wrong_check_digit_is_removed_all_the_same(number: str) -> None:
    result = run(f"Personnummer {number} enligt journalen.", {})
    assert result.text == "Personnummer [personnummer] enligt journalen."
    assert "kontrollsiffran" in result.redactions[0].reason


def test_ten_digits_that_are_not_a_date_are_not_taken_for_a_personnummer() -> None:
    assert run("Ärendenummer 4599887766 i systemet.", {}).redactions == ()


# --- phones ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "written",
    [
        "070-123 45 67",
        "070-1234567",
        "0701234567",
        "070 123 45 67",
        "070.123.45.67",
        "+46 70 123 45 67",
        "+46701234567",
        "+46 (0)70-123 45 67",
        "0046701234567",
        "0046 70 123 45 67",
        "(070) 123 45 67",
    ],
)
def test_the_cases_phone_goes_in_national_and_international_formats(written: str) -> None:
    text = f"Nås på {written} efter klockan tre."
    result = run(text)
    assert [(text[r.start : r.end], r.category) for r in result.redactions] == [(written, "phone")]
    assert result.text == "Nås på [telefon] efter klockan tre."


@pytest.mark.parametrize(
    "number",
    [
        "073-555 12 34",
        "0735551234",
        "013-12 34 56",
        "08-123 456 78",
        "0141-21 23 45",
        "0142-500 00",
        "+46 76 000 12 12",
        "0046 72 345 67 89",
        "+90 532 123 45 67",
    ],
)
def test_other_peoples_phone_numbers_go_by_pattern(number: str) -> None:
    assert_removed(f"Maken ringde från {number} i går.", number, "phone", {})


def test_small_numbers_and_amounts_are_not_phone_numbers() -> None:
    text = "Hon fick 12000 kr, 3 barn bor hemma och mötet är 14.30 i rum 204."
    assert [r.category for r in run(text, {}).redactions] == []


# --- e-mail ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "written",
    [
        "lina.andersson@example.se",
        "LINA.ANDERSSON@EXAMPLE.SE",
        "Lina.Andersson@Example.se",
        "lina.andersson @ example.se",
        "lina.andersson(at)example.se",
        "lina.andersson [at] example.se",
    ],
)
def test_the_cases_email_goes_in_any_casing_and_obfuscation(written: str) -> None:
    assert_removed(f"Skriv till {written} i första hand.", written, "email")


@pytest.mark.parametrize(
    "address", ["kent.j@gmail.com", "robin_n+spam@hotmail.com", "eva@foretaget.co.uk"]
)
def test_other_peoples_email_goes_by_pattern(address: str) -> None:
    assert_removed(f"Hot kom från {address}. Sedan tystnad.", address, "email", {})


# --- addresses and postal codes ------------------------------------------------------------


@pytest.mark.parametrize(
    "written",
    [
        "Storgatan 12",
        "storgatan 12",
        "STORGATAN  12 B",
        "Storgatan 12B",
        "Storgatan\n12",
        "Storgatan 12, lgh 1102",
    ],
)
def test_the_cases_address_goes_in_any_spelling(written: str) -> None:
    assert_removed(f"Hon bor på {written} i centrum.", written, "address")


@pytest.mark.parametrize("written", ["Storg. 12", "storg 12", "Storgat. 12 B"])
def test_the_cases_address_goes_when_abbreviated(written: str) -> None:
    assert_removed(f"Hon bor på {written} sedan i våras.", written, "address")


@pytest.mark.parametrize("written", ["Folkungav. 22", "Bryggareg. 3", "Kungsv. 5"])
def test_abbreviated_streets_of_other_people_go_by_pattern(written: str) -> None:
    assert_removed(f"Grannen på {written} ringde.", written, "address", {})


def test_the_cases_street_goes_even_without_its_number() -> None:
    assert_removed("Hon flyttade från Storgatan förra året.", "Storgatan", "address")
    assert_removed("Hon flyttade från Storgatans hörn.", "Storgatans", "address")


def test_the_word_after_a_house_number_is_not_taken_for_a_door_letter() -> None:
    result = run("Hon bor på Storgatan 12 i centrum.")
    assert result.text == "Hon bor på [adress] i centrum."


@pytest.mark.parametrize(
    "address",
    [
        "Ekvägen 4",
        "Drottninggatan 35",
        "tranbärsvägen 9",
        "Stationsgatan 4 lgh 1201",
        "Drottning Kristinas väg 5",
        "Malmgatan 3 B",
    ],
)
def test_other_peoples_addresses_go_by_pattern(address: str) -> None:
    assert_removed(f"Grannen på {address} hörde skrik.", address, "address", {})


def test_the_cases_postal_code_goes_with_and_without_space() -> None:
    assert_removed("Adress: 591 30 i stan.", "591 30", "postal_code")
    assert_removed("Adress: 59130 i stan.", "59130", "postal_code")


def test_other_postal_codes_go_by_pattern_and_an_unknown_town_after_them() -> None:
    text = "Hon har flyttat till 573 32 Tranås."
    assert removed(text, {}) == [("573 32", "postal_code"), ("Tranås", "place")]


# --- names ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "written",
    [
        "Lina",
        "LINA",
        "lina",
        "Linas",
        "Lina's",
        "LINA:s",
        "Andersson",
        "Anderssons",
        "Lina Andersson",
        "lina  andersson",
        "Lina\nAndersson",
        "Lina-Maria",
        "Lillan",
        "Lillans",
        "Li\u00adna",
        "Li\u200bna",
    ],
)
def test_the_cases_names_go_in_every_form(written: str) -> None:
    text = f"Enligt {written} bil var det hot."
    result = run(text)
    assert result.text == "Enligt [namn] bil var det hot.", result.text


def test_a_full_name_is_one_replacement_not_two() -> None:
    assert run("Samtal med Lina Andersson i dag.").text == "Samtal med [namn] i dag."


def test_a_name_ending_in_s_takes_the_apostrophe_genitive() -> None:
    ids = {"names": ["Lars Alex"]}
    assert run("Lars' bil och Alex' hund.", ids).text == "[namn] bil och [namn] hund."


def test_decomposed_letters_match_composed_names() -> None:
    ids = {"names": ["Åsa Öberg"]}
    assert run("Samtal med A\u030asa O\u0308berg.", ids).text == "Samtal med [namn]."


def test_relatives_and_children_get_their_own_replacements() -> None:
    result = run("Maken Mikael hämtade Elsa.")
    assert result.text == "Maken [anhörig] hämtade [barn]."
    assert [r.category for r in result.redactions] == ["relative", "child"]


def test_a_name_inside_another_word_is_left_alone() -> None:
    ids = {"names": ["Ann"]}
    assert run("En annan kvinna, Ann, kom.", ids).text == "En annan kvinna, [namn], kom."


def test_common_given_names_and_surnames_of_unregistered_people_go_by_pattern() -> None:
    text = "Grannen Kent Johansson och hennes väninna Dilan har vittnat."
    assert run(text, {}).text == "Grannen [namn] och hennes väninna [namn] har vittnat."


def test_a_surname_after_a_found_given_name_goes_with_it() -> None:
    text = "Vännen Tove Ek ringde och Kent Polisen-gruppen svarade."
    assert run(text, {}).text == "Vännen [namn] ringde och [namn] Polisen-gruppen svarade."


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Morbror Dragan bor i stan.", "Morbror [namn] bor i stan."),
        ("Hon bor hos grannen Jovica.", "Hon bor hos grannen [namn]."),
        ("Det var kusinen Zlatkos bil.", "Det var kusinen [namn] bil."),
        ("Hon ringde polisen. Mamma Polisen", "Hon ringde polisen. Mamma Polisen"),
    ],
)
def test_a_capitalised_word_after_a_word_for_a_person_is_taken_for_a_name(
    text: str, expected: str
) -> None:
    assert run(text, {}).text == expected


def test_guessed_names_are_not_refused_in_messages() -> None:
    assert find_identifiers("Morbror Dragan och Anna Svensson kommer.", {}) == []


# --- schools and other ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "written",
    [
        "Charlottenborgsskolan",
        "charlottenborgsskolan",
        "Charlottenborgsskolans",
        "Charlottenborgs skola",
        "Charlottenborgskolan",
    ],
)
def test_the_cases_school_goes_in_its_variants(written: str) -> None:
    assert_removed(f"Hon går på {written} sedan hösten.", written, "school")


def test_the_name_of_the_school_alone_is_removed_as_a_place() -> None:
    assert_removed("De bor i Charlottenborg.", "Charlottenborg", "place")


@pytest.mark.parametrize(
    "school", ["Ekbackeskolan", "Platengymnasiet", "förskolan Solstrålen", "Sankt Olofs skola"]
)
def test_other_schools_go_by_pattern(school: str) -> None:
    assert_removed(f"Eleven går på {school} sedan i höstas.", school, "school", {})


def test_generic_words_for_school_stay() -> None:
    text = "Skolan och förskolan har kontakt med gymnasiet och Grundskolan."
    assert run(text, {}).redactions == ()


def test_other_registered_details_go() -> None:
    assert_removed("Hon arbetar på PIZZERIA  GONDOLEN i centrum.", "PIZZERIA  GONDOLEN", "other")


# --- generalisation ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("Hon är 34 år.", "Hon är 30–39 år."),
        ("En 34-åring sökte hjälp.", "En 30–39-åring sökte hjälp."),
        ("En 34-årig kvinna.", "En 30–39-årig kvinna."),
        ("Kvinnan (34) sökte hjälp.", "Kvinnan (30–39) sökte hjälp."),
        ("Barnen är 5 och 7 år.", "Barnen är 5–9 år."),
        ("Sonen är 16 år gammal.", "Sonen är 15–19 år gammal."),
        ("En 8-åring.", "En 5–9-åring."),
    ],
)
def test_exact_ages_become_bands(written: str, expected: str) -> None:
    assert run(written, {}).text == expected


@pytest.mark.parametrize(
    "text",
    [
        "De har varit gifta i 25 år.",
        "Han dömdes till 2 års fängelse.",
        "Det hände för 3 år sedan.",
        "Efter 10 år flyttade hon.",
    ],
)
def test_durations_are_not_ages(text: str) -> None:
    assert run(text, {}).text == text


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("Hon kom 12 mars 2026 till oss.", "Hon kom mars 2026 till oss."),
        ("Hon kom den 12 mars till oss.", "Hon kom i mars 2026 till oss."),
        ("Hon kom 2026-03-12 till oss.", "Hon kom mars 2026 till oss."),
        ("Hon kom 12/3 till oss.", "Hon kom mars 2026 till oss."),
        ("Hon kom 12/3-25 till oss.", "Hon kom mars 2025 till oss."),
        ("Hon kom 12.03.2026 till oss.", "Hon kom mars 2026 till oss."),
        ("Hon kom måndagen den 9 mars till oss.", "Hon kom i mars 2026 till oss."),
        ("Den 14:e mars ringde hon.", "I mars 2026 ringde hon."),
        ("Hon kom 12–14 februari.", "Hon kom februari 2026."),
    ],
)
def test_dates_become_their_month(written: str, expected: str) -> None:
    assert run(written, {}).text == expected


def test_times_and_fractions_are_not_dates() -> None:
    text = "Mötet börjar 14.30 och tar 1/2 dag."
    assert run(text, {}).text == text


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("Hon bor i Motala.", "Hon bor i en kommun i västra länsdelen."),
        ("Hon bor i Norrköpings kommun.", "Hon bor i en kommun i östra länsdelen."),
        ("Hon bor i Valdemarsviks kommun.", "Hon bor i en kommun i östra länsdelen."),
        ("Motalas socialtjänst ringde.", "Kommunens socialtjänst ringde."),
        ("Hon bor i Borensberg.", "Hon bor i en ort i västra länsdelen."),
        ("Hon bor i Ydre.", "Hon bor i en kommun i Östergötland."),
        ("Hon bor i LINKÖPING.", "Hon bor i en kommun i centrala länsdelen."),
    ],
)
def test_municipalities_and_localities_become_their_county_part(
    written: str, expected: str
) -> None:
    assert run(written, {}).text == expected


def test_children_named_together_become_count_and_age_band() -> None:
    result = run("Barnen Elsa (10 år) och Oskar (8 år) går i skolan.")
    assert result.text == "Två barn i åldrarna 5–14 år går i skolan."
    assert result.summary == "Två barn i åldrarna 5–14 år."


def test_children_in_the_same_band_give_that_band() -> None:
    ids = {
        "children": [
            {"name": "Meron", "birth_date": "2017-01-20"},
            {"name": "Saba", "birth_date": "2019-05-05"},
        ]
    }
    result = run("Hon har två barn, Meron och Saba.", ids)
    assert result.text == "Hon har två barn i åldrarna 5–9 år."


def test_a_child_named_alone_stays_a_child() -> None:
    result = run("Elsas lärare ringde.")
    assert result.text == "[barn] lärare ringde."


def test_children_birth_dates_come_from_their_personnummer() -> None:
    ids = Identifiers.from_mapping(
        {"children": [{"name": "Elsa", "personnummer": "20150822-2385"}]}
    )
    assert ids.children[0].birth_date == dt.date(2015, 8, 22)
    assert "20150822-2385" in ids.personnummer


# --- overlaps and offsets -------------------------------------------------------------------


def test_offsets_point_into_the_input_and_rebuild_the_output() -> None:
    text = "LINA ringde från +46 70 123 45 67 den 12 mars om Storgatan 12 i Motala."
    result = run(text)
    rebuilt, position = [], 0
    for redaction in result.redactions:
        rebuilt.append(text[position : redaction.start])
        rebuilt.append(redaction.replacement)
        position = redaction.end
    rebuilt.append(text[position:])
    assert "".join(rebuilt) == result.text
    for redaction in result.redactions:
        assert result.text[redaction.output_start : redaction.output_end] == redaction.replacement


def test_overlapping_findings_are_removed_whole_and_named_after_the_longest() -> None:
    # The phone pattern and the postal-code pattern both match inside this number.
    text = "Ring 070 123 45 67."
    result = run(text, {})
    assert [(text[r.start : r.end], r.category) for r in result.redactions] == [
        ("070 123 45 67", "phone")
    ]


def test_the_cases_identifier_wins_a_tie_with_a_pattern_guess() -> None:
    # Ten digits starting with 0: the pattern could take it for a personnummer.
    ids = {"phones": ["0701234567"]}
    result = run("Nummer 0701234567.", ids)
    assert [r.category for r in result.redactions] == ["phone"]
    assert result.redactions[0].source == "case"


def test_json_output_has_exactly_the_documented_fields() -> None:
    result = run("Lina bor i Motala.")
    assert result.as_json() == {
        "text": "[namn] bor i en kommun i västra länsdelen.",
        "redactions": [
            {"start": 0, "end": 4, "category": "name", "replacement": "[namn]"},
            {
                "start": 11,
                "end": 17,
                "category": "municipality",
                "replacement": "en kommun i västra länsdelen",
            },
        ],
    }


def test_empty_text_and_no_identifiers_give_nothing() -> None:
    result = redact("", {})
    assert (result.text, result.redactions, result.warnings) == ("", (), ())


# --- rarity warnings ------------------------------------------------------------------------


def test_small_municipality_and_rare_occupation_warn() -> None:
    result = run("Kvinnan (34) bor i Ydre och arbetar som präst.", {})
    codes = [w.code for w in result.warnings]
    assert codes == ["rare_combination"]
    warning = result.warnings[0]
    assert "liten kommun" in warning.message and "ovanligt yrke" in warning.message
    assert [result.text[s:e] for s, e in warning.spans] == ["präst"]


def test_small_municipality_alone_gives_a_milder_warning() -> None:
    result = run("Kvinnan bor i Boxholm med sin man.", {})
    assert [w.code for w in result.warnings] == ["small_municipality"]


def test_the_cases_own_municipality_counts_even_if_the_text_does_not_name_it() -> None:
    ids = {"municipality": "0512", "names": ["Lina"]}
    result = run("Lina är tandläkare.", ids)
    assert [w.code for w in result.warnings] == ["rare_combination"]


def test_several_rare_details_warn_in_a_large_municipality() -> None:
    result = run("Hon bor i Linköping, är imam och har ALS.", {})
    assert [w.code for w in result.warnings] == ["rare_details"]


def test_an_ordinary_text_in_a_large_municipality_gives_no_warning() -> None:
    result = run("Kvinnan bor i Linköping och har två barn. Hon arbetar inom vården.", {})
    assert result.warnings == ()


def test_capitalised_words_left_inside_a_sentence_are_flagged_as_possible_names() -> None:
    result = run("Sekreteraren Bo Ek ringde. Polisen kom.", {})
    warning = next(w for w in result.warnings if w.code == "possible_name")
    assert [result.text[s:e] for s, e in warning.spans] == ["Bo", "Ek"]


# --- message check --------------------------------------------------------------------------


def test_find_identifiers_reports_numbers_and_the_cases_names_but_not_dates_or_ages() -> None:
    text = "Lina (34) ringde 12 mars från 073-555 12 34; Anna på skolan vet."
    found = [(text[r.start : r.end], r.category) for r in find_identifiers(text, CASE)]
    assert found == [("Lina", "name"), ("073-555 12 34", "phone")]


def test_find_identifiers_finds_nothing_in_a_clean_message() -> None:
    assert find_identifiers("Vi ses på mötet i morgon klockan nio.", CASE) == []


# --- validation -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("identifiers", "message"),
    [
        ([], "”identifiers” ska vara ett objekt."),
        ({"phone": ["070"]}, "Okända nycklar i ”identifiers”: ”phone”."),
        ({"names": "Lina"}, "”identifiers.names” ska vara en lista med texter."),
        ({"names": ["Lina", 3]}, "”identifiers.names[1]” ska vara en text."),
        ({"children": [{"name": "Elsa", "birth_date": "22/8"}]}, "birth_date ska vara ett datum"),
        ({"names": ["x" * 301]}, "är för lång"),
    ],
)
def test_identifiers_of_the_wrong_shape_are_refused_in_swedish(
    identifiers: Any, message: str
) -> None:
    with pytest.raises(IdentifierError) as error:
        redact("text", identifiers)
    assert message in str(error.value)


def test_a_refusal_never_repeats_the_value() -> None:
    with pytest.raises(IdentifierError) as error:
        redact("text", {"names": ["Lina", {"hemligt": "19850612-2384"}]})
    assert "19850612" not in str(error.value)
