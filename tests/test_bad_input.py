"""Every bad input ends with a short message naming the file and a non-zero exit, no traceback."""

import openpyxl
import pytest
from click.testing import CliRunner

from linkage.cli import main

GOOD = "姓名,身份证号\n张伟,11010519491231002X\n"


def _run(tmp_path, config_text: str):
    cfg = tmp_path / "config.yaml"
    cfg.write_text(config_text, encoding="utf-8")
    result = CliRunner().invoke(main, ["run", str(cfg)])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    return result.output


def _xlsx(path):
    wb = openpyxl.Workbook()
    wb.active.title = "人员"
    wb.active.append(["姓名", "身份证号"])
    wb.active.append(["张伟", "11010519491231002X"])
    wb.save(path)


@pytest.mark.parametrize("setup,config,message", [
    (None, "sources: {a: {path: missing.csv}}", "missing.csv: file not found"),
    (None, "sources: {a: {path: a.dat}}", "cannot tell the format of 'a.dat'"),
    ("xlsx", "sources: {a: {path: a.xlsx, sheet: 居住登记}}", "a.xlsx: sheet '居住登记' not found; the workbook has 0: 人员"),
    ("undecodable", "sources: {a: {path: a.csv}}", "a.csv: undecodable file"),
    ("empty", "sources: {a: {path: a.csv}}", "a.csv: the file is empty"),
    ("numbers", "sources: {a: {path: a.csv}}", "a.csv: header not found"),
    ("good", "sources:\n  a: {path: a.csv}\n  a: {path: a.csv}\n", "key 'a' appears twice"),
    ("good", "sources: {a: {path: a.csv, columns: {身份证: id_number}}}",
     "a.csv: mapped column '身份证' is not in the file (did you mean '身份证号'?)"),
    ("corrupt", "sources: {a: {path: a.xlsx}}", "a.xlsx: not a readable Excel workbook"),
])
def test_bad_input_message(tmp_path, setup, config, message):
    if setup == "xlsx":
        _xlsx(tmp_path / "a.xlsx")
    elif setup == "undecodable":
        (tmp_path / "a.csv").write_bytes(b"\x00\x01\xff" * 200)
    elif setup == "empty":
        (tmp_path / "a.csv").write_bytes(b"")
    elif setup == "numbers":
        (tmp_path / "a.csv").write_text("1,2\n3,4\n")
    elif setup == "good":
        (tmp_path / "a.csv").write_text(GOOD, encoding="utf-8")
    elif setup == "corrupt":
        (tmp_path / "a.xlsx").write_bytes(b"PK\x03\x04garbage" * 20)
    output = _run(tmp_path, config)
    error = output[output.index("error: "):]
    assert message in error
    assert len(error.splitlines()) <= 3
