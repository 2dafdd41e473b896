"""`dephn report`: the path on stdout, a bad folder one line."""
from dephn.cli import main
from tests.report_fixtures import make_output_folder


def test_cli_prints_the_report_path(tmp_path, capsys):
    out = make_output_folder(tmp_path, records=False)
    assert main(["report", "--out", str(out)]) == 0
    printed = capsys.readouterr().out.strip()
    assert printed == str(out / "report.html") and (out / "report.html").is_file()


def test_cli_bad_folder_is_one_line(tmp_path, capsys):
    assert main(["report", "--out", str(tmp_path / "nope")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("dephn: error:") and "nope" in err
