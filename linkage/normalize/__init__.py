"""Normalize raw records into canonical, comparable values (the `records` table contract).

`normalize_records(frame, entity_type)` takes one entity type's raw records — columns
`record_id` (Int64), `source`, `source_row` (Int64), `entity_type`, `extras` (JSON text) and any
canonical attributes of `linkage.attributes` as raw text (Utf8, null = blank) — and returns the
same rows in the same order with every canonical attribute replaced by its normalized value and
the derived columns below added.  Blank and placeholder values (无, 不详, /, 000000 …) become
null; invalid values are kept (cleaned) and flagged, never blanked.

Columns by attribute kind (only for attributes present in the input; `<a>` is the attribute):
- person_name: `<a>` cleaned name; `<a>_pinyin` toneless pinyin, syllables joined with no
  space ("zhangwei"); `<a>_initials` ("zw"); for `name` also `surname`, `given_name`.
- id_number: `<a>` 18-character upper-case ID where it can be made one (15-digit legacy IDs
  converted), else the cleaned text; `<a>_flag` in valid / bad_check_digit / bad_date /
  wrong_length / not_an_id; `<a>_legacy` (Boolean: was 15 digits); for `id_number` also
  `id_birth_date` (ISO date text), `id_gender` ("1"/"2"), `id_region` (region name).
- gender: `<a>` GB/T 2261.1 code "1" male / "2" female / "0" unknown / "9" unspecified;
  `<a>_flag` valid / invalid / conflicts_with_id.
- date: `<a>` ISO text "YYYY-MM-DD" (or "YYYY-MM" when only year and month are known);
  `<a>_flag` valid / partial / invalid.
- ethnicity: `<a>` name with 族 ("汉族"); `<a>_code` GB/T 3304 two-digit code; `<a>_flag`.
- phone: `<a>` first number, digits only (landline as area code + number, e.g. "07558888888");
  `<a>_all` every number in the cell joined by ";"; `<a>_type` mobile / landline; `<a>_flag`.
- address: `<a>` canonical address text; `<a>_province`, `<a>_city`, `<a>_district`,
  `<a>_street`, `<a>_community`, `<a>_road`, `<a>_number`, `<a>_building`, `<a>_unit`,
  `<a>_room`; `<a>_key` coarse blocking key (district|community|road|number|building);
  `<a>_flag` parsed / partial / unparsed.
- enterprise_name: `<a>` cleaned name; `<a>_core` core name (字号); `<a>_legal_form`;
  `<a>_region` (region named in the name); `<a>_flag`.
- uscc / org_code / reg_number: `<a>` cleaned upper-case code; `<a>_flag` valid / bad_check /
  wrong_length / invalid_chars.  For enterprises also `org_key`: the organisation code from a
  valid uscc (characters 9–17), else a valid org_code — so records carrying either can link.
- text / code / number: trimmed, full-width folded to half-width, inner runs of spaces
  collapsed, placeholders to null.
"""
