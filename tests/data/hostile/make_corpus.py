"""Writes the hostile landing corpus beside this file (``landing/``): run it to regenerate.

Each file is one way a landing goes wrong (or almost wrong); ``expected.json`` says what
the platform makes of it. Symbolic links, a named pipe and such are made by the test
itself (git keeps no pipes, and a link to /etc/passwd does not belong in a repository).
"""

from __future__ import annotations

import codecs
import gzip
import json
import shutil
from pathlib import Path

HERE = Path(__file__).resolve().parent
LANDING = HERE / "landing"
DAY = "2024/10/03"
HOTEL_HEADER = (
    "report_id;event;lodging_id;lodging_name;lodging_region_code;guest_surname;guest_given_names;sex;"
    "date_of_birth;nationality;passport_number;passport_expiry;check_in;check_out;room;occupation;"
    "purpose_of_visit;reported_at;mrz_line1;mrz_line2"
)
PERMIT_HEADER = (
    "permit_number,record_version,permit_type,status,visa_number,passport_number,nationality,surname,"
    "given_names,date_of_birth,sex,activity,sponsor_name,sponsor_type,region_code,address,valid_from,"
    "valid_until,office_code,updated_at"
)


def guest(lodging: str, seq: int, surname: str = "SMITH", passport: str | None = None, **fields: str) -> str:
    row = {
        "report_id": f"{lodging}-{seq:05d}",
        "event": "CHECK_IN",
        "lodging_id": lodging,
        "lodging_name": "Hotel Hostile",
        "lodging_region_code": "16.71",
        "guest_surname": surname,
        "guest_given_names": "ANNA",
        "sex": "P",
        "date_of_birth": "01/02/1985",
        "nationality": "AUS",
        "passport_number": passport or f"H{seq:08d}",
        "passport_expiry": "01/01/2031",
        "check_in": "02/10/2024 14:00",
        "check_out": "",
        "room": "101",
        "occupation": "tourist",
        "purpose_of_visit": "liburan",
        "reported_at": "02/10/2024 15:00",
        "mrz_line1": "",
        "mrz_line2": "",
        **fields,
    }
    return ";".join(row.values())


def permit(number: str, version: int, passport: str, surname: str = "SMITH", **fields: str) -> str:
    row = {
        "permit_number": number,
        "record_version": str(version),
        "permit_type": "ITK",
        "status": "ACTIVE",
        "visa_number": "",
        "passport_number": passport,
        "nationality": "AUS",
        "surname": surname,
        "given_names": "ANNA",
        "date_of_birth": "1985-02-01",
        "sex": "F",
        "activity": "TOURISM",
        "sponsor_name": "",
        "sponsor_type": "NONE",
        "region_code": "16.71",
        "address": "Jl. Merdeka 1",
        "valid_from": "2024-09-01",
        "valid_until": "2024-11-29",
        "office_code": "KANIM-PLG",
        "updated_at": "2024-09-01T10:00:00+07:00",
        **fields,
    }
    return ",".join(row.values())


def visa(number: str, version: int = 1, **fields: object) -> str:
    record = {
        "visa_number": number,
        "record_version": version,
        "visa_index": "C1",
        "status": "ISSUED",
        "passport_number": "V00000001",
        "passport_country": "AUS",
        "nationality": "AUS",
        "surname": "SMITH",
        "given_names": "ANNA",
        "date_of_birth": "1985-02-01",
        "sex": "F",
        "purpose": "TOURISM",
        "sponsor": None,
        "issued_at": "2024-08-20T10:00:00+07:00",
        "valid_until": "2024-11-20",
        "max_stay_days": 60,
        **fields,
    }
    return json.dumps(record)


def hotel(lines: list[str], header: str = HOTEL_HEADER) -> str:
    return "\n".join([header, *lines]) + "\n"


def write(key: str, body: bytes | str) -> None:
    path = LANDING / key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(body.encode("utf-8") if isinstance(body, str) else body)


def main() -> None:
    shutil.rmtree(LANDING, ignore_errors=True)
    h = f"hotel_guest/{DAY}/LDG-167101_"
    good = hotel([guest("LDG-167101", 501), guest("LDG-167101", 502)])
    # --- the layout ---
    write("stray_at_the_root.csv", good)
    write(f"passports/{DAY}/LDG-167101_unknown_feed.csv", good)
    write("hotel_guest/2024/13/45/LDG-167101_impossible_date.csv", good)
    write(f"visa/{DAY}/wrong_suffix.csv", visa("VSUFFIX01") + "\n")
    write(f"hotel_guest/{DAY}/no_lodging_id.csv", good)
    write(f"visa/{DAY}/nested/deeper.jsonl", visa("VNEST0001") + "\n")
    write(f"stay_permit/{DAY}/README.txt", "not a feed file\n")
    # --- bytes and encodings ---
    write(h + "empty.csv", b"")
    write(h + "header_only.csv", HOTEL_HEADER + "\n")
    write(h + "utf16_bom.csv", codecs.BOM_UTF16_LE + good.encode("utf-16-le"))
    write(h + "utf16_no_bom.csv", good.encode("utf-16-le"))
    write(h + "utf32.csv", good.encode("utf-32"))
    write(h + "binary.csv", b"\x89PNG\r\n\x1a\n" + bytes(2000))
    write(h + "undefined_cp1252.csv", hotel([guest("LDG-167101", 511, surname="M\x81LLER")]).encode("latin-1"))
    write(h + "cr_only.csv", good.replace("\n", "\r").replace("-00501", "-00521").replace("-00502", "-00522"))
    write(
        h + "mixed_line_ends.csv",
        (HOTEL_HEADER + "\r\n" + guest("LDG-167101", 531) + "\n" + guest("LDG-167101", 532) + "\r\n").encode(),
    )
    write(
        h + "nul_in_one_line.csv",
        hotel([guest("LDG-167101", 541), guest("LDG-167101", 542, room="1\x0002"), guest("LDG-167101", 543)]),
    )
    write(h + "terminal_escape.csv", hotel([guest("LDG-167101", 551, lodging_name="Hotel \x1b[2J\x1b[31mRed")]))
    write(h + "bidi_override.csv", hotel([guest("LDG-167101", 561, guest_given_names="ANNA\u202eNNA")]))
    write(h + "bell_and_backspace.csv", hotel([guest("LDG-167101", 565, occupation="tour\x07ist\x08")]))
    truncated = gzip.compress(hotel([guest("LDG-167101", 571)]).encode())
    write(h + "truncated.csv.gz", truncated[: len(truncated) // 2])
    write(h + "not_really.csv.gz", good)
    write(h + "gzipped_ok.csv.gz", gzip.compress(hotel([guest("LDG-167101", 575)]).encode()))
    write(h + "line_over_1mib.csv", hotel([guest("LDG-167101", 581), guest("LDG-167101", 582, room="9" * 1_100_000)]))
    write(h + "bom_in_the_middle.csv", hotel([guest("LDG-167101", 585, guest_surname="\ufeffSMITH")]))
    # --- the header ---
    write(h + "unknown_column.csv", hotel([guest("LDG-167101", 591) + ";x"], HOTEL_HEADER + ";favourite_colour"))
    write(h + "missing_column.csv", hotel([guest("LDG-167101", 592).rsplit(";", 1)[0]], HOTEL_HEADER.rsplit(";", 1)[0]))
    write(h + "repeated_column.csv", hotel([guest("LDG-167101", 593) + ";x"], HOTEL_HEADER + ";room"))
    write(
        h + "comma_delimited.csv", hotel([guest("LDG-167101", 594).replace(";", ",")], HOTEL_HEADER.replace(";", ","))
    )
    # --- the lines ---
    write(
        h + "mixed_lines.csv",
        hotel(
            [
                guest("LDG-167101", 601),
                guest("LDG-167101", 602) + ";extra",
                guest("LDG-167101", 603, lodging_name='Hotel "Broken'),
                "",
                "   ",
                guest("LDG-167101", 604, guest_surname="=HYPERLINK(1)"),
                guest("LDG-167101", 605),
            ]
        ),
    )
    write(
        h + "one_report_two_passports.csv",
        hotel([guest("LDG-167101", 611, passport="A11111111"), guest("LDG-167101", 611, passport="B22222222")]),
    )
    write(h + "resent_a_original.csv", hotel([guest("LDG-167101", 621), guest("LDG-167101", 622)]))
    write(h + "resent_b_copy.csv", hotel([guest("LDG-167101", 621), guest("LDG-167101", 622)]))
    # --- visas ---
    v = f"visa/{DAY}/"
    write(v + "not_json.jsonl", visa("VGOOD0001") + "\n{not json\n")
    write(v + "array_null_string.jsonl", '[1, 2]\nnull\n"text"\n' + visa("VGOOD0002") + "\n")
    write(v + "unknown_field.jsonl", visa("VUNK00001")[:-1] + ', "favourite_colour": "blue"}\n')
    write(v + "deep_nesting.jsonl", "[" * 100_000 + "]" * 100_000 + "\n")
    write(v + "escape_in_surname.jsonl", visa("VESC00001", surname="SMITH\x1b]0;pwned\x07") + "\n")
    write(
        v + "cp1252.jsonl",
        json.dumps(json.loads(visa("VCP125201", surname="MÜLLER")), ensure_ascii=False).encode("cp1252"),
    )
    write(v + "empty.jsonl", b"")
    write(v + "version_a_first.jsonl", visa("VCONF0001", 2, surname="SMITH") + "\n")
    write(v + "version_b_conflict.jsonl", visa("VCONF0001", 2, surname="SMYTHE") + "\n")
    # --- permits ---
    p = f"stay_permit/{DAY}/KANIM-PLG_"
    write(
        p + "same_version_twice.csv",
        "\n".join(
            [PERMIT_HEADER, permit("ITK-HOST-01", 1, "P10000001"), permit("ITK-HOST-01", 1, "P10000001", "JONES")]
        )
        + "\n",
    )
    write(
        p + "wrong_office.csv",
        "\n".join([PERMIT_HEADER, permit("ITK-HOST-02", 1, "P10000002", office_code="KANIM-JKT")]) + "\n",
    )
    write(p + "empty.csv", b"")


if __name__ == "__main__":
    main()
