from click.testing import CliRunner

from linkage.cli import main


def test_profile_shows_encoding_header_mapping_and_masked_samples(tmp_path):
    path = tmp_path / "jzdj.csv"
    text = ("桃源社区居住登记表\n"
            "姓名,公民身份号码,联系电话,避孕措施\n"
            "张伟,11010519491231002X,13812345678,上环\n"
            "李娜,440305198503021126,,\n")
    path.write_bytes(text.encode("gbk"))
    result = CliRunner().invoke(main, ["profile", str(path)])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "encoding: gbk" in out and "header row: 2" in out and "rows:       2 (0 unreadable)" in out
    lines = {line.split()[0]: line for line in out.splitlines() if line and line.split()[0] in
             ("姓名", "公民身份号码", "联系电话", "避孕措施")}
    assert "id_number" in lines["公民身份号码"] and "synonym" in lines["公民身份号码"]
    assert "11010519491231002X" not in out and "110105********002X" in out
    assert "13812345678" not in out and "138****5678" in out
    assert "(extra)" in lines["避孕措施"] and "50.0%" in lines["联系电话"]
    # the attribute column starts at the same terminal column on every row (CJK counts double)
    starts = {_columns_before(line, line.split()[1]) for line in lines.values()}
    assert starts == {21}


def _columns_before(line: str, word: str) -> int:
    import unicodedata
    head = line[:line.index(word, len(line.split()[0]))]
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in head)


def test_profile_bad_file(tmp_path):
    result = CliRunner().invoke(main, ["profile", str(tmp_path / "x.csv")])
    assert result.exit_code == 2 and "x.csv: file not found" in result.output
