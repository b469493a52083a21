"""Identity comparison, MRZ check digits and the purpose lexicon, column-wise, without a database."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from timpora.documents import mrz_batch
from timpora.documents.mrz import build_td3, read_td3
from timpora.matching.identity import DIFFERENT, LINKED, MISMATCH, NOISE, SAME, date_of_birth_verdict, score_pairs
from timpora.matching.names import name_similarity
from timpora.rules.config import (
    DeclaredActivity,
    LinkingSettings,
    RulesConfigError,
    load_rules_config,
    parse_rules_config,
)
from timpora.rules.document import document_findings
from timpora.rules.purpose import assess, declaring_texts

SPECIMEN = ("P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L898902C36UTO7408122F1204159ZE184226B<<<<<10")


def _lines(*pairs: tuple[str, str]) -> tuple[pd.Series, pd.Series]:
    return pd.Series([p[0] for p in pairs]), pd.Series([p[1] for p in pairs])


def _corrupt(line: str, position: int, char: str) -> str:
    return line[:position] + char + line[position + 1 :]


def test_icao_specimen_passes_every_check_digit() -> None:
    _, line2 = _lines(SPECIMEN)
    checks = mrz_batch.check_digits(line2)
    assert checks.iloc[0].all()
    assert read_td3(*SPECIMEN).valid
    fields = mrz_batch.read_fields(*_lines(SPECIMEN)).iloc[0]
    assert (fields["surname"], fields["given_names"], fields["passport_number"]) == (
        "ERIKSSON",
        "ANNA MARIA",
        "L898902C3",
    )
    assert (fields["date_of_birth"], fields["sex"], fields["expiry"]) == ("740812", "F", "120415")


@pytest.mark.parametrize(
    ("position", "char", "failing"),
    [
        (9, "7", {"passport_number", "composite"}),  # the number's check digit
        (2, "5", {"passport_number", "composite"}),  # a digit of the number itself
        (19, "3", {"date_of_birth", "composite"}),
        (15, "1", {"date_of_birth", "composite"}),
        (27, "8", {"expiry", "composite"}),
        (30, "X", {"personal_number", "composite"}),
        (42, "3", {"personal_number", "composite"}),
        (43, "1", {"composite"}),
    ],
)
def test_corrupted_specimen_fails_exactly_the_affected_check_digits(
    position: int, char: str, failing: set[str]
) -> None:
    corrupted = (SPECIMEN[0], _corrupt(SPECIMEN[1], position, char))
    checks = mrz_batch.check_digits(_lines(corrupted)[1]).iloc[0]
    assert {name for name, ok in checks.items() if not ok} == failing
    # The vectorised checks agree with the scalar reference reader.
    assert set(read_td3(*corrupted).failed_checks) == failing


def test_batch_checks_agree_with_the_scalar_reader_on_generated_passports() -> None:
    lines = [
        build_td3("DEU", "MÜLLER", "JÖRG", "C4F7K2L91", "D", date(1975, 11, 30), "M", date(2029, 3, 1)),
        build_td3("CHN", "ZHANG", "WEI", "E12345678", "CHN", date(1990, 1, 2), "M", date(2030, 5, 6), "A1B2C3"),
        build_td3("GBR", "O'NEILL", "SARAH JANE", "123456789", "GBR", date(1988, 2, 14), "F", date(2031, 6, 21)),
    ]
    corrupted = [(a, _corrupt(b, i * 7 + 1, "9" if b[i * 7 + 1] != "9" else "8")) for i, (a, b) in enumerate(lines)]
    everything = lines + corrupted
    checks = mrz_batch.check_digits(pd.Series([b for _, b in everything]))
    for row, pair in enumerate(everything):
        failed = {name for name, ok in checks.iloc[row].items() if not ok}
        assert failed == set(read_td3(*pair).failed_checks)
    assert checks.iloc[:3].to_numpy().all()


def test_document_findings_compare_mrz_with_typed_fields() -> None:
    good = build_td3("AUS", "SCOTT", "RUBY", "D00000001", "AUS", date(1991, 4, 18), "F", date(2031, 1, 1))
    other_birth = build_td3("AUS", "SCOTT", "RUBY", "D00000001", "AUS", date(1989, 4, 18), "F", date(2031, 1, 1))
    other_person = build_td3("AUS", "JONES", "MARK", "D00000001", "AUS", date(1991, 4, 18), "M", date(2031, 1, 1))
    expired = build_td3("AUS", "SCOTT", "RUBY", "D00000001", "AUS", date(1991, 4, 18), "F", date(2024, 1, 1))
    scans = [good, other_birth, other_person, expired, (good[0], ""), ("P<AUS", "123")]
    n = len(scans)
    cases = pd.DataFrame(
        {
            "mrz_line1": [s[0] or None for s in scans],
            "mrz_line2": [s[1] or None for s in scans],
            "passport_number": ["D00000001"] * n,
            "date_of_birth": ["1991-04-18"] * n,
            "sex": ["F"] * n,
            "nationality": ["AUS"] * n,
            "guest_surname": ["Scott"] * n,
            "guest_given_names": ["Ruby"] * n,
            "passport_expiry": ["2031-01-01"] * n,
            "check_in_date": ["2024-10-02"] * n,
        }
    )
    found = document_findings(cases, LinkingSettings())
    codes = [
        {c for c in found.columns if c.isupper() and bool(found.loc[i, c])}  # finding columns are upper case
        for i in range(n)
    ]
    assert codes[0] == set()
    assert codes[1] == {"MRZ_DATE_OF_BIRTH_DIFFERS"}
    assert codes[2] == {"MRZ_SEX_DIFFERS", "MRZ_NAME_DIFFERS"}
    assert codes[3] == {"MRZ_EXPIRED_BEFORE_STAY"}
    assert codes[4] == {"MRZ_INCOMPLETE"}
    assert codes[5] == {"MRZ_MALFORMED"}


@pytest.mark.parametrize(
    ("guest", "document", "verdict"),
    [
        (("HASSAN", "Mohammed"), ("HASSAN", "MUHAMMAD"), "noise"),
        (("Novikov", "Yuriy"), ("NOVIKOV", "IURII"), "noise"),
        (("KUZNETSOV", "alexey"), ("KUZNETSOV", "ALEKSEI"), "noise"),
        (("ABDELRAHMAN", "YUSUF"), ("ABDELRAHMAN", "YOUSSEF"), "noise"),
        (("Wei", "Zhang"), ("ZHANG", "WEI"), "same"),  # order swapped
        (("Müller", "Jörg"), ("MUELLER", "JOERG"), "same"),  # diacritics and their ICAO transliteration
        (("Muller", "Jorg"), ("MUELLER", "JOERG"), "noise"),
        (("SCHMDIT", "ANNA"), ("SCHMIDT", "ANNA"), "noise"),  # a typing slip
        (("O'Neill", "Sarah Jane"), ("ONEILL", "SARAH JANE"), "same"),
        (("LIU", "MING"), ("WANG", "FANG"), "different"),
        (("ZHANG", "FANG"), ("ZHANG", "WEI"), "different"),  # a shared surname does not carry a stranger
        (("ZHAO", "LEI"), ("ZHANG", "WEI"), "different"),
        (("SMITH", "JOHN"), ("SMITH", "JANE"), "different"),
    ],
)
def test_name_similarity_tolerates_noise_and_not_other_people(
    guest: tuple[str, str], document: tuple[str, str], verdict: str
) -> None:
    score = name_similarity(
        pd.Series([guest[0]]), pd.Series([guest[1]]), pd.Series([document[0]]), pd.Series([document[1]])
    )["score"].iloc[0]
    minimum = LinkingSettings().name_similarity_min
    assert {"same": score == 1.0, "noise": minimum <= score < 1.0, "different": score < minimum}[verdict], score


def test_name_similarity_of_a_mixed_batch_equals_scoring_every_pair_in_full() -> None:
    """Pairs spelled alike skip the scorers; the batch must still read as if none had."""
    from timpora.matching.names import fold, part_similarity

    pairs = [
        (("HASSAN", "Mohammed"), ("HASSAN", "MUHAMMAD")),
        (("Wei", "Zhang"), ("ZHANG", "WEI")),
        (("Müller", "Jörg"), ("MUELLER", "JOERG")),
        (("SMITH", "JOHN"), ("SMITH", "JOHN")),
        (("", ""), ("", "")),
        (("LI", ""), ("LI", "")),
        (("O'Neill", "Sarah Jane"), ("ONEILL", "SARAH JANE")),
        (("ZHANG", "FANG"), ("ZHANG", "WEI")),
        (("LEE", "LEE"), ("LEE", "LEE")),
    ] * 3
    columns = [pd.Series([pair[side][part] for pair in pairs]) for side in (0, 1) for part in (0, 1)]
    got = name_similarity(*columns)
    sur, giv, other_sur, other_giv = (fold(c) for c in columns)
    direct_s, direct_g = part_similarity(sur, other_sur), part_similarity(giv, other_giv)
    crossed_s, crossed_g = part_similarity(sur, other_giv), part_similarity(giv, other_sur)
    direct, crossed = (
        pd.Series(direct_s).combine(pd.Series(direct_g), min),
        pd.Series(crossed_s).combine(pd.Series(crossed_g), min),
    )
    swapped = crossed > direct
    assert got["swapped"].tolist() == swapped.tolist()
    assert got["score"].tolist() == pd.concat([direct, crossed], axis=1).max(axis=1).round(4).tolist()
    assert got["surname_score"].tolist() == pd.Series(crossed_s).where(swapped, direct_s).round(4).tolist()
    assert got["given_names_score"].tolist() == pd.Series(crossed_g).where(swapped, direct_g).round(4).tolist()


def test_birth_date_verdicts() -> None:
    guest = pd.Series(["1990-03-07", "1990-07-03", "1990-03-08", "1980-03-07", "1983-05-07", "1990-12-11"])
    document = pd.Series(["1990-03-07", "1990-03-07", "1990-03-07", "1990-03-07", "1990-03-07", "1990-11-12"])
    assert date_of_birth_verdict(guest, document).tolist() == [SAME, NOISE, NOISE, NOISE, DIFFERENT, NOISE]


def test_birth_date_digits_are_the_dates_written_out() -> None:
    """The verdicts compare dates digit by digit, computed from the date parts: the same
    digits as the date written YYYYMMDD, for stamps, date objects (PostgreSQL) and ISO text
    (SQLite), and all zeros for a missing date (two missing dates are the SAME)."""
    from timpora.matching.identity import _digits

    rng = np.random.default_rng(5)
    stamps = pd.Series(pd.Timestamp("1900-01-01") + pd.to_timedelta(rng.integers(0, 45_000, 2_000), unit="D"))
    stamps[::7] = pd.NaT
    written = stamps.dt.strftime("%Y%m%d").fillna("00000000")
    expected = np.array([[int(c) for c in text] for text in written])
    as_dates = stamps.dt.date.astype(object).where(stamps.notna(), None)
    as_text = stamps.dt.strftime("%Y-%m-%d").where(stamps.notna(), None)
    for values in (stamps, as_dates, as_text):
        assert (_digits(values) == expected).all()
    missing = pd.Series([None, None, "1990-03-07"])
    assert date_of_birth_verdict(missing, pd.Series([None, "1990-03-07", None])).tolist() == [
        SAME,
        DIFFERENT,
        DIFFERENT,
    ]


def test_link_verdicts_need_every_field_within_noise() -> None:
    pairs = pd.DataFrame(
        {
            "guest_surname": ["HASSAN", "HASSAN", "HASSAN", "HASSAN"],
            "guest_given_names": ["MOHAMMED", "MOHAMMED", "MOHAMMED", "MOHAMMED"],
            "guest_date_of_birth": ["1990-07-03", "1990-03-07", "1990-03-07", "1990-03-07"],
            "guest_sex": ["M", "F", "M", "X"],
            "guest_nationality": ["EGY", "EGY", "SAU", "EGY"],
            "guest_passport_number": ["A1234567O", "A12345670", "A12345670", "A12345670"],
            "document_surname": ["HASSAN"] * 4,
            "document_given_names": ["MUHAMMAD"] * 4,
            "document_date_of_birth": ["1990-03-07"] * 4,
            "document_sex": ["M"] * 4,
            "document_nationality": ["EGY"] * 4,
            "document_passport_number": ["A12345670"] * 4,
        }
    )
    scored = score_pairs(pairs, LinkingSettings())
    assert scored["verdict"].tolist() == [LINKED, MISMATCH, MISMATCH, LINKED]
    assert scored["passport_match"].tolist() == ["CONFUSABLE", "EXACT", "EXACT", "EXACT"]
    assert scored.loc[1, "sex_verdict"] == DIFFERENT and scored.loc[2, "nationality_verdict"] == DIFFERENT
    assert scored.loc[3, "sex_verdict"] == NOISE  # X: the desk did not record it


def test_purpose_lexicon_reads_indonesian_and_english() -> None:
    config = load_rules_config()
    declared = [
        ("Wartawan lepas", "liputan pilkada", "TOURISM", "NONE"),
        ("journalist", "reporting on the regional election", "TOURISM", "NONE"),
        ("Staf LSM", "pendampingan masyarakat adat", "TOURISM", "NONE"),
        ("engineer", "bekerja di proyek tambang", "BUSINESS", "COMPANY"),
        ("peneliti", "penelitian lapangan gambut", "TOURISM", "NONE"),
        ("filmmaker", "syuting film dokumenter", "TOURISM", "NONE"),
        ("manager", "business meeting", "BUSINESS", "MEDIA"),
        # lawful look-alikes
        ("photographer hobbyist", "backpacking", "TOURISM", "NONE"),
        ("engineer", "holiday", "TOURISM", "NONE"),
        ("software developer", "remote work for a foreign employer", "REMOTE_WORK", "NONE"),
        ("Staf LSM", "program LSM", "WORK", "NGO"),
        ("jurnalis", "liputan berita", "JOURNALISM", "MEDIA"),
        ("peneliti", "riset lapangan", "RESEARCH", "UNIVERSITY"),
        ("teknisi", "bekerja", "WORK", "COMPANY"),
    ]
    cases = pd.DataFrame(declared, columns=["occupation", "purpose_of_visit", "permit_activity", "permit_sponsor_type"])
    for column in ("visa_number", "visa_index", "visa_issued_at", "visa_sponsor_type"):
        cases[column] = None
    assessed = assess(cases, config.purpose)
    assert assessed["disallowed_activities"].tolist() == [
        ["JOURNALISM"],
        ["JOURNALISM"],
        ["NGO"],
        ["WORK"],
        ["RESEARCH"],
        ["FILM"],
        ["JOURNALISM"],
        [],
        [],
        [],
        [],
        [],
        [],
        [],
    ]
    # The rule's query returns only stays whose text names an activity (or whose sponsor
    # implies one): those are the texts in which the assessment finds words.
    texts = cases["occupation"] + " | " + cases["purpose_of_visit"]
    found = assessed[[f"word_{activity.value}" for activity in DeclaredActivity]].notna().any(axis=1)
    assert declaring_texts(texts, config.purpose) == texts[found].tolist()
    assert "manager | business meeting" not in declaring_texts(texts, config.purpose)  # its sponsor declares


def test_visa_catalogue_edition_decides_what_a_visa_allows() -> None:
    config = load_rules_config()
    cases = pd.DataFrame(
        {
            "occupation": ["jurnalis", "jurnalis", "software developer"],
            "purpose_of_visit": ["liputan", "liputan", "workation"],
            "permit_activity": ["JOURNALISM", "JOURNALISM", "REMOTE_WORK"],
            "permit_sponsor_type": ["MEDIA", "MEDIA", "NONE"],
            "visa_number": ["V1", "V2", "V3"],
            "visa_index": ["JRN", "C1", "E33G"],
            "visa_issued_at": ["2024-08-01 03:00:00", "2024-08-01 03:00:00", "2023-06-01 03:00:00"],
            "visa_sponsor_type": ["MEDIA", None, None],
        }
    )
    assessed = assess(cases, config.purpose)
    assert assessed["visa_edition"].tolist() == ["2024", "2024", "2023"]
    # A journalist permit on a tourist visa: the visa index does not allow journalism.
    assert assessed["disallowed_activities"].tolist() == [[], ["JOURNALISM"], []]


def test_rule_configuration_errors_name_the_key() -> None:
    text = load_rules_config().model_dump_json()
    import json

    raw = json.loads(text)
    raw["purpose"]["lexicon"]["JOURNALISM"] = ["wartawan", "(unclosed"]
    with pytest.raises(RulesConfigError, match=r"purpose\.lexicon.*JOURNALISM.*not a valid pattern"):
        parse_rules_config(json.dumps(raw))
    raw["purpose"]["lexicon"] = {"SPYING": ["x"]}
    with pytest.raises(RulesConfigError, match=r"purpose\.lexicon"):
        parse_rules_config(json.dumps(raw))
