"""infer_schema / write_schema: a proposed CSV spec with one explained line per column, end to end."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from dephn.data.datasets import load_dataset
from dephn.data.infer import infer_schema, sniff_separator, write_schema
from dephn.data.readers.csv import CsvReader, CsvSpec
from dephn.errors import DataError, DephnError
from tests.data._reader_fixtures import write

COLUMNS = ["click", "price", "city", "age", "device", "buy", "weekday", "score", "shop_id"]


def mixed_csv(tmp_path, n: int = 400, sep: str = ",", name: str = "mixed.csv", bad_line: int | None = 21):
    """Numeric and categorical columns, two binary labels (0/1 and no/yes), missing values and,
    at file line `bad_line`, one line with too few fields."""
    rng = np.random.default_rng(1)
    lines = [sep.join(COLUMNS)]
    for _ in range(n):
        click = int(rng.integers(0, 2))
        lines.append(sep.join([
            str(click),
            "" if rng.random() < 0.1 else f"{rng.gamma(2.0, 40.0):.2f}",            # price: dense, missing
            "" if rng.random() < 0.05 else str(rng.choice(["paris", "lyon", "oslo"])),   # city: text, missing
            str(rng.integers(18, 90)),                                                  # age: many integers
            str(rng.choice(["ios", "android", "web"])),
            "yes" if click and rng.random() < 0.3 else "no",                            # buy: no / yes
            str(rng.integers(0, 7)),                                                    # weekday: 7 codes
            f"{rng.normal():.4f}",                                                      # score: dense
            str(rng.integers(0, 60)),                                                   # shop_id: codes
        ]))
    if bad_line is not None:
        lines.insert(bad_line - 1, sep.join(["1", "2.5", "paris"]))
    return write(tmp_path, name, "\n".join(lines) + "\n")


def test_infer_write_load_round_trip(tmp_path):
    data = mixed_csv(tmp_path)
    proposal = infer_schema(data, ["click", "buy"])
    spec = proposal.spec
    assert spec["tasks"] == ["click", "buy"] and spec["sparse"] == "rest" and spec["sep"] == ","
    assert spec["dense"] == ["price", "age", "score"] and "ignore" not in spec
    assert spec["positive"] == ["1", "yes"] and spec["negative"] == ["0", "no"]
    assert spec["dense_transform"] == "log1p"
    assert len(proposal.explanations) == len(COLUMNS)                      # one line per column, file order
    for column, line in zip(COLUMNS, proposal.explanations):
        assert line.startswith(f"{column!r}: ") and "\n" not in line
        assert "distinct" in line and "missing" in line and "numeric]" in line
    assert any("1 malformed line(s) skipped" in note and "line 21" in note for note in proposal.notes)

    target = write_schema(proposal, tmp_path / "specs" / "mixed.json")
    written = json.loads(target.read_text())
    assert written["paths"] == ["../mixed.csv"]                            # relative to the JSON's folder
    assert [p.name for p in target.parent.iterdir()] == ["mixed.json"]     # no temporary file left
    assert [Path(p).resolve() for p in CsvSpec.from_json(target).paths] == [data.resolve()]

    ds = load_dataset("csv", data, spec=target, on_bad_lines="skip", cache_dir=tmp_path / "cache")
    categorical = [c for c in COLUMNS if c not in spec["tasks"] + spec["dense"]]
    assert list(ds.schema.sparse) == categorical == ["city", "device", "weekday", "shop_id"]
    assert len(ds.schema.sparse) == len(COLUMNS) - 2 - len(spec["dense"])
    assert sum(ds.meta["rows"].values()) == 400 and ds.schema.tasks == ("click", "buy")
    assert ds.meta["skipped_lines"] == 1
    assert ds.meta["skipped_examples"] == [f"{data}, line 21: expected 9 fields (as on the header), found 3"]
    assert 0 < ds.train.labels[:, 1].mean() < ds.train.labels[:, 0].mean()   # "yes" read as positive


def test_explanations_state_each_decision(tmp_path):
    lines = ["row,label,code,tiny,name,user_id,uid_text"]
    for i in range(200):
        lines.append(f"{i},{i % 2},{i % 37},{i % 4},n{i % 190},{i % 185},u{i}")
    proposal = infer_schema(write(tmp_path, "d.csv", "\n".join(lines) + "\n"), ["label"])
    by_column = dict(zip(["row", "label", "code", "tiny", "name", "user_id", "uid_text"], proposal.explanations))
    assert proposal.spec["dense"] == ["row", "code"]                        # plain integers are numbers
    assert proposal.spec["ignore"] == ["uid_text"]
    assert by_column["uid_text"].startswith("'uid_text': ignore - near-unique (100.0% of its values distinct)")
    assert "[200 distinct, 0.0% missing, 0% numeric]" in by_column["uid_text"]
    assert by_column["tiny"].startswith("'tiny': sparse - integer codes with 4 distinct values (<= 10)")
    assert by_column["user_id"].startswith("'user_id': sparse - integer codes under an id-like name: categorical; "
                                           "high cardinality (92.5% of its values distinct)")
    assert "high cardinality (95.0% of its values distinct)" in by_column["name"]
    assert by_column["label"].startswith("'label': task label: positive ['1'], negative ['0'], positive rate 50.0%")
    assert proposal.spec["dense_transform"] == "log1p"
    reader = CsvReader(proposal.spec)                                        # the proposal is a working spec
    assert "uid_text" not in reader.schema.sparse and "name" in reader.schema.sparse


def test_id_like_integers_are_categorical_and_row_keys_ignored(tmp_path):
    lines = ["id,y,itemId,paid,x"] + [f"{i},{i % 2},{i % 30},{i % 40 + 0.5},{i % 3}" for i in range(100)]
    proposal = infer_schema(write(tmp_path, "d.csv", "\n".join(lines) + "\n"), ["y"])
    assert proposal.spec["ignore"] == ["id"]                                 # id-like and unique: a row key
    assert proposal.spec["dense"] == ["paid"]                                # "paid" is not an id
    assert proposal.explanations[2].startswith("'itemId': sparse - integer codes under an id-like name")


def test_explicit_dense_is_exactly_those(tmp_path):
    data = mixed_csv(tmp_path, bad_line=None)
    proposal = infer_schema(data, ["click", "buy"], dense=["score"])
    assert proposal.spec["dense"] == ["score"]
    assert proposal.explanations[3].startswith("'age': sparse - not given as dense")
    assert proposal.explanations[1].startswith("'price': ignore - near-unique")  # as a category: a row key
    with pytest.raises(DephnError, match=r"column 'city' is given as dense but .* are not numbers \(e\.g\. '[a-z]+'\)"):
        infer_schema(data, ["click", "buy"], dense=["city"])
    with pytest.raises(DataError, match="missing dense column 'cost'"):
        infer_schema(data, ["click", "buy"], dense=["cost"])


@pytest.mark.parametrize("sep, shown", [("\t", "tab"), (";", "';'"), ("|", "'|'"), (",", "','")])
def test_separator_is_sniffed(tmp_path, sep, shown):
    data = mixed_csv(tmp_path, n=50, sep=sep, bad_line=None)
    found, why = sniff_separator(data)
    assert found == sep and why.startswith(f"separator {shown}: splits the header into 9 columns")
    assert infer_schema(data, ["click"]).spec["sep"] == sep
    assert infer_schema(data, ["click"], sep=sep).notes[0].startswith("sample: the first 50 data rows")


def one_line_error(excinfo) -> str:
    text = str(excinfo.value)
    assert "\n" not in text
    return text


def test_missing_label_column_names_it(tmp_path):
    data = mixed_csv(tmp_path, n=20, bad_line=None)
    with pytest.raises(DataError) as e:
        infer_schema(data, ["click", "purchase"])
    text = one_line_error(e)
    assert "missing label column 'purchase'" in text and "columns (its header line) are: click, price" in text


def test_non_binary_labels_list_the_values_found(tmp_path):
    data = write(tmp_path, "r.csv", "rating,x\n" + "".join(f"{i % 5},{i}\n" for i in range(30)))
    with pytest.raises(DataError) as e:
        infer_schema(data, ["rating"])
    assert "column 'rating': label column 'rating' is not binary: 5 distinct values in the sample (" \
        in one_line_error(e)
    assert all(f"'{v}'" in str(e.value) for v in range(5))
    pair = write(tmp_path, "p.csv", "kind,x\n" + "".join(f"{'ab'[i % 2]},{i}\n" for i in range(10)))
    with pytest.raises(DataError, match=r"label column 'kind' is not binary: 2 distinct values .*'a'.*'b'"):
        infer_schema(pair, ["kind"])


def test_a_label_with_one_side_only_gets_its_partner(tmp_path):
    data = write(tmp_path, "n.csv", "Bought,x\n" + "".join(f"No,{i}\n" for i in range(10)))
    proposal = infer_schema(data, ["Bought"])
    assert proposal.spec["positive"] == ["Yes"] and proposal.spec["negative"] == ["No"]
    assert any("no positive label value in the sample: 'Yes' assumed" in n for n in proposal.notes)


def test_bad_files_and_arguments(tmp_path):
    with pytest.raises(DataError, match="no data lines after the header"):
        infer_schema(write(tmp_path, "h.csv", "a,b\n"), ["a"])
    with pytest.raises(DataError, match="cannot tell the separator"):
        infer_schema(write(tmp_path, "one.csv", "a\n1\n"), ["a"])
    with pytest.raises(DataError, match=r"\['a'\] appear more than once"):
        infer_schema(write(tmp_path, "dup.csv", "a,a,y\n1,2,0\n"), ["y"])
    with pytest.raises(DephnError, match="no feature column"):
        infer_schema(write(tmp_path, "only.csv", "y,z\n1,0\n0,1\n"), ["y", "z"])
    with pytest.raises(DephnError, match="at least one label"):
        infer_schema(write(tmp_path, "d.csv", "y,x\n1,2\n"), [])
    with pytest.raises(DephnError, match="sample_rows must be >= 1"):
        infer_schema(tmp_path / "d.csv", ["y"], sample_rows=0)
