"""DOCUMENT_INVALID, column-wise: MRZ check digits, MRZ versus typed fields, expiry.

A finding is a named reason; a stay with at least one finding raises the flag. The
finding codes are stable and appear in the evidence, with the reason text below.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from timpora.documents import mrz_batch
from timpora.feeds import normalise as nz
from timpora.feeds.normalise import TEXT
from timpora.matching.names import name_similarity
from timpora.rules import text as tx
from timpora.rules.config import LinkingSettings

# code -> (Bahasa Indonesia, English)
FINDINGS: dict[str, tuple[str, str]] = {
    "MRZ_INCOMPLETE": ("MRZ hanya satu baris", "only one MRZ line was scanned"),
    "MRZ_MALFORMED": (
        "MRZ tidak berformat TD3 (2 x 44 karakter A-Z, 0-9, <)",
        "the MRZ is not TD3 (2 x 44 characters A-Z, 0-9, <)",
    ),
    "CHECK_PASSPORT_NUMBER": ("digit kontrol nomor paspor MRZ salah", "MRZ passport-number check digit fails"),
    "CHECK_DATE_OF_BIRTH": ("digit kontrol tanggal lahir MRZ salah", "MRZ date-of-birth check digit fails"),
    "CHECK_EXPIRY": ("digit kontrol masa berlaku MRZ salah", "MRZ expiry check digit fails"),
    "CHECK_PERSONAL_NUMBER": ("digit kontrol nomor pribadi MRZ salah", "MRZ personal-number check digit fails"),
    "CHECK_COMPOSITE": ("digit kontrol gabungan MRZ salah", "MRZ composite check digit fails"),
    # ICAO 9303 form, for an MRZ whose check digits may all hold: each names its field.
    "MRZ_DOCUMENT_CODE_INVALID": (
        "kode dokumen MRZ bukan paspor (harus diawali P)",
        "the MRZ document code is not a passport's (must start with P)",
    ),
    "MRZ_ISSUING_STATE_UNKNOWN": (
        "negara penerbit MRZ bukan kode ICAO yang dikenal",
        "the MRZ issuing state is not a known ICAO code",
    ),
    "MRZ_NATIONALITY_UNKNOWN": (
        "kewarganegaraan MRZ bukan kode ICAO yang dikenal",
        "the MRZ nationality is not a known ICAO code",
    ),
    "MRZ_DATE_OF_BIRTH_MALFORMED": (
        "tanggal lahir MRZ bukan tanggal enam digit yang sah",
        "the MRZ date of birth is not a real six-digit date",
    ),
    "MRZ_EXPIRY_MALFORMED": (
        "masa berlaku MRZ bukan tanggal enam digit yang sah",
        "the MRZ expiry is not a real six-digit date",
    ),
    "MRZ_SEX_INVALID": ("jenis kelamin MRZ bukan M, F atau <", "the MRZ sex is not M, F or <"),
    "MRZ_PASSPORT_NUMBER_DIFFERS": (
        "nomor paspor MRZ berbeda dengan yang diketik",
        "the MRZ passport number differs from the typed one",
    ),
    "MRZ_DATE_OF_BIRTH_DIFFERS": (
        "tanggal lahir MRZ berbeda dengan yang diketik",
        "the MRZ date of birth differs from the typed one",
    ),
    "MRZ_SEX_DIFFERS": ("jenis kelamin MRZ berbeda dengan yang diketik", "the MRZ sex differs from the typed one"),
    "MRZ_NATIONALITY_DIFFERS": (
        "kewarganegaraan MRZ berbeda dengan yang diketik",
        "the MRZ nationality differs from the typed one",
    ),
    "MRZ_NAME_DIFFERS": ("nama MRZ berbeda dengan yang diketik", "the MRZ name differs from the typed one"),
    "MRZ_EXPIRED_BEFORE_STAY": (
        "paspor (menurut MRZ) habis berlaku sebelum check-in",
        "the passport (per its MRZ) expired before the check-in",
    ),
    "PASSPORT_EXPIRED_BEFORE_STAY": (
        "paspor habis berlaku sebelum check-in",
        "the passport expired before the check-in",
    ),
}
_CHECK_FINDING = {
    "passport_number": "CHECK_PASSPORT_NUMBER",
    "date_of_birth": "CHECK_DATE_OF_BIRTH",
    "expiry": "CHECK_EXPIRY",
    "personal_number": "CHECK_PERSONAL_NUMBER",
    "composite": "CHECK_COMPOSITE",
}


def document_findings(cases: pd.DataFrame, linking: LinkingSettings) -> pd.DataFrame:
    """One boolean column per finding code, plus what the MRZ says (``mrz_*``), per stay."""
    index = cases.index
    line1 = cases["mrz_line1"].astype(TEXT).fillna("")
    line2 = cases["mrz_line2"].astype(TEXT).fillna("")
    out = pd.DataFrame(False, index=index, columns=list(FINDINGS))
    scanned = (line1 != "") | (line2 != "")
    out["MRZ_INCOMPLETE"] = scanned & ((line1 == "") | (line2 == ""))
    well_formed = line1.str.fullmatch(mrz_batch._ALLOWED) & line2.str.fullmatch(mrz_batch._ALLOWED)
    out["MRZ_MALFORMED"] = scanned & ~out["MRZ_INCOMPLETE"] & ~well_formed
    for name in ("surname", "given_names", "passport_number", "nationality", "date_of_birth", "sex", "expiry"):
        out[f"mrz_{name}"] = pd.Series(pd.NA, index=index, dtype=TEXT)
    for name in _CHECK_FINDING:
        out[f"check_{name}"] = pd.Series(pd.NA, index=index, dtype="boolean")

    good = well_formed.fillna(False).to_numpy()
    if good.any():
        l1, l2 = line1[good], line2[good]
        checks = mrz_batch.check_digits(l2)
        for name, code in _CHECK_FINDING.items():
            out.loc[good, code] = ~checks[name].to_numpy()
            out.loc[good, f"check_{name}"] = checks[name].to_numpy()
        for code, broken in td3_form_problems(l1, l2).items():
            out.loc[good, code] = broken.to_numpy()
        fields = mrz_batch.read_fields(l1, l2)
        for name in fields.columns:
            out.loc[good, f"mrz_{name}"] = fields[name].to_numpy()
        typed = cases[good]
        typed_number = nz.passport_key(typed["passport_number"].astype(TEXT))
        out.loc[good, "MRZ_PASSPORT_NUMBER_DIFFERS"] = (
            nz.passport_key(fields["passport_number"]).to_numpy() != typed_number.to_numpy()
        )
        typed_dob = tx.as_datetime(typed["date_of_birth"]).dt.strftime("%y%m%d")
        out.loc[good, "MRZ_DATE_OF_BIRTH_DIFFERS"] = (fields["date_of_birth"] != typed_dob).to_numpy()
        out.loc[good, "MRZ_SEX_DIFFERS"] = (fields["sex"] != typed["sex"].astype(TEXT).fillna("X")).to_numpy()
        mrz_nationality = nz.normalise_nationality(fields["nationality"])
        out.loc[good, "MRZ_NATIONALITY_DIFFERS"] = (
            mrz_nationality.fillna("?") != typed["nationality"].astype(TEXT).fillna("")
        ).to_numpy()
        names = name_similarity(
            typed["guest_surname"], typed["guest_given_names"], fields["surname"], fields["given_names"]
        )
        out.loc[good, "MRZ_NAME_DIFFERS"] = (names["score"] < linking.name_similarity_min).to_numpy()
        expiry = mrz_batch.expiry_date(fields["expiry"])
        check_in = tx.as_datetime(typed["check_in_date"])
        out.loc[good, "MRZ_EXPIRED_BEFORE_STAY"] = (expiry < check_in).fillna(False).to_numpy()
    expiry_typed = tx.as_datetime(cases["passport_expiry"])
    out["PASSPORT_EXPIRED_BEFORE_STAY"] = (expiry_typed < tx.as_datetime(cases["check_in_date"])).fillna(False)
    for code in FINDINGS:
        out[code] = out[code].astype(bool)
    return out


def td3_form_problems(line1: pd.Series, line2: pd.Series) -> dict[str, pd.Series]:
    """Per finding code, the well-formed-charset TD3 lines that break ICAO 9303's form:
    a document code not starting with P, an issuing state or nationality that is no known
    ICAO code (``D<<`` included), a date of birth or expiry that is not six digits of a real
    date, a sex other than M, F or ``<``. Check digits cannot catch these (a nationality
    has none; a letter ten away from a digit keeps the sum)."""
    from timpora.reference import icao_document_codes

    codes = sorted(icao_document_codes())
    issuing = line1.str.slice(2, 5).str.replace("<", "", regex=False)
    nationality = line2.str.slice(10, 13).str.replace("<", "", regex=False)

    def not_a_date(yymmdd: pd.Series) -> pd.Series:
        digits = yymmdd.str.fullmatch(r"\d{6}").fillna(False).astype(bool)
        parsed = pd.to_datetime(yymmdd.where(digits), format="%y%m%d", errors="coerce")
        return ~digits | parsed.isna()

    return {
        "MRZ_DOCUMENT_CODE_INVALID": line1.str.slice(0, 1) != "P",
        "MRZ_ISSUING_STATE_UNKNOWN": ~issuing.isin(codes),
        "MRZ_NATIONALITY_UNKNOWN": ~nationality.isin(codes),
        "MRZ_DATE_OF_BIRTH_MALFORMED": not_a_date(line2.str.slice(13, 19)),
        "MRZ_EXPIRY_MALFORMED": not_a_date(line2.str.slice(21, 27)),
        "MRZ_SEX_INVALID": ~line2.str.slice(20, 21).isin(["M", "F", "<"]),
    }


def finding_lists(findings: pd.DataFrame) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Per row: the list of finding codes, and the reasons joined in each language."""
    codes = pd.Series("", index=findings.index, dtype=TEXT)
    reason_id = pd.Series("", index=findings.index, dtype=TEXT)
    reason_en = pd.Series("", index=findings.index, dtype=TEXT)
    for code, (text_id, text_en) in FINDINGS.items():
        hit = findings[code].to_numpy()
        codes = codes + np.where(hit, code + " ", "")
        reason_id = reason_id + np.where(hit, text_id + "; ", "")
        reason_en = reason_en + np.where(hit, text_en + "; ", "")
    return codes.str.split(), reason_id.str.removesuffix("; "), reason_en.str.removesuffix("; ")
